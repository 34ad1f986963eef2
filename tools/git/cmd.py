"""The one place suture runs git: one command runner with hooks and prompts off, GitPython's object model.

Every git command of agent/ and tools/ goes through `run` (or `git`, which raises on
failure), so every call gets the same policy:

- hooks never run: `-c core.hooksPath=/dev/null` stops every hook git itself runs
  (pre-commit, commit-msg, prepare-commit-msg, post-commit, post-checkout,
  reference-transaction, ...). GitPython's own `IndexFile.commit` runs commit hooks
  in Python, so it is never used; commits are made with git's commands here.
- nothing waits on a person: GIT_TERMINAL_PROMPT=0 and an empty GIT_ASKPASS (an empty
  value also shadows core.askPass and SSH_ASKPASS), no pager, stdin closed unless input
  is given;
- git's messages in plain English (LC_ALL=C, as GitPython's wrapper set it), so the few
  error lines suture reads are the ones it was written against.

Commands start with subprocess (`run`): they used to go through GitPython's `Git.execute`,
which added nothing to Popen but the variables above, and importing GitPython costs ~0.3
CPU-s per process (it runs `git version` too), paid by every suture command at its first
git call. GitPython is imported only where its object model is used, on first use.

Where GitPython's object model replaces parsing porcelain output, it is used here
too (`read_blobs`: object contents from the object database, no `cat-file` parsing).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "GitError",
    "GitResult",
    "run",
    "git",
    "git_bytes",
    "work_tree_top",
    "git_path",
    "head_commit",
    "commit_of",
    "file_at",
    "read_blobs",
    "NO_HOOKS",
]

# Prepended to every command. hooksPath=/dev/null: no hook exists there, so none runs.
NO_HOOKS = ("-c", "core.hooksPath=/dev/null", "-c", "core.pager=cat")

# Added to the environment of every command (a caller's env may add more, never drop these
# silently: the caller's values win only for keys it names).
_QUIET_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "GIT_PAGER": "cat", "PAGER": "cat"}

# Variables that point git at a repository. git sets some for hooks (`suture check` runs as one,
# and GIT_INDEX_FILE there names what the commit will record, so calls on the user's repository keep
# them); a scratch checkout's git must never follow them to the user's repository (`isolated`).
REPO_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                  "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX")

GitResult = subprocess.CompletedProcess  # args, returncode, stdout, stderr: what callers already read


class GitError(Exception):
    """git could not run or failed; the message is one sentence for the user.

    `command` is the git argument list (without the policy options), `stderr` git's
    last non-empty line of stderr ("" when none), `returncode` None when git never ran.
    """

    def __init__(self, message: str, command: Sequence[str] = (), stderr: str = "",
                 returncode: int | None = None) -> None:
        super().__init__(message)
        self.command = tuple(command)
        self.stderr = stderr
        self.returncode = returncode


_GIT_MODULE: Any = None


def _gitpython() -> Any:
    """The `git` package, imported once, on first use."""
    global _GIT_MODULE
    if _GIT_MODULE is None:
        # quiet: a machine without git gets GitError from `run`, not an ImportError here.
        os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
        import git as gitpython

        _GIT_MODULE = gitpython
    return _GIT_MODULE


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def last_line(stderr: bytes | str) -> str:
    """git's last non-empty stderr line (its reason), or ""."""
    text = _text(stderr) if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def run(
    cwd: Path | str,
    *args: str,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    text: bool = False,
    isolated: bool = False,
) -> subprocess.CompletedProcess:
    """`git ARGS` in `cwd` under the policy above; git's own failure is in `returncode`.

    stdout and stderr are bytes (str with `text=True`, undecodable bytes kept as
    surrogates). Raises GitError only when git cannot be started at all (not installed)
    or `cwd` is not a directory. `isolated`: without the repository variables of suture's own
    environment (REPO_VARIABLES: a scratch checkout's git must never follow them to the user's
    repository), which calls on the user's repository keep.
    """
    if not Path(cwd).is_dir():
        raise GitError(f"{cwd} is not a directory.", args)
    if not os.access(cwd, os.X_OK):
        raise GitError(f"{cwd} is a directory suture may not enter.", args)
    argv = ["git", *NO_HOOKS, *args]
    # Started with subprocess, not GitPython's `Git.execute`: importing GitPython costs ~0.3 CPU-s
    # per process (its package imports gitdb, smmap, its object model, and runs `git version`), and
    # every suture command pays it at its first git call (finding the work tree), while a command
    # needs no more from GitPython than Popen. The policy is the one GitPython's wrapper applied:
    # the process's environment plus English messages, no prompt, no pager; stdin closed.
    base = {k: v for k, v in os.environ.items() if k not in REPO_VARIABLES} if isolated else dict(os.environ)
    return _spawn(cwd, argv, input, {**base, **_ENGLISH, **_QUIET_ENV, **(env or {})}, text)


