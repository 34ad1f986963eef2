"""`suture batch --ray`: each task a Ray task, run on its worker exactly as on the local pool
(agent/batch/runner.py), its result and run records sent back when it ends.

Ray is an optional extra (`suture[ray]`) and this is the one module that imports it, when --ray
is given. A task asks Ray for `--task-cpus` CPUs. A worker that sees the task's repository (same
path, same commit) uses it; one that does not gets the repository as a git bundle, put once per
repository in Ray's object store and fetched only by the workers that need it. A task whose worker
dies is retried once by Ray (`max_retries=1`); a second loss is recorded as `worker_lost`.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from suture.agent.batch.runner import Stopped, run_task
from suture.agent.batch.tasks import Task
from suture.agent.batch.workspace import CloneError, bundle_of
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.tools.git.cmd import commit_of

CONNECT_SECONDS = 5.0  # a Ray address that does not answer a TCP connect in this time is not there
CANCEL_GRACE_SECONDS = 15.0  # a stopped task's time to stop its command before its worker is killed
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def connect(address: str | None, *, workers: int | None, task_cpus: float, ship: bool = False) -> "RayExecutor":
    """Ray started locally (no address) or joined at `address`; SutureExit when that cannot be."""
    try:
        import ray
    except ImportError:
        raise SutureExit("--ray needs Ray, the optional extra: pip install 'suture[ray]'.", ExitCode.REFUSED) from None
    if address is not None and address != "auto":
        _check_answers(address)
    # Ray's own start-up notes would drown the batch's lines on stderr: its errors only.
    options: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False, "ignore_reinit_error": True,
                               "logging_level": logging.ERROR}
    try:
        if address is None:
            # Loopback only: a local instance talks to nothing but this machine.
            cpus = int(max(1, (workers or os.cpu_count() or 1) * task_cpus + 0.999))
            ray.init(num_cpus=cpus, _node_ip_address="127.0.0.1", **options)
        else:
            host = address.split("://")[-1].rsplit(":", 1)[0]
            extra = {"_node_ip_address": "127.0.0.1"} if host in LOOPBACK else {}
            options.pop("include_dashboard")
            ray.init(address=address, **extra, **options)
    except Exception as error:  # Ray's own ConnectionError, RuntimeError, ValueError...
        where = f"at {address}" if address else "locally"
        raise SutureExit(f"cannot start or join Ray {where}: {_first_line(error)}.") from None
    total = float(ray.cluster_resources().get("CPU", 1.0))
    return RayExecutor(ray, workers or max(1, int(total // task_cpus)), task_cpus, ship)


def _check_answers(address: str) -> None:
    """One sentence, exit 2, for an address where nothing listens (ray.init would wait a minute)."""
    target = address.split("://")[-1].split("/")[0]
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=CONNECT_SECONDS):
            pass
    except (OSError, ValueError):
        raise SutureExit(f"no Ray cluster answers at {address} (give the head node's HOST:PORT, or --ray alone "
                         "for a local instance).") from None


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__).rstrip(".")


class RayExecutor:
    def __init__(self, ray: Any, workers: int, task_cpus: float, ship: bool) -> None:
        self.ray, self.workers, self.task_cpus, self.ship = ray, workers, task_cpus, ship
        self._remote = ray.remote(max_retries=1, retry_exceptions=False)(_run_on_worker)
        self._bundles: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()
        self._env = {k: v for k, v in os.environ.items() if k.startswith("SUTURE_")}

    def run_one(self, task: Task, task_dir: Path, *, slot: int, time_limit: float | None,
                max_cost: float | None, stop: threading.Event) -> dict[str, Any]:
        try:
            bundle = [self._bundle_ref(task)] if task.top is not None else []
        except CloneError as error:
            return _failed(task, "error", str(error).rstrip("."))
        submitted = time.monotonic()
        ref = self._remote.options(num_cpus=self.task_cpus).remote(
            task.to_dict(), str(task_dir), bundle, self.ship, time_limit, max_cost, self._env)
        while True:
            ready, _ = self.ray.wait([ref], timeout=0.5)
            if ready:
                break
            if stop.is_set():
                self._cancel(ref)
                raise Stopped(task.id)
        try:
            result, records = self.ray.get(ref)
        except self.ray.exceptions.TaskCancelledError:
            raise Stopped(task.id) from None
        except (self.ray.exceptions.WorkerCrashedError, self.ray.exceptions.NodeDiedError) as error:
            return _failed(task, "worker_lost", f"the Ray worker was lost twice (retried once): {_first_line(error)}")
        except self.ray.exceptions.RayError as error:
            return _failed(task, "crashed", _first_line(error))
        # What Ray adds to the task: scheduling, shipping arguments and the result, a worker's start.
        result["overhead_seconds"] = round(time.monotonic() - submitted - float(result.get("seconds") or 0.0), 3)
        if records:  # the worker could not write into DIR: its task directory comes back as a tar
            task_dir.mkdir(parents=True, exist_ok=True)
            with tarfile.open(fileobj=io.BytesIO(records)) as tar:
                tar.extractall(task_dir, filter="data")
        return result

    def _bundle_ref(self, task: Task) -> Any:
        """The object-store reference to the task's repository as a bundle, made once per repo and commit."""
        key = (str(task.top), task.rev)
        with self._lock:
            if key not in self._bundles:
                self._bundles[key] = self.ray.put(bundle_of(task))
            return self._bundles[key]

    def _cancel(self, ref: Any) -> None:
        self.ray.cancel(ref, force=False)  # KeyboardInterrupt in the task: it stops its command
        ready, _ = self.ray.wait([ref], timeout=CANCEL_GRACE_SECONDS)
        if not ready:
            self.ray.cancel(ref, force=True)

    def close(self) -> None:
        self.ray.shutdown()


