"""Run a project's tests safely and read back one structured outcome per test.

Every run is a child process in its own session and process group, under a
wall-clock limit. When the run ends, normally or not, whatever it left behind
is killed: the process group, the session, and any process that still carries
this run's token in its environment (a forked child that called setsid()). On Linux the
command runs under a leader process (tools/testing/sandbox_leader.py: the run's child subreaper, so a
daemon that also cleared its environment is caught too; a parent-death signal; the memory
cap), inside bubblewrap when the sandbox policy says so (tools/testing/sandbox.py).

pytest runs are read through suture's own plugin (pytest_results_plugin), which
writes a JSON line per report and flushes it, so a run killed at its time limit
still yields the outcomes it reached, and the test that was running is marked
"timeout". A custom test command that is not pytest (`make test`, `tox`, ...)
gives no per-test results: its exit code becomes one pseudo-outcome whose node id
is the command line itself (passed on exit 0, failed otherwise).

Over 600 lines as one concept: running a project's tests safely (the command, its process
group and limits, the warm server, the results file, a stuck test) is one job with one
outcome type.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from suture.retrieval.testfiles import is_test_module
from suture.tools.testing import pytest_forkserver
from suture.tools.testing import pytest_shim
from suture.tools.testing import sandbox
from suture.tools.childenv import ALWAYS_PASSED, project_env
# The plugins' settings, not the plugins: those import pytest, which suture's own process never needs.
from suture.tools.testing.plugin_env import (
    AFTER_HANG_ENV,
    LIMITS_ENV,
    RERUNS_ENV,
    RESULTS_ENV,
    SENTINEL_ENV,
    SKIP_ENV,
    STOP_AT_HANG_ENV,
    STUCK_ENV,
    STUCK_SIGNAL,
    TIMEOUT_ENV,
    read_limits,
)
from suture.tools.git.worktree import scratch_worktree

__all__ = [
    "Baseline",
    "Frame",
    "TestOutcome",
    "TestRun",
    "TestRunError",
    "baseline",
    "detect_test_command",
    "baseline_test_limit",
    "bind_interpreter",
    "hang_limits",
    "hang_limits_env",
    "shorten_after_hang_env",
    "is_pytest_command",
    "prestart_warm",
    "pytest_interpreter",
    "run_tests",
]

RESULTS_PLUGIN = "suture.tools.testing.pytest_results_plugin"
RUN_TOKEN_ENV = "SUTURE_RUN_TOKEN"
TAIL_CHARS = 6000
TERM_GRACE_SECONDS = 2.0
HASH_SEED_ENV, HASH_SEED = "PYTHONHASHSEED", "0"

# "runner_missing" is part of the shared contract but never returned: a missing runner raises TestRunError.
Status = Literal["ok", "no_tests", "collection_error", "runner_missing", "timeout", "crashed"]
OutcomeName = Literal["passed", "failed", "error", "skipped", "timeout"]
FAILING = ("failed", "error", "timeout")
# A test that hung at the baseline gets, in every later run of that fix, this multiple of the
# slowest test that passed beside it (its own file's, else the run's), at least HANG_LIMIT_FLOOR
# seconds. Five: a repaired test does the work its passing siblings do, and those were timed under
# coverage tracing at the baseline (slower than a gate's plain run); five times that still covers a
# loaded machine (runs two to three times slower), while a hang that stays a hang costs each candidate
# a second or so instead of the whole per-test limit. The floor keeps pytest's own per-test overhead
# and timer granularity from failing a fast test.
HANG_LIMIT_MULTIPLE, HANG_LIMIT_FLOOR = 5.0, 1.0
# At a baseline a test may run its per-test limit, but no more than this share of the run's time
# limit: a few hanging tests must leave time to repair (or speed up) the code.
BASELINE_TEST_SHARE = 1 / 8


class TestRunError(Exception):
    """The tests could not be run at all; the message is one sentence for the user."""

    __test__ = False  # not a pytest test class


class NoTestsFound(TestRunError):
    """Nothing in the directory looks like a pytest suite, and no test command was given."""

    __test__ = False


@dataclass(frozen=True)
class Frame:
    path: str  # repo-relative (posix) when inside the tested tree, else absolute
    line: int
    function: str


@dataclass
class TestOutcome:
    __test__ = False

    nodeid: str
    outcome: OutcomeName
    duration: float
    message: str = ""  # the exception line(s), e.g. "AssertionError: assert 0 == 4", or the skip reason
    frames: list[Frame] = field(default_factory=list)  # outermost first, pytest's own frames left out
    details: str = ""  # pytest's full failure text (shortened), for humans and the planner
    reruns: list[str] = field(default_factory=list)  # outcomes of in-session reruns ("passed"/"failed"), in order
    phase: str = ""  # of a failure: the phase that failed first (setup | call | teardown); "" otherwise


@dataclass
class TestRun:
    __test__ = False

    status: Status
    outcomes: dict[str, TestOutcome]
    collection_errors: list[str]
    returncode: int
    seconds: float
    output_tail: str
    command: list[str] = field(default_factory=list)
    warm: bool = False  # forked from a warm pytest (pytest_forkserver), not a fresh process
    # The sentinel test that must fail (agent/gates/tamper.py): "" not run, "failed" as it must,
    # "passed" (the results were rewritten), "exit0" (it failed but pytest exited 0).
    sentinel: str = ""

    @property
    def failed(self) -> list[str]:
        """Node ids that failed, errored or timed out, in run order."""
        return [n for n, o in self.outcomes.items() if o.outcome in FAILING]

    @property
    def passed(self) -> list[str]:
        return [n for n, o in self.outcomes.items() if o.outcome == "passed"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Baseline:
    run: TestRun
    failing: list[str]  # failed on the first run and on every re-run
    flaky: list[str]  # failed on the first run, passed on a re-run: excluded from verdicts, still reported
    passing: list[str]
    reruns: list[TestRun] = field(default_factory=list)


# -- the command ---------------------------------------------------------------------------

_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages", "build", "dist", "venv", "env"}


def detect_test_command(workdir: Path, python: str | None = None) -> list[str]:
    """["pytest"] when the tree has a pytest configuration or test files; else TestRunError.

    With `python` (the project's interpreter, tools/testing/pyenv.py) other than this one: that
    interpreter's `python -m pytest`.
    """
    workdir = Path(workdir)
    found = ["pytest"] if python in (None, sys.executable) else [str(python), "-m", "pytest"]
    if (workdir / "pytest.ini").is_file() or (workdir / ".pytest.ini").is_file():
        return found
    markers = {"pyproject.toml": "[tool.pytest", "setup.cfg": "[tool:pytest]", "tox.ini": "[pytest]"}
    for name, marker in markers.items():
        path = workdir / name
        if path.is_file() and marker in path.read_text(encoding="utf-8", errors="replace"):
            return found
    for root, dirs, files in os.walk(workdir):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS]
        if any(name == "conftest.py" or is_test_module(name) for name in files):
            return found
    raise NoTestsFound(
        f"no tests found in {workdir}: no pytest configuration and no test_*.py files; pass --test-cmd."
    )


def _split_command(test_cmd: str | Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """argv and leading VAR=value assignments; strings are split like a shell would, but no shell runs."""
    try:
        argv = shlex.split(test_cmd) if isinstance(test_cmd, str) else [str(a) for a in test_cmd]
    except ValueError as err:
        raise TestRunError(f"the test command {test_cmd!r} cannot be parsed: {err}.") from None
    assignments: dict[str, str] = {}
    while argv and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", argv[0]):
        name, _, value = argv.pop(0).partition("=")
        assignments[name] = value
    if not argv:
        raise TestRunError(f"the test command {test_cmd!r} is empty.")
    return argv, assignments


def _pytest_argv(argv: list[str]) -> list[str] | None:
    """The argv to run when `argv` is a pytest invocation, else None.

    A bare `pytest` / `python -m pytest` runs as `sys.executable -m pytest`, so the
    current environment's pytest (and suture's plugin) is used; an explicit path
    (`.venv/bin/pytest`) is kept as given.
    """
    head = os.path.basename(argv[0])
    explicit = os.sep in argv[0]
    if head in ("pytest", "py.test"):
        return argv if explicit else [sys.executable, "-m", "pytest", *argv[1:]]
    if re.fullmatch(r"python[0-9.]*", head) and argv[1:3] == ["-m", "pytest"]:
        return argv if explicit else [sys.executable, *argv[1:]]
    return None


def _can_warm(command: list[str]) -> bool:
    """A warm (forked) run needs an interpreter's `-m pytest` (this one, or a project's by its path) and fork()."""
    return hasattr(os, "fork") and os.path.isabs(command[0]) and command[1:3] == ["-m", "pytest"]


def is_pytest_command(test_cmd: str | Sequence[str]) -> bool:
    return _pytest_argv(_split_command(test_cmd)[0]) is not None


def bind_interpreter(test_cmd: str | Sequence[str], python: str) -> str | Sequence[str]:
    """`test_cmd` with a bare `pytest ...` / `python -m pytest ...` run by `python` (the project's,
    tools/testing/pyenv.py) instead of this interpreter; any other command unchanged."""
    argv, assignments = _split_command(test_cmd)
    found = _pytest_argv(argv)
    if found is None or found[0] != sys.executable or os.sep in argv[0] or python == sys.executable:
        return test_cmd
    return [*(f"{name}={value}" for name, value in assignments.items()), python, *found[1:]]


def pytest_interpreter(test_cmd: str | Sequence[str]) -> str | None:
    """The program a pytest command starts (an interpreter, or a pytest script); None when not pytest."""
    argv = _pytest_argv(_split_command(test_cmd)[0])
    return argv[0] if argv is not None else None


# -- processes -----------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, process group, session) of a live process, from /proc; None when gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2 :].split()
    return fields[0].decode(), int(fields[2]), int(fields[3])


def _carries_token(pid: int, token: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return token in fh.read()
    except OSError:
        return False


def _leftovers(leader: int, token: bytes) -> set[int]:
    """Live (non-zombie) processes of the run: its group, its session, or its token in their environment."""
    if not os.path.isdir("/proc"):
        return set()
    found = set()
    me = os.getpid()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        pid = int(entry.name)
        stat = _proc_stat(pid)
        if stat is None or stat[0] in ("Z", "X"):
            continue
        if leader in (stat[1], stat[2]) or _carries_token(pid, token):
            found.add(pid)
    return found


def _signal_run(leader: int, token: bytes, sig: int) -> bool:
    """Send `sig` to everything the run left; True when anything was still alive."""
    alive = False
    try:
        os.killpg(leader, sig)
        alive = True
    except (ProcessLookupError, PermissionError):
        pass
    for pid in _leftovers(leader, token):
        alive = True
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    return alive


def _all_gone(leader: int, token: bytes) -> bool:
    if os.path.isdir("/proc"):
        return not _leftovers(leader, token)  # zombies do not count: they only wait to be reaped
    try:
        os.killpg(leader, 0)
    except (ProcessLookupError, PermissionError):
        return True
    return False


def _wait_gone(leader: int, token: bytes, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not _all_gone(leader, token):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _kill_run(proc: Any, token: bytes) -> None:
    """SIGTERM, then SIGKILL, to the run's whole group, session and token holders.

    A warm run whose server reported its end needs none of it: the server, the subreaper of its runs,
    killed and reaped all the run left before it answered (pytest_forkserver.WarmRun.settled), and the
    look through every process of the machine costs CPU (4.8 ms with 150 processes) in each of the
    ~40 runs of a small fix run."""
    if getattr(proc, "settled", False):
        return
    if _signal_run(proc.pid, token, signal.SIGTERM):
        try:
            proc.wait(TERM_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        if not _wait_gone(proc.pid, token, TERM_GRACE_SECONDS):
            _signal_run(proc.pid, token, signal.SIGKILL)
            _wait_gone(proc.pid, token, TERM_GRACE_SECONDS)
    if proc.returncode is None:
        proc.kill()
        proc.wait()


def kill_process_tree(proc: Any, marker: str) -> None:
    """SIGTERM, then SIGKILL, to `proc`'s group and session and to every process carrying `marker`
    in its environment (what it started in sessions of their own); for callers outside the test run."""
    _kill_run(proc, marker.encode())


def kill_marked(marker: str) -> None:
    """SIGKILL to every process carrying `marker` in its environment: what a lost process (no
    longer anyone's child, its pid perhaps reused) started, found by its marker alone."""
    if not os.path.isdir("/proc"):
        return
    token, me = marker.encode(), os.getpid()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != me and _carries_token(int(entry.name), token):
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class _ProgressWatch:
    """Tells when a pytest run has been inside one test phase for too long.

    The plugin's SIGALRM stops ordinary hangs; this catches the rest (a C loop
    holding the GIL): no new result line for `limit` seconds while a test is in
    progress. It then asks faulthandler for the stacks (STUCK_SIGNAL) before the
    run is killed.
    """

    def __init__(self, results: Path, stuck: Path, limit: float, limits: dict[str, float] | None = None) -> None:
        self.results, self.stuck, self.limit = results, stuck, limit
        self.limits = limits or {}  # per node id (SUTURE_TEST_LIMITS), each with the same grace as `limit`
        self.offset, self.partial = 0, b""
        self.in_test, self.since, self.nodeid = False, time.monotonic(), ""

    def __call__(self, pid: Any) -> bool:
        try:
            size = self.results.stat().st_size
        except FileNotFoundError:
            size = 0
        if size > self.offset:
            with open(self.results, "rb") as fh:
                fh.seek(self.offset)
                lines = (self.partial + fh.read(size - self.offset)).split(b"\n")
            self.offset, self.partial = size, lines.pop()
            for line in lines:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                event = rec.get("event")
                self.in_test = event == "start" or (event == "report" and rec.get("when") != "teardown")
                self.nodeid = rec.get("nodeid", "") if event == "start" else self.nodeid
            self.since = time.monotonic()
        own = self.limits.get(self.nodeid)
        limit = self.limit if own is None else min(self.limit, own + max(2.0, own))
        if not self.in_test or time.monotonic() - self.since < limit:
            return False
        try:
            os.kill(pid() if callable(pid) else pid, STUCK_SIGNAL)
        except ProcessLookupError:
            return False
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and not (self.stuck.exists() and self.stuck.stat().st_size):
            time.sleep(0.05)
        return True


def _run_in_group(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    output: Path,
    watch: _ProgressWatch | None = None,
    warm: Any = None,
    scratch: Path | None = None,
    outputs: dict[str, str] | None = None,
) -> tuple[int, bool, bool]:
    """(returncode, timed_out, stuck); nothing the run started survives this call.

    With `warm` (a leased pytest_forkserver server) the run is a child forked from it, given
    pytest's arguments only (argv after `python -m pytest`); raises ServerGone when it cannot.
    Otherwise, on Linux, the command runs under its leader (tools/testing/sandbox_leader.py: subreaper,
    parent-death signal, memory cap), inside bwrap when the sandbox policy says so.
    """
    token = uuid.uuid4().hex
    env = {**env, RUN_TOKEN_ENV: token}
    marker = f"{RUN_TOKEN_ENV}={token}".encode()
    proc: Any
    # Who gets the stack-dump signal, looked up when needed: the leader forwards it to the command.
    def target() -> int:
        return proc.pid if warm is not None else sandbox.leader_pid(proc.pid, marker)

    # The limit counts from here, the warm server's start of the run included (under load that
    # hand-over took seconds the time limit never saw).
    deadline = time.monotonic() + timeout
    if warm is not None:
        proc = warm.start(argv[3:], str(cwd), env, str(output), memory=sandbox.policy().memory_limit,
                          ready_timeout=max(0.1, timeout))
    else:
        led = sys.platform.startswith("linux") and scratch is not None
        if led:
            argv = sandbox.leader_argv([sandbox.resolve_program(argv[0], env), *argv[1:]],
                                       workdir=cwd, scratch=scratch, outputs=outputs or {})
        # Output goes to a file, not a pipe: a grandchild holding the pipe open cannot block us.
        with open(output, "ab") as out:
            proc = subprocess.Popen(
                argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not led:
            sandbox.cap_memory(proc.pid, sandbox.policy().memory_limit)
    timed_out = stuck = False
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                proc.wait(min(left, 0.25) if watch else left)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    timed_out = True
                    break
                if watch is not None and watch(target):
                    stuck = True
                    break
    finally:
        # Also on KeyboardInterrupt, and after a normal exit (forked children may still run).
        _kill_run(proc, marker)
    return proc.returncode, timed_out, stuck


# -- results -------------------------------------------------------------------------------


def _read_records(path: Path) -> list[dict[str, Any]]:
    records = []
    if not path.exists():
        return records
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut by the kill
    return records


def _frame(raw: list[Any], root: Path) -> Frame:
    path, line, function = raw
    absolute = Path(path)
    try:
        path = absolute.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        pass
    return Frame(str(path), int(line), str(function))


def _outcomes(records: list[dict[str, Any]], root: Path, stopped: str | None) -> dict[str, TestOutcome]:
    """One outcome per node id from the per-phase reports.

    `stopped` is the outcome ("timeout" or "error") given to a test that started but
    never reported its end because the whole run was killed or died.
    """
    outcomes: dict[str, TestOutcome] = {}
    durations: dict[str, float] = {}
    ended: set[str] = set()
    reruns: dict[str, list[str]] = {}
    last_started = None
    for rec in records:
        event, nodeid = rec.get("event"), rec.get("nodeid", "")
        if event == "start":
            last_started = nodeid
            continue
        if event == "rerun":
            reruns.setdefault(nodeid, []).append(str(rec.get("outcome", "failed")))
            continue
        if event != "report":
            continue
        when, outcome = rec["when"], rec["outcome"]
        durations[nodeid] = durations.get(nodeid, 0.0) + float(rec.get("duration", 0.0))
        if when == "teardown":
            ended.add(nodeid)
        current = outcomes.get(nodeid)
        if outcome == "failed":
            # The first failing phase decides: a failing test whose teardown also fails stays "failed".
            if current is None or current.outcome in ("passed", "skipped"):
                name = "timeout" if rec.get("timeout") else "failed" if when == "call" else "error"
                frames = [_frame(f, root) for f in rec.get("frames", [])]
                outcomes[nodeid] = TestOutcome(
                    nodeid, name, 0.0, rec.get("message", ""), frames, rec.get("details", ""), phase=when
                )
        elif outcome == "skipped" and current is None:
            outcomes[nodeid] = TestOutcome(nodeid, "skipped", 0.0, rec.get("message", ""))
        elif outcome == "passed" and when == "call" and current is None:
            outcomes[nodeid] = TestOutcome(nodeid, "passed", 0.0)
    if stopped and last_started and last_started not in ended:
        current = outcomes.get(last_started)
        if current is None or current.outcome in ("passed", "skipped"):
            message = (
                "the run hit its wall-clock limit during this test"
                if stopped == "timeout"
                else "the test process died during this test"
            )
            outcomes[last_started] = TestOutcome(last_started, stopped, 0.0, message)
    for nodeid, outcome in outcomes.items():
        outcome.duration = round(durations.get(nodeid, 0.0), 6)
        outcome.reruns = reruns.get(nodeid, [])
    return outcomes


_DUMP_THREAD = re.compile(r"^(?:Current thread|Thread) (0x[0-9a-fA-F]+)")
_DUMP_FRAME = re.compile(r'^\s+File "(.+)", line (\d+) in (\S+)', re.MULTILINE)


def _stuck_report(dump: str, records: list[dict[str, Any]], per_test_timeout: float | None) -> dict[str, Any]:
    """The "timeout" report of the last started test, from faulthandler's dump of its stack."""
    start = next((r for r in reversed(records) if r.get("event") == "start"), {})
    nodeid = start.get("nodeid", "")
    phases = [r["when"] for r in records if r.get("event") == "report" and r.get("nodeid") == nodeid]
    when = "teardown" if "call" in phases else "call" if "setup" in phases else "setup"
    frames: list[list[Any]] = []
    from suture.tools.testing.pytest_results_plugin import internal_dirs  # imports pytest: only here

    internal = internal_dirs()
    for block in re.split(r"^(?=(?:Current thread|Thread) 0x)", dump, flags=re.MULTILINE):
        head = _DUMP_THREAD.match(block)
        if head and int(head[1], 16) == start.get("thread"):
            # faulthandler prints the innermost frame first.
            found = reversed(_DUMP_FRAME.findall(block))
            frames = [[f, int(n), fn] for f, n, fn in found if not f.startswith(internal)]
    return {
        "event": "report",
        "nodeid": nodeid,
        "when": when,
        "outcome": "failed",
        "duration": 0.0,
        "message": f"test exceeded the per-test timeout of {per_test_timeout:g} s inside native code that "
        "could not be interrupted; its pytest process was stopped and the suite resumed",
        "details": dump[-TAIL_CHARS:],
        "frames": frames,
        "timeout": True,
        "xfail": False,
    }


def _startup_error(tail: str) -> str:
    """The sentence pytest printed when it could not start (conftest import, usage)."""
    at = tail.find("ImportError while loading conftest")
    if at >= 0:
        return tail[at:].strip()
    errors = [line for line in tail.splitlines() if line.startswith(("ERROR:", "E "))]
    return "\n".join(errors) if errors else "\n".join(tail.strip().splitlines()[-20:])


def _tail(path: Path) -> str:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - TAIL_CHARS))
        return fh.read().decode("utf-8", errors="replace")


