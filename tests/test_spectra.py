"""Spectra and formulas: hand-computed values, and real coverage data from a real pytest run."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from suture.retrieval.testfiles import is_test_path
from suture.tools.testing.coverage_plugin import ENV_FILE, ENV_ROOT
from suture.tools.testing.spectra import Spectra, dstar, ochiai, tarantula


def test_ochiai_by_hand():
    # 2 of 3 failing tests and 1 of 4 passing tests run the line.
    assert ochiai(2, 1, 1, 3) == pytest.approx(2 / math.sqrt(3 * 3))
    assert ochiai(3, 0, 0, 4) == 1.0
    assert ochiai(0, 4, 3, 0) == 0.0
    assert ochiai(0, 0, 0, 0) == 0.0  # no tests at all: no division by zero


def test_tarantula_by_hand():
    # failed ratio 2/3, passed ratio 1/4 -> (2/3) / (2/3 + 1/4) = 8/11
    assert tarantula(2, 1, 1, 3) == pytest.approx(8 / 11)
    assert tarantula(1, 0, 0, 0) == 1.0  # no passing test: the passed ratio is 0
    assert tarantula(0, 0, 0, 0) == 0.0


def test_dstar_by_hand():
    assert dstar(2, 1, 1, 3) == pytest.approx(4 / 2)
    assert dstar(3, 2, 0, 5) == pytest.approx(9 / 2)
    # run by every failing test and no passing one: above anything finite those tests can give
    assert dstar(3, 0, 0, 5) == 10.0
    assert dstar(3, 0, 0, 5) > dstar(3, 1, 0, 5)
    assert dstar(0, 0, 3, 0) == 0.0


@pytest.mark.parametrize(
    "path, expected",
    [
        ("pkg/core.py", False),
        ("pkg/test_core.py", True),
        ("pkg/core_test.py", True),
        ("conftest.py", True),
        ("tests/helpers.py", True),
        ("pkg/tests/data.py", True),
        ("pkg/testing.py", False),
        ("pkg/latest.py", False),
    ],
)
def test_is_test_path(path, expected):
    assert is_test_path(path) is expected


LIB = """\
    LIMIT = 10


    class Box:
        size = 3

        def grow(self, n):
            if n > LIMIT:
                return LIMIT
            return n + 1


    def shrink(n):
        return n - 1
"""

TESTS = """\
    from pkg.lib import Box, shrink


    def test_grow_small():
        assert Box().grow(1) == 2


    def test_grow_big():
        assert Box().grow(99) == 10


    def test_shrink():
        assert shrink(2) == 0
