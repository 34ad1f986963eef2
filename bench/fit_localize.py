"""Fit localisation's combination weights on the seeded-fault feature table, cross-validated by library.

The model is linear: a suspect's score is sum(weight[f] * feature[f]) over the features of
tools/testing/features.py (each in [0, 1]). It is fitted as a pairwise ranking (RankNet's loss,
linear): for every fault, the true function against each other suspect, the logistic loss of
the score difference, every fault weighing the same, plus an L2 penalty; solved by Newton's
method (a handful of weights, no dependency beyond the standard library).

Scored (ranks with ties at their middle, as bench/bench_localize.py counts them):
- cross-validation by library over the train group: each library ranked by weights fitted on
  the other train libraries only;
- the held-out group (bench/faults/libraries.toml `group = "heldout"`), ranked by the weights
  fitted on the whole train group, which are the shipped ones;
- an ablation: the cross-validation again with one feature dropped at a time;
- beside them, the table's baselines: plain Ochiai and the hand-set combination.

    python bench/fit_localize.py [--table bench/faults/features.jsonl]... [--write-weights] [--results]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TABLE = HERE / "faults" / "features.jsonl"
WEIGHTS_OUT = ROOT / "tools" / "testing" / "localize_weights.json"
L2 = 1.0  # in units of one fault's loss: the weights stay small unless many faults ask otherwise
NEWTON_STEPS = 30
TOPS = (1, 3, 5)


# -- fitting ------------------------------------------------------------------------------------

def pairs(rows: Iterable[dict], features: Sequence[str]) -> list[tuple[list[float], float]]:
    """(truth's features - another suspect's, the pair's weight) for every fault whose truth is a suspect;
    each fault's pairs weigh 1 in all."""
    found = []
    for row in rows:
        truth = _truth(row)
        if truth is None:
            continue
        others = [s for s in row["suspects"] if (s["path"], s["symbol"]) != tuple(row["truth"])]
        for other in others:
            diff = [truth["features"].get(f, 0.0) - other["features"].get(f, 0.0) for f in features]
            if any(diff):
                found.append((diff, 1.0 / len(others)))
    return found


def fit(rows: Sequence[dict], features: Sequence[str], l2: float = L2) -> dict[str, float]:
    """The weights minimising sum(pair weight * log(1 + exp(-w . diff))) + l2 / 2 * |w|^2."""
    data = pairs(rows, features)
    d = len(features)
    w = [0.0] * d
    for _ in range(NEWTON_STEPS):
        grad = [l2 * wi for wi in w]
        hess = [[l2 if i == j else 0.0 for j in range(d)] for i in range(d)]
        for diff, c in data:
            margin = sum(wi * xi for wi, xi in zip(w, diff))
            p = _sigmoid(-margin)  # the pair's probability of being misordered
            for i in range(d):
                if diff[i]:
                    grad[i] -= c * p * diff[i]
                    scale = c * p * (1 - p) * diff[i]
                    for j in range(d):
                        hess[i][j] += scale * diff[j]
        step = solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return {f: round(wi, 4) for f, wi in zip(features, w)}


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def solve(a: list[list[float]], b: list[float]) -> list[float]:
    """x with a x = b (Gaussian elimination, partial pivoting; a is positive definite here)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= factor * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


# -- scoring ------------------------------------------------------------------------------------

def _truth(row: dict) -> dict | None:
    return next((s for s in row.get("suspects", ()) if (s["path"], s["symbol"]) == tuple(row["truth"])), None)


def rank_of_truth(row: dict, weights: dict[str, float]) -> float:
    """The truth's place under `weights`, ties at their middle; past every suspect when it is none."""
    def score(s):
        return sum(w * s["features"].get(f, 0.0) for f, w in weights.items())

    truth = _truth(row)
    if truth is None:
        return len(row["suspects"]) + (max(row["units"], len(row["suspects"]) + 1) - len(row["suspects"]) + 1) / 2
    mine = score(truth)
    scores = [score(s) for s in row["suspects"]]
    better = sum(1 for v in scores if v > mine + 1e-12)
    ties = sum(1 for v in scores if abs(v - mine) <= 1e-12)
    return better + (ties + 1) / 2


def tops(ranks: Sequence[float]) -> dict[int, float]:
    return {k: 100 * sum(r <= k for r in ranks) / len(ranks) if ranks else 0.0 for k in TOPS}


def cross_validated(rows: Sequence[dict], features: Sequence[str], l2: float = L2) -> dict[str, float]:
    """fault id -> the truth's rank under weights fitted without the fault's library."""
    ranks = {}
    for library in sorted({r["library"] for r in rows}):
        weights = fit([r for r in rows if r["library"] != library], features, l2)
        for row in rows:
            if row["library"] == library:
                ranks[row["id"]] = rank_of_truth(row, weights)
    return ranks


# -- report -------------------------------------------------------------------------------------

def load(tables: Sequence[Path]) -> list[dict]:
    rows = []
    for table in tables:
        rows += [json.loads(line) for line in table.read_text().splitlines() if line.strip()]
    return [r for r in rows if "suspects" in r and not r.get("error")]


def table_row(name: str, ranks: Sequence[float]) -> str:
    share = tops(ranks)
    return f"| {name} | {len(ranks)} | " + " | ".join(f"{share[k]:.1f}%" for k in TOPS) + " |"


def report(rows: list[dict], features: Sequence[str], l2: float = L2) -> tuple[dict[str, float], list[str]]:
    """(the weights fitted on the whole train group, the markdown lines of the results)."""
    train = [r for r in rows if r.get("group", "train") == "train"]
    heldout = [r for r in rows if r.get("group") == "heldout"]
    shipped = fit(train, features, l2)
    cv = cross_validated(train, features, l2)
    header = ["| ranking | faults | top-1 | top-3 | top-5 |", "|---|---:|---:|---:|---:|"]
    lines = [f"Train group: {len(train)} faults of {', '.join(sorted({r['library'] for r in train}))} "
             f"(cross-validated by library: each library ranked by weights fitted on the others); held out: "
             f"{len(heldout)} faults of {', '.join(sorted({r['library'] for r in heldout})) or 'none'} "
             f"(ranked by the weights fitted on the whole train group). L2 {l2}.", ""]
    for title, group, fitted in (("train (cross-validated)", train, [cv[r["id"]] for r in train]),
                                 ("held out", heldout, [rank_of_truth(r, shipped) for r in heldout])):
        if not group:
            continue
        lines += [f"**{title}**", "", *header,
                  table_row("plain Ochiai", [r["baseline_ranks"]["plain ochiai"] for r in group]),
                  table_row("suture SBFL alone (ochiai + failure evidence)",
                            [rank_of_truth(r, {"ochiai": 1.0}) for r in group]),
                  table_row("hand-set combination (before)", [r["baseline_ranks"]["hand"] for r in group]),
                  table_row("fitted combination", fitted), ""]
    lines += ["Weights fitted on the whole train group (shipped in tools/testing/localize_weights.json):", "",
              "| feature | weight |", "|---|---:|", *[f"| {f} | {w:+.4f} |" for f, w in shipped.items()], ""]
    if train:
        base = tops([cv[r["id"]] for r in train])
        lines += ["Ablation (train group, cross-validated by library; one feature dropped at a time):", "",
                  "| dropped | top-1 | top-3 | top-5 | top-1 change |", "|---|---:|---:|---:|---:|",
                  f"| (none) | {base[1]:.1f}% | {base[3]:.1f}% | {base[5]:.1f}% | |"]
        for feature in features:
            kept = [f for f in features if f != feature]
            ablated = cross_validated(train, kept, l2)
            share = tops([ablated[r["id"]] for r in train])
            lines.append(f"| {feature} | {share[1]:.1f}% | {share[3]:.1f}% | {share[5]:.1f}% | "
                         f"{share[1] - base[1]:+.1f} |")
    return shipped, lines


def main(argv: list[str] | None = None) -> int:
    from suture.tools.testing.features import FEATURES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, action="append", help="feature table(s) (default bench/faults/features.jsonl)")
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--write-weights", action="store_true", help=f"write the train-group fit to {WEIGHTS_OUT}")
    parser.add_argument("--weights-out", type=Path, default=WEIGHTS_OUT)
    parser.add_argument("--results", action="store_true", help="append the report to bench/RESULTS.md")
    parser.add_argument("--note", action="append", default=[], help="a paragraph put before the report (how the table was made)")
    args = parser.parse_args(argv)
    rows = load(args.table or [TABLE])
    if not rows:
        print("fit_localize: the feature table has no usable row.", file=sys.stderr)
        return 2
    shipped, lines = report(rows, FEATURES, args.l2)
    text = "\n\n".join([*args.note, "\n".join(lines)])
    print(text)
    if args.write_weights:
        train = sorted({r["library"] for r in rows if r.get("group", "train") == "train"})
        args.weights_out.write_text(json.dumps({
            "weights": shipped,
            "model": "linear score sum(weight * feature), pairwise logistic loss with L2, Newton's method",
            "fitted_by": "bench/fit_localize.py", "l2": args.l2, "train_libraries": train,
            "train_faults": sum(1 for r in rows if r.get("group", "train") == "train"),
            "features": "tools/testing/features.py",
        }, indent=2) + "\n")
    if args.results:
        sys.path.insert(0, str(HERE))
        from common import append_results

        append_results("Localisation: fitted combination (bench/fit_localize.py, issue 19)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
