"""Validation benchmark: candidates gated per minute with 1 vs 2 worker worktrees, and the
selected tests vs the whole suite, on a seeded fault of the corpus (bench/faults/).

Set-up: the library's prepared repo (pinned sdist) with one corpus fault applied and committed,
so HEAD is buggy; `localize` gives the baseline outcomes and the per-test spectra. The
candidates are edits of the faulty function, as a repair loop would propose them: the true
fix, the same fix with an added comment (a normalized-key duplicate, validated once), and
other single-point mutations of the buggy function (wrong fixes; most are rejected at the
selected tests, some survive to the whole suite). The same candidate list is validated with
workers=1 and workers=2 (each timed `--reps` times, median reported; the verdicts must agree).

Selected vs whole suite: in a scratch tree holding the true fix, the tests the "selected" gate
runs (failing + covering the changed function) against a run of the whole suite, `--reps` times.

    python bench/bench_validate.py [--library toolz] [--fault ID] [--candidates 10] [--reps 3] [--no-results]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "faults"))
from common import append_results, median  # noqa: E402

import corpus  # noqa: E402
import mutate  # noqa: E402

from suture.agent.gates.validate import Candidate, validate  # noqa: E402
from suture.tools.edits import Edit, apply_edits  # noqa: E402
from suture.tools.testing.localize import localize  # noqa: E402
from suture.tools.testing.testrun import run_tests  # noqa: E402
from suture.tools.git.workspace import WorktreePool  # noqa: E402

DEFAULT_WORK = Path(os.environ.get("TMPDIR", "/tmp")) / "suture-bench-validate"


def load_faults(library: str) -> list[dict]:
    with open(corpus.FAULTS) as fh:
        return [f for f in map(json.loads, fh) if f["library"] == library]


def pick_fault(faults: list[dict], wanted: str | None) -> dict:
    if wanted:
        for fault in faults:
            if fault["id"] == wanted:
                return fault
        raise SystemExit(f"no fault {wanted!r} in the corpus")
    # Default: the fault covered by the most tests in a function of 6+ lines, so that test
    # selection has something to select and the wrong candidates have code to mutate.
    sized = [f for f in faults if f["symbol_end"] - f["symbol_start"] >= 6] or faults
    return max(sized, key=lambda f: (f["covering_count"], f["id"]))


def prepare_repo(lib: corpus.Library, work: Path, fault: dict) -> Path:
    shared = corpus.DEFAULT_WORK_DIR / "sdists" / lib.sdist
    mine = work / "sdists" / lib.sdist
    if shared.exists() and not mine.exists():
        mine.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared, mine)  # the corpus builder's download, hash-checked again by prepare
    repo = corpus.prepare(lib, work)
    path = repo / fault["path"]
    path.write_text(mutate.apply(path.read_text(), fault))
    corpus.commit_all(repo, f"seed fault {fault['id']}")
    return repo


def function_text(source: str, start: int, end: int) -> str:
    return "".join(source.splitlines(keepends=True)[start - 1 : end])


def make_candidates(repo: Path, fault: dict, count: int, seed: int = 1) -> list[Candidate]:
    buggy = (repo / fault["path"]).read_text()
    search = function_text(buggy, fault["symbol_start"], fault["symbol_end"])
    assert buggy.count(search) == 1, "the faulty function's text is not unique in its file"
    inverse = dict(fault, original=fault["mutated"], mutated=fault["original"],
                   end_line=fault["start_line"], end_col=fault["start_col"] + len(fault["mutated"]))
    fixed = function_text(mutate.apply(buggy, inverse), fault["symbol_start"], fault["symbol_end"])
    indent = fixed[: len(fixed) - len(fixed.lstrip())]
    commented = f"{indent}# restored: the seeded fault inverted this\n" + fixed
    candidates = [
        Candidate("fix", [Edit(fault["path"], search, fixed)], "bench", "the true fix"),
        Candidate("fix-commented", [Edit(fault["path"], search, commented)], "bench", "the true fix plus a comment"),
    ]
    wrong = [
        m for m in mutate.mutations(buggy)
        if fault["symbol_start"] <= m.start_line <= fault["symbol_end"]
        and mutate.apply(buggy, m) != mutate.apply(buggy, inverse)
    ]
    random.Random(seed).shuffle(wrong)
    for i, m in enumerate(wrong[: max(0, count - len(candidates))]):
        replace = function_text(mutate.apply(buggy, m), fault["symbol_start"], fault["symbol_end"])
        candidates.append(Candidate(f"wrong{i}", [Edit(fault["path"], search, replace)], "bench", f"{m.kind} at line {m.start_line}"))
    return candidates


def essence(verdicts) -> list[tuple]:
    return [(v.candidate_id, v.accepted, v.stage, v.fixed, v.still_failing, v.regressions) for v in verdicts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", default="toolz")
    parser.add_argument("--fault", help="a fault id of bench/faults/faults.jsonl (default: picked)")
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--no-results", action="store_true", help="print only, do not append to bench/RESULTS.md")
    args = parser.parse_args()

    (lib,) = corpus.load_libraries([args.library])
    fault = pick_fault(load_faults(lib.name), args.fault)
    repo = prepare_repo(lib, args.work_dir, fault)
    print(f"fault {fault['id']} in {fault['symbol']} ({lib.name} {lib.version}) at {repo}", flush=True)

    started = time.perf_counter()
    found = localize(repo, run_dir=args.work_dir / "localize")
    localize_seconds = time.perf_counter() - started
    failing = found.failing
    passing = [n for n in found.run.passed if n not in found.flaky]
    print(f"baseline: {len(failing)} failing, {len(passing)} passing, {len(found.flaky)} flaky "
          f"({localize_seconds:.1f} s with coverage)", flush=True)
    candidates = make_candidates(repo, fault, args.candidates)
    common = dict(repo=repo, baseline_failing=failing, baseline_passing=passing, flaky=found.flaky,
                  spectra=found.spectra, per_test_timeout=30, candidate_time_limit=300)

    walls: dict[int, list[float]] = {1: [], 2: []}
    results: dict[int, list] = {}
    for rep in range(args.reps):
        for workers in (1, 2):
            t0 = time.perf_counter()
            verdicts = validate(candidates, workers=workers, **common)
            walls[workers].append(time.perf_counter() - t0)
            results.setdefault(workers, verdicts)
            if essence(verdicts) != essence(results[workers]) or essence(verdicts) != essence(results[1]):
                raise SystemExit(f"verdicts differ between runs (workers={workers}, rep {rep})")
            print(f"rep {rep} workers={workers}: {walls[workers][-1]:.1f} s", flush=True)
    verdicts = results[1]
    by_stage: dict[str, int] = {}
    for v in verdicts:
        key = "accepted" if v.accepted else f"rejected at {v.stage}"
        by_stage[key] = by_stage.get(key, 0) + 1
    fix = verdicts[0]
    if not fix.accepted:
        raise SystemExit(f"the true fix was not accepted: {fix.message}")
    duplicates = sum(1 for v in verdicts if v.duplicate_of)

    # Selected tests vs the whole suite, for the true fix.
    selected = fix.selected_tests
    sel_times, suite_times = [], []
    with WorktreePool(repo, size=1) as pool, pool.tree() as tree:
        apply_edits(tree, candidates[0].edits)
        for _ in range(args.reps):
            t0 = time.perf_counter()
            sel = run_tests(tree, nodeids=selected, per_test_timeout=30)
            sel_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            suite = run_tests(tree, per_test_timeout=30)
            suite_times.append(time.perf_counter() - t0)
    assert not sel.failed and not suite.failed

    per_min = {w: len(candidates) / median(walls[w]) * 60 for w in walls}
    load = os.getloadavg()
    lines = [
        f"Fault `{fault['id']}` ({fault['symbol']}, {lib.name} {lib.version}); {len(failing)} failing / "
        f"{len(passing)} passing tests at the buggy HEAD. {len(candidates)} candidates: the true fix, a "
        f"comment-only duplicate of it, {len(candidates) - 2} other mutations of the function. "
        f"Median of {args.reps} runs; load average at the end {load[0]:.2f} / {load[1]:.2f}.",
        "",
        "| workers | wall s (median) | candidates / min | speed-up |",
        "|---:|---:|---:|---:|",
    ]
    for w in (1, 2):
        lines.append(f"| {w} | {median(walls[w]):.1f} | {per_min[w]:.1f} | {median(walls[1]) / median(walls[w]):.2f}x |")
    lines += [
        "",
        "Verdicts (identical for 1 and 2 workers): "
        + ", ".join(f"{k}: {n}" for k, n in sorted(by_stage.items()))
        + f"; {duplicates} duplicate validated once (copied verdict). Accepted: "
        + ", ".join(v.candidate_id for v in verdicts if v.accepted)
        + " (a wrong candidate accepted is a mutant the suite cannot tell from the fix).",
        "",
        "| tests of the true fix | tests | wall s (median) |",
        "|---|---:|---:|",
        f"| selected (failing + covering the changed function) | {len(sel.outcomes)} | {median(sel_times):.2f} |",
        f"| whole suite | {len(suite.outcomes)} | {median(suite_times):.2f} |",
        "",
        f"Selected / whole-suite time: {median(sel_times) / median(suite_times):.2f} "
        "(pytest start-up dominates the selected run).",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_results:
        append_results("Validation throughput (bench_validate.py)", body)


if __name__ == "__main__":
    main()
