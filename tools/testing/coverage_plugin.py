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
which the spectra leave out so a test counts once, with its first run; a rerun runs untraced (its lines
would be left out anyway; a test that fails only under the tracer, a race the tracer's slowness exposes,
passes there as in plain pytest and is set apart as flaky). Overhead is kept down by tracing only
the repo's non-test source (test files, site-packages and virtualenvs are never
traced), recording lines rather than arcs, switching the context once per test
(setup, call and teardown share it) instead of three times as pytest-cov does, stopping the tracer
between a test's phases (pytest's own reporting; see pytest_runtest_makereport) and taking coverage.py's
data lock without its Python wrappers (_direct_locks).

coverage.py writes a context's lines to its data file when the next context starts (a commit per
test). A batched writer was tried (issue 19, h/loc33) and removed: a run cut by its time limit lost
its pending tests' lines, and without batching it only copied coverage.py's switch_context.

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
import contextlib
import errno
import hashlib
import os
import sys
import threading
import signal

import pytest

# Relative: the same file also runs as suture_pytest_plugins.coverage_plugin (tools/testing/pytest_shim.py).
# The settings' names live where suture's own process reads them without importing pytest.
from .plugin_env import ENV_ARCS, ENV_FILE, ENV_ITEMS, ENV_ROOT, RERUN_ATTR, RERUN_CONTEXT, SHARD_CLAIMS_ENV, SHARD_ENV

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
        with _no_origin_stack():
            self.cov.start()
        _direct_locks(self.cov)
        self.tracing = True
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

    def switch(self, context: str, trace: bool = True) -> None:
        """Record what runs from now on as `context`; with `trace` False, record nothing (tracing
        paused) until a switch that traces."""
        if not self.owner():
            return
        if trace and not self.tracing:
            self.cov.start()
            self.tracing = True
        if self.tracing and context != self.context:
            self.context = context
            self.cov.switch_context(context)  # writes the last context's lines to the data file at once
        if not trace and self.tracing:
            self.cov.stop()
            self.tracing = False

    def pause(self) -> None:
        """Stop tracing between a test's phases (see pytest_runtest_makereport), while only the main thread
        runs: stopping coverage.py stops every thread's tracer for good (a restart traces the calling thread
        and threads started later), so with another thread alive tracing goes on as before."""
        if self.tracing and self.owner() and threading.active_count() == 1:
            self.cov.stop()
            self.tracing = False

    def resume(self) -> None:
        if not self.tracing and self.owner():
            self.cov.start()
            self.tracing = True

    def save(self) -> None:
        if self.saved or not self.owner():
            return
        self.saved = True
        try:
            self.cov.stop()
            self.cov.save()
        except Exception:  # never turn a test run into a crash over coverage bookkeeping
            pass


def _direct_locks(cov) -> None:
    """coverage.py's tracer takes the collector's data lock around every call into a traced file (hundreds
    of thousands in a suite) through Collector.lock_data / unlock_data, two Python calls each time; the
    lock's own acquire and release do the same without them. With threads the Python calls also made a
    convoy: a thread could lose the GIL between taking the lock and returning, and every other thread then
    blocked on the lock (jmespath's ten-thread test ran 1.7 s traced against 0.2 s plain). The tracers of
    threads started later copy the collector's attributes, so they get the same."""
    collector = getattr(cov, "_collector", None)
    lock = getattr(collector, "data_lock", None)
    if lock is None or not hasattr(collector, "lock_data") or not hasattr(collector, "unlock_data"):
        return
    collector.lock_data, collector.unlock_data = lock.acquire, lock.release
    for tracer in getattr(collector, "tracers", ()):
        if hasattr(tracer, "lock_data"):
            tracer.lock_data, tracer.unlock_data = lock.acquire, lock.release


@contextlib.contextmanager
def _no_origin_stack():
    """coverage.py's Collector notes where it was made (debug.short_stack: inspect.stack(), which reads
    the source of every frame's module and, on its first call, maps every loaded module to its file) for
    a message about conflicting collectors; under pytest's deep hook stack that was tens of
    milliseconds of every run's start. The note is left empty."""
    try:
        from coverage import collector
    except ImportError:
        yield
        return
    original = getattr(collector, "short_stack", None)
    if original is None:
        yield
        return
    collector.short_stack = lambda *args, **kwargs: ""
    try:
        yield
    finally:
        collector.short_stack = original


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
        # A rerun is not traced: its lines never count (the test counts once, with its first run), and
        # untraced it costs what it costs in plain pytest, and fails or passes as it does there.
        _recorder.switch(f"{RERUN_CONTEXT}{rerun}|{item.nodeid}" if rerun else item.nodeid, trace=not rerun)
    yield