def _server_keep(extra_env: dict[str, str] | None) -> tuple[str, ...]:
    """The variables of `extra_env` a warm server carries from its start, and is chosen by: the pool's
    token alone, which its forked runs must carry for the pool to find and kill them. The others (a
    probe's plan and output files, coverage files) reach each run through its request; keyed by all of
    them, every synthesis probe started, and left idle, a warm pytest of its own."""
    return tuple(name for name in (extra_env or ()) if name in ALWAYS_PASSED)


def _child_env(workdir: Path, env: dict[str, str] | None, extra: dict[str, str]) -> dict[str, str]:
    child = project_env(env)  # no model keys or GitHub tokens (tools/childenv.py)
    # When suture itself runs under pytest(-xdist), do not leak its test-runner state.
    for name in list(child):
        if name.startswith("PYTEST_XDIST_") or name == "PYTEST_CURRENT_TEST" or name == RUN_TOKEN_ENV:
            del child[name]
    child["PYTHONDONTWRITEBYTECODE"] = "1"
    # One string-hash seed for every run (baseline, warm gates, fresh confirmations): node ids of tests
    # parametrized over a set follow its iteration order ("test_format[4-19-expected7-%C]"), so with a
    # random seed per process the gates looked for ids the baseline's process had named differently
    # (isodate: 50 correct patches' tests "not collected"). A seed the user sets is kept.
    child.setdefault(HASH_SEED_ENV, HASH_SEED)
    # src-layout projects: import the checkout's code, not an editable install of the user's tree.
    if (workdir / "src").is_dir():
        child["PYTHONPATH"] = os.pathsep.join(p for p in (str(workdir / "src"), child.get("PYTHONPATH")) if p)
    child.update(extra)
    return child


