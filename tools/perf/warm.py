"""A warm harness for one side of a timing comparison: one loaded interpreter forks a child per timed run.

A fresh `python -m suture.tools.perf.harness time ...` per measurement spent about half of its CPU on the
interpreter's start-up and the harness's imports (0.19 CPU-s per process, 82 of them in one `suture optimize`
run: bench/RESULTS.md, issue 15). tools/perf/harness.py's `serve` mode pays for those once per side and
comparison and forks a child per run; the child imports the tree's code, builds the inputs and times the
calls exactly as a fresh process does, with its own empty TMPDIR.

Fairness: timing.compare uses servers for both sides or for neither (one that does not start sends both
back to fresh processes), each side's server starts the same way, and the rounds stay interleaved in the
same seeded order, so baseline and candidate are measured alike. Containment is a timed process's
(tools/testing/sandbox.py): the server runs under the run leader (and bwrap when the policy says so) with
the same writable directories, the memory cap is inherited by every child, each child dies with the server,
and the server kills what a run left behind before it answers. A run past its time limit kills the server.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

from suture.tools.testing import sandbox

READY_SECONDS = 30.0  # a server's start-up: the interpreter and the harness's imports


class ServerGone(Exception):
    """The server did not start, or ended; one sentence."""


def available() -> bool:
    """Forked runs need fork and Linux's subreaper and parent-death signal (the leader's, the server's)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class Server:
    """One side's warm harness: started under the run's confinement, it serves run() calls until close()."""

    def __init__(self, argv: Sequence[str], cwd: Path, env: dict[str, str], writable: Sequence[Path] = (),
                 ready_seconds: float = READY_SECONDS) -> None:
        cwd = Path(cwd).resolve()
        self.private = Path(tempfile.mkdtemp(prefix="suture-warm-", dir=sandbox.private_scratch_root()))
        (self.private / "tmp").mkdir()
        env = {**env, "TMPDIR": str(self.private / "tmp")}
        dirs = [str(cwd), str(self.private), *(str(Path(d).resolve()) for d in writable)]
        self._buffer = b""
        try:
            command = sandbox.confined_argv([sandbox.resolve_program(argv[0], env), *argv[1:]], writable=lambda: dirs,
                                            memory_limit=sandbox.policy().memory_limit)
            self.proc: subprocess.Popen | None = subprocess.Popen(
                command, cwd=cwd, env=env, start_new_session=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL)
        except OSError as error:
            self.proc = None
            self.close()
            raise ServerGone(f"the warm harness cannot be started: {error.strerror or error}") from None
        try:
            reply = self._read(ready_seconds)
        except (OSError, ValueError, ServerGone):
            reply = None
        if not reply or "ready" not in reply:
            self.close(kill=True)
            raise ServerGone("the warm harness did not start")

    def run(self, argv: list[str], env: dict[str, str], time_limit: float) -> tuple[str, str, int, float]:
        """(stdout, stderr, exit code, wall seconds) of one forked run of the harness with `argv`, `env` laid
        over the server's. subprocess.TimeoutExpired after `time_limit` (the server is killed with the run)."""
        if self.proc is None or self.proc.poll() is not None:
            raise ServerGone("the warm harness has ended")
        try:
            self.proc.stdin.write((json.dumps({"argv": argv, "env": env}) + "\n").encode())
            self.proc.stdin.flush()
            reply = self._read(time_limit)
        except (OSError, ValueError, ServerGone):
            self.close(kill=True)
            raise ServerGone("the warm harness ended during a run") from None
        if reply is None:
            self.close(kill=True)
            raise subprocess.TimeoutExpired(argv, time_limit)
        return reply["stdout"], reply["stderr"], int(reply["code"]), float(reply["wall"])

    def _read(self, timeout: float) -> dict | None:
        """The next reply line; None when `timeout` passes first; ServerGone when the server ended."""
        deadline = time.monotonic() + max(0.1, timeout)
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise ServerGone("the warm harness ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self, kill: bool = False) -> None:
        """End the server: end of stdin when idle; killed (`kill`, or when it does not end) with what it runs."""
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                proc.stdin.close()
                if kill:
                    raise subprocess.TimeoutExpired(proc.args, 0)
                proc.wait(2)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                sandbox.stop_run(proc, sandbox.used_mode() != "bwrap")
                proc.wait()
            finally:
                sandbox.kill_group(proc.pid)
                proc.stdout.close()
        shutil.rmtree(self.private, ignore_errors=True)


class Pool:
    """The warm harnesses of one run (`suture optimize`), kept across its comparisons: one per tree, environment
    and writable set, so a run's next candidate pays no start-up either. A server never imports the tree's
    code and each child still starts from the server's state, so what an earlier comparison ran leaves
    nothing for a later one; a server that ended (a run past its limit) is started again. close() ends them."""

    def __init__(self) -> None:
        self._servers: dict[tuple, Server] = {}

    def server(self, argv: Sequence[str], cwd: Path, env: dict[str, str], writable: Sequence[Path] = (),
               ready_seconds: float = READY_SECONDS) -> Server:
        key = (tuple(argv), str(Path(cwd).resolve()), tuple(sorted(env.items())), tuple(str(w) for w in writable))
        server = self._servers.get(key)
        if server is None or server.proc is None or server.proc.poll() is not None:
            if server is not None:
                server.close()
            server = self._servers[key] = Server(argv, cwd, env, writable, ready_seconds)
        return server

    def close(self) -> None:
        servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()
