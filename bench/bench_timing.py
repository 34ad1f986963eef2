"""Timing benchmark: is tools/timing.compare safe on a noisy machine (issue 8)?

- A/A: the same ~50 ms CPU-bound workload on both sides, in 20 independent compare() runs
  (default 12 rounds, seeds 0..19). Target: at least 19 of 20 rejected as "no significant
  speed-up".
- Positive control: a candidate doing half the work (a genuine 2x) in 5 runs; all must be
  significant, with the median speed-up near 2.
- Overhead: wall seconds of one compare() with default rounds for the 50 ms workload.
- Both with the workload timing its calls by wall clock and by process CPU time; with `--clock harness`
  (`harness-fresh`) through tools/perf/harness.py as `suture optimize` times a function target: two
  identical copies of the tree (its `best` and `scratch`), the runs forked from warm harnesses (fresh
  processes), the call timed by CPU.
- When valgrind is installed: the callgrind instruction-count ratio of the A/A pair and of
  the 2x pair (deterministic, so one run each).

    python bench/bench_timing.py [--runs 20] [--controls 5] [--clock wall|cpu|harness|harness-fresh]... [--no-results]
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
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import append_results, percentile  # noqa: E402

from suture.tools.perf import callgrind  # noqa: E402
from suture.tools.perf.timing import Comparison, Runner, compare  # noqa: E402

TARGET_REJECTED = 19 / 20
CALL_SECONDS = 0.05

# Counting keys in a dict and sorting: interpreter-bound work of a size set by argv[1]. Its
# output is the same for any size, so the half-size candidate is "the same program, faster".
# The timed function, also the target of the harness comparisons below.
TARGET = """\
def work(n):
    counts = {}
    for i in range(n):
        key = "k%d" % (i % 97)
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts)
"""
WORKLOAD = "import json, os, sys, time\n\n" + TARGET + """
n = int(sys.argv[1])
times = []
for _ in range(int(os.environ.get("SUTURE_HARNESS_CALLS", "1"))):
    start = CLOCK()
    result = work(n)
    times.append(CLOCK() - start)
