"""Fitting the confidence model suture ships (agent/fix/calibration.py) on bench_fix.py's rows.

The model is a logistic regression over four features of the chosen patch (calibration.FEATURES),
fitted by plain gradient descent with an L2 penalty: the bench has a few dozen labelled patches,
so without the penalty one lucky feature takes an infinite weight. It is fitted on the returned
patches no cap held back (a cap is a decision, not evidence: the product keeps such a patch below
the threshold whatever the model says); the held-back patches give one number, `held_back`, the
(add-one smoothed) share of them that were right, which the product shows as their confidence.
Each returned patch (claimed or plausible) is labelled by the tests suture never saw.

Rows: bench/bugs and the bench/faults libraries of the train group, evidence on (the product's
default). The held-out libraries (`group = "heldout"` in bench/faults/libraries.toml: parse, schema,
jmespath) are never fitted on; they are the validation. Cross-validation on the fitted rows
leaves one bug *kind* (off-by-one, wrong-operator, ...; a fault's operator class) out at a time:
the question is whether the model carries over to a kind of bug it was not fitted on, not to
another run of the same case.

Rows written before the model existed carry no `features`; they are read back from the reasons
suture gave (the same quantities: covering tests, verifier, behaviour summary, distinct patches).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path

from suture.agent.fix.calibration import FEATURES, FOUND_NOTHING, MAX_COVERING, MAX_RIVALS, WEIGHTS_FILE, calibrated
from suture.agent.fix.select import MIN_COVERING_TESTS, THIN_CAP

import calibration as tables

L2 = 1.0  # penalty on the weights (not the bias), fixed in advance: there is too little data to tune it
STEPS = 4000
RATE = 0.5
THRESHOLD = 0.5  # select.CONFIDENCE_THRESHOLD; the model does not move it
RISK_PENALTY = 0.15  # select.confidence's, applied after the model as in the product
LIBRARIES = Path(__file__).resolve().parent / "faults" / "libraries.toml"


def heldout_libraries() -> set[str]:
    """The bench/faults libraries never fitted on (libraries.toml's `group = "heldout"`)."""
    try:
        data = tomllib.loads(LIBRARIES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {lib["name"] for lib in data.get("library", []) if lib.get("group") == "heldout"}


def library(row: dict) -> str:
    return row["name"].split(":", 1)[0] if row.get("source") == "fault" else ""


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


def capped(row: dict, values: dict[str, float]) -> bool:
    """Did a cap hold the patch back, whatever the model said (an anti-pattern, an unresolved
    question, the evidence unseen, a single covering test)?"""
    reasons = row.get("reasons") or []
    return any(r.startswith(("unresolved:", "anti-pattern:")) for r in reasons) or \
        round(values["covering"] * MAX_COVERING) < MIN_COVERING_TESTS


def fit(data: list[tuple[dict, dict[str, float], bool]]) -> dict:
    """The model: weights fitted on the patches no cap held back, and `held_back`, the smoothed share
    of right patches among those a cap held back (below the threshold whatever it comes to)."""
    free = [d for d in data if not capped(d[0], d[1])]
    held = [ok for row, x, ok in data if capped(row, x)]
    model = _logistic(free)
    model["held_back"] = round(min((sum(held) + 1) / (len(held) + 2), THRESHOLD - 0.05), 4)
    model["rows_held_back"] = len(held)
    return model


def _logistic(data: list[tuple[dict, dict[str, float], bool]]) -> dict:
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
    held = capped(row, values)
    risks = sum(r.startswith("risk:") for r in reasons)
    value = max(0.0, calibrated(values, model) - RISK_PENALTY * risks)
    if held:
        value = min(value, THIN_CAP, float(row["confidence"]))
    if value < THRESHOLD and "held_back" in model:  # as agent/fix/choose.py's _held_back
        value = min(value, float(model["held_back"]))
    ok = bool(tables.returned(row)[1])
    claimed = value >= THRESHOLD and not held
    return {**row, "confidence": value, "claimed_fixed": claimed, "correct": ok and claimed,
            "plausible": not claimed, "plausible_correct": ok and not claimed, "fixed": ok and claimed}


def fit_report(rows: list[dict], write: bool = False) -> str:
    heldout = heldout_libraries()
    on = [r for r in rows if r.get("evidence", "on") == "on" and r["source"] in ("bug", "fault")]
    train = [r for r in on if library(r) not in heldout]
    valid = [r for r in on if library(r) in heldout]
    data = labelled(train)
    model = fit(data)
    kinds = sorted({r.get("kind", "") for r, _, _ in data})
    cross = []
    for kind in kinds:
        held = [d for d in data if d[0].get("kind", "") == kind]
        rest = fit([d for d in data if d[0].get("kind", "") != kind])
        cross += [predicted(r, x, rest) for r, x, _ in held]
    fitted = sum(1 for r, x, _ in data if not capped(r, x))
    lines = [f"Confidence model fitted on {len(data)} returned patches of bench/bugs and the train libraries of "
             f"bench/faults (evidence on), {len(kinds)} kinds: the weights on the {fitted} no cap held back, "
             f"`held_back` {model['held_back']:.2f} from the {model['rows_held_back']} held back; L2 {L2}:", "",
             "| feature | what it measures | weight |", "|---|---|---:|",
             f"| bias | | {model['bias']:+.2f} |"]
    lines += [f"| {k} | {FEATURES[k]} | {model['weights'][k]:+.2f} |" for k in FEATURES]

    def unrated(group: list[dict]) -> list[dict]:
        return [r for r in group if tables.returned(r) is None or row_features(r) is None]

    for source, name in (("bug", "bench/bugs"), ("fault", "bench/faults, train libraries")):
        before = [r for r in train if r["source"] == source]
        if not before:
            continue
        after = [r for r in cross if r["source"] == source] + unrated(before)
        lines += ["", f"Before (the rows as run), {name}:", "", _reliability(before), "",
                  f"After, leave-one-kind-out (each kind rated by a model fitted without it), {name}:", "",
                  _reliability(after), "", tables.trust_table(after)]
    if valid:
        after = [predicted(r, x, model) for r, x, _ in labelled(valid)] + unrated(valid)
        lines += ["", f"Before (the rows as run), bench/faults held-out libraries ({', '.join(sorted(heldout))}; "
                  "never fitted on):", "", _reliability(valid), "",
                  "After (the model fitted on every train row), held-out libraries:", "", _reliability(after), "",
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
