"""The confidence as a probability: a small logistic model over the evidence a patch has, fitted on
the repair bench (issue 17: "the confidence value must mean what it says").

agent/fix/select.confidence's weighted mean counts covering tests first; on bench/bugs every bin of it
from 0.5 up was right 67-86% of the time whatever its value. What separates right from wrong patches
there is more than the test count: several distinct passing patches (the tests do not pin the
repair down), a chosen patch whose behaviour outside the tests could not be compared (a method, a
comparison that never reached the repair). So the value delivered is

    p = 1 / (1 + exp(-(bias + sum(weight[f] * x[f]))))

over the few features below, with weights fitted by bench/calibration.py (`--fit`, leave-one-kind-
out cross-validation on bench/bugs, validated on bench/faults) and shipped beside this module as
calibration.json. Every feature is read off what the run already has; none is tuned per program.

What is not in it: the engine (every bench row is the offline rule engine, so a model's patches
get the same mapping, unfitted), and the caps (an anti-pattern, an unresolved disagreement, a
change like the passing tests', an uncompared rival, a single covering test), which stay caps below
the threshold: they are decisions, not evidence to weigh. So the model is fitted on the patches no
cap held back, and a held-back patch's value is what the bench says of held-back patches: the share
of them that were right (`held_back`, fitted beside the weights; always below the threshold), not
the fixed value just under the threshold a cap once left (0.45, while 3 of 10 such were right).
The threshold for `fixed` (select.CONFIDENCE_THRESHOLD) is unchanged. Without the weights file the
old weighted mean stands.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["FEATURES", "WEIGHTS_FILE", "calibrated", "features", "held_back", "load_weights"]

WEIGHTS_FILE = Path(__file__).with_name("calibration.json")
MAX_COVERING = 6  # covering tests beyond this add nothing the model could learn from the bench
MAX_RIVALS = 3  # distinct passing patches beyond the chosen one, counted up to this
FOUND_NOTHING = ("exhausted", "no_counterexample_within_bound")

# name -> what it measures (x in [0, 1])
FEATURES = {
    "covering": f"tests that run the changed code, / {MAX_COVERING} (capped)",
    "rivals": f"distinct passing patches besides the chosen one, / {MAX_RIVALS} (capped)",
    "verifier": "1 when the verifier searched the changed functions and found nothing",
    "uncompared": "1 when the chosen patch's behaviour outside the tests is unknown, not compared, or "
                  "compared only on inputs where it changes nothing",
}


def features(covering: int, distinct: int, verifier: str, evidence: Any) -> dict[str, float]:
    """The model's inputs for one chosen patch. `evidence` is its agent/fix/evidence.Evidence or None
    (the stage off, or nothing gathered)."""
    compared = evidence is not None and evidence.known and not evidence.vacuous
    return {"covering": min(covering, MAX_COVERING) / MAX_COVERING,
            "rivals": min(max(distinct - 1, 0), MAX_RIVALS) / MAX_RIVALS,
            "verifier": 1.0 if verifier in FOUND_NOTHING else 0.0,
            "uncompared": 0.0 if compared else 1.0}


def load_weights(path: Path = WEIGHTS_FILE) -> dict[str, Any] | None:
    """The fitted model ({"bias", "weights": {feature: w}, ...}), None when missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        float(data["bias"])
        if set(data["weights"]) != set(FEATURES):
            return None
        return data
    except (OSError, ValueError, KeyError, TypeError):
        return None


def calibrated(values: dict[str, float], model: dict[str, Any] | None) -> float | None:
    """The probability the model gives a patch with these feature values (None without a model)."""
    if model is None:
        return None
    z = float(model["bias"]) + sum(float(model["weights"][name]) * values[name] for name in FEATURES)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def held_back(model: dict[str, Any] | None) -> float | None:
    """The probability the model gives a patch held back below the threshold (a cap, or its own low
    value): the bench's share of such patches that were right. None without one."""
    if model is None or "held_back" not in model:
        return None
    try:
        return max(0.0, min(float(model["held_back"]), 1.0))
    except (TypeError, ValueError):
        return None
