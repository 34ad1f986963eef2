"""The feature table the fitted localisation combination learns from (bench/fit_localize.py).

For each seeded fault (bench/faults/faults.jsonl): the fault committed on a fresh worktree of
its library (as bench/bench_localize.py does), one `localize` run (with the fault's issue text
when bench/faults/issues has one), and per suspect its feature vector as localize computes it
at run time (tools/testing/features.py), and beside the suspects the truth's rank under the
baselines: plain Ochiai (no boosts, as bench_localize's baseline) and suture's hand-weighted
combination (tools/testing/combine.py). (Older rows also carry a `churn` feature, 0 everywhere:
the sdist imports have no history; the feature was dropped, tools/testing/features.py says why.)

Each row: {id, library, group, truth, units, has_issue, seconds, baseline_ranks, suspects:
[{path, symbol, features}]}. Only the best MAX_SUSPECTS by Ochiai and those with any non-SBFL
evidence are kept: a suspect outside them is never in the top 5 of any combination that weighs
SBFL at all.

    python bench/localize_features.py [--group train|heldout|all] [--limit N] [--library NAME]... [--jobs 2]
        [--work-dir DIR] [--out bench/faults/features.jsonl] [--append]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "faults"))
import bench_localize  # noqa: E402
import corpus  # noqa: E402

TABLE = HERE / "faults" / "features.jsonl"
MAX_SUSPECTS = 40
# The run's own weights do not matter (the table keeps raw features); these only make localize
# compute every feature (a weight file that loads) and rank like the hand combination.
HAND_EQUIVALENT = {"ochiai": 1.0, "issue_bm25": 0.2, "issue_traceback": 0.3}


def fault_row(fault: dict, repo: Path, units: int, group: str) -> dict:
    from suture.tools.testing.localize import LocalizeError, localize

    truth = (fault["path"], fault["symbol"])
    issue = bench_localize.issue_path(fault)
    text = issue.read_text() if issue.is_file() else None
    row = {"id": fault["id"], "library": fault["library"], "group": group, "truth": list(truth), "units": units,
           "has_issue": text is not None}
    with tempfile.TemporaryDirectory(prefix="suture-features-") as tmp:
        tree = bench_localize.seeded_worktree(repo, fault, Path(tmp) / "tree")
        try:
            start = time.perf_counter()
            try:
                loc = localize(tree, formula="ochiai", run_dir=Path(tmp) / "run", issue_text=text)
            except LocalizeError as error:
                return {**row, "error": str(error)}
            row["seconds"] = round(time.perf_counter() - start, 2)
            hand = bench_localize.rerank(loc, tree, "ochiai", text)
            plain = bench_localize.plain_ochiai(bench_localize.per_test_lines(loc.spectra), set(loc.failing), tree)
            row["baseline_ranks"] = {
                "plain ochiai": bench_localize.mid_rank(plain, truth, units),
                "hand": bench_localize.mid_rank({(s.path, s.symbol): s.score for s in hand}, truth, units),
            }
            suspects = []
            for s in loc.ranking:
                features = dict((s.signals.get("combination") or {}).get("features") or {})
                suspects.append({"path": s.path, "symbol": s.symbol, "features": features})
            suspects.sort(key=lambda s: -s["features"].get("ochiai_rank", 0.0))
            row["suspects"] = [s for i, s in enumerate(suspects) if i < MAX_SUSPECTS or _other_evidence(s)]
        finally:
            bench_localize.remove_worktree(repo, tree)
    return row


def _other_evidence(suspect: dict) -> bool:
    features = suspect["features"]
    return any(features.get(name) for name in ("issue_bm25", "issue_traceback", "mutation"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", choices=("train", "heldout", "all"), default="all")
    parser.add_argument("--limit", type=int, help="at most N faults, spread over the libraries (with-issue faults first)")
    parser.add_argument("--library", action="append")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--work-dir", type=Path, default=corpus.DEFAULT_WORK_DIR)
    parser.add_argument("--out", type=Path, default=TABLE)
    parser.add_argument("--append", action="store_true", help="keep the table's rows and run only faults it lacks")
    parser.add_argument("--one-fault", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    faults = [json.loads(line) for line in corpus.FAULTS.read_text().splitlines()]
    libraries = [lib for lib in corpus.load_libraries(args.library) if args.group in ("all", lib.group)]
    groups = {lib.name: lib.group for lib in libraries}
    repos = {lib.name: args.work_dir / lib.name / "repo" for lib in libraries}
    if args.one_fault:
        (fault,) = [f for f in faults if f["id"] == args.one_fault]
        repo = repos[fault["library"]]
        print(json.dumps(fault_row(fault, repo, bench_localize.count_units(repo), groups[fault["library"]])))
        return 0

    for lib in libraries:
        if not (repos[lib.name] / ".git").exists():
            corpus.prepare(lib, args.work_dir)
    # Faults with an issue text first: they are the only evidence for the issue signals' weights.
    faults.sort(key=lambda f: not bench_localize.issue_path(f).is_file())
    done_ids = set()
    if args.append and args.out.exists():  # a run cut short goes on where it stopped
        done_ids = {json.loads(line)["id"] for line in args.out.read_text().splitlines() if line.strip()}
    chosen = [f for f in bench_localize.select(faults, list(groups), args.limit) if f["id"] not in done_ids]
    print(f"{len(chosen)} faults over {len(groups)} libraries", file=sys.stderr)
    weights = Path(tempfile.mkdtemp(prefix="suture-features-")) / "weights.json"
    weights.write_text(json.dumps({"weights": HAND_EQUIVALENT}))

    def one(fault: dict) -> dict:
        done = subprocess.run([sys.executable, __file__, "--one-fault", fault["id"], "--work-dir", str(args.work_dir)],
                              capture_output=True, text=True, env={**os.environ, "SUTURE_LOCALIZE_WEIGHTS": str(weights)})
        if done.returncode != 0:
            return {"id": fault["id"], "library": fault["library"], "error": done.stderr.strip()[-500:]}
        return json.loads(done.stdout.strip().splitlines()[-1])

    kept = []
    if args.append and args.out.exists():
        kept = [json.loads(line) for line in args.out.read_text().splitlines() if line.strip()]
    rows = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for i, row in enumerate(pool.map(one, chosen), 1):
            rows.append(row)
            said = row.get("error") or f"{len(row['suspects'])} suspects, {row['seconds']} s, {row['baseline_ranks']}"
            print(f"[{i}/{len(chosen)}] {row['id']}: {said}", file=sys.stderr, flush=True)
            args.out.write_text("".join(json.dumps(r) + "\n" for r in kept + rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