def prestart_warm(workdir: Path, test_cmd: str | Sequence[str] | None = None,
                  extra_env: dict[str, str] | None = None) -> threading.Thread | None:
    """Start, in a background thread, the warm pytest that a later `run_tests(workdir, test_cmd=...,
    warm=True)` will lease (pytest_forkserver keeps it once started), so its start-up overlaps whatever
    runs meanwhile (localisation's coverage run, before the mutation step). None when that run would
    not be warm (not this kind of pytest command)."""
    workdir = Path(workdir).resolve()
    argv, assignments = _split_command(test_cmd if test_cmd is not None else detect_test_command(workdir))
    pytest_argv = _pytest_argv(argv)
    if pytest_argv is None:
        return None
    env = _child_env(workdir, None, {**assignments, **(extra_env or {})})
    command = _pytest_command(pytest_argv, (), env, ())
    if not _can_warm(command):
        return None
    script = None if command[0] == sys.executable else pytest_shim.forkserver_script()
    wrap = _server_wrap(workdir, dict(extra_env or {}), command) if sandbox.used_mode() == "bwrap" else ()

    def start() -> None:
        try:
            with pytest_forkserver.lease(command[0], env, keep=_server_keep(extra_env), script=script, wrap=wrap):
                pass
        except (pytest_forkserver.ServerGone, OSError):
            pass  # the run that wants it starts one itself, or runs fresh

    thread = threading.Thread(target=start, name="suture-prestart-warm", daemon=True)
    thread.start()
    return thread


