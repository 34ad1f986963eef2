"""Scratch git worktrees: a throw-away checkout of one revision, outside the user's tree.

Tests and candidate patches run there, so the user's working tree, index, branches
and stash are never touched. The only trace in the repository is git's own
bookkeeping under .git/worktrees/, which is removed and pruned on exit.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "MARKER",
    "SCRATCH_PREFIX",
    "WorkspaceError",
    "copy_generated_files",
    "generated_files",
    "scratch_worktree",
    "write_owner_marker",
]

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


# -- generated files a checkout lacks -----------------------------------------------------------
#
# A checkout has what git tracks; the tests may also need what the user's tree generated and git
# ignores: setuptools-scm's `_version.py`, extensions built in place (`.so`, `.pyd`), other generated
# modules. Those are copied (never linked: the scratch tree shares nothing writable with the user's)
# by one rule: ignored module or extension files inside a package directory (one with an
# `__init__.py`, or a directory right under `src/`), or extensions at the top, within size caps,
# never from environments, caches, build output or anything that looks like a secret.

GENERATED_SUFFIXES = (".py", ".pyi", *importlib.machinery.EXTENSION_SUFFIXES, ".so", ".pyd")
NEVER_COPIED_DIRS = {
    ".git", ".venv", "venv", "env", ".env", "__pycache__", "build", "dist", ".tox", ".nox", "node_modules",
    ".suture", ".eggs", "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
}
SECRET_NAME = ("secret", "credential", "password", ".env", "id_rsa")  # in a file name: not copied
GENERATED_FILE_LIMIT = 64 * 1024 * 1024  # bytes, one file
GENERATED_TOTAL_LIMIT = 256 * 1024 * 1024  # bytes, all of them
GENERATED_COUNT_LIMIT = 500


def _in_package(top: Path, rel: Path) -> bool:
    parent = rel.parent
    if parent == Path("."):
        return rel.suffix in (".so", ".pyd")  # an extension module built in place at the top
    return (top / parent / "__init__.py").is_file() or (len(parent.parts) == 2 and parent.parts[0] == "src")


def _wanted(top: Path, rel: Path) -> bool:
    name = rel.name.lower()
    if not name.endswith(GENERATED_SUFFIXES) or any(word in name for word in SECRET_NAME):
        return False
    if any(part in NEVER_COPIED_DIRS or part.endswith(".egg-info") for part in rel.parts[:-1]):
        return False
    path = top / rel
    return not path.is_symlink() and path.is_file() and _in_package(top, rel)


def generated_files(top: Path) -> list[str]:
    """Top-relative posix paths of the ignored files a checkout of `top` should get (see above)."""
    try:
        done = _git(top, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory")
    except FileNotFoundError:
        return []
    if done.returncode != 0:
        return []
    found: list[Path] = []
    for entry in filter(None, done.stdout.split("\0")):
        rel = Path(entry.rstrip("/"))
        if not entry.endswith("/"):
            found.append(rel)
            continue
        # A whole ignored directory: only worth a look when it is itself inside a package.
        if any(p in NEVER_COPIED_DIRS or p.endswith(".egg-info") for p in rel.parts) or not _in_package(top, rel / "x"):
            continue
        for root, dirs, files in os.walk(top / rel):
            dirs[:] = [d for d in dirs if d not in NEVER_COPIED_DIRS]
            found += [Path(root, f).relative_to(top) for f in files]
            if len(found) > 10 * GENERATED_COUNT_LIMIT:
                break
    chosen, total = [], 0
    for rel in sorted(found):
        if not _wanted(top, rel):
            continue
        size = (top / rel).stat().st_size
        if size > GENERATED_FILE_LIMIT or total + size > GENERATED_TOTAL_LIMIT or len(chosen) >= GENERATED_COUNT_LIMIT:
            continue
        chosen.append(rel.as_posix())
        total += size
    return chosen


def copy_generated_files(top: Path, checkout: Path, paths: list[str]) -> None:
    """Copy `paths` (from generated_files) from the user's tree into a checkout: new files, contents and
    mode only; a path the checkout already has, or a source that became a symlink, is skipped."""
    for rel in paths:
        source, target = top / rel, checkout / rel
        if source.is_symlink() or target.exists() or target.is_symlink() or not source.is_file():
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target, follow_symlinks=False)
            shutil.copymode(source, target)
        except OSError:
            continue  # a file the tests may not even need; the run says what breaks


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
        copy_generated_files(top, path, generated_files(top))
        yield path / inside
    finally:
        _remove(top, path, parent)
