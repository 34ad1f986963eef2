"""What localisation's work buys the repair: `suture fix` with plain Ochiai's ranking vs suture's default.

Issue 19 asks that bench/faults' correct fixes rise with the localisation work. This runs the same
`suture fix --json` (the rule engine, no model) on a seeded fault twice, back to back, alternating
which goes first:

- before: plain Ochiai ranks the suspects (the function's best Ochiai line, none of the failing
  tests' own evidence, no issue text, no mutation evidence): a weights file whose only weight is
  the feature `ochiai_plain` (tools/testing/features.py), passed as $SUTURE_LOCALIZE_WEIGHTS, which
  `fix` ranks with exactly as `localize` does (both call tools/testing/localize.localize);
- after: suture's default ranking (the hand-set combination, combine.WEIGHTS).

Both get the fault's issue text when it has one (bench/faults/issues), so the input is the same and
only the ranking differs. Each run's ranking is read from its own trajectory (the `localised` event),
so the table shows the place the faulty function really had in that run, with suture's tie-breaking.
Correct = the patch undoes the seeded fault (bench_fix's judge: the whole suite passes and the file is
AST-identical to the original); a patch shown as plausible (not claimed) is judged on its own.

    python bench/bench_fix_localize.py --only FAULT_ID ... [--time-limit 300] [--rows-out F] [--no-results]
    python bench/bench_fix_localize.py --table-from ROWS   (the table of rows written by earlier runs)
    python bench/bench_fix_localize.py --queue --only FAULT_ID ...

`--queue` runs no `suture fix`: it localises each fault both ways (the same `localize` call, in process)
and builds the rule engine's candidate stream from each ranking exactly as `fix` does (synthesis off, as
by default), then reports where the correct patch (the fault undone, AST-identical) stands in it: how
many candidates the gates must get through before it, whatever the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_fix  # noqa: E402
from bench_localize import issue_path  # noqa: E402
from common import append_results, last_json_object, suture_exe  # noqa: E402

MODES = ("before", "after")
LABEL = {"before": "plain Ochiai", "after": "suture default"}


def plain_ochiai_weights(dest: Path) -> Path:
    """A weights file that ranks by plain Ochiai alone: every other feature weighs 0 (a feature the
    file left out would get its hand weight: combine.fitted_weight)."""
    from suture.tools.testing.features import FEATURES

    dest.write_text(json.dumps({"weights": {f: (1.0 if f == "ochiai_plain" else 0.0) for f in FEATURES},
                                "fitted_by": "bench/bench_fix_localize.py (plain Ochiai, not fitted)"}))
    return dest


def run_fix(repo: Path, time_limit: float, issue: Path | None, weights: Path | None) -> dict:
    """`suture fix --json` in its own session; its report, the bench's wall time, and the trajectory's ranking."""
    cmd = [suture_exe(), "fix", "--repo", str(repo), "--json", "--time-limit", f"{time_limit:g}",
           *(["--issue-file", str(issue)] if issue else [])]
    env = {k: v for k, v in os.environ.items() if k != "SUTURE_LOCALIZE_WEIGHTS"}
    if weights is not None:
        env["SUTURE_LOCALIZE_WEIGHTS"] = str(weights)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=env)
    killed = False
    try:
        out, err = proc.communicate(timeout=time_limit * 1.5 + 30)
    except subprocess.TimeoutExpired:
        killed = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    report = last_json_object(out)
    if not isinstance(report, dict) or "status" not in report:
        report = {"status": "error", "error": (err.strip() or out.strip())[-300:] or "no JSON report"}
    report.update(exit_code=proc.returncode, wall=time.perf_counter() - start, killed=killed,
                  ranking=_ranking(repo, report.get("run_dir")), stderr_tail=err.strip()[-300:])
    return report


def _ranking(repo: Path, run_dir: str | None) -> list[tuple[str, str]]:
    """The (path, symbol) order of the run's `localised` event (its top 20), [] when there is none."""
    if not run_dir:
        return []
    trajectory = repo / ".suture" / "runs" / Path(run_dir).name / "trajectory.jsonl"
    if not trajectory.is_file():
        return []
    for line in trajectory.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "localised":
            return [(s["path"], s["symbol"]) for s in event.get("ranking", [])]
    return []


def run_pair(case, index: int, args, weights: Path) -> list[dict]:
    """The fault fixed both ways, back to back, the order alternating with `index`."""
    issue = issue_path(case.fault) if issue_path(case.fault).is_file() else None
    truth = (case.fault["path"], case.fault["symbol"])
    rows = []
    for mode in (MODES if index % 2 == 0 else MODES[::-1]):
        with tempfile.TemporaryDirectory(prefix="suture-fixloc-") as tmp:
            tmp = Path(tmp)
            repo = case.prepare(tmp / "repo")
            load = os.getloadavg()[0]
            report = run_fix(repo, args.time_limit, issue, weights if mode == "before" else None)
            ranking = report["ranking"]
            row = {**bench_fix.judged_row(case, report, tmp, args), "mode": mode, "issue": issue is not None,
                   "rank": ranking.index(truth) + 1 if truth in ranking else None, "load": round(load, 1),
                   "produced_by": report.get("produced_by"), "stopped_because": report.get("stopped_because")}
        rows.append(row)
        if args.rows_out:
            with args.rows_out.open("a") as out:
                out.write(json.dumps(row) + "\n")
        print(f"{case.name} [{mode}]: rank {row['rank']}, {_outcome(row)}, {row['candidates']} tried, "
              f"{row['seconds']} s, load {row['load']} {row.get('note') or ''}", file=sys.stderr, flush=True)
    return rows