def run_tests(
    workdir: Path,
    *,
    test_cmd: str | Sequence[str] | None = None,
    nodeids: Sequence[str] = (),
    timeout: float = 600,
    per_test_timeout: float | None = 60,
    env: dict[str, str] | None = None,
    pytest_plugins: Sequence[str] = (),
    extra_env: dict[str, str] | None = None,
    reruns: int = 0,
    warm: bool = False,
    deselect: Sequence[str] = (),
    sentinel: bool = False,
) -> TestRun:
    """Run the tests in `workdir` and return one outcome per test node id.

    `nodeids` restricts a pytest run (ignored for custom commands). `env` replaces
    the inherited environment, `extra_env` is added on top. `reruns` > 0 re-runs each
    failing test in the same pytest session right after it fails, up to that many
    times until it passes (TestOutcome.reruns; see pytest_results_plugin): not under
    xdist workers, and not for a test whose process was killed. `warm` forks the run from
    a pytest that is already loaded (pytest_forkserver) when the command is this
    interpreter's `python -m pytest`, else runs it fresh: ten times faster to start, for
    runs whose verdict a fresh run confirms (see that module). Raises TestRunError
    when the command cannot be found or started, or pytest is not installed. `deselect` names
    node ids a pytest run leaves out (tests known to hang). `sentinel` adds, to a pytest run, a
    generated test that must fail (TestRun.sentinel; agent/gates/tamper.py); it is not in `outcomes`.
    """
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        raise TestRunError(f"{workdir} is not a directory.")
    argv, assignments = _split_command(test_cmd if test_cmd is not None else detect_test_command(workdir))
    shown = shlex.join(argv)
    pytest_argv = _pytest_argv(argv)
    child_env = _child_env(workdir, env, {**assignments, **(extra_env or {})})

    boxed = sandbox.used_mode() == "bwrap"
    sentinel_file = None
    with tempfile.TemporaryDirectory(prefix="suture-run-", dir=sandbox.private_scratch_root()) as scratch:
        results, output = Path(scratch) / "results.jsonl", Path(scratch) / "output.txt"
        if boxed:  # the run's only writable temp dir (tools/testing/sandbox.py)
            child_env["TMPDIR"] = str(_made(Path(scratch) / "tmp"))
        outputs = dict(extra_env or {})  # files the run writes outside its tree
        if pytest_argv is not None:
            command = _pytest_command(pytest_argv, pytest_plugins, child_env, nodeids)
            sentinel_file = _pytest_env(child_env, Path(scratch), results, per_test_timeout, reruns, sentinel,
                                        deselect)
        else:
            command = argv
        launch = _Launch(command, argv, workdir, child_env, Path(scratch), results, output, outputs,
                         _server_keep(extra_env), boxed)
        started = time.monotonic()
        returncode, timed_out, use_warm = _execute(launch, timeout, per_test_timeout, deselect,
                                                   warm and _can_warm(command), pytest_argv is not None)
        seconds = time.monotonic() - started
        tail = _tail(output)
        records = _read_records(results)

    if not timed_out and returncode in (126, 127):
        raise TestRunError(f"the test command {shown!r} was not found or not executable (exit {returncode}).")
    if pytest_argv is None:
        return _custom_run(shown, command, returncode, timed_out, seconds, tail)
    if not records and not timed_out:
        _raise_startup_failure(pytest_argv[0], tail)

    finished = any(r.get("event") == "finish" for r in records)
    stopped = "timeout" if timed_out else None if finished else "error"
    outcomes = _outcomes(records, workdir, stopped)
    sentinel_state, returncode = _take_sentinel(outcomes, sentinel_file, returncode, finished)
    # a resumed run reports the same collection errors again
    collection_errors = list(dict.fromkeys(f"{r.get('nodeid') or '<session>'}: {r.get('message', '')}".strip()
                                           for r in records if r.get("event") == "collection_error"))
    internal = [r.get("message", "") for r in records if r.get("event") == "internal_error"]
    status = _status(timed_out, collection_errors, returncode, finished, internal, tail)
    if boxed and status in ("ok", "collection_error"):
        sandbox.note_network_failures(
            [o.message + "\n" + o.details for o in outcomes.values() if o.outcome in FAILING] + collection_errors)
    return TestRun(status, outcomes, collection_errors, returncode, seconds, tail, command, warm=use_warm,
                   sentinel=sentinel_state)


