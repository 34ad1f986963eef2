"""The C corpus (bench/c_corpus/) through the CLI: `suture verify FILE.c` and offline `suture fix`.

Each program is a one-file C program with its own main (buggy.c) and a fixed version (fixed.c);
bench/c_corpus/corpus.json names its category and whether it is held out (written before any
tuning, not looked at while tuning). Per program, in a fresh git repo as prog.c:
- flagged: `suture verify prog.c` on buggy.c says `counterexample`;
- cleared: the same on fixed.c says anything but `counterexample` (no false alarm);
- repaired: `suture fix --target prog.c` (no model) says `fixed`, its accepted repair re-checked
  by ESBMC at a higher bound than the one that found the bug;
- the wall-clock seconds of `suture verify` (median over buggy and fixed).

    python bench/bench_c_corpus.py [--workers 2] [--only NAME...] [--write]

--write appends the table to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "c_corpus"
PROGRESS: Path | None = None
ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@suture.invalid",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@suture.invalid"}


def suture(*args: str, cwd: Path, timeout: float = 600) -> tuple[dict, float, int]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "suture.agent.cli.main", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=ENV)
    seconds = time.monotonic() - started
    lines = done.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1]), seconds, done.returncode
    except (IndexError, ValueError):
        return {"verdict": "crash", "status": "crash", "stderr": done.stderr[-300:]}, seconds, done.returncode


def repo_with(text: str, tmp: Path) -> Path:
    repo = tmp / "repo"
    repo.mkdir()
    (repo / "prog.c").write_text(text)
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "program"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=ENV)
    return repo


def measure(entry: dict, fix_seconds: float) -> dict:
    folder = CORPUS / entry["name"]
    row = dict(entry)
    with tempfile.TemporaryDirectory(prefix="suture-c-bench-") as tmp:
        repo = repo_with((folder / "buggy.c").read_text(), Path(tmp))
        verdict, row["verify_seconds"], _ = suture("verify", "prog.c", "--json", cwd=repo)
        row["buggy"], row["buggy_message"] = verdict.get("verdict"), verdict.get("message", "")[:160]
        fixed, row["repair_seconds"], _ = suture("fix", "--target", "prog.c", "--json", "--time-limit",
                                                 str(fix_seconds), cwd=repo)
        row["repair"] = fixed.get("status")
        checks = (fixed.get("verification") or {}).get("functions") or []
        accepted = [c for c in checks if c.get("after")]
        row["recheck_higher"] = bool(accepted) and all(
            (c["after"].get("bound") or 0) > int(str(c["before"]["message"]).rsplit("within ", 1)[-1].split()[0])
            if "within " in str(c["before"]["message"]) else False for c in accepted)
        row["repair_description"] = "; ".join(t["description"] for c in checks for t in c.get("candidates", [])
                                              if t.get("stage") == "accepted")
    with tempfile.TemporaryDirectory(prefix="suture-c-bench-") as tmp:
        repo = repo_with((folder / "fixed.c").read_text(), Path(tmp))
        verdict, row["fixed_verify_seconds"], _ = suture("verify", "prog.c", "--json", cwd=repo)
        row["fixed"], row["fixed_message"] = verdict.get("verdict"), verdict.get("message", "")[:160]
    if PROGRESS is not None:  # one line per program as it finishes: a cut-short run still has its rows
        with PROGRESS.open("a") as out:
            out.write(json.dumps(row) + "\n")
    print(f"{row['name']:28} {row['buggy']:>16} {row['fixed']:>30} {row['repair']:>10} "
          f"{row['verify_seconds']:6.1f}s", file=sys.stderr, flush=True)
    return row


def summary(rows: list[dict], label: str) -> str:
    n = len(rows)
    if not n:
        return f"| {label} | 0 | | | | |"
    flagged = sum(r["buggy"] == "counterexample" for r in rows)
    cleared = sum(r["fixed"] != "counterexample" for r in rows)
    repaired = sum(r["repair"] == "fixed" for r in rows)
    higher = sum(r["repair"] == "fixed" and r["recheck_higher"] for r in rows)
    times = [t for r in rows for t in (r["verify_seconds"], r["fixed_verify_seconds"])]
    return (f"| {label} | {n} | {flagged}/{n} ({100 * flagged / n:.0f}%) | {cleared}/{n} ({100 * cleared / n:.0f}%) | "
            f"{repaired}/{n} ({100 * repaired / n:.0f}%), {higher} re-checked higher | {statistics.median(times):.1f} s |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--fix-seconds", type=float, default=120)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the per-program rows as JSON here")
    args = parser.parse_args()
    global PROGRESS
    PROGRESS = args.out.with_suffix(".jsonl") if args.out else None
    if shutil.which("gcc") is None:
        print("needs gcc", file=sys.stderr)
        return 2
    entries = json.loads((CORPUS / "corpus.json").read_text())["programs"]
    if args.only:
        entries = [e for e in entries if e["name"] in args.only]
    # Categories interleaved: a run cut short still has some of each.
    rank: dict[str, int] = {}
    order = []
    for e in entries:
        rank[e["category"]] = rank.get(e["category"], 0) + 1
        order.append((rank[e["category"]], e))
    entries = [e for _, e in sorted(order, key=lambda pair: pair[0])]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        rows = list(pool.map(lambda e: measure(e, args.fix_seconds), entries))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1) + "\n")
    table = ["| programs | n | flagged (buggy: counterexample) | fixed versions cleared | repaired offline | "
             "median `suture verify` |", "|---|---|---|---|---|---|",
             summary(rows, "all"), summary([r for r in rows if not r["held_out"]], "tuned on"),
             summary([r for r in rows if r["held_out"]], "held out")]
    cats = sorted({r["category"] for r in rows})
    table += [summary([r for r in rows if r["category"] == c], c) for c in cats]
    detail = ["", "| program | held out | buggy | fixed | repair | accepted repair |", "|---|---|---|---|---|---|"]
    detail += [f"| {r['name']} | {'yes' if r['held_out'] else ''} | {r['buggy']} | {r['fixed']} | {r['repair']} | "
               f"{r['repair_description']} |" for r in rows]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = (f"\n## C corpus (bench/bench_c_corpus.py, {len(rows)} programs, {args.workers} workers) — {stamp}\n\n"
            + "\n".join(table + detail) + f"\n\nWall clock {time.monotonic() - started:.0f} s.\n")
    print(text)
    if args.write:
        with (HERE / "RESULTS.md").open("a") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