print(len(result))
print(json.dumps({"suture_timing": times}))
"""
# Wall time is what a user waits for; CPU time of the process barely moves when other work
# shares the cores (the workload is single-threaded and does no I/O).
CLOCKS = {"wall": "time.perf_counter", "cpu": "time.process_time"}


def size_for(script: Path, seconds: float) -> int:
    """The workload size whose call takes about `seconds` on this machine (fastest of 3 runs)."""
    n = 100_000
    took = []
    for _ in range(3):
        out = subprocess.run([sys.executable, str(script), str(n)], capture_output=True, text=True,
                             check=True).stdout
        took.append(json.loads(out.strip().splitlines()[-1])["suture_timing"][0])
    return max(1000, int(n * seconds / min(took)))


@dataclass
class Series:
    clock: str
    n: int
    aa: list[Comparison]
    walls: list[float]
    controls: list[Comparison]


HARNESS = (sys.executable, "-m", "suture.tools.perf.harness")


def harness_sides(root: Path) -> tuple[Runner, Runner, Runner, int]:
    """(base, an identical copy, a copy doing half the work, the scale): function targets as optimize times them."""
    workload = root / "harness_workload.py"
    workload.write_text("def make_input(scale):\n    return (scale * 1000,)\n")
    trees = {}
    for name, text in (("best", TARGET), ("scratch", TARGET), ("half", TARGET.replace("range(n)", "range(n // 2)"))):
        (root / name / "pkg").mkdir(parents=True)
        (root / name / "pkg" / "__init__.py").write_text("")
        (root / name / "pkg" / "work.py").write_text(text)
        trees[name] = root / name
    sized = subprocess.run([*HARNESS, "scale", "--root", str(trees["best"]), "--target", "pkg.work:work",
                            "--workload", str(workload), "--min-seconds", str(CALL_SECONDS)],
                           capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    scale = json.loads(sized.stdout.strip().splitlines()[-1])["suture_scale"]

    def side(tree: Path) -> Runner:
        argv = [*HARNESS, "time", "--root", str(tree), "--target", "pkg.work:work", "--workload", str(workload),
                "--scale", str(scale)]
        return Runner(argv, tree, {"PYTHONHASHSEED": "0"}, harness=HARNESS)

    return side(trees["best"]), side(trees["scratch"]), side(trees["half"]), scale


def run_series(root: Path, clock: str, runs: int, control_runs: int, extend_to: int | None = None) -> Series:
    if clock.startswith("harness"):
        return run_harness_series(root / clock, clock, runs, control_runs, extend_to)
    script = root / f"workload_{clock}.py"
    script.write_text(WORKLOAD.replace("CLOCK", CLOCKS[clock]))
    n = size_for(script, CALL_SECONDS)
    same = Runner([sys.executable, str(script), str(n)], root)
    half = Runner([sys.executable, str(script), str(n // 2)], root)
    series = Series(clock, n, [], [], [])
    for seed in range(runs):
        start = time.perf_counter()
        series.aa.append(compare(same, same, seed=seed, extend_to=extend_to))
        series.walls.append(time.perf_counter() - start)
        show(f"{clock} A/A {seed:2d}", series.aa[-1], series.walls[-1])
    for seed in range(control_runs):
        series.controls.append(compare(same, half, seed=100 + seed, extend_to=extend_to))
        show(f"{clock} 2x  {seed:2d}", series.controls[-1], 0.0)
    return series


def run_harness_series(root: Path, clock: str, runs: int, control_runs: int, extend_to: int | None) -> Series:
    root.mkdir()
    base, same, half, scale = harness_sides(root)
    warm = clock == "harness"
    series = Series(clock, scale, [], [], [])
    for seed in range(runs):
        start = time.perf_counter()
        series.aa.append(compare(base, same, seed=seed, extend_to=extend_to, warm=warm))
        series.walls.append(time.perf_counter() - start)
        show(f"{clock} A/A {seed:2d}", series.aa[-1], series.walls[-1])
    for seed in range(control_runs):
        series.controls.append(compare(base, half, seed=100 + seed, extend_to=extend_to, warm=warm))
        show(f"{clock} 2x  {seed:2d}", series.controls[-1], 0.0)
    return series


def show(label: str, r: Comparison, wall: float) -> None:
    print(f"{label}: speedup {r.speedup:.3f} CI [{r.ci_low:.3f}, {r.ci_high:.3f}] significant={r.significant}"
          f" rounds={r.rounds}"
          + (f" ({wall:.1f} s)" if wall else ""), flush=True)


def rows(s: Series) -> list[str]:
    aa, controls, threshold = s.aa, s.controls, s.aa[0].threshold
    rejected = sum(not r.significant for r in aa)
    # The mirror image of a false speed-up: the same code judged significantly slower.
    slower = sum(r.ci_high <= 1 / threshold for r in aa)
    verdict = "met" if rejected >= TARGET_REJECTED * len(aa) else "MISSED"
    return [
        f"| {s.clock}: A/A runs rejected as not significant | {rejected}/{len(aa)} | >= 19/20: {verdict} |",
        f"| {s.clock}: A/A runs judged significantly *slower* (CI high <= 1/{threshold}) | {slower}/{len(aa)} "
        "| (mirror of a false speed-up) |",
        f"| {s.clock}: A/A speed-up, median / min / max | {statistics.median(r.speedup for r in aa):.3f} / "
        f"{min(r.speedup for r in aa):.3f} / {max(r.speedup for r in aa):.3f} | ~1.0 |",
        f"| {s.clock}: A/A CI lower bound, median / max | {statistics.median(r.ci_low for r in aa):.3f} / "
        f"{max(r.ci_low for r in aa):.3f} | < {threshold} |",
        f"| {s.clock}: 2x candidate (half the work) significant | {sum(r.significant for r in controls)}/"
        f"{len(controls)} | all |",
        f"| {s.clock}: 2x speed-up, median (lowest CI low) | {statistics.median(r.speedup for r in controls):.2f} "
        f"({min(r.ci_low for r in controls):.2f}) | ~2 |",
        f"| {s.clock}: one compare() wall time, median / p90 / max | {statistics.median(s.walls):.1f} / "
        f"{percentile(s.walls, 0.9):.1f} / {max(s.walls):.1f} s | part of the 60 s per candidate |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--controls", type=int, default=5)
    parser.add_argument("--clock", action="append", choices=[*sorted(CLOCKS), "harness", "harness-fresh"],
                        help="default: wall and cpu")
    parser.add_argument("--no-results", action="store_true")
    parser.add_argument("--extend-to", type=int, help="sequential rounds: a straddling CI grows to N rounds "
                        "(what `suture optimize` passes: twice --rounds)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-timing-") as scratch:
        root = Path(scratch)
        all_series = [run_series(root, clock, args.runs, args.controls, args.extend_to) for clock in args.clock or ["wall", "cpu"]]
        counts = None
        if callgrind.available() and all_series[0].clock in CLOCKS:
            script = root / "workload_wall.py"
            script.write_text(WORKLOAD.replace("CLOCK", CLOCKS["wall"]))
            n = all_series[0].n
            sides = [Runner([sys.executable, str(script), str(size)], root) for size in (n, n, n // 2)]
            counts = [callgrind.instruction_count(side) for side in sides]
            print(f"callgrind instructions: {counts}", flush=True)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    sizes = ", ".join(
        f"{s.clock}: {statistics.median(r.baseline_seconds for r in s.aa) * 1000:.0f} ms per call (n={s.n})"
        for s in all_series
    )
    lines = [
        f"`python bench/bench_timing.py` at commit {commit}: `tools.timing.compare` with default settings "
        "(12 interleaved rounds in seeded random order, fresh processes, 95% bootstrap CI of the median "
        f"ratio, threshold {all_series[0].aa[0].threshold}"
        + (f"; sequential: a straddling CI grows to {args.extend_to} rounds, "
           f"{sum(r.rounds > 12 for s in all_series for r in s.aa + s.controls)} comparisons did" if args.extend_to else "")
        + f"), {args.runs} A/A runs (seeds 0..{args.runs - 1}) "
        f"and {args.controls} runs against a candidate doing half the work. Workload: a dict-counting loop, "
        "timed inside the process (timing protocol) with `time.perf_counter` (wall) or `time.process_time` "
        f"(cpu); measured median {sizes}.",
        "",
        "| check | result | target |",
        "|---|---:|---|",
    ]
    for series in all_series:
        lines += rows(series)
    if counts and None not in counts:
        lines.append(f"| callgrind instructions, A/A ratio; 2x ratio | {counts[0] / counts[1]:.4f}; "
                     f"{counts[0] / counts[2]:.2f} | 1.0; ~2 (start-up included) |")
    else:
        lines.append(f"| callgrind | {'a run under valgrind failed' if counts else 'valgrind not installed'} | |")
    body = "\n".join(lines)
    print(body)
    if not args.no_results:
        append_results("Timing (`tools.timing.compare` A/A and 2x control)", body)
    ok = all(sum(not r.significant for r in s.aa) >= TARGET_REJECTED * len(s.aa)
             and all(r.significant for r in s.controls) for s in all_series)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
