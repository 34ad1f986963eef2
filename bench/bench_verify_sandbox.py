"""The sandbox's cost on the verifier: `suture verify` wall time, as a ratio to the verifier without it.

One small function in a fresh git repo, verified twice per rep: its contracts (CrossHair check,
ESBMC when installed) and its equivalence with the committed version (Hypothesis, then CrossHair
diffbehavior; the working tree holds an equivalent rewrite). Configurations, interleaved rep by
rep in the same job so the machine's load falls on all alike:

- reference: another checkout's interpreter (`--reference-python`, e.g. main's `.venv/bin/python`),
  the verifier's children as they were before they ran in the sandbox;
- `none`: this checkout, each child under its run leader (subreaper, parent-death signal, memory
  cap) with a private HOME;
- `bwrap`: this checkout, each child under bubblewrap too (left out when it does not work here).

    python bench/bench_verify_sandbox.py [--reference-python PATH] [--reps 5]

Prints the medians and the ratios; it writes nothing else (bench/RESULTS.md is kept by hand).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE = """\
def clamp(x: int, lo: int, hi: int) -> int:
    if lo > hi:
        raise ValueError("empty range")
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x
"""
REWRITE = """\
def clamp(x: int, lo: int, hi: int) -> int:
    if lo > hi:
        raise ValueError("empty range")
    return min(max(x, lo), hi)
"""
COMMANDS = {
    "contracts": ["verify", "calc.py::clamp", "--mode", "contracts", "--time-limit", "60"],
    "equivalence": ["verify", "calc.py::clamp", "--against", "HEAD", "--time-limit", "60"],
}


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    (repo / "calc.py").write_text(BASE)
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@b"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    (repo / "calc.py").write_text(REWRITE)
    return repo


def timed(python: str, mode: str, args: list[str], repo: Path) -> float:
    env = {**os.environ, "SUTURE_SANDBOX": mode}
    started = time.perf_counter()
    done = subprocess.run([python, "-m", "suture.agent.cli.main", *args, "--json"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{python} {mode} {' '.join(args)}: exit {done.returncode}: {done.stderr[-400:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-python", help="interpreter of a checkout without the verifier's sandbox")
    parser.add_argument("--reps", type=int, default=5)
    options = parser.parse_args()
    from suture.tools.testing import sandbox

    configs = ([("reference", options.reference_python, "none")] if options.reference_python else [])
    configs += [("none", sys.executable, "none")]
    if sandbox.bwrap_status()[0]:
        configs.append(("bwrap", sys.executable, "bwrap"))
    with tempfile.TemporaryDirectory(prefix="bench-verify-sandbox-") as tmp:
        repo = make_repo(Path(tmp))
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(options.reps):
            for name, python, mode in configs:
                for kind, args in COMMANDS.items():
                    times.setdefault((name, kind), []).append(timed(python, mode, args, repo))
    print(f"machine: {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}; {options.reps} reps, median seconds")
    for kind in COMMANDS:
        medians = {name: statistics.median(times[(name, kind)]) for name, _, _ in configs}
        base = medians.get("reference") or medians["none"]
        cells = ", ".join(f"{name} {m:.2f} s ({m / base:.2f}x)" for name, m in medians.items())
        print(f"{kind}: {cells}")


if __name__ == "__main__":
    main()