@dataclass
class _Launch:
    """One run's command line, environment and files, as run_tests set them up."""

    command: list[str]
    argv: list[str]  # the command as given, for error sentences
    workdir: Path
    env: dict[str, str]
    scratch: Path
    results: Path
    output: Path
    outputs: dict[str, str]  # files the run writes outside its tree (kept writable under bwrap)
    keep: tuple[str, ...]  # variables a warm server carries from its start (the pool token), by name
    boxed: bool  # under bwrap


def _execute(launch: _Launch, timeout: float, per_test_timeout: float | None, deselect: Sequence[str],
             warm: bool, is_pytest: bool) -> tuple[int, bool, bool]:
    """(return code, timed out, ran warm): the run, forked from a warm pytest when `warm` (started
    fresh when none is to be had), and resumed past a test stuck in native code."""
    shown = shlex.join(launch.argv)
    stuck_file = launch.scratch / "stuck.txt"
    watch = None
    if is_pytest and per_test_timeout and per_test_timeout > 0 and STUCK_SIGNAL is not None:
        launch.env[STUCK_ENV] = str(stuck_file)
        watch = _ProgressWatch(launch.results, stuck_file, per_test_timeout + max(2.0, per_test_timeout),
                               read_limits(launch.env.get(LIMITS_ENV)))
    started = time.monotonic()
    resumed = False
    while True:
        left = max(0.1, timeout - (time.monotonic() - started))
        try:
            try:
                returncode, timed_out, stuck = _run_once(launch, left, watch, warm)
            except pytest_forkserver.ServerGone:
                warm = False  # no warm pytest here: the same run, started fresh
                continue
        except FileNotFoundError:
            raise TestRunError(f"the test command {shown!r} was not found (no such program: {launch.argv[0]}).") from None
        except PermissionError:
            raise TestRunError(
                f"the test command {shown!r} could not be started: {launch.argv[0]} is not executable."
            ) from None
        if not stuck:
            break
        # A test stuck in native code: record it, go on without what already reported.
        resumed = True
        watch = _skip_past_stuck(launch, stuck_file, per_test_timeout, deselect, watch)
        if launch.env.get(STOP_AT_HANG_ENV) == "1":
            break  # the caller ends the run at its first hang (pytest_results_plugin): recorded, not resumed
    if resumed and returncode == 5:
        returncode = 1  # the resumed run had nothing left; the stuck test still counts as a failure
    return returncode, timed_out, warm


