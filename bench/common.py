"""Shared helpers of the benchmark scripts: the machine line, timed and
memory-sampled subprocess runs, a corpus run through `suture batch`, and appending
results to bench/RESULTS.md."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    # Other work on the machine skews wall times; the load says how much there was.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, load average {load}"
    )


def _session_rss_bytes(sid: int) -> int:
    """Summed RSS of every process in session `sid` (the measured command and its workers)."""
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) == sid:  # field 6 of stat: session id
                total += int(fields[21]) * page  # field 24: rss in pages
        except (OSError, ValueError, IndexError):
            continue
    return total


def run(cmd: list[str], *, sample_memory: bool = False, env: dict | None = None) -> tuple[float, int, str]:
    """Run `cmd` in its own session; return (wall seconds, peak summed RSS bytes or 0, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, env=env
    )
    peak = 0
    if sample_memory:
        # Polling costs CPU the measured run competes for, so memory runs are not timed.
        while proc.poll() is None:
            peak = max(peak, _session_rss_bytes(proc.pid))
            time.sleep(0.02)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    return wall, peak, out


def run_cpu(cmd: list[str]) -> tuple[float, float, str]:
    """Run `cmd`; return (wall seconds, CPU seconds of it and every descendant it waited for, stdout).

    CPU time barely moves when other work shares the machine, so it backs up noisy wall times.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, _, out = run(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out


def last_json_object(stdout: str) -> dict:
    """The JSON object a `--json` command prints as its last line; {} when there is none."""
    lines = stdout.strip().splitlines()
    try:
        found = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def append_results(title: str, body: str) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = "" if RESULTS.exists() else "# Benchmark results\n\nAppended by the scripts in bench/; newest last.\n"
    with RESULTS.open("a") as f:
        f.write(f"{header}\n## {title} — {stamp}\n\nMachine: {machine()}\n\n{body.rstrip()}\n")


def python() -> str:
    return sys.executable


def suture_exe() -> str:
    """The `suture` of the interpreter running the bench (its venv's console script)."""
    return str(Path(sys.executable).with_name("suture"))


def run_batch(tasks: list[dict], work: Path, workers: int, task_time_limit: float) -> tuple[dict[str, dict], float]:
    """A corpus through the product path: `tasks` (TASKS.jsonl lines: id, repo, command, args) written to
    work/tasks.jsonl and run by one `suture batch --workers N --json`; then each task's JSON report, read
    back from results.jsonl, as the single command would have printed it (a task that crashed or timed
    out: {"status": "error", "error": ...}), plus `exit_code`, `wall` (the task's seconds) and `killed`
    (stopped at `task_time_limit`), by task id; and the batch's wall seconds."""
    work.mkdir(parents=True, exist_ok=True)
    tasks_file = work / "tasks.jsonl"
    tasks_file.write_text("".join(json.dumps(task) + "\n" for task in tasks))
    out = work / "out"
    cmd = [suture_exe(), "batch", str(tasks_file), "--workers", str(workers), "--out", str(out), "--json",
           "--task-time-limit", f"{task_time_limit:g}"]
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True)  # its progress stays on stderr
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"`suture batch` exited {done.returncode}: {done.stdout[-300:]}")
    reports = {}
    for line in (out / "results.jsonl").read_text().splitlines():
        result = json.loads(line)
        report = dict(result.get("report") or {"status": "error", "error": result.get("error") or "no JSON report"})
        report.setdefault("status", "error")
        report.update(exit_code=result.get("exit_code"), wall=result.get("seconds") or 0.0,
                      killed=result.get("outcome") == "timeout")
        reports[result["id"]] = report
    return reports, wall


def busy_cpu_seconds() -> float:
    """CPU-seconds the whole machine has spent busy since boot (/proc/stat; 0.0 where there is none).

    A run's own rusage misses the sandboxed and forked processes it starts, so the machine's count is
    the one that shows how many cores one `suture fix` keeps busy: that share of the cores bounds what
    running two at a time can gain (a run that keeps 1.8 of 2 cores busy leaves a batch at most 10%)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
