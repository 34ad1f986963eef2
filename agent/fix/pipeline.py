"""The `suture fix` pipeline: baseline -> localise -> propose -> gate -> choose -> deliver.

Proposals come from the built-in rule engine (agent/propose/rules.py) first, so no token is
spent when a template repairs the bug; with a model set, the planner (agent/propose/planner.py)
then explores and patches through tools. Every candidate, either way, goes through
agent/gates/validate.py's gates in pooled scratch worktrees, and the user's tree is only
written when they asked for --apply or --commit (agent/fix/deliver.py).

The candidate stream is validated in small batches (one candidate per worker) so
the run stops soon after the first candidate that passes every gate; one more
batch is then spent looking for a smaller or less risky equivalent.

Each stage is a function that hands a small typed record to the next (the shape of
Agentless' stage-per-artifact pipeline, in one process): `localise_stage` gives a
`Baseline`, `search_stage` (propose and gate interleave, then choose, all in one set of
scratch worktrees) gives a `Search` and a `Decision`, and `report_stage` delivers and
reports. `RunContext` is what every stage shares (the run's repo, options, client,
trajectory, clock).

Over 600 lines as one concept: the stages, their records and the report they add up to read
together; in the package layout each stage can become its own module (agent/fix/).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture import prompts
from suture.agent import runs
from suture.agent.fix.choose import Choice, choose
from suture.agent.fix.deliver import DeliveryRefused, check_repo_state, deliver
from suture.agent.fix import evidence as behaviour
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.options import FixOptions  # the record; agent/options.py
from suture.agent.propose.planner import PlannerLimits, PlannerResult, run_planner, task_text
from suture.agent.propose.planner_tools import Toolbox, suspects_text
from suture.agent.fix.rank import rank
from suture.agent.report.source import suspect_sources
from suture.agent.fix.rivals import RivalSearch, rival_test_limit
from suture.agent.fix.reproduce import Reproduction, related_code, release_reproductions, reproduce, test_imports
from suture.agent.propose.mutants import lead_with_mutants, mutation_plan
from suture.agent.propose.rules import generate_candidates
from suture.agent.propose.synthesis import beyond_templates
from suture.agent.propose.synthesis import enabled as synthesis_enabled
from suture.agent.fix.select import CONFIDENCE_THRESHOLD
from suture.agent.fix.tidy import tidy_choice
from suture.agent.gates import tamper
from suture.agent.gates.antipatterns import anti_pattern_sentences
from suture.agent.gates.tamper import blocked_candidates
from suture.agent.gates.validate import Candidate, GateRunner, GateVerdict
from suture.agent.gates.verify_gate import GateVerifier
from suture.agent.gates.verify_report import verification_report, verification_sentence
from suture.tools import childenv
from suture.tools.git import gitstate
from suture.tools.testing import sandbox
from suture.tools.llm.client import BudgetExceeded, LLMError, head_tail
from suture.tools.testing.angelic import can_probe, probe_run
from suture.tools.testing.localize import LocalizeError, NoFailingTestError, localize
from suture.tools.testing.testrun import TestRunError, baseline_test_limit, hang_limits, hang_limits_env, run_tests
from suture.tools.git.workspace import WorktreePool
from suture.tools.git.worktree import WorkspaceError, scratch_worktree

__all__ = ["FixOptions", "FixOutcome", "FixProgress", "NoFailingTest", "run_fix"]

# After the first accepted candidate, this many more are gated in search of a simpler one, or of
# rivals that show the tests cannot tell patches apart (then the choice needs more evidence:
# agent/fix/choose.py). Gates fork from a warm pytest, so this is cheap. The window is a count, not
# seconds, so a loaded machine sees the same rivals as an idle one (a 10 s window gated 13 of them
# at load 25 and never reached the rival an idle run finds); EXTRA_SHARE of the time limit (at
# least EXTRA_SECONDS) only stops it on a suite so slow that gating them would eat the run.
# It never eats the comparison's share either (agent/fix/evidence.py): its gates end while the
# planned evidence seconds, EVIDENCE_SETUP_SECONDS for the comparison's set-up and the delivery
# reserve are still left, since a patch the comparison never ran on is not claimed. (A full suite
# run under load found the hanging binary search's fix at 45 s of 60 and spent the rest on rivals.)
# With the comparison's time kept back, the share can be wide: at load 15, a tenth of 150 s gated
# 14 rivals and missed leap_years' `and` -> `or`, so the wrong lone `!= 0` was claimed.
EXTRA_AFTER_FIRST_FIX = 24
EXTRA_SECONDS, EXTRA_SHARE = 10.0, 0.25
EVIDENCE_SETUP_SECONDS = 4.0
MIN_RIVAL_SECONDS = 1.0  # less than this left for a batch of rivals: none is started
# With a model, the rule engine gets this share of the time limit before the planner starts.
RULES_SHARE_WITH_MODEL = 1 / 3
# Share of the time limit synthesis (its probe runs and enumeration) may take, at most.
SYNTHESIS_SHARE = 0.25
# Share of the time limit kept back for choosing and delivering.
DELIVERY_RESERVE_SECONDS = 3.0
# A patch that makes a test hang must not eat the budget: candidates' per-test timeouts follow the
# baseline's slowest test (ten times it), at least this, at most the baseline's own limit
# (FixOptions.test_timeout, the `test_timeout` setting).
PER_TEST_TIMEOUT_FACTOR, PER_TEST_TIMEOUT_FLOOR = 10.0, 5.0
RISK_WORDS = {
    "deletes_code": "deletes code",
    "weakens_condition": "weakens a condition",
    "removes_check": "removes a check",
}


class NoFailingTest(SutureExit):
    """Every test passes at HEAD: nothing to repair (bad input for `fix`, all clear for a git hook)."""


class UseCOracle(Exception):
    """The test command finds no test, but the repository has C files ESBMC can check instead."""

    def __init__(self, files: list[str]) -> None:
        super().__init__(", ".join(files))
        self.files = files


FixProgress = runs.RunProgress  # the live status of a fix run (agent/runs.py)


@dataclass
class FixOutcome:
    report: dict[str, Any]
    exit_code: ExitCode
    chosen: GateVerdict | None = None
    partial: GateVerdict | None = None
    notes: list[str] = field(default_factory=list)


# -- the records the stages hand on -----------------------------------------------------------


@dataclass
class RunContext:
    """What every stage of one fix run shares."""

    repo: Path
    options: FixOptions
    client: Any  # the model client (tools/llm/client.py), None for the rule engine alone
    base: str  # HEAD when the run started
    run_dir: Path
    trajectory: runs.Trajectory
    progress: runs.ProgressReporter
    started: float
    deadline: float

    def left(self) -> float:
        """Seconds left for searching, the delivery reserve kept back."""
        return self.deadline - time.monotonic() - DELIVERY_RESERVE_SECONDS


@dataclass
class Baseline:
    """The baseline and localisation stage's record: what fails at the tested commit, and where."""

    found: Any  # tools.localize.Localization, the tests hanging at the baseline set apart
    test_base: str  # the commit the gates test: HEAD, or HEAD plus a reproduction test
    reproduction: Reproduction | None
    hanging: list[str]  # every test that ran past its limit at the baseline
    passing: list[str]
    suite_seconds: float
    per_test_timeout: float  # for candidates' runs
    left_out: list[str] = field(default_factory=list)  # hanging tests left out of candidates' runs
    hang_limits: dict[str, float] = field(default_factory=dict)  # the hanging tests to repair: their short limits
    test_limit: float = 0.0  # the baseline's per-test limit


