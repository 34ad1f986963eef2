"""A pool of scratch checkouts of one base commit, reused between candidate patches.

Each tree is a private checkout (tools/worktree.make_private_checkout: its own git directory,
the user's objects borrowed read-only) in a temp dir outside the user's repository. Between
candidates a tree is reset inside itself only (its git directory's config and alternates put
back, `git checkout --force` + `git clean -fdx`), which is much cheaper than making a new one.

Nothing outlives the pool: on close (context manager exit, exceptions, Ctrl-C,
SIGTERM, interpreter exit) the processes started in its trees are killed and the
trees removed. A suture that was SIGKILLed cannot clean up, so every pool directory
carries a marker naming its owner (pid + process start time); the next pool that
starts removes the pools of dead owners and kills what still runs in them. (Pools of older
suture versions were `git worktree`s of the user's repository: those entries are pruned too.)
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from suture.tools.git.worktree import (
    MARKER,
    SCRATCH_PREFIX,
    WorkspaceError,
    _commit_of,
    _git,
    _remove,
    _scratch_git,
    check_private_git,
    _toplevel,
    check_out_extras,
    copy_generated_files,
    generated_files,
    make_private_checkout,
    private_git_state,
    process_start_time as _start_time,
    refill_submodules,
    submodule_state,
    write_owner_marker,
)

__all__ = ["POOL_ENV", "POOL_PREFIX", "WorkspaceError", "WorktreePool", "kill_token_holders", "remove_stale_pools"]

POOL_PREFIX = "suture-pool-"
# Temp dirs of both kinds (pools and tools/git/worktree.py's single scratch trees) carry MARKER.
STALE_PREFIXES = (POOL_PREFIX, SCRATCH_PREFIX)
# Child processes started in a pool's trees carry its token in this variable, so they can be
# found and killed even after they left the process group (setsid) or their parent died.
POOL_ENV = "SUTURE_POOL_TOKEN"
# A pool dir without a marker is only someone's pool in the making for this long.
UNMARKED_GRACE_SECONDS = 60.0


def _alive(pid: int, start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    if start is None or not os.path.isdir("/proc"):
        return True
    return _start_time(pid) == start


def kill_token_holders(token: str, sig: int = signal.SIGKILL, inside: Path | None = None) -> int:
    """Signal every live process whose environment carries POOL_ENV=token, or (given `inside`) whose
    working directory lies inside that directory; returns how many.

    The environment alone misses a process that is still finishing its exec: `subprocess.Popen`
    returns once the new program is loaded, but for a few more milliseconds (tens under load)
    /proc/<pid>/environ reads empty, so a close() right after a command started let it live on.
    Its working directory is set before the exec, so a command started in a tree is always found.
    """
    if not os.path.isdir("/proc"):
        return 0
    needle = f"{POOL_ENV}={token}".encode() + b"\0"
    me, hit = os.getpid(), 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if not (_works_inside(entry.name, inside) or _carries(entry.name, needle)):
                continue
            os.kill(int(entry.name), sig)
            hit += 1
        except (OSError, ProcessLookupError):
            continue
    return hit


def _carries(pid: str, needle: bytes) -> bool:
    with open(f"/proc/{pid}/environ", "rb") as fh:
        return needle in fh.read() + b"\0"


def _works_inside(pid: str, directory: Path | None) -> bool:
    if directory is None:
        return False
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    cwd = cwd.removesuffix(" (deleted)")  # a tree already removed under it
    return cwd == str(directory) or cwd.startswith(str(directory) + os.sep)


def _read_marker(pool_dir: Path) -> dict | None:
    try:
        return json.loads((pool_dir / MARKER).read_text())
    except (OSError, ValueError):
        return None


def _is_stale(pool_dir: Path) -> bool:
    marker = _read_marker(pool_dir)
    if marker is None:
        try:
            return time.time() - pool_dir.stat().st_mtime > UNMARKED_GRACE_SECONDS
        except OSError:
            return False
    return not _alive(int(marker.get("pid", 0)), marker.get("start"))


def _discard(pool_dir: Path, extra_repos: tuple[Path, ...] = ()) -> None:
    """Kill what runs in a dead owner's pool and delete it (a private checkout is only files)."""
    marker = _read_marker(pool_dir) or {}
    if marker.get("token"):
        kill_token_holders(marker["token"], inside=pool_dir.resolve())
    shutil.rmtree(pool_dir, ignore_errors=True)
    repos = {Path(marker["repo"])} if marker.get("repo") else set()
    for repo in {*repos, *extra_repos}:
        if repo.is_dir():
            _forget_legacy_worktrees(repo, pool_dir)


