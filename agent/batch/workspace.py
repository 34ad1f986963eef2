"""Where a batch task runs: the user's directory, a private clone, or a clone of a shipped bundle.

A clone is made with git alone (no hard links into the user's object store are written: a
`--shared` clone only reads it through alternates), checked out detached at the task's commit,
so a task never sees another task's working tree nor a commit made after the batch started.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from suture.agent.batch.tasks import Task
from suture.tools.git.cmd import last_line, run


class CloneError(Exception):
    """The task's repository could not be cloned or checked out (one sentence)."""


def task_directory(task: Task, task_dir: Path, bundle: bytes | None = None) -> Path:
    """The directory the task's command runs in (its --repo): the user's own, or a fresh private
    clone under `task_dir/repo` (from `bundle` when the repository was shipped as one)."""
    if not task.clone and bundle is None and task.path is not None:
        return task.path
    dest = task_dir / "repo"
    if dest.exists():  # a task interrupted before: start from a clean clone
        shutil.rmtree(dest)
    task_dir.mkdir(parents=True, exist_ok=True)
    if bundle is not None:
        with tempfile.NamedTemporaryFile(suffix=".bundle", dir=task_dir, delete=False) as fh:
            fh.write(bundle)
        try:
            _clone(task_dir, [fh.name, str(dest)], task.repo)
        finally:
            Path(fh.name).unlink(missing_ok=True)
    elif task.url is not None:
        _clone(task_dir, [task.url, str(dest)], task.repo)
    else:
        _clone(task_dir, ["--shared", str(task.top), str(dest)], task.repo)
    if task.rev is not None:
        done = run(dest, "checkout", "--quiet", "--detach", task.rev, text=True)
        if done.returncode != 0:
            raise CloneError(f"cannot check out {task.rev} in the clone of {task.repo}: {last_line(done.stderr)}.")
    if task.path is not None and task.top is not None and task.path != task.top:
        return dest / task.path.relative_to(task.top)
    return dest


def _clone(cwd: Path, args: list[str], shown: str) -> None:
    done = run(cwd, "clone", "--quiet", *args, text=True)
    if done.returncode != 0:
        raise CloneError(f"cannot clone {shown}: {last_line(done.stderr) or f'git exit {done.returncode}'}.")


def bundle_of(task: Task) -> bytes:
    """The task's commit and its history as a git bundle (for a worker that cannot see the path)."""
    if task.top is None:
        raise CloneError(f"{task.repo} is a URL: the worker clones it itself.")
    with tempfile.TemporaryDirectory(prefix="suture-bundle-") as tmp:
        scratch = Path(tmp) / "repo"
        _clone(Path(tmp), ["--shared", "--no-checkout", str(task.top), str(scratch)], task.repo)
        rev = task.rev or "HEAD"
        done = run(scratch, "update-ref", "refs/heads/suture-batch", rev, text=True)
        if done.returncode != 0:
            raise CloneError(f"cannot bundle {task.repo} at {rev}: {last_line(done.stderr)}.")
        run(scratch, "symbolic-ref", "HEAD", "refs/heads/suture-batch")
        path = Path(tmp) / "repo.bundle"
        done = run(scratch, "bundle", "create", "--quiet", str(path), "HEAD", "refs/heads/suture-batch", text=True)
        if done.returncode != 0:
            raise CloneError(f"cannot bundle {task.repo}: {last_line(done.stderr)}.")
        return path.read_bytes()
