"""Workloads `suture optimize` cannot help with, each said in one sentence in the report.

What the profiled run of each round shows (tools/perf/profile.py, tools/perf/spawns.py):
- child processes or threads started while profiled: cProfile follows one thread of one process, so
  the hot spots it names are not where the children's or the other threads' time goes. The bench is
  left alone: nothing is tried, and the run ends as "no significant speed-up" (exit 1), as a profile
  with nothing to rewrite does.
- hot code in C: a hot function whose time is mostly (over C_BOUND_SHARE) inside the C functions it
  calls (`sorted`, hashing, a regex over a long string) is as fast as a rewrite of its Python gets, so
  it is not a place to rewrite. A function target is the exception: a rule may still remove C calls
  from its loop (hoisting `min(values)`), so its Python part is still tried, and the report says so.
(Non-deterministic benches are refused earlier, at the repeat check, as bad input: agent/optimize/bench.py.)
Each finding goes to the report's `workload_checks` (kind, bench, round, sentence, details), the
trajectory and, when it ends the bench, `stopped_because`.
"""

from __future__ import annotations

from typing import Any

from suture.agent.optimize.state import OptimizeState

C_BOUND_SHARE = 0.9  # tools/perf/profile.py's max_c_share: over this share in C, a function is "in C"
# A function in C is named when it takes at least this share of the run (the target always): one that
# takes 2% would change nothing, and the report would fill with json.dumps callers.
C_REPORT_SHARE = 0.05


def _counted(what: dict[str, int]) -> str:
    return ", ".join(f"{how} {n}" for how, n in sorted(what.items(), key=lambda item: (-item[1], item[0])))


def spawn_findings(started: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """The findings for the processes and threads a profiled run started ([] when none)."""
    found = []
    processes, threads = started.get("processes") or {}, started.get("threads") or {}
    if processes:
        n = sum(processes.values())
        found.append({"kind": "processes", "started": processes, "sentence": (
            f"the workload started {n} child process{'es' if n > 1 else ''} ({_counted(processes)}): the profile "
            "sees only the workload's own process and cannot say where the children spend their time, "
            "so nothing was tried")})
    if threads:
        n = sum(threads.values())
        found.append({"kind": "threads", "started": threads, "sentence": (
            f"the workload started {n} thread{'s' if n > 1 else ''} ({_counted(threads)}): the profile follows "
            "the main thread only and cannot say where the other threads spend their time, so nothing was tried")})
    return found


def check_started(state: OptimizeState, bench: Any, round_number: int, started: dict[str, dict[str, int]]) -> bool:
    """Record what the profiled run started; True when the bench is to be left alone (processes or threads)."""
    found = spawn_findings(started)
    if not found:
        return False
    for finding in found:
        _add(state, bench, round_number, finding)
    kinds = " and ".join("child processes" if f["kind"] == "processes" else "threads" for f in found)
    state.stopped_because = (f"the workload starts {kinds}, which the profile does not follow, so nothing was tried"
                             + (f" on {bench.label}" if len(state.options.targets) > 1 else ""))
    return True


def c_findings(in_c: list[dict[str, Any]], target: tuple[str | None, str | None]) -> list[dict[str, Any]]:
    """A finding per hot function whose time is mostly in C; the target's says its Python part is still tried."""
    found = []
    for spot in in_c:
        place = (spot["path"], spot["function"])
        if place != target and spot["share"] < C_REPORT_SHARE:
            continue
        calls = ", ".join(spot.get("c_calls") or ()) or "builtins"
        share = f"{spot['c_share'] * 100:.0f}%"
        tried = place == target
        outcome = ("; it is the target, so its Python part was still tried" if tried else
                   ", which rewriting its Python cannot speed up, so it was not tried")
        found.append({"kind": "c_code", "path": place[0], "function": place[1], "c_share": round(spot["c_share"], 3),
                      "c_calls": list(spot.get("c_calls") or ()), "tried": tried, "sentence": (
                          f"`{place[0]}::{place[1]}` spends {share} of its time in C code it calls ({calls})"
                          + outcome)})
    return found


def check_c_bound(state: OptimizeState, bench: Any, round_number: int, in_c: list[dict[str, Any]]) -> str:
    """Record the hot functions that are in C; the start of the sentence that ends the bench if nothing else
    is tried ("" when no hot function is in C)."""
    found = c_findings(in_c, (bench.path, bench.function) if bench.kind == "function" else (None, None))
    for finding in found:
        _add(state, bench, round_number, finding)
    if not found:
        return ""
    shown = ", ".join(f"`{f['function']}` {f['c_share'] * 100:.0f}% in {', '.join(f['c_calls']) or 'builtins'}"
                      for f in found[:3])
    return f"the hot code is in C ({shown}), which rewriting Python cannot speed up"


def _add(state: OptimizeState, bench: Any, round_number: int, finding: dict[str, Any]) -> None:
    """Keep a finding once per bench (a later round's profile says the same again)."""
    same = [f for f in state.workload_checks if f["bench"] == bench.label and f["kind"] == finding["kind"]
            and f.get("function") == finding.get("function")]
    if same:
        return
    finding = {"bench": bench.label, "round": round_number, **finding}
    state.workload_checks.append(finding)
    state.log("workload_check", **finding)
