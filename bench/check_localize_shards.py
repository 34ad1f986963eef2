"""Does localisation's split coverage run (tools/testing/shards.py) rank as one process does?

For each fault of bench/faults (those of features.jsonl by default: the 40 train + 9 held-out faults
issue 19 is scored on), one seeded checkout, localised twice in this process, one pytest process
(SUTURE_LOCALIZE_SHARDS=1) then two (=2), without issue text or mutation evidence (both read the
same run's ranking; the mutation step is timed, so two runs of it may differ by what the clock
allowed). Compared: the failing and flaky tests, the whole ranking (path, symbol, score), the
statements, and every line's score. Wall seconds of each run are printed, not claimed (the bench of
record for time is bench_localize.py --overhead-only).

    python bench/check_localize_shards.py [--library NAME]... [--fault ID]... [--fault-file F] [--out ROWS.jsonl]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "faults"))
import corpus  # noqa: E402
from bench_localize import remove_worktree, seeded_worktree  # noqa: E402


SPLIT: list[str] = []  # the shards' "shard k: N tests, S s" lines of the last run (tools/testing/shards.py)


class _Split(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        SPLIT.append(record.getMessage())


def one_way(tree: Path, shards: int, run_dir: Path) -> tuple[dict, float]:
    from suture.tools.testing.localize import localize

    os.environ["SUTURE_LOCALIZE_SHARDS"] = str(shards)
    start = time.perf_counter()
    SPLIT.clear()
    loc = localize(tree, run_dir=run_dir)
    seconds = time.perf_counter() - start
    return {"failing": loc.failing, "flaky": loc.flaky,
            "ranking": [(s.path, s.symbol, s.score) for s in loc.ranking],
            "statements": loc.statements,
            "lines": sorted((p, n, round(v, 9)) for (p, n), v in loc.line_scores.items())}, seconds


def compare(fault: dict, repo: Path, ways: tuple[int, int] = (1, 2)) -> dict:
    with tempfile.TemporaryDirectory(prefix="suture-shards-") as tmp:
        tree = seeded_worktree(repo, fault, Path(tmp) / "tree")
        try:
            one, one_s = one_way(tree, ways[0], Path(tmp) / "run1")
            two, two_s = one_way(tree, ways[1], Path(tmp) / "run2")
            shards = list(SPLIT)
            split = sorted(p.name for p in (Path(tmp) / "run2").glob("coverage.db.*"))
        finally:
            remove_worktree(repo, tree)
    differs = [key for key in one if one[key] != two[key]]
    # every suspect with the same score both ways; only the order among equal scores differs (jmespath's
    # suite alone orders its ties differently from one run to the next, one process both times)
    same_scores = sorted(one["ranking"]) == sorted(two["ranking"])
    shown = {key: [[a, b] for a, b in zip(one[key], two[key]) if a != b][:3] for key in ("ranking", "lines")
             if key in differs}
    truth = (fault["path"], fault["symbol"])
    place = {w: next((i + 1 for i, s in enumerate(r["ranking"]) if (s[0], s[1]) == truth), None)
             for w, r in (("one", one), ("two", two))}
    return {"id": fault["id"], "library": fault["library"], "same": not differs, "same_scores": same_scores, "differs": differs, "first_differences": shown,
            "place_one": place["one"], "place_two": place["two"], "split_files": split, "shards": shards,
            "seconds_one": round(one_s, 2), "seconds_two": round(two_s, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", action="append")
    parser.add_argument("--fault", action="append")
    parser.add_argument("--fault-file", type=Path, help="fault ids, one a line")
    parser.add_argument("--out", type=Path, help="append each fault's row (JSON) as it ends")
    parser.add_argument("--ways", default="1,2", help="the two runs' process counts (1,1: how far a suite's own "
                        "nondeterminism moves one process's ranking between two runs)")
    args = parser.parse_args(argv)
    logger = logging.getLogger("suture.shards")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(_Split())
    wanted = [json.loads(line)["id"] for line in (HERE / "faults" / "features.jsonl").read_text().splitlines()]
    faults = {f["id"]: f for f in map(json.loads, corpus.FAULTS.read_text().splitlines())}
    if args.fault_file:
        args.fault = [*(args.fault or []), *filter(None, args.fault_file.read_text().splitlines())]
    chosen = [faults[i] for i in (args.fault or wanted) if i in faults
              and (not args.library or faults[i]["library"] in args.library)]
    repos = {}
    rows = []
    for fault in chosen:
        name = fault["library"]
        if name not in repos:
            (lib,) = corpus.load_libraries([name])
            repos[name] = corpus.prepare(lib, corpus.DEFAULT_WORK_DIR)
        row = compare(fault, repos[name], tuple(int(w) for w in args.ways.split(",")))
        rows.append(row)
        if args.out:
            with args.out.open("a") as out:
                out.write(json.dumps(row) + "\n")
        print(json.dumps(row), file=sys.stderr)
    same = sum(r["same"] for r in rows)
    scores = sum(r["same_scores"] for r in rows)
    split = sum(len(r["split_files"]) > 1 for r in rows)
    print(f"{same} of {len(rows)} faults ranked identically by the two runs ({args.ways}), {scores} with every "
          f"suspect's score the same ({split} runs split); differing: "
          f"{', '.join(r['id'] + ' ' + '/'.join(r['differs']) for r in rows if not r['same']) or 'none'}")
    return 0 if scores == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
