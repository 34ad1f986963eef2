"""`suture ARGS` in a fork of the test process: the real CLI entry point without an interpreter start.

A `suture` subprocess spends ~0.25 CPU-s before it parses its first option (the interpreter, typer
and pydantic, the CLI's modules); hundreds of short commands in the suite paid it each time. Here
the test process imports the CLI once, then each command runs `suture.agent.cli.main.main()` in a
forked child with its own stdin (/dev/null), stdout and stderr (pipes), working directory, argv and
environment, and leaves through `os._exit` with the exit code the console script would give: an
uncaught exception prints its traceback on stderr and exits 1, as the interpreter does. Process-wide
state the CLI sets (the sandbox policy, signal handlers, caches) dies with the child.

What it does not prove is the part before `main()`: the console script, the interpreter's start-up,
imports in a clean process. Tests of those (and of signals sent to a `suture` process, its process
group, its start-up time) use conftest.suture, the real subprocess; so does every file for at least
one command of each kind it checks (see tests/test_cli_errors.py).
"""

from __future__ import annotations

import io
import os
import selectors
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

# Modules the commands import lazily, imported once here so each child does not import them again.
PRELOAD = ("suture.agent.cli.main", "suture.agent.cli.render", "suture.agent.config", "typer._adapters")


def _preload() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)


def suture(*args: str, cwd: Path, timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """As conftest.suture (and subprocess.run with capture_output=True, text=True): the exit code,
    stdout and stderr of `suture *args` run in `cwd`; TimeoutExpired (the child killed) after `timeout`."""
    _preload()
    sys.stdout.flush()
    sys.stderr.flush()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child(list(args), cwd, env, out_w, err_w, (out_r, err_r))
    os.close(out_w)
    os.close(err_w)
    try:
        out, err = _read_both(out_r, err_r, time.monotonic() + timeout)
    except subprocess.TimeoutExpired:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise subprocess.TimeoutExpired(["suture", *args], timeout) from None
    finally:
        os.close(out_r)
        os.close(err_r)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return subprocess.CompletedProcess(["suture", *args], code, out.decode(errors="replace"),
                                       err.decode(errors="replace"))


def _read_both(out_r: int, err_r: int, deadline: float) -> tuple[bytes, bytes]:
    """Both pipes to their ends (every writer closed them, the command's own children too)."""
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired("suture", 0)
            for key, _ in selector.select(left):
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.fd].append(data)
                else:
                    selector.unregister(key.fd)
    return b"".join(chunks[out_r]), b"".join(chunks[err_r])


def _child(args: list[str], cwd: Path, env: dict[str, str] | None, out_w: int, err_w: int, parent_ends: tuple) -> None:
    code, fresh = 1, False
    try:
        for fd in parent_ends:
            os.close(fd)
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        for fd in {stdin, out_w, err_w} - {0, 1, 2}:
            os.close(fd)
        # Fresh text streams on the new descriptors (the test process's are pytest's capture).
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                      errors="backslashreplace", line_buffering=True)
        sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
        _as_a_fresh_interpreter()
        fresh = True
        os.chdir(cwd)
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        sys.argv = ["suture", *args]
        from suture.agent.cli.main import main

        try:
            main()
            code = 0
        except SystemExit as done:
            code = _exit_code(done.code)
        except BaseException:  # what the interpreter does with an uncaught exception
            traceback.print_exc()
            code = 1
    finally:
        try:
            if fresh:
                import atexit

                atexit._run_exitfuncs()  # the command's own (scratch trees, warm servers), as at exit
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _as_a_fresh_interpreter() -> None:
    """Undo what the test process set that a new `suture` process would not have: pytest's warning
    capture and filters, its exception hooks, the SIGINT handler, the test process's exit handlers and
    its warm pytest servers (a command starts and closes its own)."""
    import atexit
    import threading
    import warnings

    warnings.resetwarnings()
    for category, module in ((DeprecationWarning, "__main__"), (DeprecationWarning, ""), (PendingDeprecationWarning, ""),
                             (ImportWarning, ""), (ResourceWarning, "")):
        warnings.filterwarnings("default" if module else "ignore", category=category, module=module, append=True)
    warnings._processoptions(sys.warnoptions)  # the interpreter's -W and PYTHONWARNINGS, first
    warnings.showwarning = warnings._showwarning_orig
    sys.excepthook, threading.excepthook = sys.__excepthook__, threading.__excepthook__
    signal.signal(signal.SIGINT, signal.default_int_handler)
    atexit._clear()
    forkserver = sys.modules.get("suture.tools.testing.pytest_forkserver")
    if forkserver is not None:  # registered at its import, which happened in the test process
        forkserver._servers.clear()
        atexit.register(forkserver.close_all)


def _exit_code(value: object) -> int:
    """SystemExit's code as the interpreter turns it into a status (a message is printed, exit 1)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1
