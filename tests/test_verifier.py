"""The bounded verifier on real CrossHair, real Hypothesis and real ESBMC.

Every counterexample asserted here was replayed in CPython by the verifier itself;
the tests also check the other direction: what CPython does not reproduce never
becomes a counterexample.
"""

from __future__ import annotations

import ast
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import git
from suture.tools.verify import crosshair_backend
from suture.tools.verify import esbmc_backend
from suture.tools.verify import hypothesis_backend
from suture.tools.verify.counterexample import replay, write_pytest_test
from suture.tools.verify.verifier import Target, find_function, side_effects, verify

NO_COUNTEREXAMPLE = ("no_counterexample_within_bound", "exhausted")

CONTRACTS = '''\
    import math


    def double(x: int) -> int:
        """
        pre: x >= 0
        post: __return__ > x
        """
        return x * 2


    def safe_double(x: int) -> int:
        """
        pre: x >= 1
        post: __return__ > x
        """
        return x * 2


    def pick(x: int, y: int) -> int:
        if x > 10 and y == x + 3:
            return [1, 2][x]
        return x + y


    def checked(x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return x


    def total(xs: list[int]) -> int:
        result = 0
        for x in xs:
            result += x
        return result


    def read_config(path: str) -> str:
        with open(path) as fh:
            return fh.read()


    def successor(a: int) -> int:
        assert a + 1 > a
        return a + 1
    '''


def test_contract_violation_is_a_replayed_counterexample_and_becomes_a_failing_test(make_repo, tmp_path):
    repo = make_repo({"calc.py": CONTRACTS})
    target = Target(repo, "calc.py", "double")
    verdict = verify(target, "contracts", time_limit=20, backends=("crosshair",))
    assert verdict.verdict == "counterexample"
    assert verdict.backend == "crosshair"
    cx = verdict.counterexample
    assert cx.replayed and cx.inputs == {"x": "0"}
    assert "__return__ > x" in cx.message and cx.location == "calc.py:7"

    result = replay(target, cx.inputs)
    test_file = write_pytest_test(target, cx.inputs, result, repo / "tests" / "test_cx_double.py")
    ast.parse(test_file.read_text())
    ran = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
                         cwd=tmp_path, capture_output=True, text=True)
    assert ran.returncode == 1, ran.stdout
    assert "postcondition __return__ > x" in ran.stdout


def test_correct_contract_has_no_counterexample(make_repo):
    repo = make_repo({"calc.py": CONTRACTS})
    verdict = verify(Target(repo, "calc.py", "safe_double"), "contracts", time_limit=20, backends=("crosshair",))
    assert verdict.verdict in NO_COUNTEREXAMPLE
    assert verdict.counterexample is None and "verified" not in verdict.message


def test_a_loop_over_a_list_is_only_checked_within_the_bound(make_repo):
    repo = make_repo({"calc.py": CONTRACTS})
    verdict = verify(Target(repo, "calc.py", "total"), "contracts", bound=3, time_limit=15, backends=("crosshair",))
    assert verdict.verdict == "no_counterexample_within_bound"
    assert verdict.bound == 3 and verdict.bound_kind == "max_uninteresting_iterations"


def test_undocumented_crash_is_found_and_a_deliberate_raise_is_not(make_repo):
    repo = make_repo({"calc.py": CONTRACTS})
    crash = crosshair_backend.check(Target(repo, "calc.py", "pick"), time_limit=15)
    assert crash.verdict == "counterexample"
    assert crash.counterexample.message.startswith("IndexError")
    assert crash.counterexample.location == "calc.py:22"
    assert ast.literal_eval(crash.counterexample.inputs["y"]) == ast.literal_eval(crash.counterexample.inputs["x"]) + 3

    deliberate = crosshair_backend.check(Target(repo, "calc.py", "checked"), time_limit=15)
    assert deliberate.verdict in NO_COUNTEREXAMPLE


