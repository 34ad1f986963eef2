"""CPU seconds of whole suture CLI runs as the test suite makes them, two installs alternated.

Each run gets a fresh fixture repo (tests/conftest.py's PRICES_BUG) and is measured as the
CPU (user + sys) of its whole process tree (RUSAGE_CHILDREN after it is waited for), under the
suite's settings (SUTURE_SANDBOX=none, SUTURE_CALLGRIND=off, PYTEST_DISABLE_PLUGIN_AUTOLOAD=1).
CPU, not wall: on a loaded machine the wall clock says nothing, CPU moves much less.

    python bench/bench_run_cpu.py --python A/bin/python --python B/bin/python [--runs 5] [--command localize]
"""

from __future__ import annotations

import argparse
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
from conftest import PRICES_BUG, init_repo  # noqa: E402

COMMANDS = {
    "localize": ["localize", "--json"],
    "search": ["search", "unit_price", "--json"],
    "fix-green": ["fix", "--json", "--time-limit", "60"],  # no failing test: the baseline, then exit 2
    "fix": ["fix", "--json", "--time-limit", "240"],
}
GREEN = {**PRICES_BUG, "shop/prices.py": PRICES_BUG["shop/prices.py"].replace("quantity > BULK", "quantity >= BULK")}


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def one_run(python: str, command: str, scratch: Path) -> tuple[float, int]:
    repo = init_repo(scratch / f"repo-{len(list(scratch.iterdir()))}", GREEN if command == "fix-green" else PRICES_BUG)
    env = {**os.environ, "SUTURE_SANDBOX": "none", "SUTURE_CALLGRIND": "off", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    before = children_cpu()
    done = subprocess.run([python, "-m", "suture.agent.cli.main", *COMMANDS[command]], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=1800)
    return children_cpu() - before, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", required=True, help="an interpreter with suture installed (twice)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--command", choices=sorted(COMMANDS), default="localize")
    args = parser.parse_args()
    cpu: dict[str, list[float]] = {p: [] for p in args.python}
    codes: dict[str, set[int]] = {p: set() for p in args.python}
    with tempfile.TemporaryDirectory(prefix="bench-run-cpu-") as tmp:
        for _ in range(args.runs):
            for python in args.python:  # alternated, so both sides see the same load
                seconds, code = one_run(python, args.command, Path(tmp))
                cpu[python].append(seconds)
                codes[python].add(code)
    print(json.dumps({"command": COMMANDS[args.command], "runs": args.runs,
                      "sides": [{"python": p, "median_cpu_s": round(statistics.median(cpu[p]), 3),
                                 "cpu_s": [round(x, 3) for x in cpu[p]], "exit_codes": sorted(codes[p])}
                                for p in args.python]}))


if __name__ == "__main__":
    main()
