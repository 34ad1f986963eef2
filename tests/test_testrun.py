"""The test runner on real git repositories running real pytest in scratch worktrees."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from conftest import git, repo_snapshot

from suture.tools.testing.testrun import (
    Frame,
    TestRunError,
    baseline,
    detect_test_command,
    is_pytest_command,
    run_tests,
)
from suture.tools.git.worktree import WorkspaceError, scratch_worktree

# Per-test timeouts are kept tiny so the suite stays fast; nothing here asserts a timing.
QUICK = 2.0


def run_past_the_stuck_test(repo, reached, **options):
    """run_tests with only an outer limit, long enough for this machine to reach the stuck test.

    The limit must stop the run inside the stuck test, so it is short; on a loaded machine
    pytest may not even start within it, which says nothing about the runner. `reached()`
    tells (from a file the tests write, not from suture's results) whether the run got there;
    if it did not, the run is repeated with four times the limit.
    """
    for limit in (QUICK + 2, 4 * (QUICK + 2), 16 * (QUICK + 2)):
        run = run_tests(repo, per_test_timeout=0, timeout=limit, **options)
        if reached():
            break
    return run


CALC = '''\
def add(a, b):
    return a + b


def divide(a, b):
    return a / b
'''


def snapshot(repo: Path) -> dict[str, object]:
    return repo_snapshot(repo)


def process_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_outcomes_messages_and_frames(make_repo):
    repo = make_repo(
        {
            "calc.py": CALC,
            "tests/test_calc.py": """\
                import pytest
                from calc import add, divide

                def test_passes():
                    assert add(1, 2) == 3

                def test_fails_in_source():
                    assert divide(1, 0) == 0

                def test_fails_on_assert():
                    assert add(2, 2) == 5

                @pytest.fixture
                def broken():
                    raise RuntimeError("fixture broke")

                def test_errors(broken):
                    pass

                def test_skipped():
                    pytest.skip("not today")

                @pytest.mark.xfail(reason="known bug")
                def test_xfail():
                    assert False

                @pytest.mark.parametrize("n", [1, 2])
                def test_param(n):
                    assert n == 1
                """,
        }
    )
    before = snapshot(repo)
    with scratch_worktree(repo) as tree:
        run = run_tests(tree, per_test_timeout=QUICK)
        assert not (tree / ".pytest_cache").exists()
        assert not list(tree.rglob("__pycache__"))
    assert snapshot(repo) == before

    assert run.status == "ok" and run.returncode == 1
    got = {nodeid.split("::")[1]: o.outcome for nodeid, o in run.outcomes.items()}
    assert got == {
        "test_passes": "passed",
        "test_fails_in_source": "failed",
        "test_fails_on_assert": "failed",
        "test_errors": "error",
        "test_skipped": "skipped",
        "test_xfail": "skipped",
        "test_param[1]": "passed",
        "test_param[2]": "failed",
    }
    source = run.outcomes["tests/test_calc.py::test_fails_in_source"]
    assert source.message.startswith("ZeroDivisionError")
    assert source.frames == [
        Frame("tests/test_calc.py", 8, "test_fails_in_source"),
        Frame("calc.py", 6, "divide"),
    ]
    assert "def divide" in source.details or "a / b" in source.details
    assert "assert 4 == 5" in run.outcomes["tests/test_calc.py::test_fails_on_assert"].message
    fixture = run.outcomes["tests/test_calc.py::test_errors"]
    assert fixture.message == "RuntimeError: fixture broke"
    assert fixture.frames[-1] == Frame("tests/test_calc.py", 15, "broken")
    assert run.outcomes["tests/test_calc.py::test_skipped"].message.endswith("not today")
    assert "known bug" in run.outcomes["tests/test_calc.py::test_xfail"].message
    assert set(run.failed) == {
        "tests/test_calc.py::test_fails_in_source",
        "tests/test_calc.py::test_fails_on_assert",
        "tests/test_calc.py::test_errors",
        "tests/test_calc.py::test_param[2]",
    }
    assert set(run.passed) == {"tests/test_calc.py::test_passes", "tests/test_calc.py::test_param[1]"}


def test_selected_nodeids_only(make_repo):
    repo = make_repo({"test_a.py": "def test_one(): pass\ndef test_two(): assert False\n"})
    run = run_tests(repo, nodeids=["test_a.py::test_two"], per_test_timeout=QUICK)
    assert list(run.outcomes) == ["test_a.py::test_two"] and run.failed == ["test_a.py::test_two"]


def test_hanging_tests_time_out_and_the_suite_goes_on(make_repo):
    repo = make_repo(
        {
            "test_hang.py": """\
                import time

                def test_before():
                    pass

                def test_busy_loop():
                    while True:
                        pass

                def test_sleeps():
                    time.sleep(600)

                def test_swallows_exceptions():
                    while True:
                        try:
                            time.sleep(600)
                        except Exception:
                            pass

                def test_after():
                    pass
                """
        }
    )
    run = run_tests(repo, per_test_timeout=0.5, timeout=120)
    assert run.status == "ok"
    got = {nodeid.split("::")[1]: o.outcome for nodeid, o in run.outcomes.items()}
    assert got == {
        "test_before": "passed",
        "test_busy_loop": "timeout",
        "test_sleeps": "timeout",
        "test_swallows_exceptions": "timeout",
        "test_after": "passed",
    }
    loop = run.outcomes["test_hang.py::test_busy_loop"]
    assert "per-test timeout" in loop.message
    assert loop.frames[-1] in (Frame("test_hang.py", 7, "test_busy_loop"), Frame("test_hang.py", 8, "test_busy_loop"))
    assert "test_hang.py::test_busy_loop" in run.failed


def test_test_stuck_in_native_code_is_stopped_and_the_suite_resumes(make_repo):
    repo = make_repo(
        {
            "test_native.py": """\
                def test_before():
                    pass

                def test_stuck_in_c():
                    sum(range(10**15))  # a C loop: SIGALRM's handler never gets to run

                def test_after():
                    assert False
                """
        }
    )
    run = run_tests(repo, per_test_timeout=0.5, timeout=120)
    assert run.status == "ok"
    got = {nodeid.split("::")[1]: o.outcome for nodeid, o in run.outcomes.items()}
    assert got == {"test_before": "passed", "test_stuck_in_c": "timeout", "test_after": "failed"}
    stuck = run.outcomes["test_native.py::test_stuck_in_c"]
    assert "native code" in stuck.message
    assert stuck.frames[-1] == Frame("test_native.py", 5, "test_stuck_in_c")


def test_wall_clock_limit_keeps_partial_results(make_repo, tmp_path):
    repo = make_repo(
        {
            "test_stuck.py": """\
                import os, time

                def test_first():
                    pass

                def test_second():
                    assert False

                def test_stuck():
                    open(os.environ["STARTED_FILE"], "w").close()
                    time.sleep(600)

                def test_never_reached():
                    pass
                """
        }
    )
    # No per-test timeout: only the outer limit can stop this run.
    started = tmp_path / "stuck-started"
    run = run_past_the_stuck_test(repo, started.exists, extra_env={"STARTED_FILE": str(started)})
    assert run.status == "timeout"
    assert run.outcomes["test_stuck.py::test_first"].outcome == "passed"
    assert run.outcomes["test_stuck.py::test_second"].outcome == "failed"
    assert run.outcomes["test_stuck.py::test_stuck"].outcome == "timeout"
    assert "test_stuck.py::test_never_reached" not in run.outcomes


def test_forked_children_do_not_survive(make_repo, tmp_path):
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    repo = make_repo(
        {
            "test_fork.py": """\
                import os, subprocess, sys, time

                PIDS = os.environ["PID_DIR"]

                def spawn(name, **kw):
                    child = subprocess.Popen(["sleep", "300"], **kw)
                    with open(os.path.join(PIDS, name), "w") as fh:
                        fh.write(str(child.pid))

                def test_child_in_group():
                    spawn("group")

                def test_child_in_own_session():
                    spawn("session", start_new_session=True)

                def test_forked_then_hangs():
                    if os.fork() == 0:
                        with open(os.path.join(PIDS, "fork"), "w") as fh:
                            fh.write(str(os.getpid()))
                        time.sleep(300)
                        os._exit(0)
                    while len(os.listdir(PIDS)) < 3:
                        time.sleep(0.01)
                    time.sleep(600)
                """
        }
    )
    # The hanging test waits for its three children's pid files: once all are there it was reached.
    run = run_past_the_stuck_test(repo, lambda: len(list(pid_dir.iterdir())) == 3, extra_env={"PID_DIR": str(pid_dir)})
    assert run.status == "timeout"
    assert run.outcomes["test_fork.py::test_forked_then_hangs"].outcome == "timeout"
    pids = {p.name: int(p.read_text()) for p in pid_dir.iterdir()}
    assert set(pids) == {"group", "session", "fork"}
    for name, pid in pids.items():
        assert process_gone(pid), f"{name} child {pid} survived the run"


def test_children_of_a_finished_run_are_killed(make_repo, tmp_path):
    pid_file = tmp_path / "pid"
    repo = make_repo(
        {
            "test_leak.py": f"""\
                import subprocess

                def test_leaves_a_child():
                    child = subprocess.Popen(["sleep", "300"])
                    open({str(pid_file)!r}, "w").write(str(child.pid))
                """
        }
    )
    run = run_tests(repo, per_test_timeout=QUICK)
    assert run.status == "ok" and run.passed == ["test_leak.py::test_leaves_a_child"]
    assert process_gone(int(pid_file.read_text()))


def test_collection_error_is_not_a_test_failure(make_repo):
    repo = make_repo(
        {
            "tests/test_broken.py": "import no_such_module_here\n\ndef test_x():\n    pass\n",
            "tests/test_fine.py": "def test_ok():\n    pass\n\ndef test_bad():\n    assert 1 == 2\n",
        }
    )
    run = run_tests(repo, per_test_timeout=QUICK)
    assert run.status == "collection_error"
    assert len(run.collection_errors) == 1
    assert "tests/test_broken.py" in run.collection_errors[0]
    assert "no_such_module_here" in run.collection_errors[0]
    # The rest of the suite still ran and is reported as itself.
    assert run.passed == ["tests/test_fine.py::test_ok"]
    assert run.failed == ["tests/test_fine.py::test_bad"]


def test_conftest_crashing_at_import(make_repo):
    repo = make_repo({"conftest.py": "raise RuntimeError('boom in conftest')\n", "test_a.py": "def test_a(): pass\n"})
    run = run_tests(repo, per_test_timeout=QUICK)
    assert run.status == "collection_error"
    assert run.outcomes == {} and run.failed == []
    assert "conftest" in run.collection_errors[0] and "boom in conftest" in run.collection_errors[0]


def test_process_dying_mid_test_is_crashed(make_repo):
    repo = make_repo({"test_die.py": "import os\n\ndef test_ok(): pass\n\ndef test_exits(): os._exit(3)\n"})
    run = run_tests(repo, per_test_timeout=QUICK)
    assert run.status == "crashed" and run.returncode == 3
    assert run.outcomes["test_die.py::test_ok"].outcome == "passed"
    assert run.outcomes["test_die.py::test_exits"].outcome == "error"


def test_src_layout_imports_the_checkout(make_repo):
    repo = make_repo(
        {
            "src/shapes/__init__.py": "def area(w, h):\n    return w * h\n",
            "tests/test_shapes.py": "from shapes import area\n\ndef test_area():\n    assert area(2, 3) == 6\n",
        }
    )
    with scratch_worktree(repo) as tree:
        run = run_tests(tree, per_test_timeout=QUICK)
    assert run.status == "ok" and run.passed == ["tests/test_shapes.py::test_area"]


def test_forked_child_falling_back_into_pytest_writes_nothing(make_repo):
    repo = make_repo(
        {
            "test_fork_raise.py": """\
                import os

                def test_forks():
                    if os.fork() == 0:
                        raise RuntimeError("child goes on as pytest")
                    os.wait()

                def test_after():
                    pass
                """
        }
    )
    # The parent waits while its child runs the rest of the session: allow it time.
    run = run_tests(repo, per_test_timeout=60)
    assert run.outcomes["test_fork_raise.py::test_forks"].outcome == "passed"
    assert run.outcomes["test_fork_raise.py::test_after"].outcome == "passed"


def test_no_tests_collected(make_repo):
    repo = make_repo({"pytest.ini": "[pytest]\n", "lib.py": "x = 1\n"})
    run = run_tests(repo, per_test_timeout=QUICK)
    assert run.status == "no_tests" and run.outcomes == {}


def test_missing_runner_and_exit_127(make_repo):
    repo = make_repo({"test_a.py": "def test_a(): pass\n"})
    with pytest.raises(TestRunError, match="was not found"):
        run_tests(repo, test_cmd="no-such-test-runner-xyz --all")
    with pytest.raises(TestRunError, match="exit 127"):
        run_tests(repo, test_cmd=["sh", "-c", "exit 127"])


def test_custom_command_is_one_pseudo_outcome(make_repo):
    repo = make_repo({"check.sh": "test -f check.sh\n"})
    ok = run_tests(repo, test_cmd="sh check.sh")
    assert ok.status == "ok" and list(ok.outcomes) == ["sh check.sh"] and ok.passed == ["sh check.sh"]
    bad = run_tests(repo, test_cmd="GREETING=hi sh -c 'test $GREETING = bye'")
    assert bad.status == "ok" and bad.returncode == 1
    assert [o.outcome for o in bad.outcomes.values()] == ["failed"]


def test_detect_test_command(make_repo, tmp_path):
    assert detect_test_command(make_repo({"pyproject.toml": "[tool.pytest.ini_options]\n"}, name="a")) == ["pytest"]
    assert detect_test_command(make_repo({"pkg/tests/test_x.py": "", "pkg/x.py": ""}, name="b")) == ["pytest"]
    assert detect_test_command(make_repo({"setup.cfg": "[tool:pytest]\naddopts = -q\n"}, name="c")) == ["pytest"]
    nothing = make_repo({"lib.py": "x = 1\n", ".venv/test_hidden.py": "", "node_modules/test_x.py": ""}, name="d")
    with pytest.raises(TestRunError, match="no tests found"):
        detect_test_command(nothing)
    assert is_pytest_command("python -m pytest -x") and is_pytest_command(["pytest"])
    assert not is_pytest_command("make test")


def test_baseline_separates_flaky_from_failing(make_repo, tmp_path):
    counter = tmp_path / "counter"
    repo = make_repo(
        {
            "calc.py": CALC,
            "test_calc.py": """\
                import os
                from calc import add

                def test_good():
                    assert add(1, 1) == 2

                def test_really_broken():
                    assert add(1, 1) == 3

                def test_flaky():
                    # Fails on its first run only: the counter lives outside the worktree.
                    path = os.environ["FLAKY_COUNTER"]
                    runs = int(open(path).read()) if os.path.exists(path) else 0
                    open(path, "w").write(str(runs + 1))
                    assert runs >= 1
                """,
        }
    )
    (repo / "calc.py").write_text("def add(a, b):\n    return 0  # uncommitted edit, not tested\n")
    before = snapshot(repo)
    result = baseline(repo, reruns=2, per_test_timeout=QUICK, extra_env={"FLAKY_COUNTER": str(counter)})
    assert snapshot(repo) == before

    assert result.failing == ["test_calc.py::test_really_broken"]
    assert result.flaky == ["test_calc.py::test_flaky"]
    assert result.passing == ["test_calc.py::test_good"]
    assert set(result.run.failed) == {"test_calc.py::test_really_broken", "test_calc.py::test_flaky"}
    # Only the failures are re-run; the flaky test drops out once it passed.
    assert len(result.reruns) == 2
    assert set(result.reruns[0].outcomes) == {"test_calc.py::test_really_broken", "test_calc.py::test_flaky"}
    assert set(result.reruns[1].outcomes) == {"test_calc.py::test_really_broken"}
    assert counter.read_text() == "2"


def test_baseline_failure_inside_leaves_repo_untouched(make_repo, monkeypatch):
    repo = make_repo({"test_a.py": "def test_a(): pass\n"})
    git(repo, "stash", "list")
    before = snapshot(repo)
    with pytest.raises(TestRunError):
        baseline(repo, test_cmd="no-such-test-runner-xyz")
    assert snapshot(repo) == before


def test_baseline_bad_repositories(make_repo, tmp_path):
    with pytest.raises(WorkspaceError):
        baseline(tmp_path)
    with pytest.raises(WorkspaceError):
        baseline(make_repo({"test_a.py": "def test_a(): pass\n"}, commit=False))


def test_interrupt_kills_the_run(make_repo, tmp_path):
    """Ctrl-C while tests run: the run's processes die with it."""
    pid_file = tmp_path / "pid"
    repo = make_repo(
        {
            "test_slow.py": f"""\
                import os, time

                def test_slow():
                    open({str(pid_file)!r}, "w").write(str(os.getpid()))
                    time.sleep(600)
                """
        }
    )

    def interrupt(signum, frame):
        if pid_file.exists():  # the test is running: now press Ctrl-C
            raise KeyboardInterrupt
        signal.setitimer(signal.ITIMER_REAL, 0.1)

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_tests(repo, per_test_timeout=0, timeout=120)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert process_gone(int(pid_file.read_text()))


def test_in_session_reruns_separate_flaky_from_failing(make_repo, tmp_path):
    # test_flaky fails on its first run only (a marker file outside the repo remembers it);
    # test_broken always fails; a module-scoped fixture is set up once for the whole module.
    marker = tmp_path / "ran-once"
    repo = make_repo(
        {
            "calc.py": CALC,
            "test_calc.py": f"""\
                from pathlib import Path

                import pytest

                from calc import add

                SETUPS = []


                @pytest.fixture(scope="module")
                def shared():
                    SETUPS.append(1)
                    return 1


                def test_flaky(shared):
                    first = not Path({str(marker)!r}).exists()
                    Path({str(marker)!r}).touch()
                    assert add(shared, 1) == 2 and not first


                def test_broken(shared):
                    assert add(shared, 1) == 3


                def test_ok(shared):
                    assert len(SETUPS) == 1
            """,
        }
    )
    run = run_tests(repo, test_cmd="pytest", reruns=2, per_test_timeout=QUICK * 5)
    assert run.outcomes["test_calc.py::test_flaky"].outcome == "failed"  # the first run decides the outcome
    assert run.outcomes["test_calc.py::test_flaky"].reruns == ["passed"]  # stops at the first pass
    assert run.outcomes["test_calc.py::test_broken"].reruns == ["failed", "failed"]
    assert run.outcomes["test_calc.py::test_ok"].outcome == "passed"  # reruns kept the module fixture
    assert run.outcomes["test_calc.py::test_ok"].reruns == []
    assert run.returncode == 1

    plain = run_tests(repo, test_cmd="pytest", per_test_timeout=QUICK * 5)
    assert all(o.reruns == [] for o in plain.outcomes.values())


def test_a_failing_subtest_fails_its_rerun_too(make_repo):
    # unittest subTest failures reach pytest as separate reports, not in the protocol's result:
    # a rerun must still see them (it once took such a test for flaky).
    repo = make_repo(
        {
            "calc.py": CALC,
            "test_calc.py": """\
                import unittest

                from calc import add


                class AddTests(unittest.TestCase):
                    def test_many(self):
                        for a in range(3):
                            with self.subTest(a=a):
                                self.assertEqual(add(a, 1), a + 2)
            """,
        }
    )
    run = run_tests(repo, test_cmd="pytest", reruns=2, per_test_timeout=QUICK * 5)
    outcome = run.outcomes["test_calc.py::AddTests::test_many"]
    assert outcome.outcome == "failed"
    assert outcome.reruns == ["failed", "failed"]


@pytest.mark.parametrize("warm", [False, True])
def test_model_keys_and_github_tokens_never_reach_the_tests(make_repo, monkeypatch, warm):
    """The tests run code a model wrote: the provider keys suture holds must not be readable there."""
    repo = make_repo({"tests/test_env.py": """
        import os

        def test_no_secrets():
            assert "OPENAI_API_KEY" not in os.environ and "GITHUB_TOKEN" not in os.environ

        def test_other_variables_stay():
            assert os.environ.get("MY_APP_SETTING") == "kept"
    """})
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_not_a_token")
    monkeypatch.setenv("MY_APP_SETTING", "kept")
    run = run_tests(repo, timeout=60, warm=warm)
    assert sorted(run.passed) == ["tests/test_env.py::test_no_secrets", "tests/test_env.py::test_other_variables_stay"]


def test_a_test_that_timed_out_is_not_rerun_in_session(make_repo):
    # A hang re-run would only pay the per-test limit again (issue 14: every hang cost three limits).
    repo = make_repo({"test_hang.py": """\
        import time


        def test_hangs():
            while True:
                time.sleep(0.05)


        def test_fails():
            assert False
    """})
    run = run_tests(repo, test_cmd="pytest", reruns=2, per_test_timeout=QUICK)
    assert run.outcomes["test_hang.py::test_hangs"].outcome == "timeout"
    assert run.outcomes["test_hang.py::test_hangs"].reruns == []
    assert run.outcomes["test_hang.py::test_fails"].reruns == ["failed", "failed"]
