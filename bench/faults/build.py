"""Build the seeded-fault corpus: bench/faults/faults.jsonl and bench/faults/baseline.json.

For each pinned library (libraries.toml): download and verify its sdist, unpack it into a
git repo, run its suite to record the green baseline (tests failing there are deselected and
recorded), record which tests cover which lines (coverage contexts per test), then try
single-point mutations inside covered functions, each against only the tests covering the
mutated statement, and keep a mutant when at least one of them fails (confirmed by a rerun).

    python bench/faults/build.py [--library NAME]... [--per-library 45] [--per-function 2] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import corpus
import mutate
from corpus import CorpusError, Library


def green_baseline(lib: Library, work_dir: Path) -> tuple[Path, dict]:
    """The library's repo, committed with every test that fails at baseline deselected; and its record."""
    deselect = list(lib.deselect)
    sdist = corpus.fetch_sdist(lib, work_dir / "sdists")
    repo = corpus.unpack(lib, sdist, work_dir / lib.name / "repo", [d["test"] for d in deselect])
    first = corpus.run_pytest(repo)
    if not first.outcomes:
        raise CorpusError(f"{lib.name}'s suite ran no test at baseline:\n{first.output}")
    deselect += [{"test": t, "reason": "fails at baseline"} for t in first.failed]
    if first.failed:
        corpus.write_conftest(repo, lib, [d["test"] for d in deselect])
    again = corpus.run_pytest(repo)
    if again.failed or again.returncode not in (0, 5):
        raise CorpusError(f"{lib.name}'s suite is not green after deselecting baseline failures:\n{again.output}")
    commit = corpus.commit_all(repo, f"{lib.name} {lib.version} from its sdist")
    record = {
        "version": lib.version,
        "sha256": lib.sha256,
        "passed": sum(o == "passed" for o in again.outcomes.values()),
        "skipped": sum(o == "skipped" for o in again.outcomes.values()),
        "deselected": deselect,
        "suite_seconds": round(again.seconds, 2),
        "commit_tree": corpus.git(repo, "rev-parse", f"{commit}^{{tree}}").strip(),
    }
    return repo, record


def candidates_by_function(lib: Library, repo: Path, covered: dict[str, dict[int, set[str]]]):
    """{(path, qualname): [(mutation, covering tests)]} for mutations on statements some test executes."""
    groups: dict[tuple[str, str], list] = defaultdict(list)
    total = 0
    for path in lib.mutable_files(repo):
        lines = covered.get(path, {})
        source = (repo / path).read_text()
        for m in mutate.mutations(source):
            tests = set()
            for line in range(m.statement_line, m.end_line + 1):
                tests |= lines.get(line, set())
            total += 1
            if tests:
                groups[(path, m.symbol)].append((m, sorted(tests)))
    return groups, total


def pick(candidates: list, tries: int, rng: random.Random) -> list:
    """Up to `tries` candidates of one function, one per operator class while classes last."""
    by_operator = defaultdict(list)
    for c in candidates:
        by_operator[c[0].operator].append(c)
    for group in by_operator.values():
        rng.shuffle(group)
    operators = sorted(by_operator)
    rng.shuffle(operators)
    chosen = []
    while len(chosen) < tries and any(by_operator.values()):
        for op in operators:
            if by_operator[op] and len(chosen) < tries:
                chosen.append(by_operator[op].pop())
    return chosen


class Workers:
    """Copies of the library repo (one per job) in which mutants are written, run and reverted."""

    def __init__(self, repo: Path, jobs: int) -> None:
        self.free: list[Path] = []
        self.lock = threading.Lock()
        ignore = shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", ".hypothesis", ".coverage*")
        for i in range(jobs):
            copy = repo.parent / f"mutant-{i}"
            if copy.exists():
                shutil.rmtree(copy)
            shutil.copytree(repo, copy, ignore=ignore)
            self.free.append(copy)

    def run(self, path: str, original: str, mutated: str, nodeids: list[str], timeout: float):
        with self.lock:
            copy = self.free.pop()
        target = copy / path
        try:
            target.write_text(mutated)
            return corpus.run_pytest(copy, nodeids, timeout=timeout)
        finally:
            target.write_text(original)
            with self.lock:
                self.free.append(copy)


def evaluate(workers: Workers, repo: Path, m: mutate.Mutation, path: str, tests: list[str], timeout: float):
    """'killed' with the killing tests, or 'survived' / 'timeout' / 'unconfirmed'."""
    original = (repo / path).read_text()
    mutated = mutate.apply(original, m)
    try:
        compile(mutated, path, "exec")
    except SyntaxError:
        return "invalid", []
    first = workers.run(path, original, mutated, tests, timeout)
    if first.timed_out:
        return "timeout", []
    if not first.failed:
        return "survived", []
    again = workers.run(path, original, mutated, first.failed, timeout)
    if again.timed_out or set(again.failed) != set(first.failed):
        return "unconfirmed", []  # flaky or order-dependent kills make poor faults
    return "killed", first.failed


