"""DIR/results.jsonl, one line per finished task, and the batch's summary read from it.

A line is appended and flushed the moment its task ends, so a batch stopped any way keeps every
result it had, and `--resume` knows which tasks are done by their ids.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

# The summary's columns, in this order; outcomes not listed follow them.
OUTCOME_ORDER = ("fixed", "plausible", "not_fixed", "optimized", "no_significant_speedup", "found",
                 "nothing_found", "budget_exhausted", "error", "crashed", "timeout", "worker_lost")
FAILED = {"error", "crashed", "timeout", "worker_lost"}


class ResultsFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def read(self) -> list[dict[str, Any]]:
        """The results so far (a last line cut short by a kill is left out: that task runs again)."""
        if not self.path.exists():
            return []
        found = []
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                result = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(result, dict) and "id" in result:
                found.append(result)
        return found

    def append(self, result: dict[str, Any]) -> None:
        line = json.dumps(result, sort_keys=True) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            if fh.tell() and not self._ends_with_newline():
                fh.write("\n")  # after a line a kill cut short
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by outcome (all and per command), cost, task seconds; the PIE-style optimize summary."""
    outcomes = Counter(r.get("outcome", "unknown") for r in results)
    per_command: dict[str, Counter] = {}
    for r in results:
        per_command.setdefault(r.get("command", "?"), Counter())[r.get("outcome", "unknown")] += 1
    found: dict[str, Any] = {
        "tasks": len(results),
        "outcomes": _ordered(outcomes),
        "by_command": {command: _ordered(counts) for command, counts in sorted(per_command.items())},
        "failed": sum(outcomes[o] for o in FAILED),
        "cost": round(sum(float(r.get("cost") or 0.0) for r in results), 6),
        "task_seconds": round(sum(float(r.get("seconds") or 0.0) for r in results), 3),
    }
    optimize = [r for r in results if r.get("command") == "optimize"]
    if optimize:
        found["optimize"] = pie_summary(optimize)
    return found


def pie_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Every optimize target of the batch: the share sped up significantly and the mean speed-up,
    a failed or slower target counting as 1.0x (as `suture optimize` reports several targets)."""
    speedups: list[tuple[float, bool]] = []
    for r in results:
        report = r.get("report") or {}
        targets = (report.get("summary") or {}).get("targets")
        if targets:
            speedups += [(float(t.get("speedup") or 1.0), bool(t.get("optimized"))) for t in targets]
            continue
        optimized = r.get("outcome") == "optimized"
        best = max((float(e.get("speedup") or 1.0) for e in report.get("edits") or []), default=1.0)
        speedups.append((best if optimized else 1.0, optimized))
    return {"targets": len(speedups),
            "optimized_share": round(sum(ok for _, ok in speedups) / len(speedups), 3),
            "mean_speedup": round(sum(s for s, _ in speedups) / len(speedups), 3)}


def _ordered(counts: Counter) -> dict[str, int]:
    known = {name: counts[name] for name in OUTCOME_ORDER if counts.get(name)}
    return {**known, **{name: n for name, n in sorted(counts.items()) if name not in known}}


def summary_table(found: dict[str, Any]) -> str:
    """The end-of-batch table: one row per command, then the totals."""
    columns = [o for o in OUTCOME_ORDER if o in found["outcomes"]] + \
        [o for o in found["outcomes"] if o not in OUTCOME_ORDER]
    head = ["command", "tasks", *[c.replace("_", " ") for c in columns]]
    rows = [[command, str(sum(counts.values())), *[str(counts.get(c, 0)) for c in columns]]
            for command, counts in found["by_command"].items()]
    rows.append(["all", str(found["tasks"]), *[str(found["outcomes"].get(c, 0)) for c in columns]])
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"cost ${found['cost']:.4f}; task time {found['task_seconds']:.1f} s in all")
    if "optimize" in found:
        pie = found["optimize"]
        lines.append(f"optimize: {pie['optimized_share'] * 100:.0f}% of {pie['targets']} target(s) sped up, "
                     f"mean speed-up {pie['mean_speedup']:.2f}x (failures count as 1.0x)")
    return "\n".join(lines)
