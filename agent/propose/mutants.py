"""The rule engine's repair templates as the mutation operators of localisation's mutation evidence.

tools/testing/mutation.py runs and scores mutants but cannot make them: the templates live here in
agent/ and tools/ may import only retrieval (tests/test_layout.py). Moving the templates down would
move 1,400 lines that the rule engine's priors, pairs and synthesis are written against, for one
caller; so this module hands tools/ a `MutantSource` instead (dependency injection, the layering kept).

The mutants of a suspect are the rule engine's own single edits in its order (line suspiciousness x
template prior), spread over lines first: MUSE's insight is that mutating the faulty statement is
what changes the failing tests, so the most suspicious lines come first and no line gets a second
mutant before every line in reach got one. The same edits are what the repair stage would try, so a
mutant that makes every failing test pass is a repair candidate as it stands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from suture.agent.propose.rules import generate_candidates
from suture.tools.testing.mutation import Mutant

__all__ = ["template_mutants"]

POOL = 6  # the engine's candidates looked at per mutant wanted: room to spread over lines


def template_mutants(tree: Path, suspects: Sequence[Any], line_scores: Mapping[tuple[str, int], float],
                     per_function: int) -> dict[tuple[str, str], list[Mutant]]:
    """(path, qualname) -> up to `per_function` mutants of that suspect, best first."""
    found: dict[tuple[str, str], list[Mutant]] = {}
    for suspect in suspects:
        notes: list[str] = []
        stream = generate_candidates(tree, [suspect], dict(line_scores), max_candidates=per_function * POOL,
                                     pairs=False, notes=notes, top_functions=1)
        key = (suspect.path, suspect.symbol)
        found[key] = [Mutant(key, c.line, c.template, c.description, list(c.edits))
                      for c in _spread(list(stream), per_function)]
    return found


def _spread(candidates: list[Any], wanted: int) -> list[Any]:
    """The first `wanted` candidates, one per line before any line gets a second, in the engine's order."""
    first, rest, lines = [], [], set()
    for candidate in candidates:
        (rest if candidate.line in lines else first).append(candidate)
        lines.add(candidate.line)
    return (first + rest)[:wanted]
