"""Where the project's code runs: bubblewrap when the machine has it, else a run leader.

suture runs code it did not write (a model's patches, the project's tests). The policy is
process-wide, set once by the CLI (`--sandbox auto|bwrap|none`, `--memory-limit`):

- `bwrap` (and `auto` when `bwrap` is installed and works here): the run sees the system and
  the project read-only, may write only its scratch tree, suture's own output files for it and
  a private /tmp, has no network (a loopback of its own), and lives in a PID namespace of its
  own, so every descendant dies with the run;
- `none` (and `auto` without a working bwrap): the run's leader (tools/testing/sandbox_leader.py) is
  its child subreaper, gives each test process a parent-death signal and the memory cap, and
  kills whatever is left below it when the command ends.

Either way the test processes get the memory cap (RLIMIT_DATA, default 4 GiB): a test that
allocates past it fails with MemoryError instead of taking the machine's memory. The
verifier's children (CrossHair, Hypothesis, ESBMC, the replays, the confirming pytest run) are
started the same way, under the same policy and cap (tools/verify/bounded_run.py).
"""

from __future__ import annotations

import functools
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_MEMORY_LIMIT", "MODES", "SandboxUnavailable", "bwrap_status", "cap_memory", "children", "configure",
    "confined_argv", "describe", "kill_group", "leader_argv", "note_network_failures", "policy", "run_confined",
    "stop_run", "used_mode", "WALL_ENV",
]

MODES = ("auto", "bwrap", "none")
DEFAULT_MEMORY_LIMIT = 4 * 2**30
LEADER = str(Path(__file__).with_name("sandbox_leader.py"))
# The memory a cap counts: the data segment and private writable mappings (Linux >= 4.7), not
# address space that is only reserved (AddressSanitizer, Go, JVMs reserve terabytes of it).
MEMORY_RLIMIT = getattr(resource, "RLIMIT_DATA", None)
PROBE_SECONDS = 10.0
# Set for a run, names a file the leader writes the command's own wall seconds to (fork to exit),
# so that a timed run does not count the leader's and bwrap's start-up (tools/perf/timing.py).
WALL_ENV = "SUTURE_LEADER_WALL_FILE"


class SandboxUnavailable(Exception):
    """`--sandbox bwrap` on a machine where bwrap is missing or cannot run; one sentence."""


@dataclass
class Policy:
    mode: str = "auto"  # as asked: auto | bwrap | none
    memory_limit: int = DEFAULT_MEMORY_LIMIT  # bytes; 0: no cap
    notes: list[str] = field(default_factory=list)


def _initial_mode() -> str:
    mode = os.environ.get("SUTURE_SANDBOX", "auto")
    return mode if mode in MODES else "auto"


_policy = Policy(_initial_mode())
_lock = threading.Lock()


def configure(mode: str | None = None, memory_limit: int | None = None) -> None:
    """Set the process-wide policy (the CLI, once). Raises SandboxUnavailable for `bwrap` without one."""
    global _policy
    mode = mode or os.environ.get("SUTURE_SANDBOX") or "auto"
    if mode not in MODES:
        raise ValueError(f"unknown sandbox {mode!r}; use one of: {', '.join(MODES)}.")
    if mode == "bwrap":
        works, why = bwrap_status()
        if not works:
            raise SandboxUnavailable(f"--sandbox bwrap: {why}; install bubblewrap (Debian: apt-get install "
                                     "bubblewrap) or choose --sandbox auto or none.")
    with _lock:
        _policy = Policy(mode, DEFAULT_MEMORY_LIMIT if memory_limit is None else int(memory_limit))


def policy() -> Policy:
    return _policy


