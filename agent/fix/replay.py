"""Run records read back: `suture replay RUN` and `suture fix|optimize --resume RUN`.

Optimize runs replay and resume the same way (their model answers are "model" events too,
and an --interactive run's answers, "interactive" events, are given back in order); the
record reading and the playback client live in agent/playback.py.

A fix run appends every step to `.suture/runs/<id>/trajectory.jsonl` as it happens
(agent/fix/pipeline.py, agent/propose/planner.py): the options in "start", each model turn in "model"
(text, tool calls with their arguments, usage, cost), each tool call and its output in
"tool", every gate verdict, and "end" once the run is over.

Every model call of a run, whichever stage makes it, is one "model" event, in call order
(agent.planner.reply_record gives its fields); replay and resume answer the calls in that order.

Replay. The model is the only part of a run that is not deterministic given the base
commit, so a replay turns the recorded model turns into a script for the scripted
provider (tools/llm/scripted.py, written into a new `<id>-replay-*` run dir) and runs
`fix` again at the same commit with the recorded options, in "print" mode (a replay
never writes to the tree). Everything else (baseline, localisation, the rule engine,
the tools, the gates) runs for real, so the replay checks that the record really
explains the patch. A rule-engine run needs no script. The verdict is "reproduced"
when the same status and the same patch come out; otherwise both patches are shown
with the first observation (a gate verdict or a tool output) that came out different.

Resume. An interrupted run (no "end" event: killed, or stopped by a provider error)
is continued by running it again from the start with a `PlaybackClient` in place of
the model: it answers the planner's first calls with the recorded turns and hands
every later call to the real model. Rejected alternative: restoring the planner's
state (messages, plans, loop-breaker memory, candidate numbering) from the record,
which would couple this module to every detail of agent/propose/planner.py. Playing the turns
back instead rebuilds that state by construction, costs no tokens (only the gates'
time again), and the real model's first call carries the whole conversation so far.
Playback stops early if the repository's answers differ from the record (a flaky
gate, say): before each recorded turn the tool outputs the planner just got are
compared with the recorded ones, and at the first difference the real model takes
over, since the recorded turns answered a conversation that no longer exists.
The cost budget covers the whole run: played-back turns count with their recorded
cost, so a resumed run under its recorded --max-cost may spend only what is left.
A resumed run keeps the recorded options (test command, failing tests, issue, allowed
paths, limits); only the model, its api_base, --max-cost, --time-limit and the delivery
mode may be given anew. A scripted model does not know where a run stopped (it answers
from its first line), so the script given to a resume holds the turns still to come.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suture.agent import runs
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.options import OptimizeOptions
from suture.agent.playback import (PlaybackClient, RecordedRun, arguments_of, check_base, read_record, read_run,
                                   recorded_answers, recorded_reply)
from suture.tools.llm.client import head_tail

__all__ = ["PlaybackClient", "RecordedRun", "ReplayOutcome", "check_base", "describe", "first_difference",
           "read_run", "recorded_reply", "replay_run", "resume_options", "script_turn", "write_script"]

# A recorded run with a model that never called it (the rule engine fixed the bug first) still
# replays with a model, so the time split between rule engine and planner is the recorded one;
# the script then holds this one turn, and a replay that does call the model has diverged.
UNUSED_TURN = {"text": "(suture replay: the recorded run asked the model nothing at this point)"}
SHOWN_OUTPUT_CHARS = 600



# -- replay -----------------------------------------------------------------------------------


@dataclass
class ReplayOutcome:
    report: dict[str, Any]
    exit_code: ExitCode


def script_turn(event: dict[str, Any]) -> dict[str, Any]:
    """A recorded "model" event as one turn of a scripted-provider script (tools/llm/scripted.py)."""
    usage = event.get("usage") or {}
    turn: dict[str, Any] = {
        "text": event.get("text") or event.get("reply") or "",
        # The ids are kept so the replayed conversation is the recorded one, byte for byte. A call the
        # model sent malformed arguments for cannot be scripted; it replays with empty arguments.
        "tool_calls": [{"id": c.get("id"), "name": c["function"]["name"], "arguments": arguments_of(c)}
                       for c in event.get("tool_calls") or []],
        "usage": {"prompt_tokens": int(usage.get("prompt_tokens", 0)),
                  "completion_tokens": int(usage.get("completion_tokens", 0))},
    }
    if event.get("cost_known", True):  # without cost_usd the scripted provider reports the cost as unknown
        turn["cost_usd"] = float(event.get("cost_usd") or 0.0)
    return turn


def write_script(path: Path, turns: list[dict[str, Any]]) -> Path:
    lines = [script_turn(t) for t in turns] or [UNUSED_TURN]
    path.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in lines), encoding="utf-8")
    return path


def replay_run(run: str, repo: Path | None = None,
               on_progress: Callable[[runs.RunProgress], None] | None = None) -> ReplayOutcome:
    """Re-run the recorded fix or optimize run `run` at its base commit and compare the patch that comes out."""
    repo, recorded = read_run(run, repo)
    if not recorded.finished:
        raise SutureExit(f"run {recorded.run_id} did not finish, so it has no patch to reproduce; "
                         f"continue it with `suture {recorded.command} --resume {recorded.run_id}`.")
    check_base(repo, recorded, "replay")
    original = recorded.report()
    replay_dir = runs.new_run_dir(repo, "replay")
    script = None
    if recorded.model:
        script = write_script(replay_dir / "script.jsonl", recorded.model_turns)
    # A replay never writes to the tree, and asks no one: an interactive run's answers come from its record.
    options = recorded.options_record(model=f"scripted:{script}" if script else None, api_base=None, mode="print")
    error = None
    replayed: dict[str, Any] = {}
    try:
        replayed = _rerun(repo, recorded, options, on_progress)
    except SutureExit as exc:
        if exc.code != ExitCode.PROVIDER_ERROR:
            raise
        # The scripted model only fails when the replay asked for more turns than were recorded.
        error = f"the replayed run diverged: {exc.message}"
    want = {"status": original.get("status"), "patch": original.get("patch") or ""}
    got = {"status": replayed.get("status", "error"), "patch": replayed.get("patch") or ""}
    reproduced = error is None and want == got
    report: dict[str, Any] = {
        "reproduced": reproduced,
        "run": recorded.run_id,
        "base": recorded.base,
        "status": got["status"],
        "engine": replayed.get("engine"),
        "model_calls": {"recorded": len(recorded.model_turns), "replayed": _calls_made(script)},
        "replay_dir": str(replay_dir),
        "run_dir": replayed.get("run_dir"),
    }
    if recorded.command != "fix":
        report["command"] = recorded.command
    if reproduced:
        report["patch"] = got["patch"]
    else:
        report["recorded"], report["replayed"] = want, got
        if error:
            report["error"] = error
        if replayed.get("run_dir"):
            report["first_difference"] = first_difference(recorded, read_record(Path(replayed["run_dir"])))
    runs.write_report(replay_dir, report)
    return ReplayOutcome(report, ExitCode.DONE if reproduced else ExitCode.NOTHING_FOUND)


def _rerun(repo: Path, recorded: RecordedRun, options: Any,
           on_progress: Callable[[runs.RunProgress], None] | None) -> dict[str, Any]:
    """The report of the recorded run's pipeline run again with `options`."""
    if isinstance(options, OptimizeOptions):
        from suture.agent.optimize.pipeline import run_optimize

        return run_optimize(repo, options, on_progress=on_progress, ask=recorded_answers(recorded)).report
    from suture.agent.fix.pipeline import run_fix

    return run_fix(repo, options, on_progress=on_progress).report


