"""Which processes and threads a profiled workload starts: counted inside the profiled process.

cProfile follows the thread that enabled it, in its own process: the work of a child process or of
another thread is not in the profile (the main thread only shows itself waiting), so the hot spots
it names are not where that time goes. `suture optimize` therefore tries nothing on such a workload
and says so (agent/optimize/unsuitable.py); this module tells it what was started, and how.

How, in the profiled process (tools/perf/profile.py's driver), only while the profiler is enabled:
- processes: the audit events of `subprocess.Popen`, `os.system`, `os.fork`/`forkpty`,
  `os.posix_spawn[p]` and `os.spawn*`, plus a wrapper of `_posixsubprocess.fork_exec`, which
  multiprocessing's "spawn" and "forkserver" start methods call without an audit event (3.11). A call
  made by the subprocess module itself is part of its Popen and not counted twice.
- threads: a wrapper of the function `threading.Thread.start` calls (`threading._start_new_thread`
  up to 3.12, `_start_joinable_thread` from 3.13) and of `_thread.start_new_thread`. 3.11 has no
  audit event for a new thread.
Each start is named by the first calling module outside the machinery (threading, subprocess,
multiprocessing, concurrent.futures): "subprocess", "multiprocessing", "concurrent.futures", "os.fork".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

# Python text run inside the profiled process (tools/perf/profile.py's driver): watch_spawns() starts
# counting and returns a recorder with .paused (set while the harness builds inputs) and .write(path).
WATCHER = """\
def watch_spawns():
    import _thread, json, os, sys, threading
    owner = os.getpid()
    counts = {"processes": {}, "threads": {}}
    class Recorder:
        paused = False
        def write(self, path):
            if os.getpid() == owner:  # not a forked child that returned into this driver
                with open(path, "w") as handle:
                    json.dump(counts, handle)
    recorder = Recorder()
    machinery = ("threading", "subprocess", "multiprocessing", "concurrent.futures", "os", "posix", "_thread")
    def how(depth, default):
        # the outermost stdlib module of the machinery between the workload's code and the start, walking out
        # from the frame `depth + 1` above how() itself (the one that made the call being counted)
        frame, seen = sys._getframe(depth + 1), default
        while frame is not None:
            name = frame.f_globals.get("__name__") or "?"
            for m in ("concurrent.futures", "multiprocessing", "subprocess"):
                if name == m or name.startswith(m + "."):
                    seen = m
            if not any(name == m or name.startswith(m + ".") for m in machinery):
                break
            frame = frame.f_back
        return seen
    def count(kind, name_of):
        # never lets an error of its own reach the workload: a hook's exception would fail its os.fork
        if recorder.paused:
            return
        try:
            name = name_of()
        except Exception:
            name = "?"
        counts[kind][name] = counts[kind].get(name, 0) + 1
    events = {"subprocess.Popen": "subprocess", "os.system": "os.system", "os.fork": "os.fork",
              "os.forkpty": "os.fork", "os.posix_spawn": "os.posix_spawn", "os.spawn": "os.spawn"}
    def caller(depth):
        try:
            return sys._getframe(depth + 1).f_globals.get("__name__")
        except Exception:
            return None
    def hook(event, args):
        kind = events.get(event)
        if kind is None:
            return
        if event != "subprocess.Popen" and caller(1) == "subprocess":
            return  # subprocess's own fork or posix_spawn: counted by its Popen event
        count("processes", lambda: how(3, kind))
    sys.addaudithook(hook)
    try:
        import _posixsubprocess
    except ImportError:
        _posixsubprocess = None
    if _posixsubprocess is not None and hasattr(_posixsubprocess, "fork_exec"):
        fork_exec = _posixsubprocess.fork_exec
        def watched_fork_exec(*args, **kwargs):
            if caller(1) != "subprocess":
                count("processes", lambda: how(3, "a child process"))
            return fork_exec(*args, **kwargs)
        _posixsubprocess.fork_exec = watched_fork_exec
    def thread_wrapper(start):
        def watched_start(*args, **kwargs):
            count("threads", lambda: how(3, "threading"))
            return start(*args, **kwargs)
        return watched_start
    for name in ("_start_new_thread", "_start_joinable_thread"):
        if hasattr(threading, name):
            setattr(threading, name, thread_wrapper(getattr(threading, name)))
    _thread.start_new_thread = thread_wrapper(_thread.start_new_thread)
    return recorder
"""


@dataclass(frozen=True)
class Started:
    """What the profiled run started while profiled: how -> count, for processes and for threads."""

    processes: dict[str, int] = field(default_factory=dict)
    threads: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> "Started":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls({str(k): int(v) for k, v in data["processes"].items()},
                       {str(k): int(v) for k, v in data["threads"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()

    def to_dict(self) -> dict:
        return {"processes": dict(self.processes), "threads": dict(self.threads)}