@functools.cache
def bwrap_status() -> tuple[bool, str]:
    """(works, why not): bwrap is installed and can make the namespaces a run needs, here."""
    if not sys.platform.startswith("linux"):
        return False, "bubblewrap exists only on Linux"
    binary = shutil.which("bwrap")
    if binary is None:
        return False, "bwrap (bubblewrap) is not installed"
    probe = [binary, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
             "--unshare-pid", "--unshare-net", "--die-with-parent", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=PROBE_SECONDS, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"bwrap did not run ({error})"
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return False, f"bwrap cannot make its namespaces here ({reason}; user namespaces may be disabled)"
    return True, ""


def used_mode() -> str:
    """What runs get under the current policy: "bwrap" or "none"."""
    mode = _policy.mode
    if mode == "none":
        return "none"
    return "bwrap" if bwrap_status()[0] else "none"


def describe() -> dict[str, Any]:
    """For the report and the JSON: what was asked, what runs got, and why."""
    used = used_mode()
    why = ""
    if _policy.mode == "auto" and used == "none":
        why = bwrap_status()[1]
    return {"requested": _policy.mode, "used": used, "why": why, "memory_limit": _policy.memory_limit,
            "notes": list(_policy.notes)}


# -- memory -------------------------------------------------------------------------------

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str | int) -> int:
    """Bytes from "4G", "512M", "1.5G", "1048576" (binary units); ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", str(text), re.IGNORECASE)
    if not match:
        raise ValueError(f"{text!r} is not a memory size (e.g. 4G, 512M, 0 for no cap).")
    return int(float(match[1]) * _UNITS[match[2].upper()])



def cap_memory(pid: int, limit: int | None) -> None:
    """Cap a started process's memory (prlimit(2), from the parent: a preexec_fn is unsafe in a
    process with threads). What it starts later inherits the cap. Best effort."""
    if not limit or MEMORY_RLIMIT is None or not hasattr(resource, "prlimit"):
        return
    try:
        resource.prlimit(pid, MEMORY_RLIMIT, (limit, limit))
    except (ProcessLookupError, PermissionError, ValueError, OSError):
        pass


def cap_own_memory(limit: int | None) -> None:
    """Cap this process's memory (a forked child, before it runs the tests)."""
    if limit and MEMORY_RLIMIT is not None:
        try:
            resource.setrlimit(MEMORY_RLIMIT, (limit, limit))
        except (ValueError, OSError):
            pass


# -- process attributes (Linux) ---------------------------------------------------------------

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


@functools.cache
def _prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent(sig: int = 9) -> None:
    """Ask the kernel to send `sig` (SIGKILL) to this process when its parent ends."""
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)


def become_subreaper() -> None:
    """Orphans below this process are reparented to it rather than to init."""
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


# -- the command line of a run ------------------------------------------------------------------


def writable_dirs(workdir: Path, scratch: Path, outputs: Mapping[str, str]) -> list[str]:
    """What a run may write: its tree, its scratch dir, and the directories of suture's own output
    files handed to it by environment (`outputs`: the SUTURE_* variables suture sets for the run)."""
    found = [Path(workdir).resolve(), Path(scratch).resolve()]
    for name, value in outputs.items():
        if name.startswith("SUTURE_") and os.path.isabs(value):
            parent = Path(value).resolve().parent
            if parent.is_dir() and parent != Path("/"):
                found.append(parent)
    kept: list[Path] = []
    for path in sorted(set(found), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(k) for k in kept):  # a parent's bind already covers it
            kept.append(path)
    return [str(p) for p in kept]


