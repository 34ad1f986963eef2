"""What one `suture optimize` run carries from stage to stage: its settings, trees, and the judged candidates."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.agent import runs
from suture.agent.exitcodes import ExitCode
from suture.agent.gates.verdict import Candidate
from suture.agent.options import OptimizeOptions
from suture.tools.git.workspace import WorktreePool

DELIVERY_RESERVE_SECONDS = 3.0

OptimizeProgress = runs.RunProgress  # the live status of an optimize run (agent/runs.py)


@dataclass
class OptimizeOutcome:
    report: dict[str, Any]
    exit_code: ExitCode


@dataclass
class Judged:
    # The shared Candidate (agent/gates/validate.py): `source` is the rewrite rule's id or "model", `files`
    # the whole-file texts after the change, `functions` the (path, qualname) pairs it changes.
    proposal: Candidate
    stage: str  # the gate it stopped at, "measured" when it got through the gates before the clock (and, kept, the verifier)
    reason: str
    accepted: bool = False
    equivalence: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, Any] | None = None
    instructions_ratio: float | None = None
    callgrind_disagrees: bool = False
    diff: str = ""
    seconds: float = 0.0
    guidance: str = ""

    def summary(self) -> dict[str, Any]:
        out = {"id": self.proposal.id, "source": self.proposal.source, "description": self.proposal.description,
               "functions": [f"{p}::{q}" for p, q in self.proposal.functions], "stage": self.stage,
               "reason": self.reason, "accepted": self.accepted, "equivalence": self.equivalence,
               "seconds": round(self.seconds, 2)}
        if self.proposal.meta.get("evidence"):
            out["evidence"] = self.proposal.meta["evidence"]
        if self.timing:
            out.update(speedup=self.timing["speedup"], ci_low=self.timing["ci_low"], ci_high=self.timing["ci_high"],
                       significant=self.timing["significant"], threshold=self.timing.get("threshold"),
                       ratios=list(self.timing.get("ratios") or ()))  # per timing round, to redraw a plot
        return out


@dataclass
class OptimizeState:
    options: OptimizeOptions
    client: Any
    log: Callable[..., None]
    progress: Any
    deadline: float
    run_dir: Path
    ask: Callable[[str], str | None]
    best: Path = Path()  # the accepted edits stacked so far (each round's baseline)
    scratch: Path = Path()  # `best` plus the one candidate being timed, restored after it
    pool: WorktreePool | None = None  # the gates' scratch trees of the base commit (agent/optimize/equivalence.py)
    warm: Any = None  # the run's warm timing harnesses (tools/perf/warm.Pool), kept across its comparisons
    test_cmd: str | None = None
    passing: list[str] | None = None  # tests passing at the base; None when the repo has none
    tests_note: str = ""
    hanging: list[str] = field(default_factory=list)  # tests that hung at the base
    judged: list[Judged] = field(default_factory=list)
    hotspots: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recordings: dict[tuple[str, str], Path] = field(default_factory=dict)  # (bench label, spec) -> inputs file
    # (path, qualname) -> its run-time types (tools/perf/typeprobe.py), recorded once per function
    types: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)  # paths `best` differs from the base in
    base_texts: dict[str, str | None] = field(default_factory=dict)  # their text at the base (None: no such file)
    guidance: list[str] = field(default_factory=list)
    stopped_because: str = ""
    # what the profiled runs showed optimize cannot help with: processes, threads, hot code in C (agent/optimize/unsuitable.py)
    workload_checks: list[dict[str, Any]] = field(default_factory=list)

    def left(self) -> float:
        return self.deadline - time.monotonic() - DELIVERY_RESERVE_SECONDS

    def tests_summary(self) -> dict[str, Any]:
        return {"command": self.test_cmd, "passing_before": len(self.passing or []),
                "ran": self.passing is not None, "note": self.tests_note}