def _run_once(launch: _Launch, left: float, watch: Any, warm: bool) -> tuple[int, bool, bool]:
    """One attempt: (return code, timed out, stuck). Raises ServerGone when the warm server is."""
    command = launch.command
    if not warm:
        return _run_in_group(command, launch.workdir, launch.env, left, launch.output, watch,
                             scratch=launch.scratch, outputs=launch.outputs)
    script = None if command[0] == sys.executable else pytest_shim.forkserver_script()
    wrap = _server_wrap(launch.workdir, launch.outputs, command) if launch.boxed else ()
    # A server that must first load counts against the run's `left`, and may take no longer than it
    # (ServerGone then: the caller starts the run fresh with what is left, which ends it at once).
    deadline = time.monotonic() + left
    with pytest_forkserver.lease(command[0], launch.env, keep=launch.keep, script=script, wrap=wrap,
                                 ready_timeout=left) as server:
        return _run_in_group(command, launch.workdir, launch.env, max(0.1, deadline - time.monotonic()),
                             launch.output, watch, warm=server)


def _server_wrap(workdir: Path, outputs: dict[str, str], command: list[str]) -> tuple[str, ...]:
    """The bwrap prefix a warm server for runs in `workdir` lives under: a server per tree, its writable
    places fixed when it starts (the command's node ids, relative paths, do not change it)."""
    root = sandbox.private_scratch_root()
    return tuple(sandbox.bwrap_prefix(sandbox.writable_dirs(workdir, root, outputs), die_with_parent=False,
                                      tmpdir=str(root / "tmp"), keep=command))