def bwrap_prefix(writable: Iterable[str], die_with_parent: bool = True, tmpdir: str | None = None,
                 keep: Iterable[str] = ()) -> list[str]:
    """bwrap's options: read-only system, its own /dev and /proc, no network, own PID namespace,
    the user's home hidden (hidden_homes: an empty read-only tmpfs over it, with only what the run reads
    from it, `readable_under_home`, bound back read-only; `keep`: paths the command names).

    `die_with_parent` (PR_SET_PDEATHSIG on bwrap) fires when the *thread* that started it ends,
    so a long-lived warm server leaves it out and ends on its stdin's end instead."""
    # The host's /tmp stays visible read-only (suture's plugin copies live there); the run's own
    # temp dir is TMPDIR inside its scratch dir (run_tests sets it).
    writable = list(writable)
    argv = [shutil.which("bwrap") or "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--new-session"]
    if die_with_parent:
        argv.append("--die-with-parent")
    homes = hidden_homes()
    for home in homes:
        argv += ["--tmpfs", home]
    for path in readable_under_home(homes, [*keep, *writable], writable):
        argv += ["--ro-bind-try", path, path]
    for path in writable:  # after the tmpfs: a scratch dir under the home stays writable
        argv += ["--bind", path, path]
    for home in homes:  # read-only, as the rest of the system (the binds above keep their own modes)
        argv += ["--remount-ro", home]
    if tmpdir:
        argv += ["--setenv", "TMPDIR", tmpdir]
    return argv + ["--"]


def hidden_homes() -> list[str]:
    """The user's home directories ($HOME and the account's), which a sandboxed run does not see:
    ~/.ssh, ~/.aws, ~/.config, ~/.netrc hold credentials no test needs. A home that is `/` or lies
    inside one of suture's own prefixes is left alone (nothing could be bound back over it)."""
    try:
        import pwd

        account = pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        account = ""
    prefixes = [Path(p).resolve() for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}]
    found: list[str] = []
    for text in (os.environ.get("HOME", ""), account):
        if not text or not os.path.isabs(text) or not os.path.isdir(text):
            continue
        home = Path(text).resolve()
        if home == Path("/") or any(home.is_relative_to(p) for p in prefixes) or str(home) in found:
            continue
        found.append(str(home))
    return found


def readable_under_home(homes: Sequence[str], named: Iterable[str], writable: Iterable[str] = ()) -> list[str]:
    """What a run reads from inside a hidden home, bound back read-only: suture's interpreter and
    package, the temp dir, PATH's directories, the user site-packages, every existing absolute path
    the command names (the project's interpreter: its venv and the installation it points to; a
    workload file), and the user's object store a private checkout borrows (its alternates)."""
    if not homes:
        return []
    import site
    import sysconfig

    wanted: list[str] = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, tempfile.gettempdir(),
                         str(Path(__file__).resolve().parents[2]), site.getusersitepackages() or "",
                         sysconfig.get_paths().get("purelib", ""), *_tool_roots(os.environ.get("PATH", ""), homes)]
    for text in named:
        if text.startswith("-") and "=" in text:  # --opt=/path
            text = text.split("=", 1)[1]
        if os.path.isabs(text) and os.path.exists(text):
            wanted += _installation(Path(text))
    for path in writable:
        alternates = Path(path) / ".git" / "objects" / "info" / "alternates"
        if alternates.is_file():
            wanted += alternates.read_text(encoding="utf-8", errors="replace").split()
    roots = [Path(h) for h in homes]
    kept: list[Path] = []
    for text in wanted:
        if not text or not os.path.isabs(text) or not os.path.exists(text):
            continue
        path = Path(text).resolve()
        if any(path.is_relative_to(r) and path != r for r in roots) and path not in kept:
            kept.append(path)
    kept.sort(key=lambda p: len(p.parts))
    tops = [p for i, p in enumerate(kept) if not any(p.is_relative_to(k) for k in kept[:i])]
    return [str(p) for p in tops]


def _tool_roots(path_variable: str, homes: Sequence[str]) -> list[str]:
    """PATH's directories, and for a `bin` or `shims` one in a tool's own directory of a home
    (~/.pyenv/shims, ~/.cargo/bin) that directory: a version manager's shims need the rest of it.
    Not ~/.local (it holds keyrings and application data besides bin/)."""
    found = []
    for entry in path_variable.split(os.pathsep):
        found.append(entry)
        path = Path(entry)
        if path.name in ("bin", "shims") and path.parent.name not in (".local", "") and \
                any(path.parent.parent == Path(h) or path.parent.parent.parent == Path(h) for h in homes):
            found.append(str(path.parent))
    return found


