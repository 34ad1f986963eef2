"""`suture verify` as a script sees it: one JSON line on stdout, the documented exit codes, no tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from suture.agent.verify import parse_target

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


def suture(repo, *args):
    done = subprocess.run([sys.executable, "-m", "suture.agent.cli", "verify", *args, "--repo", str(repo)],
                          capture_output=True, text=True, timeout=120)
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
    done = suture(repo, "pkg/calc.py::double", "--json", "--time-limit", "20")
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
