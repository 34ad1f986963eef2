"""Per-process CPU account of one suture CLI run: which child processes cost what.

Two sources, because neither sees everything:
- a sitecustomize.py put first on PYTHONPATH makes every Python process suture starts (the CLI, fresh
  pytests, warm pytest servers and their forks, verifier/evidence children, timing harnesses) append
  {argv, pid, ppid, forked, own CPU, waited children's CPU} to a JSON-lines file when it leaves, by
  atexit or by os._exit (forks of the warm server leave that way);
- a /proc poller (every POLL_SECONDS) keeps the last CPU it saw of every process below the run,
  Python or not (git, the sandbox leader started with -I -S, a killed warm server that never reached
  its atexit), so processes the first source misses are still counted up to their last sample.

The run's total is its RUSAGE_CHILDREN after the wait (exact); what neither source names (short git
commands that lived between two samples) is the residual.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import defaultdict
from pathlib import Path

POLL_SECONDS = 0.05
TICKS = os.sysconf("SC_CLK_TCK")

SITECUSTOMIZE = r'''
import atexit, json, os, resource, sys, time
_OUT = os.environ.get("PROC_ACCOUNT_OUT")
_PID = os.getpid()
_T0 = time.time()
def _write():
    if not _OUT:
        return
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    row = {"pid": os.getpid(), "ppid": os.getppid(), "forked": os.getpid() != _PID, "argv": sys.argv[:40],
           "main": getattr(sys.modules.get("__main__"), "__spec__", None) and sys.modules["__main__"].__spec__.name,
           "own": me.ru_utime + me.ru_stime, "children": kids.ru_utime + kids.ru_stime,
           "start": _T0, "end": time.time(), "modules": len(sys.modules)}
    try:
        with open(_OUT, "a") as fh:
            fh.write(json.dumps(row, default=str) + "\n")
    except OSError:
        pass
atexit.register(_write)
_real_exit = os._exit
def _exit(code, _real=_real_exit):
    _write()
    _real(code)
os._exit = _exit
_real_fork = os.fork
def _fork(_real=_real_fork):
    global _T0
    pid = _real()
    if pid == 0:
        _T0 = time.time()
    return pid
os.fork = _fork
'''


def write_sitecustomize(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return directory


def _stat(pid: str) -> tuple[int, float, str] | None:
    """(ppid, own CPU seconds, command line) of a live process, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS, cmd


class Poller(threading.Thread):
    """Samples every descendant of `root` (by ppid chains, the live tree each time)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.seen, self.stop = root, {}, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            stats = {p: s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(p))}
            below = {str(self.root)}
            grew = True
            while grew:
                grew = False
                for pid, (ppid, _, _) in stats.items():
                    if pid not in below and str(ppid) in below:
                        below.add(pid)
                        grew = True
            for pid in below - {str(self.root)}:
                if pid in stats:
                    ppid, cpu, cmd = stats[pid]
                    before = self.seen.get(int(pid), {})
                    # a zombie's cmdline is empty, and a fork keeps its parent's: keep the first name seen
                    name = before.get("cmd") or cmd[:200]
                    self.seen[int(pid)] = {"pid": int(pid), "ppid": ppid, "cpu": cpu, "cmd": name,
                                           "fork_of": before.get("fork_of", ppid if cmd and cmd == stats.get(str(ppid), (0, 0, ""))[2] else None)}
            time.sleep(POLL_SECONDS)


def kind(argv: list[str] | str, main: str | None = None, forked: bool = False) -> str:
    """A short name for what a process is."""
    text = argv if isinstance(argv, str) else " ".join(str(a) for a in argv)
    if main == "suture.agent.cli.main" or "suture.agent.cli.main" in text:
        return "suture CLI (main process)" + (" fork" if forked else "")
    for needle, name in (("pytest_forkserver", "warm pytest server"), ("behaviour_child", "behaviour evidence child"),
                         ("crosshair", "crosshair"), ("hypothesis", "hypothesis verifier"),
                         ("counterexample", "counterexample replay"), ("sandbox_leader", "sandbox leader"),
                         ("perf.harness", "timing harness"), ("harness", "timing harness"),
                         ("typeprobe", "type probe"), ("callgrind", "callgrind"), ("pytest", "pytest (fresh)"),
                         ("git ", "git"), ("/git", "git")):
        if needle in text:
            return name + (" fork" if forked else "")
    return (text.split(" ")[0].rsplit("/", 1)[-1] or "?") + (" fork" if forked else "")


def account(rows_file: Path, poller: Poller, total: float) -> dict:
    """Group the reported and polled processes by kind: {kind: {count, cpu}}, plus the residual."""
    rows = [json.loads(line) for line in rows_file.read_text().splitlines()] if rows_file.exists() else []
    reported = {r["pid"] for r in rows}
    groups: dict[str, dict[str, float]] = defaultdict(lambda: {"count": 0, "cpu": 0.0})
    for r in rows:
        g = groups[kind(r["argv"], r.get("main"), r["forked"])]
        g["count"] += 1
        g["cpu"] += r["own"]
    for pid, p in poller.seen.items():
        if pid in reported:
            continue
        g = groups[kind(p["cmd"], forked=p.get("fork_of") is not None) + " (polled)"]
        g["count"] += 1
        g["cpu"] += p["cpu"]
    named = sum(g["cpu"] for g in groups.values())
    out = {k: {"count": int(v["count"]), "cpu": round(v["cpu"], 3)}
           for k, v in sorted(groups.items(), key=lambda kv: -kv[1]["cpu"])}
    return {"total": round(total, 3), "named": round(named, 3), "residual": round(total - named, 3), "kinds": out,
            "rows": rows}
