"""Order validated candidates, best first, one per distinct piece of code.

Accepted candidates come first; then fewer regressions, fewer tests still failing
(informative among rejected ones only: an accepted candidate has none of either),
the verifier's class (it found nothing, it could not run, it found a counterexample),
a smaller diff, fewer AST nodes changed (of `not (v is not None)` and `v is None`, the
second), and only then the stronger of the two verdicts that found nothing. The two
are one class because which of them a patch gets says how far CrossHair's search got
on its code, not how likely the patch is right: a needless extra edit (`str` ->
`repr` beside the fix) that CrossHair happens to exhaust must not beat the single
minimal fix it searched only within its bound. Candidates that never reached the
tests (refused edits, syntax errors, skipped) come after every candidate that did.
The last tie-break is the candidate id in natural order ("c2" before "c10"), so the
order never depends on which worker finished first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from suture.agent.gates.validate import GateVerdict

__all__ = ["VERIFIER_ORDER", "VERIFIER_STRENGTH", "rank"]

# Lower is better. The verifier's class comes before the diff's size, its strength after it:
# "exhausted" (the bounded search covered every input) and "no_counterexample_within_bound" are
# one class, both found nothing. A counterexample is normally rejected already; it ranks last
# when a caller keeps such verdicts.
VERIFIER_ORDER = {
    "exhausted": 0,
    "no_counterexample_within_bound": 0,
    "unsupported": 1,
    None: 1,
    "counterexample": 2,
}
VERIFIER_STRENGTH = {"exhausted": 0}  # the later tie-break among equally small patches; the rest 1
TESTED_STAGES = ("selected", "suite", "verifier")


def _natural(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _order(verdict: GateVerdict) -> tuple:
    return (
        not verdict.accepted,
        verdict.stage not in TESTED_STAGES,
        len(verdict.regressions),
        len(verdict.still_failing),
        VERIFIER_ORDER.get(verdict.verifier, VERIFIER_ORDER[None]),
        verdict.diff_lines,
        verdict.ast_change,
        VERIFIER_STRENGTH.get(verdict.verifier, 1),
        _natural(verdict.candidate_id),
    )


def rank(verdicts: Iterable[GateVerdict]) -> list[GateVerdict]:
    """Verdicts best first; of those sharing a normalized key only the best stays.

    Verdicts without a key (their edits never applied) are all kept.
    """
    ranked = sorted(verdicts, key=_order)
    seen: set[str] = set()
    kept = []
    for verdict in ranked:
        if verdict.normalized_key:
            if verdict.normalized_key in seen:
                continue
            seen.add(verdict.normalized_key)
        kept.append(verdict)
    return kept
