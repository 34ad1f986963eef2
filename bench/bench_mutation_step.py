"""The mutation step's own seconds (tools/testing/mutation.py): HEAD re-run of every covering test, of the failing ones, and with the warm pytest pre-started.

Issue 19 bounds `localize --mutation on` at 3x a plain pytest run; at load the step's share went mostly
to its HEAD re-run through the warm pytest (bench/RESULTS.md, h/loc30). The step now re-runs only the
failing tests at HEAD (`MutationPlan.head_all` False) and checks a passing test at HEAD only when a
mutant breaks it, and localize starts the warm pytest during its coverage run (`MutationPlan.prestart`).
This times the three in one process on the same seeded faults, alternating (A B B A ...),
with `localize(..., mutation=plan)` as `suture localize --mutation on` sets it up: the step's seconds,
the HEAD re-run's, the mutants run, and the faulty function's place.

    python bench/bench_mutation_step.py --only FAULT_ID ... [--reps 2] [--no-results]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_fix  # noqa: E402
import bench_localize  # noqa: E402
from common import append_results, median  # noqa: E402

# label -> (MutationPlan.head_all, MutationPlan.prestart): before, the re-run narrowed, and the server pre-started too
MODES = {"all covering tests": (True, False), "failing tests only": (False, False),
         "failing only, server pre-started": (False, True)}


def one_run(tree: Path, fault: dict, mode: str, run_dir: Path) -> dict:
    from suture.tools.testing.localize import localize

    head_all, prestart = MODES[mode]
    plan = dataclasses.replace(bench_localize.mutation_plan(True), head_all=head_all, prestart=prestart)
    issue = bench_localize.issue_path(fault)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    loc = localize(tree, formula="ochiai", run_dir=run_dir, mutation=plan,
                   issue_text=issue.read_text() if issue.is_file() else None)
    listed = [(s.path, s.symbol) for s in loc.ranking]
    truth = (fault["path"], fault["symbol"])
    evidence = loc.mutation
    return {"fault": fault["id"], "mode": mode, "load": round(load, 1),
            "localize_seconds": round(time.perf_counter() - started, 2),
            "coverage_run_seconds": round(loc.run.seconds, 2) if loc.run else None,
            "step_seconds": round(evidence.seconds, 2), "head_seconds": round(evidence.head_seconds, 2),
            "mutants": len(evidence.results), "flaky": len(evidence.flaky),
            "rank": listed.index(truth) + 1 if truth in listed else None,
            "notes": [n for n in loc.notes if n.startswith("mutation evidence")]}


def table(rows: list[dict]) -> str:
    lines = ["| fault | HEAD re-runs | runs | localize s (median) | coverage run s | step s | of it HEAD re-run s | "
             "mutants run | rank |", "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for fault in dict.fromkeys(r["fault"] for r in rows):
        for label in MODES:
            mine = [r for r in rows if r["fault"] == fault and r["mode"] == label]
            if not mine:
                continue
            lines.append(f"| {fault} | {label} | {len(mine)} | {median([r['localize_seconds'] for r in mine]):.1f} | "
                         f"{median([r['coverage_run_seconds'] for r in mine]):.1f} | "
                         f"{median([r['step_seconds'] for r in mine]):.1f} | {median([r['head_seconds'] for r in mine]):.1f} | "
                         f"{', '.join(str(r['mutants']) for r in mine)} | {', '.join(str(r['rank']) for r in mine)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="a fault id (repeatable)")
    parser.add_argument("--reps", type=int, default=2, help="runs of each mode per fault")
    parser.add_argument("--table-from", type=Path, help="print the table of a --rows-out file and stop")
    parser.add_argument("--work-dir", type=Path, default=bench_localize.corpus.DEFAULT_WORK_DIR)
    parser.add_argument("--rows-out", type=Path, help="append one JSON line per run, as each ends")
    parser.add_argument("--no-results", action="store_true", help="print, do not append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    if args.table_from:
        print(table([json.loads(line) for line in args.table_from.read_text().splitlines() if line.strip()]))
        return 0
    cases = {c.name: c for c in bench_fix.fault_cases(args.work_dir, args.only)}  # reuses a prepared repo
    missing = [i for i in args.only if i not in cases]
    if missing:
        parser.error(f"no such fault: {', '.join(missing)}")
    rows = []
    for number, fault_id in enumerate(args.only):
        fault, repo = cases[fault_id].fault, cases[fault_id].library_repo
        with tempfile.TemporaryDirectory(prefix="suture-mutstep-") as tmp:
            tree = bench_localize.seeded_worktree(repo, fault, Path(tmp) / "tree")
            try:
                order = list(MODES)[::1 if number % 2 == 0 else -1]
                for rep in range(args.reps):
                    for index, mode in enumerate(order if rep % 2 == 0 else order[::-1]):
                        row = one_run(tree, fault, mode, Path(tmp) / f"run{rep}-{index}")
                        rows.append(row)
                        print(json.dumps(row), file=sys.stderr, flush=True)
                        if args.rows_out:
                            with args.rows_out.open("a") as out:
                                out.write(json.dumps(row) + "\n")
            finally:
                bench_localize.remove_worktree(repo, tree)
    text = (f"`localize(..., mutation=plan)` as `suture localize --mutation on` runs it, {args.reps} run(s) of each "
            "mode per fault, alternated in one process; load (1 min) at the runs: "
            f"{min(r['load'] for r in rows)}-{max(r['load'] for r in rows)}.\n\n" + table(rows))
    print(text)
    if not args.no_results:
        append_results("Mutation step: HEAD re-run of the failing tests only (bench/bench_mutation_step.py, issue 19)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