def _installation(path: Path) -> list[str]:
    """`path` and, for an interpreter, its prefix (bin/..) and what its symlinks and pyvenv.cfg lead to."""
    found = [str(path)]
    if path.is_file() and path.parent.name in ("bin", "Scripts") and os.access(path, os.X_OK):
        for binary in (path, path.resolve()):
            found.append(str(binary.parent.parent))
        cfg = path.parent.parent / "pyvenv.cfg"
        if cfg.is_file():
            for line in cfg.read_text(encoding="utf-8", errors="replace").splitlines():
                key, _, value = line.partition("=")
                if key.strip() == "home" and value.strip():
                    found.append(str(Path(value.strip()).parent))
    return found


def leader_argv(command: Sequence[str], *, workdir: Path, scratch: Path, outputs: Mapping[str, str]) -> list[str]:
    """The argv that runs `command` as one run under the current policy (bwrap or not), led by
    tools/testing/sandbox_leader.py. `command[0]` must already be resolved (a path)."""
    return confined_argv(command, writable=lambda: writable_dirs(workdir, scratch, outputs),
                         memory_limit=_policy.memory_limit)


def confined_argv(command: Sequence[str], *, writable: Callable[[], Iterable[str]], memory_limit: int | None) -> list[str]:
    """`command` under its leader (subreaper, parent-death signal, `memory_limit`; 0 or None: no
    cap), inside bwrap when the policy says so, where only the `writable()` directories may be
    written. The test runs and the verifier's children (tools/verify/bounded_run.py) both start here."""
    mode = used_mode()
    leader = [sys.executable, "-I", "-S", LEADER, str(0 if mode == "bwrap" else os.getpid()),
              str(memory_limit or 0), "--", *command]
    if mode == "bwrap":
        return bwrap_prefix(writable(), keep=command) + leader
    return leader


@dataclass
class Finished:
    returncode: int | None  # None when killed at the wall-clock limit
    stdout: str
    stderr: str


def run_confined(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], time_limit: float,
                 writable: Callable[[], Iterable[str]], memory_limit: int | None, stdin: str | None = None) -> Finished:
    """Run `argv` once as confined_argv says (on Linux; elsewhere with the memory cap only), its
    output captured; at `time_limit` kill it and everything it started. Raises FileNotFoundError
    (PermissionError) when the program does not exist (cannot be run)."""
    led = sys.platform.startswith("linux")
    boxed = led and used_mode() == "bwrap"
    command = [resolve_program(argv[0], env), *argv[1:]]
    if led:
        command = confined_argv(command, writable=writable, memory_limit=memory_limit)
    proc = subprocess.Popen(
        command, cwd=cwd, env=dict(env), start_new_session=True, text=True, errors="replace",
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    if not led:  # elsewhere the leader sets the cap before the command starts
        cap_memory(proc.pid, memory_limit)
    try:
        out, err = proc.communicate(stdin, timeout=max(0.1, time_limit))
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        stop_run(proc, led and not boxed)
        out, err = proc.communicate()
        code = None
    except BaseException:
        stop_run(proc, led and not boxed)
        proc.wait()
        raise
    finally:
        kill_group(proc.pid)  # a finished child may have left its group behind
    return Finished(code, out or "", err or "")


STOP_GRACE_SECONDS = 2.0  # for the leader to kill what the command left and exit


def stop_run(proc: subprocess.Popen, led: bool) -> None:
    """Kill a run. Led (not under bwrap): the command below the leader first, so that the leader,
    the subreaper of whatever the command left (setsid daemons too), kills those and exits; a
    leader killed first would hand them to init. Under bwrap, killing bwrap ends its PID namespace."""
    if led:
        for pid in children(proc.pid):
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        try:
            proc.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    kill_group(proc.pid)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, 9)
    except (ProcessLookupError, PermissionError):
        pass