def _legacy_worktrees(repo: Path) -> list[tuple[Path, bool]]:
    """(path, locked) of the `git worktree`s an older suture registered in `repo` for its scratch trees."""
    listing = _git(repo, "worktree", "list", "--porcelain").stdout
    found = []
    for block in listing.split("\n\n"):
        lines = block.splitlines()
        if lines and lines[0].startswith("worktree "):
            path = Path(lines[0][len("worktree ") :])
            if any(p.name.startswith(STALE_PREFIXES) for p in path.parents):
                found.append((path, any(line.startswith("locked") for line in lines)))
    return found


def _forget_legacy_worktrees(repo: Path, pool_dir: Path | None = None) -> None:
    # A `git worktree add` killed half-way leaves its entry locked ("initializing"), and prune
    # skips locked entries: unlock the ones that lived in this pool (or in any gone dir) first.
    entries = [(path, locked) for path, locked in _legacy_worktrees(repo)
               if (path.is_relative_to(pool_dir) if pool_dir else not path.exists())]
    if not entries:
        return
    for path, locked in entries:
        if locked:
            _git(repo, "worktree", "unlock", str(path))
    _git(repo, "worktree", "prune")


def remove_stale_pools(repo: Path | None = None) -> list[Path]:
    """Remove pools left by dead suture processes; returns the pool dirs removed.

    Looks in the temp dir and (given `repo`) at the git worktrees an older suture registered
    there, which finds its pools made under another TMPDIR as well.
    """
    found: set[Path] = set()
    tmp = Path(tempfile.gettempdir())
    try:
        found |= {p for p in tmp.iterdir() if p.name.startswith(STALE_PREFIXES) and p.is_dir()}
    except OSError:
        pass
    top = None
    if repo is not None:
        top = _toplevel(Path(repo).resolve())
        for path, _ in _legacy_worktrees(top):
            found |= {p for p in path.parents if p.name.startswith(STALE_PREFIXES)}
    removed = []
    for pool_dir in sorted(found):
        if _is_stale(pool_dir):
            _discard(pool_dir, (top,) if top else ())
            removed.append(pool_dir)
    if top is not None:
        _forget_legacy_worktrees(top)  # also entries whose temp dir vanished (a reboot)
    return removed


