"""Suite runs as forks of one process that imported pytest once (corpus.warm_suites).

A new interpreter that imports pytest costs ~0.3 CPU-s before it collects a test; the corpus
test (tests/test_bench_bugs.py) runs two suites for each of ~50 bugs. Here a server process
imports pytest, then forks once per run; the child is what `python -m pytest ARGS` would be from
its first test on: its own session (setsid), working directory (first on sys.path, as `-m` puts
it), environment, stdout and stderr into one file, and the exit code pytest.main returns. The
child imports nothing the server did not (the server ran no session), so each run starts clean.

Run as a script it is the server: one JSON job per stdin line, answered with the child's pid and
then its exit code.
"""

from __future__ import annotations

import io
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path


class WarmPytest:
    """The parent's end: start the server, run jobs one at a time, close it."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve())], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, start_new_session=True)
        self._buffer = b""

    def run(self, args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int, bool, str]:
        """(exit code, timed out, output) of `python -m pytest *args` in `cwd` with `env`; a run past
        `timeout` is killed with its whole session, as corpus.run_suites does."""
        with tempfile.TemporaryDirectory(prefix="suture-warm-pytest-") as tmp:
            output = Path(tmp) / "output.txt"
            job = {"args": args, "cwd": str(cwd), "env": env, "output": str(output)}
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
            pid = self._answer(time.monotonic() + 60)["pid"]
            timed_out = False
            try:
                code = self._answer(time.monotonic() + timeout)["code"]
            except TimeoutError:
                timed_out = True
                os.killpg(pid, signal.SIGKILL)
                code = self._answer(None)["code"]
            return code, timed_out, output.read_text(errors="replace") if output.exists() else ""

    def _answer(self, deadline: float | None) -> dict:
        while b"\n" not in self._buffer:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                data = os.read(self.proc.stdout.fileno(), 65536)
                if not data:
                    raise RuntimeError(f"the warm pytest server ended (exit {self.proc.wait()})")
                self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def serve() -> None:
    import pytest  # noqa: F401  (the point: imported once, before any fork)

    del sys.path[0]  # this script's directory; a child puts its own working directory there
    for line in sys.stdin.buffer:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(job)
        sys.stdout.buffer.write(json.dumps({"pid": pid}).encode() + b"\n")
        sys.stdout.buffer.flush()
        _, status = os.waitpid(pid, 0)
        sys.stdout.buffer.write(json.dumps({"code": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        sys.stdout.buffer.flush()


def _child(job: dict) -> None:
    code = 1
    try:
        os.setsid()
        out = os.open(job["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.close(null)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        sys.path.insert(0, job["cwd"])  # as `python -m pytest` puts its working directory first
        sys.argv = [sys.executable, *job["args"]]
        import pytest

        code = int(pytest.main(job["args"]))
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


if __name__ == "__main__":
    serve()
