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

The fitted combination replaces the hand-set one when its weights load: the weights that
bench/fit_localize.py fitted on the seeded-fault corpus (cross-validated by library), shipped
as WEIGHTS_FILE. Then

    combined = sum(fitted[feature] * value[feature])

over the features of tools/testing/features.py (each in [0, 1], 0 = no evidence). A feature
the file has no weight for (a signal newer than the fit) gets its hand weight, scaled as the
hand combination scales it: WEIGHTS[name] * fitted["ochiai"]. A missing or unreadable file
gives the hand combination and one note saying so (`load_fitted`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["ADDS_SUSPECTS", "WEIGHTS", "WEIGHTS_FILE", "combine", "effective_weights", "fitted_score",
           "fitted_weight", "load_fitted", "weights_path"]

WEIGHTS_FILE = Path(__file__).with_name("localize_weights.json")
# A fitted weights file to rank with (the shipped WEIGHTS_FILE, or one fitted on your own faults). Unset,
# the hand-set WEIGHTS rank: the shipped fit (bench/fit_localize.py, 40 faults cross-validated by library)
# did not beat them (top-1 85.0% vs 87.5%, held-out top-5 88.9% vs 100%; bench/RESULTS.md) and it weighs
# a pasted traceback at 0.02, so it stays opt-in until a larger corpus says otherwise.
WEIGHTS_ENV = "SUTURE_LOCALIZE_WEIGHTS"

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


def weights_path() -> Path | None:
    """The fitted weights file asked for with $SUTURE_LOCALIZE_WEIGHTS, or None (the hand-set WEIGHTS rank)."""
    chosen = os.environ.get(WEIGHTS_ENV)
    return Path(chosen) if chosen else None


def load_fitted(path: Path = WEIGHTS_FILE) -> tuple[dict[str, float] | None, str | None]:
    """(the fitted weight of each feature, None), or (None, a sentence for the user) when the file
    is missing or is not a JSON object with a numeric `weights` object: the caller then combines
    with the hand-set WEIGHTS."""
    fallback = "; localisation used its hand-set weights instead."
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"the fitted localisation weights ({path}) are missing" + fallback
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return None, f"the fitted localisation weights ({path}) could not be read ({type(error).__name__})" + fallback
    weights = data.get("weights") if isinstance(data, dict) else None
    if not isinstance(weights, dict) or not weights or not all(
            isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for k, v in weights.items()):
        return None, f"the fitted localisation weights ({path}) have no numeric `weights` object" + fallback
    return {name: float(value) for name, value in weights.items()}, None


def fitted_weight(fitted: Mapping[str, float], feature: str) -> float:
    """A feature's fitted weight; one the fit did not see gets its hand weight on the fitted SBFL scale."""
    if feature in fitted:
        return fitted[feature]
    return WEIGHTS.get(feature, 0.0) * fitted.get("ochiai", 1.0)


def fitted_score(features: Mapping[str, float], fitted: Mapping[str, float]) -> tuple[float, dict[str, dict[str, float]]]:
    """(the fitted combination of one suspect's features, each non-zero term: value, weight, product)."""
    total, terms = 0.0, {}
    for feature, value in features.items():
        weight = fitted_weight(fitted, feature)
        if value and weight:
            total += weight * value
            terms[feature] = {"value": round(value, 4), "weight": round(weight, 4), "product": round(weight * value, 4)}
    return total, terms