class WorktreePool:
    """`size` private scratch checkouts of `base`, created on demand and reused.

        with WorktreePool(repo, size=2) as pool:
            with pool.tree() as tree:      # a clean checkout of base, reset on release
                ...

    `tree()`/`acquire()` give the directory that corresponds to `repo` inside the
    checkout (the checkout's top, or the same sub-directory when `repo` is one).
    Commands run in a tree should add `pool.env` to their environment so close()
    can kill them wherever they went.
    """

    def __init__(self, repo: Path, base: str = "HEAD", size: int = 2) -> None:
        if size < 1:
            raise WorkspaceError(f"a worktree pool needs at least one tree, not {size}.")
        self.repo = Path(repo).resolve()
        self.top = _toplevel(self.repo)
        self.inside = self.repo.relative_to(self.top)
        self.commit = _commit_of(self.top, base)
        self.size = size
        self.token = uuid.uuid4().hex
        self.env = {POOL_ENV: self.token}
        # Ignored files of the user's tree the tests need (tools/worktree.generated_files), copied into
        # every tree, again after each reset (which cleans ignored files too).
        self.generated = generated_files(self.top)
        self.notes: list[str] = []  # what the trees lack (a submodule not cloned locally, LFS pointers)
        self._submodules: dict[Path, dict] = {}  # checkout top -> its submodules' files as filled
        self._git_state: dict[Path, dict[str, bytes]] = {}  # checkout top -> its git dir's config, alternates
        remove_stale_pools(self.top)

        self.dir = Path(tempfile.mkdtemp(prefix=POOL_PREFIX)).resolve()
        if self.dir.is_relative_to(self.top):
            shutil.rmtree(self.dir, ignore_errors=True)
            raise WorkspaceError(
                f"the temp directory {self.dir} lies inside the repository; set TMPDIR to a place outside it."
            )
        write_owner_marker(self.dir, self.top, token=self.token)

        self._cond = threading.Condition()
        self._git_lock = threading.Lock()  # guards _all while trees are made and removed
        self._free: list[Path] = []  # checkout tops, clean
        self._all: list[Path] = []
        self._made = 0
        self._closed = False
        self._previous_sigterm = None
        atexit.register(self.close)
        self._catch_sigterm()

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> WorktreePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _catch_sigterm(self) -> None:
        # SIGTERM's default action ends the process without unwinding; turned into SystemExit,
        # `with` blocks and finally clauses run and the trees are removed.
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _raise_system_exit)
            self._previous_sigterm = signal.SIG_DFL

    def close(self) -> None:
        """Kill processes started in the trees, remove the trees; idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            trees = list(self._all)
            self._cond.notify_all()
        kill_token_holders(self.token, inside=self.dir)
        with self._git_lock:
            for top in trees:
                _remove(top.parent)
        # Once more: a command started elsewhere whose exec was still finishing during the first
        # pass (its environment not yet readable) carries the token by now.
        kill_token_holders(self.token, inside=self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)
        atexit.unregister(self.close)
        if (
            self._previous_sigterm is not None
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is _raise_system_exit
        ):
            signal.signal(signal.SIGTERM, self._previous_sigterm)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- trees -----------------------------------------------------------------------------

    def acquire(self, timeout: float | None = None) -> Path:
        """A clean tree (blocks while all `size` are in use); WorkspaceError on timeout or a closed pool."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._closed:
                    raise WorkspaceError("the worktree pool is closed.")
                if self._free:
                    return self._free.pop() / self.inside
                if self._made < self.size:
                    self._made += 1
                    break
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise WorkspaceError(f"no scratch worktree became free within {timeout:g} s.")
                self._cond.wait(left)
        try:
            top = self._add()
        except BaseException:
            with self._cond:
                self._made -= 1
                self._cond.notify()
            raise
        return top / self.inside

    def release(self, tree: Path) -> None:
        """Reset `tree` to the base commit and give it back; a tree that cannot be reset is replaced."""
        top = self._top_of(tree)
        try:
            self.reset(tree)
        except WorkspaceError:
            self._drop(top)
            return
        with self._cond:
            if self._closed:
                return
            self._free.append(top)
            self._cond.notify()

    @contextmanager
    def tree(self, timeout: float | None = None) -> Iterator[Path]:
        tree = self.acquire(timeout)
        try:
            yield tree
        finally:
            if not self._closed:
                self.release(tree)

    def reset(self, tree: Path) -> None:
        """Make `tree` a clean checkout of the base commit again (inside the scratch tree only)."""
        top = self._top_of(tree)
        check_private_git(top, self._git_state[top])
        for args in (("checkout", "--force", "--quiet", "--detach", self.commit), ("clean", "-fdxq")):
            done = _scratch_git(top, *args)
            if done.returncode != 0:
                raise WorkspaceError(f"resetting the scratch tree {top} failed: {done.stderr.strip()[-300:]}")
        copy_generated_files(self.top, top, self.generated)
        # Submodule directories are not reset by git: refilled when anything in them changed.
        if self._submodules.get(top) and submodule_state(top) != self._submodules[top]:
            refill_submodules(self.top, top)
            self._submodules[top] = submodule_state(top)

    def _top_of(self, tree: Path) -> Path:
        """The checkout top of a tree handed out by this pool; refuses anything else, above all the user's repo."""
        tree = Path(tree).resolve()
        parts = len(self.inside.parts)
        top = tree.parents[parts - 1] if parts else tree
        if top not in self._all or not top.is_relative_to(self.dir) or top == self.top or self.top.is_relative_to(top):
            raise WorkspaceError(f"{tree} is not a scratch tree of this pool.")
        return top

    def _add(self) -> Path:
        slot = Path(tempfile.mkdtemp(prefix="w", dir=self.dir))
        # The repository's own name for the checkout: tracebacks and pytest rootdirs read naturally.
        top = slot / self.top.name
        with self._git_lock:
            if self._closed:
                shutil.rmtree(slot, ignore_errors=True)
                raise WorkspaceError("the worktree pool is closed.")
            self._all.append(top)
        try:
            make_private_checkout(self.top, self.commit, top)
        except WorkspaceError:
            self._forget(top)
            raise
        self._git_state[top] = private_git_state(top)
        if not (top / self.inside).is_dir():
            raise WorkspaceError(f"{self.inside} is not part of the base commit (commit it first).")
        self.notes = check_out_extras(self.top, top, self.generated)
        self._submodules[top] = submodule_state(top)
        return top

    def _forget(self, top: Path) -> None:
        with self._git_lock:
            _remove(top.parent)
            if top in self._all:
                self._all.remove(top)
            self._git_state.pop(top, None)

    def _drop(self, top: Path) -> None:
        self._forget(top)
        with self._cond:
            self._made -= 1
            self._cond.notify()


def _raise_system_exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)