def _skip_past_stuck(launch: _Launch, stuck_file: Path, per_test_timeout: float | None, deselect: Sequence[str],
                     watch: Any) -> Any:
    """Record the stuck test as a failure and have the next attempt skip every test already reported;
    returns the watch for that attempt."""
    so_far = _read_records(launch.results)
    dump = stuck_file.read_text(errors="replace") if stuck_file.exists() else ""
    with open(launch.results, "a", encoding="utf-8") as fh:
        fh.write("\n" + json.dumps(_stuck_report(dump, so_far, per_test_timeout)) + "\n")
    done = {r["nodeid"] for r in _read_records(launch.results) if r.get("event") == "report"}
    skip = launch.scratch / "skip.txt"
    skip.write_text("\n".join(sorted(done | set(deselect))) + "\n", encoding="utf-8")
    launch.env[SKIP_ENV] = str(skip)
    fresh = _ProgressWatch(launch.results, stuck_file, watch.limit, watch.limits)
    fresh.offset = launch.results.stat().st_size
    return fresh


def _made(directory: Path) -> Path:
    directory.mkdir()
    return directory


def _pytest_env(child_env: dict[str, str], scratch: Path, results: Path, per_test_timeout: float | None,
                reruns: int, sentinel: bool, deselect: Sequence[str]) -> Path | None:
    """What suture's plugins read from the run's environment; returns the sentinel test, when asked for."""
    child_env[RESULTS_ENV] = str(results)
    child_env[TIMEOUT_ENV] = str(per_test_timeout or 0)
    child_env[RERUNS_ENV] = str(max(0, reruns))
    sentinel_file = None
    if sentinel:
        sentinel_file = _write_sentinel(scratch)
        child_env[SENTINEL_ENV] = str(sentinel_file)
    if deselect:
        skip = scratch / "skip.txt"
        skip.write_text("\n".join(deselect) + "\n", encoding="utf-8")
        child_env[SKIP_ENV] = str(skip)
    return sentinel_file


def _raise_startup_failure(python: str, tail: str) -> None:
    """TestRunError for a pytest that wrote no result at all because it could not start."""
    if "No module named pytest" in tail:
        raise TestRunError(f"pytest is not installed for {python}; install it there, choose another "
                           "interpreter with --python PATH, or pass --test-cmd CMD.")
    if "Error importing plugin" in tail:
        raise TestRunError(f"a pytest plugin could not be imported by {python}: {_startup_error(tail)}")


def _pytest_command(pytest_argv: list[str], pytest_plugins: Sequence[str], child_env: dict[str, str],
                    nodeids: Sequence[str]) -> list[str]:
    """The pytest command line with suture's plugins (under another interpreter, the project's:
    by a path of their own, tools/testing/pytest_shim.py, which child_env's PYTHONPATH gets)."""
    plugins = [RESULTS_PLUGIN, *pytest_plugins]
    if pytest_argv[0] != sys.executable:
        plugins = [pytest_shim.plugin_name(p) for p in plugins]
        bridge = [pytest_shim.plugin_dir()]
        if any(p.endswith(".coverage_plugin") for p in plugins):
            lent = pytest_shim.coverage_path(pytest_argv[0])
            if lent is None:  # no coverage.py for that Python: the run goes without per-test coverage
                plugins = [p for p in plugins if not p.endswith(".coverage_plugin")]
            bridge += lent or []
        child_env["PYTHONPATH"] = os.pathsep.join(p for p in (child_env.get("PYTHONPATH"), *bridge) if p)
    command = list(pytest_argv)
    for plugin in plugins:
        command += ["-p", plugin]
    # No .pytest_cache in the tree; a broken test module must not hide the rest of the suite.
    return command + ["-p", "no:cacheprovider", "--continue-on-collection-errors", *nodeids]


def _take_sentinel(outcomes: dict[str, Any], sentinel_file: Path | None, returncode: int,
                   finished: bool) -> tuple[str, int]:
    """(the sentinel's state: "" not run, "failed" as it must, "passed" or "exit0" when the results were
    tampered with; the run's return code without it). The sentinel's outcome leaves `outcomes`."""
    if sentinel_file is None:
        return "", returncode
    # Outside the rootdir, pytest names it by its function alone ("::test_s<nonce>").
    mine = [n for n in outcomes if n.split("::")[-1] == sentinel_file.stem]
    states = [outcomes.pop(n).outcome for n in mine]
    if not states:
        return "", returncode
    state = "passed" if "passed" in states else "failed"
    if state == "failed" and returncode == 0 and finished:
        state = "exit0"
    if not outcomes and returncode == 1:
        returncode = 5  # the sentinel alone: the run's own selection found no tests
    return state, returncode


def _status(timed_out: bool, collection_errors: list[str], returncode: int, finished: bool, internal: list[str],
            tail: str) -> Status:
    """How a pytest run ended (collection_errors gets the start-up or internal error where that explains it)."""
    if timed_out:
        return "timeout"
    if collection_errors:
        return "collection_error"
    if returncode == 4:
        # pytest could not start: a conftest crashing at import, or a usage error.
        collection_errors.append(_startup_error(tail))
        return "collection_error"
    if returncode == 5:
        return "no_tests"
    if returncode in (0, 1) and finished:
        return "ok"
    collection_errors.extend(internal)
    return "crashed"


