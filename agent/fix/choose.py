"""Pick the patch to deliver among those that passed every gate, and rate its evidence.

Distinct patches (by normalised code) that all pass are the case where tests were not
enough. With a model, the planner writes extra tests from the issue and the code
(prompts/tests.md), every passing candidate runs them (agent/fix/crosscheck.py), and B4's
choice over that pass matrix decides (agent/fix/select.py); without one, the ranking of the
gates (fewest regressions, smallest diff) and the overfitting risks decide, and candidates
with the same code count as votes. Either way the chosen patch gets a confidence
(agent/select.confidence); a weak one is reported as plausible, not as a fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from suture import prompts
from suture.agent.fix.calibration import calibrated, features, held_back, load_weights
from suture.agent.fix.crosscheck import pass_matrix
from suture.agent.fix.evidence import Evidence, cap_confidence, order_by_evidence, vouches
from suture.agent.fix.rank import rank
from suture.agent.fix.select import CONFIDENCE_THRESHOLD, Confidence, b4_select, confidence
from suture.agent.gates.antipatterns import anti_pattern_sentences
from suture.agent.gates.validate import GateVerdict

TESTS_MAX_TOKENS = 2000


@dataclass
class Choice:
    verdict: GateVerdict
    confidence: Confidence
    distinct: int  # distinct passing patches
    votes: int  # passing candidates with the chosen patch's code
    method: str  # "only" | "ranking" | "b4"
    generated_tests: list[str] = field(default_factory=list)
    matrix: dict[str, list[bool]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)  # behaviour outside the tests, per distinct patch

    def to_dict(self) -> dict[str, Any]:
        return {"chosen": self.verdict.candidate_id, "method": self.method, "distinct_passing": self.distinct,
                "votes": self.votes, "confidence": self.confidence.to_dict(), "generated_tests": self.generated_tests,
                "pass_matrix": self.matrix, "notes": self.notes, "evidence": [e.to_dict() for e in self.evidence]}


def choose(
    verdicts: Sequence[GateVerdict],
    risks: dict[str, Sequence[str]],
    *,
    client: Any = None,
    pool: Any = None,
    issue: str = "",
    failing: Sequence[str] = (),
    code: str = "",
    imports: str = "",
    test_cmd: Any = None,
    verifier_verdict: str = "not_run",
    log: Any = lambda event, **data: None,
    evidence: dict[str, Evidence] | None = None,
) -> Choice | None:
    """The accepted verdict to deliver, or None when nothing passed every gate.

    `risks` maps candidate ids to their overfitting risks. `client` and `pool` enable B4 with model-written
    tests; without them the gates' ranking decides. `evidence` (agent/fix/evidence.py, per candidate id) puts
    the smallest behaviour change first and caps the confidence of a patch the tests cannot vouch for.
    """
    accepted = [v for v in verdicts if v.accepted]
    if not accepted:
        return None
    # Candidates with the same code are one patch (votes); the best ranked speaks for the group.
    groups: dict[str, list[GateVerdict]] = {}
    for verdict in accepted:
        groups.setdefault(verdict.normalized_key or verdict.candidate_id, []).append(verdict)
    heads = rank(accepted)
    # Among equally good patches: one without a static anti-pattern first (it loses to any rival
    # without one), then one with no overfitting risk, then the one most candidates agree on
    # (majority vote), then the gates' ranking (agent/fix/rank.py: the smallest change first).
    votes_of = {v.candidate_id: len(groups[v.normalized_key or v.candidate_id]) for v in heads}
    heads.sort(key=lambda v: (bool(v.anti_patterns), bool(risks.get(v.candidate_id)), -votes_of[v.candidate_id]))
    for verdict in heads:  # the static anti-patterns (agent/gates/antipatterns.py) travel with the evidence
        if evidence and verdict.candidate_id in evidence:
            evidence[verdict.candidate_id].anti_patterns = list(verdict.anti_patterns)
    heads = order_by_evidence(heads, evidence or {}, risks)
    notes: list[str] = []
    method = "only" if len(heads) == 1 else "ranking"
    chosen = heads[0]
    matrix: dict[str, list[bool]] = {}
    tests: list[str] = []
    # B4 weighs only patches without an anti-pattern when there are any: those lose to any clean rival.
    contenders = [v for v in heads if not v.anti_patterns] or heads
    if len(contenders) > 1 and client is not None and pool is not None:
        source, why = _generated_tests(client, issue, failing, code, imports, log)
        if source is None:
            notes.append(f"no extra tests to choose with: {why}")
        else:
            result = pass_matrix(pool, {v.candidate_id: v.patch for v in contenders}, source, test_cmd=test_cmd)
            notes += result.problems
            if result.tests:
                selection = b4_select([v.candidate_id for v in contenders], result.passes)
                chosen = next(v for v in contenders if v.candidate_id == selection.chosen)
                method, matrix, tests = "b4", result.passes, result.tests
    votes = len(groups[chosen.normalized_key or chosen.candidate_id])
    covering = len(set(chosen.selected_tests) | set(chosen.fixed))
    # Agreement is evidence among a model's independent patches (or B4's consensus sets), not
    # among the rule engine's systematic variants of a line (agent/select.confidence).
    model_accepted = [v for v in accepted if v.candidate_id.startswith("model-")]
    agreement: float | None = None
    if len(model_accepted) > 1:
        agreement = sum(1 for v in model_accepted if (v.normalized_key or v.candidate_id)
                        == (chosen.normalized_key or chosen.candidate_id)) / len(model_accepted)
    if method == "b4":
        agreement = sum(1 for v in contenders if matrix.get(v.candidate_id) == matrix.get(chosen.candidate_id)) \
            / len(contenders)
    verifier, item, own_risks = chosen.verifier or verifier_verdict, (evidence or {}).get(chosen.candidate_id), \
        risks.get(chosen.candidate_id, ())
    values = features(covering, len(heads), verifier, item)
    # The bench's fit has the rule engine's patches only: a model's agreement keeps the weighted mean.
    probability = calibrated(values, load_weights()) if agreement is None else None
    rating = confidence(covering, verifier, agreement, own_risks, anti_pattern_sentences(chosen.anti_patterns),
                        probability, values, vouches(item, own_risks, chosen.anti_patterns, [v.candidate_id for v in heads]))
    rating = cap_confidence(rating, chosen, heads, evidence or {}, matrix, risks)
    if probability is not None:
        rating = _held_back(rating)
    found = [evidence[v.candidate_id] for v in heads if v.candidate_id in (evidence or {})]
    return Choice(chosen, rating, len(heads), votes, method, tests, matrix, notes, found)


def _held_back(rating: Confidence) -> Confidence:
    """A patch kept below the threshold carries the bench's share of right patches among those held
    back (agent/fix/calibration.py), not the value just under the threshold its cap left."""
    share = held_back(load_weights())
    if share is None or rating.value >= CONFIDENCE_THRESHOLD or share >= rating.value:
        return rating
    return dataclasses.replace(rating, value=share, reasons=rating.reasons + [
        f"held back: {share:.0%} of the patches the repair bench held back were right"])


def _generated_tests(client: Any, issue: str, failing: Sequence[str], code: str, imports: str,
                     log: Any) -> tuple[str | None, str]:
    from suture.agent.propose.planner import reply_record
    from suture.tools.llm.client import BudgetExceeded, LLMError, python_blocks

    text = prompts.render("tests", issue=issue or "(no issue text)", failing="\n".join(failing) or "(none)",
                          code=code or "(not available)", imports=imports or "(not available)")
    try:
        reply = client.complete([{"role": "user", "content": text}], None, temperature=0.0,
                                max_tokens=TESTS_MAX_TOKENS)
    except (LLMError, BudgetExceeded) as error:
        return None, str(error)
    log("model", stage="choose", **reply_record(reply))  # replay and resume play these back in order
    blocks = python_blocks(reply.text)
    if not blocks:
        return None, "the model's answer held no python block."
    return blocks[0], ""
