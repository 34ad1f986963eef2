"""Run a batch's tasks N at a time on an executor, record each result as it ends, stop cleanly.

An executor runs one task and hands back its result line (`LocalExecutor`: a process on this
machine; agent/batch/ray_executor.py: a Ray task); the scheduler keeps N of them busy from N
threads, shares the batch's cost budget among the tasks that run at once, and on Ctrl-C stops the
running tasks, keeps what finished and leaves the rest for `--resume`.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from suture.agent.batch.progress import Progress
from suture.agent.batch.results import ResultsFile, summary
from suture.agent.batch.runner import Stopped, run_task
from suture.agent.batch.tasks import Task

SMALLEST_SHARE = 1e-6  # US dollars: below this a task is not started (a zero budget is bad input to fix)


class Executor(Protocol):
    workers: int

    def run_one(self, task: Task, task_dir: Path, *, slot: int, time_limit: float | None,
                max_cost: float | None, stop: threading.Event) -> dict[str, Any]: ...


class LocalExecutor:
    """Each task a process of this machine (agent/batch/runner.py)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run_one(self, task: Task, task_dir: Path, *, slot: int, time_limit: float | None,
                max_cost: float | None, stop: threading.Event) -> dict[str, Any]:
        return run_task(task, task_dir, worker=f"local-{slot}", time_limit=time_limit, max_cost=max_cost, stop=stop)


class Budget:
    """The batch's --max-cost shared so that the tasks running at once can never spend more than
    is left: a starting task gets an equal part of what neither finished nor running tasks hold."""

    def __init__(self, max_cost: float | None, spent: float, workers: int) -> None:
        self.max_cost, self.spent, self.workers = max_cost, spent, workers
        self.reserved: list[float] = []
        self._lock = threading.Lock()

    def grant(self) -> float | None:
        """This task's --max-cost (None: no batch budget); raises LookupError when nothing is left."""
        with self._lock:
            if self.max_cost is None:
                return None
            left = self.max_cost - self.spent - sum(self.reserved)
            share = left / max(1, self.workers - len(self.reserved))
            if share < SMALLEST_SHARE:
                raise LookupError("the batch's --max-cost is spent")
            self.reserved.append(share)
            return share

    def settle(self, share: float | None, cost: float) -> None:
        with self._lock:
            self.spent += cost
            if share is not None:
                self.reserved.remove(share)


@dataclass
class BatchRun:
    results: list[dict[str, Any]]  # every result in results.jsonl, earlier runs' included
    ran: int  # tasks this invocation finished
    skipped: int  # done before (--resume)
    not_started: int  # left when the budget was spent
    interrupted: bool
    seconds: float
    stopped_ids: list[str] = field(default_factory=list)

    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        if self.not_started:
            return 5
        return 0 if all(r.get("exit_code") == 0 for r in self.results) else 1

    def to_dict(self, out: Path) -> dict[str, Any]:
        return {"out": str(out), "results": str(out / "results.jsonl"), **summary(self.results), "ran": self.ran,
                "skipped_done": self.skipped, "not_started": self.not_started, "interrupted": self.interrupted,
                "seconds": round(self.seconds, 3), "exit_code": self.exit_code()}


def run_batch(tasks: list[Task], out: Path, executor: Executor, *, resume: bool, max_cost: float | None,
              task_time_limit: float | None, progress: Progress) -> BatchRun:
    started = time.monotonic()
    results_file = ResultsFile(out / "results.jsonl")
    earlier = results_file.read() if resume else []
    done = {r["id"] for r in earlier}
    pending: queue.Queue[Task] = queue.Queue()
    for task in tasks:
        if task.id not in done:
            pending.put(task)
    skipped = sum(task.id in done for task in tasks)
    budget = Budget(max_cost, sum(float(r.get("cost") or 0.0) for r in earlier), executor.workers)
    stop = threading.Event()
    finished: list[dict[str, Any]] = []
    counts = {"not_started": 0}
    progress.begin(total=len(tasks), done=skipped, workers=executor.workers)

    def slot_loop(slot: int) -> None:
        while not stop.is_set():
            try:
                task = pending.get_nowait()
            except queue.Empty:
                return
            try:
                share = budget.grant()
            except LookupError:
                counts["not_started"] += 1
                progress.skipped(task, "budget spent")
                continue
            progress.started(task)
            try:
                result = executor.run_one(task, out / "tasks" / task.id, slot=slot, time_limit=task_time_limit,
                                          max_cost=share, stop=stop)
            except Stopped:
                budget.settle(share, 0.0)
                progress.stopped(task)
                continue
            except Exception as error:  # the executor itself failed: the task is recorded, the batch goes on
                result = {"id": task.id, "command": task.command, "repo": task.repo, "rev": task.rev,
                          "worker": f"slot-{slot}", "outcome": "crashed", "exit_code": None, "seconds": 0.0,
                          "cost": 0.0, "report": None, "error": f"{type(error).__name__}: {error}"}
            budget.settle(share, float(result.get("cost") or 0.0))
            results_file.append(result)
            finished.append(result)
            progress.finished(task, result)

    interrupted = _run_slots(slot_loop, executor.workers, stop)
    progress.end()
    return BatchRun(results=results_file.read(), ran=len(finished), skipped=skipped,
                    not_started=counts["not_started"] + (pending.qsize() if not interrupted else 0),
                    interrupted=interrupted, seconds=time.monotonic() - started)


def _run_slots(slot_loop: Any, workers: int, stop: threading.Event) -> bool:
    """Run `workers` slot loops until they end; True when Ctrl-C stopped them."""
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="suture-batch") as pool:
        futures = [pool.submit(slot_loop, slot) for slot in range(workers)]
        try:
            while not all(f.done() for f in futures):
                concurrent.futures.wait(futures, timeout=0.5)
        except KeyboardInterrupt:
            stop.set()
            concurrent.futures.wait(futures)
            return True
        for f in futures:
            f.result()  # a bug in a slot loop surfaces here, not as a silent stall
    return False
