"""Timing benchmark: is tools/timing.compare safe on a noisy machine (issue 8)?

- A/A: the same ~50 ms CPU-bound workload on both sides, in 20 independent compare() runs
  (default 12 rounds, seeds 0..19). Target: at least 19 of 20 rejected as "no significant
  speed-up".
- Positive control: a candidate doing half the work (a genuine 2x) in 5 runs; all must be
  significant, with the median speed-up near 2.
- Overhead: wall seconds of one compare() with default rounds for the 50 ms workload.
- When valgrind is installed: the callgrind instruction-count ratio of the A/A pair and of
  the 2x pair (deterministic, so one run each).

    python bench/bench_timing.py [--runs 20] [--controls 5] [--no-results]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import append_results, percentile  # noqa: E402

from suture.tools import callgrind  # noqa: E402
from suture.tools.timing import Runner, compare  # noqa: E402

TARGET_REJECTED = 19 / 20
CALL_SECONDS = 0.05

# Counting keys in a dict and sorting: interpreter-bound work of a size set by argv[1]. Its
# output is the same for any size, so the half-size candidate is "the same program, faster".
WORKLOAD = """\
import json, os, sys, time

def work(n):
    counts = {}
    for i in range(n):
        key = "k%d" % (i % 97)
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts)

n = int(sys.argv[1])
times = []
for _ in range(int(os.environ.get("SUTURE_HARNESS_CALLS", "1"))):
    start = time.perf_counter()
    result = work(n)
    times.append(time.perf_counter() - start)
print(len(result))
print(json.dumps({"suture_timing": times}))
"""


def size_for(script: Path, seconds: float) -> int:
    """The workload size whose call takes about `seconds` on this machine."""
    n = 100_000
    out = subprocess.run([sys.executable, str(script), str(n)], capture_output=True, text=True, check=True).stdout
    took = float(out.strip().splitlines()[-1].split("[")[1].rstrip("]}").split(",")[0])
    return max(1000, int(n * seconds / took))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--controls", type=int, default=5)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-timing-") as scratch:
        root = Path(scratch)
        script = root / "workload.py"
        script.write_text(WORKLOAD)
        n = size_for(script, CALL_SECONDS)
        same = Runner([sys.executable, str(script), str(n)], root)
        half = Runner([sys.executable, str(script), str(n // 2)], root)

        aa, aa_walls = [], []
        for seed in range(args.runs):
            start = time.perf_counter()
            aa.append(compare(same, same, seed=seed))
            aa_walls.append(time.perf_counter() - start)
            r = aa[-1]
            print(f"A/A {seed:2d}: speedup {r.speedup:.3f} CI [{r.ci_low:.3f}, {r.ci_high:.3f}] "
                  f"significant={r.significant} ({aa_walls[-1]:.1f} s)", flush=True)
        controls = []
        for seed in range(args.controls):
            controls.append(compare(same, half, seed=100 + seed))
            r = controls[-1]
            print(f"2x  {seed:2d}: speedup {r.speedup:.3f} CI [{r.ci_low:.3f}, {r.ci_high:.3f}] "
                  f"significant={r.significant}", flush=True)
        counts = None
        if callgrind.available():
            counts = [callgrind.instruction_count(runner) for runner in (same, same, half)]
            print(f"callgrind instructions: {counts}", flush=True)

    rejected = sum(not r.significant for r in aa)
    control_hits = sum(r.significant for r in controls)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    lows = [r.ci_low for r in aa]
    lines = [
        f"`python bench/bench_timing.py` at commit {commit}: `tools.timing.compare` with default settings "
        f"(12 interleaved rounds in seeded random order, fresh processes, 95% bootstrap CI of the median "
        f"ratio, threshold {aa[0].threshold}); workload: a dict-counting loop sized to "
        f"{statistics.median(r.baseline_seconds for r in aa) * 1000:.0f} ms per call (n={n}), "
        "timed inside the process (timing protocol).",
        "",
        "| check | result | target |",
        "|---|---:|---|",
        f"| A/A runs rejected as not significant | {rejected}/{len(aa)} | >= 19/20: "
        f"{'met' if rejected >= TARGET_REJECTED * len(aa) else 'MISSED'} |",
        f"| A/A median speed-up, median / min / max | {statistics.median(r.speedup for r in aa):.3f} / "
        f"{min(r.speedup for r in aa):.3f} / {max(r.speedup for r in aa):.3f} | ~1.0 |",
        f"| A/A CI lower bound, median / max | {statistics.median(lows):.3f} / {max(lows):.3f} | < 1.05 |",
        f"| 2x candidate (half the work) significant | {control_hits}/{len(controls)} | all |",
        f"| 2x candidate speed-up, median (CI low min) | "
        f"{statistics.median(r.speedup for r in controls):.2f} ({min(r.ci_low for r in controls):.2f}) | ~2 |",
        f"| one compare() wall time, median / p90 / max | {statistics.median(aa_walls):.1f} / "
        f"{percentile(aa_walls, 0.9):.1f} / {max(aa_walls):.1f} s | part of the 60 s per candidate |",
    ]
    if counts and None not in counts:
        lines.append(f"| callgrind instructions A/A ratio; 2x ratio | {counts[0] / counts[1]:.4f}; "
                     f"{counts[0] / counts[2]:.2f} | 1.0; ~2 (start-up included) |")
    elif counts:
        lines.append("| callgrind | a run under valgrind failed | |")
    else:
        lines.append("| callgrind | valgrind not installed | |")
    body = "\n".join(lines)
    print(body)
    if not args.no_results:
        append_results("Timing (`tools.timing.compare` A/A and 2x control)", body)
    return 0 if rejected >= TARGET_REJECTED * len(aa) and control_hits == len(controls) else 1


if __name__ == "__main__":
    sys.exit(main())
