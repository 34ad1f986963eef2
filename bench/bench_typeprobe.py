"""What run-time type recording costs next to the plain profiled run, on the slow-code corpus (bench/slow/).

Per own case (library cases need their sdists, so they are left out): the case as a git repo, the
workload sized as `suture optimize` sizes it (harness `scale`, 50 ms a call), then the same timed
run under cProfile (tools/perf/profile.py) and under the type recorder watching the target and the
profile's hot spots (tools/perf/typeprobe.py), each the best of --repeats alternating runs in CPU seconds of the confined child as it reports them
(bench/child_cpu.py; wall seconds beside them). Issue 21's
bound: recording costs at most 3x the profiled run. Prints one line per case and the worst and
median ratios; appends to bench/RESULTS.md unless --no-write.

    python bench/bench_typeprobe.py [--cases a,b,c] [--repeats N] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import append_results  # noqa: E402
from bench_optimize import corpus  # noqa: E402

from suture.agent.optimize.bench import HARNESS, last_json, run_harness  # noqa: E402
from suture.retrieval.index import SymbolIndex  # noqa: E402
from suture.tools.perf.profile import ProfileError, hotspots, profile  # noqa: E402
from suture.tools.perf.timing import Runner  # noqa: E402
from suture.tools.perf.typeprobe import record_types  # noqa: E402


CPU_FILE = ".bench-child-cpu"  # in the case's repo, which the confined run may write


def child_cpu(repo: Path) -> float:
    """The CPU seconds the last run's child wrote (bench/child_cpu.py), and the file removed."""
    path = repo / CPU_FILE
    seconds = float(path.read_text())
    path.unlink()
    return seconds


def sized_case(case, work: Path, env: dict | None = None) -> tuple[Path, int, Runner]:
    """(repo, scale, the harness's timed run) of one case, sized as `suture optimize` sizes it (50 ms a call);
    the run reports its own CPU seconds (bench/child_cpu.py, read with child_cpu)."""
    repo = corpus.copy_case(case, work / case.name)
    spec = f"{case.path}::{case.function}"
    done = run_harness("scale", ["--root", str(repo), "--target", spec, "--workload", str(repo / "workload.py"),
                                 "--min-seconds", "0.05"], repo, 120.0)
    scale = last_json(done.stdout, "suture_scale") or 1
    harness = [HARNESS[0], str(HERE / "child_cpu.py"), str(repo / CPU_FILE), HARNESS[-1]]
    runner = Runner([*harness, "time", "--root", str(repo), "--target", spec, "--workload", str(repo / "workload.py"),
                     "--scale", str(scale)], repo, {**os.environ, "PYTHONHASHSEED": "0", **(env or {})})
    return repo, scale, runner


def case_args(doc: str) -> argparse.Namespace:
    """--cases a,b,c --repeats N --no-write, as the per-case benches of bench/slow take them."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--cases", default="")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    return parser.parse_args()


def each_case(args, prefix: str, measure) -> list[dict]:
    """measure(case, work dir, repeats) for each own case named by --cases (all when none), printed as it ends."""
    cases = [c for c in corpus.load_cases([n for n in args.cases.split(",") if n] or None, libraries=False)
             if c.library is None]
    rows = []
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        for case in cases:
            try:
                row = measure(case, Path(scratch), args.repeats)
            except ProfileError as error:  # a run over its time limit on a loaded machine: said, not fatal
                row = {"case": case.name, "error": str(error)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    return [r for r in rows if "ratio" in r]


def measure(case, work: Path, repeats: int) -> dict:
    repo, scale, runner = sized_case(case, work)
    stats = profile(runner)  # a warm-up run, and the hot spots the recorder watches (as optimize does)
    child_cpu(repo)
    index = SymbolIndex.build(repo, workers=1, use_cache=False)
    places = [(case.path, case.function)] + [(h.path, h.function) for h in hotspots(stats, repo, index, limit=5)]
    places = list(dict.fromkeys(places))
    cpu: dict[str, list[float]] = {"profiled": [], "recorded": []}
    wall: dict[str, list[float]] = {"profiled": [], "recorded": []}
    records: dict = {}
    for _ in range(repeats):  # alternating, so a burst of load hits both sides alike
        for side in ("profiled", "recorded"):
            started = time.perf_counter()
            if side == "profiled":
                profile(runner)
            else:
                records = record_types(runner, repo, places)
            wall[side].append(time.perf_counter() - started)
            cpu[side].append(child_cpu(repo))
    profiled, recorded = min(cpu["profiled"]), min(cpu["recorded"])
    return {"case": case.name, "scale": scale, "profiled": round(profiled, 3), "recorded": round(recorded, 3),
            "ratio": round(recorded / profiled, 2), "wall_ratio": round(min(wall["recorded"]) / min(wall["profiled"]), 2),
            "functions": len(places), "recorded_functions": len(records),
            "samples": sum(r.get("samples", 0) for r in records.values()),
            "calls": sum(r.get("calls", 0) for r in records.values())}


def main() -> int:
    args = case_args(__doc__)
    rows = each_case(args, "bench-typeprobe-", measure)
    ratios = [r["ratio"] for r in rows] or [0.0]
    summary = {"cases": len(rows), "worst_ratio": max(ratios), "median_ratio": statistics.median(ratios),
               "within_3x": sum(r <= 3.0 for r in ratios)}
    print(json.dumps(summary))
    if not args.no_write:
        table = "\n".join(f"| {r['case']} | {r['scale']} | {r['profiled']} | {r['recorded']} | {r['ratio']} | "
                          f"{r['wall_ratio']} | {r['samples']}/{r['calls']} |" for r in rows)
        append_results("Type recording vs profiling (bench/bench_typeprobe.py)",
                       f"{json.dumps(summary)}\n\n| case | scale | profiled CPU s | recorded CPU s | CPU ratio | wall ratio | "
                       f"sampled/calls |\n|---|---|---|---|---|---|---|\n{table}\n")
    return 0 if summary["worst_ratio"] <= 3.0 else 1


if __name__ == "__main__":
    sys.exit(main())
