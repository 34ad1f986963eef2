"""A warm pytest: one process loads pytest and its plugins once, then forks a child per run.

Why: a candidate's gate runs a handful of tests, and most of a fresh `python -m pytest`'s
wall time is start-up, not tests: the interpreter, pytest, and the plugins' imports (with
hypothesis installed, 0.6 s of a 0.7 s run). A server that has already paid for those forks
a child per run; the child chdirs into the tree, takes the run's environment and calls
pytest.main. Nothing of the user's code is imported before the fork (the warm-up collects
an empty directory), so each child sees the tree's files as they are now.

What a forked run cannot reproduce: variables read only at interpreter start-up
(PYTHONHASHSEED, PYTHONWARNINGS, ...; a server is kept per set of them), atexit handlers of
the server, and `__main__` being this module. So callers use it where speed matters
(candidate gates) and keep a fresh process for the runs whose verdict is final.

Server side: `python -m suture.tools.testing.pytest_forkserver` reads one JSON request per line on
stdin ({argv, cwd, env, output}) and answers {"pid": N} when the child starts and
{"pid": N, "status": S} when it ends (S like Popen.returncode: negative for a signal).
End of stdin ends the server, also while a run is in progress (its child and whatever it
started are killed). Client side: `lease(python, env)` lends a server for one run.

A spare: a new server, while still idle, is asked ({"clone": {stdin, stdout}}, two FIFOs) to fork a
second server from itself, so a fix run's two gate workers pay one interpreter start-up (~1.1 CPU-s),
not two; a lease that finds a server being started waits for it and takes the spare.

Over 600 lines as one concept: both ends of one protocol (server, its forked runs and clones, and the
client that leases them), which change together.

A fork does not redo what pytest's start-up would make the same way in every run: the server makes
the plugin manager and Config once per set of blocked plugins, and the fixture scan of the plugins
reads stand-ins (`_start_from_server`): a two-test gate run 61 -> 43 ms of CPU.

Containment (tools/testing/sandbox.py): the server is its runs' child subreaper, so what a run leaves
behind (a double-forked, setsid daemon) is reparented to it and killed when the run ends; each
child gets a parent-death signal and the request's memory cap (RLIMIT_DATA). With a `wrap`
prefix (bwrap), the server itself lives in the sandbox, with the run's tree and scratch
directories writable; the pids it reports are then its namespace's, which the client maps back.
"""

from __future__ import annotations

import atexit
import errno
import gc
import json
import os
import pathlib
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager

# Variables that only matter when an interpreter starts: a server serves runs that agree on them.
_STARTUP_PREFIX = "PYTHON"
_PER_RUN = {"PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "TMPDIR"}
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
READY_TIMEOUT = 60.0


# -- server --------------------------------------------------------------------------------


def _warm_up() -> None:
    """Import pytest, its built-in plugins and every installed plugin's configure-time imports."""
    import pytest

    empty = tempfile.mkdtemp(prefix="suture-warm-")
    os.environ.pop("PYTEST_ADDOPTS", None)
    saved = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        pytest.main(["-q", "-p", "no:cacheprovider", "--collect-only", f"--rootdir={empty}", f"--confcutdir={empty}", empty])
    except BaseException:  # a broken plugin is the child's problem to report, not the server's
        pass
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)
        os.rmdir(empty)


def _settle() -> None:
    """Leave the loaded state as every forked run can share it rather than redo it.

    - inspect's file-to-module map: pytest reads a failing test's source through inspect.getmodule,
      which maps every loaded module's file (a realpath each, ~500 modules here) the first time a
      file is not yet known. Done once here, each child only maps the modules it imports itself.
    - gc.freeze(): the objects loaded so far leave the collector's generations, so a child's
      collections neither walk them nor write to their pages (each such write copies a page the
      fork shared with the server).
    Measured on a four-test repository: warm runs 0.13 -> 0.09 CPU-s each (bench/RESULTS.md).
    """
    import inspect

    try:
        inspect.getmodule(compile("", "<suture-warm-up>", "exec"))
    except Exception:  # a module with an odd __file__: the children map it as before
        pass
    gc.collect()
    gc.freeze()


