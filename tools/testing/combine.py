"""How localisation's signals make one ranking; their weights are the data below.

The base is SBFL: the formula's line scores lifted to functions and moved by what the failing
tests' own failures say (tools/testing/suspects.py). Every other signal gives a function a
value in [0, 1] (tools/testing/issue_signals.py for the issue text's), and

    combined = sbfl + best_sbfl * sum(WEIGHTS[signal] * value[signal])

where best_sbfl is the top SBFL score of the ranking: a weight is a share of the SBFL scale,
whatever the formula. With WEIGHTS["issue_bm25"] = 0.2 the function an issue text matches
best overtakes one that the tests rate at most a fifth of the top score higher; it always
breaks a tie between functions the same tests ran, which is where SBFL has no say. With no
value of any other signal (no issue text), combined == sbfl: the ranking is SBFL's exactly.

Only the signals in ADDS_SUSPECTS can bring in a function the failing tests never ran (a
traceback the user pasted is direct evidence; a word match is not); such a function starts
from an SBFL score of 0. A signal the input cannot support (issue_signals' `weights_off`)
gets weight 0 and is still reported. A new signal is one more entry here plus its values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ADDS_SUSPECTS", "WEIGHTS", "combine", "effective_weights"]

Key = tuple[str, str]  # (path, qualname)

WEIGHTS: dict[str, float] = {
    "issue_bm25": 0.2,  # the issue text as a code-search query (BM25 over names, docstrings, paths)
    # A frame of a traceback quoted in the issue (innermost 1.0, callers 0.5). Below the failing tests'
    # own INNERMOST_BOOST (0.5): a pasted crash mostly repeats where the tests crash, and where a
    # program crashes is often not where the bug is (bench: juxt.__init__ lost rank 1 at 0.5).
    "issue_traceback": 0.3,
    # Mutation evidence on the top suspects (tools/testing/mutation.py): 1.0 when a mutant makes every
    # failing test pass and breaks no covering passing test. Strong but not final: a mutant can also
    # "fix" a caller by compensating for the bug.
    "mutation": 0.3,
}
ADDS_SUSPECTS = frozenset({"issue_traceback"})


def combine(
    sbfl: Mapping[Key, float], signals: Mapping[str, Mapping[Key, Any]], weights_off: Iterable[str] = (),
    weights: Mapping[str, float] = WEIGHTS,
) -> tuple[dict[Key, float], dict[Key, dict[str, dict[str, Any]]]]:
    """(combined score per function, its signal records) from the SBFL scores and the other
    signals' values (objects with `.value` in [0, 1] and a `.detail` dict). Functions only
    ADDS_SUSPECTS signals name join with an SBFL score of 0."""
    best = max(sbfl.values(), default=0.0) or 1.0
    combined = dict(sbfl)
    records: dict[Key, dict[str, dict[str, Any]]] = {key: {} for key in combined}
    used = effective_weights(signals, weights_off, weights)
    for name, values in signals.items():
        weight = used[name]
        for key, found in values.items():
            if key not in combined:
                if name not in ADDS_SUSPECTS or weight == 0:
                    continue
                combined[key], records[key] = 0.0, {}
            combined[key] += best * weight * found.value
            records[key][name] = {**found.detail, "value": round(found.value, 4), "weight": weight}
    return combined, records


def effective_weights(names: Iterable[str], weights_off: Iterable[str] = (),
                      weights: Mapping[str, float] = WEIGHTS) -> dict[str, float]:
    """The weight each named signal gets: its WEIGHTS entry, 0 when the input cannot support it."""
    off = set(weights_off)
    return {name: 0.0 if name in off else weights.get(name, 0.0) for name in names}
