"""What running git through GitPython (tools/git/cmd.py) costs: start-up and the gates' git work.

Two ratios, each against a reference run in the same job, interleaved:
- the first git call of a fresh process (GitPython's import plus `rev-parse`) against one
  plain `subprocess.run` of the same command: what a CLI command that reaches git pays once;
- one round of the gates' git work in a pool tree (edit a file, `diff_worktree`, reset the
  tree) through tools/gitcmd against the same argv and environment through plain
  `subprocess.run`, in one process: what every candidate pays.

    python bench/bench_gitcmd.py [--rounds N] [--no-record]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import append_results  # noqa: E402

FIRST_CALL = {
    "plain subprocess": ("import subprocess, time; t = time.perf_counter(); "
                         "subprocess.run(['git', 'rev-parse', '--show-toplevel'], capture_output=True, "
                         "stdin=subprocess.DEVNULL); print(time.perf_counter() - t)"),
    "tools/gitcmd": ("import time; from suture.tools import gitcmd; t = time.perf_counter(); "
                     "gitcmd.work_tree_top('.'); print(time.perf_counter() - t)"),
}


def make_repo(root: Path, files: int = 200) -> Path:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@b"}
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "pkg").mkdir()
    for i in range(files):
        (root / "pkg" / f"m{i}.py").write_text(f"def f{i}(x):\n    return x + {i}\n" * 20)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "x"], cwd=root, check=True, env=env)
    return root


def first_call(repo: Path, rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in FIRST_CALL}
    for _ in range(rounds):
        for name, code in FIRST_CALL.items():
            done = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True)
            times[name].append(float(done.stdout))
    return {name: statistics.median(ts) for name, ts in times.items()}


def gate_rounds(repo: Path, rounds: int) -> dict[str, float]:
    from suture.tools.git import cmd as gitcmd
    from suture.tools.git.diffs import diff_worktree
    from suture.tools.git.workspace import WorktreePool

    through_gitpython = gitcmd.run

    def plain(cwd, *args, input=None, env=None, text=False):
        # The same argv and environment as gitcmd.run (GitPython adds LANGUAGE and LC_ALL=C).
        done = subprocess.run(["git", *gitcmd.NO_HOOKS, *args], cwd=cwd, input=input, capture_output=True,
                              stdin=None if input is not None else subprocess.DEVNULL,
                              env={**os.environ, "LANGUAGE": "C", "LC_ALL": "C", **gitcmd._QUIET_ENV, **(env or {})})
        if text:
            return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(errors="surrogateescape"),
                                               done.stderr.decode(errors="surrogateescape"))
        return done

    times: dict[str, list[float]] = {"plain subprocess": [], "tools/gitcmd": []}
    runners = (("tools/gitcmd", through_gitpython), ("plain subprocess", plain))
    try:
        with WorktreePool(repo, size=1) as pool, pool.tree() as tree:
            for i in range(rounds):
                for name, runner in runners if i % 2 else runners[::-1]:
                    gitcmd.run = runner
                    started = time.perf_counter()
                    (tree / "pkg" / "m0.py").write_text(f"x = {i}\n")
                    assert diff_worktree(tree)
                    pool.reset(tree)
                    times[name].append(time.perf_counter() - started)
    finally:
        gitcmd.run = through_gitpython
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suture-bench-git-") as tmp:
        repo = make_repo(Path(tmp) / "repo")
        first = first_call(repo, max(5, args.rounds // 4))
        gates = gate_rounds(repo, args.rounds)
    ref, new = first["plain subprocess"], first["tools/gitcmd"]
    body = "\n".join([
        "| measure | plain subprocess | tools/gitcmd | ratio |",
        "|---|---|---|---|",
        f"| first git call of a fresh process (median of {max(5, args.rounds // 4)}) | {ref * 1000:.0f} ms "
        f"| {new * 1000:.0f} ms | {new / ref:.2f} |",
        f"| gate round: edit + diff_worktree + reset, 200-file repo (median of {args.rounds}) "
        f"| {gates['plain subprocess'] * 1000:.0f} ms | {gates['tools/gitcmd'] * 1000:.0f} ms "
        f"| {gates['tools/gitcmd'] / gates['plain subprocess']:.2f} |",
    ])
    print(body)
    if not args.no_record:
        append_results("git through GitPython (bench/bench_gitcmd.py)", body)


if __name__ == "__main__":
    main()
