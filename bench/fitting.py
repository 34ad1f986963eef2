"""Fitting the confidence model suture ships (agent/fix/calibration.py) on bench_fix.py's rows.

The model is a logistic regression over four features of the chosen patch (calibration.FEATURES),
fitted by plain gradient descent with an L2 penalty: the bench has a few dozen labelled patches,
so without the penalty one lucky feature takes an infinite weight. Rows are the bench/bugs rows
with the evidence stage on (the product's default); each returned patch (claimed or plausible) is
labelled by the held-back tests. Cross-validation leaves one bug *kind* out at a time
(off-by-one, wrong-operator, ...): the question is whether the model carries over to a kind of
bug it was not fitted on, not to another run of the same case. bench/faults rows are never
fitted on; they are the validation.

Rows written before the model existed carry no `features`; they are read back from the reasons
suture gave (the same quantities: covering tests, verifier, behaviour summary, distinct patches).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from suture.agent.fix.calibration import FEATURES, FOUND_NOTHING, MAX_COVERING, MAX_RIVALS, WEIGHTS_FILE, calibrated
from suture.agent.fix.select import MIN_COVERING_TESTS, THIN_CAP

import calibration as tables

L2 = 1.0  # penalty on the weights (not the bias), fixed in advance: there is too little data to tune it
STEPS = 4000
RATE = 0.5
THRESHOLD = 0.5  # select.CONFIDENCE_THRESHOLD; the model does not move it
RISK_PENALTY = 0.15  # select.confidence's, applied after the model as in the product


def row_features(row: dict) -> dict[str, float] | None:
    if row.get("features"):
        return {name: float(row["features"][name]) for name in FEATURES}
    reasons = row.get("reasons") or []
    covering = next((int(m.group(1)) for r in reasons for m in [re.match(r"(\d+) test\(s\) run the changed code", r)]
                     if m), None)
    if covering is None:
        return None
    verifier = next((r.split(": ", 1)[1] for r in reasons if r.startswith("verifier: ")), "not_run")
    behaviour = next((r for r in reasons if r.startswith("behaviour: ")), "")
    compared = behaviour.startswith("behaviour: changes HEAD's result on ") and \
        not behaviour.startswith("behaviour: changes HEAD's result on 0 of")
    distinct = int(row.get("distinct_passing") or 1)
    return {"covering": min(covering, MAX_COVERING) / MAX_COVERING,
            "rivals": min(max(distinct - 1, 0), MAX_RIVALS) / MAX_RIVALS,
            "verifier": 1.0 if verifier in FOUND_NOTHING else 0.0,
            "uncompared": 0.0 if compared else 1.0}


def labelled(rows: list[dict]) -> list[tuple[dict, dict[str, float], bool]]:
    """(row, features, correct) for every row that returned a patch and whose features can be read."""
    out = []
    for row in rows:
        pair = tables.returned(row)
        values = row_features(row)
        if pair is not None and values is not None:
            out.append((row, values, pair[1]))
    return out


def fit(data: list[tuple[dict, dict[str, float], bool]]) -> dict:
    names = list(FEATURES)
    bias, weights = 0.0, {n: 0.0 for n in names}
    n = max(1, len(data))
    for _ in range(STEPS):
        grad_b, grad = 0.0, {k: 0.0 for k in names}
        for _, x, y in data:
            z = bias + sum(weights[k] * x[k] for k in names)
            err = 1.0 / (1.0 + math.exp(-z)) - float(y)
            grad_b += err
            for k in names:
                grad[k] += err * x[k]
        bias -= RATE * grad_b / n
        for k in names:
            weights[k] -= RATE * (grad[k] / n + L2 * weights[k] / n)
    return {"bias": round(bias, 4), "weights": {k: round(v, 4) for k, v in weights.items()}, "rows": len(data),
            "l2": L2, "features": FEATURES}


def predicted(row: dict, values: dict[str, float], model: dict) -> dict:
    """`row` as the product with `model` would have rated it: the calibrated value (risks taken off, as
    in the product), capped rows kept capped, claimed when at or above the threshold and not capped."""
    reasons = row.get("reasons") or []
    capped = any(r.startswith(("unresolved:", "anti-pattern:")) for r in reasons)
    risks = sum(r.startswith("risk:") for r in reasons)
    value = max(0.0, calibrated(values, model) - RISK_PENALTY * risks)
    if round(values["covering"] * MAX_COVERING) < MIN_COVERING_TESTS:  # the product's thin-evidence cap
        value, capped = min(value, THIN_CAP), True
    if capped:
        value = min(value, float(row["confidence"]))
    ok = bool(tables.returned(row)[1])
    claimed = value >= THRESHOLD and not capped
    return {**row, "confidence": value, "claimed_fixed": claimed, "correct": ok and claimed,
            "plausible": not claimed, "plausible_correct": ok and not claimed, "fixed": ok and claimed}


def fit_report(rows: list[dict], write: bool = False) -> str:
    bugs = [r for r in rows if r["source"] == "bug" and r.get("evidence", "on") == "on"]
    faults = [r for r in rows if r["source"] == "fault" and r.get("evidence", "on") == "on"]
    data = labelled(bugs)
    model = fit(data)
    kinds = sorted({r.get("kind", "") for r, _, _ in data})
    cross = []
    for kind in kinds:
        held = [d for d in data if d[0].get("kind", "") == kind]
        rest = fit([d for d in data if d[0].get("kind", "") != kind])
        cross += [predicted(r, x, rest) for r, x, _ in held]
    unlabelled = [r for r in bugs if tables.returned(r) is None]
    lines = [f"Confidence model fitted on {len(data)} returned bench/bugs patches (evidence on), "
             f"{len(kinds)} bug kinds; L2 {L2}:", "",
             "| feature | what it measures | weight |", "|---|---|---:|",
             f"| bias | | {model['bias']:+.2f} |"]
    lines += [f"| {k} | {FEATURES[k]} | {model['weights'][k]:+.2f} |" for k in FEATURES]
    before = [r for r in bugs]
    lines += ["", "Before (the shipped weighted mean), bench/bugs:", "", _reliability(before), "",
              "After, leave-one-kind-out (each kind rated by a model fitted without it), bench/bugs:", "",
              _reliability(cross + unlabelled), "", tables.trust_table(cross + unlabelled)]
    if faults:
        after = [predicted(r, x, model) for r, x, _ in labelled(faults)] + [r for r in faults if tables.returned(r) is None
                                                                             or row_features(r) is None]
        lines += ["", "Before, bench/faults (validation, never fitted on):", "", _reliability(faults), "",
                  "After (the model fitted on every bench/bugs row), bench/faults:", "", _reliability(after), "",
                  tables.trust_table(after)]
    if write:
        Path(WEIGHTS_FILE).write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
        lines += ["", f"weights written to {WEIGHTS_FILE}"]
    return "\n".join(lines)


def _reliability(rows: list[dict]) -> str:
    table, ece = tables.reliability(rows)
    out = [f"ECE {'-' if ece is None else f'{ece:.2f}'}", "", "| confidence | patches | mean confidence | correct |",
           "|---|---:|---:|---:|"]
    for b in table:
        lo, hi = b["bin"]
        label = f"[{lo:.2f}, {hi:.2f}{']' if hi >= 1.0 else ')'}"
        out.append(f"| {label} | 0 | - | - |" if not b["n"] else
                   f"| {label} | {b['n']} | {b['mean_confidence']:.2f} | {b['right']} ({100 * b['correct']:.0f}%) |")
    return "\n".join(out)
