"""One batch task, run as the single command: `suture COMMAND ARGS --repo DIR --json` in its own
process, in its own session, bounded by the task time limit, and its JSON report read back.

Every executor (the local pool, a Ray worker) runs a task through `run_task`, so a task's result
does not depend on where it ran. The command runs in a session of its own: a Ctrl-C at the
terminal reaches the batch, which then stops each task itself (SIGINT first, so the command kills
what it started and closes its trajectory; then everything still carrying the task's marker).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from suture.agent.batch.tasks import Task
from suture.agent.batch.workspace import CloneError, task_directory
from suture.tools.testing.testrun import kill_marked, kill_process_tree

MARKER_ENV = "SUTURE_BATCH_TASK"  # in the environment of everything a task starts
# The environment `suture batch` was started with, taken when this module is first imported (before the
# batch reads its tasks' repositories, which sets GitPython's GIT_PYTHON_REFRESH in this process): a
# task's command gets what the single command started from the same shell would get, plus the marker.
LAUNCH_ENV = dict(os.environ)
INTERRUPT_GRACE_SECONDS = 10.0  # a stopped task's time to kill its own children and close its run
POLL_SECONDS = 0.2


class Stopped(Exception):
    """The batch was interrupted while this task ran: no result (a resume runs it again)."""


def command_argv(task: Task, repo_dir: Path, max_cost: float | None) -> list[str]:
    """The single command the task is: this interpreter's suture, the task's options, --repo and --json."""
    argv = [sys.executable, "-m", "suture.agent.cli.main", task.command, *task.argv, "--repo", str(repo_dir), "--json"]
    if max_cost is not None:  # the batch's share; the task's own --max-cost when that is smaller
        argv += ["--max-cost", f"{min(max_cost, own_max_cost(task) or max_cost):.6g}"]
    return argv


def own_max_cost(task: Task) -> float | None:
    """The --max-cost the task's own args set (the last one counts, as on a command line)."""
    found = None
    for flag, value in zip(task.argv, task.argv[1:]):
        if flag == "--max-cost":
            found = float(value)
    return found


def run_task(task: Task, task_dir: Path, *, worker: str, time_limit: float | None, max_cost: float | None = None,
             stop: threading.Event | None = None, bundle: bytes | None = None,
             on_start: Callable[[int], None] | None = None, base_env: dict[str, str] | None = None) -> dict[str, Any]:
    """The task's result line (without its batch bookkeeping beyond worker and seconds). Raises
    Stopped when `stop` is set while it runs. The command's environment is `base_env` (default: the
    batch's own at its start) plus the task's marker."""
    started = time.monotonic()
    task_dir.mkdir(parents=True, exist_ok=True)
    stop_previous_attempt(task_dir)
    base = {"id": task.id, "command": task.command, "repo": task.repo, "rev": task.rev, "worker": worker}
    try:
        repo_dir = task_directory(task, task_dir, bundle)
    except CloneError as error:
        return {**base, "outcome": "error", "exit_code": None, "seconds": _since(started), "cost": 0.0,
                "error": str(error), "report": None}
    marker = uuid.uuid4().hex
    argv = command_argv(task, repo_dir, max_cost)
    env = {**(LAUNCH_ENV if base_env is None else base_env), MARKER_ENV: marker}
    write_command_record(task_dir, argv, repo_dir, env, time_limit)
    stdout_path, stderr_path = task_dir / "report.json", task_dir / "stderr.log"
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(argv, cwd=repo_dir, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=env)
    (task_dir / "pid").write_text(str(proc.pid))
    (task_dir / "marker").write_text(marker)  # a retry after a lost worker kills what this run left
    if on_start is not None:
        on_start(proc.pid)
    try:
        timed_out = _wait(proc, marker, started, time_limit, stop)
    except KeyboardInterrupt:  # a Ray task cancelled: stop the command, then let the cancel go on
        _interrupt(proc, marker)
        raise
    kill_process_tree(proc, marker)  # whatever the command left behind
    (task_dir / "pid").unlink(missing_ok=True)
    if stop is not None and stop.is_set() and not timed_out:
        raise Stopped(task.id)
    report = _last_json(stdout_path)
    result = {**base, "exit_code": proc.returncode, "seconds": _since(started),
              "cost": float(((report or {}).get("cost") or {}).get("usd") or 0.0), "report": report,
              "run_dir": (report or {}).get("run_dir")}
    result["outcome"] = outcome(task.command, proc.returncode, report, timed_out)
    if result["outcome"] in ("crashed", "timeout", "error"):
        result["error"] = _failure(proc.returncode, report, stderr_path, timed_out, time_limit)
    return result


def write_command_record(task_dir: Path, argv: list[str], cwd: Path, env: dict[str, str],
                         time_limit: float | None) -> None:
    """DIR/tasks/<id>/command.json: exactly what the task ran (argv, cwd, the names of its environment,
    not their values: they may be secrets; its nice level and the task time limit), to compare with
    the single command."""
    record = {"argv": argv, "cwd": str(cwd), "env_names": sorted(env), "nice": os.getpriority(os.PRIO_PROCESS, 0),
              "task_time_limit": time_limit}
    (task_dir / "command.json").write_text(json.dumps(record, indent=1))


def stop_previous_attempt(task_dir: Path) -> None:
    """A task run again after its worker or the batch itself was killed: first kill what the lost
    attempt's command left running (every process carrying its marker)."""
    marker_file = task_dir / "marker"
    if marker_file.exists():
        kill_marked(marker_file.read_text().strip())


def _wait(proc: subprocess.Popen, marker: str, started: float, time_limit: float | None,
          stop: threading.Event | None) -> bool:
    """Wait for the command; on a stop or past the time limit, SIGINT it, then kill. True: timed out."""
    while proc.poll() is None:
        over = time_limit is not None and time.monotonic() - started > time_limit
        if over or (stop is not None and stop.is_set()):
            _interrupt(proc, marker)
            return over
        if stop is not None:
            stop.wait(POLL_SECONDS)
        else:
            time.sleep(POLL_SECONDS)
    return False


def _interrupt(proc: subprocess.Popen, marker: str) -> None:
    try:
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(INTERRUPT_GRACE_SECONDS)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    kill_process_tree(proc, marker)


def outcome(command: str, exit_code: int | None, report: dict[str, Any] | None, timed_out: bool) -> str:
    """One word for the summary: fixed / plausible / not_fixed / optimized / ... / error, crashed, timeout."""
    if timed_out:
        return "timeout"
    if report is None:
        return "crashed"  # killed, or died before it could print its report
    if exit_code == 5:
        return "budget_exhausted"
    if exit_code not in (0, 1) or report.get("status") == "error" or "error" in report:
        return "error"
    if command == "localize":
        return "found" if exit_code == 0 else "nothing_found"
    status = str(report.get("status") or "unknown")
    if status == "not_fixed" and report.get("plausible"):
        return "plausible"
    return status


def _failure(exit_code: int | None, report: dict[str, Any] | None, stderr_path: Path, timed_out: bool,
             time_limit: float | None) -> str:
    if timed_out:
        return f"stopped after the task time limit ({time_limit:g} s)."
    if report and report.get("error"):
        return str(report["error"])
    if exit_code is not None and exit_code < 0:
        return f"killed by signal {-exit_code} ({_signal_name(-exit_code)})."
    tail = [line for line in stderr_path.read_text(errors="replace").splitlines() if line.strip()]
    return (tail[-1] if tail else f"exit {exit_code} without a report")[:500]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown"


def _last_json(path: Path) -> dict[str, Any] | None:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    try:
        found = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
