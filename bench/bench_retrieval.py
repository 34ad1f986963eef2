"""Code index and search benchmark (issue: foundation and AST-aware code search).

Corpus: the standard library of the running Python (site-packages excluded),
copied as .py files into a scratch directory so one file can be changed.
Reference: Universal Ctags (`ctags -R --languages=Python`) on the same copy,
timed in the same run.

Measures, each against its target:
- cold index wall time (a fresh process, both cores) vs ctags: <= 2x
- warm re-index, nothing changed: < 10% of cold, and zero files parsed
- warm re-index after one file changed: < 0.5 s, exactly one file parsed
- peak memory (summed RSS of the process and its workers) of a cold index: < 1 GiB
- search latency over the labelled queries (>= 50), index loaded: median < 30 ms, p95 < 100 ms
- search quality: recall@5 (and @1, MRR) on bench/data/stdlib_queries.jsonl

Usage: python bench/bench_retrieval.py [--corpus DIR] [--repeat N] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import append_results, median, percentile, python, run, run_cpu  # noqa: E402

QUERIES = Path(__file__).parent / "data" / "stdlib_queries.jsonl"

BUILD_DRIVER = """
import json, sys, time
t = time.perf_counter()
from suture.retrieval.index import SymbolIndex
index = SymbolIndex.build(sys.argv[1], cache_dir=sys.argv[2], workers=int(sys.argv[3]))
seconds = time.perf_counter() - t
s = index.stats
# Counting symbols decodes every record, which a re-index does not need: only in untimed runs.
count = sys.argv[4] == "count"
print(json.dumps({"seconds": seconds, "files": s.files, "parsed": s.parsed,
                  "reused": s.reused, "skipped": s.skipped,
                  "symbols": sum(1 for _ in index.symbols()) if count else None}))
