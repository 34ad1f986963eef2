"""A check's run record, where fix keeps its own: `.suture/runs/<id>-check-<hex>/` (excluded from git
by .git/info/exclude, so the tree stays clean), holding the JSON report and a short trajectory with
the changed functions' source, which is what `suture report` needs to draw the check's page.

A pre-commit hook runs `check` at every commit, so the record is cheap (no scratch-tree tidying,
a few small files) and only the newest KEEP check records are kept. A check with nothing to check
leaves no record unless a page was asked for. Keeping the record is an extra: when it cannot be
kept (a read-only checkout, a `.suture` suture does not trust), the check's outcome stands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from suture.agent import runs

__all__ = ["KEEP", "keep_record"]

KEEP = 20


def keep_record(top: Path, report: dict[str, Any], sources: list[dict[str, Any]]) -> Path:
    """Write the run record of a check of the work tree `top`; returns its directory. `report` (the
    JSON report, as printed) gains its `run_dir`. SutureExit or OSError when it cannot be written."""
    run_dir = runs.new_run_dir(top, "check", tidy=False)
    report["run_dir"] = str(run_dir)
    trajectory = runs.Trajectory(run_dir / "trajectory.jsonl")
    trajectory.log("start", command="check", base=report.get("base"), time_cap=report.get("time_cap"),
                   files=report.get("files") or [])
    trajectory.log("sources", sources=sources)
    trajectory.log("end", status=report.get("status"), seconds=report.get("seconds"))
    runs.write_report(run_dir, report)
    runs.prune_runs(top, "check", KEEP)
    return run_dir
