"""Does `suture fix`'s confidence mean what it says? Trust measures over the repair bench's rows.

bench/bench_fix.py judges every patch suture returns with tests suture never sees (bench/bugs:
the held-back suite; bench/faults: the library's original code, see bench_fix.FaultCase.judge)
and writes one JSON line per case and evidence setting (`--rows-out`). From those rows:

- the trust table, per corpus and evidence setting: patches claimed `fixed`, how many of them
  are correct (precision) and how many are not (claimed-but-wrong), correct patches held back as
  `plausible` (demoted) as a share of every correct patch returned, correct overall, and the
  median wall time of the cases that ended fixed;
- the reliability table: every returned patch (claimed or plausible) binned by its confidence,
  against the share that is correct; a calibrated confidence has the share close to the bin's mean
  confidence (the expected calibration error sums the gaps, weighted by the bins' sizes);
- the cost of the evidence stage: the median time to fix with SUTURE_EVIDENCE=on over the same with
  off, from the same run (bench_fix.py --evidence both runs every case both ways back to back).

    python bench/calibration.py ROWS.jsonl [ROWS.jsonl ...] [--append]

`--fit` fits the confidence model suture ships (agent/fix/calibration.py: a logistic model over a few
features of the chosen patch's evidence) on the bench/bugs rows with evidence on, reports its
leave-one-kind-out cross-validated reliability (each bug kind predicted by a model fitted without
it) and its reliability on the bench/faults rows (never fitted on), and with `--write` stores the
weights in agent/fix/calibration.json:

    python bench/calibration.py ROWS.jsonl ... --fit [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import append_results, median  # noqa: E402

BINS = [(0.0, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.85), (0.85, 1.0001)]
TARGETS = {"precision": 0.95, "claimed_wrong_bugs": 2, "demoted": 0.10, "correct_bugs": 0.61, "cost": 0.20}
NAMES = {"bug": "bench/bugs", "fault": "bench/faults"}


def returned(row: dict) -> tuple[float, bool] | None:
    """(confidence, correct) of the patch the case returned, claimed or plausible; None without one."""
    value = row.get("confidence")
    if value is None:
        return None
    if row.get("claimed_fixed"):
        return float(value), bool(row.get("correct"))
    if row.get("plausible"):
        return float(value), bool(row.get("plausible_correct"))
    return None


def trust(rows: list[dict]) -> dict:
    claimed = [r for r in rows if r.get("claimed_fixed")]
    right = sum(bool(r.get("correct")) for r in claimed)
    demoted = sum(bool(r.get("plausible_correct")) and not r.get("claimed_fixed") for r in rows)
    fix_secs = [r["seconds"] for r in rows if r.get("fixed") and r.get("seconds") is not None]
    return {"n": len(rows), "claimed": len(claimed), "claimed_correct": right, "claimed_wrong": len(claimed) - right,
            "precision": right / len(claimed) if claimed else None, "correct": sum(bool(r.get("correct")) for r in rows),
            "demoted": demoted, "correct_returned": right + demoted,
            "median_fix_seconds": median(fix_secs) if fix_secs else None,
            "wrong": sorted(r["name"] for r in claimed if not r.get("correct")),
            "demoted_names": sorted(r["name"] for r in rows if r.get("plausible_correct") and not r.get("claimed_fixed"))}


def groups(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    by: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        by[(r["source"], r.get("evidence", "on"))].append(r)
    return dict(sorted(by.items()))


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def trust_table(rows: list[dict]) -> str:
    lines = ["| corpus | evidence | n | claimed fixed | correct of claimed (precision) | claimed but wrong | "
             "correct shown as plausible (of correct returned) | correct overall | median s to fix |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for (source, mode), group in groups(rows).items():
        t = trust(group)
        precision = "-" if t["precision"] is None else f"{t['claimed_correct']} ({100 * t['precision']:.0f}%)"
        secs = "-" if t["median_fix_seconds"] is None else f"{t['median_fix_seconds']:.1f}"
        lines.append(f"| {NAMES.get(source, source)} | {mode} | {t['n']} | {t['claimed']} | {precision} | "
                     f"{t['claimed_wrong']} | {t['demoted']} ({_pct(t['demoted'], t['correct_returned'])}) | "
                     f"{t['correct']} ({_pct(t['correct'], t['n'])}) | {secs} |")
    return "\n".join(lines)


def reliability(rows: list[dict]) -> tuple[list[dict], float | None]:
    """Per confidence bin: patches, mean confidence, share correct; and the expected calibration error."""
    pairs = [p for p in (returned(r) for r in rows) if p is not None]
    out, gap = [], 0.0
    for lo, hi in BINS:
        inside = [(c, ok) for c, ok in pairs if lo <= c < hi]
        if not inside:
            out.append({"bin": (lo, min(hi, 1.0)), "n": 0})
            continue
        mean_conf = sum(c for c, _ in inside) / len(inside)
        share = sum(ok for _, ok in inside) / len(inside)
        gap += len(inside) * abs(mean_conf - share)
        out.append({"bin": (lo, min(hi, 1.0)), "n": len(inside), "mean_confidence": mean_conf, "correct": share,
                    "right": sum(ok for _, ok in inside)})
    return out, (gap / len(pairs) if pairs else None)


def reliability_table(rows: list[dict]) -> str:
    lines = []
    for (source, mode), group in groups(rows).items():
        table, ece = reliability(group)
        lines += ["", f"Reliability, {NAMES.get(source, source)}, evidence {mode} (every returned patch, claimed "
                  f"or plausible; confidence >= 0.5 is delivered as `fixed`); expected calibration error "
                  f"{'-' if ece is None else f'{ece:.2f}'}:", "",
                  "| confidence | patches | mean confidence | pass held-back (correct) |", "|---|---:|---:|---:|"]
        for b in table:
            lo, hi = b["bin"]
            label = f"[{lo:.2f}, {hi:.2f}{']' if hi >= 1.0 else ')'}"
            if not b["n"]:
                lines.append(f"| {label} | 0 | - | - |")
            else:
                lines.append(f"| {label} | {b['n']} | {b['mean_confidence']:.2f} | {b['right']} ({100 * b['correct']:.0f}%) |")
    return "\n".join(lines).lstrip("\n")


def cost(rows: list[dict]) -> dict | None:
    """Evidence on vs off on the bugs corpus of one run: ratio of medians, and the median paired ratio."""
    on = {r["name"]: r for r in rows if r["source"] == "bug" and r.get("evidence") == "on"}
    off = {r["name"]: r for r in rows if r["source"] == "bug" and r.get("evidence") == "off"}
    if not on or not off:
        return None
    med_on = median([r["seconds"] for r in on.values() if r.get("fixed")] or [0.0])
    med_off = median([r["seconds"] for r in off.values() if r.get("fixed")] or [0.0])
    both = [n for n in on if n in off and on[n].get("fixed") and off[n].get("fixed")]
    paired = median([on[n]["seconds"] / off[n]["seconds"] for n in both if off[n]["seconds"] > 0] or [0.0])
    return {"on": med_on, "off": med_off, "ratio": med_on / med_off if med_off else None, "paired": paired,
            "pairs": len(both)}


def verdicts(rows: list[dict]) -> list[str]:
    """The issue's numbers against their targets, from the evidence-on rows."""
    lines = []
    for (source, mode), group in groups(rows).items():
        if mode != "on":
            continue
        t = trust(group)
        name = NAMES.get(source, source)
        if t["precision"] is not None:
            lines.append(f"- {name}: precision of `fixed` {100 * t['precision']:.0f}% (target >= 95%: "
                         f"{'met' if t['precision'] >= TARGETS['precision'] else '**missed**'}); claimed but wrong "
                         f"{t['claimed_wrong']}{' (' + ', '.join(t['wrong']) + ')' if t['wrong'] else ''}")
        if t["correct_returned"]:
            share = t["demoted"] / t["correct_returned"]
            lines.append(f"- {name}: correct patches shown as plausible {t['demoted']} of {t['correct_returned']} "
                         f"({100 * share:.0f}%, target <= 10%: {'met' if share <= TARGETS['demoted'] else '**missed**'})"
                         f"{' (' + ', '.join(t['demoted_names']) + ')' if t['demoted_names'] else ''}")
        if source == "bug":
            ok = t["claimed_wrong"] <= TARGETS["claimed_wrong_bugs"]
            lines.append(f"- {name}: claimed but wrong {t['claimed_wrong']} (target <= 2: {'met' if ok else '**missed**'})")
            share = t["correct"] / t["n"] if t["n"] else 0.0
            lines.append(f"- {name}: correct {t['correct']} of {t['n']} ({100 * share:.0f}%, target >= 61%: "
                         f"{'met' if share >= TARGETS['correct_bugs'] else '**missed**'})")
    c = cost(rows)
    if c and c["ratio"]:
        lines.append(f"- evidence cost: median time to fix {c['on']:.1f} s on vs {c['off']:.1f} s off = "
                     f"{c['ratio']:.2f}x (target <= 1.20x: {'met' if c['ratio'] <= 1 + TARGETS['cost'] else '**missed**'}); "
                     f"median per-case ratio over the {c['pairs']} cases fixed both ways {c['paired']:.2f}x")
    return lines


def report(rows: list[dict]) -> str:
    return "\n".join(["Trust (patches judged by tests suture never sees):", "", trust_table(rows), "",
                      *verdicts(rows), "", reliability_table(rows)])


def load(paths: list[Path]) -> list[dict]:
    rows = []
    for path in paths:
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Precision and calibration of suture fix from bench_fix.py's rows.")
    parser.add_argument("rows", nargs="+", type=Path, help="JSON lines written by bench_fix.py --rows-out")
    parser.add_argument("--append", action="store_true", help="append the tables to bench/RESULTS.md")
    parser.add_argument("--fit", action="store_true", help="fit the confidence model (see the module docstring)")
    parser.add_argument("--write", action="store_true", help="with --fit: store the weights in agent/fix/calibration.json")
    args = parser.parse_args(argv)
    try:
        rows = load(args.rows)
    except (OSError, ValueError) as error:
        print(f"cannot read the rows: {error}", file=sys.stderr)
        return 2
    if args.fit:
        import fitting  # bench/fitting.py, beside this script (it reads these tables back)

        text = fitting.fit_report(rows, write=args.write)
    else:
        text = report(rows)
    print(text)
    if args.append:
        append_results("Trust and calibration (`suture fix`, bench/calibration.py)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
