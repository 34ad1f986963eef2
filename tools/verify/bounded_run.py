"""The verifier's child processes: bounded in time and memory, inside the project's sandbox.

CrossHair, Hypothesis, ESBMC, the CPython replays, a C harness binary and the confirming pytest
run all execute code suture did not write (a candidate patch, the project's own code). So each
child is started the way the project's tests are (tools/testing/sandbox.py, one policy from
`--sandbox` and `--memory-limit`):

- under its run leader (tools/testing/sandbox_leader.py: child subreaper, parent-death signal,
  the memory cap), so it dies with suture, SIGKILL included, and leaves no process behind;
- under bwrap when the policy says so: the system and every repository (the user's too) read-only,
  writable only its working directory and its private directory, no network, a PID namespace of
  its own;
- in its working directory (PWD says so), with HOME, TMPDIR and the caches (XDG, Hypothesis's
  storage) in a private directory made for this one child and removed after it: never the user's
  home, and nothing one candidate's child leaves there (a user-site `.pth`) reaches the next;
- with the environment minus suture's secrets (tools/childenv.py) when the caller gives none.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suture.tools.childenv import project_env
from suture.tools.testing import sandbox

__all__ = ["POLICY_CAP", "BoundedRun", "private_env", "run_bounded"]

POLICY_CAP: Any = object()  # memory_limit's default: the policy's cap (--memory-limit)


@dataclass
class BoundedRun:
    returncode: int | None  # None when killed at the wall-clock limit
    stdout: str
    stderr: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def private_env(env: dict[str, str], cwd: Path, private: Path) -> dict[str, str]:
    """`env` for a child that works in `cwd`, its home, temp and caches under `private`."""
    home, tmp = private / "home", private / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    out = {name: value for name, value in env.items() if name != "OLDPWD"}
    out.update(PWD=str(cwd), HOME=str(home), TMPDIR=str(tmp), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local" / "share"),
               HYPOTHESIS_STORAGE_DIRECTORY=str(private / "hypothesis"))
    return out


def run_bounded(argv: list[str], *, cwd: Path, time_limit: float, env: dict[str, str] | None = None,
                stdin: str | None = None, memory_limit: int | None = POLICY_CAP) -> BoundedRun:
    """Run `argv` in `cwd` as described above; at the wall-clock limit kill it and all it started.

    `memory_limit` (bytes; None: no cap, for AddressSanitizer and ESBMC's own --memlimit) caps
    the command and what it starts, so a function that allocates without bound raises
    MemoryError in the child instead of taking the machine's memory. Raises FileNotFoundError
    (PermissionError) when the program does not exist (cannot be run).
    """
    started = time.monotonic()
    cwd = Path(cwd).resolve()
    limit = sandbox.policy().memory_limit if memory_limit is POLICY_CAP else memory_limit
    with tempfile.TemporaryDirectory(prefix="suture-verify-", dir=sandbox.private_scratch_root()) as private:
        env = private_env(project_env() if env is None else env, cwd, Path(private))
        done = sandbox.run_confined(argv, cwd=cwd, env=env, time_limit=time_limit, stdin=stdin, memory_limit=limit,
                                    writable=lambda: sandbox.writable_dirs(cwd, Path(private), {}))
    return BoundedRun(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
