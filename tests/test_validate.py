"""validate() on real git repos with real pytest runs in pooled scratch worktrees."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from conftest import git, init_repo, repo_snapshot

import suture.agent.gates.gatekeeper as gatekeeper_module
from suture.agent.gates.validate import Candidate, GateVerdict, changed_lines, validate
from suture.tools.edits import Edit
from suture.tools.testing.localize import localize
from suture.tools.testing.testrun import baseline
from suture.tools.git.workspace import MARKER, POOL_PREFIX, WorktreePool

CALC = '''\
    def add(a, b):
        return a - b


    def neg(x):
        return x


    def mul(a, b):
        return a * b


    def double(x):
        return mul(x, 2)
    '''

TESTS = '''\
    from calc import add, neg, mul, double


    def test_add():
        assert add(2, 3) == 5


    def test_neg():
        assert neg(4) == -4


    def test_mul():
        assert mul(2, 3) == 6


    def test_double():
        assert double(4) == 8


    def test_add_zero():
        assert add(0, 0) == 0
    '''

T = "tests/test_calc.py::"
FIX_ADD = Edit("calc.py", "return a - b", "return a + b")
FIX_NEG = Edit("calc.py", "def neg(x):\n    return x", "def neg(x):\n    return -x")


def snapshot(repo: Path) -> dict[str, object]:
    return repo_snapshot(repo, prune=True)


def own_pools(repo: Path) -> list[Path]:
    found = []
    for path in Path(tempfile.gettempdir()).glob(POOL_PREFIX + "*"):
        try:
            if json.loads((path / MARKER).read_text())["repo"] == str(repo.resolve()):
                found.append(path)
        except (OSError, ValueError, KeyError):
            continue
    return found


@pytest.fixture(scope="module")
def calc_baseline(tmp_path_factory):
    """The baseline of the calc repo, run once for the module. The tests read its failing, passing and
    flaky test names, the same for every fresh repo of the same files (its `run`, which holds this
    repo's scratch paths, is not read)."""
    repo = init_repo(tmp_path_factory.mktemp("calc-baseline") / "repo", {"calc.py": CALC, "tests/test_calc.py": TESTS})
    base = baseline(repo)
    assert sorted(base.failing) == [T + "test_add", T + "test_neg"]
    return base


@pytest.fixture
def calc(make_repo, calc_baseline):
    """A fresh calc repo for each test (validate makes scratch worktrees of it) and its baseline (a copy)."""
    return make_repo({"calc.py": CALC, "tests/test_calc.py": TESTS}), copy.deepcopy(calc_baseline)


def run(repo, base, candidates, **kwargs):
    return validate(
        candidates,
        repo=repo,
        baseline_failing=base.failing,
        baseline_passing=base.passing,
        flaky=kwargs.pop("flaky", base.flaky),
        **kwargs,
    )


def test_correct_candidate_is_accepted(calc):
    repo, base = calc
    (verdict,) = run(repo, base, [Candidate("fix", [FIX_ADD, FIX_NEG], "rules", "fix add and neg")])
    assert verdict.accepted, verdict.message
    assert verdict.stage == "suite"
    assert verdict.fixed == [T + "test_add", T + "test_neg"]
    assert verdict.still_failing == [] and verdict.regressions == []
    assert [r.status.name for r in verdict.edit_results] == ["APPLIED", "APPLIED"]
    assert "-    return a - b\n+    return a + b" in verdict.patch
    assert verdict.diff_lines == 4
    assert sorted(verdict.changed_symbols) == ["calc.py::add", "calc.py::neg"]
    # The patch is made against the base commit: it applies there.
    check = subprocess.run(["git", "apply", "--check", "-"], cwd=repo, input=verdict.patch, text=True)
    assert check.returncode == 0


def test_candidate_that_breaks_another_test_names_the_regression(calc):
    repo, base = calc
    breaks_mul = Edit("calc.py", "return a * b", "return a * b + 1")
    (verdict,) = run(repo, base, [Candidate("c1", [FIX_ADD, FIX_NEG, breaks_mul])])
    assert not verdict.accepted
    assert verdict.regressions == [T + "test_double", T + "test_mul"]
    assert verdict.fixed == [T + "test_add", T + "test_neg"]
    assert "breaks 2 test(s)" in verdict.message and T + "test_mul" in verdict.message


def test_candidate_fixing_half_is_rejected_with_still_failing(calc):
    repo, base = calc
    (verdict,) = run(repo, base, [Candidate("half", [FIX_ADD])])
    assert not verdict.accepted
    assert verdict.stage == "selected"  # the failing tests run first and already decide
    assert verdict.fixed == [T + "test_add"]
    assert verdict.still_failing == [T + "test_neg"]
    assert verdict.regressions == []
    assert "still failing: " + T + "test_neg" in verdict.message


def test_syntax_breaking_candidate_stops_at_parse(calc):
    repo, base = calc
    (verdict,) = run(repo, base, [Candidate("broken", [Edit("calc.py", "return a - b", "return a + (b")])])
    assert not verdict.accepted and verdict.stage == "parse"
    assert verdict.edit_results[0].status.name == "NEW_SYNTAX_ERROR"
    assert verdict.patch == "" and verdict.selected_tests == []


def test_edit_not_found_stops_at_edit(calc):
    repo, base = calc
    (verdict,) = run(repo, base, [Candidate("nf", [FIX_ADD, Edit("calc.py", "return x * 3", "return x * 4")])])
    assert not verdict.accepted and verdict.stage == "edit"
    assert verdict.edit_results[1].status.name == "NOT_FOUND"
    assert "calc.py" in verdict.message


def test_infinite_loop_is_rejected_by_the_per_test_timeout(calc):
    repo, base = calc
    loop = Edit("calc.py", "def neg(x):\n    return x", "def neg(x):\n    while True:\n        pass")
    (verdict,) = run(repo, base, [Candidate("loop", [FIX_ADD, loop])], per_test_timeout=1)
    assert not verdict.accepted and verdict.stage == "selected"
    assert verdict.still_failing == [T + "test_neg"]
    assert "timed out" in verdict.message


def test_hang_is_rejected_at_the_candidate_time_limit(calc):
    repo, base = calc
    loop = Edit("calc.py", "def neg(x):\n    return x", "def neg(x):\n    while True:\n        pass")
    verdicts = run(
        repo, base, [Candidate("loop", [FIX_ADD, loop]), Candidate("fix", [FIX_ADD, FIX_NEG])],
        # The hang busy-loops until the limit; the good candidate needs ~2 s of it at load 12 (6 s: was 12).
        per_test_timeout=None, candidate_time_limit=6, workers=1,
    )
    assert not verdicts[0].accepted and "time limit" in verdicts[0].message
    assert T + "test_neg" in verdicts[0].still_failing
    assert verdicts[1].accepted  # the tree was reset after the hang; the next candidate is fine


def test_overall_time_limit_skips_what_did_not_start(calc):
    repo, base = calc
    candidates = [Candidate(f"c{i}", [FIX_ADD, FIX_NEG]) for i in range(3)]
    verdicts = run(repo, base, candidates, time_limit=0, workers=1)
    assert [v.stage for v in verdicts] == ["skipped"] * 3
    assert all("overall time limit" in v.message for v in verdicts)


def test_comment_only_difference_is_validated_once(calc, monkeypatch):
    repo, base = calc
    calls = []
    real = gatekeeper_module.run_tests

    def counting(tree, **kwargs):
        calls.append((kwargs.get("nodeids"), kwargs.get("warm")))
        return real(tree, **kwargs)

    monkeypatch.setattr(gatekeeper_module, "run_tests", counting)
    plain = Candidate("plain", [FIX_ADD, FIX_NEG])
    commented = Candidate(
        "commented", [Edit("calc.py", "return a - b", "return a + b  # the sum, not the difference"), FIX_NEG]
    )
    seen: list[GateVerdict] = []
    verdicts = run(repo, base, [plain, commented], workers=2, on_verdict=seen.append)
    # One candidate: its selected tests and its suite forked from a warm pytest, then the
    # accepting verdict confirmed by the whole suite in a fresh process.
    assert calls == [(sorted(calls[0][0]), True), ((), True), ((), False)]
    first, second = sorted(verdicts, key=lambda v: v.duplicate_of is not None)
    assert first.accepted and second.accepted
    assert second.duplicate_of == first.candidate_id
    assert first.normalized_key == second.normalized_key
    assert second.patch != first.patch
    assert "same code as candidate" in second.message
    assert sorted(v.candidate_id for v in seen) == ["commented", "plain"]


FLAKY_TESTS = '''\
    from calc import add, neg, mul, double
    from pathlib import Path

    COUNTER = Path({counter!r})


    def test_add():
        assert add(2, 3) == 5


    def test_neg():
        assert neg(4) == -4


    def test_mul():
        assert mul(2, 3) == 6


    def test_toggles():
        # fails on every other run: the counter file lives outside every tree
        n = int(COUNTER.read_text()) + 1
        COUNTER.write_text(str(n))
        assert n % 2 == 0
    '''


def test_flaky_tests_are_left_out_and_reported(make_repo, tmp_path):
    counter = tmp_path / "counter"
    counter.write_text("0")
    repo = make_repo({"calc.py": CALC, "tests/test_calc.py": FLAKY_TESTS.format(counter=str(counter))})
    base = baseline(repo)  # run 1 fails, the re-run passes: flaky at the base commit
    assert base.flaky == [T + "test_toggles"]
    (verdict,) = run(repo, base, [Candidate("fix", [FIX_ADD, FIX_NEG])])
    assert verdict.accepted, verdict.message
    assert verdict.flaky == [T + "test_toggles"]
    assert T + "test_toggles" not in verdict.regressions + verdict.still_failing


def test_a_test_failing_once_in_a_candidate_is_flaky_not_a_regression(make_repo, tmp_path):
    counter = tmp_path / "counter"
    counter.write_text("1")  # even runs pass: the baseline run passes
    repo = make_repo({"calc.py": CALC, "tests/test_calc.py": FLAKY_TESTS.format(counter=str(counter))})
    base = baseline(repo)
    assert T + "test_toggles" in base.passing and base.flaky == []
    # Now the suite run fails it once, the confirming re-run passes.
    (verdict,) = run(repo, base, [Candidate("fix", [FIX_ADD, FIX_NEG])])
    assert verdict.accepted, verdict.message
    assert verdict.flaky == [T + "test_toggles"] and verdict.regressions == []


def test_two_workers_give_the_same_verdicts_as_one(calc):
    repo, base = calc
    candidates = [
        Candidate("fix", [FIX_ADD, FIX_NEG]),
        Candidate("half", [FIX_ADD]),
        Candidate("breaks", [FIX_ADD, FIX_NEG, Edit("calc.py", "return mul(x, 2)", "return mul(x, 3)")]),
        Candidate("parse", [Edit("calc.py", "return a - b", "return a +")]),
        Candidate("nf", [Edit("calc.py", "no such text", "x")]),
    ]

    def essence(verdicts):
        return [(v.candidate_id, v.accepted, v.stage, v.fixed, v.still_failing, v.regressions, v.patch) for v in verdicts]

    one = run(repo, base, candidates, workers=1)
    two = run(repo, base, candidates, workers=2)
    assert essence(one) == essence(two)
    assert [v.accepted for v in one] == [True, False, False, False, False]
    assert one[2].regressions == [T + "test_double"]


def test_selected_tests_come_from_the_spectra(calc):
    repo, base = calc
    found = localize(repo)
    breaks_double = Edit("calc.py", "return mul(x, 2)", "return mul(x, 3)")
    (verdict,) = run(repo, base, [Candidate("d", [FIX_ADD, breaks_double])], spectra=found.spectra)
    # The failing tests + the tests that ran add() or double(): not test_mul, test_neg is failing anyway.
    assert verdict.selected_tests == sorted([T + "test_add", T + "test_add_zero", T + "test_double", T + "test_neg"])
    assert verdict.stage == "selected" and T + "test_double" in verdict.regressions


def test_verifier_hook_sees_the_changed_functions_and_can_reject(calc):
    repo, base = calc
    seen = []

    def verifier(tree, symbols):
        seen.append((tree, sorted(s.qualname for s in symbols)))
        return ("counterexample", "add(1, 1) returned 3") if "+ 1" in (tree / "calc.py").read_text() else ("exhausted", "")

    good = Candidate("good", [FIX_ADD, FIX_NEG])
    odd = Candidate("odd", [Edit("calc.py", "return a - b", "return a + b if a != 1 else a + b + 1"), FIX_NEG])
    verdicts = run(repo, base, [good, odd], verifier=verifier, workers=1)
    assert verdicts[0].accepted and verdicts[0].verifier == "exhausted" and verdicts[0].stage == "verifier"
    assert not verdicts[1].accepted and verdicts[1].stage == "verifier"
    assert "counterexample" in verdicts[1].message
    assert [names for _, names in seen] == [["add", "neg"], ["add", "neg"]]


def test_the_users_repo_is_unchanged(calc):
    repo, base = calc
    git(repo, "branch", "feature")
    (repo / "calc.py").write_text("def add(a, b):\n    return 42  # stashed work\n")
    git(repo, "stash")
    (repo / "calc.py").write_text("# the user's uncommitted edit\n" + (repo / "calc.py").read_text())
    (repo / "notes.txt").write_text("untracked\n")
    git(repo, "add", "notes.txt")
    (repo / "scratch.txt").write_text("untracked too\n")
    before = snapshot(repo)
    candidates = [
        Candidate("fix", [FIX_ADD, FIX_NEG]),
        Candidate("half", [FIX_ADD]),
        Candidate("parse", [Edit("calc.py", "return a - b", "return (")]),
    ]
    verdicts = run(repo, base, candidates)
    assert [v.accepted for v in verdicts] == [True, False, False]
    assert snapshot(repo) == before
    assert not own_pools(repo)


def test_changed_lines_of_a_patch():
    patch = textwrap.dedent(
        """\
        diff --git a/m.py b/m.py
        index 1..2 100644
        --- a/m.py
        +++ b/m.py
        @@ -3,2 +3,3 @@ def f():
             x = 1
        -    return x
        +    y = 2
        +    return x + y
        @@ -10,0 +12,1 @@
        +# new
        diff --git a/gone.py b/gone.py
        deleted file mode 100644
        --- a/gone.py
        +++ /dev/null
        @@ -1 +0,0 @@
        -x = 1
        """
    )
    m, gone = changed_lines(patch)
    assert (m.old_path, m.new_path) == ("m.py", "m.py")
    assert m.old_lines == {4, 10, 11}
    assert m.new_lines == {3, 4, 5, 12}
    assert (gone.old_path, gone.new_path, gone.old_lines) == ("gone.py", None, {1})


DRIVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from suture.agent.gates.validate import Candidate, validate
    from suture.tools.edits import Edit

    repo, marker = Path(sys.argv[1]), sys.argv[2]
    def slow(seconds):
        return (
            "def add(a, b):\\n"
            "    import os, time\\n"
            f"    open({marker!r} + '.' + str(os.getpid()), 'w').close()\\n"
            f"    time.sleep({seconds})\\n"
            "    return a + b"
        )
    # Different code each (identical candidates would be validated once).
    candidates = [Candidate(f"slow{i}", [Edit("calc.py", "def add(a, b):\\n    return a - b", slow(120 + i))])
                  for i in range(4)]
    validate(candidates, repo=repo, baseline_failing=["tests/test_calc.py::test_add"],
             baseline_passing=["tests/test_calc.py::test_mul"], flaky=[], workers=2)
    """
)


def started_tests(marker: Path, count: int, proc: subprocess.Popen) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = [int(p.name.rsplit(".", 1)[1]) for p in marker.parent.glob(marker.name + ".*")]
        if len(pids) >= count:
            return pids
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.1)
    raise AssertionError("the slow candidates' tests never started")


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def wait_gone(pids: list[int]) -> bool:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if all(gone(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_killing_suture_mid_validation_leaves_the_repo_as_it_was(calc, tmp_path, sig):
    repo, _ = calc
    (repo / "calc.py").write_text((repo / "calc.py").read_text() + "# uncommitted\n")
    (repo / "untracked.txt").write_text("mine\n")
    git(repo, "branch", "feature")
    before = snapshot(repo)
    marker = tmp_path / "started"
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(repo), str(marker)], stderr=subprocess.PIPE, text=True
    )
    pids = started_tests(marker, 2, proc)  # both workers are inside a slow test
    assert len(own_pools(repo)) == 1
    proc.send_signal(sig)
    proc.wait(60)
    if sig == signal.SIGKILL:
        # Nothing could clean up; the next suture does, when it makes its pool.
        assert len(own_pools(repo)) == 1
        with WorktreePool(repo, size=1):
            pass
    assert wait_gone(pids), "a test process of the killed run is still alive"
    assert not own_pools(repo)
    assert "suture-pool-" not in git(repo, "worktree", "list")
    assert snapshot(repo) == before


WARM_SENSITIVE_TESTS = '''\
    import os
    import sys

    import pytest

    from calc import add

    # A warm gate's pytest runs in a child forked from suture's server, whose __main__ is that
    # server; the baseline ran in a fresh `python -m pytest`. These tests see the difference.
    MAIN = os.path.basename(getattr(sys.modules["__main__"], "__file__", "") or "")


    def test_add():
        assert add(2, 3) == 5


    def test_fresh_process_only():
        assert MAIN == "__main__.py"


    @pytest.mark.parametrize("main", [object()], ids=[MAIN])
    def test_id_named_by_the_process(main):
        assert main


    if MAIN == "__main__.py":

        def test_defined_in_a_fresh_process_only():
            assert True
    '''


def test_a_test_failing_only_in_the_warm_run_is_overturned_not_a_regression(make_repo):
    repo = make_repo({"calc.py": CALC, "tests/test_calc.py": WARM_SENSITIVE_TESTS})
    base = baseline(repo)
    assert base.failing == [T + "test_add"]
    assert sorted(base.passing) == [T + "test_defined_in_a_fresh_process_only", T + "test_fresh_process_only",
                                    T + "test_id_named_by_the_process[__main__.py]"]
    (verdict,) = run(repo, base, [Candidate("fix", [FIX_ADD])])
    assert verdict.accepted, verdict.message
    assert verdict.regressions == []
    # Each gate's warm run failed, renamed or lost one of them; a fresh run as the baseline's found it passing.
    assert verdict.overturned == sorted(base.passing)
    assert "as the baseline ran them" in verdict.message


def test_a_selected_regression_that_passes_at_the_base_in_the_warm_run_needs_no_fresh_process(calc, monkeypatch):
    # test_double passes at the base in this selection, forked from the same warm pytest, and fails
    # twice with the patch: the patch's doing. No fresh pytest is started to say so again.
    repo, base = calc
    found = localize(repo)
    warm_flags = []
    real = gatekeeper_module.run_tests

    def spy(*args, **kwargs):
        warm_flags.append(kwargs["warm"])
        return real(*args, **kwargs)

    monkeypatch.setattr(gatekeeper_module, "run_tests", spy)
    breaks_double = Edit("calc.py", "return mul(x, 2)", "return mul(x, 3)")
    (verdict,) = run(repo, base, [Candidate("d", [FIX_ADD, FIX_NEG, breaks_double])], spectra=found.spectra)
    assert not verdict.accepted and verdict.stage == "selected"
    assert verdict.fixed == [T + "test_add", T + "test_neg"]
    assert verdict.regressions == [T + "test_double"] and verdict.overturned == []
    # The selected run, the re-run of test_double and the selection at the base: three forks, no fresh run.
    assert warm_flags == [True, True, True]


WARM_SENSITIVE_ADD = '''\
    import os
    import sys

    from calc import add

    MAIN = os.path.basename(getattr(sys.modules["__main__"], "__file__", "") or "")


    def test_add():
        assert add(2, 3) == 5


    def test_add_in_a_fresh_process_only():
        assert add(1, 0) == 1 and MAIN == "__main__.py"
    '''


def test_a_selected_test_failing_warm_at_the_base_too_is_still_judged_in_a_fresh_process(make_repo):
    # The same selection fails at the base when forked (the conditions, not the patch): the fresh
    # re-run decides, and finds it passing as the baseline ran it.
    repo = make_repo({"calc.py": CALC, "tests/test_calc.py": WARM_SENSITIVE_ADD})
    found = localize(repo)
    base = baseline(repo)
    assert base.failing == [T + "test_add"] and base.passing == [T + "test_add_in_a_fresh_process_only"]
    (verdict,) = run(repo, base, [Candidate("fix", [FIX_ADD])], spectra=found.spectra)
    assert verdict.accepted, verdict.message
    assert verdict.selected_tests == [T + "test_add", T + "test_add_in_a_fresh_process_only"]
    assert verdict.regressions == [] and verdict.overturned == [T + "test_add_in_a_fresh_process_only"]


def test_the_selected_tests_stop_at_the_first_hang(calc, monkeypatch):
    # mul loops: test_double and test_mul both reach it. The selected run stops at the first hang, which
    # rejects the candidate; the second, which would cost another whole limit, is not run, and no fresh
    # re-run is made for the tests left out.
    repo, base = calc
    runs = []
    real = gatekeeper_module.run_tests

    def counting(tree, **kwargs):
        done = real(tree, **kwargs)
        runs.append((kwargs.get("nodeids"), sorted(done.outcomes)))
        return done

    monkeypatch.setattr(gatekeeper_module, "run_tests", counting)
    loop = Edit("calc.py", "return a * b", "while True:\n        pass")
    found = localize(repo)
    runs.clear()
    (verdict,) = run(repo, base, [Candidate("loop", [FIX_ADD, FIX_NEG, loop])], per_test_timeout=1,
                     spectra=found.spectra)
    assert not verdict.accepted and verdict.stage == "selected"
    # The selection runs in node-id order: test_double hangs first; test_mul and test_neg are not run.
    assert verdict.regressions == [T + "test_double"] and "timed out" in verdict.message
    assert verdict.fixed == [T + "test_add"] and verdict.still_failing == [T + "test_neg"]
    assert "test_neg (not run: stopped at a hang)" in verdict.message
    (selected, reported), = runs
    assert T + "test_mul" in selected and T + "test_mul" not in reported
