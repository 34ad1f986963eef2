"""What the line sampler (tools/perf/lines.py) adds to optimize's profiled run, on the slow-code corpus.

Per own case (bench/slow/, library cases left out): the case as a git repo, the workload sized as
`suture optimize` sizes it (harness `scale`, 50 ms a call, PROFILE_CALLS calls as optimize profiles it), then the same timed run under cProfile
alone and under cProfile with the line sampler, alternating, each the best of --repeats runs in CPU
seconds of the confined child as it reports them (bench/child_cpu.py: this process's rusage never sees
that grandchild), wall seconds beside them. Also how many
samples the run took, how many caught the target, and the target's top line. Prints one line
per case and the median and worst ratios; appends to bench/RESULTS.md unless --no-write.

    python bench/bench_lines.py [--cases a,b,c] [--repeats N] [--no-write]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import append_results  # noqa: E402
from bench_typeprobe import case_args, child_cpu, each_case, sized_case  # noqa: E402

from suture.retrieval.index import SymbolIndex  # noqa: E402
from suture.tools.perf.profile import hotspots, profile, profile_with_lines  # noqa: E402
from suture.agent.optimize.pipeline import PROFILE_CALLS  # noqa: E402
from suture.tools.perf.timing import CALLS_ENV  # noqa: E402


def measure(case, work: Path, repeats: int) -> dict:
    repo, scale, runner = sized_case(case, work, {CALLS_ENV: str(PROFILE_CALLS)})
    plain, sampled, plain_cpu, sampled_cpu, result = [], [], [], [], None
    for _ in range(repeats):  # alternating, so a burst of load hits both sides alike
        started = time.perf_counter()
        profile(runner)
        plain.append(time.perf_counter() - started)
        plain_cpu.append(child_cpu(repo))
        started = time.perf_counter()
        result = profile_with_lines(runner, repo)
        sampled.append(time.perf_counter() - started)
        sampled_cpu.append(child_cpu(repo))
    stats, samples = result
    index = SymbolIndex.build(repo, workers=1, use_cache=False)
    spots = hotspots(stats, repo, index, limit=5, samples=samples)
    target = next((h for h in spots if h.function == case.function), None)
    lines = target.lines if target else ()
    return {"case": case.name, "scale": scale, "profiled": round(min(plain_cpu), 3), "sampled": round(min(sampled_cpu), 3),
            "ratio": round(min(sampled_cpu) / min(plain_cpu), 3), "wall_ratio": round(min(sampled) / min(plain), 3),
            "samples": samples.samples,
            "target_samples": sum(r["samples"] for r in lines), "target_lines": len(lines),
            "top_line": lines[0]["text"][:60] if lines else ""}


def main() -> int:
    args = case_args(__doc__)
    rows = each_case(args, "bench-lines-", measure)
    ratios = [r["ratio"] for r in rows] or [0.0]
    summary = {"cases": len(rows), "median_ratio": statistics.median(ratios), "worst_ratio": max(ratios),
               "with_target_lines": sum(bool(r["target_lines"]) for r in rows)}
    print(json.dumps(summary))
    if not args.no_write:
        table = "\n".join(f"| {r['case']} | {r['scale']} | {r['profiled']} | {r['sampled']} | {r['ratio']} | "
                          f"{r['wall_ratio']} | {r['samples']} | {r['target_samples']} | `{r['top_line']}` |" for r in rows)
        append_results("Line sampler vs the plain profiled run (bench/bench_lines.py)",
                       f"{json.dumps(summary)}\n\n| case | scale | profiled CPU s | with sampler CPU s | CPU ratio | wall ratio | "
                       f"samples | in the target | target's top line |\n|---|---|---|---|---|---|---|---|---|\n{table}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
