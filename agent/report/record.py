"""A run directory read back for `suture report`: its report.json and its trajectory, whichever it has.

A run that finished has both; one that was killed or stopped by an error has a trajectory and
perhaps no report; `localize` keeps only a report. The page is made from what is there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.agent import guard, runs
from suture.agent.exitcodes import SutureExit


@dataclass
class RunView:
    run_dir: Path
    report: dict[str, Any]  # report.json, {} when the run wrote none
    events: list[dict[str, Any]] = field(default_factory=list)  # trajectory.jsonl, in order

    @property
    def run_id(self) -> str:
        return self.run_dir.name

    @property
    def start(self) -> dict[str, Any]:
        return next((e for e in self.events if e.get("event") == "start"), {})

    @property
    def command(self) -> str:
        """fix, optimize, localize, replay...: the start event's, else the report's, else the run id's."""
        named = self.start.get("command") or self.report.get("command")
        if named:
            return str(named)
        parts = self.run_id.split("-")
        return parts[2] if len(parts) > 3 else "run"

    @property
    def status(self) -> str:
        if self.report.get("status"):
            return str(self.report["status"])
        if "reproduced" in self.report:  # a replay's report
            return "reproduced" if self.report["reproduced"] else "not_reproduced"
        end = self.last("end")
        if end:
            return str(end.get("status") or "ended")
        return "error" if self.last("error") else "interrupted"

    def of(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == event]

    def last(self, event: str) -> dict[str, Any]:
        found = self.of(event)
        return found[-1] if found else {}


def find_run_dir(run: str, repo: str | None) -> Path:
    """The directory of `run`: a path to a run directory, or a run id under the repository's .suture/runs
    (`repo`, else the current directory's)."""
    path = Path(run).expanduser()
    if "/" in run or path.is_dir():
        if not path.is_dir():
            raise SutureExit(f"{run} is not a run directory.")
        return path.resolve()
    root = guard.resolve_repo(repo)
    runs_dir = root / runs.SUTURE_DIR / "runs"
    run_dir = runs_dir / run
    if not run_dir.is_dir():
        known = sorted(p.name for p in runs_dir.iterdir() if p.is_dir()) if runs_dir.is_dir() else []
        hint = f"; the latest run there is {known[-1]}" if known else "; no run is recorded there"
        raise SutureExit(f"there is no run {run} in {runs_dir}{hint}.")
    return run_dir


def read_view(run_dir: Path) -> RunView:
    """The run directory's records; SutureExit when it holds neither a report nor a trajectory."""
    from suture.agent.playback import read_events

    report: dict[str, Any] = {}
    report_path = run_dir / "report.json"
    if report_path.is_file():
        try:
            loaded = json.loads(report_path.read_text(encoding="utf-8", errors="replace"))
        except json.JSONDecodeError:
            raise SutureExit(f"{report_path} is not valid JSON; the run record is damaged.") from None
        report = loaded if isinstance(loaded, dict) else {}
    events = read_events(run_dir) if (run_dir / "trajectory.jsonl").is_file() else []
    if not report and not events:
        raise SutureExit(f"{run_dir} holds neither report.json nor trajectory.jsonl, so it is not a suture run.")
    return RunView(run_dir, report, [e for e in events if isinstance(e, dict)])
