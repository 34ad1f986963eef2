"""Mutation evidence on the top suspects (Metallaxis-FL / MUSE): which functions, changed a little,
change what the failing tests say.

SBFL cannot tell apart functions that the same tests run. Mutating them can: a small change to
the faulty function tends to change the failing tests' outcome (at best, make them pass), while
a change to correct code tends to break the tests that passed. For each suspect near the top
(those that mutation evidence could still move to first place, at most `top_k`), a few mutants
are run against the failing tests that cover it and the passing tests that cover it, each
mutant forked from the warm pytest (tools/testing/pytest_forkserver.py) in localisation's own
scratch checkout, and scored as Metallaxis-Ochiai with MUSE's preference for a fix:

    killed_f = sum over failing tests: 1 when it passes now, CHANGED when it fails differently
    score    = killed_f / sqrt(failing tests * (killed_f + passing tests it broke))

A function's value is its best mutant's score (in [0, 1]; 0 when its mutants only broke passing
tests or changed nothing), the signal `mutation` that tools/testing/combine.py weighs beside SBFL.

What keeps it cheap (issue 19's bound: localize with it at most 3x a plain test run):
- it runs only when another suspect is close enough to the first for the signal to change the order
  (otherwise not even the warm pytest starts);
- a mutant runs its failing tests first; one that changes none of them scores 0 whatever else it
  does, so its passing tests are not run; the passing tests of one that does run through the warm
  pytest with `--maxfail=1`: the first broken test stops them (`broken` counts 0 or 1; MUSE's count
  is cut there, the cost of the rest of the suite saved);
- the mutants are only made on lines a failing test ran (agent/propose/mutants.py): a change to a
  line none of them runs cannot change what they say;
- no mutant starts when what is left of the time share is less than a mutant has taken so far;
- it stops as soon as the first place is decided: when the leader, with the evidence so far, stays
  ahead of every other suspect even if each one's mutants still to run reached the signal's maximum
  (most often the faulty function's first mutant makes the failing tests pass, and nothing after it
  can change the top).

What is not evidence: tests whose outcome differs when HEAD is run again through the warm pytest
(flaky), and for a test whose failure message differs between the two HEAD runs, a different
message (only pass/fail counts for it). HEAD runs again only its failing tests (the ones whose
message a mutant's run is compared with); a passing test's outcome and duration come from the
coverage run, and one that a mutant breaks is run once more at HEAD before it counts: when it fails
there too it is flaky, left out, and that mutant runs again without it. (Re-running every covering
test up front, `MutationPlan.head_all`, took most of the step's share on a loaded machine: bench/RESULTS.md,
issue 19, h/loc30.) Each test of a mutant run has a limit of LIMIT_MULTIPLE times its own duration
at HEAD (at least LIMIT_FLOOR s): a mutant that hangs is killed there and counts as a changed outcome. The whole step stays within `budget` seconds, mutants taken round-
robin over the suspects (every suspect gets its first mutant before any gets a second).

A mutant that makes every failing test pass while no covering passing test breaks is kept as a
repair candidate (engine `mutation`): it only ran the covering tests, so the repair gates must
still judge it.

The mutants come from the caller (`mutants_of`): the rule engine's repair templates live in
agent/ and tools/ may import only retrieval (tests/test_layout.py), so agent/propose/mutants.py
passes them in; this module runs and scores whatever edits it is given.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.tools.edits import Edit, apply_edits
from suture.tools.testing.combine import WEIGHTS
from suture.tools.testing.plugin_env import LIMITS_ENV
from suture.tools.testing.spectra import Line, Spectra
from suture.tools.testing.testrun import FAILING, TestRun, TestRunError, run_tests

__all__ = ["Mutant", "MutantResult", "MutationEvidence", "MutationPlan", "mutation_evidence"]

Key = tuple[str, str]  # (path, qualname)

CHANGED = 0.25  # a failing test that fails differently: evidence, but less than one made to pass
LIMIT_MULTIPLE = 5.0  # a mutant's test may take this many times its own duration at HEAD
LIMIT_FLOOR = 2.0  # seconds: start-up jitter on a loaded machine must not read as a hang
MAX_PASSING = 20  # covering passing tests run per suspect (the fastest): enough to see what breaks
_CUT_OFF = ("timeout", "not reported")  # a hang changes any outcome, a stable message or not
ADDOPTS = "PYTEST_ADDOPTS"
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+|\bat [0-9a-fA-F]{6,}\b")


@dataclass
class Mutant:
    key: Key  # the suspect it changes
    line: int
    template: str
    description: str
    edits: list[Edit]
    risks: tuple[str, ...] = ()  # what the repair gates must look at, as the rule engine named it

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.key[0], "symbol": self.key[1], "line": self.line, "template": self.template,
                "description": self.description, **({"risks": list(self.risks)} if self.risks else {}),
                "edits": [{"path": e.path, "search": e.search, "replace": e.replace} for e in self.edits]}


# (tree, suspects best first, line scores, mutants per suspect) -> the mutants of each suspect, best first
MutantSource = Callable[[Path, Sequence[Any], Mapping[Line, float], int], Mapping[Key, list[Mutant]]]


@dataclass
class MutationPlan:
    """What the caller wants of the mutation step: where the mutants come from and how much it may cost."""

    mutants_of: MutantSource
    # The step's time, the HEAD re-run included: `share` x the seconds of HEAD's run with coverage, at
    # least `floor` (a suite of one second still gets its few mutants).
    share: float = 0.5
    floor: float = 4.0
    top_k: int = 10
    per_function: int = 4
    # True: HEAD re-runs every covering test before the first mutant (the passing tests' flake check up
    # front, as the step did until 2026-12-07); False: the failing tests only, a broken passing test
    # checked at HEAD when a mutant breaks it. bench/bench_mutation_step.py compares the two.
    head_all: bool = False
    # localize starts the warm pytest during its coverage run (testrun.prestart_warm): the HEAD re-run
    # was mostly that server's start (bench/RESULTS.md, issue 19, h/loc31). False: started by that re-run.
    prestart: bool = True

    def budget(self, suite_seconds: float) -> float:
        return max(self.floor, self.share * suite_seconds)


@dataclass
class MutantResult:
    mutant: Mutant
    fixed: list[str]  # failing tests that pass with it
    changed: list[str]  # failing tests that fail differently (or hang)
    broken: list[str]  # covering passing tests that fail with it
    score: float
    seconds: float
    timed_out: list[str] = field(default_factory=list)  # tests killed at their limit (a mutant that hangs)

    def to_dict(self, edits: bool = False) -> dict[str, Any]:
        mutant = self.mutant.to_dict()
        if not edits:
            mutant.pop("edits")
        return {**mutant, "fixed": len(self.fixed), "changed": len(self.changed), "broken": len(self.broken),
                "timed_out": len(self.timed_out), "score": round(self.score, 4), "seconds": round(self.seconds, 2)}


@dataclass
class Signal:
    """One suspect's value for tools/testing/combine.py: `.value` in [0, 1] and a `.detail` record."""

    value: float
    detail: dict[str, Any]


