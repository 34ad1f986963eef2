"""`suture optimize` over the slow-code corpus (bench/slow/): does the offline rule set find
significant speed-ups, how large, and does any kept edit change behaviour?

Per case: a git repo holding the slow program (bench/slow/corpus.copy_case), then
`suture optimize --target T --workload workload.py --json` through the real CLI. Each
patch is judged on a fresh copy that also holds the case's held-back differential tests
(never shown to suture): the patch is applied and heldback/ (plus the visible tests) run.

Reported (issue 8 targets): share of cases with a significant speed-up (>= 60%), geometric
mean speed-up on those (>= 2x; the product of the kept edits' median ratios), kept edits
that change behaviour (0), and per-candidate overhead (profiling + gates + measurement;
< 60 s for a 50 ms workload). Appends to bench/RESULTS.md unless --no-write.

    python bench/bench_optimize.py [--cases a,b,c] [--rounds N] [--no-libraries] [--no-write]
                                   [--side-by-side N] [--batch [--workers N]]

--side-by-side N runs N cases' `suture optimize` at a time (each case's ratios still come from its own
interleaved rounds: the neighbours add noise, not bias); only under the bench lock.

--batch runs every case through one `suture batch --workers N` (the product path: each case a task
of the batch, its report read back from results.jsonl) instead of one `suture optimize` per case.
The timings then share the machine with N-1 other cases: compare verdicts across the two paths,
and speed-ups only within one.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import append_results, run_batch  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_slow_corpus", HERE / "slow" / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
sys.modules["bench_slow_corpus"] = corpus
_spec.loader.exec_module(corpus)


@dataclass
class CaseResult:
    name: str
    kind: str
    expected_rule: str
    status: str  # optimized | no_significant_speedup | error
    exit_code: int | None
    speedup: float  # product of the kept edits' median ratios; 1.0 when none
    rules: list[str]
    candidates: int
    candidate_seconds: list[float]
    seconds: float
    behaviour_changed: bool | None  # None: nothing kept, nothing to judge
    heldback_failures: list[str]
    message: str = ""


def optimize_args(case, repo: Path, rounds: int, time_limit: float) -> dict:
    """The case's `suture optimize` options, named as a TASKS line names them."""
    return {"target": case.target, "workload": str(repo / "workload.py"), "rounds": rounds, "time_limit": time_limit}


