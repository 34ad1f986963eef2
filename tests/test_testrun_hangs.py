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
