"""The rule engine's repair templates as the mutation operators of localisation's mutation evidence.

tools/testing/mutation.py runs and scores mutants but cannot make them: the templates live here in
agent/ and tools/ may import only retrieval (tests/test_layout.py). Moving the templates down would
move 1,400 lines that the rule engine's priors, pairs and synthesis are written against, for one
caller; so this module hands tools/ a `MutantSource` instead (dependency injection, the layering kept).

The mutants of a suspect are the rule engine's own single edits in its order (line suspiciousness x
template prior), spread over lines first: MUSE's insight is that mutating the faulty statement is
what changes the failing tests, so the most suspicious lines come first and no line gets a second
mutant before every line in reach got one. Only lines a failing test ran are mutated (a line score
above 0): a change to a line none of them runs cannot change what they say, so such a mutant could only
cost time. The same edits are what the repair stage would try, so a
mutant that makes every failing test pass is a repair candidate as it stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from suture.agent.propose.rules import HAND_PRIORS, RuleCandidate, generate_candidates
from suture.tools.testing.mutation import Mutant, MutationEvidence, MutationPlan

__all__ = ["lead_with_mutants", "mutation_plan", "template_mutants"]

POOL = 6  # the engine's candidates looked at per mutant wanted: room to spread over lines


def template_mutants(tree: Path, suspects: Sequence[Any], line_scores: Mapping[tuple[str, int], float],
                     per_function: int) -> dict[tuple[str, str], list[Mutant]]:
    """(path, qualname) -> up to `per_function` mutants of that suspect, best first."""
    found: dict[tuple[str, str], list[Mutant]] = {}
    for suspect in suspects:
        notes: list[str] = []
        # The hand priors, not the fitted repair order: these mutants are localisation's evidence, whose
        # operator mix is what bench_localize measured; priors.json is fitted to rank repairs.
        stream = generate_candidates(tree, [suspect], dict(line_scores), max_candidates=per_function * POOL,
                                     pairs=False, notes=notes, top_functions=1, priors=HAND_PRIORS)
        key = (suspect.path, suspect.symbol)
        ran = [c for c in stream if (line_scores.get((c.path, c.line)) or 0.0) > 0]
        found[key] = [Mutant(key, c.line, c.template, c.description, list(c.edits), tuple(c.risks))
                      for c in _spread(ran, per_function)]
    return found


def _spread(candidates: list[Any], wanted: int) -> list[Any]:
    """The first `wanted` candidates, one per line before any line gets a second, in the engine's order."""
    first, rest, lines = [], [], set()
    for candidate in candidates:
        (rest if candidate.line in lines else first).append(candidate)
        lines.add(candidate.line)
    return (first + rest)[:wanted]


def mutation_plan(share: float) -> MutationPlan:
    """Localisation's mutation evidence with these templates as its operators, its mutants' time `share`
    x the coverage run's (the `mutation_share` setting)."""
    return MutationPlan(template_mutants, share=share)


def lead_with_mutants(evidence: MutationEvidence | None, stream: Iterable[RuleCandidate]) -> Iterator[RuleCandidate]:
    """The rule engine's `stream` led by the mutants that made every failing test pass in localisation
    (`suture fix --mutation on`), best first. They ran only the tests covering their function, so they
    go through every gate like any candidate; the same edit met again in `stream` is not gated twice."""
    fixing = list(evidence.candidates) if evidence is not None else []
    fixing.sort(key=lambda result: -result.score)
    given = set()
    for number, result in enumerate(fixing, 1):
        mutant = result.mutant
        edits = tuple((e.path, e.search, e.replace) for e in mutant.edits)
        if edits in given:
            continue
        given.add(edits)
        yield RuleCandidate(f"m{number}", list(mutant.edits), mutant.template, mutant.description, tuple(mutant.risks),
                            result.score, mutant.key[0], mutant.line, mutant.key[1],
                            {"engine": "mutation", "fixed_in_localisation": len(result.fixed)})
    for candidate in stream:
        if tuple((e.path, e.search, e.replace) for e in candidate.edits) not in given:
            yield candidate