"""


def run_with_coverage(repo, data_file):
    env = {**os.environ, ENV_FILE: str(data_file), ENV_ROOT: str(repo)}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "suture.tools.testing.coverage_plugin"],
        cwd=repo, env=env, capture_output=True, text=True,
        timeout=45,  # a fork deadlock in the plugin must end the test (a skip, below), not hold the suite
    )


def test_spectra_from_a_real_run(make_repo, tmp_path):
    repo = make_repo({"pkg/__init__.py": "", "pkg/lib.py": LIB, "tests/test_lib.py": TESTS})
    data_file = tmp_path / "cov.db"
    done = run_with_coverage(repo, data_file)
    assert "1 failed, 2 passed" in done.stdout, done.stdout + done.stderr

    spectra = Spectra.from_coverage(data_file, repo)
    small, big, shrink = (f"tests/test_lib.py::test_{n}" for n in ("grow_small", "grow_big", "shrink"))
    assert spectra.covering("pkg/lib.py", 8) == {small, big}  # if n > LIMIT
    assert spectra.covering("pkg/lib.py", 9) == {big}  # return LIMIT
    assert spectra.covering("pkg/lib.py", 10) == {small}
    assert spectra.covering("pkg/lib.py", 14) == {shrink}
    # module and class bodies ran at import, under no test: credited to every test of the file
    assert ("pkg/lib.py", 1) in spectra.import_lines
    assert spectra.covering("pkg/lib.py", 5) == {small, big, shrink}
    # test files are never part of the spectra
    assert not any(is_test_path(path) for path, _ in spectra.lines)

    scores = spectra.scores(failing=[shrink], passing=[small, big])
    assert scores[("pkg/lib.py", 14)] == 1.0
    assert ("pkg/lib.py", 9) not in scores  # no failing test ran it
    assert scores[("pkg/lib.py", 1)] == pytest.approx(ochiai(1, 2, 0, 0))

    assert spectra.tests_covering("pkg/lib.py", 7, 10) == {small, big}


def test_unknown_formula_is_refused():
    with pytest.raises(ValueError, match="unknown formula"):
        Spectra(lines={}).scores([], [], "jaccardish")


def test_a_run_killed_midway_keeps_the_finished_tests(make_repo, tmp_path):
    from suture.tools.testing.testrun import run_tests

    repo = make_repo(
        {
            "pkg/__init__.py": "",
            "pkg/lib.py": LIB,
            "tests/test_hang.py": """\
                import time

                from pkg.lib import shrink


                def test_first():
                    assert shrink(2) == 1


                def test_hangs():
                    shrink(5)
                    while True:
                        time.sleep(0.1)
            """,
        }
    )
    data_file = tmp_path / "cov.db"
    run = run_tests(
        repo, test_cmd=f"{sys.executable} -m pytest", timeout=8, per_test_timeout=None,
        pytest_plugins=["suture.tools.testing.coverage_plugin"], extra_env={ENV_FILE: str(data_file), ENV_ROOT: str(repo)},
    )
    assert run.status == "timeout"
    spectra = Spectra.from_coverage(data_file, repo)
    assert "tests/test_hang.py::test_first" in spectra.covering("pkg/lib.py", 14)


def test_forked_pool_workers_do_not_overwrite_the_data_file(make_repo, tmp_path):
    """A test's multiprocessing Pool (fork) is terminated with SIGTERM on leaving its `with`:
    the workers inherited the recorder and used to save over the parent's data file."""
    tests = {
        f"tests/test_{name}.py": f"""\
            from pkg.lib import Box, shrink


            def test_{name}_grow():
                assert Box().grow(1) == 2


            def test_{name}_shrink():
                assert shrink(4) == 3
        """
        for name in ("a_before", "c_after")
    }
    tests["tests/test_b_pool.py"] = """\
        import multiprocessing

        from pkg.lib import shrink


        def test_pool():
            with multiprocessing.get_context("fork").Pool(2) as pool:
                assert pool.map(shrink, [1, 2, 3]) == [0, 1, 2]
            assert shrink(1) == 0
    """
    repo = make_repo({"pkg/__init__.py": "", "pkg/lib.py": LIB, **tests})
    data_file = tmp_path / "cov.db"
    for _ in range(3):  # the overwrite was a race with the parent's next save; give it a few chances
        for stale in tmp_path.glob("cov.db*"):
            stale.unlink()
        try:
            done = run_with_coverage(repo, data_file)
        except subprocess.TimeoutExpired:
            # Known and not yet understood: under heavy machine load a forked Pool worker sometimes
            # blocks on a lock inherited from the parent (seen twice in ~20 runs). In suture's own
            # runs the per-test timeout bounds it; here it is reported, not hidden, as a skip.
            pytest.skip("known intermittent fork deadlock of a Pool worker under the coverage plugin")
        assert "5 passed" in done.stdout, done.stdout + done.stderr
        spectra = Spectra.from_coverage(data_file, repo)
        recorded = set().union(*spectra.lines.values())
        assert recorded == {
            "tests/test_a_before.py::test_a_before_grow",
            "tests/test_a_before.py::test_a_before_shrink",
            "tests/test_b_pool.py::test_pool",
            "tests/test_c_after.py::test_c_after_grow",
            "tests/test_c_after.py::test_c_after_shrink",
        }
        assert sorted(p.name for p in tmp_path.glob("cov.db*")) == ["cov.db"]  # no child wrote a file


