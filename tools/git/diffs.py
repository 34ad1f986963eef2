"""Unified diffs out of a scratch tree and back into a tree, both through git.

git writes and reads the patch so that what suture shows, saves and applies is
exactly what `git apply` takes at the base commit: new and deleted files, modes,
binary files, quoted paths. Hooks are off for every call, and the user's config
cannot change the patch's shape (prefixes, colour, external diff drivers,
renames); line-ending attributes (.gitattributes, core.autocrlf) are respected
because they decide what the committed blobs look like.
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from suture.retrieval.positions import source_lines
from suture.tools.git import cmd as gitcmd

__all__ = ["PatchError", "apply_patch", "diff_worktree", "text_diff", "worktree_location"]

# Patches travel as str; git's bytes that are not UTF-8 survive the round trip.
_ENCODING = "utf-8"
_ERRORS = "surrogateescape"


class PatchError(Exception):
    """A diff could not be made or a patch does not apply; the message is one sentence."""


def _git(
    cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return gitcmd.run(cwd, *args, env=env, input=stdin)
    except gitcmd.GitError:  # callers check cwd is a directory first: git itself is missing
        raise PatchError("git was not found on PATH; suture needs git to make and apply patches.") from None


def _text(data: bytes) -> str:
    return data.decode(_ENCODING, _ERRORS)


def text_diff(path: str, before: str, after: str) -> str:
    """A unified diff of one file's text, `before` -> `after`, in the form `git apply` takes
    (a/ and b/ prefixes, a "\\ No newline at end of file" marker where a side ends without one).

    For texts held in memory (optimize's and C repair's candidates), where a git round trip
    would cost a scratch tree. Lines end at "\n" only, as git counts them: str.splitlines
    would also end lines at form feeds and the like, and each such "line" then got a false
    no-newline marker, a patch that does not apply.
    """
    lines = difflib.unified_diff(source_lines(before), source_lines(after), f"a/{path}", f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def diff_worktree(tree: Path, *, trust_stat_cache: bool = True, where: tuple[Path, Path] | None = None) -> str:
    """The changes of the work tree holding `tree` against its HEAD, as a git patch.

    Untracked files (not ignored) appear as new files, removed ones as deleted, with
    a/ b/ prefixes and binary hunks, paths from the top of the work tree. The tree's
    own index is never touched: the diff is staged into a temporary copy of it.
    "" when nothing changed. `trust_stat_cache=False` starts from HEAD's tree instead of
    the index copy, so every file's content is hashed (slower; for a second opinion).
    `where`: `worktree_location(tree)` as a caller asked it before, for a tree whose top, index
    and commit cannot have changed since (a scratch tree the gates reset to the same commit).
    """
    tree = Path(tree)
    if not tree.is_dir():
        raise PatchError(f"{tree} is not a directory, so there is no tree to diff.")
    top, index = where if where is not None else _top_and_index(tree)
    scratch = Path(tempfile.mkdtemp(prefix="suture-index-"))
    try:
        temp_index = scratch / "index"
        if index.is_file() and trust_stat_cache:
            # A copy keeps git's stat cache, so unchanged files are not re-read. It must keep the
            # index's mtime too (copy2): git trusts a cached stat only for files older than the
            # index, so a same-size edit made in the same clock tick as the checkout (a candidate
            # applied right after a reset) would otherwise look unchanged.
            shutil.copy2(index, temp_index)
        env = {"GIT_INDEX_FILE": str(temp_index)}
        if not temp_index.is_file():
            _git(top, "read-tree", "HEAD", env=env)
        added = _git(top, "add", "-A", env=env)
        if added.returncode != 0:
            raise PatchError(f"git add failed in {top}: {_last_line(added.stderr)}.")
        done = _git(
            top,
            "diff", "--cached", "--binary", "--no-color", "--no-ext-diff", "--no-textconv",
            "--no-renames", "--no-relative", "--src-prefix=a/", "--dst-prefix=b/", "HEAD",
            env=env,
        )
        if done.returncode != 0:
            raise PatchError(f"git diff failed in {top}: {_last_line(done.stderr)}.")
        return _text(done.stdout)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def worktree_location(tree: Path) -> tuple[Path, Path]:
    """(top of the work tree holding `tree`, its index file), as diff_worktree reads them; PatchError
    when there is no base to diff against."""
    tree = Path(tree)
    if not tree.is_dir():
        raise PatchError(f"{tree} is not a directory, so there is no tree to diff.")
    return _top_and_index(tree)


def _top_and_index(tree: Path) -> tuple[Path, Path]:
    """(top of the work tree holding `tree`, its index file); PatchError when there is no base to diff against.

    One `git rev-parse` answers all three questions when all is well (a gate asks once per candidate,
    and each git command costs a process); only a failure asks them one by one, for the sentence."""
    done = _git(tree, "rev-parse", "--show-toplevel", "--git-path", "index", "--verify", "--quiet", "HEAD^{commit}")
    lines = _text(done.stdout).split("\n")
    if done.returncode == 0 and len(lines) == 4 and lines[0] and lines[1] and lines[2] and not lines[3]:
        index = Path(lines[1])
        return Path(lines[0]).resolve(), index if index.is_absolute() else (tree / index).resolve()
    top = _work_tree_top(tree)
    if top is None:
        raise PatchError(f"{tree} is not inside a git work tree, so there is no base to diff against.")
    if _git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
        raise PatchError(f"the work tree at {top} has no commit yet, so there is no base to diff against.")
    return top, gitcmd.git_path(top, "index") or top / ".git" / "index"


def apply_patch(root: Path, patch: str, *, check_only: bool = False) -> None:
    """Apply a git patch to the working tree at `root` (never the index), or only check it.

    Nothing is written unless the whole patch applies (`git apply --check` first;
    git apply is itself all-or-nothing). Paths are taken from the top of the work
    tree holding `root`; outside a repository, from `root`. Raises PatchError with
    one sentence naming the first file that does not take the patch.
    """
    root = Path(root)
    if not root.is_dir():
        raise PatchError(f"{root} is not a directory, so the patch cannot be applied there.")
    if not patch.strip():
        raise PatchError("The patch is empty, so there is nothing to apply.")
    cwd = _work_tree_top(root) or root
    data = patch.encode(_ENCODING, _ERRORS)
    # --whitespace=nowarn: a user's apply.whitespace=error must not reject suture's own diff.
    base = ("apply", "--whitespace=nowarn")
    checked = _git(cwd, *base, "--check", "-", stdin=data)
    if checked.returncode != 0:
        raise PatchError(_apply_failure(checked.stderr))
    if check_only:
        return
    done = _git(cwd, *base, "-", stdin=data)
    if done.returncode != 0:
        raise PatchError(_apply_failure(done.stderr))


def _work_tree_top(path: Path) -> Path | None:
    try:
        return gitcmd.work_tree_top(path)
    except gitcmd.GitError:
        raise PatchError("git was not found on PATH; suture needs git to make and apply patches.") from None


def _last_line(stderr: bytes) -> str:
    reason = gitcmd.last_line(stderr)
    return reason.rstrip(".") if reason else "no message"


# git apply's error lines, most specific first: (pattern, sentence template).
_APPLY_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^error: patch failed: (?P<path>.+):(?P<line>\d+)$"),
     "The patch does not apply to {path}: its context around line {line} does not match the file."),
    (re.compile(r"^error: (?P<path>.+): (?:No such file or directory|does not exist in (?:working tree|index))$"),
     "The patch does not apply to {path}: the file does not exist."),
    (re.compile(r"^error: (?P<path>.+): already exists in (?:working directory|index)$"),
     "The patch does not apply to {path}: the patch creates it but the file already exists."),
    (re.compile(r"^error: (?P<path>.+): patch does not apply$"),
     "The patch does not apply to {path}: the file's content differs from what the patch expects."),
    (re.compile(r"^error: affected file '(?P<path>.+)' is beyond a symbolic link$"),
     "The patch does not apply to {path}: the path runs through a symbolic link."),
    (re.compile(r"^error: invalid path '(?P<path>.+)'$"),
     "The patch does not apply to {path}: git refuses that path."),
    (re.compile(r"^error: corrupt patch at line (?P<line>\d+)$"),
     "The patch is corrupt at line {line} and cannot be applied."),
    (re.compile(r"^error: No valid patches in input"),
     "The text is not a patch git can apply (no valid diff found)."),
]


def _apply_failure(stderr: bytes) -> str:
    lines = [line.strip() for line in _text(stderr).splitlines() if line.strip()]
    for line in lines:
        for pattern, sentence in _APPLY_ERRORS:
            match = pattern.match(line)
            if match:
                return sentence.format(**match.groupdict())
    first = next((line for line in lines if line.startswith(("error:", "fatal:"))), lines[0] if lines else "")
    return f"The patch does not apply: {first.split(':', 1)[-1].strip().rstrip('.') or 'git apply failed'}."