def queue_places(case, weights: Path, max_candidates: int = 500) -> dict:
    """Per mode: the faulty function's place in the ranking and the correct patch's in the rule engine's stream."""
    import ast

    from suture.agent.propose.rules import generate_candidates
    from suture.tools.edits import apply_edits
    from suture.tools.testing.localize import localize

    issue = issue_path(case.fault) if issue_path(case.fault).is_file() else None
    truth = (case.fault["path"], case.fault["symbol"])
    original = ast.dump(ast.parse((case.library_repo / case.fault["path"]).read_text()))
    row = {"name": case.name, "load": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory(prefix="suture-fixloc-queue-") as tmp:
        tree = case.prepare(Path(tmp) / "repo")
        target = tree / case.fault["path"]
        seeded = target.read_bytes()
        for mode in MODES:
            os.environ.pop("SUTURE_LOCALIZE_WEIGHTS", None)
            if mode == "before":
                os.environ["SUTURE_LOCALIZE_WEIGHTS"] = str(weights)
            try:
                found = localize(tree, run_dir=Path(tmp) / f"run-{mode}", issue_text=issue.read_text() if issue else None)
            finally:
                os.environ.pop("SUTURE_LOCALIZE_WEIGHTS", None)
            listed = [(s.path, s.symbol) for s in found.ranking]
            place = None
            for number, candidate in enumerate(generate_candidates(tree, found.ranking, found.line_scores,
                                                                   max_candidates=max_candidates), 1):
                if any(e.path != case.fault["path"] for e in candidate.edits):
                    continue
                try:
                    if all(r.applied for r in apply_edits(tree, candidate.edits)):
                        if ast.dump(ast.parse(target.read_text())) == original:
                            place = number
                            break
                except SyntaxError:
                    pass
                finally:
                    target.write_bytes(seeded)
            row[mode] = {"rank": listed.index(truth) + 1 if truth in listed else None, "patch_at": place}
    return row


def _outcome(row: dict) -> str:
    if row.get("correct"):
        return "correct fix"
    if row.get("claimed_fixed"):
        return "fixed, not the original code" if row.get("fixed") else "wrong claim"
    if row.get("plausible"):
        return "correct patch shown as plausible" if row.get("plausible_correct") else "plausible, not correct"
    return str(row.get("status"))


def table(rows: list[dict]) -> str:
    by_fault: dict[str, dict[str, dict]] = {}
    for row in rows:
        by_fault.setdefault(row["name"], {})[row["mode"]] = row
    lines = ["| fault | plain Ochiai: rank, outcome, tried, s | suture default: rank, outcome, tried, s |",
             "|---|---|---|"]
    for name, pair in by_fault.items():
        cells = [f"{r['rank'] or '>20'}, {_outcome(r)}, {r['candidates']}, {r['seconds']:.0f}" if r else "-"
                 for r in (pair.get("before"), pair.get("after"))]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    complete = [p for p in by_fault.values() if len(p) == 2]
    counts = {m: sum(bool(p[m]["correct"]) for p in complete) for m in MODES}
    shown = {m: sum(bool(p[m]["correct"] or p[m]["plausible_correct"]) for p in complete) for m in MODES}
    lines += ["", f"Correct fixes claimed on the {len(complete)} complete pairs: plain Ochiai {counts['before']}, "
              f"suture default {counts['after']} ({counts['after'] - counts['before']:+d}); a correct patch returned "
              f"at all (claimed or shown as plausible): {shown['before']} -> {shown['after']}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="a fault id (repeatable)")
    parser.add_argument("--table-from", type=Path, help="print the table of a --rows-out file and stop")
    parser.add_argument("--queue", action="store_true",
                        help="no fix runs: the correct patch's place in the rule engine's stream under each ranking")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds given to each `suture fix`")
    parser.add_argument("--work-dir", type=Path, default=bench_fix.faults_corpus.DEFAULT_WORK_DIR)
    parser.add_argument("--rows-out", type=Path, help="append one JSON line per run, as each ends")
    parser.add_argument("--no-results", action="store_true", help="print, do not append to bench/RESULTS.md")
    parser.add_argument("--offset", type=int, default=0,
                        help="odd: the first fault runs after-then-before (for pairs run one invocation each)")
    args = parser.parse_args(argv)
    if args.table_from:
        print(table([json.loads(line) for line in args.table_from.read_text().splitlines() if line.strip()]))
        return 0
    if not args.only:
        parser.error("name the faults with --only")
    cases = {c.name: c for c in bench_fix.fault_cases(args.work_dir, args.only)}
    missing = [name for name in args.only if name not in cases]
    if missing:
        parser.error(f"no such fault: {', '.join(missing)}")
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="suture-fixloc-weights-") as scratch:
        weights = plain_ochiai_weights(Path(scratch) / "plain_ochiai.json")
        if args.queue:
            for name in args.only:
                row = queue_places(cases[name], weights)
                print(json.dumps(row), flush=True)
                if args.rows_out:
                    with args.rows_out.open("a") as out:
                        out.write(json.dumps(row) + "\n")
            return 0
        for index, name in enumerate(args.only):
            rows += run_pair(cases[name], index + args.offset, args, weights)
    text = (f"{len(args.only)} faults, `suture fix --json --time-limit {args.time_limit:g}` each way, "
            f"{time.perf_counter() - started:.0f} s in all.\n\n" + table(rows))
    print(text)
    if not args.no_results:
        append_results("Repair with plain Ochiai's ranking vs suture's default (bench/bench_fix_localize.py, issue 19)",
                       text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