@dataclass
class MutationEvidence:
    signals: dict[Key, Signal] = field(default_factory=dict)
    line_values: dict[Line, float] = field(default_factory=dict)  # best mutant score per mutated line
    results: list[MutantResult] = field(default_factory=list)
    candidates: list[MutantResult] = field(default_factory=list)  # every failing test passes, nothing broke
    flaky: list[str] = field(default_factory=list)  # outcome differed when HEAD ran again: not evidence
    uncovered: list[Key] = field(default_factory=list)  # suspects no test covers: other signals only
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    head_seconds: float = 0.0  # of `seconds`, HEAD's re-run through the warm pytest (its start included)

    def to_dict(self) -> dict[str, Any]:
        return {"mutants_run": len(self.results), "seconds": round(self.seconds, 2),
                "head_seconds": round(self.head_seconds, 2), "flaky": self.flaky,
                "uncovered": [f"{p}::{s}" for p, s in self.uncovered],
                "results": [r.to_dict() for r in self.results],
                "candidates": [r.to_dict(edits=True) for r in self.candidates]}


def mutation_evidence(
    tree: Path,
    ranking: Sequence[Any],
    spectra: Spectra,
    run: TestRun,
    failing: Sequence[str],
    line_scores: Mapping[Line, float],
    plan: MutationPlan,
    *,
    test_cmd: Any = None,
    extra_env: Mapping[str, str] | None = None,
    budget_end: float | None = None,
) -> MutationEvidence:
    """Mutation evidence for the suspects of `ranking` (localisation's, best first) in the scratch
    checkout `tree`, whose files are restored after each mutant. `run` is HEAD's run with coverage
    (its outcomes and durations), `failing` its reliably failing tests. `budget_end` (time.monotonic())
    is the caller's own limit, which the plan's budget never passes."""
    started = time.monotonic()
    end = budget_end if budget_end is not None else math.inf
    evidence = MutationEvidence()
    targets = _targets(ranking, WEIGHTS.get("mutation", 0.0), plan.top_k)
    if len(targets) < 2:
        evidence.notes.append("mutation evidence: not run, no other suspect is close enough to the first for it "
                              "to change the order.")
        return evidence
    tests_of, evidence.uncovered = _covering_tests(targets, spectra, run, failing)
    if evidence.uncovered:
        evidence.notes.append(f"{len(evidence.uncovered)} suspect(s) no failing test covers, ranked by the other "
                              "signals alone (no mutation evidence): " + ", ".join(s for _, s in evidence.uncovered[:3]) + ".")
    if not tests_of:
        evidence.seconds = time.monotonic() - started
        return evidence
    runner = _Runner(tree, test_cmd, dict(extra_env or {}))
    wanted = sorted({t for tests in tests_of.values() for t in tests})
    again = wanted if plan.head_all else [n for n in wanted if n in set(failing)]
    # HEAD again, through the warm pytest the mutants will use: the failing tests' flake check and their
    # messages and durations there. Its cost (mostly the warm server's start) counts in the step's share.
    head_started = time.monotonic()
    head = runner.run(again, end, at_least=run.seconds + 5.0)  # a part of what the whole suite took
    evidence.head_seconds = time.monotonic() - head_started
    if head is None or not any(n in head.outcomes for n in failing):
        evidence.notes.append("mutation evidence: HEAD's tests could not be re-run through the warm pytest in time; "
                              "none used.")
        evidence.seconds = time.monotonic() - started
        return evidence
    deadline = min(end, started + plan.budget(run.seconds))
    evidence.flaky = sorted(n for n in again if n in head.outcomes and _state(head, n, run) == "flaky")
    unknown = {n for n in again if n not in head.outcomes}  # cut off: no second look, so no evidence either
    tests_of = {key: [n for n in tests if n not in unknown] for key, tests in tests_of.items()}
    stable_message = {n for n in again if n in head.outcomes and _state(head, n, run) == "stable"}
    baseline = {n: _verdict(run, n) for n in wanted}
    failing_set = set(failing) - set(evidence.flaky) - unknown
    try:
        mutants = plan.mutants_of(tree, [s for s in targets if (s.path, s.symbol) in tests_of], line_scores,
                                  plan.per_function)
    except Exception as error:  # noqa: BLE001 - no mutants is no evidence, never a failed localisation
        evidence.notes.append(f"mutation evidence: the mutants could not be made ({type(error).__name__}: {error}).")
        mutants = {}
    order = _round_robin([list(mutants.get(key, ())) for key in tests_of])
    first_place = _FirstPlace(ranking, WEIGHTS.get("mutation", 0.0), len(failing_set))
    # A passing test not run again takes its duration from the coverage run (slower: a roomier limit).
    limits = {n: round(max(LIMIT_FLOOR, LIMIT_MULTIPLE * (head.outcomes.get(n) or run.outcomes[n]).duration), 3)
              for n in wanted if n in head.outcomes or n in run.outcomes}
    steady: set[str] = set(again)  # passing tests seen to pass at HEAD twice

    def run_one(mutant: Mutant) -> MutantResult | None:
        return _confirmed(runner, tests_of[mutant.key], evidence, steady, limits, deadline, lambda tests: runner.try_mutant(
            mutant, tests, limits, baseline, stable_message, failing_set, deadline, 3 * head.seconds))

    _run_in_turn(evidence, order, run_one, len(failing_set), deadline, first_place)
    _score(evidence, tests_of, len(failing_set))
    evidence.seconds = time.monotonic() - started
    return evidence