"""


def copy_corpus(src: Path, dst: Path) -> int:
    count = 0
    for path in src.rglob("*.py"):
        rel = path.relative_to(src)
        if "site-packages" in rel.parts or not path.is_file():
            continue
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        count += 1
    return count


def build(corpus: Path, cache: Path, workers: int = 2, sample_memory: bool = False) -> tuple[float, int, dict]:
    """(wall seconds, peak RSS or CPU seconds, the driver's report): memory runs sample RSS, the others count CPU."""
    count = "count" if sample_memory else "no"
    cmd = [python(), "-c", BUILD_DRIVER, str(corpus), str(cache), str(workers), count]
    if sample_memory:
        wall, peak, out = run(cmd, sample_memory=True)
        return wall, peak, json.loads(out.strip().splitlines()[-1])
    wall, cpu, out = run_cpu(cmd)
    return wall, cpu, json.loads(out.strip().splitlines()[-1])


def bench_index(corpus: Path, scratch: Path, repeat: int) -> tuple[list[str], dict]:
    rows, facts = [], {}
    ctags = shutil.which("ctags")
    if ctags:
        measured = [run_cpu([ctags, "-R", "--languages=Python", "-f", str(scratch / "tags"), str(corpus)])
                    for _ in range(repeat)]
        facts["ctags"] = median([m[0] for m in measured])
        facts["ctags_cpu"] = median([m[1] for m in measured])
    cold, cold1, cold_cpu = [], [], []
    cache = scratch / "cache"
    for _ in range(repeat):
        shutil.rmtree(cache, ignore_errors=True)
        wall, cpu, _ = build(corpus, cache)
        cold.append(wall)
        cold_cpu.append(cpu)
    for _ in range(max(1, repeat // 2)):
        shutil.rmtree(cache, ignore_errors=True)
        cold1.append(build(corpus, cache, workers=1)[0])
    facts["cold"], facts["cold_1worker"] = median(cold), median(cold1)
    shutil.rmtree(cache, ignore_errors=True)
    _, peak, cold_info = build(corpus, cache, sample_memory=True)
    warm, warm_parsed = [], []
    for _ in range(repeat):
        wall, _, info = build(corpus, cache)
        warm.append(wall)
        warm_parsed.append(info["parsed"])
    changed, changed_parsed = [], []
    victim = corpus / "json" / "encoder.py"
    for i in range(repeat):
        with victim.open("a") as f:
            f.write(f"\n\ndef _bench_added_{i}(x):\n    return x + {i}\n")
        wall, _, info = build(corpus, cache)
        changed.append(wall)
        changed_parsed.append(info["parsed"])
    facts.update(warm=median(warm), changed=median(changed), peak=peak)

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    ct = facts.get("ctags")
    rows.append(f"| corpus | {cold_info['files']} files indexed, {cold_info['symbols']} symbols, "
                f"skipped {cold_info['skipped']} | | |")
    if ct:
        rows.append(f"| ctags -R --languages=Python (reference) | {ct:.2f} s wall, {facts['ctags_cpu']:.2f} s CPU | | |")
        cpu = median(cold_cpu)
        rows.append(f"| cold index CPU (both workers and parent) | {cpu:.2f} s = {cpu / facts['ctags_cpu']:.1f}x ctags' CPU;"
                    f" perfect use of 2 cores would give {cpu / 2:.2f} s wall = {cpu / 2 / ct:.1f}x ctags | | |")
        rows.append(f"| cold index, 2 workers (fresh process) | {facts['cold']:.2f} s = {facts['cold'] / ct:.1f}x ctags"
                    f" | <= 2x ctags | {verdict(facts['cold'] <= 2 * ct)} |")
    else:
        rows.append(f"| cold index, 2 workers | {facts['cold']:.2f} s (ctags not installed: no ratio) | <= 2x ctags | n/a |")
    rows.append(f"| cold index, 1 worker | {facts['cold_1worker']:.2f} s | | |")
    rows.append(f"| warm re-index, nothing changed | {facts['warm']:.3f} s = {100 * facts['warm'] / facts['cold']:.1f}% of cold,"
                f" parsed {max(warm_parsed)} files | < 10% of cold, 0 parsed |"
                f" {verdict(facts['warm'] < 0.1 * facts['cold'] and max(warm_parsed) == 0)} |")
    rows.append(f"| warm re-index, one file changed | {facts['changed']:.3f} s, parsed {sorted(set(changed_parsed))} |"
                f" < 0.5 s, 1 parsed | {verdict(facts['changed'] < 0.5 and set(changed_parsed) == {1})} |")
    rows.append(f"| peak memory, cold index (summed RSS) | {peak / 2**20:.0f} MiB | < 1024 MiB |"
                f" {verdict(0 < peak < 2**30)} |")
    return rows, facts


def bench_search(corpus: Path, scratch: Path) -> list[str]:
    from suture.retrieval.index import SymbolIndex
    from suture.retrieval.search import CodeSearch

    cache = scratch / "cache"
    index = SymbolIndex.build(corpus, cache_dir=cache)
    t = time.perf_counter()
    CodeSearch(index, cache_dir=scratch / "search-cold")
    search_build = time.perf_counter() - t
    t = time.perf_counter()
    search = CodeSearch(index, cache_dir=scratch / "search-cold")
    search_load = time.perf_counter() - t
    queries = [json.loads(line) for line in QUERIES.read_text().splitlines() if line.strip()]
    latencies, at1, at5, rr, misses = [], 0, 0, 0.0, []
    for q in queries:
        t = time.perf_counter()
        hits = search.search(q["query"], limit=10)
        latencies.append(time.perf_counter() - t)
        expect = {tuple(e) for e in q["expect"]}
        ranks = [i for i, h in enumerate(hits) if (h.path, h.symbol) in expect]
        if ranks:
            rr += 1 / (ranks[0] + 1)
            at1 += ranks[0] == 0
            at5 += ranks[0] < 5
        if not ranks or ranks[0] >= 5:
            misses.append(q["query"])
    n = len(queries)
    med, p95 = median(latencies) * 1000, percentile(latencies, 0.95) * 1000
    rows = [
        f"| search model build (cold) / load (cached) | {search_build:.2f} s / {search_load:.2f} s | | |",
        f"| search latency, {n} queries | median {med:.1f} ms, p95 {p95:.1f} ms | median < 30 ms, p95 < 100 ms |"
        f" {'met' if med < 30 and p95 < 100 else '**missed**'} |",
        f"| search quality, {n} labelled queries | recall@1 {at1 / n:.0%}, recall@5 {at5 / n:.0%}, MRR {rr / n:.2f} |"
        " reported | |",
    ]
    if misses:
        rows.append(f"| not in top 5 | {'; '.join(misses)} | | |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suture-bench-") as tmp:
        scratch = Path(tmp)
        corpus = scratch / "corpus"
        n = copy_corpus(args.corpus, corpus)
        print(f"corpus: {n} .py files from {args.corpus}", file=sys.stderr)
        rows, _ = bench_index(corpus, scratch, args.repeat)
        rows += bench_search(corpus, scratch)
    body = (f"Corpus: {n} .py files of {args.corpus} (site-packages excluded), copied to a scratch dir; "
            f"median of {args.repeat} runs; times are wall clock of a fresh process.\n\n"
            "| measure | result | target | verdict |\n|---|---|---|---|\n" + "\n".join(rows))
    print(body)
    if not args.no_write:
        append_results("Code index and search (bench/bench_retrieval.py)", body)


if __name__ == "__main__":
    main()