CONDITIONAL_DEFS = """\
    import sys

    try:
        from math import no_such_function as scaled
    except ImportError:
        def scaled(x: int) -> int:
            return [0, 1, 2][x] * 2

    if sys.version_info >= (3, 0):
        def pick_live(x: int) -> int:
            return x + 1
    else:
        def pick_live(x: int) -> int:
            return [0][x]

    if UNKNOWN_FLAG if "UNKNOWN_FLAG" in dir() else False:
        def either(x: int) -> int:
            return x
    else:
        def either(x: int) -> int:
            return -x
    """


def test_a_function_defined_in_a_module_level_try_or_if_block_is_found(make_repo):
    """more_itertools defines dl_mul inside `try: from math import sumprod / except ImportError:`."""
    repo = make_repo({"cond.py": CONDITIONAL_DEFS})
    crash = verify(Target(repo, "cond.py", "scaled"), "contracts", time_limit=20, backends=("crosshair",))
    assert crash.verdict == "counterexample", crash.message
    assert crash.counterexample.message.startswith("IndexError")
    # The live branch of a version test is the one checked: the dead one would crash.
    live = verify(Target(repo, "cond.py", "pick_live"), "contracts", time_limit=20, backends=("crosshair",))
    assert live.verdict in NO_COUNTEREXAMPLE, live.message
    tree = ast.parse(textwrap.dedent(CONDITIONAL_DEFS))
    # A test it cannot decide: the first definition in source order.
    assert ast.unparse(find_function(tree, "either").body[0]) == "return x"
    assert find_function(tree, "missing") is None


def test_file_io_is_unsupported_not_a_crash(make_repo):
    repo = make_repo({"calc.py": CONTRACTS})
    target = Target(repo, "calc.py", "read_config")
    assert verify(target, "contracts", time_limit=10).verdict == "unsupported"
    # The backend itself refuses too (CrossHair alone would report FileNotFoundError('') as a crash).
    direct = crosshair_backend.check(target, time_limit=10)
    assert direct.verdict == "unsupported" and "open" in direct.message


def test_side_effect_scan():
    source = '''\
import time
import random as rnd
from os import remove
from pathlib import Path


def clock():
    return time.time()


def chance():
    return rnd.random()


def delete(p):
    remove(p)


def via_helper(p):
    return helper(p)


def helper(p):
    return Path(p).read_text()


def pure(xs, sep="/"):
    import os.path
    return os.path.join(*xs) + sep + str(sorted(xs))
'''
    assert side_effects(source, "clock") == ["line 8: time.time(...)"]
    assert side_effects(source, "chance") == ["line 12: rnd.random(...)"]
    assert side_effects(source, "delete") == ["line 16: remove(...)"]
    assert side_effects(source, "via_helper") == ["line 24: Path(p).read_text(...)"]
    assert side_effects(source, "pure") == []
    buffered = "import io\nfrom io import StringIO\n\ndef render(xs):\n    out = StringIO()\n    raw = io.BytesIO(b'')\n" \
               "    out.write(','.join(xs))\n    return out.getvalue(), raw.read()\n\ndef opened(p):\n    return io.open(p).read()\n"
    assert side_effects(buffered, "render") == []  # an in-memory buffer is no file
    assert side_effects(buffered, "opened") == ["line 11: io.open(...)"]


def test_invocation_parsing_is_not_fooled_by_brackets_in_strings():
    message = "ValueError: bad ) value when calling f('a)b', [1, (2)], c={'k': ')'}) (which returns 3)"
    assert crosshair_backend.invocation_inputs(message, "f", ["a", "b", "c"]) == {
        "a": "'a)b'", "b": "[1, (2)]", "c": "{'k': ')'}"}
    assert crosshair_backend.invocation_inputs("false when calling g(1)", "f", ["a"]) is None


EQUIV_BASE = '''\
    def clamp(x: int, lo: int, hi: int) -> int:
        if x < lo:
            return lo
        if x > hi:
            return hi
        return x


    def mean(xs: list[float]) -> float:
        if not xs:
            return 0.0
        return sum(xs) / len(xs)


    def push(xs: list[int], v: int) -> list[int]:
        xs.append(v)
        return xs


    def score(x: int) -> int:
        return abs(x) + 1
    '''