def first_difference(recorded: RecordedRun, replayed: RecordedRun) -> dict[str, Any] | None:
    """The first gate verdict or tool output of the replay that is not the recorded one."""
    ours, theirs = _observations(recorded.events), _observations(replayed.events)
    for index in range(max(len(ours), len(theirs))):
        a = ours[index] if index < len(ours) else None
        b = theirs[index] if index < len(theirs) else None
        if a != b:
            what = a or b
            return {"event": what["event"], "at": what.get("step", what.get("id")),
                    "recorded": _shown(a), "replayed": _shown(b)}
    return None


def _observations(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # What the run saw, without timings: a gate verdict's outcome, a tool's output.
    keys = {"verdict": ("id", "accepted", "stage", "fixed", "still_failing", "regressions"),
            "tool": ("step", "name", "arguments", "output")}
    if any(e.get("event") == "start" and e.get("command") == "optimize" for e in events[:1]):
        keys = {"candidate": ("id", "source", "functions", "stage", "accepted")}  # optimize's judged candidates
    return [{"event": e["event"], **{k: e.get(k) for k in keys[e["event"]]}}
            for e in events if e.get("event") in keys]


def _shown(observation: dict[str, Any] | None) -> Any:
    if observation is None:
        return None
    if "output" in observation:
        return {**observation, "output": head_tail(str(observation["output"]), SHOWN_OUTPUT_CHARS)}
    return observation


def _calls_made(script: Path | None) -> int:
    if script is None:
        return 0
    transcript = script.with_suffix(".transcript.jsonl")
    try:
        return sum(1 for line in transcript.read_text().splitlines() if line.strip())
    except OSError:
        return 0


def describe(report: dict[str, Any]) -> str:
    """The replay's result for a terminal."""
    calls = report["model_calls"]
    said = f"{calls['replayed']} of {calls['recorded']} recorded model turn(s) played back"
    if report["reproduced"]:
        lines = [f"reproduced: run {report['run']} replayed at {report['base'][:12]} gives the same result "
                 f"(status {report['status']}, {said})."]
        if report["patch"]:
            lines.append(report["patch"].rstrip("\n"))
        return "\n".join(lines) + "\n"
    recorded, replayed = report["recorded"]["status"], report["replayed"]["status"]
    outcome = (f"a different patch (status {recorded} both times" if recorded == replayed
               else f"status {replayed} where the record has {recorded} (")
    lines = [f"NOT reproduced: run {report['run']} replayed at {report['base'][:12]} gives {outcome}, {said})."]
    if report.get("error"):
        lines.append(report["error"])
    difference = report.get("first_difference")
    if difference:
        lines.append(f"first difference: {difference['event']} {difference['at']}")
        lines.append("  recorded: " + json.dumps(difference["recorded"], ensure_ascii=False))
        lines.append("  replayed: " + json.dumps(difference["replayed"], ensure_ascii=False))
    for name in ("recorded", "replayed"):
        patch = report[name]["patch"]
        lines.append(f"--- {name} patch ---")
        lines.append(patch.rstrip("\n") if patch else "(none)")
    return "\n".join(lines) + "\n"


# -- resume -----------------------------------------------------------------------------------


def resume_options(run: str, repo: Path | None = None, *, model: str | None = None, api_base: str | None = None,
                   max_cost: float | None = None, time_limit: float | None = None, mode: str = "print",
                   command: str = "fix") -> tuple[Path, Any]:
    """The repository and the options (FixOptions or OptimizeOptions) that continue the interrupted run `run`.

    The recorded options hold, except what is given here: the model (default: the recorded
    one, with its api_base), the cost budget for the whole run, the time limit, and the delivery mode.
    `command` is the command asked to resume it; a run of the other command is refused.
    """
    repo, recorded = read_run(run, repo)
    if recorded.command != command:
        raise SutureExit(f"run {recorded.run_id} is a {recorded.command} run; resume it with "
                         f"`suture {recorded.command} --resume {recorded.run_id}`.")
    if recorded.finished:
        raise SutureExit(f"run {recorded.run_id} already finished (status {recorded.status}); only an interrupted "
                         f"run can be resumed, and `suture replay {recorded.run_id}` re-runs a finished one.")
    check_base(repo, recorded, "resume")
    if model is None:
        model = recorded.model
        api_base = api_base or recorded.options.get("api_base")
    options = recorded.options_record(model=model, mode=mode, api_base=api_base, resume_from=recorded)
    if max_cost is not None:
        options.max_cost = max_cost
    if time_limit is not None:
        options.time_limit = time_limit
    return repo, options