# pytest's own work between a test's phases (its logging and reporting hooks, the terminal, suture's results
# plugin writing each report) runs with tracing stopped: under sys.settrace every Python instruction of the
# process pays for the tracer, whether or not its file is traced, and that work is pytest's, not the repo's.
# Traced: collection (import-time lines), each phase's hooks from their start, and each phase's makereport
# (an exception's __str__ or __repr__ written into the report is the repo's code); nothing else runs the
# repo's code but a plugin or conftest hook doing so from pytest's logging hooks. Reruns stay untraced.
@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_call(item):
    if _recorder is not None and not getattr(item, RERUN_ATTR, 0):
        _recorder.resume()
    yield


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    if _recorder is not None and not getattr(item, RERUN_ATTR, 0):
        _recorder.resume()
    yield


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    yield  # outermost: every other makereport has run
    if _recorder is not None:
        _recorder.pause()


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    if _recorder is not None:
        _recorder.pause()
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


# -- shards --------------------------------------------------------------------------------


class _Claims:
    """Which test files this shard runs: a file is claimed by creating its name in the shared
    directory (atomic, so exactly one shard gets it), written with the claimant's name so that the
    same shard resumed after a stuck test (testrun's resume) still knows its own."""

    def __init__(self, directory: str, shard: str) -> None:
        self.directory, self.shard = directory, shard
        self.known: dict[str, bool] = {}

    def mine(self, key: str) -> bool:
        if key not in self.known:
            self.known[key] = self._claim(key)
        return self.known[key]

    def _claim(self, key: str) -> bool:
        path = os.path.join(self.directory, hashlib.sha1(key.encode("utf-8")).hexdigest())
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except OSError as error:
            if error.errno != errno.EEXIST:
                raise
            with open(path, encoding="utf-8") as fh:
                return fh.read() == self.shard  # another shard's (or one still writing its name: not ours)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.shard)
        return True


def _file_runs(items: list) -> list[tuple[str, list]]:
    """The items as runs of consecutive items of one file, in collection order."""
    runs: list[tuple[str, list]] = []
    for item in items:
        key = item.nodeid.split("::", 1)[0]
        if runs and runs[-1][0] == key:
            runs[-1][1].append(item)
        else:
            runs.append((key, [item]))
    return runs


def _under_xdist(config) -> bool:
    option = config.option
    return hasattr(config, "workerinput") or bool(getattr(option, "numprocesses", None)) \
        or getattr(option, "dist", "no") not in ("no", None)


def _shard_claims(config) -> _Claims | None:
    shard, directory = os.environ.get(SHARD_ENV), os.environ.get(SHARD_CLAIMS_ENV)
    if not shard or not directory or not os.path.isdir(directory):
        return None
    return _Claims(directory, shard)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    # Under xdist its workers run the items: the first shard's workers run them all, the others' none.
    if _under_xdist(config) and hasattr(config, "workerinput") and os.environ.get(SHARD_ENV, "0") != "0" \
            and _shard_claims(config) is not None:
        config.hook.pytest_deselected(items=list(items))
        items[:] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    """pytest's own loop (_pytest.main.pytest_runtestloop) over the files this shard claims."""
    claims = _shard_claims(session.config)
    if claims is None or _under_xdist(session.config):
        return None
    if session.testsfailed and not session.config.option.continue_on_collection_errors:
        raise session.Interrupted(f"{session.testsfailed} error(s) during collection")
    if session.config.option.collectonly:
        return True
    option = session.config.option
    if getattr(option, "maxfail", 0) or getattr(option, "stepwise", False):
        # a stop that depends on every test before it (-x, --maxfail, --sw, as the project's addopts may
        # set): the first shard runs the whole suite as one process would, the others nothing
        return None if claims.shard == "0" else True
    runs = _file_runs(session.items)
    # The files with the most tests first (ties in collection order): a long file taken last would
    # leave the other shard idle while it runs.
    order = sorted(range(len(runs)), key=lambda i: -len(runs[i][1]))

    def next_mine(start: int) -> int | None:
        return next((n for n in range(start, len(order)) if claims.mine(runs[order[n]][0])), None)

    current = next_mine(0)
    while current is not None:
        items, following = runs[order[current]][1], None
        for number, item in enumerate(items):
            if number + 1 < len(items):
                nextitem = items[number + 1]
            else:  # the next file must be known before this one is torn down
                following = next_mine(current + 1)
                nextitem = runs[order[following]][1][0] if following is not None else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)
        current = following
    return True