@dataclass
class Search:
    """The propose and gate stages' record: every candidate with its verdict, and why the search stopped."""

    notes: list[str]
    candidates: dict[str, Candidate] = field(default_factory=dict)
    verdicts: list[GateVerdict] = field(default_factory=list)  # without the skipped ones
    exhausted_space: bool = False
    budget_hit: bool = False
    planner: PlannerResult | None = None
    rivals: RivalSearch | None = None  # the rule engine's rival window after its first fix (agent/fix/rivals.py)
    copied: list[str] = field(default_factory=list)  # git-ignored generated files the checkouts got
    checkout_notes: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return any(v.accepted for v in self.verdicts)


@dataclass
class Decision:
    """The choose stage's record."""

    choice: Choice | None
    chosen: GateVerdict | None  # claimed as the fix
    plausible: GateVerdict | None  # passes every gate, weakly evidenced: shown, not claimed
    partial: GateVerdict | None  # the best of the rest

    @classmethod
    def of(cls, choice: Choice | None, verdicts: list[GateVerdict]) -> Decision:
        chosen = choice.verdict if choice is not None and not choice.confidence.weak else None
        plausible = choice.verdict if choice is not None and choice.confidence.weak else None
        partial = None if chosen or plausible else next(iter(rank(verdicts)), None)
        return cls(choice, chosen, plausible, partial)


# -- the run ----------------------------------------------------------------------------------


def run_fix(repo: Path, options: FixOptions, on_progress: Callable[[FixProgress], None] | None = None,
            started: float | None = None) -> FixOutcome:
    """Repair `repo` (a directory inside a git work tree) and deliver per `options.mode`.

    `started` (time.monotonic()) is when the time limit began, when before this call (the CLI's
    start-up). Raises SutureExit for bad input (no failing test, a repo state the mode cannot write to).
    """
    started = time.monotonic() if started is None else started
    progress = runs.ProgressReporter(on_progress, started)
    tamper.allow(options.allow_risks)  # for this run's gates; a resumed run's come from its record
    check_repo_state(repo, options.mode)  # fail fast: mid-merge, detached HEAD for --commit, ...
    base = gitstate.head_commit(repo)
    if base is None:
        raise SutureExit(f"the repository at {repo} has no commit yet; commit once so suture can test HEAD.")
    run_dir = runs.new_run_dir(repo, "fix")
    trajectory = runs.Trajectory(run_dir / "trajectory.jsonl")
    trajectory.log("start", command="fix", repo=str(repo), base=base, options=options.to_record())

    client = _client(options)  # before any work: an unknown provider fails fast (exit 4)
    ctx = RunContext(repo, options, client, base, run_dir, trajectory, progress, started,
                     started + options.time_limit)
    try:
        if options.targets:
            return _c_fix(ctx)
        try:
            baseline = localise_stage(ctx)
        except UseCOracle as switch:  # no tests at all, but C files: ESBMC is the oracle
            ctx.options = dataclasses.replace(options, targets=tuple(switch.files))
            return _c_fix(ctx)
        search, decision = search_stage(ctx, baseline)
        return report_stage(ctx, baseline, search, decision)
    finally:
        release_reproductions(repo, run_dir.name)


def _c_fix(ctx: RunContext) -> FixOutcome:
    from suture.agent.c.repair import run_c_fix

    report, code = run_c_fix(ctx.repo, ctx.options, ctx.base, ctx.run_dir, ctx.trajectory.log, ctx.progress.stage,
                             ctx.started, client=ctx.client)
    return FixOutcome(report, code)


# -- stage 1: baseline and localisation -------------------------------------------------------


def localise_stage(ctx: RunContext) -> Baseline:
    """Run the tests at HEAD (or HEAD plus a reproduction test) and rank the suspects."""
    ctx.progress.stage("baseline and localisation")
    found, test_base, reproduction = _localise(ctx)
    run = found.run
    found, hanging, left_out = _set_hangs_apart(found, ctx.options)
    passing = [n for n in run.passed if n not in found.flaky] if run else []
    durations = [o.duration for n, o in run.outcomes.items() if n not in hanging] if run else []
    slowest = max(durations, default=1.0)
    per_test_timeout = min(max(PER_TEST_TIMEOUT_FACTOR * slowest, PER_TEST_TIMEOUT_FLOOR), ctx.options.test_timeout)
    limits = hang_limits(run, [n for n in hanging if n in found.failing], cap=per_test_timeout) if run else {}
    ctx.trajectory.log("localised", failing=found.failing, flaky=found.flaky, hanging=hanging, left_out=left_out,
                       hang_limits=limits, ranking=[s.to_dict() for s in found.ranking[:20]],
                       sources=suspect_sources(ctx.repo, ctx.base, found.ranking, found.line_scores))
    test_limit = _baseline_test_limit(ctx.options)
    if left_out:
        ctx.progress.stage(f"{len(left_out)} test(s) hang at HEAD (past {test_limit:g} s), left out: "
                           + ", ".join(left_out[:3]) + (" ..." if len(left_out) > 3 else ""))
    if limits:
        ctx.progress.stage(f"{len(limits)} failing test(s) hang at HEAD (past {test_limit:g} s), each given "
                           f"{max(limits.values()):g} s in later runs: " + ", ".join(list(limits)[:3])
                           + (" ..." if len(limits) > 3 else ""))
    return Baseline(found, test_base, reproduction, hanging, passing, run.seconds if run else 10.0, per_test_timeout,
                    left_out, limits, test_limit)


