"""The cost of private scratch checkouts (issue 16) against the `git worktree`s they replace.

Each scratch tree is now a checkout with its own git directory (tools/worktree.make_private_checkout:
`git init`, the user's objects through objects/info/alternates, tags copied, detached checkout),
and its reset first puts that git directory's config and alternates back. Before, a tree was a
`git worktree add --detach` of the user's repository. Both ways run in this process, interleaved
(worktree, private, worktree, private, ...), on the same repositories:

- create + remove one tree, and reset one (a candidate's edit undone), on a bench/bugs case and on
  a clone of this repository (a few hundred files), medians of `--reps`;
- one gate run: `validate` of the case's true fix in a one-tree pool (the tree made, the selected
  and the full suite run, the tree reset), median of `--reps`.

The old way is the WorktreePool of today with its three checkout steps swapped for the old ones.

    python bench/bench_isolation.py [--bug bank_ledger] [--reps 5] [--no-results]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import append_results, median  # noqa: E402

from suture.agent.gates.validate import Candidate, validate  # noqa: E402
from suture.tools.git import workspace  # noqa: E402
from suture.tools.git import worktree
from suture.tools.edits import Edit  # noqa: E402
from suture.tools.testing.localize import localize  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_bugs_corpus", HERE / "bugs" / "corpus.py")
bugs_corpus = importlib.util.module_from_spec(_spec)
sys.modules["bench_bugs_corpus"] = bugs_corpus
_spec.loader.exec_module(bugs_corpus)


def _legacy_add(top: Path, commit: str, path: Path) -> None:
    done = worktree._git(top, "worktree", "add", "--detach", "--quiet", str(path), commit)
    if done.returncode != 0:
        raise worktree.WorkspaceError(done.stderr.strip())


@contextlib.contextmanager
def legacy_worktrees(repo: Path):
    """WorktreePool making `git worktree`s of `repo`, as it did before private checkouts."""
    saved = (workspace.make_private_checkout, workspace.private_git_state, workspace.check_private_git,
             workspace._scratch_git, workspace._remove)

    def remove(parent: Path) -> None:
        shutil.rmtree(parent, ignore_errors=True)
        worktree._git(repo, "worktree", "prune")

    workspace.make_private_checkout = _legacy_add
    workspace.private_git_state = lambda top: {}
    workspace.check_private_git = lambda top, state: None
    workspace._scratch_git = worktree._git
    workspace._remove = remove
    try:
        yield
    finally:
        (workspace.make_private_checkout, workspace.private_git_state, workspace.check_private_git,
         workspace._scratch_git, workspace._remove) = saved


MODES = {"worktree": legacy_worktrees, "private": lambda repo: contextlib.nullcontext()}


def tree_costs(repo: Path, mode: str) -> tuple[float, float]:
    """(seconds to make and remove one pool tree, seconds to reset it after an edit)."""
    with MODES[mode](repo):
        t0 = time.perf_counter()
        pool = workspace.WorktreePool(repo, size=1)
        tree = pool.acquire()
        made = time.perf_counter() - t0
        victim = next(p for p in sorted(tree.rglob("*.py")) if ".git" not in p.parts)
        victim.write_text(victim.read_text() + "\n# a candidate's edit\n")
        (tree / "new_file.txt").write_text("x")
        t1 = time.perf_counter()
        pool.release(tree)
        reset = time.perf_counter() - t1
        t2 = time.perf_counter()
        pool.close()
        return made + time.perf_counter() - t2, reset


def true_fix(bug, repo: Path, work: Path) -> Candidate:
    fixed = bugs_corpus.copy_program(bug, work / "fixed")
    complaint = bugs_corpus.apply_patch(fixed, bug.fix_diff)
    if complaint:
        raise SystemExit(f"the fix of {bug.name} does not apply: {complaint}")
    changed = subprocess.run(["git", "diff", "--name-only"], cwd=fixed, capture_output=True, text=True).stdout.split()
    return Candidate("fix", [Edit(p, (repo / p).read_text(), (fixed / p).read_text()) for p in changed], "bench",
                     "the true fix")


def gate_seconds(repo: Path, mode: str, candidate: Candidate, found) -> float:
    passing = [n for n in found.run.passed if n not in found.flaky]
    with MODES[mode](repo):
        t0 = time.perf_counter()
        with workspace.WorktreePool(repo, size=1) as pool:
            verdicts = validate([candidate], repo=repo, baseline_failing=found.failing, baseline_passing=passing,
                                flaky=found.flaky, spectra=found.spectra, per_test_timeout=30,
                                candidate_time_limit=300, workers=1, pool=pool)
        seconds = time.perf_counter() - t0
    if not verdicts or not verdicts[0].accepted:
        raise SystemExit(f"the true fix was not accepted ({mode}): {verdicts}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bug", default="bank_ledger")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="suture-bench-isolation-") as tmp:
        work = Path(tmp)
        bug = next(b for b in bugs_corpus.load_bugs([args.bug]))
        small = bugs_corpus.copy_program(bug, work / "case")
        big = work / "suture"
        subprocess.run(["git", "clone", "-q", str(HERE.parent), str(big)], check=True)
        files = {name: len(subprocess.run(["git", "ls-files"], cwd=r, capture_output=True, text=True).stdout.split())
                 for name, r in (("case", small), ("suture", big))}
        found = localize(small, run_dir=work / "localize")
        candidate = true_fix(bug, small, work)

        made = {(r, m): [] for r in ("case", "suture") for m in MODES}
        reset = {(r, m): [] for r in ("case", "suture") for m in MODES}
        gate = {m: [] for m in MODES}
        for rep in range(args.reps):
            for mode in MODES:
                for name, repo in (("case", small), ("suture", big)):
                    m, r = tree_costs(repo, mode)
                    made[name, mode].append(m)
                    reset[name, mode].append(r)
                gate[mode].append(gate_seconds(small, mode, candidate, found))
            print(f"rep {rep}: gate worktree {gate['worktree'][-1]:.2f} s, private {gate['private'][-1]:.2f} s",
                  flush=True)

    def row(what: str, old: list[float], new: list[float]) -> str:
        return f"| {what} | {median(old):.3f} | {median(new):.3f} | {median(new) / median(old):.2f}x |"

    lines = ["| step (median of %d) | git worktree (s) | private checkout (s) | ratio |" % args.reps,
             "|---|---:|---:|---:|"]
    for name in ("case", "suture"):
        label = f"bench/bugs/{args.bug}" if name == "case" else "this repository"
        lines.append(row(f"make + remove a tree, {label} ({files[name]} files)", made[name, "worktree"],
                         made[name, "private"]))
        lines.append(row(f"reset a tree after an edit, {label}", reset[name, "worktree"], reset[name, "private"]))
    lines.append(row(f"gate run of the true fix, bench/bugs/{args.bug} (pool of one: make, gates, reset)",
                     gate["worktree"], gate["private"]))
    body = "\n".join(lines) + "\n\nWithout bwrap (this branch has no sandbox); the two ways interleaved in one process."
    print(body)
    if not args.no_results:
        append_results("Private scratch checkouts vs git worktrees (bench_isolation.py, issue 16)", body)


if __name__ == "__main__":
    main()
