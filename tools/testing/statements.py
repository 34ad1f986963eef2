"""Statement level: the lines inside the top suspects, most suspicious first.

A line's score is its own SBFL score (the formula over the per-test line coverage localisation
already has), raised by mutation evidence where a mutant of that line changed the failing tests
the way combine.py raises a function: score + best line score of the function x weight x the
line's best mutant score. Ties (lines the same tests ran) keep source order. The rule engine reads
these scores (agent/propose/rules.py: line weight = line score / the function's best), so its
templates try the most suspicious lines first; `localize --json` lists them as `statements`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from suture.tools.testing.spectra import Line

__all__ = ["raised_line_scores", "statement_ranking"]

TOP_SUSPECTS = 5
LINES_PER_SUSPECT = 5


def raised_line_scores(line_scores: Mapping[Line, float], ranking: Sequence[Any], line_values: Mapping[Line, float],
                       weight: float) -> dict[Line, float]:
    """`line_scores` with each mutated line of a suspect raised by its mutation value."""
    raised = dict(line_scores)
    if not line_values or weight <= 0:
        return raised
    for suspect in ranking:
        lines = range(suspect.start_line, suspect.end_line + 1)
        best = max((line_scores.get((suspect.path, n), 0.0) for n in lines), default=0.0)
        for n in lines:
            value = line_values.get((suspect.path, n), 0.0)
            if value > 0 and (suspect.path, n) in raised:
                raised[(suspect.path, n)] = raised[(suspect.path, n)] + best * weight * value
    return raised


def statement_ranking(ranking: Sequence[Any], line_scores: Mapping[Line, float], read_line: Any = None,
                      line_values: Mapping[Line, float] | None = None, top: int = TOP_SUSPECTS,
                      per_suspect: int = LINES_PER_SUSPECT) -> list[dict[str, Any]]:
    """Per top suspect (functions and methods), its most suspicious lines: {path, symbol, lines: [{line,
    score, mutation?, text?}]}, best first."""
    found = []
    for suspect in [s for s in ranking if s.kind in ("function", "method")][:top]:
        scored = [(line_scores[(suspect.path, n)], n) for n in range(suspect.start_line, suspect.end_line + 1)
                  if line_scores.get((suspect.path, n), 0.0) > 0]
        scored.sort(key=lambda item: (-item[0], item[1]))
        lines = []
        for score, number in scored[:per_suspect]:
            entry: dict[str, Any] = {"line": number, "score": round(score, 6)}
            mutated = (line_values or {}).get((suspect.path, number))
            if mutated is not None:
                entry["mutation"] = round(mutated, 4)
            if read_line is not None:
                entry["text"] = read_line(suspect.path, number).strip()[:120]
            lines.append(entry)
        if lines:
            found.append({"path": suspect.path, "symbol": suspect.symbol, "lines": lines})
    return found
