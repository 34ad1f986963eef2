"""`suture verify` as a script sees it: one JSON line on stdout, the documented exit codes, no tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from suture.agent.verify import parse_target
from warm_cli import suture as warm_suture

CODE = {
    "pkg/__init__.py": "",
    "pkg/calc.py": '''\
        def double(x: int) -> int:
            """
            post: __return__ > x
            """
            return x * 2


        def score(x: int) -> int:
            return abs(x) + 1


        def slurp(path: str) -> str:
            with open(path) as fh:
                return fh.read()
        ''',
    "fill.c": """\
        void fill(int *buf, int n, int v) {
          for (int i = 0; i <= n; i++)
            buf[i] = v;
        }

        void fill_fixed(int *buf, int n, int v) {
          for (int i = 0; i < n; i++)
            buf[i] = v;
        }
        """,
    "buf.c": """\
        int main(void) {
          int a[4];
          for (int i = 0; i <= 4; i++) a[i] = i;
          return a[0];
        }
        """,
}


def suture(repo, *args, real=False):
    """`suture verify ARGS --repo REPO`: in a fork of this process with the CLI loaded (tests/warm_cli.py),
    or with `real` as its own process from interpreter start (the first test below)."""
    if real:
        done = subprocess.run([sys.executable, "-m", "suture.agent.cli.main", "verify", *args, "--repo", str(repo)],
                              capture_output=True, text=True, timeout=120)
    else:
        done = warm_suture("verify", *args, "--repo", str(repo), cwd=Path.cwd(), timeout=120)
    assert "Traceback" not in done.stderr
    return done


def one_json(done) -> dict:
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    return json.loads(lines[0])


@pytest.mark.parametrize("spec, expected", [
    ("pkg/calc.py::double", ("pkg/calc.py", "double")),
    ("pkg/calc.py:double", ("pkg/calc.py", "double")),
    ("pkg.calc:Box.method", ("pkg.calc", "Box.method")),
    ("buf.c", ("buf.c", "")),
    ("buf.c::fill", ("buf.c", "fill")),
])
def test_target_forms(spec, expected):
    assert parse_target(spec) == expected


def test_contract_counterexample_exits_1_with_the_verdict_as_json(make_repo):
    repo = make_repo(CODE)
    done = suture(repo, "pkg/calc.py::double", "--json", "--time-limit", "20", real=True)
    assert done.returncode == 1, done.stderr
    report = one_json(done)
    assert report["verdict"] == "counterexample" and report["backend"] == "crosshair"
    assert report["counterexample"]["inputs"] == {"x": "0"}
    assert report["counterexample"]["location"] == "pkg/calc.py:3"
    assert report["counterexample"]["replayed"] is True


def test_equivalence_against_a_revision(make_repo):
    repo = make_repo(CODE)
    calc = repo / "pkg" / "calc.py"
    calc.write_text(calc.read_text().replace("return abs(x) + 1", "return abs(x) + 1 if x != 7 else 0"))
    done = suture(repo, "pkg.calc:score", "--against", "HEAD", "--json", "--time-limit", "30")
    assert done.returncode == 1, done.stderr
    report = one_json(done)
    assert report["mode"] == "equivalence" and report["verdict"] == "counterexample"
    assert report["counterexample"]["inputs"] == {"x": "7"}
    unchanged = suture(repo, "pkg/calc.py::double", "--mode", "equivalence", "--json", "--time-limit", "30")
    assert unchanged.returncode == 0 and one_json(unchanged)["verdict"] in ("no_counterexample_within_bound", "exhausted")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="replaying a C counterexample needs gcc")
def test_a_c_function_is_checked_through_the_harness_and_its_counterexample_replayed(make_repo):
    repo = make_repo(CODE)
    done = suture(repo, "fill.c::fill", "--json", "--time-limit", "60")
    report = one_json(done)
    assert done.returncode == 1 and report["verdict"] == "counterexample", report
    cx = report["counterexample"]
    assert cx["replayed"] is True and cx["location"] == "fill.c:3" and "bounds" in cx["message"]
    assert int(cx["inputs"]["n"]) == len(eval(cx["inputs"]["buf"]))  # the buffer has exactly n elements
    assert "inputs: buf: n elements; n in 0..4" in report["message"]
    fixed = suture(repo, "fill.c::fill_fixed", "--json", "--time-limit", "60")
    assert fixed.returncode == 0 and one_json(fixed)["verdict"] == "exhausted"


def test_equivalence_draws_the_types_the_tests_pass(make_repo):
    """`prices` has no annotation; the tests call total({"pen": 2, ...}), so the differential
    search draws dict[str, int] and finds the empty-string key the candidate drops. Without
    the tests' types it would draw ints, strings and lists, on which both versions fail alike."""
    repo = make_repo({
        "shop.py": """\
            def total(prices):
                return sum(prices.values())
            """,
        "tests/test_shop.py": """\
            from shop import total

            def test_total():
                assert total({"pen": 2, "ink": 3}) == 5
            """,
    })
    (repo / "shop.py").write_text("def total(prices):\n    return sum(v for k, v in prices.items() if k)\n")
    done = suture(repo, "shop.py::total", "--against", "HEAD", "--json", "--time-limit", "60")
    report = one_json(done)
    assert done.returncode == 1 and report["verdict"] == "counterexample", report
    assert "''" in report["counterexample"]["inputs"]["prices"] and report["counterexample"]["replayed"]
    assert "types from the tests' calls: prices: dict[str, int]" in json.dumps(report)