def _failed(task: Task, outcome: str, error: str) -> dict[str, Any]:
    return {"id": task.id, "command": task.command, "repo": task.repo, "rev": task.rev, "worker": "ray",
            "outcome": outcome, "exit_code": None, "seconds": 0.0, "cost": 0.0, "report": None, "error": error + "."}


def _run_on_worker(task_data: dict[str, Any], task_dir: str, bundle: list[Any], ship: bool,
                   time_limit: float | None, max_cost: float | None, env: dict[str, str]) -> tuple[dict[str, Any], bytes]:
    """On the Ray worker: the task as the local pool runs it; its directory as a tar when DIR is not
    writable here (another machine)."""
    import ray

    os.environ.update(env)  # the driver's SUTURE_* settings, as the single command would see them
    task = Task.from_dict(task_data)
    sees_repo = not ship and task.top is not None and task.top.is_dir() and \
        (task.rev is None or commit_of(task.top, task.rev) is not None)
    shipped = None
    if task.top is not None and not sees_repo:
        shipped = ray.get(bundle[0])
        task.clone = True
    here = Path(task_dir)
    local = _writable(here.parent.parent)
    work = here if local else Path(tempfile.mkdtemp(prefix=f"suture-batch-{task.id}-"))
    context = ray.get_runtime_context()
    worker = f"ray:{context.get_node_id()[:8]}:{os.getpid()}"
    (work / "worker_pid").parent.mkdir(parents=True, exist_ok=True)
    (work / "worker_pid").write_text(str(os.getpid()))
    attempts = len((work / "attempts").read_text().split()) + 1 if (work / "attempts").exists() else 1
    (work / "attempts").write_text(" ".join(["x"] * attempts))
    # ray.cancel raises KeyboardInterrupt in here: run_task stops the command on its way out.
    result = run_task(task, work, worker=worker, time_limit=time_limit, max_cost=max_cost, bundle=shipped,
                      base_env=dict(os.environ))  # this worker's, with the driver's SUTURE_* settings
    result["attempts"] = attempts
    return result, b"" if local else _tar(work)


def _writable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


def _tar(work: Path) -> bytes:
    """The task directory's records (report, stderr, the run's .suture records), not the clone."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(work.rglob("*")):
            rel = path.relative_to(work)
            if rel.parts[0] == "repo" and ".suture" not in rel.parts:
                continue
            if path.is_file():
                tar.add(path, arcname=str(rel))
    return buffer.getvalue()