EQUIV_CANDIDATE = '''\
    def clamp(x: int, lo: int, hi: int) -> int:
        return max(lo, min(x, hi)) if lo <= hi else (lo if x < lo else hi if x > hi else x)


    def mean(xs: list[float]) -> float:
        if not xs:
            return 0.0
        return sum(x / len(xs) for x in xs)


    def push(xs: list[int], v: int) -> list[int]:
        return xs + [v]


    def score(x: int) -> int:
        return 0 if x == 7 else abs(x) + 1
    '''


@pytest.fixture
def equiv_repo(make_repo):
    import textwrap

    repo = make_repo({"lib/__init__.py": "", "lib/calc.py": EQUIV_BASE})
    (repo / "lib" / "calc.py").write_text(textwrap.dedent(EQUIV_CANDIDATE))
    return repo


def _target(repo: Path, func: str) -> Target:
    base = git(repo, "show", "HEAD:lib/calc.py")
    return Target(repo, "lib/calc.py", func, base)


def test_equivalent_rewrite_has_no_counterexample(equiv_repo):
    verdict = verify(_target(equiv_repo, "clamp"), "equivalence", time_limit=30)
    assert verdict.verdict in NO_COUNTEREXAMPLE, verdict.message
    assert [run.backend for run in verdict.runs] == ["hypothesis", "crosshair"]
    assert verdict.runs[0].iterations == hypothesis_backend.DEFAULT_BOUND


def test_float_rounding_difference_depends_on_the_declared_policy(equiv_repo):
    target = _target(equiv_repo, "mean")
    exact = hypothesis_backend.differential(target, time_limit=20, float_policy="exact")
    assert exact.verdict == "counterexample" and exact.counterexample.replayed
    assert exact.counterexample.expected != exact.counterexample.actual
    # The rounding difference exact found is none under isclose...
    again = replay(target, exact.counterexample.inputs, kind="equivalence", float_policy="isclose")
    assert again.status == "not_reproduced", again
    # ...and all isclose may still find is a real one: the base's sum overflows to inf, the candidate's does not.
    close = hypothesis_backend.differential(target, time_limit=20, float_policy="isclose")
    assert close.verdict == "no_counterexample_within_bound" or "returns inf" in close.counterexample.message, close


def test_mutated_argument_difference_becomes_a_test_that_fails_on_the_candidate_only(equiv_repo, tmp_path):
    target = _target(equiv_repo, "push")
    verdict = hypothesis_backend.differential(target, time_limit=20)
    assert verdict.verdict == "counterexample"
    assert "argument xs differs" in verdict.counterexample.message

    result = replay(target, verdict.counterexample.inputs, kind="equivalence")
    test_file = write_pytest_test(target, verdict.counterexample.inputs, result,
                                  equiv_repo / "tests" / "test_push_matches_base.py", kind="equivalence")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)]
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode == 1
    git(equiv_repo, "checkout", "--", "lib/calc.py")  # back to the base: the test passes there
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode == 0


def test_a_generator_difference_becomes_a_test_that_fails_on_the_candidate_only(make_repo, tmp_path):
    repo = make_repo({"gen.py": "def evens(n: int):\n    for i in range(n % 40):\n        yield i * 2\n"})
    (repo / "gen.py").write_text("def evens(n: int):\n    for i in range(n % 40):\n        yield i * 2 if i != 3 else 7\n")
    target = Target(repo, "gen.py", "evens", git(repo, "show", "HEAD:gen.py"))
    verdict = hypothesis_backend.differential(target, time_limit=20)
    assert verdict.verdict == "counterexample" and "iterator yielding" in verdict.counterexample.message
    result = replay(target, verdict.counterexample.inputs, kind="equivalence")
    assert result.expected_value.startswith("iter([0, 2, 4, 6")
    test_file = write_pytest_test(target, verdict.counterexample.inputs, result, repo / "tests" / "test_evens.py",
                                  kind="equivalence")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)]
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode == 1
    git(repo, "checkout", "--", "gen.py")
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode == 0


