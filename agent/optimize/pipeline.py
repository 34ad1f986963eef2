"""The `suture optimize` pipeline: baseline -> profile -> propose -> gate -> measure -> stack -> deliver.

Like `fix`, everything runs in scratch checkouts of the base commit and the user's tree is
only written on --apply / --commit (agent/fix/deliver.py). Two trees of its own: `best` holds the
accepted edits stacked so far (each round's baseline), `scratch` is `best` plus the one edit
being timed, restored after every candidate; the correctness gates run in a pooled tree of
fix's GateRunner.

A candidate passes, in order: parse -> the shared gates (agent/optimize/equivalence.py: its edits
within the path policy, no named risk, the repo's tests with the sentinel -- the ones passing at
the base must still pass -- then replay of inputs recorded from the workload (results and
argument mutations, tools/perf/harness.py)) -> timing (tools/perf/timing.compare, interleaved
runs forked from warm harnesses; the CI's lower bound must clear the threshold) -> bounded
equivalence on what the clock found worth keeping (a `counterexample` rejects) -> callgrind's instruction ratio when valgrind is there (a disagreement with the
wall clock is flagged, not fatal). An edit that changes output on any input it was shown is
never applied. Accepted edits stack; the next round re-profiles the stacked tree.

The stages: agent/optimize/bench.py (what is timed), propose.py (rule and model candidates),
equivalence.py (the gates), measure.py (judging one candidate), report.py (summary, delivery),
unsuitable.py (workloads it cannot help with: processes, threads, hot code in C); this module runs the rounds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

from suture.agent import runs
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.fix.deliver import check_repo_state
from suture.agent.gates import tamper
from suture.agent.optimize import unsuitable
from suture.agent.optimize.bench import Bench, bench_for_command, bench_for_target, locate, workload_for
from suture.agent.optimize.equivalence import baseline_tests
from suture.agent.optimize.measure import ask_stdin, judge_candidate, keep_best, settle, verify_late
from suture.agent.optimize.propose import (changed_functions, combined_proposal, model_client, model_proposals,
                                          near_misses, rule_proposals)
from suture.agent.optimize.report import deliver_and_report, pie_summary, stacked_patch
from suture.agent.optimize.state import OptimizeOutcome, OptimizeProgress, OptimizeState
from suture.agent.options import OptimizeOptions
from suture.tools.git import gitstate
from suture.tools.git.workspace import WorktreePool
from suture.tools.git.worktree import WorkspaceError, scratch_worktree
from suture.tools.perf import warm
from suture.tools.llm.client import BudgetExceeded, LLMError

# Imported from here by the CLI, the GitHub Action, `replay` and the tests.
__all__ = ["OptimizeOptions", "OptimizeOutcome", "OptimizeProgress", "changed_functions", "locate", "run_optimize"]

MAX_HOTSPOTS = 5  # functions per round the rules (and the model) look at
# Once a round holds a significant candidate, it measures further ones only while it has used less than
# this share of the time that was left when it began: the rest is for the rounds that stack on it.
ROUND_SHARE = 0.5
PROFILE_CALLS = 4  # calls of the target in the profiled run (tools/perf/lines.py needs samples)


class _ProviderStopped(Exception):
    """The model provider failed after something was kept: the search ends, the kept edits stand."""


def run_optimize(repo: Path, options: OptimizeOptions, on_progress: Callable[[OptimizeProgress], None] | None = None,
                 ask: Callable[[str], str | None] | None = None, started: float | None = None) -> OptimizeOutcome:
    """Speed up `repo` on its bench or target functions; deliver per `options.mode`.

    Raises SutureExit for bad input: no target, a target that is not there, a bench that
    fails or is non-deterministic, a workload too fast to time, a repo state `mode` cannot
    write to. `ask` answers --interactive questions (default: a line from stdin). `started`
    (time.monotonic()) is when the time limit began, when before this call (the CLI's start-up).
    """
    started = time.monotonic() if started is None else started
    deadline = started + options.time_limit
    targets = list(options.targets) or ([options.target] if options.target else [])
    if bool(targets) == bool(options.bench_cmd):
        raise SutureExit("give exactly one of --bench-cmd CMD or --target MOD:FUNC.")
    if options.rounds < 3:
        raise SutureExit("--rounds must be at least 3: a confidence interval needs several timing rounds.")
    check_repo_state(repo, options.mode)
    tamper.allow(options.allow_risks)  # for this run's gates; a resumed run's come from its record
    base = gitstate.head_commit(repo)
    if base is None:
        raise SutureExit(f"the repository at {repo} has no commit yet; commit once so suture can measure HEAD.")
    run_dir = runs.new_run_dir(repo, "optimize")
    log = runs.Trajectory(run_dir / "trajectory.jsonl").log
    log("start", command="optimize", repo=str(repo), base=base, options=options.to_record())
    client = model_client(options)
    progress = runs.ProgressReporter(on_progress, started)
    if options.resume_from is not None:  # an --interactive run's recorded answers first, then the user's
        from suture.agent.playback import recorded_answers

        ask = recorded_answers(options.resume_from, then=ask or ask_stdin)
    state = OptimizeState(options=options, client=client, log=log, progress=progress, deadline=deadline, run_dir=run_dir,
                   ask=ask or ask_stdin)
    benches, summary, patch, budget_hit = _search(repo, state, base, targets)
    return deliver_and_report(repo, state, base, started, benches, summary, patch, budget_hit)


def _search(repo: Path, state: OptimizeState, base: str, targets: list[str]) -> tuple[list[Bench], Any, str, bool]:
    """Measure the benches at the base, then stack accepted edits round by round:
    (benches, the PIE-style summary when several, the patch of everything stacked, whether the budget ran out)."""
    options, log = state.options, state.log
    budget_hit = False
    try:
        with ExitStack() as stack:
            best = stack.enter_context(scratch_worktree(repo, base))
            scratch = stack.enter_context(scratch_worktree(repo, base))
            state.best, state.scratch = best, scratch
            state.pool = stack.enter_context(WorktreePool(repo, base=base, size=1))  # the gates' tree
            state.warm = stack.enter_context(closing(warm.Pool()))  # the timed runs' warm harnesses
            benches = [bench_for_target(state, t, workload_for(options, i)) for i, t in enumerate(targets)] \
                if targets else [bench_for_command(state, options.bench_cmd)]
            baseline_tests(state)
            for bench in benches:
                try:
                    _optimize_bench(state, bench)
                except BudgetExceeded as spent:
                    log("budget", message=spent.message)
                    state.notes.append(spent.message)
                    budget_hit = True
                    break
            summary = pie_summary(state, benches, base) if len(benches) > 1 else None
            patch = stacked_patch(state)
    except WorkspaceError as error:
        raise SutureExit(str(error)) from None
    except LLMError as error:
        log("error", message=error.message, kind=error.kind)
        raise SutureExit(f"the model provider failed: {error.message}", ExitCode.PROVIDER_ERROR) from None
    return benches, summary, patch, budget_hit


def _optimize_bench(state: OptimizeState, bench: Bench) -> None:
    for round_number in range(1, state.options.max_rounds + 1):
        if state.left() <= 5:
            state.stopped_because = "time limit reached"
            return
        state.progress.stage(f"profiling {bench.label} (round {round_number})")
        hot, in_c, started = _hotspots(state, bench)
        state.hotspots.append({"bench": bench.label, "round": round_number, "hotspots": hot})
        state.log("hotspots", bench=bench.label, round=round_number, hotspots=hot)
        if unsuitable.check_started(state, bench, round_number, started):
            return
        in_c_stop = unsuitable.check_c_bound(state, bench, round_number, in_c)
        places = _places(bench, hot)
        if not places:
            state.stopped_because = (in_c_stop + ", and nothing else in the profile is worth rewriting") if in_c_stop \
                else "the profile shows no function of the repository worth rewriting"
            return
        _record_types(state, bench, places)
        judged_before = len(state.judged)
        try:
            accepted = _round(state, bench, places, hot)
        except _ProviderStopped:
            return
        if not accepted:
            if state.guidance and state.client is not None and state.left() > 5:
                continue  # the user's guidance goes to the model in the next round
            if len(state.judged) == judged_before and in_c_stop:
                # no candidate at all: the C says why
                state.stopped_because = state.stopped_because or in_c_stop + ", and no rule applied to the rest"
            state.stopped_because = state.stopped_because or "no candidate of the last round was a significant speed-up"
            return
    state.stopped_because = f"{state.options.max_rounds} rounds done"


def _round(state: OptimizeState, bench: Bench, places: list[tuple[str, str]], hot: list[dict[str, Any]]) -> bool:
    """Judge every candidate of one round -- the rules', then the model's -- and keep the fastest
    significant one (not the first): whether one was kept."""
    began, share = time.monotonic(), state.left() * ROUND_SHARE
    eligible: list = []

    def more() -> bool:
        if state.left() <= 5:
            return False
        # The share counts only a candidate the round can keep: the verifier runs here on the fastest (settle).
        if eligible and time.monotonic() - began > share and settle(state, eligible) is not None:
            state.log("round_share", measured=len(eligible), seconds=round(time.monotonic() - began, 2))
            return False
        return True

    first = len(state.judged)
    for proposal in rule_proposals(state, places):
        if not more():
            break
        if judge_candidate(state, bench, proposal).accepted:
            eligible.append(state.judged[-1])
        if state.guidance and state.client is not None:
            break  # the expert asked for something else: the model hears it now
    if eligible and len(near_misses(state.judged[first:])) >= 2:
        settle(state, eligible)  # the near misses stack only if no significant candidate survives the verifier
    stacked = combined_proposal(state, state.judged[first:], lambda j: verify_late(state, j)) \
        if not eligible and more() else None
    if stacked is not None and judge_candidate(state, bench, stacked).accepted:
        eligible.append(state.judged[-1])
    if state.client is not None and more():
        try:
            for proposal in model_proposals(state, places, hot):
                if judge_candidate(state, bench, proposal).accepted:
                    eligible.append(state.judged[-1])
        except LLMError as error:
            if not eligible and not any(j.accepted for j in state.judged):
                raise
            # The edits already measured stand; a provider failing later only ends the search.
            state.log("error", message=error.message, kind=error.kind)
            state.notes.append(f"the model provider failed, so the search stopped: {error.message}")
            state.stopped_because = "the model provider failed"
            keep_best(state, bench, eligible)
            raise _ProviderStopped from None
    return keep_best(state, bench, eligible) is not None


def _hotspots(state: OptimizeState, bench: Bench) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """(the hot spots to rewrite, the hot functions whose time is mostly in C, the processes and threads
    the profiled run started)."""
    from suture.retrieval.index import SymbolIndex
    from suture.tools.perf.profile import ProfileError, hotspots, profile_with_lines

    import dataclasses

    from suture.tools.perf.timing import CALLS_ENV

    runner = bench.runner(state.best)
    # Several calls of the target, so the line sampler (a tick every few ms of CPU) gets enough samples
    # of a 50 ms call to rank its lines; a bench command that does not read it runs once as before.
    runner = dataclasses.replace(runner, env={**(runner.env or {}), CALLS_ENV: str(PROFILE_CALLS)})
    try:
        profiled = profile_with_lines(runner, state.best, time_limit=max(10.0, min(state.left(), 120.0)))
        index = SymbolIndex.build(state.best, workers=1, use_cache=False)
        # Those mostly in C too (max_c_share 1.0), so the report can name them rather than drop them unsaid.
        found = hotspots(profiled.stats, state.best, index, limit=3 * MAX_HOTSPOTS, samples=profiled.samples,
                         max_c_share=1.0)
    except ProfileError as error:
        state.notes.append(f"profiling failed: {error}")
        return [], [], {}
    hot = [h.to_dict() for h in found if h.c_share <= unsuitable.C_BOUND_SHARE]
    return hot[:MAX_HOTSPOTS], [h.to_dict() for h in found if h.c_share > unsuitable.C_BOUND_SHARE], \
        profiled.started.to_dict()


def _record_types(state: OptimizeState, bench: Bench, places: list[tuple[str, str]]) -> None:
    """Run-time types of the places not recorded yet (tools/perf/typeprobe.py), for the rules' preconditions."""
    from suture.agent.optimize.perf_rules.evidence import function_evidence
    from suture.tools.perf.profile import ProfileError
    from suture.tools.perf.typeprobe import record_types

    missing = [place for place in places if place not in state.types]
    if not missing or state.left() <= 20:
        return
    state.progress.stage(f"recording the run-time types of {len(missing)} hot function(s)")
    try:
        found = record_types(bench.runner(state.best), state.best, missing,
                             time_limit=max(10.0, min(state.left() / 3, 120.0)))
    except ProfileError as error:
        state.notes.append(f"no run-time types were recorded: {error}")
        found = {}
    for place in missing:
        state.types[place] = found.get(place, {})
        varying = function_evidence(state.types[place])[2] if state.types[place] else []
        if varying:
            state.notes.append(f"{place[0]}::{place[1]}: the recorded types of {', '.join(f'`{v}`' for v in varying)} "
                               "vary between calls, so no rule that needs one type relies on them")
    state.log("types", functions={f"{p}::{q}": record for (p, q), record in found.items()})


def _places(bench: Bench, hot: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(path, qualname) to rewrite, best first: the target function, then the hot spots."""
    places: list[tuple[str, str]] = []
    if bench.kind == "function":
        places.append((bench.path, bench.function))
    for spot in hot:
        place = (spot["path"], spot["function"])
        if place not in places:
            places.append(place)
    return places[:MAX_HOTSPOTS + 1]
