"""The `suture fix` pipeline: baseline -> localise -> propose -> gate -> choose -> deliver.

Proposals come from the built-in rule engine (agent/propose/rules.py) first, so no token is
spent when a template repairs the bug; with a model set, the planner (agent/propose/planner.py)
then explores and patches through tools. Every candidate, either way, goes through
agent/gates/validate.py's gates in pooled scratch worktrees, and the user's tree is only
written when they asked for --apply or --commit (agent/fix/deliver.py).

The candidate stream is validated in small batches (one candidate per worker) so
the run stops soon after the first candidate that passes every gate; one more
batch is then spent looking for a smaller or less risky equivalent.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture import prompts
from suture.agent import runs
from suture.agent.fix.deliver import DeliveryRefused, check_repo_state, deliver
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.fix.rank import rank
from suture.agent.fix.choose import Choice, choose
from suture.agent.fix.reproduce import Reproduction, related_code, release_reproductions, reproduce, test_imports
from suture.agent.fix.select import CONFIDENCE_THRESHOLD
from suture.agent.gates.tamper import blocked_candidates
from suture.agent.propose.planner import PlannerLimits, PlannerResult, run_planner, task_text
from suture.agent.propose.planner_tools import Toolbox, suspects_text
from suture.agent.propose.rules import RuleCandidate, generate_candidates
from suture.agent.gates.validate import Candidate, GateVerdict, validate
from suture.agent.gates.verify_gate import GateVerifier
from suture.agent.gates.verify_report import verification_report, verification_sentence
from suture.tools import childenv
from suture.tools.git import gitstate
from suture.tools.testing import sandbox
from suture.tools.llm.client import BudgetExceeded, LLMError, head_tail
from suture.tools.testing.testrun import TestRunError, run_tests
from suture.tools.testing.localize import LocalizeError, localize
from suture.tools.git.workspace import WorktreePool
from suture.tools.git.worktree import WorkspaceError, scratch_worktree

# After the first accepted candidate, up to this many more are gated (within EXTRA_SECONDS) in
# search of a simpler one, or of rivals that show the tests cannot tell patches apart (then the
# choice needs more evidence: agent/fix/choose.py). Gates fork from a warm pytest, so this is cheap.
EXTRA_AFTER_FIRST_FIX = 24
EXTRA_SECONDS = 10.0
# With a model, the rule engine gets this share of the time limit before the planner starts.
RULES_SHARE_WITH_MODEL = 1 / 3
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
    "inverts_result": "inverts what the function returns",
}


class NoFailingTest(SutureExit):
    """Every test passes at HEAD: nothing to repair (bad input for `fix`, all clear for a git hook)."""


@dataclass
class FixOptions:
    test_cmd: str | None = None
    failing_tests: Sequence[str] = ()
    issue_text: str | None = None
    time_limit: float = 900.0
    # Seconds one test may run at the baseline; a test past it hangs: reported, left out of every
    # candidate run, and not a target unless named with --failing-test.
    test_timeout: float = 20.0
    max_candidates: int = 500
    mode: str = "print"  # print | apply | commit
    workers: int = 2
    model: str | None = None  # a litellm model name or "scripted:PATH"; None: the rule engine alone
    api_base: str | None = None
    max_cost: float | None = None
    max_steps: int = 30
    allow_paths: Sequence[str] = ()
    map_tokens: int = 1024
    samples: int = 1  # patches sampled per plan's first proposal (agent/propose/planner.py)
    text_tools: bool = False  # tools described in the prompt, for models without native tool calls
    verify: bool = True  # the bounded verifier as the last gate (agent/gates/verify_gate.py)
    # C targets ("file.c" or "file.c::func"): repaired with ESBMC as the oracle, no tests (agent/c/repair.py).
    targets: Sequence[str] = ()
    # `suture fix --resume`: the interrupted run (agent.replay.RecordedRun) whose model turns are
    # answered from its record before the model is asked (see agent/fix/replay.py).
    resume_from: Any = None
    # The project's interpreter (tools/testing/pyenv.py PythonEnv.to_dict()), named in the report.
    environment: dict[str, Any] | None = None


FixProgress = runs.RunProgress  # the live status of a fix run (agent/runs.py)


@dataclass
class FixOutcome:
    report: dict[str, Any]
    exit_code: ExitCode
    chosen: GateVerdict | None = None
    partial: GateVerdict | None = None
    notes: list[str] = field(default_factory=list)


def run_fix(repo: Path, options: FixOptions, on_progress: Callable[[FixProgress], None] | None = None) -> FixOutcome:
    """Repair `repo` (a directory inside a git work tree) and deliver per `options.mode`.

    Raises SutureExit for bad input (no failing test, a repo state the mode cannot write to).
    """
    started = time.monotonic()
    deadline = started + options.time_limit
    progress = runs.ProgressReporter(on_progress, started)
    check_repo_state(repo, options.mode)  # fail fast: mid-merge, detached HEAD for --commit, ...
    base = gitstate.head_commit(repo)
    if base is None:
        raise SutureExit(f"the repository at {repo} has no commit yet; commit once so suture can test HEAD.")
    run_dir = runs.new_run_dir(repo, "fix")
    trajectory = runs.Trajectory(run_dir / "trajectory.jsonl")
    trajectory.log("start", repo=str(repo), base=base, options=_options_dict(options))

    client = _client(options)  # before any work: an unknown provider fails fast (exit 4)
    try:
        if options.targets:
            from suture.agent.c.repair import run_c_fix

            return run_c_fix(repo, options, base, run_dir, trajectory.log, progress.stage, started)
        return _fix(repo, options, client, base, run_dir, trajectory, progress, started, deadline)
    finally:
        release_reproductions(repo, run_dir.name)


def _fix(repo: Path, options: FixOptions, client: Any, base: str, run_dir: Path, trajectory: Any, progress: Any,
         started: float, deadline: float) -> FixOutcome:
    progress.stage("baseline and localisation")
    test_base = base  # the commit the pipeline tests: HEAD, or HEAD plus a reproduction test
    reproduction: Reproduction | None = None
    try:
        found = localize(repo, test_cmd=options.test_cmd, failing_tests=options.failing_tests,
                         run_dir=run_dir, timeout=max(5.0, deadline - time.monotonic()),
                         per_test_timeout=options.test_timeout)
    except LocalizeError as error:
        trajectory.log("error", message=str(error))
        message = str(error)
        hint = childenv.withheld_hint([message], childenv.withheld_names())
        if hint:  # a suite that needs a secret suture withholds: say which and how to pass it on
            message = f"{message.rstrip()} ({hint})"
        from suture.agent.c.repair import fallback_targets, run_c_fix

        c_files = fallback_targets(repo, message)
        if c_files:  # no tests at all, but C files: ESBMC is the oracle
            trajectory.log("c_fallback", files=c_files)
            options = dataclasses.replace(options, targets=tuple(c_files))
            return run_c_fix(repo, options, base, run_dir, trajectory.log, progress.stage, started)
        if not (client is not None and options.issue_text and "no test fails" in message.lower()):
            if options.issue_text and "no test fails" in message.lower():
                message += " The rule engine needs a failing test; an issue text alone needs a model."
            if "no test fails" in message.lower():
                raise NoFailingTest(message) from None
            raise SutureExit(message) from None
        progress.stage("reproducing the issue as a test")
        try:
            reproduction, repro_notes = reproduce(client, repo, base, options.issue_text, test_cmd=options.test_cmd,
                                                  run_id=run_dir.name, cache_dir=repo / ".suture" / "cache" / "base-index",
                                                  log=trajectory.log)
        except LLMError as provider:
            raise SutureExit(f"the model provider failed: {provider.message}", ExitCode.PROVIDER_ERROR) from None
        except BudgetExceeded as spent:
            raise SutureExit(f"no verified patch: {spent.message}", ExitCode.BUDGET_EXHAUSTED) from None
        trajectory.log("reproduction", reproduced=reproduction is not None, notes=repro_notes,
                       **(reproduction.to_dict() if reproduction else {}))
        if reproduction is None:
            raise SutureExit("no test fails at HEAD and the model's tests did not reproduce the issue ("
                             + "; ".join(repro_notes) + ")", ExitCode.NOTHING_FOUND) from None
        test_base = reproduction.commit
        try:
            found = localize(repo, test_cmd=options.test_cmd, failing_tests=reproduction.failing, run_dir=run_dir,
                             timeout=max(5.0, deadline - time.monotonic()), rev=test_base,
                             per_test_timeout=options.test_timeout)
        except LocalizeError as again:
            raise SutureExit(f"the reproduction test could not be localised: {again}") from None
    run = found.run
    found, hanging = _set_hangs_apart(found, options)
    passing = [n for n in run.passed if n not in found.flaky] if run else []
    trajectory.log("localised", failing=found.failing, flaky=found.flaky, hanging=hanging,
                   ranking=[s.to_dict() for s in found.ranking[:20]])
    if hanging:
        progress.stage(f"{len(hanging)} test(s) hang at HEAD (past {options.test_timeout:g} s), left out: "
                       + ", ".join(hanging[:3]) + (" ..." if len(hanging) > 3 else ""))
    durations = [o.duration for n, o in run.outcomes.items() if n not in hanging] if run else []
    slowest = max(durations, default=1.0)
    suite_seconds = run.seconds if run else 10.0
    per_test_timeout = min(max(PER_TEST_TIMEOUT_FACTOR * slowest, PER_TEST_TIMEOUT_FLOOR), options.test_timeout)

    notes: list[str] = list(found.notes)  # set-up errors left out, coverage missing (tools/testing/localize.py)
    withheld_hint = childenv.withheld_hint(
        [f"{o.message}\n{o.details}" for n, o in (run.outcomes.items() if run else ()) if n in found.failing]
        + [g.cause for g in found.setup_errors], childenv.withheld_names())
    if withheld_hint:  # a test failing at HEAD because suture kept a secret from it
        notes.append(withheld_hint)
        progress.stage(withheld_hint)
    verdicts: list[GateVerdict] = []
    candidates: dict[str, RuleCandidate] = {}
    exhausted_space = False
    budget_hit = False
    choice: Choice | None = None
    rules_deadline = deadline if client is None else started + options.time_limit * RULES_SHARE_WITH_MODEL
    planner_result: PlannerResult | None = None
    copied: list[str] = []
    checkout_notes: list[str] = []
    progress.stage("repairing")
    try:
        with scratch_worktree(repo, test_base) as base_tree, \
                WorktreePool(repo, base=test_base, size=options.workers) as pool:
            copied = list(pool.generated)
            verifier = GateVerifier(base_tree / pool.inside, evidence_dir=run_dir / "counterexamples") \
                if options.verify else None
            stream = generate_candidates(base_tree, found.ranking, found.line_scores,
                                         max_candidates=options.max_candidates, notes=notes)
            first_fix_at: int | None = None
            first_fix_time = 0.0
            while True:
                remaining = rules_deadline - time.monotonic() - DELIVERY_RESERVE_SECONDS
                if remaining <= 0:
                    budget_hit = True
                    break
                batch = list(itertools.islice(stream, options.workers))
                if not batch:
                    exhausted_space = len(candidates) < options.max_candidates
                    budget_hit = not exhausted_space
                    break
                for candidate in batch:
                    candidates[candidate.id] = candidate
                    trajectory.log("candidate", id=candidate.id, template=candidate.template,
                                   description=candidate.description, risks=list(candidate.risks))
                results = validate(
                    [c.to_candidate() for c in batch], repo=repo, baseline_failing=found.failing,
                    baseline_passing=passing, flaky=found.flaky, spectra=found.spectra,
                    test_cmd=options.test_cmd, workers=options.workers, time_limit=remaining,
                    candidate_time_limit=min(remaining, 3 * suite_seconds + 30),
                    per_test_timeout=per_test_timeout, base=test_base, pool=pool, verifier=verifier,
                    hanging=hanging, allow_paths=options.allow_paths,
                )
                for verdict in results:
                    trajectory.log("verdict", **_verdict_summary(verdict))
                verdicts.extend(v for v in results if v.stage != "skipped")
                progress.update(len(verdicts), _best_summary(verdicts, len(found.failing)))
                if first_fix_at is None and any(v.accepted for v in results):
                    first_fix_at, first_fix_time = len(verdicts), time.monotonic()
                    progress.stage("looking for a simpler equivalent")
                if first_fix_at is not None and (len(verdicts) >= first_fix_at + EXTRA_AFTER_FIRST_FIX
                                                 or time.monotonic() - first_fix_time >= EXTRA_SECONDS):
                    break
            if client is not None and not any(v.accepted for v in verdicts):
                progress.stage("planning with the model")
                context = _GateContext(repo=repo, base=test_base, pool=pool, found=found, passing=passing,
                                       options=options, deadline=deadline, suite_seconds=suite_seconds,
                                       per_test_timeout=per_test_timeout, trajectory=trajectory,
                                       verdicts=verdicts, candidates=candidates, progress=progress,
                                       verifier=verifier, hanging=hanging)
                planner_result = _run_model(client, base_tree, context)
                budget_hit = planner_result.stopped_because in ("steps", "time", "cost")
            checkout_notes = list(pool.notes)  # set when the first tree was made
            if any(v.accepted for v in verdicts):
                progress.stage("choosing among passing patches")
                choice = choose(
                    verdicts, {cid: tuple(c.risks) for cid, c in candidates.items()}, client=client, pool=pool,
                    issue=options.issue_text or "", failing=found.failing, test_cmd=options.test_cmd,
                    code=_changed_code(base_tree / pool.inside, verdicts),
                    imports=test_imports(base_tree / pool.inside,
                                         list(dict.fromkeys(n.split("::", 1)[0] for n in found.failing))), log=trajectory.log,
                )
                trajectory.log("choice", chosen=choice.verdict.candidate_id, **choice.to_dict())
    except WorkspaceError as error:
        raise SutureExit(str(error)) from None
    except LLMError as error:
        trajectory.log("error", message=error.message, kind=error.kind)
        raise SutureExit(f"the model provider failed: {error.message}", ExitCode.PROVIDER_ERROR) from None

    chosen = choice.verdict if choice is not None and not choice.confidence.weak else None
    plausible = choice.verdict if choice is not None and choice.confidence.weak else None
    partial = None if chosen or plausible else next(iter(rank(verdicts)), None)
    delivery = None
    if chosen is not None:
        progress.stage("delivering")
        try:
            delivery = deliver(repo, chosen.patch, run_dir, mode=options.mode,
                               message=_commit_message(chosen, candidates, found.failing, passing), base=base)
        except DeliveryRefused as refused:  # the patch is saved and reported all the same
            delivery = refused.delivery
    report = _report(
        options=options, chosen=chosen, partial=partial, candidates=candidates, verdicts=verdicts,
        failing=found.failing, flaky=found.flaky, passing=passing, run_dir=run_dir,
        seconds=time.monotonic() - started, delivery=delivery, notes=notes,
        exhausted_space=exhausted_space, budget_hit=budget_hit, client=client, planner=planner_result,
        choice=choice, plausible=plausible, reproduction=reproduction,
    )
    report["tests"]["setup_errors"] = [g.to_dict() for g in found.setup_errors]
    report["tests"]["hanging"] = hanging
    # Git-ignored generated files (a _version.py, in-place extensions) the scratch checkouts got as copies.
    report["copied_untracked"] = copied
    report["checkout_notes"] = checkout_notes  # what the scratch checkouts lack (submodules, LFS), and why
    runs.write_report(run_dir, report)
    trajectory.log("end", status=report["status"])
    if delivery is not None and delivery.refused:
        code = ExitCode.BAD_INPUT  # verified, but --apply/--commit was refused: the patch is printed instead
    elif chosen is not None:
        code = ExitCode.DONE
    elif plausible is not None:
        code = ExitCode.NOTHING_FOUND  # a plausible, weakly evidenced patch is shown, not claimed
    elif budget_hit:
        code = ExitCode.BUDGET_EXHAUSTED
    else:
        code = ExitCode.NOTHING_FOUND
    return FixOutcome(report, code, chosen, partial, notes)


def _set_hangs_apart(found: Any, options: FixOptions) -> tuple[Any, list[str]]:
    """(the localisation without the tests that hung at the baseline in its failing set, those tests).

    A test that ran past the baseline's per-test limit can be neither repaired nor broken by a
    candidate that does not touch why it hangs, and would cost the limit in every run; unless the
    user named it (--failing-test narrows the failing set to what they named), it is left out.
    """
    run = found.run
    if run is None:
        return found, []
    named = set(found.failing) if options.failing_tests else set()
    hanging = [n for n, o in run.outcomes.items() if o.outcome == "timeout" and n not in named]
    if not hanging:
        return found, []
    failing = [n for n in found.failing if n not in hanging]
    if not failing:
        raise SutureExit(
            f"the only test(s) failing at HEAD hang (past the {options.test_timeout:g} s test_timeout): "
            f"{', '.join(hanging[:3])}; name one with --failing-test to repair it, or raise test_timeout if it is only slow."
        )
    return dataclasses.replace(found, failing=failing), hanging


def _report(*, options, chosen, partial, candidates, verdicts, failing, flaky, passing, run_dir, seconds,
            delivery, notes, exhausted_space, budget_hit, client=None, planner=None, choice=None, plausible=None,
            reproduction=None) -> dict[str, Any]:
    status = "fixed" if chosen else "not_fixed"
    best = chosen or plausible or partial
    candidate = candidates.get(best.candidate_id) if best else None
    report: dict[str, Any] = {
        "status": status,
        "patch": chosen.patch if chosen else "",
        "engine": getattr(candidate, "engine", "rules") if chosen else ("rules+model" if client else "rules"),
        "changed_files": list(delivery.files) if delivery else [],
        "candidates_tried": len(verdicts),
        "tests": {
            "failing_before": list(failing),
            "flaky": list(flaky),
            "passing_before": len(passing),
            "after": _tests_after(best) if best else None,
        },
        "verification": verification_report(chosen or plausible, verdicts, enabled=options.verify),
        "cost": runs.cost_summary(client),
        "seconds": round(seconds, 2),
        "run_dir": str(run_dir),
        "explanation": _explain(best, candidate, len(passing)) if best else "",
        "risks": [RISK_WORDS.get(r, r) for r in candidate.risks] if (chosen and candidate) else [],
        "delivery": delivery.to_dict() if delivery else None,
        "notes": notes,
        "blocked": blocked_candidates(verdicts),  # named risks and tampering (agent/gates/tamper.py)
        "sandbox": sandbox.describe(),  # where the tests ran (tools/testing/sandbox.py)
    }
    if options.environment is not None:
        report["environment"] = options.environment
    if choice is not None:
        report["confidence"] = choice.confidence.to_dict()
        report["choice"] = {k: v for k, v in choice.to_dict().items() if k != "confidence"}
    if reproduction is not None:
        report["tests"]["reproduction"] = reproduction.to_dict()
    if plausible is not None:
        report["plausible"] = {"patch": plausible.patch, "passes_all_gates": True, "weakly_evidenced": True,
                               "confidence": choice.confidence.to_dict(), **_tests_after(plausible)}
        report["explanation"] = ("Plausible, weakly evidenced (not claimed as a fix): "
                                 + report["explanation"] + " Evidence: " + "; ".join(choice.confidence.reasons) + ".")
    if planner is not None:
        report["planner"] = {"stopped_because": planner.stopped_because, "steps": planner.steps,
                             "message": planner.message, "model": options.model}
    if not chosen:
        report["stopped_because"] = (
            "a patch passes every gate but its evidence is weak (confidence "
            f"{choice.confidence.value:.2f} < {CONFIDENCE_THRESHOLD})" if plausible is not None
            else f"no verified patch: {planner.message}" if planner is not None
            else "time limit reached" if budget_hit and len(verdicts) < options.max_candidates
            else "candidate limit reached" if budget_hit
            else "every rule-engine candidate was tried"
        )
        if partial is not None and partial.patch:
            report["best_partial"] = {"patch": partial.patch, "passes_all_gates": False, **_tests_after(partial),
                                      "description": candidate.description if candidate else ""}
    return report


def _tests_after(verdict: GateVerdict) -> dict[str, Any]:
    return {"fixed": verdict.fixed, "still_failing": verdict.still_failing,
            "regressions": verdict.regressions, "flaky": verdict.flaky, "overturned": verdict.overturned,
            "stage": verdict.stage}


def _explain(verdict: GateVerdict, candidate: RuleCandidate | ModelCandidate | None, passing: int) -> str:
    what = candidate.description if candidate else verdict.candidate_id
    what = re.sub(r" in line \d+$", "", what)  # the place follows as path:line
    where = ""
    if candidate is not None:
        where = f" in {candidate.path}" + (f":{candidate.line}" if candidate.line else "")
        where += f" ({candidate.symbol})" if candidate.symbol else ""
    if verdict.accepted:
        text = (f"{what}{where}. The {len(verdict.fixed)} failing test(s) now pass and none of the "
                f"{passing} passing tests broke (tests re-run in a scratch worktree).")
        if candidate and candidate.risks:
            text += " Overfitting risk: it passes the tests but " + ", ".join(
                RISK_WORDS.get(r, r) for r in candidate.risks) + "; review it with care."
        return text
    return (f"Best partial candidate, NOT passing every gate: {what}{where}; fixed {len(verdict.fixed)}, "
            f"still failing {len(verdict.still_failing)}, regressions {len(verdict.regressions)} "
            f"(stopped at the {verdict.stage} gate).")


def _commit_message(verdict: GateVerdict, candidates: dict[str, RuleCandidate], failing: list[str],
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
            "verifier": verdict.verifier, "verifier_details": verdict.verifier_details}


def _options_dict(options: FixOptions) -> dict[str, Any]:
    return {"test_cmd": options.test_cmd, "failing_tests": list(options.failing_tests),
            "time_limit": options.time_limit, "test_timeout": options.test_timeout,
            "max_candidates": options.max_candidates,
            "mode": options.mode, "issue_text": options.issue_text, "workers": options.workers,
            "model": options.model, "api_base": options.api_base, "max_cost": options.max_cost,
            "max_steps": options.max_steps, "allow_paths": list(options.allow_paths),
            "map_tokens": options.map_tokens, "samples": options.samples, "text_tools": options.text_tools, "verify": options.verify,
            "targets": list(options.targets), "resumed_from": getattr(options.resume_from, "run_id", None)}


@dataclass
class ModelCandidate:
    """What the report needs of a model's candidate (the rule engine's carry the same fields)."""

    id: str
    description: str
    path: str
    risks: tuple[str, ...] = ()
    line: int | None = None
    symbol: str = ""
    engine: str = "model"


@dataclass
class _GateContext:
    repo: Path
    base: str
    pool: WorktreePool
    found: Any
    passing: list[str]
    options: FixOptions
    deadline: float
    suite_seconds: float
    per_test_timeout: float
    trajectory: Any
    verdicts: list[GateVerdict]
    candidates: dict[str, Any]
    progress: Any
    verifier: Any = None
    hanging: list[str] = field(default_factory=list)


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
        from suture.agent.fix.replay import PlaybackClient

        client = PlaybackClient(options.resume_from, client, max_cost=options.max_cost)
    return client


def _run_model(client: Any, base_tree: Path, ctx: _GateContext) -> PlannerResult:
    """The planner's turn: explore the base commit through tools, gate every proposed patch."""
    from suture.retrieval.api import Retriever
    from suture.retrieval.index import SymbolIndex
    from suture.retrieval.repomap import repo_map

    inside = ctx.pool.inside
    tree = base_tree / inside if str(inside) not in ("", ".") else base_tree
    cache = ctx.repo / ".suture" / "cache" / "base-index"
    index = SymbolIndex.build(tree, cache_dir=cache)
    retriever = Retriever(index, cache_dir=cache)

    def gate(candidate: Candidate) -> GateVerdict:
        left = ctx.deadline - time.monotonic() - DELIVERY_RESERVE_SECONDS
        results = validate(
            [candidate], repo=ctx.repo, baseline_failing=ctx.found.failing, baseline_passing=ctx.passing,
            flaky=ctx.found.flaky, spectra=ctx.found.spectra, test_cmd=ctx.options.test_cmd, workers=1,
            time_limit=max(0.0, left), candidate_time_limit=max(1.0, min(left, 3 * ctx.suite_seconds + 30)),
            per_test_timeout=ctx.per_test_timeout, base=ctx.base, pool=ctx.pool, verifier=ctx.verifier,
            hanging=ctx.hanging, allow_paths=ctx.options.allow_paths,
        )
        verdict = results[0]
        first = candidate.edits[0]
        ctx.candidates[candidate.id] = ModelCandidate(candidate.id, candidate.description, first.path,
                                                      risks=_patch_risks(verdict.patch))
        ctx.trajectory.log("candidate", id=candidate.id, source="model", description=candidate.description,
                           edits=[vars(e) for e in candidate.edits])
        ctx.trajectory.log("verdict", **_verdict_summary(verdict))
        if verdict.stage != "skipped":
            ctx.verdicts.append(verdict)
        ctx.progress.update(len(ctx.verdicts), _best_summary(ctx.verdicts, len(ctx.found.failing)))
        return verdict

    def run_base_tests(nodeids: list[str]) -> str:
        left = ctx.deadline - time.monotonic() - DELIVERY_RESERVE_SECONDS
        if left <= 1:
            return prompts.render_section("observations", "no_time_for_tests")
        try:
            run = run_tests(tree, test_cmd=ctx.options.test_cmd, nodeids=nodeids, timeout=min(left, 120),
                            per_test_timeout=ctx.per_test_timeout, extra_env=ctx.pool.env, warm=True,
                            deselect=ctx.hanging)
        except TestRunError as error:
            return str(error)
        lines = [f"{n}: {o.outcome}" + (f" - {head_tail(o.details or o.message, 1500)}" if o.outcome != "passed"
                                        else "") for n, o in run.outcomes.items()]
        lines += [f"not collected: {e}" for e in run.collection_errors[:3]]
        return "\n".join(lines) or prompts.render_section("observations", "no_test_ran", status=run.status)

    toolbox = Toolbox(retriever, ctx.found, gate, allowed_paths=ctx.options.allow_paths,
                      map_tokens=ctx.options.map_tokens, run_tests=run_base_tests)
    focus = tuple(dict.fromkeys(s.path for s in ctx.found.ranking[:5]))
    task = task_text(
        head_tail(ctx.options.issue_text or "", 12000) or None,
        ctx.found.failing,
        suspects_text(ctx.found) + _failure_details(ctx.found),
        repo_map(index, tokens=ctx.options.map_tokens, focus_paths=focus),
        related_code(retriever, ctx.options.issue_text) if ctx.options.issue_text else "",
    )
    limits = PlannerLimits(max_steps=ctx.options.max_steps, deadline=ctx.deadline - DELIVERY_RESERVE_SECONDS,
                           samples=ctx.options.samples)
    result = run_planner(client, toolbox, task, limits, log=ctx.trajectory.log)
    ctx.trajectory.log("planner", stopped_because=result.stopped_because, steps=result.steps,
                       message=result.message, cost=runs.cost_summary(client))
    return result


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
