"""The staged changes of a repository, read from git's objects, and a scratch snapshot of them.

`suture check` (agent/integrations/check/) judges exactly what `git commit` would record: the
index, never the working tree. This module is its only contact with the repository: the index's
differences from HEAD (paths, blobs, modes, the changed lines of both sides), HEAD's tree, and a
scratch directory holding HEAD's tree onto which the staged blobs are written (and taken back
off for the runs at HEAD). The user's working tree and index are only read: the snapshot is
checked out through a private index file.

Failures of git raise GitError (tools/git/cmd.py); a temp directory inside the repository
raises SnapshotError. Both messages are one sentence for the user.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from suture.tools.git.cmd import git_bytes

__all__ = ["EMPTY_TREE", "SYMLINK", "SnapshotError", "StagedChange", "StagedSnapshot", "mark_changed_lines",
           "staged_changes", "tree_blobs"]

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
GITLINK = "160000"
SYMLINK = "120000"


class SnapshotError(Exception):
    """The scratch snapshot cannot be made where it has to be; the message is one sentence."""


@dataclass
class StagedChange:
    """One staged path: its blobs at HEAD and in the index (None: absent there)."""

    path: str
    old_blob: str | None
    new_blob: str | None
    old_mode: str
    new_mode: str
    old_lines: set[int] = field(default_factory=set)  # changed lines of the HEAD version
    new_lines: set[int] = field(default_factory=set)  # changed lines of the staged version
    hunks: list[tuple[int, int, int, int]] = field(default_factory=list)  # (old start, count, new start, count)


def staged_changes(top: Path, base: str) -> list[StagedChange]:
    """The index's differences from `base`, renames as delete + add; gitlinks left out."""
    raw = git_bytes(top, "diff", "--cached", "--raw", "-z", "--no-renames", "--no-ext-diff", "--no-abbrev", base)
    fields = raw.split(b"\0")
    changes = []
    for i in range(0, len(fields) - 1, 2):
        meta, path = fields[i].decode(), fields[i + 1].decode("utf-8", "surrogateescape")
        if not meta.startswith(":"):
            continue
        old_mode, new_mode, old_sha, new_sha, status = meta[1:].split()
        if GITLINK in (old_mode, new_mode):
            continue
        zero = set(old_sha) == {"0"}
        changes.append(StagedChange(
            path,
            None if status == "A" or zero else old_sha,
            None if status == "D" else new_sha,
            old_mode,
            new_mode,
        ))
    return changes


_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.M)


def mark_changed_lines(top: Path, base: str, changes: list[StagedChange]) -> None:
    """Fill in the changed line numbers of both sides from `git diff --cached -U0`."""
    by_path = {c.path: c for c in changes}
    if not by_path:
        return
    diff = git_bytes(top, "diff", "--cached", "-U0", "--no-renames", "--no-ext-diff", "--no-color", base, "--",
                     *sorted(by_path))
    current: StagedChange | None = None
    for line in diff.split(b"\n"):
        if line.startswith(b"+++ ") or line.startswith(b"--- "):
            name = line[4:].decode("utf-8", "surrogateescape")
            if name != "/dev/null":
                current = by_path.get(name[2:] if name[:2] in ("a/", "b/") else name, current)
            continue
        match = _HUNK.match(line)
        if match and current is not None:
            old_start, old_count = int(match[1]), int(match[2] if match[2] is not None else 1)
            new_start, new_count = int(match[3]), int(match[4] if match[4] is not None else 1)
            # A pure deletion or insertion has no lines on one side; its other side names the function.
            current.old_lines.update(range(old_start, old_start + old_count))
            current.new_lines.update(range(new_start, new_start + new_count))
            current.hunks.append((old_start, old_count, new_start, new_count))


def tree_blobs(top: Path, commit: str | None) -> dict[str, str]:
    """path -> blob sha of every regular file of `commit` ({} without a commit)."""
    if commit is None:
        return {}
    out = git_bytes(top, "ls-tree", "-r", "-z", "--full-tree", commit)
    result = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        if kind == "blob":
            result[path.decode("utf-8", "surrogateescape")] = sha
    return result


class StagedSnapshot:
    """A scratch directory holding HEAD's tree, onto which the staged changes are written
    (and taken back off again for the runs at HEAD). Never inside the user's tree."""

    def __init__(self, top: Path, head: str | None) -> None:
        self.parent = Path(tempfile.mkdtemp(prefix="suture-check-")).resolve()
        if self.parent.is_relative_to(top):
            shutil.rmtree(self.parent, ignore_errors=True)
            raise SnapshotError(f"the temp directory {self.parent} lies inside the repository; set TMPDIR elsewhere.")
        self.root = self.parent / top.name  # the repo's own name: test ids and tracebacks read naturally
        self.root.mkdir()
        self.top = top
        self.state = "head"
        if head is not None:
            # A private index: the user's index (or the one `git commit` passes to hooks) is never written.
            index = self.parent / "head.index"
            env = {"GIT_INDEX_FILE": str(index)}
            try:
                git_bytes(top, "read-tree", head, env=env)
                git_bytes(top, "checkout-index", "--all", "--force", f"--prefix={self.root}/", env=env)
            except BaseException:
                self.close()
                raise

    def apply(self, changes: list[StagedChange], contents: dict[str, bytes], side: str) -> None:
        """Write the staged ("staged") or HEAD ("head") version of every changed path."""
        if side == self.state:
            return
        for change in changes:
            blob = change.new_blob if side == "staged" else change.old_blob
            mode = change.new_mode if side == "staged" else change.old_mode
            target = self.root / change.path
            if target.is_symlink() or target.exists():
                target.unlink()
            if blob is None:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            data = contents.get(blob, b"")
            if mode == SYMLINK:
                os.symlink(data.decode("utf-8", "surrogateescape"), target)
                continue
            target.write_bytes(data)
            if mode == "100755":
                target.chmod(0o755)
        self.state = side

    def close(self) -> None:
        shutil.rmtree(self.parent, ignore_errors=True)