def _baseline_test_limit(options: FixOptions) -> float:
    """The per-test limit at the baseline. A test past it hangs for this run; the tests after it in the
    baseline run, and the hanging tests in every later run, get hang_limits' short limit."""
    return baseline_test_limit(options.test_timeout, options.time_limit)


def _localise(ctx: RunContext) -> tuple[Any, str, Reproduction | None]:
    """(localisation, the commit it tested, the reproduction test when one had to be written)."""
    options = ctx.options
    try:
        found = localize(ctx.repo, test_cmd=options.test_cmd, failing_tests=options.failing_tests,
                         run_dir=ctx.run_dir, timeout=max(1.0, ctx.left()),
                         per_test_timeout=_baseline_test_limit(options), shorten_after_hang=True,
                         issue_text=options.issue_text, index_cache=ctx.repo / ".suture" / "cache" / "base-index",
                         mutation=mutation_plan(options.mutation_share) if options.mutation_share is not None else None)
        return found, ctx.base, None
    except LocalizeError as error:
        ctx.trajectory.log("error", message=str(error))
        if ctx.left() <= 0:  # the baseline itself used up the time: say so, as a budget, not bad input
            raise SutureExit(f"time limit reached: the {options.time_limit:g} s ran out during the baseline run "
                             f"({str(error).rstrip('.')}); raise --time-limit.", ExitCode.BUDGET_EXHAUSTED) from None
        _refuse_without_failing_test(ctx, error)
    return _reproduce_issue(ctx)


def _refuse_without_failing_test(ctx: RunContext, error: LocalizeError) -> None:
    """Raise what a localisation `error` means, unless a model can turn the issue text into a failing test."""
    from suture.agent.c.repair import fallback_targets

    c_files = fallback_targets(ctx.repo, error)
    if c_files:
        ctx.trajectory.log("c_fallback", files=c_files)
        raise UseCOracle(c_files)
    no_failing = isinstance(error, NoFailingTestError)
    if ctx.client is not None and ctx.options.issue_text and no_failing:
        return
    message = str(error)
    hint = childenv.withheld_hint([message], childenv.withheld_names())
    if hint:  # a suite that needs a secret suture withholds: say which and how to pass it on
        message = f"{message.rstrip()} ({hint})"
    if ctx.options.issue_text and no_failing:
        message += " The rule engine needs a failing test; an issue text alone needs a model."
    if no_failing:
        raise NoFailingTest(message) from None
    raise SutureExit(message) from None


def _reproduce_issue(ctx: RunContext) -> tuple[Any, str, Reproduction]:
    """No test fails, but there is an issue text and a model: have it written as a failing test."""
    ctx.progress.stage("reproducing the issue as a test")
    try:
        reproduction, repro_notes = reproduce(ctx.client, ctx.repo, ctx.base, ctx.options.issue_text,
                                              test_cmd=ctx.options.test_cmd, run_id=ctx.run_dir.name,
                                              cache_dir=ctx.repo / ".suture" / "cache" / "base-index",
                                              log=ctx.trajectory.log)
    except LLMError as provider:
        raise SutureExit(f"the model provider failed: {provider.message}", ExitCode.PROVIDER_ERROR) from None
    except BudgetExceeded as spent:
        raise SutureExit(f"no verified patch: {spent.message}", ExitCode.BUDGET_EXHAUSTED) from None
    ctx.trajectory.log("reproduction", reproduced=reproduction is not None, notes=repro_notes,
                       **(reproduction.to_dict() if reproduction else {}))
    if reproduction is None:
        raise SutureExit("no test fails at HEAD and the model's tests did not reproduce the issue ("
                         + "; ".join(repro_notes) + ")", ExitCode.NOTHING_FOUND) from None
    try:
        found = localize(ctx.repo, test_cmd=ctx.options.test_cmd, failing_tests=reproduction.failing,
                         run_dir=ctx.run_dir, timeout=max(1.0, ctx.left()),
                         rev=reproduction.commit, per_test_timeout=_baseline_test_limit(ctx.options),
                         shorten_after_hang=True, issue_text=ctx.options.issue_text,
                         index_cache=ctx.repo / ".suture" / "cache" / "base-index")
    except LocalizeError as again:
        raise SutureExit(f"the reproduction test could not be localised: {again}") from None
    return found, reproduction.commit, reproduction


# -- stages 2 to 4: propose, gate, choose (in one set of scratch worktrees) --------------------


