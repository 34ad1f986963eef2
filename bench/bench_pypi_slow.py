"""`suture optimize` over the PyPI slow-function corpus (bench/pypi_slow/): slow functions in real,
pinned PyPI libraries, each with a workload written for suture (issue 21: significant on >= 50%).

Per case: a git repo of the pristine sdist plus the workload (bench/pypi_slow/corpus.py), then
`suture optimize --target T --workload workload.py --json` through the real CLI. A kept patch is
judged on a fresh copy: the library's own suite (its pytest.ini tests) must still pass, and the
differential check (bench/pypi_slow/differential.py: returned values, exceptions and argument
mutation on small and edge inputs, original vs patched) must see no change. Cases of held-out
libraries (libraries.toml) are reported apart. When nothing is kept, the row says why: no rule
applied, a gate rejected every candidate, or the speed-up was not significant.

    python bench/pypi_slow/corpus.py --fetch        # once: the pinned sdists (pip, hash-checked)
    python bench/bench_pypi_slow.py [--cases a,b] [--rounds N] [--time-limit S] [--no-write] [--rows F]
    python bench/bench_pypi_slow.py --merge ROWS1 ROWS2 [--rounds N --time-limit S]   # shards run side by side
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import append_results  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_pypi_slow_corpus", HERE / "pypi_slow" / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
sys.modules["bench_pypi_slow_corpus"] = corpus
_spec.loader.exec_module(corpus)


@dataclass
class CaseResult:
    name: str
    library: str
    held_out: bool
    kind: str
    expected_rule: str
    status: str                     # optimized | no_significant_speedup | error
    speedup: float                  # product of the kept edits' median ratios; 1.0 when none
    intervals: list[str]            # each kept edit's 95% CI
    rules: list[str]
    candidates: int
    why_nothing: str                # when nothing was kept: no rule applies / gate / timing (why_nothing())
    seconds: float
    behaviour_changed: bool | None  # None: nothing kept, nothing to judge
    judge_notes: list[str] = field(default_factory=list)


def run_case(case, rounds: int, time_limit: float, work: Path, keep: Path | None = None) -> CaseResult:
    repo = corpus.copy_case(case, work / f"{case.name}-repo")
    argv = [f"--target={case.target}", f"--workload={repo / 'workload.py'}", f"--rounds={rounds}",
            f"--time-limit={time_limit}", "--json"]
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "suture.agent.cli.main", "optimize", *argv],
                              cwd=repo, capture_output=True, text=True, timeout=time_limit + 300)
    except subprocess.TimeoutExpired:  # a loaded machine can overrun --time-limit; the row says so
        return case_result(case, {"status": "error", "error": f"no report {time_limit + 300:.0f} s after the start "
                                  f"(--time-limit {time_limit:.0f} s overrun)"}, time.monotonic() - started, work)
    seconds = time.monotonic() - started
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        report = {"status": "error", "error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    if keep is not None:  # the whole report and the run's trajectory, for reading why a case missed
        keep.mkdir(parents=True, exist_ok=True)
        (keep / f"{case.name}.json").write_text(json.dumps(report, indent=1))
        trajectory = Path(report.get("run_dir") or "/nonexistent") / "trajectory.jsonl"
        if trajectory.is_file():
            shutil.copy2(trajectory, keep / f"{case.name}.trajectory.jsonl")
    return case_result(case, report, seconds, work)


def why_nothing(report: dict) -> str:
    """Why no edit was kept, in issue 21's words -- no rule applies, gate (a correctness gate rejected
    every candidate), timing (measured but not significant, or the time limit ran out first) -- with
    the first reason given. (A rule whose precondition was too strict shows as "no rule applies";
    bench/RESULTS.md says which, from reading the code.)"""
    candidates = report.get("candidates", [])
    if not candidates:
        return "no rule applies" + (f" ({report['stopped_because']})" if report.get("stopped_because") else "")
    measured = [c for c in candidates if c.get("stage") == "measured"]
    if measured:
        best = max(measured, key=lambda c: c.get("speedup") or 0)
        return f"timing: not significant: {best.get('source')} {best.get('reason', '')}"[:160]
    timed = [c for c in candidates if c.get("stage") == "timing"]
    if timed:
        return f"timing: {timed[0].get('source')}: {timed[0].get('reason', '')}"[:160]
    first = candidates[0]
    return f"gate: {first.get('source')} rejected at {first.get('stage')}: {first.get('reason', '')}"[:160]


def case_result(case, report: dict, seconds: float, work: Path) -> CaseResult:
    base = dict(name=case.name, library=f"{case.library.name} {case.library.version}", held_out=case.held_out,
                kind=case.kind, expected_rule=case.expected_rule, seconds=seconds)
    if report.get("status") == "error" and "edits" not in report:
        return CaseResult(**base, status="error", speedup=1.0, intervals=[], rules=[], candidates=0,
                          why_nothing=f"error: {report.get('error') or report.get('stopped_because')}"[:160],
                          behaviour_changed=None)
    edits = report.get("edits", [])
    changed, notes = None, []
    if report["status"] == "optimized" and report.get("patch"):
        changed, notes = judge_patch(case, report["patch"], work)
    return CaseResult(
        **base, status=report["status"], speedup=math.prod(e["speedup"] for e in edits) if edits else 1.0,
        intervals=[f"{e['ci_low']:.2f}-{e['ci_high']:.2f}" for e in edits], rules=[e["rule"] for e in edits],
        candidates=report.get("candidates_tried", 0), why_nothing="" if edits else why_nothing(report),
        behaviour_changed=changed, judge_notes=notes)


def judge_patch(case, patch: str, work: Path) -> tuple[bool, list[str]]:
    """(behaviour changed, why): the patch on a fresh copy against the library's suite and the differential."""
    original = corpus.copy_case(case, work / f"{case.name}-judge")
    before = corpus.differential(original)
    patch_file = work / f"{case.name}.diff"
    patch_file.write_text(patch)
    applied = subprocess.run(["git", "apply", str(patch_file)], cwd=original, capture_output=True, text=True)
    if applied.returncode != 0:
        return True, [f"the patch does not apply: {applied.stderr.strip()[:200]}"]
    notes = corpus.behaviour_diff(before, corpus.differential(original))
    run = corpus.run_suite(original)
    notes += [f"suite: {t} failed" for t in run.failed] + (["suite timed out"] if run.timed_out else [])
    if not run.outcomes:
        notes.append("suite: no test ran")
    return bool(notes), notes


