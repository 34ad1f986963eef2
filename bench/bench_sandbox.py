"""The isolation's cost on the gate: time to gate a bug's true fix, as a ratio to the gate without it.

For a few bugs of bench/bugs: the buggy program as a git repo, its baseline, then `validate` of
one candidate (the bug's fix.diff as edits) in a kept worktree pool: the gates a candidate
passes (the suite in a warm fork, its confirmation in a fresh process, with the sentinel in
this branch). Three configurations, each in its own interpreter, interleaved rep by rep in the
same job so the machine's load falls on all alike:

- reference: another checkout's venv (`--reference-python`, e.g. main's `.venv/bin/python`),
  the gate as it was before the isolation;
- `none`: this checkout, run leader (subreaper, parent-death signal, memory cap) and sentinel;
- `bwrap`: this checkout under bubblewrap (left out when it does not work here).

    python bench/bench_sandbox.py --reference-python /work/main/.venv/bin/python [--bugs a,b] [--reps 5] [--no-results]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_BUGS = ("add_months", "binary_search", "cart_coupon", "color_hex")


def _edits_of(diff: str) -> list[tuple[str, str, str]]:
    """(path, search, replace) per hunk of a unified diff."""
    edits, path, old, new = [], None, [], []

    def flush():
        if path and (old or new):
            edits.append((path, "".join(old), "".join(new)))

    for line in diff.splitlines(keepends=True):
        if line.startswith("+++ "):
            flush()
            path, old, new = line[4:].strip().removeprefix("b/"), [], []
        elif line.startswith(("--- ", "diff ", "index ")):
            continue
        elif line.startswith("@@"):
            flush()
            old, new = [], []
        elif line.startswith("-"):
            old.append(line[1:])
        elif line.startswith("+"):
            new.append(line[1:])
        elif line.startswith(" "):
            old.append(line[1:])
            new.append(line[1:])
    flush()
    return edits


def worker(bug_name: str, mode: str, reps: int) -> None:
    """In the configuration's interpreter: gate the fix `reps` times (after one warm-up); print seconds."""
    sys.path.insert(0, str(HERE / "bugs"))
    import corpus

    from suture.agent.gates.validate import Candidate, validate
    from suture.tools.git.workspace import WorktreePool
    from suture.tools.testing.testrun import baseline
    from suture.tools.edits import Edit

    if mode != "reference":
        from suture.tools.testing import sandbox

        sandbox.configure(mode)
    bug = corpus.load_bugs([bug_name])[0]
    with tempfile.TemporaryDirectory(prefix="suture-bench-sandbox-") as tmp:
        repo = corpus.copy_program(bug, Path(tmp) / bug.name)
        base = baseline(repo, test_cmd=[sys.executable, "-m", "pytest"])
        candidate = Candidate("fix", [Edit(*e) for e in _edits_of(bug.fix_diff)])
        times = []
        with WorktreePool(repo, size=1) as pool:
            for rep in range(reps + 1):
                started = time.monotonic()
                (verdict,) = validate([candidate], repo=repo, baseline_failing=base.failing,
                                      baseline_passing=base.passing, flaky=base.flaky,
                                      test_cmd=[sys.executable, "-m", "pytest"], workers=1, pool=pool)
                if rep:
                    times.append(time.monotonic() - started)
                if not verdict.accepted:
                    raise SystemExit(f"{bug_name}: the fix was not accepted ({mode}): {verdict.message}")
    print(json.dumps({"bug": bug_name, "mode": mode, "seconds": times}))


def median(values: list[float]) -> float:
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference-python", required=True)
    parser.add_argument("--bugs", default=",".join(DEFAULT_BUGS))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-results", action="store_true")
    parser.add_argument("--worker", nargs=2, metavar=("BUG", "MODE"))
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.reps)
        return
    from suture.tools.testing import sandbox

    modes = {"reference": args.reference_python, "none": sys.executable}
    if sandbox.bwrap_status()[0]:
        modes["bwrap"] = sys.executable
    rows = []
    for bug in args.bugs.split(","):
        samples: dict[str, list[float]] = {m: [] for m in modes}
        for rep in range(args.reps):  # interleaved: one gate-timing child per configuration per round
            for mode, python in modes.items():
                env = {**os.environ, "SUTURE_SANDBOX": mode if mode != "reference" else "none"}
                done = subprocess.run([python, __file__, "--reference-python", args.reference_python, "--reps", "2",
                                       "--worker", bug, mode], capture_output=True, text=True, env=env, timeout=900)
                if done.returncode != 0:
                    raise SystemExit(f"{bug} {mode}: {done.stderr.strip()[-800:]}")
                samples[mode] += json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
        ref = median(samples["reference"])
        row = {"bug": bug, "reference_s": round(ref, 3)}
        for mode in modes:
            if mode != "reference":
                row[f"{mode}_s"] = round(median(samples[mode]), 3)
                row[f"{mode}_ratio"] = round(median(samples[mode]) / ref, 2)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.no_results:
        return
    load = os.getloadavg()
    lines = [f"\n## Isolation's cost on the gate (issue 16) — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n",
             f"Gate of each bug's true fix (`validate`, 1 worker, kept pool: warm suite run + fresh confirmation), "
             f"median of {args.reps} rounds x 2 gates (after a warm-up gate), configurations interleaved; reference: `{args.reference_python}` "
             f"(the gate before the isolation). Load average at the end {load[0]:.2f} / {load[1]:.2f}, "
             f"{os.cpu_count()} cores shared with other jobs.\n",
             "| bug | reference s | " + " | ".join(f"{m} s | {m} ratio" for m in modes if m != "reference") + " |",
             "|---|---|" + "---|---|" * (len(modes) - 1)]
    for row in rows:
        lines.append(f"| {row['bug']} | {row['reference_s']} | "
                     + " | ".join(f"{row[f'{m}_s']} | {row[f'{m}_ratio']}x" for m in modes if m != "reference") + " |")
    with open(HERE / "RESULTS.md", "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