def search_stage(ctx: RunContext, baseline: Baseline) -> tuple[Search, Decision]:
    """Propose candidates (rule engine, then the model), gate each, and choose among those that pass."""
    search = Search(notes=list(baseline.found.notes))  # set-up errors left out, coverage missing
    withheld = _withheld_hint(baseline.found)
    if withheld:  # a test failing at HEAD because suture kept a secret from it
        search.notes.append(withheld)
        ctx.progress.stage(withheld)
    choice = None
    ctx.progress.stage("repairing")
    try:
        with scratch_worktree(ctx.repo, baseline.test_base) as base_tree, \
                WorktreePool(ctx.repo, base=baseline.test_base, size=ctx.options.workers) as pool:
            search.copied = list(pool.generated)
            pool.env.update(hang_limits_env(baseline.hang_limits))  # every run in the pool's trees
            gates = _gate_runner(ctx, baseline, pool, base_tree)
            propose_with_rules(ctx, baseline, gates, search, base_tree, pool)
            gates.settings.per_test_timeout = baseline.per_test_timeout  # the rivals' limit was theirs alone
            if ctx.client is not None and not search.accepted:
                ctx.progress.stage("planning with the model")
                propose_with_model(ModelSession(ctx, baseline, gates, search, pool), base_tree)
            search.checkout_notes = list(pool.notes)  # set when the first tree was made
            choice = choose_stage(ctx, baseline, search, pool, base_tree)
            if choice is not None:  # the idiomatic form of the chosen patch, re-gated (agent/fix/tidy.py)
                choice = tidy_choice(choice, search.candidates, _gate_one(ctx, baseline, gates, search), base_tree,
                                     pool.inside.as_posix(), ctx.left(), ctx.trajectory.log)
    except WorkspaceError as error:
        raise SutureExit(str(error)) from None
    except LLMError as error:
        ctx.trajectory.log("error", message=error.message, kind=error.kind)
        raise SutureExit(f"the model provider failed: {error.message}", ExitCode.PROVIDER_ERROR) from None
    return search, Decision.of(choice, search.verdicts)


def _gate_one(ctx: RunContext, baseline: Baseline, gates: GateRunner, search: Search):
    """gate(candidate, seconds) -> its verdict, recorded like every other candidate's."""
    def gate(candidate: Candidate, seconds: float) -> GateVerdict:
        ctx.trajectory.log("candidate", id=candidate.id, template=candidate.template,
                           description=candidate.description, risks=list(candidate.risks))
        verdict = gates.run(candidate, time_limit=max(0.0, seconds),
                            candidate_time_limit=max(1.0, min(seconds, 3 * baseline.suite_seconds + 30)))
        _record_verdicts(ctx, baseline, search, [verdict])
        return verdict
    return gate


def _withheld_hint(found: Any) -> str:
    """One sentence when a test failing at HEAD (or a set-up error) names a variable suture withheld."""
    run = found.run
    texts = [f"{o.message}\n{o.details}" for n, o in (run.outcomes.items() if run else ()) if n in found.failing]
    return childenv.withheld_hint(texts + [g.cause for g in found.setup_errors], childenv.withheld_names())


def _gate_runner(ctx: RunContext, baseline: Baseline, pool: WorktreePool, base_tree: Path) -> GateRunner:
    verifier = GateVerifier(base_tree / pool.inside, evidence_dir=ctx.run_dir / "counterexamples") \
        if ctx.options.verify else None
    found = baseline.found
    return GateRunner(ctx.repo, baseline_failing=found.failing, baseline_passing=baseline.passing, flaky=found.flaky,
                      spectra=found.spectra, test_cmd=ctx.options.test_cmd, workers=ctx.options.workers,
                      per_test_timeout=baseline.per_test_timeout, base=baseline.test_base, pool=pool,
                      verifier=verifier, hanging=baseline.left_out, allow_paths=ctx.options.allow_paths)


def _record_verdicts(ctx: RunContext, baseline: Baseline, search: Search, results: list[GateVerdict]) -> None:
    for verdict in results:
        ctx.trajectory.log("verdict", **_verdict_summary(verdict))
    search.verdicts.extend(v for v in results if v.stage != "skipped")
    ctx.progress.update(len(search.verdicts), _best_summary(search.verdicts, len(baseline.found.failing)))


def propose_with_rules(ctx: RunContext, baseline: Baseline, gates: GateRunner, search: Search, base_tree: Path,
                       pool: WorktreePool | None = None) -> None:
    """The rule engine's candidates, gated in batches until one passes (and a few more after it), the
    candidate space or the rule engine's share of the time runs out."""
    options = ctx.options
    rules_deadline = ctx.deadline if ctx.client is None else ctx.started + options.time_limit * RULES_SHARE_WITH_MODEL
    found = baseline.found
    beyond = _beyond_templates(ctx, baseline, search, base_tree, pool, rules_deadline) if pool is not None else ()
    fixing = found.mutation if options.max_candidates > 0 else None  # --mutation on: its fixing mutants first
    stream = lead_with_mutants(fixing, generate_candidates(
        base_tree, found.ranking, found.line_scores, max_candidates=options.max_candidates, notes=search.notes,
        beyond=beyond))
    first_fix_at: int | None = None
    first_fix_time = 0.0
    extra_seconds = max(EXTRA_SECONDS, EXTRA_SHARE * options.time_limit)

    def left() -> float:  # for gating; once a fix is in hand, the comparison's share is kept back (rivals)
        remaining = rules_deadline - time.monotonic() - DELIVERY_RESERVE_SECONDS
        if first_fix_at is None:
            return remaining
        remaining = rival_seconds(remaining, time.monotonic() - ctx.started)
        return remaining if remaining >= MIN_RIVAL_SECONDS else 0.0

    while True:
        if left() <= 0:
            search.budget_hit = True
            return
        batch = [c.to_candidate() for c in itertools.islice(stream, options.workers)]
        if not batch:
            search.exhausted_space = len(search.candidates) < options.max_candidates
            search.budget_hit = not search.exhausted_space
            return
        # Pulling the batch may have run synthesis's probes: the gates get what is left after them.
        remaining = left()
        if remaining <= 0:
            search.budget_hit = True
            return
        for candidate in batch:
            search.candidates[candidate.id] = candidate
            ctx.trajectory.log("candidate", id=candidate.id, template=candidate.template,
                               description=candidate.description, risks=list(candidate.risks))
        results = gates.run_all(batch, time_limit=remaining,
                                candidate_time_limit=min(remaining, 3 * baseline.suite_seconds + 30))
        _record_verdicts(ctx, baseline, search, results)
        if search.rivals is not None:
            search.rivals.record(v for v in results if v.stage != "skipped")
        if first_fix_at is None and any(v.accepted for v in results):
            first_fix_at, first_fix_time = len(search.verdicts), time.monotonic()
            search.rivals = RivalSearch(window=EXTRA_AFTER_FIRST_FIX, test_limit=_rivals_limit(baseline))
            gates.settings.per_test_timeout = search.rivals.test_limit
            ctx.progress.stage("looking for a simpler equivalent")
        if first_fix_at is not None and (len(search.verdicts) >= first_fix_at + EXTRA_AFTER_FIRST_FIX
                                         or time.monotonic() - first_fix_time >= extra_seconds):
            return
        if search.rivals is not None and search.rivals.hangs_dominate():
            ctx.progress.stage(f"rival search stopped: {search.rivals.stopped_because}")
            return


