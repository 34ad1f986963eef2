"""The end of an optimize run: the stacked patch, the PIE-style summary over several targets, the
report's edits and candidates, the commit message, and delivery (agent/fix/deliver.py)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from suture.agent import runs
from suture.agent.exitcodes import ExitCode
from suture.agent.fix.deliver import DeliveryRefused, deliver
from suture.agent.optimize.bench import Bench
from suture.agent.optimize.state import Judged, OptimizeOutcome, OptimizeState
from suture.tools.git import cmd as gitcmd

def deliver_and_report(repo: Path, state: OptimizeState, base: str, started: float, benches: list[Bench], summary: Any,
                        patch: str, budget_hit: bool) -> OptimizeOutcome:
    options = state.options
    accepted = [j for j in state.judged if j.accepted]
    delivery = None
    if accepted and patch:
        state.progress.stage("delivering")
        try:
            delivery = deliver(repo, patch, state.run_dir, mode=options.mode, message=commit_message(accepted),
                               base=base)
        except DeliveryRefused as refused:  # the patch is saved and reported all the same
            delivery = refused.delivery
    status = "optimized" if accepted and patch else "no_significant_speedup"
    report = {
        "status": status,
        "patch": patch if accepted else "",
        "edits": [edit_report(j) for j in accepted],
        "candidates_tried": len(state.judged),
        "candidates": [j.summary() for j in state.judged],
        "benches": [b.to_dict() for b in benches],
        "hotspots": state.hotspots,
        "tests": state.tests_summary(),
        "cost": runs.cost_summary(state.client),
        "seconds": round(time.monotonic() - started, 2),
        "run_dir": str(state.run_dir),
        "delivery": delivery.to_dict() if delivery else None,
        "notes": state.notes,
        "workload_checks": state.workload_checks,
        "stopped_because": state.stopped_because or ("cost budget spent" if budget_hit else ""),
    }
    if options.environment is not None:
        report["environment"] = options.environment
    if summary is not None:
        report["summary"] = summary
    runs.write_report(state.run_dir, report)
    state.log("end", status=status)
    if delivery is not None and delivery.refused:
        return OptimizeOutcome(report, ExitCode.BAD_INPUT)
    if accepted:
        return OptimizeOutcome(report, ExitCode.DONE)
    return OptimizeOutcome(report, ExitCode.BUDGET_EXHAUSTED if budget_hit else ExitCode.NOTHING_FOUND)


def pie_summary(state: OptimizeState, benches: list[Bench], base: str) -> dict[str, Any]:
    """PIE-style: share of targets with a significant speed-up, mean speed-up with failures as 1.0x."""
    from suture.tools.perf.timing import TimingError, compare

    per_target = []
    for path in state.changed:  # the scratch tree back at the base, to compare base vs everything stacked
        shown = gitcmd.file_at(state.scratch, base, _top_relative(state.scratch, path))
        if shown is not None:
            (state.scratch / path).write_bytes(shown)
    for bench in benches:
        speedup, significant = 1.0, False
        if state.changed and state.left() > 10:
            try:
                left = max(10.0, state.left())  # the whole comparison within the run's time, not each run
                result = compare(bench.runner(state.scratch), bench.runner(state.best), rounds=state.options.rounds,
                                 time_limit=left, budget=left, pool=state.warm)
                significant = result.significant and not result.outputs_differ
                speedup = result.speedup if significant else 1.0
            except TimingError as error:
                state.notes.append(f"final timing of {bench.label} failed: {error}")
        per_target.append({"target": bench.label, "speedup": round(speedup, 3), "optimized": significant})
    optimized = [t for t in per_target if t["optimized"]]
    return {"targets": per_target, "optimized_share": round(len(optimized) / len(per_target), 3),
            "mean_speedup": round(sum(t["speedup"] for t in per_target) / len(per_target), 3)}


def _top_relative(tree: Path, path: str) -> str:
    done = gitcmd.run(tree, "rev-parse", "--show-prefix", text=True)
    return done.stdout.strip() + path


def stacked_patch(state: OptimizeState) -> str:
    from suture.tools.git.diffs import diff_worktree

    return diff_worktree(state.best, trust_stat_cache=False) if state.changed else ""


def edit_report(judged: Judged) -> dict[str, Any]:
    path, function = judged.proposal.functions[0]
    t = judged.timing or {}
    return {"rule": judged.proposal.source, "description": judged.proposal.description, "path": path,
            "function": function, "speedup": t.get("speedup"), "ci_low": t.get("ci_low"), "ci_high": t.get("ci_high"),
            "significant": t.get("significant"), "baseline_seconds": t.get("baseline_seconds"),
            "candidate_seconds": t.get("candidate_seconds"), "instructions_ratio": judged.instructions_ratio,
            "threshold": t.get("threshold"), "ratios": list(t.get("ratios") or ()),  # per round, for the report's plot
            "callgrind_disagrees": judged.callgrind_disagrees, "evidence": judged.proposal.meta.get("evidence", []),
            "equivalence": {"tests": judged.equivalence.get("tests"), "replay": judged.equivalence.get("replay"),
                            "verifier": judged.equivalence.get("verifier")},
            "diff": judged.diff}


def commit_message(accepted: list[Judged]) -> str:
    lines = []
    for j in accepted:
        t = j.timing or {}
        lines.append(f"- {j.proposal.description} ({', '.join(q for _, q in j.proposal.functions)}): "
                     f"{t.get('speedup', 0):.2f}x, 95% CI {t.get('ci_low', 0):.2f}-{t.get('ci_high', 0):.2f}; "
                     + ", ".join(f"{k} {v}" for k, v in j.equivalence.items()))
    title = f"suture: speed up {accepted[0].proposal.functions[0][1]}" if len(accepted) == 1 \
        else f"suture: {len(accepted)} performance edits"
    return title + "\n\nMeasured in interleaved fresh processes against the base; equivalence checked by\n" \
        "the tests, replayed workload inputs and the bounded verifier.\n\n" + "\n".join(lines) + "\n"


def best_text(state: OptimizeState) -> str:
    accepted = [j for j in state.judged if j.accepted]
    if not accepted:
        return ""
    product = math.prod((j.timing or {}).get("speedup") or 1.0 for j in accepted)
    return f"{len(accepted)} edit(s), about {product:.1f}x"
