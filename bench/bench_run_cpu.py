"""CPU seconds of whole suture CLI runs as the test suite makes them, two installs alternated.

Each run gets a fresh fixture repo (tests/conftest.py's PRICES_BUG) and is measured as the
CPU (user + sys) of its whole process tree (RUSAGE_CHILDREN after it is waited for), under the
suite's settings (SUTURE_SANDBOX=none, SUTURE_CALLGRIND=off, PYTEST_DISABLE_PLUGIN_AUTOLOAD=1).
CPU, not wall: on a loaded machine the wall clock says nothing, CPU moves much less.

    python bench/bench_run_cpu.py --python A/bin/python --python B/bin/python [--runs 5] [--command localize]
    python bench/bench_run_cpu.py --python A/bin/python --account [--command fix]   # which processes cost what

Both sides get their suture sources compiled to bytecode first, as tests/conftest.py does for the suite
(this machine sets PYTHONDONTWRITEBYTECODE=1, so nothing else would cache them). `--account` adds
bench/proc_account.py's sitecustomize and /proc poller and prints the CPU per kind of process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from conftest import PRICES_BUG, QUADRATIC_STOPWORDS, STOPWORDS_WORKLOAD, init_repo  # noqa: E402
from proc_account import Poller, account, write_sitecustomize  # noqa: E402

COMMANDS = {
    "localize": ["localize", "--json"],
    "search": ["search", "unit_price", "--json"],
    "fix-green": ["fix", "--json", "--time-limit", "60"],  # no failing test: the baseline, then exit 2
    "fix": ["fix", "--json", "--time-limit", "240"],
    # as tests/test_cli_optimize.py runs it (one rewrite to verify and time)
    "optimize": ["optimize", "--target", "words.filter:content", "--workload", "{workload}", "--rounds", "3",
                 "--json", "--time-limit", "400"],
}
GREEN = {**PRICES_BUG, "shop/prices.py": PRICES_BUG["shop/prices.py"].replace("quantity > BULK", "quantity >= BULK")}


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def compile_sources(python: str) -> None:
    """Compile the install's suture sources to bytecode, as tests/conftest.py does once per session."""
    subprocess.run([python, "-c", "import compileall, importlib\n"
                    "for n in ('agent', 'tools', 'retrieval', 'prompts'):\n"
                    "    for d in importlib.import_module('suture.' + n).__path__:\n"
                    "        compileall.compile_dir(d, quiet=1, workers=1)"],
                   check=True, env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})


def one_run(python: str, command: str, scratch: Path, site: Path | None = None) -> tuple[float, int, dict]:
    """CPU of one run's process tree and its exit code; with `site` (a sitecustomize directory) the
    per-process account too (bench/proc_account.py)."""
    n = len(list(scratch.iterdir()))
    files = {"fix-green": GREEN, "optimize": QUADRATIC_STOPWORDS}.get(command, PRICES_BUG)
    repo = init_repo(scratch / f"repo-{n}", files)
    workload = scratch / f"workload-{n}.py"
    workload.write_text(STOPWORDS_WORKLOAD)
    env = {**os.environ, "SUTURE_SANDBOX": "none", "SUTURE_CALLGRIND": "off", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    rows = scratch / f"account-{n}.jsonl"
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH")) if p)
        env["PROC_ACCOUNT_OUT"] = str(rows)
    args = [a.replace("{workload}", str(workload)) for a in COMMANDS[command]]
    before = children_cpu()
    child = subprocess.Popen([python, "-m", "suture.agent.cli.main", *args], cwd=repo, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    poller = Poller(child.pid) if site is not None else None
    if poller:
        poller.start()
    out, err = child.communicate(timeout=1800)
    total = children_cpu() - before
    details: dict = {}
    if poller:
        poller.stop.set()
        poller.join()
        details = account(rows, poller, total)
    try:
        report = json.loads(out.strip().splitlines()[-1])
        details["status"] = report.get("status")
        details["patch"] = report.get("patch")
    except (ValueError, IndexError, AttributeError):
        details["stderr_tail"] = err[-400:]
    return total, child.returncode, details


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", required=True, help="an interpreter with suture installed (twice)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--command", choices=sorted(COMMANDS), default="localize")
    parser.add_argument("--account", action="store_true", help="per-process CPU account of each run (JSON per run)")
    args = parser.parse_args()
    for python in args.python:
        compile_sources(python)
    cpu: dict[str, list[float]] = {p: [] for p in args.python}
    codes: dict[str, set[int]] = {p: set() for p in args.python}
    statuses: dict[str, list] = {p: [] for p in args.python}
    with tempfile.TemporaryDirectory(prefix="bench-run-cpu-") as tmp:
        site = write_sitecustomize(Path(tmp) / "site") if args.account else None
        scratch = Path(tmp) / "runs"
        scratch.mkdir()
        for _ in range(args.runs):
            for python in args.python:  # alternated, so both sides see the same load
                seconds, code, details = one_run(python, args.command, scratch, site)
                cpu[python].append(seconds)
                codes[python].add(code)
                # the status and a digest of the patch: both sides must deliver the same
                patch = details.get("patch")
                statuses[python].append(f"{details.get('status')}"
                                        + (f" {hashlib.sha1(patch.encode()).hexdigest()[:8]}" if patch else ""))
                if args.account:
                    rows = details.pop("rows", [])
                    print(json.dumps({"python": python, "cpu_s": round(seconds, 3), "exit": code, **details}))
                    for row in sorted(rows, key=lambda r: -r["own"])[:25]:
                        print(f"  {row['own']:7.3f} own {row['children']:7.3f} kids pid {row['pid']} <- {row['ppid']}"
                              f"{' fork' if row['forked'] else ''} {row.get('main')} {' '.join(map(str, row['argv']))[:90]} ... {' '.join(map(str, row['argv']))[-120:]}")
    print(json.dumps({"command": COMMANDS[args.command], "runs": args.runs,
                      "sides": [{"python": p, "median_cpu_s": round(statistics.median(cpu[p]), 3),
                                 "cpu_s": [round(x, 3) for x in cpu[p]], "exit_codes": sorted(codes[p]),
                                 "statuses": statuses[p]}
                                for p in args.python]}))


if __name__ == "__main__":
    main()