def _rivals_limit(baseline: Baseline) -> float | None:
    run = baseline.found.run
    passed = [o.duration for n, o in (run.outcomes.items() if run else ()) if o.outcome == "passed"]
    return rival_test_limit(passed, baseline.per_test_timeout)


def rival_seconds(remaining: float, spent: float) -> float:
    """Seconds a batch of rivals may gate, of the `remaining` search time (the delivery reserve already
    kept back), `spent` seconds into the run: what the comparison will plan for (its share of the
    time spent by the batch's end, at most) and its set-up are left for it."""
    return remaining - behaviour.planned_seconds(spent + remaining) - EVIDENCE_SETUP_SECONDS


def _beyond_templates(ctx: RunContext, baseline: Baseline, search: Search, base_tree: Path, pool: WorktreePool,
                      deadline: float):
    """Synthesis and ingredients (agent/propose/synthesis.py), probing in the pool's scratch trees within
    SYNTHESIS_SHARE of the time limit."""
    found = baseline.found
    spectra = found.spectra

    def covering(path: str, start: int, end: int) -> set[str]:
        return spectra.tests_covering(path, start, end) if spectra is not None else set()

    def probe(files: dict[str, str], nodeids: list[str], plan: dict, seconds: float) -> list[dict]:
        # One end for waiting for a tree and the run in it: `seconds` is all the probe may take.
        began = time.monotonic()
        try:
            with pool.tree(timeout=max(0.1, seconds)) as tree:
                left = seconds - (time.monotonic() - began)
                records = [] if left < 1.0 else probe_run(
                    tree, files, nodeids, plan, test_cmd=ctx.options.test_cmd, timeout=left,
                    per_test_timeout=baseline.per_test_timeout, extra_env=pool.env)
        except WorkspaceError:
            records = []
        ended = bool(records) and records[-1].get("end") is True  # else cut at `seconds` (or never started)
        ctx.trajectory.log("probe", mode=plan.get("mode"), tests=len(nodeids), allowed=round(seconds, 2),
                           seconds=round(time.monotonic() - began, 2), records=len(records), ended=ended)
        return records

    def seconds() -> float:
        return max(0.0, min(ctx.options.time_limit * SYNTHESIS_SHARE, deadline - time.monotonic() - DELIVERY_RESERVE_SECONDS))

    def lazily():  # the share is measured when the rule engine gets there, not now
        # Opt-in, and only while no candidate has passed the gates (synthesis.beyond_templates says why):
        # no stage line for work that will not run.
        if not synthesis_enabled() or search.accepted:
            return
        ctx.progress.stage("synthesising expressions from the tests' values")
        yield from beyond_templates(base_tree, found.ranking, found.line_scores, found.failing, covering,
                                    probe if can_probe(ctx.options.test_cmd) else None, seconds(), search.notes,
                                    hanging=list(baseline.hang_limits), settled=lambda: search.accepted)
    return lazily()


def choose_stage(ctx: RunContext, baseline: Baseline, search: Search, pool: WorktreePool,
                 base_tree: Path) -> Choice | None:
    """Rank the candidates that pass every gate and weigh the evidence for the best (agent/fix/choose.py)."""
    if not search.accepted:
        return None
    ctx.progress.stage("choosing among passing patches")
    failing = baseline.found.failing
    tree = base_tree / pool.inside
    evidence = _behaviour_evidence(ctx, baseline, search, pool, tree)
    choice = choose(
        search.verdicts, {cid: tuple(c.risks) for cid, c in search.candidates.items()}, client=ctx.client, pool=pool,
        issue=ctx.options.issue_text or "", failing=failing, test_cmd=ctx.options.test_cmd,
        code=_changed_code(tree, search.verdicts) + behaviour.disagreement_hint(evidence),
        imports=test_imports(tree, list(dict.fromkeys(n.split("::", 1)[0] for n in failing))), log=ctx.trajectory.log,
        evidence=evidence,
    )
    ctx.trajectory.log("choice", **choice.to_dict())
    return choice


def _behaviour_evidence(ctx: RunContext, baseline: Baseline, search: Search, pool: WorktreePool,
                        tree: Path) -> dict[str, behaviour.Evidence]:
    """Each distinct passing candidate run against HEAD and its rivals outside the tests (agent/fix/evidence.py)."""
    if not behaviour.enabled():
        return {}
    heads = rank([v for v in search.verdicts if v.accepted])
    # Its cost follows the run's: a share of the time spent so far (issue 17: at most +20%).
    spent = time.monotonic() - ctx.started
    seconds = min(behaviour.planned_seconds(spent), ctx.left())
    if seconds < behaviour.MIN_SECONDS:
        return {v.candidate_id: behaviour.Evidence(v.candidate_id, "not_run", behaviour.NO_TIME) for v in heads}
    ctx.progress.stage("comparing behaviour outside the tests")
    started = time.monotonic()
    found = behaviour.gather_evidence(tree, heads, pool, failing=baseline.found.failing, passing=baseline.passing,
                                      seconds=seconds)
    ctx.trajectory.log("evidence", seconds=round(time.monotonic() - started, 2),
                       candidates={cid: e.status for cid, e in found.items()})
    return found


# -- stage 5: deliver and report --------------------------------------------------------------