def test_portfolio_catches_an_integer_edge_case(equiv_repo):
    verdict = verify(_target(equiv_repo, "score"), "equivalence", time_limit=30)
    assert verdict.verdict == "counterexample"
    assert verdict.counterexample.inputs == {"x": "7"}
    assert verdict.counterexample.expected == "returns 8" and verdict.counterexample.actual == "returns 0"


def test_a_function_new_since_the_base_is_unsupported_for_equivalence(equiv_repo):
    target = Target(equiv_repo, "lib/calc.py", "score", base_source="")
    assert verify(target, "equivalence", time_limit=5).verdict == "unsupported"


# ---------------------------------------------------------------- ESBMC

OOB_C = """\
    int fill(int n) {
      int a[4];
      for (int i = 0; i <= n && i <= 4; i++)
        a[i] = i;
      return a[0];
    }
    int main(void) { int n; return fill(n); }
    """

SAFE_C = OOB_C.replace("i <= 4", "i < 4")


def test_esbmc_self_test_passes_on_the_bundled_binary():
    binary = esbmc_backend.locate_esbmc()
    assert binary is not None
    trusted, why = esbmc_backend.self_test(binary)
    assert trusted, why


def test_c_out_of_bounds_write_is_a_counterexample_and_the_fix_is_exhausted(make_repo):
    repo = make_repo({"buf.c": OOB_C, "safe.c": SAFE_C, "broken.c": "int main(void) { int x = ; }\n"})
    found = verify(Target(repo, "buf.c"), time_limit=30)
    assert found.verdict == "counterexample" and found.backend == "esbmc"
    assert "array bounds violated" in found.counterexample.message
    assert found.counterexample.location == "buf.c:4" and not found.counterexample.replayed
    assert verify(Target(repo, "safe.c"), time_limit=30).verdict == "exhausted"
    broken = verify(Target(repo, "broken.c"), time_limit=30)
    assert broken.verdict == "error" and "does not compile" in broken.message


def test_esbmc_64_bit_overflow_is_an_artefact_not_a_bug(make_repo):
    repo = make_repo({"calc.py": CONTRACTS})
    # The claim is how the overflow is classified, not how fast: a limit a slow machine cannot miss
    # (at load 16 on two cores ESBMC had not reached it in 30 s; idle it stops in seconds).
    verdict = esbmc_backend.check_python(Target(repo, "calc.py", "successor"), time_limit=120)
    assert verdict.verdict == "no_counterexample_within_bound"
    assert len(verdict.artefacts) == 1
    assert "9223372036854775807" in verdict.artefacts[0] and "not_reproduced" in verdict.artefacts[0]


def test_an_esbmc_that_fails_its_self_test_is_not_trusted(make_repo, tmp_path, monkeypatch):
    # A checker that proves everything: on PATH, so it is found before the bundled one.
    fake = tmp_path / "bin" / "esbmc"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'VERIFICATION SUCCESSFUL' >&2\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    assert esbmc_backend.locate_esbmc() == str(fake)
    repo = make_repo({"buf.c": OOB_C})
    verdict = verify(Target(repo, "buf.c"), time_limit=10)
    assert verdict.verdict == "error" and "self-test" in verdict.message


def test_a_function_that_eats_memory_gets_a_verdict_not_the_machines_memory(tmp_path):
    """The verifier's children run under a memory cap (4 GiB, RLIMIT_DATA): a 6 GB allocation, which
    Linux would grant lazily without it, fails inside the child with MemoryError, and both
    versions failing alike is a verdict like any other."""
    from suture.tools.verify import verifier

    module = tmp_path / "hog.py"
    module.write_text("def hog(n: int) -> int:\n    return len(bytearray(6 * 10**9)) + n\n")
    target = Target(tmp_path, "hog.py", "hog", module.read_text())
    verdict = verify(target, "equivalence", time_limit=30, backends=("hypothesis",))
    assert verdict.verdict == "no_counterexample_within_bound", verdict
    # The cap itself: the same allocation in a bounded child is a MemoryError, not a kill.
    done = verifier.run_bounded([sys.executable, "-c", "bytearray(6 * 10**9)"], cwd=tmp_path, time_limit=30)
    assert done.returncode == 1 and "MemoryError" in done.stderr
