"""Does confining optimize's timed runs (issue 16) distort what they measure?

`suture optimize` times the project's code in fresh processes (tools/perf/timing.run_process),
now under the tests' confinement: the run leader (subreaper, parent-death signal, memory cap)
and, with `--sandbox bwrap`, bubblewrap. The leader times the command itself (fork to exit), so
neither its own start-up nor bwrap's should reach the measurement. This bench runs one small
CPU-bound workload at two sizes (N and N/2) as a wall-time command (no suture_timing line: the
case the start-up would distort), interleaved round by round, three ways:

- raw: a plain Popen around the command, timed from the parent (the code before the change);
- none: timing.run_process under `--sandbox none`;
- bwrap: timing.run_process under bubblewrap (left out when it does not work here).

It reports each way's median wall time per size, its ratio to raw, and the speed-up the two
sizes give (what optimize would report for a 2x faster candidate), and, for the confined ways,
the parent-side wall time (the start-up the leader leaves out).

    python bench/bench_timing_sandbox.py [--rounds 15] [--n 3000000] [--no-results]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import append_results  # noqa: E402

from suture.tools.perf import timing  # noqa: E402
from suture.tools.testing import sandbox  # noqa: E402

WORK = "import sys\nn = int(sys.argv[1])\ntotal = 0\nfor i in range(n):\n    total += i * i\nprint(total)\n"


def children_cpu() -> float:
    """CPU seconds of every waited-for descendant so far (a run's leader and bwrap included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def raw(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def confined(mode: str, argv: list[str], cwd: Path) -> tuple[float, float]:
    """(the leader's wall time of the command, the parent-side wall time of the whole call)."""
    sandbox.configure(mode)
    start = time.perf_counter()
    _, err, code, wall = timing.run_process(argv, cwd, None, 600)
    outer = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"the {mode} run failed: {err.strip()[-300:]}")
    return wall, outer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--n", type=int, default=3_000_000)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    modes = ["raw", "none"] + (["bwrap"] if sandbox.bwrap_status()[0] else [])
    sizes = {"N": args.n, "N/2": args.n // 2}
    walls = {(m, s): [] for m in modes for s in sizes}
    outers = {(m, s): [] for m in modes for s in sizes}
    cpus = {(m, s): [] for m in modes for s in sizes}
    with tempfile.TemporaryDirectory(prefix="bench-timing-sandbox-") as tmp:
        tree = Path(tmp)
        (tree / "work.py").write_text(WORK)
        for _ in range(args.rounds):
            for size, n in sizes.items():
                argv = [sys.executable, "work.py", str(n)]
                for mode in modes:
                    before = children_cpu()
                    if mode == "raw":
                        walls[mode, size].append(raw(argv, tree))
                        outers[mode, size].append(walls[mode, size][-1])
                    else:
                        wall, outer = confined(mode, argv, tree)
                        walls[mode, size].append(wall)
                        outers[mode, size].append(outer)
                    cpus[mode, size].append(children_cpu() - before)
    lines = [f"Workload: `python work.py N` (a Python loop, N = {args.n:,}; N/2 is the 2x faster \"candidate\"), "
             f"wall time over {args.rounds} interleaved rounds. On a shared machine the minimum is the least "
             "disturbed figure; the median is given beside it.", ""]
    for name, pick in (("minimum", min), ("median", statistics.median)):
        got = {k: pick(v) for k, v in walls.items()}
        outer = {k: pick(v) for k, v in outers.items()}
        lines += [f"| way ({name}) | N (s) | N/2 (s) | N ratio to raw | N/2 ratio to raw | speed-up N / (N/2) | "
                  "parent-side N (s) |", "|---|---:|---:|---:|---:|---:|---:|"]
        for mode in modes:
            n, half = got[mode, "N"], got[mode, "N/2"]
            lines.append(f"| {mode} | {n:.3f} | {half:.3f} | {n / got['raw', 'N']:.2f}x | "
                         f"{half / got['raw', 'N/2']:.2f}x | {n / half:.2f} | {outer[mode, 'N']:.3f} |")
        lines.append("")
    lines += ["CPU seconds of the whole call (command, leader and bwrap: what the machine pays; steadier than "
              "wall time under load), minimum / median:", "", "| way | N | N/2 | overhead over raw at N (min) |",
              "|---|---:|---:|---:|"]
    for mode in [m for m in modes if m != "bwrap"]:  # bwrap's PID namespace reaps inside: no rusage reaches us
        n, half = cpus[mode, "N"], cpus[mode, "N/2"]
        lines.append(f"| {mode} | {min(n):.3f} / {statistics.median(n):.3f} | {min(half):.3f} / "
                     f"{statistics.median(half):.3f} | {min(n) - min(cpus['raw', 'N']):+.3f} s |")
    text = "\n".join(lines)
    print(text)
    if not args.no_results:
        append_results("Confined timing runs (bench/bench_timing_sandbox.py, issue 16)", text)


if __name__ == "__main__":
    main()