def children(pid: int) -> list[int]:
    """The pids whose parent is `pid` (in this PID namespace)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:  # needs CONFIG_PROC_CHILDREN
            return [int(p) for p in fh.read().split()]
    except OSError:
        pass
    return [int(e.name) for e in os.scandir("/proc") if e.name.isdigit() and _ppid(int(e.name)) == pid]


def resolve_program(program: str, env: Mapping[str, str]) -> str:
    """The path `program` names (PATH of the run's env); FileNotFoundError / PermissionError as Popen would."""
    if os.sep in program:
        if not os.path.exists(program):
            raise FileNotFoundError(program)
        if not os.access(program, os.X_OK) or os.path.isdir(program):
            raise PermissionError(program)
        return program
    found = shutil.which(program, path=env.get("PATH", os.defpath))
    if found is None:
        raise FileNotFoundError(program)
    return found


def leader_pid(proc_pid: int, token: bytes) -> int:
    """The pid (in this PID namespace) of the run's leader process: the process that forwards
    signals to the command. Under bwrap the started process is bwrap itself."""
    if used_mode() != "bwrap":
        return proc_pid
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        if len(argv) > 3 and argv[3] == LEADER.encode() and not argv[0].endswith(b"bwrap"):
            try:
                with open(f"/proc/{entry.name}/environ", "rb") as fh:
                    if token in fh.read():
                        return int(entry.name)
            except OSError:
                continue
    return proc_pid


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return 0
    return int(data[data.rindex(b")") + 2:].split()[1])


def host_pid(ns_pid: int, ancestor: int) -> int:
    """A pid reported from inside a PID namespace, as this namespace sees it: the process with that
    namespaced pid that descends from `ancestor` (the bwrap that made the namespace)."""
    wanted = str(ns_pid).encode()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", "rb") as fh:
                status = fh.read()
        except OSError:
            continue
        match = re.search(rb"^NSpid:\s*(.*)$", status, re.MULTILINE)
        if not match or len(match[1].split()) < 2 or match[1].split()[-1] != wanted:
            continue
        pid = int(entry.name)
        for _ in range(6):
            pid = _ppid(pid)
            if pid == ancestor:
                return int(entry.name)
            if pid <= 1:
                break
    return ns_pid


def private_scratch_root() -> Path:
    """One directory per suture process for the runs' scratch files, bound into warm servers
    (its `tmp` is a sandboxed warm server's own temp dir)."""
    global _SCRATCH_ROOT
    with _lock:
        if _SCRATCH_ROOT is None or not _SCRATCH_ROOT.is_dir():
            _SCRATCH_ROOT = Path(tempfile.mkdtemp(prefix="suture-runs-")).resolve()
            (_SCRATCH_ROOT / "tmp").mkdir()
            import atexit

            atexit.register(shutil.rmtree, _SCRATCH_ROOT, True)
        return _SCRATCH_ROOT


_SCRATCH_ROOT: Path | None = None


# -- what a sandboxed suite tells us ---------------------------------------------------------------

_NETWORK_ERRORS = re.compile(
    r"Temporary failure in name resolution|Name or service not known|Network is unreachable|"
    r"No address associated with hostname|nodename nor servname|\[Errno -[23]\]|getaddrinfo failed|"
    r"Failed to establish a new connection|NewConnectionError|Could not resolve host"
)


def note_network_failures(messages: Iterable[str]) -> str | None:
    """One sentence when failures under bwrap look like a suite that needs the network; recorded once."""
    if used_mode() != "bwrap":
        return None
    hits = sum(1 for m in messages if m and _NETWORK_ERRORS.search(m))
    if not hits:
        return None
    note = (f"{hits} test(s) failed with network errors inside the sandbox, which has no network; "
            "if the suite needs the network, run with --sandbox none.")
    with _lock:
        if not any(n.endswith("--sandbox none.") for n in _policy.notes):
            _policy.notes.append(note)
    return note
