"""Instruction counts under valgrind's callgrind: a deterministic second opinion on speed.

Wall-clock timing on a shared machine is noisy; the number of instructions a run executes
is not (with PYTHONHASHSEED=0 fixing string hashing), though it ignores cache misses and
waiting, so the two can disagree. valgrind is optional: without it, or when the run under
it fails, the count is None and callers go by timing alone. valgrind runs the way the timed runs
do (tools/perf/timing.run_process: the tests' sandbox), writing only its output directory.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from suture.tools.childenv import project_env
from suture.tools.perf.timing import Runner, run_process

_TOTAL = re.compile(rb"^(?:summary|totals):\s*(\d+)", re.MULTILINE)


def available() -> bool:
    return shutil.which("valgrind") is not None


def instruction_count(runner: Runner, *, time_limit: float = 120.0) -> int | None:
    """Instructions the command executes (its child processes not followed), or None."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    with tempfile.TemporaryDirectory(prefix="suture-callgrind-") as scratch:
        out = Path(scratch) / "callgrind.out"
        argv = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", *runner.argv]
        env = {**project_env(), **(runner.env or {}), "PYTHONHASHSEED": "0"}
        try:
            _, _, code, _ = run_process(argv, Path(runner.cwd), env, time_limit, writable=[Path(scratch)])
        except (subprocess.TimeoutExpired, OSError):
            return None
        if code != 0 or not out.is_file():
            return None
        return parse_total(out.read_bytes())


def parse_total(data: bytes) -> int | None:
    """The event total of a callgrind output file: its "summary:" (or older "totals:") line."""
    match = _TOTAL.search(data)
    return int(match.group(1)) if match else None