# A plugin module of this module's package that says so in its source is imported by the server itself
# the first time a run names it (`-p NAME`), so every later fork finds it loaded: otherwise each fork read,
# assertion-rewrote and compiled the results plugin again (66 -> 55 ms of CPU per warm run, measured on
# a four-test repository). pytest leaves an already imported module alone without a warning only when
# its docstring carries this marker (it has no assert for pytest to rewrite anyway).
PRELOAD_MARK = "PYTEST_DONT_REWRITE"
_preloaded: set[str] = set()


def _preload(argv: list[str]) -> None:
    """Import, in the server, the plugins `argv` names with `-p` that are modules of this one's own
    package and carry PRELOAD_MARK: suture's own, which read their settings only when pytest configures
    them, never at import, so a module loaded once serves every run. Anything else (the user's plugins,
    code of the tree: nothing of theirs may outlive a run in the server) is imported by each run's child.
    Run by file path (pytest_shim, another interpreter) this module has no package: nothing is preloaded."""
    import importlib
    import importlib.util

    own = __spec__.parent if __spec__ is not None else ""
    names = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "-p"]
    for name in names:
        if not own or name.rpartition(".")[0] != own or name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)  # its package is this module's: nothing new is imported
            if spec is None or not spec.origin:
                continue
            with open(spec.origin, encoding="utf-8") as fh:
                if PRELOAD_MARK not in fh.read():
                    continue
            importlib.import_module(name)
            _preloaded.add(name)
            gc.freeze()  # as _settle: the forks' collections leave the new objects alone
        except Exception:  # the run's own child imports it and reports what is wrong
            continue


# -- pytest's start-up of a run, made once ---------------------------------------------------
# Of a forked run's ~40 ms of its own CPU (a two-test gate run, measured by parts in the child), ~8 ms
# went to pytest's get_config (a plugin manager with its 31 built-in plugins registered and their
# options added), ~3 ms to looking up a `-p` plugin among the installed distributions' entry points
# (pytest does that for every `-p NAME` before importing it) and ~6 ms to the fixture manager's
# scan of every registered plugin's attributes for fixtures (~40 plugins, ~2000 attributes).
# get_config depends only on the run's `-p no:NAME` arguments: the server makes it once per set. The
# preloaded plugins are no entry points' names (they are modules of this package). And the scan only
# acts on attributes that are fixtures or wrap something (whose hidden fixtures it warns about): each
# plugin is scanned through a stand-in holding just those. A run these do not fit (other blocked
# plugins, PYTEST_DEBUG, a pytest without these functions) makes its own, as before.
_configs: dict[tuple[str, ...], tuple] = {}  # blocked plugins -> (Config as get_config made it, its keywords)
_MAX_CONFIGS = 4


def _plugin_args(argv: list[str]) -> list[str]:
    """The values of `-p NAME` / `-pNAME`, in order, read as pytest's consider_preparse reads them."""
    found, i = [], 0
    while i < len(argv):
        opt, i = argv[i], i + 1
        if opt == "-p":
            if i >= len(argv):
                break
            parg, i = argv[i], i + 1
        elif opt.startswith("-p"):
            parg = opt[2:]
        else:
            continue
        found.append(parg.strip())
    return found


def _blocked(argv: list[str]) -> tuple[str, ...]:
    """The `-p no:NAME` arguments: all that get_config reads of a run's arguments."""
    return tuple(p for p in _plugin_args(argv) if p.startswith("no:"))


def _prepare_config(argv: list[str]) -> None:
    """In the server: the Config pytest.main's get_config would make for this run, once per blocked set."""
    key = _blocked(argv)
    if key in _configs or len(_configs) >= _MAX_CONFIGS or os.environ.get("PYTEST_DEBUG"):
        return
    try:
        import inspect

        from _pytest import config as pytest_config

        # pytest.main names itself as the parser's prog where get_config takes one (pytest 9)
        kwargs = {"prog": "pytest.main()"} if "prog" in inspect.signature(pytest_config.get_config).parameters else {}
        made = pytest_config.get_config([a for name in key for a in ("-p", name)], None, **kwargs)
    except Exception:  # a plugin that cannot be blocked: the run's own get_config says so
        return
    _configs[key] = (made, kwargs)
    gc.freeze()