def test_no_exhaustive_claim_over_parameters_of_unknown_type(make_repo):
    """No annotation and no test call: CrossHair explores `prices` as a plain object only, which
    says nothing about dicts, so the verdict must not be `exhausted` (it used to be)."""
    repo = make_repo({"shop.py": "def subtotal(prices):\n    return sum(prices.values())\n"})
    (repo / "shop.py").write_text("def subtotal(prices):\n    return sum(v for k, v in prices.items() if k)\n")
    done = suture(repo, "shop.py::subtotal", "--against", "HEAD", "--json", "--time-limit", "60")
    report = one_json(done)
    assert report["verdict"] != "exhausted", report
    crosshair = next(run for run in report["runs"] if run["backend"] == "crosshair")
    assert crosshair["verdict"] == "no_counterexample_within_bound" and "plain objects" in crosshair["message"]


def test_c_file_and_unsupported_function(make_repo):
    repo = make_repo(CODE)
    c_file = suture(repo, "buf.c", "--json", "--time-limit", "30")
    assert c_file.returncode == 1 and one_json(c_file)["backend"] == "esbmc"
    io = suture(repo, "pkg/calc.py::slurp", "--json")
    assert io.returncode == 2 and one_json(io)["verdict"] == "unsupported"


@pytest.mark.parametrize("args, words", [
    (["pkg/missing.py::f"], "is not a file"),
    (["pkg/calc.py::nope"], "defines no function nope"),
    (["pkg/calc.py"], "name the function"),
    (["pkg/calc.py::score", "--against", "no-such-rev"], "is not a commit"),
    (["pkg/calc.py::score", "--mode", "proof"], "unknown --mode"),
])
def test_bad_input_is_one_sentence_and_exit_2(make_repo, args, words):
    repo = make_repo(CODE)
    done = suture(repo, *args, "--json")
    assert done.returncode == 2
    report = json.loads(done.stdout)  # the one JSON object, for errors too
    assert report["verdict"] == "error" and report["exit_code"] == 2 and words in report["error"]
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1


ITERATORS = {
    "seq.py": """\
        from itertools import takewhile


        def evens(n: int):
            for i in range(n % 40):
                yield i * 2


        def sliced(seq, n):
            return takewhile(len, (seq[i : i + n] for i in range(0, len(seq), max(n, 1))))


        class Box:
            def __init__(self, v):
                self.v = v


        def boxed(x: int):
            return Box(x + 1)
        """,
    "tests/test_seq.py": """\
        from seq import boxed, evens, sliced

        def test_seq():
            assert list(evens(3)) == [0, 2, 4]
            assert list(sliced([1, 2, 3], 2)) == [[1, 2], [3]]
            assert boxed(1).v == 2
        """,
}


@pytest.mark.parametrize("function", ["evens", "sliced", "boxed"])
def test_unchanged_iterators_and_plain_objects_are_no_counterexample(make_repo, function):
    """A generator, an itertools object and an instance without __eq__ are compared by what
    they yield and hold, not by identity (every unchanged function used to "differ")."""
    repo = make_repo(ITERATORS)
    done = suture(repo, f"seq.py::{function}", "--against", "HEAD", "--json", "--time-limit", "20")
    report = one_json(done)
    assert done.returncode == 0 and report["verdict"] in ("no_counterexample_within_bound", "exhausted"), report
    assert " at 0x" not in json.dumps(report)