def report_stage(ctx: RunContext, baseline: Baseline, search: Search, decision: Decision) -> FixOutcome:
    """Deliver the chosen patch per the mode, write the report, and give the exit code."""
    found, chosen = baseline.found, decision.chosen
    delivery = None
    if chosen is not None:
        ctx.progress.stage("delivering")
        try:
            delivery = deliver(ctx.repo, chosen.patch, ctx.run_dir, mode=ctx.options.mode,
                               message=_commit_message(chosen, search.candidates, found.failing, baseline.passing),
                               base=ctx.base)
        except DeliveryRefused as refused:  # the patch is saved and reported all the same
            delivery = refused.delivery
    report = _report(ctx, baseline, search, decision, delivery)
    report["tests"]["setup_errors"] = [g.to_dict() for g in found.setup_errors]
    report["tests"]["hanging"] = baseline.hanging
    report["tests"]["hanging_left_out"] = baseline.left_out
    report["tests"]["hang_limits"] = baseline.hang_limits
    if report["status"] != "fixed" and baseline.hang_limits:
        report["stopped_because"] = report.get("stopped_because", "no fix") + "; " + _hang_sentence(baseline)
    # Git-ignored generated files (a _version.py, in-place extensions) the scratch checkouts got as copies.
    report["copied_untracked"] = search.copied
    report["checkout_notes"] = search.checkout_notes  # what the scratch checkouts lack (submodules, LFS), and why
    runs.write_report(ctx.run_dir, report)
    ctx.trajectory.log("end", status=report["status"])
    if delivery is not None and delivery.refused:
        code = ExitCode.BAD_INPUT  # verified, but --apply/--commit was refused: the patch is printed instead
    elif chosen is not None:
        code = ExitCode.DONE
    elif decision.plausible is not None:
        code = ExitCode.NOTHING_FOUND  # a plausible, weakly evidenced patch is shown, not claimed
    elif search.budget_hit:
        code = ExitCode.BUDGET_EXHAUSTED
    else:
        code = ExitCode.NOTHING_FOUND
    return FixOutcome(report, code, chosen, decision.partial, search.notes)


def _set_hangs_apart(found: Any, options: FixOptions) -> tuple[Any, list[str], list[str]]:
    """(the localisation, the tests that hung at the baseline, those of them left out of candidates' runs).

    A hang is a failure to repair when it is all that fails (a loop that never ends on the buggy
    code), or when the user named it with --failing-test: it stays in the failing set and every
    later run gives it a short limit (hang_limits). Beside other failing tests, an unnamed hang is
    left out of the failing set and of candidates' runs: it can be unrelated (a test waiting for a
    server) and a candidate that repairs the other failures must not be held to it.
    """
    run = found.run
    if run is None:
        return found, [], []
    hung = [n for n, o in run.outcomes.items() if o.outcome == "timeout"]
    if not hung:
        return found, [], []
    named = set(found.failing) if options.failing_tests else set()
    if not named and all(n in hung for n in found.failing):
        return found, hung, []  # only hangs fail: they are the bug
    left_out = [n for n in hung if n not in named]
    return dataclasses.replace(found, failing=[n for n in found.failing if n not in left_out]), hung, left_out


def _hang_sentence(baseline: Baseline) -> str:
    """Why a run with hanging tests to repair found no fix, naming them."""
    limits = baseline.hang_limits
    names = ", ".join(list(limits)[:3]) + (" ..." if len(limits) > 3 else "")
    return (f"{names} hang{'s' if len(limits) == 1 else ''} at HEAD (past {baseline.test_limit:g} s) and no "
            f"candidate made {'it' if len(limits) == 1 else 'them'} finish within {max(limits.values()):g} s")


def _report(ctx: RunContext, baseline: Baseline, search: Search, decision: Decision, delivery: Any) -> dict[str, Any]:
    options, found, verdicts, client = ctx.options, baseline.found, search.verdicts, ctx.client
    chosen, plausible, partial, choice = decision.chosen, decision.plausible, decision.partial, decision.choice
    planner = search.planner
    best = chosen or plausible or partial
    candidate = search.candidates.get(best.candidate_id) if best else None
    report: dict[str, Any] = {
        "status": "fixed" if chosen else "not_fixed",
        "patch": chosen.patch if chosen else "",
        "engine": getattr(candidate, "engine", "rules") if chosen else ("rules+model" if client else "rules"),
        "produced_by": produced_by(candidate) if best else None,  # template | synthesis | ingredient | model | mutation
        "changed_files": list(delivery.files) if delivery else [],
        "candidates_tried": len(verdicts),
        "tests": {
            "failing_before": list(found.failing),
            "flaky": list(found.flaky),
            "passing_before": len(baseline.passing),
            "after": _tests_after(best) if best else None,
        },
        "verification": verification_report(chosen or plausible, verdicts, enabled=options.verify),
        "cost": runs.cost_summary(client),
        "seconds": round(time.monotonic() - ctx.started, 2),
        "run_dir": str(ctx.run_dir),
        "explanation": _explain(best, candidate, len(baseline.passing)) if best else "",
        "risks": [RISK_WORDS.get(r, r) for r in candidate.risks] if (chosen and candidate) else [],
        "delivery": delivery.to_dict() if delivery else None,
        "notes": search.notes,
        "rival_search": search.rivals.to_dict() if search.rivals else None,  # agent/fix/rivals.py
        "blocked": blocked_candidates(verdicts),  # named risks and tampering (agent/gates/tamper.py)
        "sandbox": sandbox.describe(),  # where the tests ran (tools/testing/sandbox.py)
    }
    if options.environment is not None:
        report["environment"] = options.environment
    if choice is not None:
        report["confidence"] = choice.confidence.to_dict()
        report["choice"] = {k: v for k, v in choice.to_dict().items() if k not in ("confidence", "evidence")}
        report["evidence"] = [e.to_dict() for e in choice.evidence]  # behaviour outside the tests, per distinct patch
    if baseline.reproduction is not None:
        report["tests"]["reproduction"] = baseline.reproduction.to_dict()
    if plausible is not None:
        report["plausible"] = {"patch": plausible.patch, "passes_all_gates": True, "weakly_evidenced": True,
                               "confidence": choice.confidence.to_dict(), "anti_patterns": plausible.anti_patterns,
                               **_tests_after(plausible)}
        report["explanation"] = ("Plausible, weakly evidenced (not claimed as a fix): "
                                 + report["explanation"] + " Evidence: " + "; ".join(choice.confidence.reasons) + ".")
    if planner is not None:
        report["planner"] = {"stopped_because": planner.stopped_because, "steps": planner.steps,
                             "message": planner.message, "model": options.model}
    if not chosen:
        report["stopped_because"] = _stopped_because(options, search, decision)
        if partial is not None and partial.patch:
            report["best_partial"] = {"patch": partial.patch, "passes_all_gates": False, **_tests_after(partial),
                                      "description": candidate.description if candidate else ""}
    return report