def _start_from_server(argv: list[str], env: dict[str, str]) -> None:
    """In the child, before pytest.main: its get_config returns the server's Config (once, when the run
    blocks the same plugins) with the preloaded plugins the run names registered as `-p` would, and the
    fixture scan of a plugin reads its stand-in (_fixture_holder)."""
    from _pytest import config as pytest_config

    key = _blocked(argv)
    if key in _configs and not env.get("PYTEST_DEBUG"):
        made, kwargs = _configs[key]
        original = pytest_config.get_config

        def get_config(args=None, plugins=None, **given):
            pytest_config.get_config = original
            if plugins is None and args is not None and given == kwargs and _blocked(list(args)) == key:
                try:
                    params = type(made.invocation_params)(args=args, plugins=None, dir=pathlib.Path.cwd())
                except Exception:  # a pytest whose invocation parameters differ: its own get_config
                    return original(args, plugins, **given)
                made.invocation_params = params
                manager = made.pluginmanager
                for name in _plugin_args(list(args)):
                    module = sys.modules.get(name) if name in _preloaded else None
                    if module is not None and not manager.is_blocked(name) and not manager.is_registered(module):
                        manager.register(module, name)
                return made
            return original(args, plugins, **given)

        pytest_config.get_config = get_config
    try:
        from _pytest.fixtures import FixtureFunctionDefinition, FixtureManager
    except ImportError:
        return
    if not hasattr(FixtureManager, "_lookup_in_type_dict"):  # not the scan _fixture_holder was written for
        return
    parse = FixtureManager.parsefactories

    def parsefactories(self, *args, **kwargs):
        if not args and "holder" in kwargs:
            kwargs["holder"] = _fixture_holder(kwargs["holder"], FixtureFunctionDefinition)
        return parse(self, *args, **kwargs)

    FixtureManager.parsefactories = parsefactories


# Class attributes the fixture scan passes by when nothing they wrap is a fixture: functions, properties,
# C-level descriptors, and classmethod/staticmethod (whose lookup on the class yields what they wrap).
_PLAIN = {types.FunctionType, property, types.WrapperDescriptorType, types.MethodDescriptorType,
          types.GetSetDescriptorType, types.MemberDescriptorType, types.BuiltinFunctionType,
          types.ClassMethodDescriptorType, classmethod, staticmethod}


def _fixture_holder(holder: object, fixture_type: type) -> object:
    """What pytest's fixture scan (FixtureManager.parsefactories, pytest 9) may read instead of `holder`
    with the same result: for a module, a stand-in module with only the attributes that are fixtures
    or wrap something (or raise when asked); for an instance of a plain class (the scan reads an
    instance's fixtures from its class) none of whose attributes is a fixture or wraps one, an empty
    stand-in; else `holder` itself (a class, a module with its own __dir__, any doubt)."""
    if isinstance(holder, types.ModuleType):
        names = vars(holder)
        if "__dir__" in names:
            return holder
        stand_in = types.ModuleType(holder.__name__)
        stand_in.__dict__.update({name: value for name, value in list(names.items()) if _wraps(value, fixture_type)})
        return stand_in
    cls = type(holder)
    if isinstance(holder, type) or any("__getattr__" in vars(meta) or "__getattribute__" in vars(meta)
                                       for meta in type(cls).__mro__ if meta not in (type, object)):
        return holder  # a class, or a metaclass that answers attribute lookups on the class itself
    import inspect

    for base in cls.__mro__:
        for value in vars(base).values():
            if type(value) is fixture_type or (hasattr(type(value), "__get__") and type(value) not in _PLAIN):
                return holder
            if _wraps(value, fixture_type):
                try:
                    inner = inspect.unwrap(value, stop=lambda o: type(o) is fixture_type)
                except Exception:  # a loop or an attribute that raises: pytest's own scan handles it
                    return holder
                if type(inner) is fixture_type:
                    return holder
    return types.ModuleType(cls.__name__)


def _wraps(value: object, fixture_type: type) -> bool:
    """A fixture, or something the scan looks through for one (or that raises when asked)."""
    try:
        return type(value) is fixture_type or hasattr(value, "__wrapped__")
    except Exception:
        return True


