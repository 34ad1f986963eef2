"""How fast `suture report` renders a big run, and how big the page is (issue 23: a run with 500
candidates renders in under 2 s and its page is under 5 MB).

A fix run with N candidates is synthesised in a temp dir in the shape agent/fix/pipeline.py writes
(start, localised with 20 suspects and the source of five, a candidate and a verdict event per
candidate with a 12-line diff, 40 model turns, the choice, report.json with evidence for eight
rivals). Its page is rendered through the real CLI (`suture report DIR --out F`, a fresh process:
start-up and imports count; wall and CPU time) and in process (`render` alone, CPU time), each
`--rounds` times; the median is reported, beside the same for a 10-candidate run (the ratio says
how the page's cost grows).

    python bench/bench_report.py [--candidates N] [--rounds N] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import append_results  # noqa: E402

SOURCE = [f"    value = compute(step_{i}, offset) + {i}  # line {i}" for i in range(80)]


def _diff(n: int) -> str:
    body = "".join(f" context line {k} of candidate {n}\n" for k in range(4))
    return (f"diff --git a/pkg/mod{n % 7}.py b/pkg/mod{n % 7}.py\n--- a/pkg/mod{n % 7}.py\n+++ b/pkg/mod{n % 7}.py\n"
            f"@@ -10,6 +10,6 @@ def f{n}(x):\n{body}-    if x > LIMIT:\n+    if x >= LIMIT + {n}:\n{body}")


def synthesise(run_dir: Path, candidates: int) -> Path:
    """A fix run directory with `candidates` gated candidates (the 7th of them passes)."""
    run_dir.mkdir(parents=True)
    ranking = [{"path": f"pkg/mod{i % 7}.py", "symbol": f"f{i}", "start_line": 10, "end_line": 90,
                "score": round(1 / (i + 1), 4)} for i in range(20)]
    sources = [{"path": s["path"], "symbol": s["symbol"], "start_line": 10,
                "lines": [[10 + k, text, round(k / 80, 3) if k % 3 else None] for k, text in enumerate(SOURCE)]}
               for s in ranking[:5]]
    events = [{"event": "start", "command": "fix", "base": "0" * 40,
               "options": {"issue_text": "the bulk price is wrong at the threshold " * 20, "test_cmd": "pytest"}},
              {"event": "localised", "failing": [f"tests/test_mod.py::test_case_{i}" for i in range(5)],
               "flaky": [], "ranking": ranking, "sources": sources}]
    for n in range(candidates):
        cid = f"c{n:04d}"
        events.append({"event": "candidate", "id": cid, "template": "comparison", "description": f"swap > for >= in f{n}",
                       "risks": []})
        events.append({"event": "verdict", "id": cid, "accepted": n == 6, "stage": "verifier" if n == 6 else "selected",
                       "fixed": [], "still_failing": [] if n == 6 else ["tests/test_mod.py::test_case_0"],
                       "regressions": [], "message": "" if n == 6 else "1 failing test still fails",
                       "seconds": 0.4, "diff": _diff(n), "selected_tests": [], "changed_symbols": [f"pkg/mod.py::f{n}"]})
    events += [{"event": "model", "text": "I will look at f3 next. " * 30, "tool_calls": [
        {"id": f"t{k}", "type": "function", "function": {"name": "read", "arguments": "{}"}}],
        "usage": {"prompt_tokens": 3000, "completion_tokens": 200}, "cost_usd": 0.01, "model": "m"} for k in range(40)]
    events.append({"event": "end", "status": "fixed"})
    (run_dir / "trajectory.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    evidence = [{"candidate_id": f"c{n:04d}", "status": "known", "summary": "changes HEAD's result on 3 of 90 inputs",
                 "anti_patterns": [], "disagreements": [{"other": "c0007", "call": f"f({n})", "mine": "returns 1",
                                                         "theirs": "returns 2", "inputs": 4, "sentence": ""}]}
                for n in range(6, 14)]
    report = {"status": "fixed", "patch": _diff(6), "engine": "rules", "candidates_tried": candidates,
              "tests": {"failing_before": events[1]["failing"], "passing_before": 120, "after": {"fixed": []}},
              "confidence": {"value": 0.8, "covering_tests": 12, "verifier": "exhausted", "agreement": 1.0,
                             "weak": False, "reasons": ["12 covering tests"]},
              "choice": {"chosen": "c0006", "method": "ranking", "distinct_passing": 8, "votes": 1},
              "evidence": evidence, "verification": {"verdict": "exhausted", "functions": []},
              "cost": {"tokens": 128000, "usd": 0.4, "calls": 40}, "seconds": 300.0, "run_dir": str(run_dir)}
    (run_dir / "report.json").write_text(json.dumps(report))
    return run_dir


def median_seconds(args: list[str], rounds: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of `suture ARGS` in a fresh process. On a machine shared with other
    work (nice 19 beside a load of 20, as when this was written) the wall time is mostly waiting for a
    core; the CPU time (user + system, from the child's rusage) is what the command costs."""
    wall, cpu = [], []
    for _ in range(rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "suture.agent.cli.main", *args], check=True, capture_output=True)
        wall.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(wall), statistics.median(cpu)


def time_cli(run_dir: Path, rounds: int) -> tuple[tuple[float, float], int]:
    out = run_dir / "page.html"
    return median_seconds(["report", str(run_dir), "--out", str(out)], rounds), out.stat().st_size


def time_render(run_dir: Path, rounds: int) -> float:
    """Median CPU seconds of reading the run and rendering its page in this process."""
    from suture.agent.report import read_view, render

    render(read_view(run_dir))  # imports and caches warm
    seconds = []
    for _ in range(rounds):
        started = time.process_time()
        render(read_view(run_dir))
        seconds.append(time.process_time() - started)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suture-bench-report-") as tmp:
        rows = []
        for count in (10, args.candidates):
            run_dir = synthesise(Path(tmp) / f"run-{count}", count)
            cli, size = time_cli(run_dir, args.rounds)
            rows.append((count, cli, time_render(run_dir, args.rounds), size))
    startup = median_seconds(["report", "--help"], args.rounds)  # what every command pays before it works
    lines = ["| candidates | `suture report` wall (fresh process) | its CPU | render alone (CPU) | page size |",
             "|---|---|---|---|---|"]
    lines += [f"| {c} | {wall:.2f} s | {cpu:.2f} s | {r * 1000:.0f} ms | {size / 1e6:.2f} MB |"
              for c, (wall, cpu), r, size in rows]
    small, big = rows[0], rows[-1]
    lines.append(f"\nMedian of {args.rounds} rounds. {big[0]} candidates against {small[0]}: CLI CPU "
                 f"{big[1][1] / small[1][1]:.2f}x, render alone {big[2] / max(small[2], 1e-9):.1f}x, page "
                 f"{big[3] / small[3]:.1f}x the size. Target: under 2 s and under 5 MB at 500 candidates. "
                 f"The CLI's start-up alone (`suture report --help`): {startup[0]:.2f} s wall, {startup[1]:.2f} s CPU.")
    text = "\n".join(lines)
    print(text)
    if not args.no_record:
        append_results(f"report: rendering a {args.candidates}-candidate run (bench_report.py)", text)


if __name__ == "__main__":
    main()
