"""One suspect's feature vector for the fitted combination (tools/testing/combine.py).

Every feature is a number in [0, 1] where 0 means "no evidence", so a signal a run cannot
give (no issue text, mutation evidence that did not run) is a clean 0 and the fitted model
needs no special case for it:

- `ochiai`, `dstar`, `tarantula`: the formula's function score (its best line, times the
  failing tests' own evidence, tools/testing/suspects.py) over the best such score of the run;
- `ochiai_rank`: 1 / the function's place under Ochiai (ties at their middle): SBFL's
  order, whatever the gaps between the scores;
- `ochiai_plain`: the function's best Ochiai line alone, before the failing tests' own evidence,
  over the best such score of the run: plain SBFL, the ranking the other signals are measured
  against (a weights file with only this feature ranks as plain Ochiai does: bench/bench_fix_localize.py);
- `issue_bm25`, `issue_traceback`: the issue text's signals (tools/testing/issue_signals.py);
- `mutation`: the mutation-evidence signal's value, when a run supplies one;
- `size`: the function's lines on a log scale, 1 at SIZE_SCALE lines or more.

No change-frequency (churn) feature: issue 19 asked for one, but the only corpus the weights can be
fitted on has faults seeded at random places in sdist imports with no history, so its weight could
not be learnt (it was 0 for every function) and could not be checked; a feature the fit can never
weigh only costs a `git log` (bench/RESULTS.md, issue 19, 2026-12-07).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

__all__ = ["FEATURES", "SBFL_FEATURES", "rank_values", "size_value"]

SBFL_FEATURES = ("ochiai", "dstar", "tarantula")
FEATURES = (*SBFL_FEATURES, "ochiai_rank", "ochiai_plain", "issue_bm25", "issue_traceback", "mutation", "size")
SIZE_SCALE = 200  # lines: a function this long or longer has size 1


def size_value(start_line: int, end_line: int) -> float:
    lines = max(1, end_line - start_line + 1)
    return min(1.0, math.log1p(lines) / math.log1p(SIZE_SCALE))


def rank_values(scores: Mapping[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """1 / place of each key by score, best first, ties sharing their middle place."""
    ordered = sorted(scores.values(), reverse=True)
    first: dict[float, int] = {}
    count: dict[float, int] = defaultdict(int)
    for place, value in enumerate(ordered, 1):
        first.setdefault(value, place)
        count[value] += 1
    return {key: 1.0 / (first[v] + (count[v] - 1) / 2) for key, v in scores.items()}
