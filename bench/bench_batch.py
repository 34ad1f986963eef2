"""`suture batch --workers 2` against one `suture fix` at a time, on the bench/bugs corpus.

Both modes get fresh copies of the same buggy repos and the same `--time-limit`; the bench
measures each mode's wall time (ratio batch / one-at-a-time; target <= 0.6 on 2 cores) and
compares what the tool said per case: its status (fixed / not_fixed / plausible) and its patch.
The load average is noted before and after each mode: other work on the machine slows either
mode, and runs that end at their time limit can end differently under a different load.

    python bench/bench_batch.py [--limit N] [--time-limit 60] [--workers 2] [--no-results]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_fix  # noqa: E402
from common import append_results  # noqa: E402

RATIO_TARGET = 0.6


def verdict(report: dict) -> str:
    status = str(report.get("status"))
    return "plausible" if status == "not_fixed" and report.get("plausible") else status


def side(report: dict) -> str:
    return f"{verdict(report)}, {report.get('exit_code')}, {float(report.get('wall') or 0):.0f} s"


def spent(reports: dict[str, dict]) -> int:
    return sum(r.get("exit_code") == 5 for r in reports.values())


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="suture batch --workers N vs one suture fix at a time.")
    parser.add_argument("--limit", type=int, help="the first N bugs of the corpus")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-results", action="store_true", help="print, do not append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    cases = bench_fix.bug_cases(None)[: args.limit]
    loads = {}
    with tempfile.TemporaryDirectory(prefix="suture-batchbench-") as tmp:
        tmp = Path(tmp)
        one_by_one: dict[str, dict] = {}
        loads["one at a time"] = [load()]
        start = time.perf_counter()
        for i, case in enumerate(cases, 1):
            repo = case.prepare(tmp / "single" / case.name)
            one_by_one[case.name] = bench_fix.run_suture_fix(repo, args.time_limit)
            print(f"[single {i}/{len(cases)}] {case.name}: {verdict(one_by_one[case.name])}", file=sys.stderr)
        single_wall = time.perf_counter() - start
        loads["one at a time"].append(load())
        repos = {case.name: case.prepare(tmp / "batch" / case.name) for case in cases}
        loads["batch"] = [load()]
        batched, batch_wall = bench_fix.batch_reports(repos, tmp / "work", args.time_limit, args.workers)
        loads["batch"].append(load())
    differ = [name for name in one_by_one
              if (verdict(one_by_one[name]), one_by_one[name].get("patch") or "")
              != (verdict(batched.get(name, {})), batched.get(name, {}).get("patch") or "")]
    ratio = batch_wall / single_wall
    counts = {}
    for report in one_by_one.values():
        counts[verdict(report)] = counts.get(verdict(report), 0) + 1
    lines = [
        f"{len(cases)} bugs of bench/bugs, `suture fix --json --time-limit {args.time_limit:g}` each; "
        f"one at a time vs. one `suture batch --workers {args.workers}`.",
        "",
        "| mode | wall s | load average before -> after |",
        "|---|---:|---|",
        f"| one at a time | {single_wall:.1f} | {loads['one at a time'][0]} -> {loads['one at a time'][1]} |",
        f"| batch --workers {args.workers} | {batch_wall:.1f} | {loads['batch'][0]} -> {loads['batch'][1]} |",
        "",
        f"Wall ratio batch / one at a time: {ratio:.2f} (target <= {RATIO_TARGET}: "
        f"{'met' if ratio <= RATIO_TARGET else '**missed**'}).",
        f"Verdicts one at a time: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}.",
        f"Same status and same patch in both modes: {len(cases) - len(differ)} of {len(cases)}"
        + (f"; differing (one at a time vs batch: verdict, exit code, seconds): "
           f"{', '.join(f'{n} ({side(one_by_one[n])} vs {side(batched.get(n, {}))})' for n in differ)}."
           if differ else "."),
        f"Runs that spent their time limit (exit 5): one at a time {spent(one_by_one)}, batch {spent(batched)}.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_results:
        append_results("Batch (`suture batch --workers 2` vs. one at a time, bench/bugs)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
