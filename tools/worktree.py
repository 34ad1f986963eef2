"""Scratch git worktrees: a throw-away checkout of one revision, outside the user's tree.

Tests and candidate patches run there, so the user's working tree, index, branches
and stash are never touched. The only trace in the repository is git's own
bookkeeping under .git/worktrees/, which is removed and pruned on exit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["MARKER", "SCRATCH_PREFIX", "WorkspaceError", "scratch_worktree", "write_owner_marker"]

SCRATCH_PREFIX = "suture-wt-"
# Every temp dir holding suture worktrees names its owner, so that the trees of a suture
# that was SIGKILLed are found and removed by the next run (tools/workspace.remove_stale_pools).
MARKER = "suture-pool.json"


def process_start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (tells a reused pid apart); None when gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return data[data.rindex(b")") + 2 :].split()[19].decode()


def write_owner_marker(directory: Path, repo: Path, **extra: str) -> None:
    marker = {"pid": os.getpid(), "start": process_start_time(os.getpid()), "repo": str(repo), **extra}
    (directory / MARKER).write_text(json.dumps(marker))


class WorkspaceError(Exception):
    """A scratch worktree could not be made; the message is one sentence for the user."""


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Hooks are switched off: a user's post-checkout hook must not run (or write) on our behalf.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def _toplevel(repo: Path) -> Path:
    if not repo.is_dir():
        raise WorkspaceError(f"{repo} is not a directory.")
    try:
        done = _git(repo, "rev-parse", "--show-toplevel")
    except FileNotFoundError:
        raise WorkspaceError("git was not found on PATH; suture needs git to make a scratch worktree.") from None
    if done.returncode != 0 or not done.stdout.strip():
        raise WorkspaceError(f"{repo} is not inside a git repository (git rev-parse --show-toplevel failed).")
    return Path(done.stdout.strip()).resolve()


def _commit_of(top: Path, rev: str) -> str:
    done = _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if done.returncode != 0 or not done.stdout.strip():
        if rev == "HEAD":
            raise WorkspaceError(f"the repository at {top} has no commit yet; commit once so suture can test HEAD.")
        raise WorkspaceError(f"{rev!r} is not a commit in the repository at {top}.")
    return done.stdout.strip()


def _remove(top: Path, path: Path, parent: Path) -> None:
    """Best effort and idempotent: every step runs even if an earlier one failed."""
    if path.exists():
        _git(top, "worktree", "remove", "--force", "--force", str(path))
    shutil.rmtree(parent, ignore_errors=True)
    # prune drops the .git/worktrees/<name> entry whose directory is now gone.
    _git(top, "worktree", "prune")


@contextmanager
def scratch_worktree(repo: Path, rev: str = "HEAD") -> Iterator[Path]:
    """Yield the path of a detached checkout of `rev` in a temp dir; removed on any exit.

    When `repo` is a sub-directory of its work tree, the yielded path is that same
    sub-directory inside the checkout (the whole tree is still checked out).
    Raises WorkspaceError when `repo` is not a git repository, has no commits, or
    `rev` is not a commit. Uncommitted changes of the user are not in the checkout.
    """
    top = _toplevel(Path(repo).resolve())
    inside = Path(repo).resolve().relative_to(top)
    commit = _commit_of(top, rev)
    parent = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX)).resolve()
    if parent.is_relative_to(top):
        shutil.rmtree(parent, ignore_errors=True)
        raise WorkspaceError(
            f"the temp directory {parent} lies inside the repository; set TMPDIR to a place outside it."
        )
    write_owner_marker(parent, top)
    # Keep the repository's name as the checkout's name: tracebacks and rootdir-derived ids read naturally.
    path = parent / top.name
    try:
        done = _git(top, "worktree", "add", "--detach", "--quiet", str(path), commit)
        if done.returncode != 0:
            reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
            raise WorkspaceError(f"git worktree add failed for {rev} in {top}: {reason}")
        if not (path / inside).is_dir():
            raise WorkspaceError(f"{inside} is not part of the commit {rev} (commit it first).")
        yield path / inside
    finally:
        _remove(top, path, parent)