def run_case(case, rounds: int, time_limit: float, work: Path) -> CaseResult:
    repo = corpus.copy_case(case, work / f"{case.name}-repo", work_dir=work)
    argv = [f"--{k.replace('_', '-')}={v}" for k, v in optimize_args(case, repo, rounds, time_limit).items()]
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "suture.agent.cli.main", "optimize", *argv, "--json"],
                          cwd=repo, capture_output=True, text=True, timeout=time_limit + 300)
    seconds = time.monotonic() - started
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        report = {"status": "error", "error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return case_result(case, report, done.returncode, seconds, work)


def run_cases_batch(cases, rounds: int, time_limit: float, workers: int, work: Path) -> list[CaseResult]:
    """Every case prepared first, then all of them through one `suture batch --workers N` (the product
    path), each judged from its report in results.jsonl exactly as `run_case` judges the single command's."""
    repos = {case.name: corpus.copy_case(case, work / f"{case.name}-repo", work_dir=work) for case in cases}
    tasks = [{"id": case.name, "repo": str(repos[case.name]), "command": "optimize",
              "args": optimize_args(case, repos[case.name], rounds, time_limit)} for case in cases]
    reports, _ = run_batch(tasks, work / "batch", workers, time_limit + 300)
    results = []
    for case in cases:
        report = reports.get(case.name) or {"status": "error", "error": "not in results.jsonl", "wall": 0.0}
        results.append(case_result(case, report, report.get("exit_code"), report.get("wall") or 0.0, work))
    return results


def case_result(case, report: dict, exit_code: int | None, seconds: float, work: Path) -> CaseResult:
    """A case's result from its JSON report (a run with none: {"status": "error", "error": why}); a kept
    patch is judged on a fresh copy with the held-back tests."""
    if report.get("status") == "error" and "edits" not in report:
        return CaseResult(case.name, case.kind, case.expected_rule, "error", exit_code, 1.0, [], 0, [],
                          seconds, None, [], str(report.get("error") or report.get("stopped_because") or ""))
    edits = report.get("edits", [])
    speedup = math.prod(e["speedup"] for e in edits) if edits else 1.0
    changed, failures = None, []
    if report["status"] == "optimized" and report["patch"]:
        changed, failures = judge_patch(case, report["patch"], work)
    # Why the candidates that were not kept stopped (a gate, or a speed-up that was not significant).
    stops = [f"{c.get('stage')}: {c.get('reason')}" for c in report.get("candidates", []) if not c.get("accepted")]
    return CaseResult(
        case.name, case.kind, case.expected_rule, report["status"], exit_code, speedup,
        [e["rule"] for e in edits], report.get("candidates_tried", 0),
        [c["seconds"] for c in report.get("candidates", [])], report.get("seconds", seconds), changed, failures,
        "; ".join([report.get("stopped_because", ""), *stops]),
    )


def judge_patch(case, patch: str, work: Path) -> tuple[bool, list[str]]:
    """Apply `patch` to a fresh copy with the held-back tests; (behaviour changed, failing tests)."""
    fresh = corpus.copy_case(case, work / f"{case.name}-judge", heldback=True, work_dir=work)
    patch_file = work / f"{case.name}.diff"
    patch_file.write_text(patch)
    applied = subprocess.run(["git", "apply", str(patch_file)], cwd=fresh, capture_output=True, text=True)
    if applied.returncode != 0:
        return True, [f"the patch does not apply: {applied.stderr.strip()[:200]}"]
    suites = [s for s in ("heldback", "tests") if (fresh / s).is_dir()]
    run = corpus.run_suites(fresh, suites)
    failing = run.failed()
    if run.timed_out:
        failing.append("(timed out)")
    return bool(failing), failing


def summarise(results: list[CaseResult], rounds: int) -> str:
    optimized = [r for r in results if r.status == "optimized"]
    share = len(optimized) / len(results) if results else 0.0
    geo = math.exp(statistics.fmean(math.log(r.speedup) for r in optimized)) if optimized else 1.0
    pie_mean = statistics.fmean(r.speedup if r.status == "optimized" else 1.0 for r in results) if results else 1.0
    changed = [r for r in results if r.behaviour_changed]
    per_candidate = [s for r in results for s in r.candidate_seconds]
    rows = ["| case | kind | expected rule | status | speed-up | kept rules | candidates | held-back | seconds |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        held = "-" if r.behaviour_changed is None else ("FAIL: " + ", ".join(r.heldback_failures[:2])
                                                         if r.behaviour_changed else "pass")
        status = r.status if r.status != "error" else f"error ({r.message[:80]})"
        rows.append(f"| {r.name} | {r.kind} | {r.expected_rule} | {status} | {r.speedup:.2f}x | "
                    f"{', '.join(r.rules) or '-'} | {r.candidates} | {held} | {r.seconds:.1f} |")
    lines = [
        f"Cases: {len(results)} (offline rules only, {rounds} timing rounds per comparison).",
        f"- significant speed-up: {len(optimized)}/{len(results)} = {share:.0%} (target 60%)",
        f"- geometric-mean speed-up on those: {geo:.2f}x (target 2x)",
        f"- PIE-style mean speed-up over all cases (failures as 1.0x): {pie_mean:.2f}x",
        f"- kept edits that change behaviour (held-back tests): {len(changed)} (target 0)"
        + (f": {', '.join(r.name for r in changed)}" if changed else ""),
        f"- per-candidate time (gates + measurement): median {statistics.median(per_candidate):.1f} s, "
        f"max {max(per_candidate):.1f} s (target < 60 s)" if per_candidate else "- no candidate was judged",
        f"- whole run per case: median {statistics.median(r.seconds for r in results):.1f} s" if results else "",
        "",
        *rows,
    ]
    return "\n".join(lines)


def _say(result: CaseResult) -> None:
    held = "-" if result.behaviour_changed is None else ("FAIL" if result.behaviour_changed else "pass")
    print(f"{result.name}: {result.status} {result.speedup:.2f}x {result.rules} held-back {held} "
          f"({result.seconds:.1f} s)", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--no-libraries", action="store_true", help="only the corpus's own cases")
    parser.add_argument("--no-write", action="store_true", help="print, do not append to bench/RESULTS.md")
    parser.add_argument("--side-by-side", type=int, default=1, help="cases run at a time (default 1)")
    parser.add_argument("--batch", action="store_true", help="run the cases through one `suture batch --workers N`")
    parser.add_argument("--workers", type=int, default=2, help="with --batch: cases at a time")
    parser.add_argument("--rows", type=Path, help="also write the per-case results as JSON to this file")
    args = parser.parse_args(argv)
    names = args.cases.split(",") if args.cases else None
    cases = corpus.load_cases(names, libraries=not args.no_libraries)
    if names:  # in the order given (the ones to see first, first)
        cases.sort(key=lambda case: names.index(case.name))
    results = []
    with tempfile.TemporaryDirectory(prefix="suture-bench-optimize-") as tmp:
        if args.batch:
            results = run_cases_batch(cases, args.rounds, args.time_limit, args.workers, Path(tmp))
            for result in results:
                _say(result)
        else:
            with ThreadPoolExecutor(max_workers=max(1, args.side_by_side)) as pool:
                running = [pool.submit(run_case, case, args.rounds, args.time_limit, Path(tmp)) for case in cases]
                for future in as_completed(running):
                    _say(future.result())
                    if args.rows:  # what is done so far, in case the run is stopped
                        args.rows.write_text(json.dumps([vars(f.result()) for f in running if f.done()], indent=1))
            results = [future.result() for future in running]
    if args.rows:
        args.rows.write_text(json.dumps([vars(r) for r in results], indent=1))
    body = summarise(results, args.rounds)
    if args.batch:
        body = f"Through `suture batch --workers {args.workers}`.\n" + body
    elif args.side_by_side > 1:
        body = f"{args.side_by_side} cases side by side.\n" + body
    print(body)
    if not args.no_write:
        append_results("suture optimize on the slow corpus (bench/bench_optimize.py)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
