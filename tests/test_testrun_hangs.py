"""Tests that hang at the baseline: their short limit in later runs (issue 18), given by the runner's
per-test limits (SUTURE_TEST_LIMITS), and the processes a hanging test starts."""

from __future__ import annotations

import json

from conftest import last_json, suture

from suture.tools.testing.testrun import (
    HANG_LIMIT_FLOOR,
    HANG_LIMIT_MULTIPLE,
    TestOutcome,
    TestRun,
    hang_limits,
    hang_limits_env,
    run_tests,
    shorten_after_hang_env,
)


def a_run(**durations: tuple[str, float]) -> TestRun:
    """A run whose outcomes are {nodeid: (outcome, duration)} (node ids given with / and :: as keys)."""
    outcomes = {n: TestOutcome(n, o, d) for n, (o, d) in durations.items()}
    return TestRun("ok", outcomes, [], 1, 1.0, "")


def test_a_hanging_test_gets_a_multiple_of_its_passing_siblings_slowest_duration():
    run = a_run(**{
        "tests/test_a.py::test_quick": ("passed", 0.1),
        "tests/test_a.py::test_slower": ("passed", 0.4),
        "tests/test_a.py::test_wrong": ("failed", 3.0),  # a failure is no measure of how long the work takes
        "tests/test_b.py::test_slowest": ("passed", 0.9),
        "tests/test_a.py::test_loops": ("timeout", 20.0),
    })
    assert hang_limits(run, ["tests/test_a.py::test_loops"]) == {"tests/test_a.py::test_loops": HANG_LIMIT_MULTIPLE * 0.4}


def test_without_passing_siblings_the_slowest_passing_test_of_the_run_counts():
    run = a_run(**{
        "tests/test_a.py::test_quick": ("passed", 0.3),
        "tests/test_b.py::test_loops": ("timeout", 20.0),
    })
    assert hang_limits(run, ["tests/test_b.py::test_loops"]) == {"tests/test_b.py::test_loops": HANG_LIMIT_MULTIPLE * 0.3}


def test_the_limit_is_at_least_the_floor_and_at_most_the_cap():
    fast = a_run(**{"t.py::test_fast": ("passed", 0.001), "t.py::test_loops": ("timeout", 5.0)})
    assert hang_limits(fast, ["t.py::test_loops"]) == {"t.py::test_loops": HANG_LIMIT_FLOOR}
    assert HANG_LIMIT_FLOOR >= 1.0
    nothing_passed = a_run(**{"t.py::test_loops": ("timeout", 5.0)})
    assert hang_limits(nothing_passed, ["t.py::test_loops"]) == {"t.py::test_loops": HANG_LIMIT_FLOOR}
    slow = a_run(**{"t.py::test_slow": ("passed", 8.0), "t.py::test_loops": ("timeout", 20.0)})
    assert hang_limits(slow, ["t.py::test_loops"], cap=12.0) == {"t.py::test_loops": 12.0}
    assert hang_limits(slow, ["t.py::test_loops"]) == {"t.py::test_loops": HANG_LIMIT_MULTIPLE * 8.0}


def test_the_limits_travel_as_one_environment_variable():
    assert hang_limits_env({}) == {}
    (name, value), = hang_limits_env({"t.py::test_loops": 1.5}).items()
    assert json.loads(value) == {"t.py::test_loops": 1.5}


def test_a_hanging_test_stops_at_its_own_limit_and_leaves_no_process(make_repo, tmp_path):
    pids = tmp_path / "pids"
    repo = make_repo({"test_loop.py": f"""\
        import os
        import subprocess
        import time


        def test_loops():
            child = subprocess.Popen(["sleep", "300"])
            with open({str(pids)!r}, "a") as fh:
                fh.write(f"{{os.getpid()}} {{child.pid}}\\n")
            lo, hi = 0, 10
            while lo < hi:  # lo = mid never advances
                mid = (lo + hi) // 2
                lo = mid


        def test_takes_a_while():
            time.sleep(1.5)
    """})
    for warm in (False, True):
        run = run_tests(repo, per_test_timeout=60, timeout=120, warm=warm,
                        extra_env=hang_limits_env({"test_loop.py::test_loops": 1.0}))
        loops = run.outcomes["test_loop.py::test_loops"]
        assert loops.outcome == "timeout" and "per-test timeout of 1 s" in loops.message
        # The other tests keep the run's limit: a test slower than the hang's limit still passes.
        assert run.outcomes["test_loop.py::test_takes_a_while"].outcome == "passed"
    started = [int(p) for line in pids.read_text().splitlines() for p in line.split()]
    assert len(started) == 4
    assert [pid for pid in started if not process_gone(pid)] == []


