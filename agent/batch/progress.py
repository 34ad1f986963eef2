"""What a batch shows while it runs, on stderr: on a terminal one live line (done, running,
failed, ETA, cost spent) redrawn every second; elsewhere one line per finished task."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from suture.agent.batch.results import FAILED
from suture.agent.batch.tasks import Task


class Progress:
    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.total = self.done = self.workers = self.failed = 0
        self.running: set[str] = set()
        self.cost = 0.0
        self.task_seconds: list[float] = []
        self.started_at = time.monotonic()
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._ended = threading.Event()

    def begin(self, total: int, done: int, workers: int) -> None:
        self.total, self.done, self.workers = total, done, workers
        if done:
            self._say(f"{done} of {total} task(s) already in results.jsonl: skipped.")
        if self.live:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def started(self, task: Task) -> None:
        with self._lock:
            self.running.add(task.id)
        self._redraw()

    def finished(self, task: Task, result: dict[str, Any]) -> None:
        with self._lock:
            self.running.discard(task.id)
            self.done += 1
            self.failed += result.get("outcome") in FAILED
            self.cost += float(result.get("cost") or 0.0)
            self.task_seconds.append(float(result.get("seconds") or 0.0))
        note = f": {result['error']}" if result.get("error") else ""
        self._say(f"[{self.done}/{self.total}] {task.id}: {result.get('outcome')} "
                  f"({float(result.get('seconds') or 0):.1f} s, {result.get('worker')}){note}")

    def stopped(self, task: Task) -> None:
        with self._lock:
            self.running.discard(task.id)
        self._say(f"{task.id}: stopped (not recorded; --resume runs it again).")

    def skipped(self, task: Task, why: str) -> None:
        self._say(f"{task.id}: not started ({why}).")

    def end(self) -> None:
        self._ended.set()
        if self._ticker is not None:
            self._ticker.join()
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def line(self) -> str:
        with self._lock:
            left = self.total - self.done - len(self.running)
            eta = ""
            if self.task_seconds and self.workers:
                mean = sum(self.task_seconds) / len(self.task_seconds)
                eta = f", ETA {_duration(mean * (left + len(self.running) / 2) / self.workers)}"
            return (f"batch: {self.done}/{self.total} done, {len(self.running)} running, {self.failed} failed"
                    f"{eta}, ${self.cost:.2f} spent, {_duration(time.monotonic() - self.started_at)} elapsed")

    def _say(self, text: str) -> None:
        with self._lock:
            prefix = "\r\x1b[K" if self.live else ""
            self.stream.write(prefix + text + "\n")
            self.stream.flush()
        self._redraw()

    def _redraw(self) -> None:
        if self.live and not self._ended.is_set():
            text = self.line()
            with self._lock:
                self.stream.write("\r\x1b[K" + text)
                self.stream.flush()

    def _tick(self) -> None:
        while not self._ended.wait(1.0):
            self._redraw()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
