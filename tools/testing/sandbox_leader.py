"""The leader of one test run: the process suture starts, which starts the run's command.

Run by path with `python -I -S` (nothing of suture, no site: it starts in a few
milliseconds). argv: PARENT_PID MEMORY_BYTES -- COMMAND...

Why a process of its own rather than suture itself:
- it is the run's child subreaper (PR_SET_CHILD_SUBREAPER): a daemon that double-forks,
  calls setsid() and clears its environment escapes the process group, the session and the
  run token the runner looks for, but not its ancestry; it is reparented here, and when the
  command ends this leader kills every process still below it. suture's own process cannot
  be that subreaper: it has other children (git, verifiers, warm pytest servers, other
  threads' runs) whose Popen.wait a reaper would steal, and nothing tells which run a
  reparented orphan came from;
- it sets, in the forked child before exec (single-threaded here, unlike suture), the
  parent-death signal (PR_SET_PDEATHSIG SIGKILL) and the memory cap (RLIMIT_DATA); the
  leader itself dies with suture the same way, so a SIGKILLed suture leaves no pytest.

The leader forwards SIGTERM, SIGINT, SIGHUP and SIGUSR2 (the runner's request for a stack
dump) to the command, and exits with its status (re-raising the signal that killed it). When
SUTURE_LEADER_WALL_FILE is set it writes the command's wall seconds (fork to exit) there, so a
timed run leaves its leader's and bwrap's start-up out.
"""

import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl():
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


def _children():
    """Pids whose parent is this process (reparented orphans included)."""
    me = str(os.getpid())
    found = []
    try:
        with open(f"/proc/{me}/task/{me}/children") as fh:  # needs CONFIG_PROC_CHILDREN
            return [int(p) for p in fh.read().split()]
    except OSError:
        pass
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            if data[data.rindex(b")") + 2:].split()[1].decode() == me:
                found.append(int(name))
    return found


def _kill_below() -> None:
    """SIGKILL every process below this one until none is left (orphans land here one level at a time)."""
    while True:
        for pid in _children():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            pid, _ = os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _write_wall(seconds) -> None:
    """The command's wall time, for a timed run (WALL_ENV in tools/testing/sandbox.py names the file)."""
    path = os.environ.get("SUTURE_LEADER_WALL_FILE")
    if path:
        try:
            with open(path, "w") as fh:
                fh.write(repr(seconds))
        except OSError:
            pass


def main(argv) -> None:
    parent, memory = int(argv[1]), int(argv[2])
    command = argv[4:]
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent and os.getppid() != parent:  # suture died before the line above
        os._exit(137)
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            if prctl is not None:
                prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if memory > 0:
                import resource

                resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
            os.set_inheritable(write_end, False)
            os.execvp(command[0], command)
        except OSError as error:
            os.write(write_end, str(error.errno).encode())
        os._exit(127)
    os.close(write_end)
    failed = os.read(read_end, 32)
    os.close(read_end)

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except OSError:
            pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR2):
        signal.signal(sig, forward)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    _write_wall(time.perf_counter() - started)
    _kill_below()
    if failed:
        os._exit(127)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main(sys.argv)