def test_a_change_in_what_a_generator_yields_or_an_object_holds_is_a_counterexample(make_repo):
    repo = make_repo(ITERATORS)
    seq = repo / "seq.py"
    seq.write_text(seq.read_text().replace("yield i * 2", "yield i * 2 if i != 3 else 7")
                   .replace("return Box(x + 1)", "return Box(x + 1 if x != 5 else x)"))
    done = suture(repo, "seq.py::evens", "--against", "HEAD", "--json", "--time-limit", "20")
    report = one_json(done)
    assert done.returncode == 1 and report["verdict"] == "counterexample", report
    assert "iterator yielding [0, 2, 4, 6" in report["counterexample"]["expected"]
    assert "iterator yielding [0, 2, 4, 7" in report["counterexample"]["actual"]
    done = suture(repo, "seq.py::boxed", "--against", "HEAD", "--json", "--time-limit", "20")
    report = one_json(done)
    assert done.returncode == 1 and report["counterexample"]["inputs"] == {"x": "5"}, report
    assert "Box(v=6)" in report["message"] and "Box(v=5)" in report["message"]


TYPED_BY_TESTS = {
    "text.py": """\
        def greet(name):
            return "Hello, " + name + "!"


        def initial(name):
            return name[0]


        def divide(n, iterable):
            if n < 1:
                raise ValueError("n must be at least 1")
            seq = tuple(iterable)
            q, r = divmod(len(seq), n)
            out, stop = [], 0
            for i in range(1, n + 1):
                start = stop
                stop += q + 1 if i <= r else q
                out.append(seq[start:stop])
            return out


        def half(x):
            \"\"\"
            post: __return__ * 2 == x
            \"\"\"
            return x // 2
        """,
    "tests/test_text.py": """\
        from text import divide, greet, half, initial

        def test_text():
            assert greet("x") == "Hello, x!"
            assert initial("ab") == "a"
            assert divide(2, [1, 2, 3]) == [(1, 2), (3,)]
            assert half(4) == 2
        """,
}


@pytest.mark.parametrize("function", ["greet", "divide"])
def test_contracts_mode_draws_the_types_the_tests_pass(make_repo, function):
    """greet(0) and divide(1, 0) raise TypeError, but the tests only ever pass a str and a
    list: not a counterexample (it used to be one)."""
    repo = make_repo(TYPED_BY_TESTS)
    done = suture(repo, f"text.py::{function}", "--json", "--time-limit", "20")
    report = one_json(done)
    assert done.returncode == 0, report
    assert report["verdict"] in ("no_counterexample_within_bound", "exhausted")
    assert "types the tests pass" in report["message"]


def test_contracts_mode_still_finds_crashes_and_violations_of_those_types(make_repo):
    repo = make_repo(TYPED_BY_TESTS)
    done = suture(repo, "text.py::initial", "--json", "--time-limit", "20")
    report = one_json(done)
    assert done.returncode == 1 and report["counterexample"]["inputs"] == {"name": "''"}, report
    assert "IndexError" in report["message"]
    done = suture(repo, "text.py::half", "--json", "--time-limit", "20")  # a contract: checked with x an int
    report = one_json(done)
    assert done.returncode == 1 and report["verdict"] == "counterexample", report
    assert "false" in report["message"] and "TypeError" not in report["message"]
    assert int(report["counterexample"]["inputs"]["x"]) % 2 == 1


def test_a_multi_megabyte_module_gets_one_honest_verdict(make_repo):
    """A generated module of a few MB (bench/big_module.py; issue 14 measured 20 MB): the file is
    parsed once and compiled once for every child, the limit covers the whole run, and the
    answer is one JSON line whose verdict is the truth about `ratio` (it divides by b) or says
    plainly that the time ran out; never a crash, a traceback or a false claim."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from big_module import TARGET, module_text

    repo = make_repo({"huge.py": module_text(3.0), "tests/test_huge.py": (
        "from huge import ratio\n\n\ndef test_ratio():\n    assert ratio(6, 3) == 2.0\n")})
    done = suture(repo, f"huge.py::{TARGET}", "--json", "--time-limit", "60")
    report = one_json(done)
    assert done.returncode == {"counterexample": 1, "no_counterexample_within_bound": 0, "error": 3}[report["verdict"]]
    if report["verdict"] == "counterexample":
        assert report["counterexample"]["replayed"] and int(report["counterexample"]["inputs"]["b"]) == 0
        assert "ZeroDivisionError" in report["message"]
    else:  # only a very loaded machine runs out of time first, and then says so
        assert "limit" in report["message"], report
    assert "MemoryError" not in done.stdout + done.stderr