def _stopped_because(options: FixOptions, search: Search, decision: Decision) -> str:
    if decision.plausible is not None:
        flaws = anti_pattern_sentences(decision.plausible.anti_patterns)
        return ("a patch passes every gate but its evidence is weak (confidence "
                f"{decision.choice.confidence.value:.2f} < {CONFIDENCE_THRESHOLD})"
                + (f"; anti-pattern: {'; '.join(flaws)}" if flaws else ""))
    if search.planner is not None:
        return f"no verified patch: {search.planner.message}"
    if search.budget_hit and len(search.verdicts) < options.max_candidates:
        return "time limit reached"
    if search.budget_hit:
        return "candidate limit reached"
    return "every rule-engine candidate was tried"


def _tests_after(verdict: GateVerdict) -> dict[str, Any]:
    return {"fixed": verdict.fixed, "still_failing": verdict.still_failing,
            "regressions": verdict.regressions, "flaky": verdict.flaky, "overturned": verdict.overturned,
            "stage": verdict.stage}


def produced_by(candidate: Candidate | None) -> str | None:
    """Which engine made a candidate: the model, synthesis, an ingredient from nearby code, a template, or a
    template's mutant that fixed the failing tests in localisation (`--mutation on`)."""
    if candidate is None:
        return None
    if candidate.source == "model":
        return "model"
    if (getattr(candidate, "meta", None) or {}).get("engine") == "mutation":
        return "mutation"
    parts = set(candidate.template.split("+"))
    return "synthesis" if "synthesis" in parts else "ingredient" if "ingredient" in parts else "template"


def _explain(verdict: GateVerdict, candidate: Candidate | None, passing: int) -> str:
    what = candidate.description if candidate else verdict.candidate_id
    what = re.sub(r" in line \d+$", "", what)  # the place follows as path:line
    where = ""
    if candidate is not None:
        where = f" in {candidate.path}" + (f":{candidate.line}" if candidate.line else "")
        where += f" ({candidate.symbol})" if candidate.symbol else ""
    engine = produced_by(candidate)
    if verdict.accepted:
        text = (f"{what}{where}. The {len(verdict.fixed)} failing test(s) now pass and none of the "
                f"{passing} passing tests broke (tests re-run in a scratch worktree).")
        if engine:
            text += f" Produced by the {engine} engine."
        if candidate and candidate.risks:
            text += " Overfitting risk: it passes the tests but " + ", ".join(
                RISK_WORDS.get(r, r) for r in candidate.risks) + "; review it with care."
        return text
    return (f"Best partial candidate, NOT passing every gate: {what}{where}; fixed {len(verdict.fixed)}, "
            f"still failing {len(verdict.still_failing)}, regressions {len(verdict.regressions)} "
            f"(stopped at the {verdict.stage} gate).")


def _commit_message(verdict: GateVerdict, candidates: dict[str, Candidate], failing: list[str],
                    passing: list[str]) -> str:
    candidate = candidates.get(verdict.candidate_id)
    title = f"suture: {candidate.description}" if candidate else "suture: fix"
    body = [
        f"Fixes: {', '.join(verdict.fixed)}",
        f"Verified: the failing test(s) pass and {len(passing)} previously passing test(s) still pass,",
        "run in a scratch worktree of the base commit.",
        verification_sentence(verdict),
    ]
    if candidate and candidate.risks:
        body.append("Overfitting risk: " + ", ".join(RISK_WORDS.get(r, r) for r in candidate.risks) + ".")
    return title + "\n\n" + "\n".join(body) + "\n"


def _best_summary(verdicts: list[GateVerdict], failing: int) -> str:
    ranked = rank(verdicts)
    if not ranked:
        return ""
    best = ranked[0]
    if best.accepted:
        return f"{best.candidate_id} passes every gate"
    return f"{best.candidate_id}: {len(best.fixed)}/{failing} failing fixed, {len(best.regressions)} regressions"


def _verdict_summary(verdict: GateVerdict) -> dict[str, Any]:
    return {"id": verdict.candidate_id, "accepted": verdict.accepted, "stage": verdict.stage,
            "fixed": verdict.fixed, "still_failing": verdict.still_failing,
            "regressions": verdict.regressions, "overturned": verdict.overturned, "message": verdict.message,
            "seconds": round(verdict.seconds, 2), "duplicate_of": verdict.duplicate_of,
            "verifier": verdict.verifier, "verifier_details": verdict.verifier_details,
            "anti_patterns": verdict.anti_patterns, "hung": verdict.hung,
            # For `suture report` (agent/report/): what each candidate changed and which tests judged it.
            "diff": verdict.patch, "selected_tests": verdict.selected_tests[:50],
            "changed_symbols": verdict.changed_symbols}


def _client(options: FixOptions):
    if not options.model:
        return None
    from suture.tools.llm.client import make_client

    try:
        client = make_client(options.model, api_base=options.api_base, max_cost=options.max_cost,
                             tool_mode="text" if options.text_tools else "native",
                             tool_instructions=prompts.load("text_tools") if options.text_tools else "")
    except LLMError as error:
        raise SutureExit(f"the model provider failed: {error.message}", ExitCode.PROVIDER_ERROR) from None
    if options.resume_from is not None:
        from suture.agent.playback import PlaybackClient

        client = PlaybackClient(options.resume_from, client, max_cost=options.max_cost)
    return client


# -- the model's turn: what the planner's tools act through ------------------------------------