def test_reruns_of_a_failed_test_are_left_out_of_the_spectra(make_repo, tmp_path):
    """A test that fails, then passes on its in-session rerun: only the first run's lines are its."""
    from suture.tools.testing.testrun import run_tests

    marker = tmp_path / "ran-once"
    repo = make_repo(
        {
            "pkg/__init__.py": "",
            "pkg/lib.py": LIB,
            "tests/test_flaky.py": f"""\
                from pathlib import Path

                from pkg.lib import Box, shrink


                def test_flaky():
                    if not Path({str(marker)!r}).exists():
                        Path({str(marker)!r}).touch()
                        assert shrink(2) == 0
                    assert Box().grow(1) == 2


                def test_after():
                    assert shrink(4) == 3
            """,
        }
    )
    data_file = tmp_path / "cov.db"
    run = run_tests(
        repo, test_cmd=f"{sys.executable} -m pytest", reruns=1,
        pytest_plugins=["suture.tools.testing.coverage_plugin"], extra_env={ENV_FILE: str(data_file), ENV_ROOT: str(repo)},
    )
    assert run.outcomes["tests/test_flaky.py::test_flaky"].reruns == ["passed"]
    spectra = Spectra.from_coverage(data_file, repo)
    assert spectra.covering("pkg/lib.py", 14) == {"tests/test_flaky.py::test_flaky", "tests/test_flaky.py::test_after"}
    assert spectra.covering("pkg/lib.py", 10) == set()  # Box.grow ran only in the rerun
    assert ("pkg/lib.py", 10) not in spectra.import_lines


def test_a_coverage_file_a_killed_run_left_half_written_counts_as_no_coverage(tmp_path):
    # `suture check` under a tiny cap killed its coverage run while it wrote: the file was there but
    # coverage could not read it, and the check ended with an internal error (exit 6).
    (tmp_path / "coverage.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    (tmp_path / "coverage.db.gw1").write_bytes(b"")
    spectra = Spectra.from_coverage(tmp_path / "coverage.db", tmp_path, {"t.py::test_a": "passed"})
    assert spectra.scores(["t.py::test_a"], [], "ochiai") == {}


def test_the_sqlite_reader_reads_what_coverage_py_reads(make_repo, tmp_path, monkeypatch):
    """Spectra reads coverage.py's data file with sqlite3 alone (no coverage import); coverage.py's own
    reader, still used for data it does not read, gives the same spectra. A background thread that
    outlives a test is traced in the tests after it: the coverage plugin stops tracing between a test's
    phases only while the main thread is alone."""
    from suture.tools.testing import spectra as spectra_module

    lib = LIB + """
    import queue
    import threading

    jobs, results = queue.Queue(), queue.Queue()


    def work(n):
        return n * 2


    def serve():
        while True:
            results.put(work(jobs.get()))


    threading.Thread(target=serve, daemon=True).start()
"""
    tests = TESTS + """

    from pkg.lib import jobs, results


    def test_thread_first():
        jobs.put(1)
        assert results.get(timeout=10) == 2


    def test_thread_second():
        jobs.put(2)
        assert results.get(timeout=10) == 4
"""
    repo = make_repo({"pkg/__init__.py": "", "pkg/lib.py": lib, "tests/test_lib.py": tests})
    data_file = tmp_path / "cov.db"
    done = run_with_coverage(repo, data_file)
    assert "1 failed, 4 passed" in done.stdout, done.stdout + done.stderr
    fast = Spectra.from_coverage(data_file, repo)
    work_line = next(n for n, text in enumerate(lib.splitlines(), 1) if "return n * 2" in text)
    assert fast.covering("pkg/lib.py", work_line) == {"tests/test_lib.py::test_thread_first",
                                                      "tests/test_lib.py::test_thread_second"}
    monkeypatch.setattr(spectra_module, "_line_rows", lambda path: None)
    slow = Spectra.from_coverage(data_file, repo)
    assert (fast.lines, fast.import_lines) == (slow.lines, slow.import_lines)
