"""Scratch checkouts: a throw-away private checkout of one revision, outside the user's tree.

Tests and candidate patches run there. Each checkout has its OWN git directory (`<checkout>/.git`,
made by `git init`): its config, hooks, refs, index and HEAD are its own, so a test or a patch that
runs `git config remote.origin.pushurl ...`, asks git for the common `.git` directory, or installs a
hook reaches that private git directory and nothing of the user's. Nothing is registered in the
user's repository (no `.git/worktrees/` entry, no ref), and removing a checkout is deleting its
temp directory.

The commit's objects are borrowed, not copied: `objects/info/alternates` names the user's object
directory, which git only ever reads through an alternate. Objects the checkout creates (a test's
`git commit`) go to its own `objects/`. git keeps object files read-only (0444) and writes new
ones by create-and-rename, so git run in the checkout cannot change the user's store; the one
write git makes there is refreshing the mtime of an object it finds there (harmless: it only
delays `git gc` pruning). The path of the user's object directory is readable in the alternates
file: without a sandbox, a deliberately hostile test running as the user can still open any of
the user's files by path; the sandbox (bubblewrap, read-only project) closes that.
"""

from __future__ import annotations

import importlib.machinery
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from suture.tools.git import cmd as gitcmd

__all__ = [
    "MARKER",
    "SCRATCH_PREFIX",
    "WorkspaceError",
    "copy_generated_files",
    "check_out_extras",
    "check_private_git",
    "make_private_checkout",
    "private_git_state",
    "generated_files",
    "refill_submodules",
    "scratch_worktree",
    "submodule_state",
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
    # tools/gitcmd switches hooks off: a user's post-checkout hook must not run (or write) on our behalf.
    # git-lfs's smudge filter would download what the local store lacks: never; see _lfs_checkout.
    return gitcmd.run(repo, "-c", "core.fsmonitor=false", *args, env={"GIT_LFS_SKIP_SMUDGE": "1"}, text=True,
                      isolated=True)


def _scratch_git(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """git on a private checkout, its git directory named explicitly: a `.git` that a test replaced
    (by a gitfile or a symlink to the user's repository) is refused by check_private_git, never followed."""
    return _git(checkout, f"--git-dir={checkout / '.git'}", f"--work-tree={checkout}", *args)


def _toplevel(repo: Path) -> Path:
    if not repo.is_dir():
        raise WorkspaceError(f"{repo} is not a directory.")
    try:
        top = gitcmd.work_tree_top(repo)
    except gitcmd.GitError:
        raise WorkspaceError("git was not found on PATH; suture needs git to make a scratch worktree.") from None
    if top is None:
        raise WorkspaceError(f"{repo} is not inside a git repository (git rev-parse --show-toplevel failed).")
    return top


def _commit_of(top: Path, rev: str) -> str:
    done = _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if done.returncode != 0 or not done.stdout.strip():
        if rev == "HEAD":
            raise WorkspaceError(f"the repository at {top} has no commit yet; commit once so suture can test HEAD.")
        raise WorkspaceError(f"{rev!r} is not a commit in the repository at {top}.")
    return done.stdout.strip()


def _remove(parent: Path) -> None:
    """Best effort and idempotent: a private checkout is nothing but files in its temp dir."""
    shutil.rmtree(parent, ignore_errors=True)


# -- private checkouts ----------------------------------------------------------------------------


def _object_dir(top: Path) -> Path:
    """The user's object directory (shared by all of its linked worktrees)."""
    done = _git(top, "rev-parse", "--path-format=absolute", "--git-path", "objects")
    if done.returncode != 0 or not done.stdout.strip():
        raise WorkspaceError(f"git could not name the object directory of {top}.")
    return Path(done.stdout.strip())


def _object_format(top: Path) -> str | None:
    done = _git(top, "rev-parse", "--show-object-format")
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def make_private_checkout(top: Path, commit: str, path: Path) -> None:
    """Check `commit` of the repository at `top` out at `path`, with a git directory of its own.

    `git init` without templates (no sample hooks, minimal config, no remote), the user's objects
    borrowed through objects/info/alternates, the user's tags copied as its own refs (so `git
    describe` and setuptools-scm read as in the user's tree), then a detached checkout.
    Raises WorkspaceError with one sentence when git fails.
    """
    fmt = _object_format(top)
    init = _git(path.parent, "init", "--quiet", "--template=", *([f"--object-format={fmt}"] if fmt else []), str(path))
    if init.returncode != 0:
        raise WorkspaceError(f"git init of a scratch checkout failed: {_last_line(init.stderr, init.returncode)}")
    git_dir = path / ".git"
    objects = _object_dir(top)
    (git_dir / "objects" / "info" / "alternates").write_text(f"{objects}\n")
    if (objects.parent / "lfs").is_dir():  # git-lfs's local store, read by _lfs_checkout (never the network)
        _scratch_git(path, "config", "lfs.storage", str(objects.parent / "lfs"))
    tags = _git(top, "for-each-ref", "--format=%(objectname) %(refname)", "refs/tags")
    if tags.returncode == 0 and tags.stdout.strip():
        (git_dir / "packed-refs").write_text(tags.stdout)
    done = _scratch_git(path, "checkout", "--quiet", "--force", "--detach", commit)
    if done.returncode != 0:
        raise WorkspaceError(f"checking out {commit[:12]} in a scratch checkout failed: "
                             f"{_last_line(done.stderr, done.returncode)}")


def private_git_state(checkout: Path) -> dict[str, bytes]:
    """The files that make a private checkout's git directory point where it should (for restore)."""
    git_dir = checkout / ".git"
    return {name: (git_dir / name).read_bytes() for name in ("config", "objects/info/alternates")}


def check_private_git(checkout: Path, state: dict[str, bytes]) -> None:
    """Put the checkout's git directory back as it was made, or refuse it (WorkspaceError).

    A test may rewrite its checkout's git config (a remote, a filter, core.fsmonitor), add hooks
    or replace `.git` by a link to elsewhere: the next candidate must get none of that, and suture's
    own git calls there must not be turned towards another repository.
    """
    git_dir = checkout / ".git"
    for part in (git_dir, git_dir / "objects", git_dir / "objects" / "info", git_dir / "refs"):
        if part.is_symlink() or not part.is_dir():
            raise WorkspaceError(f"the scratch checkout's git directory {part} was replaced; the checkout is remade.")
    for name, data in state.items():
        target = git_dir / name
        if target.is_symlink() or target.exists() and not target.is_file():
            raise WorkspaceError(f"the scratch checkout's {target} was replaced; the checkout is remade.")
        target.write_bytes(data)
    for extra in ("hooks", "info/attributes", "commondir", "objects/info/http-alternates"):
        target = git_dir / extra
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target, ignore_errors=True)


def _last_line(stderr: str, code: int) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"exit {code}"


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
    except gitcmd.GitError:
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


# -- submodules and LFS files ---------------------------------------------------------------------
#
# A checkout leaves submodules empty, and `git submodule update` there would clone them
# from their URLs. Each is filled instead from the user's own clone of it (.git/modules/<name>,
# or the initialised submodule's git dir) by `git archive` of the recorded commit: read-only on
# the user's side, no network, no link; its files are made read-only so that no candidate edits
# them for the next one (the pool's reset leaves submodule directories alone).


def _submodules(checkout: Path) -> list[tuple[str, str, str]]:
    """(name, path, commit) of each submodule the checkout's commit records."""
    tree = _scratch_git(checkout, "ls-tree", "-r", "-z", "HEAD")
    links = {}
    for entry in filter(None, tree.stdout.split("\0")):
        meta, _, path = entry.partition("\t")
        mode, _, commit = meta.split(" ", 2)
        if mode == "160000":
            links[path] = commit
    if not links:
        return []
    names = {}
    if (checkout / ".gitmodules").is_file():
        listed = _git(checkout, "config", "-f", ".gitmodules", "--get-regexp", r"^submodule\..*\.path$")
        for line in listed.stdout.splitlines():
            key, _, path = line.partition(" ")
            names[path] = key[len("submodule.") : -len(".path")]
    return [(names.get(path, path), path, commit) for path, commit in links.items()]


def _module_git_dir(top: Path, name: str, path: str) -> Path | None:
    if (top / path / ".git").exists():
        done = _git(top / path, "rev-parse", "--absolute-git-dir")
        if done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    common = _git(top, "rev-parse", "--path-format=absolute", "--git-common-dir")
    candidate = Path(common.stdout.strip()) / "modules" / name
    return candidate if common.returncode == 0 and candidate.is_dir() else None


def _read_only(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & ~0o222)


def submodule_state(checkout: Path) -> dict[str, tuple[int, int]]:
    """Every file under the checkout's submodules: path -> (size, mtime in ns). A candidate or a test
    that wrote there changes it, and the pool's reset (which leaves submodules alone) refills them."""
    state = {}
    for _, path, _ in _submodules(checkout):
        for folder, dirs, files in os.walk(checkout / path):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                info = os.lstat(os.path.join(folder, name))
                state[os.path.join(folder, name)] = (info.st_size, info.st_mtime_ns)
    return state


def refill_submodules(top: Path, checkout: Path) -> list[str]:
    """Empty the checkout's submodule directories and fill them again from the user's clones."""
    for _, path, _ in _submodules(checkout):
        target = checkout / path
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
    return _check_out_submodules(top, checkout)


def _check_out_submodules(top: Path, checkout: Path) -> list[str]:
    notes = []
    for name, path, commit in _submodules(checkout):
        target = checkout / path
        git_dir = _module_git_dir(top, name, path)
        if git_dir is None:
            notes.append(f"submodule {path} is not initialised in your repository (git submodule update --init): "
                         "it is empty in the scratch checkout")
            continue
        archive = gitcmd.run(git_dir, f"--git-dir={git_dir}", "archive", "--format=tar", commit)
        if archive.returncode != 0:
            notes.append(f"submodule {path}: its commit {commit[:12]} is not in your local clone of it "
                         "(git submodule update): it is empty in the scratch checkout")
            continue
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            try:
                tar.extractall(target, filter="data")
            except TypeError:  # a Python without extraction filters (before 3.11.4)
                tar.extractall(target)
        _read_only(target)
        if (target / ".gitmodules").is_file():
            notes.append(f"submodules inside submodule {path} are not checked out in the scratch checkout")
    return notes


def _lfs_checkout(checkout: Path) -> list[str]:
    """Fill LFS files from the local LFS store (never the network); say so when git-lfs is missing."""
    attributes = checkout / ".gitattributes"
    try:
        uses_lfs = "filter=lfs" in attributes.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    if not uses_lfs:
        return []
    try:
        done = _scratch_git(checkout, "lfs", "checkout")
    except (OSError, gitcmd.GitError):
        done = None
    if done is None or done.returncode != 0:
        return ["git-lfs is not installed (or failed): LFS-tracked files are pointer files in the scratch checkout"]
    return []


def check_out_extras(top: Path, checkout: Path, generated: list[str]) -> list[str]:
    """What a checkout of the commit leaves out: the generated files, the submodules, LFS contents.
    Returns one sentence per thing that could not be brought in."""
    copy_generated_files(top, checkout, generated)
    return _check_out_submodules(top, checkout) + _lfs_checkout(checkout)


@contextmanager
def scratch_worktree(repo: Path, rev: str = "HEAD") -> Iterator[Path]:
    """Yield the path of a private detached checkout of `rev` in a temp dir; removed on any exit.

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
        make_private_checkout(top, commit, path)
        if not (path / inside).is_dir():
            raise WorkspaceError(f"{inside} is not part of the commit {rev} (commit it first).")
        check_out_extras(top, path, generated_files(top))
        yield path / inside
    finally:
        _remove(parent)