def build_library(lib: Library, args, log) -> tuple[list[dict], dict]:
    started = time.perf_counter()
    repo, record = green_baseline(lib, args.work_dir)
    log(f"{lib.name} {lib.version}: baseline {record['passed']} passed, {record['skipped']} skipped, "
        f"{len(record['deselected'])} deselected, {record['suite_seconds']} s")
    coverage_file = repo.parent / "coverage.db"
    cov_run = corpus.run_pytest(repo, coverage_file=coverage_file, source=lib.source)
    if cov_run.failed:
        raise CorpusError(f"{lib.name}'s suite fails under coverage: {cov_run.failed[:5]}")
    covered = corpus.line_contexts(coverage_file, repo)
    groups, total = candidates_by_function(lib, repo, covered)
    log(f"  {total} mutations, {sum(map(len, groups.values()))} on covered statements, {len(groups)} functions")

    per_function = lib.per_function or args.per_function
    tries = max(args.tries, per_function + 1)
    rng = random.Random(f"{args.seed}/{lib.name}")
    order = sorted(groups)
    rng.shuffle(order)
    timeout = 10 + 3 * record["suite_seconds"]
    workers = Workers(repo, args.jobs)
    kept: list[dict] = []
    verdicts: Counter = Counter()
    batch = args.batch or max(4, args.jobs * 3)
    with ThreadPoolExecutor(args.jobs) as pool:
        for start in range(0, len(order), batch):
            if len(kept) >= args.per_library:
                break
            planned = [(key, pick(groups[key], tries, rng)) for key in order[start:start + batch]]
            futures = [[(m, tests, pool.submit(evaluate, workers, repo, m, key[0], tests, timeout))
                        for m, tests in chosen] for key, chosen in planned]
            for (path, symbol), results in zip((k for k, _ in planned), futures):
                in_function = 0
                for m, tests, future in results:
                    verdict, killers = future.result()
                    verdicts[verdict] += 1
                    if verdict != "killed" or in_function >= per_function or len(kept) >= args.per_library:
                        continue
                    in_function += 1
                    source = (repo / path).read_text()
                    kept.append({
                        "id": f"{lib.name}:{path}:{m.start_line}:{m.start_col}:{m.kind}",
                        "library": lib.name, "version": lib.version, "path": path, "line": m.start_line,
                        **{k: v for k, v in m.to_dict().items() if k != "statement_line"},
                        "diff": mutate.unified_diff(path, source, mutate.apply(source, m)),
                        "killing_tests": killers[:20], "killing_count": len(killers),
                        "covering_count": len(tests),
                    })
            log(f"  {len(kept)} kept after {sum(verdicts.values())} tried ({dict(verdicts)})")
    record["mutations"] = total
    record["tried"] = dict(verdicts)
    record["faults"] = len(kept)
    record["build_seconds"] = round(time.perf_counter() - started, 1)
    for copy in workers.free:
        shutil.rmtree(copy, ignore_errors=True)
    return kept, record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", action="append", help="build only this library (repeatable)")
    parser.add_argument("--per-library", type=int, default=45, help="faults kept per library")
    parser.add_argument("--per-function", type=int, default=2, help="faults kept per function")
    parser.add_argument("--tries", type=int, default=3, help="mutations tried per function")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once")
    parser.add_argument("--batch", type=int, help="functions tried at once (default max(4, 3 x jobs)); smaller stops sooner")
    parser.add_argument("--seed", default="suture-faults-1")
    parser.add_argument("--work-dir", type=Path, default=corpus.DEFAULT_WORK_DIR)
    parser.add_argument("--output", type=Path, default=corpus.FAULTS)
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        libraries = corpus.load_libraries(args.library)
        baseline = corpus.load_baseline()
        built: dict[str, list[dict]] = {}
        for lib in libraries:
            built[lib.name], baseline[lib.name] = build_library(lib, args, log)
    except CorpusError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 2

    # Rebuilding some libraries keeps the other libraries' faults as they were.
    rows = [json.loads(l) for l in args.output.read_text().splitlines()] if args.output.exists() else []
    rows = [r for r in rows if r["library"] not in built] + [r for faults in built.values() for r in faults]
    names = [lib.name for lib in corpus.load_libraries()]
    rows.sort(key=lambda r: (names.index(r["library"]), r["path"], r["start_line"], r["start_col"], r["kind"]))
    args.output.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    # Read again: another build (of other libraries) may have written it meanwhile.
    baseline = {**corpus.load_baseline(), **{name: baseline[name] for name in built}}
    corpus.BASELINE.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
    per_library = Counter(r["library"] for r in rows)
    per_operator = Counter(r["operator"] for r in rows)
    log(f"{len(rows)} faults in {args.output}: {dict(per_library)}; by operator {dict(per_operator)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
