"""`suture verify` on a very large generated module: seconds, peak memory, parses and compiles
(issue 14, item 8: 20 MB took 100 s against --time-limit 30 and 4.5 GB in the main process).

Builds a git repo in a temp dir with bench/big_module.py's module (`ratio` at its end divides
by b) and one test, then runs `run_verify(..., time_limit=T)` on `huge.py::ratio` in a fresh
process for this checkout and, with --reference REV, for the code of that commit (git archive,
laid out as the `suture` package, first on PYTHONPATH) in the same run. Each process counts
its own `ast.parse` and `compile` calls and reports its peak RSS (getrusage: itself, and the
largest of its children).

    python bench/bench_big_verify.py [--megabytes 20] [--time-limit 30] [--reference REV] [--no-results]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from big_module import TARGET, write_module  # noqa: E402
from common import append_results  # noqa: E402

PROBE = """
import ast, builtins, json, resource, sys, time
from pathlib import Path
counts = {"parse": 0, "compile": 0}
real_parse, real_compile = ast.parse, builtins.compile
def parse(*a, **k):
    counts["parse"] += 1
    return real_parse(*a, **k)
def comp(*a, **k):
    counts["compile"] += 1
    return real_compile(*a, **k)
ast.parse, builtins.compile = parse, comp
started = time.monotonic()
from suture.agent.verify import run_verify
outcome = run_verify(Path(sys.argv[1]), sys.argv[2], time_limit=float(sys.argv[3]))
seconds = time.monotonic() - started
print(json.dumps({"verdict": outcome.verdict.verdict, "message": outcome.verdict.message[:200], "seconds": seconds,
                  "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, **counts}))
"""


def _reference_tree(rev: str, dest: Path) -> Path:
    archive = subprocess.run(["git", "archive", rev, "agent", "tools", "retrieval", "prompts"], cwd=HERE.parent,
                             capture_output=True, check=True).stdout
    package = dest / "suture"
    package.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(package)
    return dest


def _run(repo: Path, time_limit: float, pythonpath: Path | None) -> dict:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", PROBE, str(repo), f"huge.py::{TARGET}", str(time_limit)],
                          cwd=repo, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result = {"verdict": "crashed", "message": (done.stderr.strip().splitlines() or ["?"])[-1]}
    result["wall"] = wall
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=20.0)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--reference", help="a commit to measure too, in the same run")
    parser.add_argument("--no-results", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suture-big-verify-") as tmp:
        repo = Path(tmp, "repo")
        repo.mkdir()
        write_module(repo / "huge.py", options.megabytes)
        (repo / "tests").mkdir()
        (repo / "tests" / "test_huge.py").write_text("from huge import ratio\n\n\ndef test_ratio():\n"
                                                      "    assert ratio(6, 3) == 2.0\n")
        for args in (["init", "-q"], ["add", "-A"], ["-c", "user.email=b@b", "-c", "user.name=bench", "commit", "-qm", "big"]):
            subprocess.run(["git", *args], cwd=repo, check=True)
        runs = {}
        if options.reference:
            runs[f"reference {options.reference}"] = _run(repo, options.time_limit,
                                                          _reference_tree(options.reference, Path(tmp, "ref")))
        runs["this checkout"] = _run(repo, options.time_limit, None)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE.parent, capture_output=True, text=True).stdout.strip()
    lines = [f"`run_verify(huge.py::{TARGET}, time_limit={options.time_limit:g})` on a generated "
             f"{options.megabytes:g} MB module (bench/big_module.py), one fresh process per code version, at {head}.", "",
             "| code | verdict | wall s | in run_verify s | main peak RSS MB | largest child RSS MB | ast.parse | compile() |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in runs.items():
        lines.append(f"| {name} | {r['verdict']} | {r['wall']:.1f} | {r.get('seconds', float('nan')):.1f} | "
                     f"{r.get('self_mb', 0):.0f} | {r.get('children_mb', 0):.0f} | {r.get('parse', '-')} | {r.get('compile', '-')} |")
    lines.append("")
    lines += [f"- {name}: {r['message']}" for name, r in runs.items()]
    text = "\n".join(lines)
    print(text)
    if not options.no_results:
        append_results(f"verify on a {options.megabytes:g} MB module", text)


if __name__ == "__main__":
    main()
