"""Choosing among candidates that all pass the gates, and saying how sure the choice is.

When several distinct patches pass every gate, the repository's tests cannot tell them
apart. The planner then writes extra tests from the issue and the code; those are
plausible, not trusted (a model's test can be wrong). Selection follows B4 (Chen et al.,
2024): treat both the candidates' and the tests' correctness as unknown and pick the
most probable explanation of the observed pass matrix.

The model, under B4's consistency assumption: the correct candidates form one consensus
set (they pass exactly the same generated tests, namely the correct ones; a correct test
is passed by every correct candidate and a wrong test by none). Wrong candidates pass a
correct test with probability THETA_RIGHT and a wrong test with THETA_WRONG, each entry
independent. Each consensus set in turn is hypothesised to be the correct set, and its
log-posterior is scored; no solver is needed because only the observed consensus sets
(plus "none is correct", which we never choose) are candidates for the MAP.

Why not plain voting or "most tests passed" (CodeT): with imperfect tests both pick large
groups of wrong-but-agreeing patches; B4's likelihood weighs what the *other* candidates
do on the tests a group passes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

PRIOR_CANDIDATE = 0.5  # a gated candidate's prior chance of being correct
PRIOR_TEST = 0.7  # a generated test's prior chance of being right
THETA_RIGHT = 0.4  # chance a wrong candidate passes a right test (partly right code passes many)
# A wrong test encodes a wrong expectation; a wrong patch matching it by chance is rare.
THETA_WRONG = 0.1

# Confidence below this: "plausible, weakly evidenced"; suture does not claim a fix.
CONFIDENCE_THRESHOLD = 0.5
# A patch with a static anti-pattern (agent/gates/antipatterns.py) is never claimed: its confidence
# is capped here, below the threshold, whatever else speaks for it.
ANTI_PATTERN_CAP = 0.4
# With the calibrated model (agent/fix/calibration.py), a patch that a single test runs stays below
# the threshold: the bench it was fitted on has two such patches, too few to say one test is enough.
MIN_COVERING_TESTS = 2
THIN_CAP = CONFIDENCE_THRESHOLD - 0.05


@dataclass
class Selection:
    chosen: str  # candidate id
    group: list[str]  # the consensus set the chosen candidate belongs to
    scores: dict[str, float]  # log-posterior per consensus set, keyed by its first member's id
    agreement: float  # share of the candidates in the chosen set


def b4_select(candidates: Sequence[str], passes: dict[str, Sequence[bool]]) -> Selection:
    """The most probable correct candidate given each candidate's results on the generated tests.

    `passes[c][j]` is True when candidate c passed generated test j; all vectors have the same
    length. With no tests every candidate is in one set, and the first listed (the caller's
    ranking) wins.
    """
    if not candidates:
        raise ValueError("b4_select needs at least one candidate.")
    width = {len(passes.get(c, ())) for c in candidates}
    if len(width) != 1:
        raise ValueError("every candidate needs one result per generated test.")
    groups: dict[tuple[bool, ...], list[str]] = {}
    for c in candidates:
        groups.setdefault(tuple(bool(x) for x in passes.get(c, ())), []).append(c)
    scores: dict[str, float] = {}
    best: tuple[float, int, list[str]] | None = None
    for order, (vector, members) in enumerate(groups.items()):
        score = _log_posterior(vector, members, groups)
        scores[members[0]] = score
        # Ties go to the group the caller ranked first (its order in `candidates`).
        key = (score, -min(candidates.index(m) for m in members))
        if best is None or key > best[:2]:
            best = (key[0], key[1], members)
    assert best is not None
    group = best[2]
    return Selection(chosen=group[0], group=list(group), scores=scores, agreement=len(group) / len(candidates))


def _log_posterior(vector: tuple[bool, ...], members: list[str], groups: dict[tuple[bool, ...], list[str]]) -> float:
    right_tests = [j for j, ok in enumerate(vector) if ok]
    wrong_tests = [j for j, ok in enumerate(vector) if not ok]
    total = sum(len(m) for m in groups.values())
    score = len(members) * math.log(PRIOR_CANDIDATE) + (total - len(members)) * math.log(1 - PRIOR_CANDIDATE)
    score += len(right_tests) * math.log(PRIOR_TEST) + len(wrong_tests) * math.log(1 - PRIOR_TEST)
    for other, others in groups.items():
        if other == vector:
            continue
        for j in right_tests:
            score += len(others) * math.log(THETA_RIGHT if other[j] else 1 - THETA_RIGHT)
        for j in wrong_tests:
            score += len(others) * math.log(THETA_WRONG if other[j] else 1 - THETA_WRONG)
    return score


@dataclass
class Confidence:
    value: float  # 0..1
    covering_tests: int  # tests (fixed + still passing) that run the changed code at the base commit
    verifier: str  # the verifier's verdict on the changed functions, "not_run" when none ran
    agreement: float  # share of passing candidates that agree with the chosen one
    reasons: list[str]
    features: dict[str, float] | None = None  # the calibration model's inputs (agent/fix/calibration.py)

    @property
    def weak(self) -> bool:
        return self.value < CONFIDENCE_THRESHOLD

    def to_dict(self) -> dict:
        return {"value": round(self.value, 3), "covering_tests": self.covering_tests, "verifier": self.verifier,
                "agreement": round(self.agreement, 3), "weak": self.weak, "reasons": self.reasons,
                "features": self.features}


# The fix gate checks crashes and the contracts a function states; most functions state none, so
# even an exhausted search says little about intent: it adds some evidence, never all of it.
VERIFIER_WEIGHT = {"exhausted": 0.5, "no_counterexample_within_bound": 0.3, "unsupported": 0.0, "error": 0.0,
                   "not_run": 0.0}


def confidence(covering_tests: int, verifier: str, agreement: float | None, risks: Sequence[str] = (),
               anti_patterns: Sequence[str] = (), probability: float | None = None,
               features: dict[str, float] | None = None, vouched: str = "") -> Confidence:
    """How well evidenced a patch that passed every gate is: a weighted mean of the evidence there is.

    Tests weigh most (they are the repository's own statement of intent): one test running the
    changed code is thin, three or more is as good as tests get. The verifier counts when it
    searched and found nothing. Agreement counts only where it means something: among a
    model's independent samples, or B4's consensus sets (`agreement` None otherwise: the rule
    engine's candidates are systematic variants of one line, and several of them passing says
    the tests are loose, which the test count already says). Overfitting risks (a deleted
    check, a weakened condition) take evidence away; an anti-pattern (`anti_patterns`, each a
    sentence) caps the value below the threshold.

    `probability`, when given, replaces the weighted mean: the calibrated model's value for the
    patch's `features` (agent/fix/calibration.py); the risks and anti-patterns apply to it alike.
    With it, fewer than MIN_COVERING_TESTS covering tests cap the value below the threshold unless
    `vouched` says why the behaviour comparison speaks for the patch where the tests are silent
    (agent/fix/evidence.py `vouches`): the cap is for a patch nothing but one test has seen.
    """
    parts = [(0.6, min(1.0, covering_tests / 3))]
    # A verdict that is no evidence (not run, unsupported, an error, a failure the base commit
    # shares) is left out rather than counted as zero.
    if verifier in ("exhausted", "no_counterexample_within_bound"):
        parts.append((0.2, VERIFIER_WEIGHT[verifier]))
    if agreement is not None:
        parts.append((0.2, max(0.0, min(1.0, agreement))))
    value = sum(w * v for w, v in parts) / sum(w for w, _ in parts) if probability is None else probability
    value = max(0.0, value - 0.15 * len(risks))
    if anti_patterns:
        value = min(value, ANTI_PATTERN_CAP)
    reasons = [f"{covering_tests} test(s) run the changed code", f"verifier: {verifier}"]
    if probability is not None and covering_tests < MIN_COVERING_TESTS and vouched:
        reasons.append(f"thin: fewer than {MIN_COVERING_TESTS} tests run the changed code, not capped: {vouched}")
    elif probability is not None and covering_tests < MIN_COVERING_TESTS:
        value = min(value, THIN_CAP)
        reasons.append(f"thin: fewer than {MIN_COVERING_TESTS} tests run the changed code")
    if agreement is not None:
        reasons.append(f"{agreement:.0%} of the passing candidates agree")
    if probability is not None:
        reasons.append(f"calibrated on the repair bench: {probability:.0%} of patches with this evidence were right")
    reasons += [f"risk: {r}" for r in risks]
    reasons += [f"anti-pattern: {a}" for a in anti_patterns]
    return Confidence(value, covering_tests, verifier, agreement if agreement is not None else 1.0, reasons, features)
