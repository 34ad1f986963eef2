"""Facts about the user's git repository, read without changing it.

Delivery asks these before it writes anything: where the work tree's top is, what
HEAD is, whether a merge or rebase is under way, which paths are submodules,
whether the files a patch touches can be written, what is dirty. Every question
is answered by git itself (or by the files git keeps in its git dir, located
with `git rev-parse --git-path`, so linked worktrees and sub-directories work),
through tools/gitcmd, the one git runner (hooks off, no prompts).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from suture.tools.git import cmd as gitcmd
from suture.tools.git.cmd import GitError, head_commit, run

__all__ = [
    "GitStateError",
    "DirtyFile",
    "RepoState",
    "toplevel",
    "git_path",
    "head_commit",
    "current_branch",
    "operation_in_progress",
    "submodule_paths",
    "unwritable_paths",
    "dirty_files",
    "blob_hashes",
    "branch_commit",
    "checked_out_branches",
    "repo_state",
]

GITLINK_MODE = "160000"

# In-progress operations and the git-dir entry that marks each, in the order git's own
# status checks them. rebase-apply is shared by `git am`; its "applying" file tells them apart.
_OPERATION_MARKERS = (
    ("rebase", "rebase-merge"),
    ("rebase", "rebase-apply"),
    ("merge", "MERGE_HEAD"),
    ("cherry-pick", "CHERRY_PICK_HEAD"),
    ("revert", "REVERT_HEAD"),
    ("bisect", "BISECT_LOG"),
)


# git could not answer; the message is one sentence for the user. One error type for every
# git failure (tools/gitcmd.GitError); the name stays for the callers that catch it.
GitStateError = GitError


@dataclass(frozen=True)
class DirtyFile:
    status: str  # the two porcelain status letters, e.g. " M", "??", "R "
    path: str  # repo-relative, posix
    orig_path: str | None = None  # the source of a rename or copy


@dataclass(frozen=True)
class RepoState:
    toplevel: Path
    head: str | None  # None before the first commit
    branch: str | None  # None when HEAD is detached
    operation: str | None  # "merge", "rebase", "am", "cherry-pick", "revert", "bisect" or None
    submodules: tuple[str, ...]
    writable: bool
    dirty: tuple[DirtyFile, ...]


def _text(out: bytes) -> str:
    return out.decode("utf-8", errors="surrogateescape")


def toplevel(repo: Path) -> Path:
    """The top of the work tree holding `repo` (which may be a sub-directory)."""
    repo = Path(repo)
    if not repo.is_dir():
        raise GitStateError(f"{repo} is not a directory.")
    top = gitcmd.work_tree_top(repo)
    if top is None:
        raise GitStateError(f"{repo} is not inside a git work tree.")
    return top


def git_path(repo: Path, name: str) -> Path:
    """Absolute path of `name` inside the git dir (per-worktree files resolve per worktree)."""
    path = gitcmd.git_path(repo, name)
    if path is None:
        raise GitStateError(f"{repo} is not inside a git repository.")
    return path


def current_branch(repo: Path) -> str | None:
    """The checked-out branch's short name ("main"), or None when HEAD is detached."""
    done = run(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    return (_text(done.stdout).strip() or None) if done.returncode == 0 else None


def operation_in_progress(repo: Path) -> str | None:
    """The unfinished merge/rebase/am/cherry-pick/revert/bisect of this worktree, if any."""
    for operation, marker in _OPERATION_MARKERS:
        path = git_path(repo, marker)
        if path.exists():
            if marker == "rebase-apply" and (path / "applying").exists():
                return "am"
            return operation
    return None


def submodule_paths(repo: Path) -> list[str]:
    """Repo-relative paths of the submodules (gitlink entries) in the index."""
    top = toplevel(repo)
    done = run(top, "ls-files", "--stage", "-z")
    paths = []
    for entry in _text(done.stdout).split("\0"):
        meta, _, path = entry.partition("\t")
        if path and meta.split(" ", 1)[0] == GITLINK_MODE:
            paths.append(path)
    return paths


def unwritable_paths(repo: Path, paths: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Which of the repo-relative `paths` could not be written (or created, or deleted).

    git apply replaces a file by writing a new one beside it, so a file's directory
    must be writable as well as the file. With no paths, the top level itself is asked (".").
    """
    top = toplevel(repo)
    blocked = []
    for rel in paths or (".",):
        target = top / rel
        if target.exists() or target.is_symlink():
            ok = os.access(target.parent, os.W_OK) and (target.is_symlink() or os.access(target, os.W_OK))
        else:
            existing = target.parent
            while not existing.exists() and existing != top:
                existing = existing.parent
            ok = existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)
        if not ok:
            blocked.append(rel)
    return blocked


def dirty_files(repo: Path) -> list[DirtyFile]:
    """Modified, staged and untracked files, as `git status --porcelain=v1 -z` reports them."""
    top = toplevel(repo)
    done = run(top, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    if done.returncode != 0:
        raise GitStateError(f"git status failed in {top}: {_first_line(done.stderr)}")
    fields = _text(done.stdout).split("\0")
    found: list[DirtyFile] = []
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        status, path = entry[:2], entry[3:]
        orig = None
        if "R" in status or "C" in status:  # -z puts a rename's source in the next field
            orig = fields[i] if i < len(fields) else None
            i += 1
        found.append(DirtyFile(status, path, orig))
    return found


def blob_hashes(repo: Path, paths: list[str] | tuple[str, ...]) -> dict[str, str | None]:
    """The git blob id of each work-tree file's exact bytes (None when it does not exist).

    --no-filters hashes the bytes on disk, so any change at all (line endings too) shows.
    Nothing is written to the object store.
    """
    top = toplevel(repo)
    hashes: dict[str, str | None] = {}
    present = []
    for rel in paths:
        target = top / rel
        if target.is_file() and not target.is_symlink():
            present.append(rel)
        elif target.is_symlink():
            hashes[rel] = "symlink:" + os.readlink(target)
        else:
            hashes[rel] = None
    if present:
        done = run(top, "hash-object", "--no-filters", "--", *present)
        ids = _text(done.stdout).split()
        if done.returncode != 0 or len(ids) != len(present):
            raise GitStateError(f"git hash-object failed in {top}: {_first_line(done.stderr)}")
        hashes.update(zip(present, ids))
    return {rel: hashes[rel] for rel in paths}


def branch_commit(repo: Path, branch: str) -> str | None:
    """The commit a local branch points at, or None when there is no such branch."""
    return gitcmd.commit_of(repo, f"refs/heads/{branch}")


def checked_out_branches(repo: Path) -> dict[str, Path]:
    """Local branch name -> the worktree that has it checked out, over all worktrees."""
    done = run(repo, "worktree", "list", "--porcelain")
    found: dict[str, Path] = {}
    tree: Path | None = None
    for line in _text(done.stdout).splitlines():
        if line.startswith("worktree "):
            tree = Path(line[len("worktree "):])
        elif line.startswith("branch refs/heads/") and tree is not None:
            found[line[len("branch refs/heads/"):]] = tree
    return found


def repo_state(repo: Path) -> RepoState:
    """Every fact above in one record."""
    top = toplevel(repo)
    return RepoState(
        toplevel=top,
        head=head_commit(top),
        branch=current_branch(top),
        operation=operation_in_progress(top),
        submodules=tuple(submodule_paths(top)),
        writable=not unwritable_paths(top),
        dirty=tuple(dirty_files(top)),
    )


def _first_line(err: bytes) -> str:
    lines = [line for line in _text(err).splitlines() if line.strip()]
    return lines[0].strip() if lines else "no message"
