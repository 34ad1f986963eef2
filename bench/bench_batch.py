"""`suture batch --workers 2` against one `suture fix` at a time, on the bench/bugs corpus.

Both modes get fresh copies of the same buggy repos and the same `--time-limit`; the bench
measures each mode's wall time (ratio batch / one-at-a-time; target <= 0.6 on 2 cores) and
compares what the tool said per case: its status (fixed / not_fixed / plausible) and its patch.
The load average is noted before and after each part: other work on the machine slows either
mode, and runs that end at their time limit can end differently under a different load. So that
both modes see the same load, the cases are split in two halves run in the order one at a time (A),
batch (A), batch (B), one at a time (B); each mode's wall time is the sum of its two parts.

--ray-tasks N also measures the Ray executor's overhead per task: N `suture localize` tasks (the
first bugs, a few seconds each) through `suture batch --ray --workers 2` on a local Ray instance the
batch starts; overhead = the time from a task's submission to its result in the driver, less the
task's own seconds (results.jsonl's overhead_seconds: scheduling, shipping, a worker's start-up).

    python bench/bench_batch.py [--limit N] [--time-limit 60] [--workers 2] [--ray-tasks N] [--no-results]
    python bench/bench_batch.py --ray-only [--ray-tasks N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_fix  # noqa: E402
from common import append_results, busy_cpu_seconds, suture_exe  # noqa: E402

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


def compare(cases: list, args: argparse.Namespace, tmp: Path) -> tuple[dict, dict, dict[str, float], list[str]]:
    """(one-at-a-time reports, batch reports, wall seconds per mode, load lines), halves A/B run A-single,
    A-batch, B-batch, B-single."""
    half = (len(cases) + 1) // 2
    parts = [("single", cases[:half]), ("batch", cases[:half]), ("batch", cases[half:]), ("single", cases[half:])]
    one_by_one: dict[str, dict] = {}
    batched: dict[str, dict] = {}
    walls = {"single": 0.0, "batch": 0.0}
    busy = {"single": 0.0, "batch": 0.0}
    loads = []
    for number, (mode, part) in enumerate(parts, 1):
        if not part:
            continue
        before, cpu_before = load(), busy_cpu_seconds()
        if mode == "single":
            start = time.perf_counter()
            for case in part:
                repo = case.prepare(tmp / "single" / case.name)
                one_by_one[case.name] = bench_fix.run_suture_fix(repo, args.time_limit)
                print(f"[single] {case.name}: {verdict(one_by_one[case.name])}", file=sys.stderr)
            walls[mode] += time.perf_counter() - start
        else:
            repos = {case.name: case.prepare(tmp / "batch" / case.name) for case in part}
            reports, wall = bench_fix.batch_reports(repos, tmp / f"work{number}", args.time_limit, args.workers)
            batched.update(reports)
            walls[mode] += wall
        busy[mode] += busy_cpu_seconds() - cpu_before
        loads.append(f"{number}. {mode} ({len(part)} cases): {before} -> {load()}")
    walls.update({f"busy {mode}": seconds for mode, seconds in busy.items()})
    return one_by_one, batched, walls, loads


def ray_overhead(cases: list, tasks: int, tmp: Path) -> list[str]:
    """Lines on the Ray executor's overhead per task: `tasks` localize tasks on a local Ray instance."""
    chosen = cases[:tasks]
    lines = [json.dumps({"id": case.name, "repo": str(case.prepare(tmp / "ray" / case.name)), "command": "localize"})
             for case in chosen]
    tasks_file = tmp / "ray-tasks.jsonl"
    tasks_file.write_text("\n".join(lines) + "\n")
    before = load()
    start = time.perf_counter()
    done = subprocess.run([suture_exe(), "batch", str(tasks_file), "--ray", "--workers", "2", "--out", str(tmp / "ray-out"),
                           "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    results_file = tmp / "ray-out" / "results.jsonl"
    if not results_file.exists():
        return [f"Ray overhead: not measured, `suture batch --ray` exited {done.returncode}: {done.stderr.strip()[-300:]}"]
    results = [json.loads(line) for line in results_file.read_text().splitlines()]
    overheads = sorted(float(r.get("overhead_seconds") or 0.0) for r in results if "overhead_seconds" in r)
    seconds = sum(float(r.get("seconds") or 0.0) for r in results)
    if not overheads:
        return [f"Ray overhead: no task reported one ({', '.join(r.get('outcome', '?') for r in results)})."]
    median = statistics.median(overheads)
    # What a Ray worker's task ran with, against this process's (the driver's) environment.
    names = set()
    for record in (tmp / "ray-out" / "tasks").glob("*/command.json"):
        names |= set(json.loads(record.read_text())["env_names"])
    added, missing = sorted(names - set(os.environ) - {"SUTURE_BATCH_TASK"}), sorted(set(os.environ) - names)
    return [f"Ray executor, {len(results)} `suture localize` tasks (bench/bugs), `suture batch --ray --workers 2` on a "
            f"local instance it starts (load {before} -> {load()}): overhead per task median {median:.2f} s, "
            f"max {overheads[-1]:.2f} s, all: {', '.join(f'{o:.2f}' for o in overheads)} (target < 1 s: "
            f"{'met' if median < 1 else '**missed**'} by the median); outcomes "
            f"{', '.join(sorted(r.get('outcome', '?') for r in results))}; the tasks' own seconds {seconds:.1f}, the "
            f"batch's wall {wall:.1f} s (Ray's start and stop included).",
            f"The Ray tasks' environment against the driver's: added {', '.join(added) or 'none'}; missing "
            f"{', '.join(missing) or 'none'}."]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="suture batch --workers N vs one suture fix at a time.")
    parser.add_argument("--limit", type=int, help="the first N bugs of the corpus")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ray-tasks", type=int, default=0, help="also measure the Ray executor's overhead on N tasks")
    parser.add_argument("--ray-only", action="store_true", help="only the Ray overhead (--ray-tasks N), printed")
    parser.add_argument("--no-results", action="store_true", help="print, do not append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    cases = bench_fix.bug_cases(None)[: args.limit]
    if args.ray_only:
        with tempfile.TemporaryDirectory(prefix="suture-batchbench-") as tmp:
            print("\n".join(ray_overhead(bench_fix.bug_cases(None), args.ray_tasks or 6, Path(tmp))))
        return 0
    with tempfile.TemporaryDirectory(prefix="suture-batchbench-") as tmp:
        one_by_one, batched, walls, loads = compare(cases, args, Path(tmp))
        ray_lines = ray_overhead(bench_fix.bug_cases(None), args.ray_tasks, Path(tmp)) if args.ray_tasks else []
    differ = [name for name in one_by_one
              if (verdict(one_by_one[name]), one_by_one[name].get("patch") or "")
              != (verdict(batched.get(name, {})), batched.get(name, {}).get("patch") or "")]
    ratio = walls["batch"] / walls["single"]
    cores = os.cpu_count() or 1
    busy_single = walls["busy single"] / walls["single"]  # cores kept busy, on average, one run at a time
    counts = {}
    for report in one_by_one.values():
        counts[verdict(report)] = counts.get(verdict(report), 0) + 1
    lines = [
        f"{len(cases)} bugs of bench/bugs, `suture fix --json --time-limit {args.time_limit:g}` each; "
        f"one at a time vs. `suture batch --workers {args.workers}`, in two halves run A one at a time, A batch, "
        "B batch, B one at a time.",
        "",
        "| mode | wall s |",
        "|---|---:|",
        f"| one at a time | {walls['single']:.1f} |",
        f"| batch --workers {args.workers} | {walls['batch']:.1f} |",
        "",
        "Load average (1, 5, 15 min) before -> after each part: " + "; ".join(loads) + ".",
        "",
        f"Wall ratio batch / one at a time: {ratio:.2f} (target <= {RATIO_TARGET}: "
        f"{'met' if ratio <= RATIO_TARGET else '**missed**'}).",
        f"The machine's busy CPU (/proc/stat, every process on it): one at a time {walls['busy single']:.0f} "
        f"CPU-s, {busy_single:.2f} of {cores} cores busy on average; batch {walls['busy batch']:.0f} CPU-s, "
        f"{walls['busy batch'] / walls['batch']:.2f} cores. If the batch did the same work with every core busy, "
        f"its ratio would be {busy_single / cores:.2f}: the floor two-at-a-time can reach on this machine.",
        f"Verdicts one at a time: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}.",
        f"Same status and same patch in both modes: {len(cases) - len(differ)} of {len(cases)}"
        + (f"; differing (one at a time vs batch: verdict, exit code, seconds): "
           f"{', '.join(f'{n} ({side(one_by_one[n])} vs {side(batched.get(n, {}))})' for n in differ)}."
           if differ else "."),
        f"Runs that spent their time limit (exit 5): one at a time {spent(one_by_one)}, batch {spent(batched)}.",
        *([""] + ray_lines if ray_lines else []),
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_results:
        append_results("Batch (`suture batch --workers 2` vs. one at a time, bench/bugs)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