def test_after_a_first_hang_the_later_tests_of_a_baseline_get_the_short_limit(make_repo):
    repo = make_repo({"test_loops.py": """\
        def spin():
            while True:
                pass


        def test_quick():
            assert True


        def test_first_loop():
            spin()


        def test_second_loop():
            spin()
    """})
    run = run_tests(repo, per_test_timeout=3, timeout=120, extra_env=shorten_after_hang_env())
    assert run.outcomes["test_loops.py::test_quick"].outcome == "passed"
    first, second = run.outcomes["test_loops.py::test_first_loop"], run.outcomes["test_loops.py::test_second_loop"]
    assert first.outcome == second.outcome == "timeout"
    assert "timeout of 3 s" in first.message and f"timeout of {HANG_LIMIT_FLOOR:g} s" in second.message
    # Without it, every test keeps the full limit.
    plain = run_tests(repo, per_test_timeout=3, timeout=120, nodeids=["test_loops.py::test_second_loop"])
    assert "timeout of 3 s" in plain.outcomes["test_loops.py::test_second_loop"].message


def process_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_localize_ranks_the_loop_that_never_ends(make_repo):
    repo = make_repo({
        "pyproject.toml": "[tool.suture]\ntest_timeout = 3\n",
        "search.py": """\
            def lower_bound(items, target):
                lo, hi = 0, len(items)
                while lo < hi:
                    mid = (lo + hi) // 2
                    if items[mid] < target:
                        lo = mid
                    else:
                        hi = mid
                return lo


            def first(items):
                return items[0]
        """,
        "tests/test_search.py": """\
            from search import first, lower_bound

            def test_first():
                assert first([4]) == 4

            def test_empty():
                assert lower_bound([], 3) == 0

            def test_found_in_middle():
                assert lower_bound([1, 3, 5, 7], 5) == 2

            def test_found_late():
                assert lower_bound([1, 2, 3, 4, 5, 6, 7, 8], 7) == 6
        """,
    })
    done = suture("localize", "--json", cwd=repo, timeout=300)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["failing"] == ["tests/test_search.py::test_found_in_middle", "tests/test_search.py::test_found_late"]
    assert report["ranking"][0]["symbol"] == "lower_bound"


def test_a_timeout_inside_coverages_tracer_callback_is_put_off_not_raised(tmp_path):
    """coverage.py's C tracer calls lock_data / unlock_data (Python) around its data lock; a timeout
    raised in there left the lock held. The handler puts it off a moment, and raises in the test's code."""
    import os
    import signal
    import sys

    import coverage

    from suture.tools.testing import pytest_results_plugin as plugin

    writer = plugin._ResultsWriter(str(tmp_path / "results.jsonl"), 5.0)
    place = {}
    exec(compile("import sys\nframe = sys._getframe()", os.path.join(os.path.dirname(coverage.__file__), "collector.py"),
                 "exec"), place)
    previous = signal.signal(signal.SIGALRM, signal.SIG_IGN)
    try:
        writer._on_alarm(signal.SIGALRM, place["frame"])  # no exception: the alarm is armed again
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= plugin.ALARM_RETRY_SECONDS
        signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            writer._on_alarm(signal.SIGALRM, sys._getframe())
        except plugin.PerTestTimeout:
            pass
        else:
            raise AssertionError("a timeout in the test's own code was not raised")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        writer.close()


def test_tests_hanging_in_calls_across_files_end_a_coverage_run_at_their_limits(make_repo):
    # The baseline of `fix` runs under the coverage plugin. Each call from the test's file into lib.py
    # passes through coverage's lock_data / unlock_data; a timeout raised there left coverage's lock
    # held and the run deadlocked at session end, until the whole run's limit (1 run in 4 under load).
    # Twenty such hangs: with the old handler 2 runs of 3 deadlocked with eight (about 1 alarm in 8).
    hangs = "".join(f"\ndef test_waits_{i}():\n    while name('a', 'b') != 'a.b':\n        pass\n" for i in range(20))
    repo = make_repo({"lib.py": "def name(module, attr):\n    return attr + '.' + module\n",
                      "test_lib.py": "from lib import name\n" + hangs})
    from suture.tools.testing.plugin_env import ENV_FILE, ENV_ROOT

    run = run_tests(repo, per_test_timeout=0.2, timeout=90, pytest_plugins=["suture.tools.testing.coverage_plugin"],
                    extra_env={ENV_FILE: str(repo.parent / "coverage.db"), ENV_ROOT: str(repo)})
    assert run.status == "ok", (run.status, run.seconds)  # not "timeout": the session ended on its own
    assert {o.outcome for o in run.outcomes.values()} == {"timeout"} and len(run.outcomes) == 20