def _confirmed(runner: _Runner, covering: list[str], evidence: MutationEvidence, steady: set[str],
               limits: Mapping[str, float], deadline: float,
               attempt: Callable[[list[str]], MutantResult | None]) -> MutantResult | None:
    """A mutant's result over its `covering` tests once each passing test it broke is known to pass at
    HEAD when run again (`steady`); one that fails there too is flaky, joins `evidence.flaky`, and the
    mutant runs again without it. None when there was no time to tell."""
    while True:
        result = attempt([n for n in covering if n not in evidence.flaky])
        unchecked = [n for n in (result.broken if result else ()) if n not in steady]
        if not unchecked:
            return result
        flaky = runner.flaky_at_head(unchecked, limits, deadline)
        if flaky is None:  # no time to tell: what the mutant broke is not evidence
            return None
        steady.update(n for n in unchecked if n not in flaky)
        if not flaky:
            return result
        evidence.flaky = sorted({*evidence.flaky, *flaky})


def _run_in_turn(evidence: MutationEvidence, order: list[Mutant], run_one: Callable[[Mutant], MutantResult | None],
                 total_failing: int, deadline: float, first_place: _FirstPlace) -> None:
    """The mutants in `order` while the time share lasts (none starts when less is left than a mutant
    has taken so far); a suspect with a mutant that fixed every failing test gets no more, and the
    step stops once the first place is decided."""
    done_keys: set[Key] = set()
    for number, mutant in enumerate(order):
        typical = sorted(r.seconds for r in evidence.results)[len(evidence.results) // 2] if evidence.results else 0.0
        if time.monotonic() + typical >= deadline:
            evidence.notes.append(f"mutation evidence: its time share ran out after {number} of {len(order)} mutants.")
            return
        if mutant.key in done_keys:
            continue  # a mutant of this suspect already made every failing test pass: nothing more to learn
        result = run_one(mutant)
        if result is None:
            continue
        evidence.results.append(result)
        if result.fixed and len(result.fixed) == total_failing and not result.broken:
            evidence.candidates.append(result)
            done_keys.add(mutant.key)
        left = {m.key for m in order[number + 1:] if m.key not in done_keys}
        if left and first_place.decided(evidence.results, left):
            evidence.notes.append(f"mutation evidence: stopped after {number + 1} of {len(order)} mutants, the first "
                                  "place decided (no other suspect could pass it).")
            return


# -- which suspects, which tests -------------------------------------------------------------


class _FirstPlace:
    """Whether mutants still to run could change which suspect comes first, as tools/testing/combine.py
    ranks: combined = sbfl + best_sbfl x (the other signals' weight x value), the mutation signal's
    value a suspect's best mutant score (it only grows as mutants run), at most 1."""

    MARGIN = 1e-3  # the records round their values; a near tie is left to the tie-breakers, so not decided

    def __init__(self, ranking: Sequence[Any], weight: float, total_failing: int) -> None:
        self.best = max((s.signals.get("sbfl", {}).get("value", 0.0) for s in ranking), default=0.0) or 1.0
        self.weight, self.total_failing = weight, total_failing
        # Each suspect's combined score before mutation evidence, from its records (the displayed score
        # carries tie-breaking nudges that are not part of it).
        self.base: dict[Key, float] = {}
        for suspect in ranking:
            others = sum(r.get("value", 0.0) * r.get("weight", 0.0) for name, r in suspect.signals.items()
                         if name != "sbfl" and isinstance(r, dict))
            self.base[(suspect.path, suspect.symbol)] = suspect.signals.get("sbfl", {}).get("value", 0.0) \
                + self.best * others

    def decided(self, results: Sequence[MutantResult], left: set[Key]) -> bool:
        if not self.weight or not self.base:
            return False
        value: dict[Key, float] = {}
        for result in results:
            key = result.mutant.key
            value[key] = max(value.get(key, 0.0), min(1.0, _mutant_score(result, self.total_failing)))
        now = {key: base + self.best * self.weight * value.get(key, 0.0) for key, base in self.base.items()}
        leader = max(now, key=now.get)
        reach = max((now[key] + (self.best * self.weight * (1.0 - value.get(key, 0.0)) if key in left else 0.0)
                     for key in now if key != leader), default=-math.inf)
        return now[leader] > reach + self.MARGIN


def _targets(ranking: Sequence[Any], weight: float, top_k: int) -> list[Any]:
    """The functions and methods among the first `top_k` suspects that the signal could lift to first
    place (their score within weight x the top SBFL score of the first): mutating the others costs
    time and cannot change the top of the ranking."""
    if not ranking:
        return []
    best_sbfl = max((s.signals.get("sbfl", {}).get("value", 0.0) for s in ranking), default=0.0) or 1.0
    reach = ranking[0].score - (weight or 1.0) * best_sbfl
    return [s for s in ranking[:top_k] if s.kind in ("function", "method") and s.score >= reach]


def _covering_tests(targets: Sequence[Any], spectra: Spectra, run: TestRun,
                    failing: Sequence[str]) -> tuple[dict[Key, list[str]], list[Key]]:
    """Per suspect, the failing tests that ran it and the fastest MAX_PASSING passing tests that did;
    and the suspects no failing test ran (nothing to learn from mutating them)."""
    tests_of: dict[Key, list[str]] = {}
    uncovered: list[Key] = []
    failing_set = set(failing)
    for suspect in targets:
        key = (suspect.path, suspect.symbol)
        covering = spectra.tests_covering(suspect.path, suspect.start_line, suspect.end_line)
        failed = sorted(covering & failing_set)
        if not failed:
            uncovered.append(key)
            continue
        passed = sorted((n for n in covering - failing_set if n in run.outcomes and run.outcomes[n].outcome == "passed"),
                        key=lambda n: (run.outcomes[n].duration, n))[:MAX_PASSING]
        tests_of[key] = failed + sorted(passed)
    return tests_of, uncovered


def _round_robin(queues: list[list[Mutant]]) -> list[Mutant]:
    order: list[Mutant] = []
    for depth in range(max((len(q) for q in queues), default=0)):
        order += [q[depth] for q in queues if depth < len(q)]
    return order


# -- outcomes --------------------------------------------------------------------------------


def _verdict(run: TestRun, nodeid: str) -> tuple[str, str]:
    """("pass" | "fail", the failure's first line without addresses; "timeout" / "not reported" for a
    test cut off by its limit or by the run's)."""
    found = run.outcomes.get(nodeid)
    if found is None:
        return ("fail", "not reported")
    if found.outcome == "timeout":
        return ("fail", "timeout")
    if found.outcome in FAILING:
        said = (found.message or "").strip()
        return ("fail", _ADDRESS.sub("0x", said.splitlines()[0][:300] if said else found.outcome))
    return ("pass", "") if found.outcome == "passed" else (found.outcome, "")


def _state(head: TestRun, nodeid: str, run: TestRun) -> str:
    """"flaky" (pass/fail differs between HEAD's two runs), "unstable" (the same, but another message), "stable"."""
    first, again = _verdict(run, nodeid), _verdict(head, nodeid)
    if first[0] != again[0]:
        return "flaky"
    return "stable" if first == again else "unstable"


class _Runner:
    """Runs tests in the scratch checkout through the warm pytest, a mutant's edits applied and then undone."""

    def __init__(self, tree: Path, test_cmd: Any, extra_env: dict[str, str]) -> None:
        self.tree, self.test_cmd, self.extra_env = tree, test_cmd, extra_env

    def run(self, tests: list[str], deadline: float, limits: Mapping[str, float] | None = None,
            at_least: float = 0.0, stop_at_failure: bool = False) -> TestRun | None:
        """HEAD's (or a mutant's) run of `tests`, within `at_least` s or the sum of their `limits` and a
        start-up allowance; None when no time is left or the run could not start. `stop_at_failure`:
        pytest stops at the first test that fails (`--maxfail=1`, added to the user's PYTEST_ADDOPTS)."""
        wanted = max(at_least, sum(limits[n] for n in tests if n in limits) + 5.0 if limits else 0.0)
        timeout = min(wanted, deadline - time.monotonic())
        if timeout <= 0.5:
            return None
        env = {**self.extra_env, **({LIMITS_ENV: json.dumps(dict(limits), sort_keys=True)} if limits else {})}
        if stop_at_failure:
            env[ADDOPTS] = (env.get(ADDOPTS, os.environ.get(ADDOPTS, "")) + " --maxfail=1").strip()
        try:
            ran = run_tests(self.tree, test_cmd=self.test_cmd, nodeids=tests, timeout=timeout,
                            per_test_timeout=max(limits.values(), default=LIMIT_FLOOR) if limits else None,
                            extra_env=env, warm=True)
        except TestRunError:
            return None
        # Cut short by the step's own deadline, not by the tests' limits: what it missed is no evidence.
        return None if ran.status == "timeout" and timeout < wanted else ran

    def flaky_at_head(self, tests: list[str], limits: Mapping[str, float], deadline: float) -> list[str] | None:
        """Those of `tests` (which passed in the coverage run) that fail when HEAD runs them again; None
        when the run did not finish in time."""
        ran = self.run(tests, deadline, {n: limits[n] for n in tests if n in limits})
        if ran is None:
            return None
        return [n for n in tests if _verdict(ran, n)[0] != "pass"]

    def try_mutant(self, mutant: Mutant, tests: list[str], limits: Mapping[str, float],
                   baseline: Mapping[str, tuple[str, str]], stable_message: set[str], failing: set[str],
                   deadline: float, at_least: float) -> MutantResult | None:
        """The mutant's failing tests, then (only when it changed one of them) its passing tests up to the
        first that breaks; None when it could not be applied or a run did not finish in time."""
        saved = {e.path: (self.tree / e.path).read_bytes() for e in mutant.edits if (self.tree / e.path).is_file()}
        started = time.monotonic()
        own = {n: limits.get(n, LIMIT_FLOOR) for n in tests}
        first, rest = [n for n in tests if n in failing], [n for n in tests if n not in failing]
        try:
            if not all(r.applied for r in apply_edits(self.tree, mutant.edits)):
                return None
            ran = self.run(first, deadline, {n: own[n] for n in first}, at_least) if first else None
            if ran is None:
                return None
            fixed, changed = _failing_changes(ran, first, baseline, stable_message)
            passing = None
            if (fixed or changed) and rest:
                passing = self.run(rest, deadline, {n: own[n] for n in rest}, at_least, stop_at_failure=True)
                if passing is None:
                    return None
        finally:
            for path, data in saved.items():
                (self.tree / path).write_bytes(data)
        broken = _broken(passing, rest, baseline) if passing is not None else []
        cut_off = [n for n in first if _verdict(ran, n)[1] in _CUT_OFF]
        if passing is not None:
            cut_off += [n for n in rest if n in passing.outcomes and _verdict(passing, n)[1] == "timeout"]
        timed_out = [n for n in cut_off if baseline[n][1] not in _CUT_OFF]
        return MutantResult(mutant, fixed, changed, broken, 0.0, time.monotonic() - started, timed_out)


def _failing_changes(ran: TestRun, tests: list[str], baseline: Mapping[str, tuple[str, str]],
                     stable_message: set[str]) -> tuple[list[str], list[str]]:
    """(the failing tests the mutant made pass, those it made fail differently or hang)."""
    fixed, changed = [], []
    for nodeid in tests:
        now, before = _verdict(ran, nodeid), baseline[nodeid]
        if now[0] == "pass":
            fixed.append(nodeid)
        elif now != before and (nodeid in stable_message or now[1] in _CUT_OFF):
            changed.append(nodeid)
    return fixed, changed


def _broken(ran: TestRun, tests: list[str], baseline: Mapping[str, tuple[str, str]]) -> list[str]:
    """The passing tests the mutant broke. The run stops at the first that fails: a test after it was not
    reported and says nothing; when no reported test failed, one not reported (the run died) is broken."""
    reported = [n for n in tests if n in ran.outcomes]
    stopped = any(_verdict(ran, n)[0] == "fail" for n in reported)
    return [n for n in tests if baseline[n][0] == "pass" and _verdict(ran, n)[0] == "fail"
            and (n in ran.outcomes or not stopped)]


def _mutant_score(result: MutantResult, total_failing: int) -> float:
    """Metallaxis-Ochiai with MUSE's preference for a fix: a failing test made to pass counts 1, one that
    fails differently CHANGED."""
    killed = len(result.fixed) + CHANGED * len(result.changed)
    return killed / math.sqrt(max(1, total_failing) * (killed + len(result.broken))) if killed else 0.0


def _score(evidence: MutationEvidence, tests_of: Mapping[Key, list[str]], total_failing: int) -> None:
    """Each mutant's Metallaxis-Ochiai score (a fix counts 1, a changed failure CHANGED), then each
    suspect's signal (its best mutant) and each mutated line's value."""
    best: dict[Key, MutantResult] = {}
    for result in evidence.results:
        result.score = _mutant_score(result, total_failing)
        key = result.mutant.key
        if key not in best or result.score > best[key].score:
            best[key] = result
        line = (key[0], result.mutant.line)
        evidence.line_values[line] = max(evidence.line_values.get(line, 0.0), result.score)
    for key in tests_of:
        if key not in best:
            continue
        top = best[key]
        mine = [r for r in evidence.results if r.mutant.key == key]
        evidence.signals[key] = Signal(min(1.0, top.score), {
            "mutants": len(mine), "best": top.mutant.description, "line": top.mutant.line,
            "fixed": len(top.fixed), "changed": len(top.changed), "broken": len(top.broken),
        })
