"""pytest plugin: one JSON line per test report, flushed as it happens.

Loaded by suture's test runner with `-p suture.tools.testing.pytest_results_plugin`; it is
inert unless SUTURE_RESULTS_FILE names the output file. Because every line is
flushed at once, a run killed from outside still leaves the results it reached.

Records (the "event" key says which):
  start             {nodeid, thread[, rerun]}   a test begins (the last one without an end is the one that hung)
  rerun             {nodeid, attempt, outcome}  an in-session re-run of a test that failed ("passed" / "failed")
  report            {nodeid, when, outcome, duration, message, details, frames, timeout, xfail}
                    message: the exception ("AssertionError: assert 0 == 4") or skip reason;
                    details: pytest's full failure text
  collection_error  {nodeid, message, frames}
  finish            {exitstatus}
  internal_error    {message}
frames are [path, line, function], outermost first, pytest's own frames left out.

SUTURE_PER_TEST_TIMEOUT (seconds, > 0) arms SIGALRM for each setup / call / teardown
phase on POSIX when pytest runs in the main thread: the handler raises PerTestTimeout
inside the test, pytest reports the phase as failed, and this plugin marks it
"timeout"; the run goes on with the next test. Code that never returns to the
interpreter (a long C loop holding the GIL) cannot be interrupted that way: the
runner sees no new record for longer than the timeout plus a grace period, sends
STUCK_SIGNAL (faulthandler dumps every thread's stack into SUTURE_STUCK_FILE),
kills the run, turns the dump into the test's "timeout" record and resumes the
suite without the tests already reported (SUTURE_SKIP_FILE).

SUTURE_TEST_LIMITS (a JSON object {nodeid: seconds}) gives named tests a limit of their own in
place of SUTURE_PER_TEST_TIMEOUT: a fix run sets it for the tests that hung at its baseline, so
each later run pays a short limit for them, not the full one (tools/testing/testrun.py, hang_limits).
SUTURE_AFTER_HANG ("multiple,floor") shortens the limit within one run once a test has run past
its own: each later test gets `multiple` times the slowest test that passed so far (in its file,
else in the run), at least `floor`; a fix run's baseline sets it, so N hanging tests cost one full
limit and N-1 short ones rather than N full ones.

SUTURE_STOP_AT_HANG ("1") ends the run after the first test that ran past its limit (as pytest's
-x does after a failure: exit status 1, the later tests not run): for a gate that rejects a candidate
at its first hang anyway (agent/gates/gatekeeper.py, the selected tests), where every further test the
candidate makes loop would cost a whole limit for nothing.

SUTURE_RERUNS (k > 0) re-runs every test that failed or errored (not one that timed out:
a hang would only cost the limit again) right after its failure, in the same pytest session, up to k times, stopping
at the first pass: the flake check of pytest-rerunfailures, without a new process per
round. What a rerun means, then: the same test in the same process with the same
module state, its function-scoped fixtures set up afresh (a failed higher-scoped
fixture is set up again as well). A test that fails only because of what an earlier
test left behind fails its reruns too and counts as a real failure; a test whose
outcome is nondeterministic (timing, randomness, the network) shows as a pass on
some rerun. Reruns are marked on the item (RERUN_ATTR) so that the coverage plugin
records them under their own context, which the spectra ignore; they produce no
pytest reports, so the run's pass/fail counts and exit status are the first run's.

This module imports only the standard library, pytest and plugin_env (copied beside it), so it
works under any interpreter that can import it. It reads its settings only in pytest_configure, so a
warm pytest imports it once for all its forked runs (tools/testing/pytest_forkserver.py); it has no
assert of its own for pytest to rewrite: PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

import faulthandler
import json
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

# The settings' names live where suture's own process can read them without importing pytest.
# Relative: the same file also runs as suture_pytest_plugins.pytest_results_plugin (pytest_shim.py).
from .plugin_env import (AFTER_HANG_ENV, LIMITS_ENV, RERUN_ATTR, RERUNS_ENV, RESULTS_ENV, SENTINEL_ENV,
                         SKIP_ENV, STOP_AT_HANG_ENV, STUCK_ENV, STUCK_SIGNAL, TIMEOUT_ENV, read_limits)

MESSAGE_LIMIT = 4000
# A per-test timeout that fell inside coverage.py's bookkeeping is raised again this much later, at most
# this many times (then where it falls: coverage.py's own test suite runs inside it).
ALARM_RETRY_SECONDS, ALARM_RETRIES = 0.005, 200
FRAME_LIMIT = 60
# pytest's "short" traceback style, used for import errors of test modules: "path:12: in func".
_SHORT_FRAME = re.compile(r"^(\S[^\n]*?):(\d+): in (\S+)\s*$", re.MULTILINE)


class PerTestTimeout(BaseException):
    """Raised inside a test that ran past its per-test timeout.

    A BaseException so that a test's own `except Exception:` does not swallow it.
    """


def _inside_coverage(frame: Any) -> bool:
    """Whether `frame`, the code a signal interrupted, is coverage.py's own: its tracer's callbacks.

    Only the innermost frame: under `coverage run -m pytest` coverage's frames are at the bottom of
    every stack, and a timeout must still stop the test."""
    module = sys.modules.get("coverage")
    where = os.path.dirname(getattr(module, "__file__", None) or "") if module is not None else ""
    return bool(where) and frame is not None and frame.f_code.co_filename.startswith(where + os.sep)


def internal_dirs() -> tuple[str, ...]:
    import _pytest
    import pluggy

    dirs = {Path(_pytest.__file__).parent, Path(pluggy.__file__).parent, Path(pytest.__file__).parent}
    # This plugin's own file counts as pytest's: its frames say nothing about the code under test.
    return (*(str(d) + os.sep for d in dirs), __file__)


def _shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n... [{len(text) - limit} characters cut] ...\n{text[-half:]}"


class _ResultsWriter:
    def __init__(self, path: str, timeout: float, stuck_path: str | None = None, reruns: int = 0,
                 limits: dict[str, float] | None = None, after_hang: tuple[float, float] | None = None,
                 stop_at_hang: bool = False) -> None:
        # Line buffered and flushed per record: a killed run keeps every finished line.
        self._out = open(path, "a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()
        self._pid = os.getpid()  # a test's forked child that falls back into pytest must not write
        self._timeout = timeout
        self._limits = limits or {}  # per node id, in place of `timeout`
        self._limit = timeout  # the running phase's
        self._retries = 0  # the running phase's alarms put off (_on_alarm)
        self._after_hang = after_hang  # (multiple, floor), or None
        self._stop_at_hang = stop_at_hang
        self._a_test_hung = False
        self._passed: dict[str, float] = {}  # node id -> call duration of the tests that passed so far
        self._internal = internal_dirs()
        # (nodeid, when) -> (exception text, frames), taken from the live excinfo in makereport
        self._failures: dict[tuple[str, str], tuple[str, list[list[Any]]]] = {}
        self._timed_out: set[tuple[str, str]] = set()
        self._phase: tuple[str, str] | None = None
        self._reruns = reruns
        self._failed: set[str] = set()  # node ids with a failed report, for the reruns
        self._hung: set[str] = set()  # node ids of tests that ran past the per-test timeout: never re-run
        # While a test re-runs: its node id, and whether any report of the rerun failed. Reruns are
        # run with log=False, but some reports are logged anyway (subtests report each failing
        # subTest through pytest_runtest_logreport, not in the protocol's return value).
        self._rerun_of: str | None = None
        self._rerun_failed = False
        self._stuck_file = None
        if stuck_path and (timeout > 0 or self._limits) and hasattr(faulthandler, "register"):
            # A C-level handler: it dumps the stacks even while a C loop holds the GIL. The runner sends
            # the signal when a test makes no progress; unlike dump_traceback_later it keeps no thread,
            # which a test's forked child would wait for forever.
            self._stuck_file = open(stuck_path, "w", encoding="utf-8")
            faulthandler.register(STUCK_SIGNAL, file=self._stuck_file, all_threads=True)

    # -- output -------------------------------------------------------------------------
    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, default=str)
        with self._lock:
            if not self._out.closed and os.getpid() == self._pid:
                self._out.write(line + "\n")
                self._out.flush()

    def close(self) -> None:
        with self._lock:
            self._out.close()
        if self._stuck_file is not None:
            faulthandler.unregister(STUCK_SIGNAL)
            self._stuck_file.close()

    # -- traceback frames ---------------------------------------------------------------
    def _frames_of(self, excinfo: pytest.ExceptionInfo[BaseException] | None) -> list[list[Any]]:
        if excinfo is None:
            return []
        frames = []
        for entry in excinfo.traceback:
            path = str(entry.path)
            if path.startswith(self._internal):
                continue
            frames.append([path, entry.lineno + 1, entry.name])
        return frames[-FRAME_LIMIT:]

    def _frames_of_longrepr(self, longrepr: Any) -> list[list[Any]]:
        """Fallback when no excinfo reached us: a collection error, or a report built in another process."""
        chain = getattr(longrepr, "chain", None)
        reprtraceback = chain[-1][0] if chain else getattr(longrepr, "reprtraceback", None)
        frames = []
        for entry in getattr(reprtraceback, "reprentries", None) or []:
            loc = getattr(entry, "reprfileloc", None)
            if loc is not None:
                frames.append([str(loc.path), int(loc.lineno), ""])
        if not frames and longrepr is not None:
            for match in _SHORT_FRAME.finditer(str(longrepr)):
                frames.append([match[1], int(match[2]), match[3]])
        absolute = []
        for path, line, function in frames:
            path = os.path.abspath(path)
            if not path.startswith(self._internal):
                absolute.append([path, line, function])
        return absolute[-FRAME_LIMIT:]

    # -- per-test timeout ---------------------------------------------------------------
    def _can_alarm(self) -> bool:
        return (
            self._limit > 0
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )

    def _on_alarm(self, signum: int, frame: Any) -> None:
        if _inside_coverage(frame) and self._retries < ALARM_RETRIES:
            # coverage.py's C tracer calls back into Python around its data lock (lock_data / unlock_data,
            # on every call that crosses files: a hanging loop makes millions). An exception raised there
            # leaves the lock held, and the run deadlocked in the coverage plugin's flush at session end
            # until the whole run's limit (a baseline with one hanging test took 77 of its 90 s). The
            # timeout is raised a moment later, back in the test's own code.
            self._retries += 1
            signal.setitimer(signal.ITIMER_REAL, ALARM_RETRY_SECONDS)
            return
        if self._phase is not None:
            self._timed_out.add(self._phase)
        self._a_test_hung = True
        raise PerTestTimeout(f"test exceeded the per-test timeout of {self._limit:g} s")

    def _limit_of(self, nodeid: str) -> float:
        limit = self._limits.get(nodeid, self._timeout)
        if self._after_hang is None or not self._a_test_hung or limit <= 0:
            return limit
        multiple, floor = self._after_hang
        module = nodeid.split("::", 1)[0]
        siblings = [d for n, d in self._passed.items() if n.split("::", 1)[0] == module]
        slowest = max(siblings or self._passed.values(), default=0.0)
        return min(limit, max(floor, multiple * slowest))

    def run_phase(self, item: pytest.Item, when: str):
        """Generator body for the setup / call / teardown hook wrappers."""
        self._phase = (item.nodeid, when)
        self._limit = self._limit_of(item.nodeid)
        self._retries = 0
        alarm = self._can_alarm()
        if alarm:
            previous = signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self._limit)
        try:
            return (yield)
        finally:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
            self._phase = None

    # -- hooks --------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        return (yield from self.run_phase(item, "setup"))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item):
        return (yield from self.run_phase(item, "call"))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None):
        return (yield from self.run_phase(item, "teardown"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        report = yield
        if call.excinfo is not None and not report.skipped:
            self._failures[(item.nodeid, call.when)] = (call.excinfo.exconly(), self._frames_of(call.excinfo))
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        result = yield
        if self._reruns > 0 and item.nodeid in self._failed - self._hung and os.getpid() == self._pid:
            self._rerun(item, nextitem)
        if self._stop_at_hang and item.nodeid in self._hung:
            # pytest's own way out of the loop (-x): exit status 1, teardown and the finish record as usual.
            item.session.shouldfail = f"{item.nodeid} ran past its limit ({STOP_AT_HANG_ENV})"
        return result

    def _rerun(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """Run a failed test again, up to `reruns` times, until it passes; one "rerun" record each."""
        from _pytest.runner import runtestprotocol

        try:
            for attempt in range(1, self._reruns + 1):
                setattr(item, RERUN_ATTR, attempt)
                _forget_failed_fixtures(item)
                if hasattr(item, "_initrequest"):
                    item._initrequest()  # fresh function-scoped fixture values, as pytest-rerunfailures does
                self.write({"event": "start", "nodeid": item.nodeid, "thread": threading.main_thread().ident,
                            "rerun": attempt})
                self._rerun_of, self._rerun_failed = item.nodeid, False
                try:
                    reports = runtestprotocol(item, nextitem=nextitem, log=False)
                finally:
                    self._rerun_of = None
                passed = (
                    any(r.when == "call" and r.passed for r in reports)
                    and not any(r.failed for r in reports)
                    and not self._rerun_failed
                )
                self.write({"event": "rerun", "nodeid": item.nodeid, "attempt": attempt,
                            "outcome": "passed" if passed else "failed"})
                if passed:
                    break
        finally:
            if hasattr(item, RERUN_ATTR):
                delattr(item, RERUN_ATTR)
            for when in ("setup", "call", "teardown"):  # reruns are not logged: drop what they left
                self._failures.pop((item.nodeid, when), None)
                self._timed_out.discard((item.nodeid, when))

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        skip_file = os.environ.get(SKIP_ENV)
        if not skip_file or not os.path.exists(skip_file):
            return
        with open(skip_file, encoding="utf-8") as fh:
            skip = set(fh.read().splitlines())
        deselected = [item for item in items if item.nodeid in skip]
        if deselected:
            items[:] = [item for item in items if item.nodeid not in skip]
            config.hook.pytest_deselected(items=deselected)

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        # The main thread's id lets the runner find its stack in a faulthandler dump.
        self.write({"event": "start", "nodeid": nodeid, "thread": threading.main_thread().ident})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self._rerun_of is not None:  # a report from inside a rerun: it decides the rerun, nothing else
            self._rerun_failed = self._rerun_failed or bool(report.failed)
            return
        key = (report.nodeid, report.when)
        message, frames = self._failures.pop(key, ("", []))
        details = ""
        if report.passed and report.when == "call":
            self._passed[report.nodeid] = report.duration
        if report.failed:
            self._failed.add(report.nodeid)
            if key in self._timed_out:
                self._hung.add(report.nodeid)
            details = report.longreprtext
            if not message:
                crash = getattr(report.longrepr, "reprcrash", None)
                message = crash.message if crash is not None else details
            if not frames:
                frames = self._frames_of_longrepr(report.longrepr)
        elif report.skipped and isinstance(report.longrepr, tuple):
            message = str(report.longrepr[2])  # (path, line, reason)
        xfail = hasattr(report, "wasxfail")
        if xfail and not message:
            message = f"xfail: {report.wasxfail}".rstrip(": ")
        self.write(
            {
                "event": "report",
                "nodeid": report.nodeid,
                "when": report.when,
                "outcome": report.outcome,
                "duration": round(report.duration, 6),
                "message": _shorten(message),
                "details": _shorten(details),
                "frames": frames,
                "timeout": key in self._timed_out,
                "xfail": xfail,
            }
        )
        self._timed_out.discard(key)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if not report.failed:
            return
        self.write(
            {
                "event": "collection_error",
                "nodeid": report.nodeid,
                "message": _shorten(report.longreprtext),
                "frames": self._frames_of_longrepr(report.longrepr),
            }
        )

    def pytest_internalerror(self, excrepr: Any, excinfo: Any) -> None:
        self.write({"event": "internal_error", "message": _shorten(str(excrepr))})

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.write({"event": "finish", "exitstatus": int(exitstatus)})


def _forget_failed_fixtures(item: pytest.Item) -> None:
    """Let a higher-scoped fixture whose setup raised be set up again on the rerun (pytest caches
    the exception per scope); best effort across pytest versions."""
    info = getattr(item, "_fixtureinfo", None)
    for defs in getattr(info, "name2fixturedefs", {}).values():
        for fixturedef in defs:
            cached = getattr(fixturedef, "cached_result", None)
            if cached is not None and len(cached) > 2 and cached[2] is not None:
                fixturedef.cached_result = None


_WRITER_NAME = "suture-results-writer"


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.get(RESULTS_ENV)
    # xdist workers send their reports to the controller, which writes them once.
    if not path or hasattr(config, "workerinput"):
        return
    try:
        timeout = float(os.environ.get(TIMEOUT_ENV) or 0)
    except ValueError:
        timeout = 0.0
    try:
        reruns = int(os.environ.get(RERUNS_ENV) or 0)
    except ValueError:
        reruns = 0
    writer = _ResultsWriter(path, timeout, os.environ.get(STUCK_ENV), reruns, read_limits(os.environ.get(LIMITS_ENV)),
                            _after_hang(os.environ.get(AFTER_HANG_ENV)), os.environ.get(STOP_AT_HANG_ENV) == "1")
    config.pluginmanager.register(writer, _WRITER_NAME)
    sentinel = os.environ.get(SENTINEL_ENV)
    if sentinel and os.path.isfile(sentinel) and isinstance(getattr(config, "args", None), list):
        # After the run's own arguments (or its testpaths): collected, and so run, last.
        config.args.append(sentinel)


def _after_hang(text: str | None) -> tuple[float, float] | None:
    try:
        multiple, floor = (float(part) for part in (text or "").split(","))
    except ValueError:
        return None
    return (multiple, floor) if multiple > 0 and floor > 0 else None


def pytest_unconfigure(config: pytest.Config) -> None:
    writer = config.pluginmanager.get_plugin(_WRITER_NAME)
    if writer is not None:
        writer.close()
        config.pluginmanager.unregister(writer)