def _prctl(option: int, value: int) -> None:
    """prctl(2) on Linux; nothing elsewhere (this module must not import suture: see pytest_shim)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _child(request: dict) -> None:
    """Runs in the forked child: become the run's own session, then pytest.main. Never returns."""
    status = 70
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a hung test does not outlive its server
        os.setsid()
        memory = int(request.get("memory") or 0)
        if memory > 0 and hasattr(resource_module(), "RLIMIT_DATA"):
            res = resource_module()
            res.setrlimit(res.RLIMIT_DATA, (memory, memory))
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE, signal.SIGALRM):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        out = os.open(request["output"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(null)
        os.close(out)
        cwd = request["cwd"]
        os.chdir(cwd)
        env = request["env"]
        os.environ.clear()
        os.environ.update(env)
        tempfile.tempdir = None  # the run's TMPDIR, not the one the warm-up cached
        sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
        # As `python -m pytest` would have it: the current directory first, then PYTHONPATH.
        extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = [cwd, *extra, *sys.path[1:]]
        import pytest

        _start_from_server(request["argv"], env)
        sys.argv = [os.path.join(os.path.dirname(pytest.__file__), "__main__.py"), *request["argv"]]
        status = int(pytest.main(request["argv"]))
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)


def resource_module():
    import resource

    return resource


def _children() -> list[int]:
    me = str(os.getpid())
    try:
        with open(f"/proc/{me}/task/{me}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


# Servers forked from this one (_clone): children of it, but no run's leftovers.
_clones: set[int] = set()


def _kill_leftovers(keep: int = 0) -> None:
    """SIGKILL and reap every process below the server (a run's orphans are reparented here), its
    clones aside."""
    keep_all = {keep, *_clones}
    while True:
        for pid in _children():
            if pid not in keep_all:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        _clones.discard(pid)  # a clone that ended is reaped like any child
        if pid == 0:
            if not [p for p in _children() if p not in keep_all]:
                return
            time.sleep(0.01)


def _wait_run(pid: int, stdin_fd: int) -> int | None:
    """The child's wait status; None when stdin ended first (the client is gone)."""
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return os.waitpid(pid, 0)[1]
    try:
        while True:
            ready, _, _ = select.select([pidfd, stdin_fd], [], [])
            if pidfd in ready:
                return os.waitpid(pid, 0)[1]
            if not os.read(stdin_fd, 65536):  # EOF: the client died, with this run in progress
                return None
    finally:
        os.close(pidfd)


def serve() -> None:
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _warm_up()
    _settle()
    if threading.active_count() > 1:  # forking with other threads alive is unsafe: refuse to serve
        print(json.dumps({"refused": "a plugin started threads while loading"}), flush=True)
        return
    print(json.dumps({"ready": os.getpid()}), flush=True)
    _serve_requests()


def _serve_requests() -> None:
    stdin_fd, buffer = sys.stdin.fileno(), b""
    while True:
        while b"\n" not in buffer:
            chunk = os.read(stdin_fd, 65536)
            if not chunk:
                return
            buffer += chunk
        line, buffer = buffer.split(b"\n", 1)
        request = json.loads(line)
        if "clone" in request:
            print(json.dumps({"cloned": _clone(request["clone"])}), flush=True)
            continue
        _preload(request["argv"])
        _prepare_config(request["argv"])
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({"pid": pid}), flush=True)
        wait_status = _wait_run(pid, stdin_fd)
        if wait_status is None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            _kill_leftovers()
            return
        _kill_leftovers()
        print(json.dumps({"pid": pid, "status": os.waitstatus_to_exitcode(wait_status)}), flush=True)


def _clone(fifos: dict[str, str]) -> int:
    """Fork a second server from this idle, warm one: it answers on the `stdout` FIFO, then reads its
    requests from the `stdin` FIFO. A fix run gates two candidates at once, and a second server
    started from scratch cost ~1.1 CPU-s (interpreter, pytest, plugins) where this fork costs ~10 ms."""
    pid = os.fork()
    if pid:
        _clones.add(pid)
        return pid
    try:
        _clones.clear()
        os.setsid()  # out of the parent's session: its runs' kills do not reach this server
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # closed with the server it was forked from
        _prctl(PR_SET_CHILD_SUBREAPER, 1)  # not inherited across fork
        out = os.open(fifos["stdout"], os.O_WRONLY)
        os.dup2(out, 1)
        os.close(out)
        print(json.dumps({"ready": os.getpid()}), flush=True)
        inp = os.open(fifos["stdin"], os.O_RDONLY)  # waits for the client to open its end
        os.dup2(inp, 0)
        os.close(inp)
        _serve_requests()
    finally:
        os._exit(0)


# -- client --------------------------------------------------------------------------------


class ServerGone(Exception):
    """The server died or refused; the caller runs the tests in a fresh process instead."""


class WarmRun:
    """A run in a forked child, with the part of subprocess.Popen's interface the runner uses.

    `settled`: the server reported the run's end, which it does only after killing and reaping every
    process the run left below it (it is their subreaper): nothing of the run is left to look for."""

    def __init__(self, server: _Server, pid: int) -> None:
        self.server, self.pid, self.returncode = server, pid, None
        self.settled = False

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            try:
                reply = self.server.read(timeout)
            except ServerGone:  # killed with the child (a pool closing): the run ends as killed
                reply = {"gone": True}
            if reply is None:
                raise subprocess.TimeoutExpired("pytest (warm)", timeout or 0)
            self.settled = "status" in reply  # not when the server is gone: its orphans are not reaped
            self.returncode = int(reply.get("status", -signal.SIGKILL))
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class _Server:
    forked = False  # True for a spare forked from another server (clone), not started from scratch

    def __init__(self, python: str, env: dict[str, str], script: str | None = None,
                 wrap: tuple[str, ...] = (), ready_timeout: float = READY_TIMEOUT) -> None:
        self.busy = False
        self.wrapped = bool(wrap)  # in a PID namespace of its own (bwrap): its pids need mapping
        self.proc = subprocess.Popen(
            [*wrap, *([python, script] if script else [python, "-m", "suture.tools.testing.pytest_forkserver"])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, cwd=tempfile.gettempdir(), start_new_session=True,
        )
        self._buffer = b""
        reply = self.read(min(READY_TIMEOUT, ready_timeout))
        if not reply or "ready" not in reply:
            self.close()
            raise ServerGone(str((reply or {}).get("refused", "the warm pytest did not start")))

    def read(self, timeout: float | None) -> dict | None:
        """The next reply; None when `timeout` passes first. ServerGone when the server ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise ServerGone("the warm pytest server ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def start(self, argv: list[str], cwd: str, env: dict[str, str], output: str, memory: int = 0,
              ready_timeout: float = READY_TIMEOUT) -> WarmRun:
        request = json.dumps({"argv": argv, "cwd": cwd, "env": env, "output": output, "memory": memory}) + "\n"
        try:
            self.proc.stdin.write(request.encode())
            self.proc.stdin.flush()
            reply = self.read(min(READY_TIMEOUT, ready_timeout))
        except (OSError, ValueError, ServerGone) as error:
            self.close()
            raise ServerGone(str(error)) from None
        if not reply or "pid" not in reply:
            self.close()
            raise ServerGone("the warm pytest server did not start the run")
        pid = int(reply["pid"])
        if self.wrapped:
            from suture.tools.testing.sandbox import host_pid

            pid = host_pid(pid, self.proc.pid)
        return WarmRun(self, pid)

    def clone(self, ready_timeout: float = READY_TIMEOUT) -> _Server | None:
        """A second server forked from this idle one (see _clone), or None when that did not work."""
        if self.wrapped:  # its FIFOs would have to be inside the sandbox: a wrapped server starts anew
            return None
        deadline = time.monotonic() + min(READY_TIMEOUT, ready_timeout)
        folder = tempfile.mkdtemp(prefix="suture-warm-")
        fifos = {"stdin": os.path.join(folder, "in"), "stdout": os.path.join(folder, "out")}
        out_fd = -1
        try:
            for path in fifos.values():
                os.mkfifo(path, 0o600)
            out_fd = os.open(fifos["stdout"], os.O_RDONLY | os.O_NONBLOCK)  # so the clone's open does not wait
            self.proc.stdin.write((json.dumps({"clone": fifos}) + "\n").encode())
            self.proc.stdin.flush()
            reply = self.read(max(0.0, deadline - time.monotonic()))
            if not reply or "cloned" not in reply:
                return None
            os.set_blocking(out_fd, True)
            proc = _ClonedProc(int(reply["cloned"]), os.fdopen(out_fd, "rb", buffering=0))
            out_fd = -1
            server = _Server.__new__(_Server)
            server.busy, server.wrapped, server.proc, server._buffer, server.forked = False, False, proc, b"", True
            if "ready" not in (server.read(max(0.0, deadline - time.monotonic())) or {}):
                proc.kill()
                return None
            proc.stdin = _open_writer(fifos["stdin"], deadline)
            return server
        except (OSError, ValueError, ServerGone):
            return None
        finally:
            if out_fd >= 0:
                os.close(out_fd)
            shutil.rmtree(folder, ignore_errors=True)  # both ends are open (or given up): the names can go

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def _open_writer(path: str, deadline: float):
    """The FIFO at `path` opened for writing once its reader has it open (OSError past `deadline`)."""
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as error:
            if error.errno != errno.ENXIO or time.monotonic() > deadline:  # ENXIO: no reader yet
                raise
            time.sleep(0.005)
            continue
        os.set_blocking(fd, True)
        return os.fdopen(fd, "wb", buffering=0)


class _ClonedProc:
    """The part of Popen's interface _Server uses, for a server forked from another one: not this
    process's child, so it is watched through /proc, and its pipes are FIFOs."""

    def __init__(self, pid: int, stdout) -> None:
        self.pid, self.stdout, self.stdin, self.returncode = pid, stdout, None, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                with open(f"/proc/{self.pid}/stat", "rb") as fh:
                    state = fh.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                state = b"X"
            if state in (b"Z", b"X"):  # ended (a zombie until the server it came from reaps it)
                self.returncode = -signal.SIGKILL  # its FIFOs close with this object
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"warm pytest {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass


_lock = threading.Lock()
_servers: dict[tuple, list[_Server]] = {}
_starting: dict[tuple, threading.Event] = {}  # a server being started for this key (and its clone)


def _key(python: str, env: dict[str, str], keep: tuple[str, ...], wrap: tuple[str, ...] = ()) -> tuple:
    startup = sorted((k, v) for k, v in env.items() if k.startswith(_STARTUP_PREFIX) and k not in _PER_RUN)
    return (python, tuple(startup), tuple((k, env.get(k, "")) for k in keep), wrap)


@contextmanager
def lease(python: str, env: dict[str, str], keep: tuple[str, ...] = (), script: str | None = None,
          wrap: tuple[str, ...] = (), ready_timeout: float = READY_TIMEOUT) -> Iterator[_Server]:
    """A warm server for `python` and this environment's start-up variables, for one run.

    `keep` names variables the server itself must carry from the start (e.g. a token by which
    its owner later finds and kills every process of a pool). Raises ServerGone when no server
    could be started. `script`: this module's file to run (by path) under an interpreter that
    cannot import suture (tools/testing/pytest_shim.py). `wrap`: a sandbox's command prefix (bwrap and its
    options, tools/testing/sandbox.py) the server runs under; servers are kept per prefix.
    `ready_timeout`: how long a new server may take to load (the run's own time left: a loaded
    machine must not make the start-up an uncounted extra on top of the run's limit).
    """
    key = _key(python, env, keep, wrap)
    server, mine = _free_or_started(key, ready_timeout, spare=not wrap)
    if server is None:
        start_env = {k: v for k, v in env.items() if k not in _PER_RUN}
        try:
            server = _Server(python, start_env, script, wrap, ready_timeout)
            server.busy = True
            # A spare forked from it while it is still idle: the next lease (the other gate worker's)
            # takes it instead of starting an interpreter of its own.
            spare = server.clone(ready_timeout)
            with _lock:
                _servers.setdefault(key, []).extend([server, *([spare] if spare else [])])
        finally:
            if mine is not None:
                with _lock:
                    del _starting[key]
                mine.set()
    try:
        yield server
    finally:
        with _lock:
            server.busy = False
            if not server.alive:
                _servers[key].remove(server)


def _free_or_started(key: tuple, ready_timeout: float,
                     spare: bool = True) -> tuple[_Server | None, threading.Event | None]:
    """(a free server for `key`, marked busy, None), else (None, the event this caller sets once it has
    started one, or None when another caller is starting one too). A caller that finds another starting
    a server waits for it and its spare rather than start an interpreter of its own (not when no spare
    will come: `spare` False, a wrapped server)."""
    waited = False
    while True:
        with _lock:
            free = [s for s in _servers.get(key, []) if not s.busy and s.alive]
            if free:
                free[0].busy = True
                return free[0], None
            if not spare:
                return None, None
            starting = _starting.get(key)
            if starting is None:
                _starting[key] = threading.Event()
                return None, _starting[key]
            if waited:  # it took too long: start one of our own, alongside
                return None, None
        starting.wait(min(READY_TIMEOUT, ready_timeout))
        waited = True


def close_all() -> None:
    """End every warm server (their running children are the callers' to kill)."""
    with _lock:
        servers = [s for group in _servers.values() for s in group]
        _servers.clear()
    for server in servers:
        server.close()


atexit.register(close_all)


if __name__ == "__main__":
    serve()
