"""A pytest plugin that records which lines of the repo's own source each test runs.

Loaded into the *tested* project's pytest with ``-p suture.tools.testing.coverage_plugin``
and driven by environment variables (the runner sets them):

- ``SUTURE_COVERAGE_FILE``  where coverage.py writes its SQLite data; unset = plugin idle.
- ``SUTURE_COVERAGE_ROOT``  the repo (worktree) whose source is traced; default: cwd.
- ``SUTURE_COVERAGE_ARCS``  "1" to record arcs (branches) as well as lines.
- ``SUTURE_COVERAGE_ITEMS`` where to write the node ids of the tests the run is going to run
  (one a line), once collection and deselection are done: a run killed midway can then tell
  which tests it did not get to.

One coverage.py dynamic context per test, named by its node id; code run at import
or collection time lands in the empty context; an in-session rerun of a failed test
(pytest_results_plugin's SUTURE_RERUNS) gets its own context, RERUN_CONTEXT + node id,
which the spectra leave out so a test counts once, with its first run. Overhead is kept down by tracing only
the repo's non-test source (test files, site-packages and virtualenvs are never
traced), recording lines rather than arcs, and switching the context once per test
(setup, call and teardown share it) instead of three times as pytest-cov does.

coverage.py writes a context's lines to its data file when the next context starts,
so a run killed midway still leaves every finished test's data on disk; SIGTERM and
normal interpreter exit also save the test that was running.

Forked children (a test's multiprocessing.Pool, os.fork) inherit the Coverage object,
its SQLite connection, the exit hook and the SIGTERM handler; a Pool's terminate()
SIGTERMs its workers, and a worker saving through the inherited object overwrote the
parent's data file. So only the process that started the recorder ever writes: in a
forked child tracing is stopped at fork time and every save or context switch is a
no-op. The price: lines that run *only* inside a forked child are not credited to the
test (the parent's own lines are); per-child data files were not worth their cost
here, since a child's work is normally also reachable from the parent in other tests.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import signal

import pytest

# Relative: the same file also runs as suture_pytest_plugins.coverage_plugin (tools/testing/pytest_shim.py).
# The settings' names live where suture's own process reads them without importing pytest.
from .plugin_env import ENV_ARCS, ENV_FILE, ENV_ITEMS, ENV_ROOT, RERUN_ATTR, RERUN_CONTEXT

# Directories that never hold the repo's own source (virtualenvs, tool caches).
_FOREIGN_DIRS = ("site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox", "node_modules", ".git")


def omit_globs(root: str) -> list[str]:
    """coverage.py omit patterns for test code and foreign dirs, rooted at `root`.

    Test code as retrieval/testfiles.is_test_path tells it, written as globs (this plugin runs
    under interpreters where suture is not importable, so it cannot ask that function;
    tests/test_spectra.py checks that the two agree). Only its Python names are needed here.

    Rooted so that a repo living under, say, ~/tests/ is not omitted as a whole.
    """
    root = root.rstrip("/")
    globs = [
        f"{root}/**/conftest.py",
        f"{root}/**/test_*.py",
        f"{root}/**/*_test.py",
        f"{root}/**/*_tests.py",
        f"{root}/**/tests/*",
        f"{root}/**/test/*",
        f"{root}/**/__tests__/*",
    ]
    globs += [f"{root}/**/{d}/*" for d in _FOREIGN_DIRS]
    return globs


def _core() -> str:
    """coverage.py's C tracer, or its pure-Python one where the C tracer does not load: suture's own
    coverage lent to a project Python of another version (tools/testing/pytest_shim.py). Both record every
    context fully (see below); the Python one is slower."""
    try:
        from coverage.tracer import CTracer  # noqa: F401
    except ImportError:
        return "pytrace"
    return "ctrace"


class _Recorder:
    """Owns the coverage.py object for one pytest process."""

    def __init__(self, data_file: str, root: str, arcs: bool) -> None:
        import coverage  # imported lazily: an idle plugin costs nothing

        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker:  # each xdist worker writes its own file; spectra reads them all
            data_file = f"{data_file}.{worker}"
        self.cov = coverage.Coverage(
            data_file=data_file,
            branch=arcs,
            config_file=False,  # the project's own .coveragerc must not widen or redirect tracing
            include=[f"{root.rstrip('/')}/*"],
            omit=omit_globs(root),
            auto_data=False,
        )
        # coverage.py's sys.monitoring core (Python 3.12+) drops lines already seen in an earlier
        # context, so per-test data would be wrong; the C tracer records every context fully.
        try:
            self.cov.set_option("run:core", _core())
        except coverage.exceptions.ConfigError:
            pass  # a project's older coverage.py (< 7.9, no such option) always traces with a tracer core
        self.cov.erase()
        self.saved = False
        self.context = ""
        self.pid = os.getpid()
        self.cov.start()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        """In a forked child: stop tracing (nothing of it is saved) and never write."""
        if os.getpid() == self.pid:
            return
        # Not Coverage.stop(): it takes locks, and a lock another thread held at fork time stays
        # locked forever in the child (a Pool worker deadlocked there). Dropping the trace
        # function is lock-free; saving is off in children anyway (owner()).
        sys.settrace(None)
        threading.settrace(None)

    def owner(self) -> bool:
        return os.getpid() == self.pid

    def switch(self, context: str) -> None:
        if self.owner() and context != self.context:  # switch_context flushes the last context to the data file
            self.context = context
            self.cov.switch_context(context)

    def save(self) -> None:
        if self.saved or not self.owner():
            return
        self.saved = True
        try:
            self.cov.stop()
            self.cov.save()
        except Exception:  # never turn a test run into a crash over coverage bookkeeping
            pass


_recorder: _Recorder | None = None


def _on_sigterm(signum, frame):  # pragma: no cover - exercised by killed runs
    if _recorder is not None:
        _recorder.save()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # Earliest hook a -p plugin gets: start before conftest.py imports the project.
    global _recorder
    data_file = os.environ.get(ENV_FILE)
    if not data_file or _recorder is not None:
        return
    root = os.path.realpath(os.environ.get(ENV_ROOT) or os.getcwd())
    arcs = os.environ.get(ENV_ARCS, "") not in ("", "0")
    _recorder = _Recorder(os.path.abspath(data_file), root, arcs)
    atexit.register(_recorder.save)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item):
    # Setup opens every run of a test (the first and any rerun); teardown stays in its context.
    if _recorder is not None:
        rerun = getattr(item, RERUN_ATTR, 0)
        _recorder.switch(f"{RERUN_CONTEXT}{rerun}|{item.nodeid}" if rerun else item.nodeid)
    yield


def pytest_collection_finish(session):
    items_file = os.environ.get(ENV_ITEMS)
    if items_file and _recorder is not None:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        target = f"{items_file}.{worker}" if worker else items_file
        with open(target + ".tmp", "w", encoding="utf-8") as fh:
            fh.write("".join(f"{item.nodeid}\n" for item in session.items))
        os.replace(target + ".tmp", target)  # whole or absent, even when the run is killed


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _recorder is not None:
        _recorder.switch("")
        _recorder.save()