def _share(rows: list[CaseResult]) -> str:
    """Significant among the cases optimize judged; an error row (no report, a guard on the base commit)
    measured nothing and is counted apart, never as a 'not significant'."""
    judged = [r for r in rows if r.status != "error"]
    hits = sum(r.status == "optimized" for r in judged)
    share = f"{hits}/{len(judged)} = {hits / len(judged):.0%}" if judged else "not measured (0 judged)"
    return share + (f", {len(rows) - len(judged)} error rows" if len(judged) < len(rows) else "")


def summarise(results: list[CaseResult], rounds: int, time_limit: float) -> str:
    tuning = [r for r in results if not r.held_out]
    held = [r for r in results if r.held_out]
    changed = [r.name for r in results if r.behaviour_changed]
    rows = ["| case | library | split | kind | status | speed-up | 95% CI | kept rules | why nothing | judged | s |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        judged = "-" if r.behaviour_changed is None else ("CHANGED: " + "; ".join(r.judge_notes[:2])
                                                          if r.behaviour_changed else "suite + differential same")
        rows.append(f"| {r.name} | {r.library} | {'held-out' if r.held_out else 'tuning'} | {r.kind} | "
                    f"{'significant' if r.status == 'optimized' else r.status} | {r.speedup:.2f}x | "
                    f"{', '.join(r.intervals) or '-'} | {', '.join(r.rules) or '-'} | {r.why_nothing or '-'} | "
                    f"{judged} | {r.seconds:.0f} |")
    return "\n".join([
        f"Cases: {len(results)} ({len(tuning)} tuning, {len(held)} held-out); offline rules only, "
        f"{rounds} timing rounds per comparison, --time-limit {time_limit:.0f} s per case.",
        f"- significant speed-up, all: {_share(results)} (target >= 50%)",
        f"- significant speed-up, tuning libraries: {_share(tuning)}; held-out libraries: {_share(held)}",
        f"- kept edits that change behaviour (library suite + differential): {len(changed)} (target 0)"
        + (f": {', '.join(changed)}" if changed else ""),
        "",
        *rows,
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=150.0)
    parser.add_argument("--no-write", action="store_true", help="print, do not append to bench/RESULTS.md")
    parser.add_argument("--rows", type=Path, help="also write the per-case results as JSON to this file")
    parser.add_argument("--merge", type=Path, nargs="+", help="summarise the --rows files of shards run side by side")
    parser.add_argument("--keep", type=Path, help="keep each case's optimize report and trajectory in this folder")
    args = parser.parse_args(argv)
    if args.merge:
        merged = [CaseResult(**row) for rows in args.merge for row in json.loads(rows.read_text())]
        return _report(sorted(merged, key=lambda r: (r.held_out, r.name)), args, len(args.merge))
    cases = corpus.load_corpus(names=args.cases.split(",") if args.cases else None).cases
    results = []
    with tempfile.TemporaryDirectory(prefix="suture-bench-pypi-slow-") as tmp:
        for case in cases:
            results.append(run_case(case, args.rounds, args.time_limit, Path(tmp), args.keep))
            r = results[-1]
            print(f"{r.name}: {r.status} {r.speedup:.2f}x {r.intervals} {r.rules} {r.why_nothing} "
                  f"changed={r.behaviour_changed} ({r.seconds:.0f} s)", file=sys.stderr, flush=True)
            if args.rows:
                args.rows.write_text(json.dumps([asdict(x) for x in results], indent=1))
    return _report(results, args, 1)


def _report(results: list[CaseResult], args, shards: int) -> int:
    body = summarise(results, args.rounds, args.time_limit)
    if shards > 1:
        body = f"Run as {shards} shards side by side (each case's ratios come from one run).\n" + body
    print(body)
    if not args.no_write:
        branch = subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=HERE, capture_output=True,
                                text=True).stdout.strip() or "unknown branch"
        append_results(f"suture optimize on the PyPI slow-function corpus (bench/bench_pypi_slow.py, issue 21, {branch})",
                       body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