# What GitPython's command wrapper set for every command: git's messages in English.
_ENGLISH = {"LANGUAGE": "C", "LC_ALL": "C"}


def _spawn(cwd: Path | str, argv: list[str], input: bytes | None, env: dict[str, str],
           text: bool) -> subprocess.CompletedProcess:
    """Run `argv` (git and the policy options) in `cwd` with exactly `env`."""
    args = argv[len(NO_HOOKS) + 1:]
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, input=input, capture_output=True,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; suture needs it.", args) from None
    if text:
        return subprocess.CompletedProcess(args, done.returncode, _text(done.stdout), _text(done.stderr))
    return subprocess.CompletedProcess(args, done.returncode, done.stdout, done.stderr)


def git(cwd: Path | str, *args: str, input: bytes | None = None,
        env: Mapping[str, str] | None = None) -> str:
    """git's stdout as text; GitError("git SUBCOMMAND failed in CWD: REASON.") when it fails."""
    return _text(git_bytes(cwd, *args, input=input, env=env))


def git_bytes(cwd: Path | str, *args: str, input: bytes | None = None,
              env: Mapping[str, str] | None = None) -> bytes:
    """`git` with its stdout as git wrote it (for -z output and file contents)."""
    done = run(cwd, *args, input=input, env=env)
    if done.returncode != 0:
        reason = last_line(done.stderr)
        raise GitError(f"git {args[0]} failed in {cwd}: {reason or f'exit {done.returncode}'}.",
                       args, reason, done.returncode)
    return done.stdout


def work_tree_top(path: Path | str) -> Path | None:
    """The top of the work tree holding `path` (resolved), or None when `path` is not a
    directory inside one. Callers say in their own words what None means for them."""
    path = Path(path)
    if not path.is_dir():
        return None
    done = run(path, "rev-parse", "--show-toplevel")
    top = _text(done.stdout).strip()
    return Path(top).resolve() if done.returncode == 0 and top else None


def git_path(repo: Path | str, name: str) -> Path | None:
    """Absolute path of `name` inside the git dir (per-worktree files resolve per worktree)."""
    done = run(repo, "rev-parse", "--git-path", name)
    raw = _text(done.stdout).strip()
    if done.returncode != 0 or not raw:
        return None
    found = Path(raw)
    return found if found.is_absolute() else (Path(repo) / found).resolve()


def commit_of(repo: Path | str, rev: str) -> str | None:
    """The commit id `rev` names, or None when it names no commit."""
    done = run(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    return (_text(done.stdout).strip() or None) if done.returncode == 0 else None


def head_commit(repo: Path | str) -> str | None:
    """HEAD's commit id, or None when the repository has no commit yet."""
    return commit_of(repo, "HEAD")


def file_at(repo: Path | str, rev: str, path: str) -> bytes | None:
    """The bytes of `path` (relative to the top of the work tree) at `rev`, as `git show REV:PATH`
    prints them; None when `rev` has no such file."""
    done = run(repo, "show", f"{rev}:{path}")
    return done.stdout if done.returncode == 0 else None


def read_blobs(top: Path | str, shas: Iterable[str]) -> dict[str, bytes]:
    """Object contents by hex id (full or abbreviated) from the repository's object database;
    ids that name no object are left out.

    GitPython's object database keeps one `git cat-file` process for the whole batch and
    frames each object itself, so nothing here parses cat-file's output.
    """
    wanted = sorted(set(shas))
    if not wanted:
        return {}
    objects = git_path(top, "objects")
    if objects is None:
        raise GitError(f"{top} is not inside a git repository.")
    gitpython = _gitpython()
    # The object database alone, not a Repo: a Repo's own `git` is made from a str path and
    # GitPython expands `$VAR` in those, so a repository at ".../$HOME" would be read elsewhere.
    command = gitpython.Git(Path(top))
    _quiet(command)
    odb = gitpython.GitCmdObjectDB(str(objects), command)
    found: dict[str, bytes] = {}
    try:
        for sha in wanted:
            try:
                binsha = bytes.fromhex(sha) if len(sha) in (40, 64) else odb.partial_to_complete_sha_hex(sha)
                found[sha] = odb.stream(binsha).read()
            except (ValueError, gitpython.BadObject):
                continue
            except gitpython.GitCommandNotFound:
                raise GitError("git is not installed or not on PATH; suture needs it.") from None
    finally:
        command.clear_cache()  # ends the cat-file process
    return found


def _quiet(command: Any) -> None:
    """Give a GitPython `Git` object (a Repo's `repo.git`) the same policy as `run`."""
    command.update_environment(**_QUIET_ENV)
    command.set_persistent_git_options(c=["core.hooksPath=/dev/null", "core.pager=cat"])