class ModelSession:
    """What the planner's tools (agent/propose/planner_tools.py) act through, passed to them explicitly:
    gating a candidate (which adds it and its verdict to the run's `Search`) and running tests
    at the base commit. It holds the run's gate runner and records, nothing else of the pipeline."""

    def __init__(self, ctx: RunContext, baseline: Baseline, gates: GateRunner, search: Search,
                 pool: WorktreePool) -> None:
        self.ctx, self.baseline, self.gates, self.search, self.pool = ctx, baseline, gates, search, pool

    def gate(self, candidate: Candidate) -> GateVerdict:
        """The verdict on one of the model's candidates, recorded like the rule engine's."""
        left = self.ctx.left()
        verdict = self.gates.run(candidate, time_limit=max(0.0, left),
                                 candidate_time_limit=max(1.0, min(left, 3 * self.baseline.suite_seconds + 30)))
        first = candidate.edits[0]
        # The report's view of it: where (its first edit's file) and the overfitting risks read off its diff.
        self.search.candidates[candidate.id] = dataclasses.replace(
            candidate, path=first.path, line=None, symbol="", risks=_patch_risks(verdict.patch))
        self.ctx.trajectory.log("candidate", id=candidate.id, source="model", description=candidate.description,
                                edits=[vars(e) for e in candidate.edits])
        _record_verdicts(self.ctx, self.baseline, self.search, [verdict])
        return verdict

    def run_base_tests(self, tree: Path, nodeids: list[str]) -> str:
        """The outcomes of `nodeids` at the base commit, as the model reads them."""
        left = self.ctx.left()
        if left <= 1:
            return prompts.render_section("observations", "no_time_for_tests")
        try:
            run = run_tests(tree, test_cmd=self.ctx.options.test_cmd, nodeids=nodeids, timeout=min(left, 120),
                            per_test_timeout=self.baseline.per_test_timeout, extra_env=self.pool.env, warm=True,
                            deselect=self.baseline.left_out)
        except TestRunError as error:
            return str(error)
        lines = [f"{n}: {o.outcome}" + (f" - {head_tail(o.details or o.message, 1500)}" if o.outcome != "passed"
                                        else "") for n, o in run.outcomes.items()]
        lines += [f"not collected: {e}" for e in run.collection_errors[:3]]
        return "\n".join(lines) or prompts.render_section("observations", "no_test_ran", status=run.status)


def propose_with_model(session: ModelSession, base_tree: Path) -> None:
    """The planner's turn: explore the base commit through tools, gate every proposed patch."""
    from functools import partial

    from suture.retrieval.api import Retriever
    from suture.retrieval.index import SymbolIndex
    from suture.retrieval.repomap import repo_map

    ctx, found, options = session.ctx, session.baseline.found, session.ctx.options
    inside = session.pool.inside
    tree = base_tree / inside if str(inside) not in ("", ".") else base_tree
    cache = ctx.repo / ".suture" / "cache" / "base-index"
    index = SymbolIndex.build(tree, cache_dir=cache)
    retriever = Retriever(index, cache_dir=cache)
    toolbox = Toolbox(retriever, found, session.gate, allowed_paths=options.allow_paths,
                      map_tokens=options.map_tokens, run_tests=partial(session.run_base_tests, tree))
    focus = tuple(dict.fromkeys(s.path for s in found.ranking[:5]))
    task = task_text(
        head_tail(options.issue_text or "", 12000) or None,
        found.failing,
        suspects_text(found) + _failure_details(found),
        repo_map(index, tokens=options.map_tokens, focus_paths=focus),
        related_code(retriever, options.issue_text) if options.issue_text else "",
    )
    limits = PlannerLimits(max_steps=options.max_steps, deadline=ctx.deadline - DELIVERY_RESERVE_SECONDS,
                           samples=options.samples)
    result = run_planner(ctx.client, toolbox, task, limits, log=ctx.trajectory.log)
    ctx.trajectory.log("planner", stopped_because=result.stopped_because, steps=result.steps,
                       message=result.message, cost=runs.cost_summary(ctx.client))
    session.search.planner = result
    session.search.budget_hit = result.stopped_because in ("steps", "time", "cost")


def _failure_details(found: Any, limit: int = 2, chars: int = 1500) -> str:
    run = found.run
    if run is None:
        return ""
    parts = []
    for nodeid in found.failing[:limit]:
        outcome = run.outcomes.get(nodeid)
        if outcome is not None and (outcome.details or outcome.message):
            parts.append(f"\n\nHow {nodeid} fails:\n" + head_tail(outcome.details or outcome.message, chars))
    return "".join(parts)


def _patch_risks(patch: str) -> tuple[str, ...]:
    """Overfitting risks read off a model's diff (the rule engine knows its own from the template)."""
    removed = [line[1:].strip() for line in patch.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in patch.splitlines() if line.startswith("+") and not line.startswith("+++")]
    risks = []
    checks = ("raise ", "assert ", "if ", "elif ")
    if any(r.startswith(checks) and r not in added for r in removed) and not any(a.startswith(checks) for a in added):
        risks.append("removes_check")
    if removed and not any(a for a in added):
        risks.append("deletes_code")
    return tuple(risks)


def _changed_code(tree: Path, verdicts: list[GateVerdict], chars: int = 6000) -> str:
    """The base commit's code of the functions the passing candidates change (for generated tests)."""
    import ast

    wanted: dict[str, set[str]] = {}
    for verdict in verdicts:
        if verdict.accepted:
            for item in verdict.changed_symbols:
                path, _, qualname = item.partition("::")
                wanted.setdefault(path, set()).add(qualname.rsplit(".", 1)[-1])
    parts = []
    for path, names in wanted.items():
        try:
            text = (tree / path).read_text(encoding="utf-8", errors="replace")
            module = ast.parse(text)
        except (OSError, SyntaxError):
            continue
        for node in ast.walk(module):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in names:
                segment = ast.get_source_segment(text, node) or ""
                parts.append(f"# {path}\n{segment}")
    return head_tail("\n\n".join(parts), chars)