def _write_sentinel(scratch: Path) -> Path:
    """A test that must fail, in the run's scratch dir (outside the tree: pytest folds a path inside
    a collected directory into that directory's own collection rules), named and written so that
    a patch cannot know it in advance."""
    nonce = uuid.uuid4().hex[:12]
    folder = scratch / f"sentinel-{nonce}"
    folder.mkdir()
    a, b = int(nonce[:4], 16), int(nonce[4:8], 16)
    path = folder / f"test_s{nonce}.py"
    # It fails through pytest.fail without a traceback, in a module pytest does not assertion-rewrite:
    # every gate run carries one, and rewriting a new file and formatting its traceback were ~5 ms of
    # a warm run's ~60 ms of CPU. It still fails as a test of the run, which is all the check reads.
    path.write_text(f'"""Suture\'s sentinel. PYTEST_DONT_REWRITE"""\nimport pytest\n\n\n'
                    f"def test_s{nonce}():\n    total = {a} + {b}\n    if total != {a + b + 1}:\n"
                    f"        pytest.fail('sentinel: {a} + {b} != {a + b + 1}', pytrace=False)\n",
                    encoding="utf-8")
    return path


def _custom_run(
    shown: str, command: list[str], returncode: int, timed_out: bool, seconds: float, tail: str
) -> TestRun:
    """A non-pytest command: its exit code is the only outcome we can honestly report."""
    name: OutcomeName = "timeout" if timed_out else "passed" if returncode == 0 else "failed"
    message = "" if name == "passed" else f"{shown} exited {returncode}" if not timed_out else "wall-clock limit hit"
    outcome = TestOutcome(shown, name, seconds, message)
    return TestRun("timeout" if timed_out else "ok", {shown: outcome}, [], returncode, seconds, tail, command)


# -- tests that hang ------------------------------------------------------------------------


def hang_limits(run: TestRun, hanging: Sequence[str], cap: float | None = None) -> dict[str, float]:
    """The per-test limit of each test in `hanging` (they ran past their limit in `run`, the baseline)
    for every later run: HANG_LIMIT_MULTIPLE times the slowest test that passed in its own file (the
    whole run's when none did), at least HANG_LIMIT_FLOOR, at most `cap` (the other tests' limit)."""
    passed = [o for o in run.outcomes.values() if o.outcome == "passed"]
    slowest_in_run = max((o.duration for o in passed), default=0.0)
    limits = {}
    for nodeid in hanging:
        module = nodeid.split("::", 1)[0]
        siblings = [o.duration for o in passed if o.nodeid.split("::", 1)[0] == module]
        slowest = max(siblings) if siblings else slowest_in_run
        limit = max(HANG_LIMIT_FLOOR, HANG_LIMIT_MULTIPLE * slowest)
        limits[nodeid] = round(min(limit, cap) if cap else limit, 3)
    return limits


def hang_limits_env(limits: dict[str, float]) -> dict[str, str]:
    """The environment that gives a pytest run these per-test limits (pytest_results_plugin reads it);
    {} for none. A run's `extra_env` (a worktree pool's env) carries it into every run of a fix."""
    return {LIMITS_ENV: json.dumps(limits, sort_keys=True)} if limits else {}


def baseline_test_limit(test_timeout: float, time_limit: float) -> float:
    """The per-test limit of a baseline run: `test_timeout`, within BASELINE_TEST_SHARE of `time_limit`."""
    return min(test_timeout, max(HANG_LIMIT_FLOOR, time_limit * BASELINE_TEST_SHARE))


def shorten_after_hang_env() -> dict[str, str]:
    """The environment that has a pytest run give every test after a first hang the hang_limits rule
    (measured on the tests that passed before it) instead of the full per-test limit: for a baseline,
    where several tests that loop forever would each cost the full limit."""
    return {AFTER_HANG_ENV: f"{HANG_LIMIT_MULTIPLE:g},{HANG_LIMIT_FLOOR:g}"}


# -- baseline ------------------------------------------------------------------------------


def baseline(
    repo: Path,
    *,
    test_cmd: str | Sequence[str] | None = None,
    reruns: int = 2,
    rev: str = "HEAD",
    nodeids: Sequence[str] = (),
    timeout: float = 600,
    per_test_timeout: float | None = 60,
    env: dict[str, str] | None = None,
    extra_env: dict[str, str] | None = None,
    pytest_plugins: Sequence[str] = (),
) -> Baseline:
    """Run the tests at `rev` in a scratch worktree; re-run what fails to separate flaky tests.

    Each test that failed is re-run alone (with the other failures) up to `reruns`
    times; one pass makes it flaky. Raises WorkspaceError (no repo, no commit) or
    TestRunError (runner missing, no tests detected).
    """
    with scratch_worktree(repo, rev) as tree:
        command = test_cmd if test_cmd is not None else detect_test_command(tree)
        common = dict(test_cmd=command, timeout=timeout, per_test_timeout=per_test_timeout, env=env, extra_env=extra_env)
        run = run_tests(tree, nodeids=nodeids, pytest_plugins=pytest_plugins, **common)
        rerun_by_id = is_pytest_command(command)
        suspects, flaky, extra_runs = run.failed, [], []
        for _ in range(max(0, reruns)):
            if not suspects:
                break
            # The caller's extra plugins (coverage) are left out: their data belongs to the first run.
            again = run_tests(tree, nodeids=suspects if rerun_by_id else (), **common)
            extra_runs.append(again)
            recovered = [n for n in suspects if n in again.outcomes and again.outcomes[n].outcome == "passed"]
            flaky += recovered
            suspects = [n for n in suspects if n not in recovered]
    return Baseline(run=run, failing=suspects, flaky=flaky, passing=run.passed, reruns=extra_runs)
