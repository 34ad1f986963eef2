"""Delivering a validated patch, and taking the last delivery back (`suture undo`).

Three ways out, the user's choice:
- print:  the patch is saved as <run_dir>/patch.diff; the repository is not touched.
- apply:  `git apply` writes it into the working tree, only when it applies cleanly on
          top of what is there now; the user's other uncommitted edits and untracked files
          stay as they are. Nothing is ever stashed, reset, cleaned or checked out.
- commit: a new branch suture/<run-id> holding one commit, base + patch, built with git
          plumbing on a temporary index file; the user's checkout, index, current branch
          and working tree are not changed, and the branch ref is written last.

Every refusal is one sentence and exit code 2, raised before anything is written.
Steps that change the user's repository run with SIGINT/SIGTERM/SIGHUP held back, so
Ctrl-C lands either before the change (nothing happened) or after it and its undo
record (undo works). Only SIGKILL inside `git apply` itself can leave a partial write;
the files as they were are copied to <run_dir>/original/ first for that case.

The last apply or commit is recorded in <top>/.suture/last_delivery.json; `undo`
reads it, checks that nothing changed since (blob hashes of the applied files, the
branch's commit), and reverts through git (`git apply -R`, `git update-ref -d`).
The record names the `.suture/` directory it was written in (device and inode, the
index cache's rule): a record that came with a clone or an archive is refused (exit 3),
as is a `.suture` that is a symbolic link or tracked by git.

When --apply or --commit cannot deliver a verified patch (the user edited the same lines
since), the patch is still saved as <run_dir>/patch.diff and DeliveryRefused carries a
print-mode Delivery saying why, so the caller prints the patch and writes its report: a
verified patch is never lost.

Over 600 lines as one concept: every way a verified patch leaves suture (print, apply,
commit) and the one way it is taken back (undo) share the checks of the user's repository
state and the delivery record; split, each half would need the other's invariants.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.runs import check_suture_dir, dir_stamp, exclude_suture
from suture.tools.git import gitstate
from suture.tools.git.diffs import PatchError, apply_patch
from suture.tools.git.cmd import run as run_git
from suture.tools.git.gitstate import GitStateError

__all__ = ["MODES", "Delivery", "DeliveryRefused", "Undone", "check_repo_state", "deliver", "undo", "patch_files"]

MODES = ("print", "apply", "commit")
WRITING_MODES = ("apply", "commit")
LAST_DELIVERY = "last_delivery.json"
BRANCH_PREFIX = "suture/"
# Used only when git has no identity of its own for the commit (no user.name/email anywhere).
FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "suture",
    "GIT_AUTHOR_EMAIL": "suture@localhost",
    "GIT_COMMITTER_NAME": "suture",
    "GIT_COMMITTER_EMAIL": "suture@localhost",
}

_FINISH_ADVICE = {
    "merge": "git merge --continue or git merge --abort",
    "rebase": "git rebase --continue or git rebase --abort",
    "am": "git am --continue or git am --abort",
    "cherry-pick": "git cherry-pick --continue or git cherry-pick --abort",
    "revert": "git revert --continue or git revert --abort",
    "bisect": "git bisect reset",
}
# Header lines that mark a submodule (gitlink) change inside a patch.
_GITLINK_HEADER = re.compile(r"^(?:new file mode|deleted file mode|old mode|new mode|index \S+) 160000$", re.M)
_RENAME_FROM = re.compile(r"^rename from (.+)$", re.M)


@dataclass(frozen=True)
class Delivery:
    mode: str  # "print" | "apply" | "commit"
    run_dir: Path
    patch_path: Path
    files: tuple[str, ...]  # repo-relative paths the patch touches
    base: str | None = None  # the commit the branch was built on (commit mode)
    branch: str | None = None  # "suture/<run-id>" (commit mode)
    commit: str | None = None
    refused: str | None = None  # why the asked-for apply/commit did not happen (mode is then "print")
    asked: str | None = None  # the mode the user asked for, when it was refused

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "refused": self.refused,
            "asked": self.asked,
            "run_dir": str(self.run_dir),
            "patch_path": str(self.patch_path),
            "files": list(self.files),
            "base": self.base,
            "branch": self.branch,
            "commit": self.commit,
        }


class DeliveryRefused(SutureExit):
    """--apply/--commit refused (exit 2) after the patch was saved; `delivery` is what was done instead."""

    def __init__(self, message: str, delivery: Delivery) -> None:
        super().__init__(message, ExitCode.BAD_INPUT)
        self.delivery = delivery


@dataclass(frozen=True)
class Undone:
    kind: str  # "apply" | "commit": what was taken back
    message: str  # one sentence for the user
    files: tuple[str, ...] = ()
    branch: str | None = None
    commit: str | None = None
    run_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        report: dict[str, Any] = {"undone": self.kind}
        if self.kind == "apply":
            report["files"] = list(self.files)
        else:
            report["branch"] = self.branch
            report["commit"] = self.commit
        report["run_dir"] = self.run_dir
        report["message"] = self.message
        return report


# ---------------------------------------------------------------- checks


def check_repo_state(repo: Path, mode: str = "print", patch: str | None = None, *, base: str | None = None) -> None:
    """Raise SutureExit (one sentence, exit 2) when `mode` cannot deliver `patch` to `repo` safely.

    Without a patch only the repository is checked (callers may ask early, before a fix
    exists). print mode needs only a git work tree (and a patch git can read).
    """
    if mode not in MODES:
        raise SutureExit(f"unknown delivery mode {mode!r}; use one of: {', '.join(MODES)}.")
    top = _toplevel(repo)
    if mode in WRITING_MODES:
        _check_no_operation(top, mode)
    if mode == "commit":
        _check_committable(top, base)
    if mode == "apply" and patch is None and gitstate.unwritable_paths(top):
        raise SutureExit(f"the working tree at {top} is read-only, so suture cannot apply a patch there; "
                         "make it writable, or use --commit or the printed diff instead.")
    if patch is None:
        return
    files = patch_files(top, patch) if patch.strip() else []
    if mode not in WRITING_MODES:
        return
    if not files:
        raise SutureExit(f"the patch is empty, so there is nothing to {mode}.")
    _check_no_submodule(top, patch, files)
    if mode == "apply":
        blocked = gitstate.unwritable_paths(top, files)
        if blocked:
            raise SutureExit(f"the working tree at {top} is read-only where the patch writes ({_names(blocked)}), "
                             "so suture cannot apply it; make it writable, or use --commit or the printed diff instead.")
        try:
            apply_patch(top, patch, check_only=True)
        except PatchError as error:
            raise SutureExit(f"{_clause(error)}; your working tree changed there since suture made the patch, "
                             "so nothing was written.") from None
    else:
        base_commit = _resolve_base(top, base)
        with _temporary_index(top, base_commit) as env:
            done = _git_apply(top, patch, "--cached", "--check", env=env)
        if done.returncode != 0:
            raise SutureExit(f"the patch does not apply to commit {base_commit[:12]} "
                             f"(git apply: {_apply_reason(done.stderr)}), so no branch was made.")


def _check_no_operation(top: Path, mode: str) -> None:
    operation = gitstate.operation_in_progress(top)
    if operation is not None:
        raise SutureExit(f"the repository at {top} is in the middle of a {operation}; finish it first "
                         f"({_FINISH_ADVICE.get(operation, 'or abort it')}), then run suture again to {mode} the patch.")


def _check_committable(top: Path, base: str | None) -> None:
    head = gitstate.head_commit(top)
    if head is None:
        raise SutureExit(f"the repository at {top} has no commit yet, so there is nothing to base a suture branch on.")
    if gitstate.current_branch(top) is None:
        raise SutureExit(f"HEAD is detached (at {head[:12]}), so suture will not commit; check out a branch first "
                         "(git switch <branch>), or use --apply or the printed diff instead.")
    _resolve_base(top, base)


def _check_no_submodule(top: Path, patch: str, files: list[str]) -> None:
    submodules = gitstate.submodule_paths(top)
    touched = [f for f in files if any(f == sub or f.startswith(sub + "/") for sub in submodules)]
    if touched or _GITLINK_HEADER.search(patch):
        where = _names(touched) if touched else "a gitlink entry"
        raise SutureExit(f"the patch touches a submodule ({where}); suture does not change submodules, "
                         "so change that repository itself.")


def patch_files(repo: Path, patch: str) -> list[str]:
    """Repo-relative paths a patch touches: every target, plus the source of each rename.

    `git apply --numstat -z` names the target of a rename only, so the sources come from
    the patch's `rename from` header lines (which no hunk line can look like).
    """
    top = _toplevel(repo)
    done = _git_apply(top, patch, "--numstat", "-z")
    if done.returncode != 0:
        reason = _apply_reason(done.stderr)
        if reason.startswith("No valid patches"):
            reason = "git apply found no diff in it"
        raise SutureExit(f"the patch is not a diff git can read ({reason}).")
    files: list[str] = []
    for entry in done.stdout.decode("utf-8", errors="surrogateescape").split("\0"):
        path = entry.split("\t", 2)[-1] if entry.count("\t") >= 2 else entry
        if path and path not in files:
            files.append(path)
    for raw in _RENAME_FROM.findall(patch):
        path = _unquote(raw.rstrip("\r"))
        if path not in files:
            files.append(path)
    return files


# ---------------------------------------------------------------- delivery


def deliver(
    repo: Path,
    patch: str,
    run_dir: Path,
    *,
    mode: str = "print",
    message: str = "",
    base: str | None = None,
) -> Delivery:
    """Deliver `patch` (a diff `git apply` takes at the top of `repo`'s work tree) in `mode`.

    `message` is the commit message (commit mode): what was fixed and how it was verified.
    `base` is the commit the patch was made and tested against (commit mode; default HEAD).
    The patch is always saved as <run_dir>/patch.diff; print mode does nothing else.
    """
    top = _toplevel(repo)
    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    patch_path = run_dir / "patch.diff"
    _write_atomic(patch_path, _bytes(patch))  # first: whatever happens next, the verified patch is kept
    try:
        check_repo_state(top, mode, patch, base=base)
    except SutureExit as refusal:
        if mode not in WRITING_MODES or not patch.strip() or refusal.code != ExitCode.BAD_INPUT:
            raise
        kept = Delivery("print", run_dir, patch_path, tuple(_readable_files(top, patch)), refused=refusal.message,
                        asked=mode)
        raise DeliveryRefused(refusal.message, kept) from None
    files = tuple(patch_files(top, patch)) if patch.strip() else ()
    if mode == "apply":
        return _deliver_apply(top, patch, run_dir, patch_path, files)
    if mode == "commit":
        return _deliver_commit(top, patch, run_dir, patch_path, files, message, _resolve_base(top, base))
    return Delivery("print", run_dir, patch_path, files)


def _readable_files(top: Path, patch: str) -> list[str]:
    try:
        return patch_files(top, patch)
    except SutureExit:
        return []


def _deliver_apply(top: Path, patch: str, run_dir: Path, patch_path: Path, files: tuple[str, ...]) -> Delivery:
    _save_originals(top, files, run_dir / "original")
    head = gitstate.head_commit(top)
    before = gitstate.blob_hashes(top, list(files))
    with _signals_held():
        try:
            apply_patch(top, patch)
        except PatchError as error:
            raise SutureExit(f"{_clause(error)}, found while writing the patch; the files as they were "
                             f"are saved in {run_dir / 'original'}.") from None
        record = {
            "mode": "apply",
            "run_id": run_dir.name,
            "run_dir": str(run_dir),
            "repo": str(top),
            "patch": str(patch_path),
            "base": head,
            "files": gitstate.blob_hashes(top, list(files)),
            "files_before": before,
        }
        _record_last_delivery(top, record)  # adds the directory stamp to `record`
        _write_json(run_dir / "applied.json", record)
    return Delivery("apply", run_dir, patch_path, files, base=head)


def _deliver_commit(top: Path, patch: str, run_dir: Path, patch_path: Path, files: tuple[str, ...],
                    message: str, base: str) -> Delivery:
    branch = BRANCH_PREFIX + run_dir.name
    if run_git(top, "check-ref-format", "--branch", branch).returncode != 0:
        raise SutureExit(f"{branch!r} is not a valid branch name; the run directory's name must make one.")
    if gitstate.branch_commit(top, branch) is not None:
        raise SutureExit(f"branch {branch} already exists and suture never moves an existing branch; "
                         "delete it or run again, nothing was committed.")
    # Everything up to update-ref only adds unreachable objects: an interruption leaves no trace.
    with _temporary_index(top, base) as env:
        done = _git_apply(top, patch, "--cached", env=env)
        if done.returncode != 0:
            raise SutureExit(f"the patch does not apply to commit {base[:12]} (git apply: {_apply_reason(done.stderr)}).")
        tree = _git_out(top, "write-tree", env=env)
    text = message.strip() or f"suture: patch from run {run_dir.name}"
    commit = _git_out(top, "commit-tree", tree, "-p", base, "-F", "-",
                      input=(text + "\n").encode("utf-8"), env=_identity_env(top))
    record = {
        "mode": "commit",
        "run_id": run_dir.name,
        "run_dir": str(run_dir),
        "repo": str(top),
        "patch": str(patch_path),
        "base": base,
        "branch": branch,
        "commit": commit,
        "files": list(files),
    }
    with _signals_held():
        # The record goes first: killed before the ref exists, undo finds the branch absent and
        # says so; killed after, undo finds both. The ref is the last step.
        previous = _record_last_delivery(top, record)
        # An empty old value makes git refuse if the branch appeared meanwhile.
        done = run_git(top, "update-ref", "-m", f"suture: deliver run {run_dir.name}", f"refs/heads/{branch}", commit, "")
        if done.returncode != 0:
            _restore_last_delivery(top, previous)
            raise SutureExit(f"git could not create branch {branch} ({_first_line(done.stderr)}); nothing was committed.")
    _write_json(run_dir / "committed.json", record)
    return Delivery("commit", run_dir, patch_path, files, base=base, branch=branch, commit=commit)


# ---------------------------------------------------------------- undo


def undo(repo: Path) -> Undone:
    """Take back the last suture apply or commit in `repo`'s work tree.

    Raises SutureExit(NOTHING_FOUND) when there is nothing to undo, and SutureExit(BAD_INPUT)
    with one sentence when undoing would lose work (files or branch changed since).
    """
    top = _toplevel(repo)
    record_path = check_suture_dir(top) / LAST_DELIVERY
    record = _read_json(record_path)
    if record is None or record.get("mode") not in WRITING_MODES:
        raise SutureExit(f"nothing to undo: suture has not applied or committed a patch in {top} "
                         "(or that was undone already).", ExitCode.NOTHING_FOUND)
    if record.get("stamp") != dir_stamp(record_path.parent) or not _inside(record.get("patch"), top):
        raise SutureExit(f"{record_path} was not written by suture in this directory (it came with a clone, a copy "
                         "or an archive, or from an older suture), so undo does not act on it; delete it, and revert "
                         "by hand if needed.", ExitCode.REFUSED)
    if record["mode"] == "apply":
        return _undo_apply(top, record, record_path)
    return _undo_commit(top, record, record_path)


def _undo_apply(top: Path, record: dict[str, Any], record_path: Path) -> Undone:
    patch_path = Path(record["patch"])
    files: dict[str, str | None] = record.get("files") or {}
    if not patch_path.is_file():
        raise SutureExit(f"cannot undo: the saved patch {patch_path} is gone, so suture cannot tell what to revert.")
    now = gitstate.blob_hashes(top, list(files))
    if files and now == record.get("files_before") and now != files:
        # An undo killed after `git apply -R` but before it dropped this record.
        _forget_last_delivery(record_path)
        raise SutureExit(f"nothing to undo: suture's patch of run {record.get('run_id')} is already reverted.",
                         ExitCode.NOTHING_FOUND)
    changed = [path for path, blob in files.items() if now[path] != blob]
    if changed:
        raise SutureExit(f"{_names(changed)} changed since suture applied its patch, so undo would lose your edits "
                         f"and nothing was reverted (the patch is {patch_path} if you want to revert by hand).")
    patch = patch_path.read_bytes().decode("utf-8", errors="surrogateescape")
    check = _git_apply(top, patch, "-R", "--check")
    if check.returncode != 0:
        raise SutureExit(f"the applied patch no longer reverses cleanly (git apply -R: {_apply_reason(check.stderr)}); "
                         "nothing was reverted.")
    with _signals_held():
        done = _git_apply(top, patch, "-R")
        if done.returncode != 0:
            raise SutureExit(f"git apply -R failed while reverting ({_apply_reason(done.stderr)}); "
                             f"the files as they were before suture are in {Path(record['run_dir']) / 'original'}.")
        _forget_last_delivery(record_path)
    reverted = tuple(files)
    return Undone("apply", f"reverted suture's patch in {_names(list(reverted))} (run {record.get('run_id')}).",
                  files=reverted, run_dir=record.get("run_dir"))


def _undo_commit(top: Path, record: dict[str, Any], record_path: Path) -> Undone:
    branch, commit = record["branch"], record["commit"]
    current = gitstate.branch_commit(top, branch)
    if current is None:
        _forget_last_delivery(record_path)
        raise SutureExit(f"nothing to undo: branch {branch} is already gone.", ExitCode.NOTHING_FOUND)
    if current != commit:
        raise SutureExit(f"branch {branch} moved since suture made it (now at {current[:12]}, made at {commit[:12]}); "
                         "undo refused so those commits are kept.")
    holder = gitstate.checked_out_branches(top).get(branch)
    if holder is not None:
        raise SutureExit(f"branch {branch} is checked out in {holder}; switch that worktree to another branch, "
                         "then run suture undo again.")
    with _signals_held():
        # The old value makes the deletion atomic: git refuses if the branch moved after the check above.
        done = run_git(top, "update-ref", "-d", f"refs/heads/{branch}", commit)
        if done.returncode != 0:
            raise SutureExit(f"git could not delete branch {branch} ({_first_line(done.stderr)}).")
        _forget_last_delivery(record_path)
    return Undone("commit", f"deleted branch {branch} (it was at {commit[:12]}).", branch=branch, commit=commit,
                  run_dir=record.get("run_dir"))


# ---------------------------------------------------------------- helpers


def _toplevel(repo: Path) -> Path:
    try:
        return gitstate.toplevel(Path(repo))
    except GitStateError as error:
        raise SutureExit(str(error)) from None


def _resolve_base(top: Path, base: str | None) -> str:
    rev = base or "HEAD"
    done = run_git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    commit = done.stdout.decode().strip()
    if done.returncode != 0 or not commit:
        raise SutureExit(f"{rev!r} is not a commit in the repository at {top}.")
    return commit


@contextmanager
def _temporary_index(top: Path, base: str) -> Iterator[dict[str, str]]:
    """Env for git commands that read and write an index file of `base`'s tree outside the repository."""
    with tempfile.TemporaryDirectory(prefix="suture-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _git_out(top, "read-tree", base, env=env)
        yield env


def _identity_env(top: Path) -> dict[str, str]:
    """The user's git identity when git has one, else suture's (commit-tree needs some)."""
    env: dict[str, str] = {}
    for role in ("AUTHOR", "COMMITTER"):
        if run_git(top, "var", f"GIT_{role}_IDENT").returncode != 0:
            env.update({k: v for k, v in FALLBACK_IDENTITY.items() if k.startswith(f"GIT_{role}_")})
    return env


def _git_apply(top: Path, patch: str, *args: str, env: dict[str, str] | None = None):
    # nowarn: the user's apply.whitespace=error must not reject a patch the tests accepted.
    return run_git(top, "apply", "--whitespace=nowarn", *args, input=_bytes(patch), env=env)


def _git_out(top: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
    done = run_git(top, *args, input=input, env=env)
    if done.returncode != 0:
        raise SutureExit(f"git {args[0]} failed in {top} ({_first_line(done.stderr)}); nothing was changed.")
    return done.stdout.decode().strip()


def _apply_reason(stderr: bytes) -> str:
    """git apply's errors as one clause: the per-file verdicts, without the hunk-position noise."""
    errors = [line.strip()[len("error: "):] for line in stderr.decode("utf-8", "replace").splitlines()
              if line.strip().startswith("error: ")]
    verdicts = [e for e in errors if not e.startswith("patch failed: ")] or errors
    unique = list(dict.fromkeys(verdicts))
    return "; ".join(unique) if unique else _first_line(stderr)


def _clause(error: PatchError) -> str:
    """A PatchError's sentence as the first clause of ours."""
    text = str(error).strip().rstrip(".")
    return text[:1].lower() + text[1:]


def _first_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def _names(paths: list[str]) -> str:
    shown = ", ".join(paths[:5])
    return shown + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def _unquote(path: str) -> str:
    """A path as git prints it: C-quoted ("a\\tb", octal bytes) when it holds special characters."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    body, out, i = path[1:-1], bytearray(), 0
    escapes = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "0123" and i + 4 <= len(body):
                out.append(int(body[i + 1:i + 4], 8))
                i += 4
                continue
            out.append(escapes.get(nxt, ord(nxt)))
            i += 2
            continue
        out.extend(ch.encode("utf-8"))
        i += 1
    return out.decode("utf-8", errors="surrogateescape")


def _bytes(patch: str) -> bytes:
    return patch.encode("utf-8", errors="surrogateescape")


def _save_originals(top: Path, files: tuple[str, ...], dest: Path) -> None:
    """Copies of the files as they were, for the one case git cannot undo: a write that died halfway."""
    for rel in files:
        source = top / rel
        if source.is_file() or source.is_symlink():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)


def _record_last_delivery(top: Path, record: dict[str, Any]) -> bytes | None:
    """Write the undo record; return the one it replaces (raw), for _restore_last_delivery."""
    directory = check_suture_dir(top)
    exclude_suture(top)
    directory.mkdir(exist_ok=True)
    record["stamp"] = dir_stamp(directory)
    path = directory / LAST_DELIVERY
    try:
        previous = path.read_bytes()
    except OSError:
        previous = None
    _write_json(path, record)
    return previous


def _inside(path: Any, directory: Path) -> bool:
    """True when `path` (a record's field) names a file under `directory`."""
    return isinstance(path, str) and Path(path).resolve().is_relative_to(directory.resolve())


def _restore_last_delivery(top: Path, previous: bytes | None) -> None:
    path = top / ".suture" / LAST_DELIVERY
    if previous is None:
        path.unlink(missing_ok=True)
    else:
        _write_atomic(path, previous)


def _forget_last_delivery(record_path: Path) -> None:
    record_path.unlink(missing_ok=True)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    _write_atomic(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back until the block (and the git it runs) is done.

    Two layers, because either alone leaks: Python's handlers are swapped for a recorder
    (a signal taken by any thread would otherwise raise KeyboardInterrupt in the middle
    of the block), and the signals are blocked in this thread, a mask the git child
    inherits, so a terminal's Ctrl-C to the whole process group cannot kill git mid-write.
    Held signals are replayed to the original handlers once the block is over.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers, and it is the one signals interrupt
        return
    held = [sig for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if sig is not None]
    caught: list[int] = []
    originals = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum)) for sig in held}
    can_mask = hasattr(signal, "pthread_sigmask")
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, held) if can_mask else None
    try:
        yield
    finally:
        if can_mask:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)  # pending ones reach the recorder
        for sig, handler in originals.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys(caught):
            handler = originals[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)
