"""Run records read back: `suture replay RUN` and `suture fix --resume RUN`.

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
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.agent import guard, runs
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.fix.pipeline import FixOptions, FixProgress, run_fix
from suture.tools.git import gitstate
from suture.tools.llm.client import BudgetExceeded, LLMClient, Reply, ToolCall, Totals, Usage, head_tail

log = logging.getLogger("suture.replay")

# A recorded run with a model that never called it (the rule engine fixed the bug first) still
# replays with a model, so the time split between rule engine and planner is the recorded one;
# the script then holds this one turn, and a replay that does call the model has diverged.
UNUSED_TURN = {"text": "(suture replay: the recorded run asked the model nothing at this point)"}
SHOWN_OUTPUT_CHARS = 600


@dataclass
class RecordedRun:
    """One fix run's record, read back from its directory."""

    run_id: str
    run_dir: Path
    base: str
    options: dict[str, Any]
    events: list[dict[str, Any]]

    @property
    def finished(self) -> bool:
        return any(e.get("event") == "end" for e in self.events)

    @property
    def status(self) -> str:
        return next((str(e.get("status")) for e in self.events if e.get("event") == "end"), "interrupted")

    @property
    def model(self) -> str | None:
        # Records written before the start event named the model still name it in each turn.
        return self.options.get("model") or next((e.get("model") for e in self.model_turns), None)

    @property
    def model_turns(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == "model"]

    def outputs_after(self, turn: int) -> list[str]:
        """The tool outputs logged after model turn number `turn` (0-based) and before the next one."""
        seen, outputs = -1, []
        for event in self.events:
            if event.get("event") == "model":
                seen += 1
                if seen > turn:
                    break
            elif event.get("event") == "tool" and seen == turn:
                outputs.append(str(event.get("output", "")))
        return outputs

    def report(self) -> dict[str, Any]:
        path = self.run_dir / "report.json"
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            raise SutureExit(f"run {self.run_id} has no readable report.json, so there is no patch to compare "
                             "a replay with.") from None


# -- finding and reading a run ----------------------------------------------------------------


def read_run(run: str, repo: Path | None = None) -> tuple[Path, RecordedRun]:
    """The repository and the record of `run` (a run id under <repo>/.suture/runs, or a run directory).

    Without `repo`, a run directory's repository is the one holding its `.suture/`, and a
    run id's is the current directory.
    """
    path = Path(run).expanduser()
    if "/" in run or path.is_dir():
        if not path.is_dir():
            raise SutureExit(f"{run} is not a run directory.")
        run_dir = path.resolve()
        if repo is None:
            inside_suture = run_dir.parent.name == "runs" and run_dir.parent.parent.name == ".suture"
            repo = guard.resolve_repo(run_dir.parents[2] if inside_suture else None)
    else:
        repo = repo or guard.resolve_repo(None)
        runs_dir = repo / ".suture" / "runs"
        run_dir = runs_dir / run
        if not run_dir.is_dir():
            known = sorted(p.name for p in runs_dir.glob("*-fix-*")) if runs_dir.is_dir() else []
            hint = f"; the latest fix run there is {known[-1]}" if known else "; no fix run is recorded there"
            raise SutureExit(f"there is no run {run} in {runs_dir}{hint}.")
    runs.check_run_dir(run_dir)
    return repo, _read_record(run_dir)


def _read_record(run_dir: Path) -> RecordedRun:
    path = run_dir / "trajectory.jsonl"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        raise SutureExit(f"{run_dir} holds no trajectory.jsonl, so it is not a record of suture fix.") from None
    events = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):  # a run killed while writing leaves half a last line
                break
            raise SutureExit(f"line {number} of {path} is not valid JSON; the run record is damaged.") from None
    start = events[0] if events and events[0].get("event") == "start" else None
    if start is None or not start.get("base") or not isinstance(start.get("options"), dict):
        raise SutureExit(f"{path} does not start with a fix run's start event, so it cannot be replayed.")
    return RecordedRun(run_dir.name, run_dir, start["base"], start["options"], events)


def check_base(repo: Path, recorded: RecordedRun, doing: str) -> None:
    """Refuse when HEAD is not the commit the run was made at (its model turns refer to that code)."""
    head = gitstate.head_commit(repo)
    if head != recorded.base:
        now = head[:12] if head else "no commit"
        raise SutureExit(f"HEAD moved since run {recorded.run_id}, which was made at commit {recorded.base} "
                         f"(HEAD is now {now}); check that commit out to {doing} it.")


# -- replay -----------------------------------------------------------------------------------


@dataclass
class ReplayOutcome:
    report: dict[str, Any]
    exit_code: ExitCode


def script_turn(event: dict[str, Any]) -> dict[str, Any]:
    """A recorded "model" event as one turn of a scripted-provider script (tools/llm/scripted.py)."""
    usage = event.get("usage") or {}
    turn: dict[str, Any] = {
        "text": event.get("text") or "",
        # The ids are kept so the replayed conversation is the recorded one, byte for byte. A call the
        # model sent malformed arguments for cannot be scripted; it replays with empty arguments.
        "tool_calls": [{"id": c.get("id"), "name": c["function"]["name"], "arguments": _arguments(c)}
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
               on_progress: Callable[[FixProgress], None] | None = None) -> ReplayOutcome:
    """Re-run the recorded fix run `run` at its base commit and compare the patch that comes out."""
    repo, recorded = read_run(run, repo)
    if not recorded.finished:
        raise SutureExit(f"run {recorded.run_id} did not finish, so it has no patch to reproduce; "
                         f"continue it with `suture fix --resume {recorded.run_id}`.")
    check_base(repo, recorded, "replay")
    original = recorded.report()
    replay_dir = runs.new_run_dir(repo, "replay")
    script = None
    if recorded.model:
        script = write_script(replay_dir / "script.jsonl", recorded.model_turns)
    options = _recorded_options(recorded, model=f"scripted:{script}" if script else None, mode="print")
    error = None
    replayed: dict[str, Any] = {}
    try:
        replayed = run_fix(repo, options, on_progress=on_progress).report
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
    if reproduced:
        report["patch"] = got["patch"]
    else:
        report["recorded"], report["replayed"] = want, got
        if error:
            report["error"] = error
        if replayed.get("run_dir"):
            report["first_difference"] = first_difference(recorded, _read_record(Path(replayed["run_dir"])))
    runs.write_report(replay_dir, report)
    return ReplayOutcome(report, ExitCode.DONE if reproduced else ExitCode.NOTHING_FOUND)


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
                   max_cost: float | None = None, time_limit: float | None = None,
                   mode: str = "print") -> tuple[Path, FixOptions]:
    """The repository and the options that continue the interrupted run `run`.

    The recorded options hold, except what is given here: the model (default: the recorded
    one, with its api_base), the cost budget for the whole run, the time limit, and the delivery mode.
    """
    repo, recorded = read_run(run, repo)
    if recorded.finished:
        raise SutureExit(f"run {recorded.run_id} already finished (status {recorded.status}); only an interrupted "
                         f"run can be resumed, and `suture replay {recorded.run_id}` re-runs a finished one.")
    check_base(repo, recorded, "resume")
    if model is None:
        model = recorded.model
        api_base = api_base or recorded.options.get("api_base")
    options = _recorded_options(recorded, model=model, mode=mode)
    options.api_base = api_base
    options.max_cost = max_cost if max_cost is not None else options.max_cost
    options.time_limit = time_limit if time_limit is not None else options.time_limit
    options.resume_from = recorded
    return repo, options


def _recorded_options(recorded: RecordedRun, *, model: str | None, mode: str) -> FixOptions:
    o, default = recorded.options, FixOptions()
    return FixOptions(
        test_cmd=o.get("test_cmd"), failing_tests=tuple(o.get("failing_tests") or ()),
        issue_text=o.get("issue_text"), time_limit=float(o.get("time_limit") or default.time_limit),
        max_candidates=int(o.get("max_candidates") or default.max_candidates), mode=mode,
        workers=int(o.get("workers") or default.workers), model=model, max_cost=o.get("max_cost"),
        max_steps=int(o.get("max_steps") or default.max_steps), allow_paths=tuple(o.get("allow_paths") or ()),
        map_tokens=int(o.get("map_tokens") or default.map_tokens), verify=bool(o.get("verify", default.verify)),
        samples=int(o.get("samples") or default.samples), text_tools=bool(o.get("text_tools", default.text_tools)),
    )


@dataclass
class PlaybackClient:
    """An LLM client that answers from an interrupted run's record while it lasts, then asks `model`.

    `totals` count the whole run (played-back turns with their recorded usage and cost), and
    `max_cost` bounds that whole; `played` says how many turns came from the record.
    """

    recorded: RecordedRun
    delegate: LLMClient
    max_cost: float | None = None
    totals: Totals = field(default_factory=Totals)
    played: int = 0
    diverged_at: int | None = None  # the model call (1-based) whose recorded turn was not played

    def __post_init__(self) -> None:
        self.model = self.delegate.model
        self.turns = self.recorded.model_turns

    def check_budget(self) -> None:
        if self.max_cost is not None and self.totals.cost_usd >= self.max_cost:
            raise BudgetExceeded(self.max_cost, self.totals.cost_usd, self.totals.calls)

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
                 **params: Any) -> Reply:
        self.check_budget()
        if self.diverged_at is None and self.played < len(self.turns):
            if self.played == 0 or self._agrees(messages, self.played - 1):
                reply = recorded_reply(self.turns[self.played])
                self.played += 1
                self.totals.add(reply)
                return reply
            self.diverged_at = self.played + 1
            log.warning("resuming run %s: the tool outputs before model call %s differ from the record, so the model "
                        "takes over there instead of the recorded turn.", self.recorded.run_id, self.diverged_at)
        reply = self.delegate.complete(messages, tools, **params)
        self.totals.add(reply)
        return reply

    def _agrees(self, messages: list[dict[str, Any]], turn: int) -> bool:
        """Whether the tool results since the last model turn are the ones recorded after turn `turn`."""
        if not any(m.get("role") == "assistant" for m in messages):
            return True  # a conversation of its own (choosing, reproducing): nothing of the record to check
        latest: list[str] = []
        for message in reversed(messages):
            if message.get("role") == "assistant":
                break
            if message.get("role") == "tool":
                latest.append(str(message.get("content") or ""))
        wanted = self.recorded.outputs_after(turn)
        if len(latest) < len(wanted):
            return False
        # Newest first: results for malformed calls come before the real ones. The planner may append
        # its reflection to an output, and summarises old outputs (never the newest few).
        return all(seen.startswith(want) or seen.startswith("[summarised]")
                   for seen, want in zip(latest, reversed(wanted)))


def recorded_reply(event: dict[str, Any]) -> Reply:
    """A recorded "model" event as the Reply the client gave then."""
    usage = event.get("usage") or {}
    calls = [ToolCall(str(c.get("id")), c["function"]["name"], _arguments(c), c.get("error"))
             for c in event.get("tool_calls") or []]
    return Reply(text=event.get("text") or "", tool_calls=calls,
                 usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)),
                             bool(usage.get("estimated", False))),
                 cost_usd=float(event.get("cost_usd") or 0.0), cost_known=bool(event.get("cost_known", True)),
                 model=str(event.get("model") or ""), finish_reason="tool_calls" if calls else "stop")


def _arguments(call: dict[str, Any]) -> dict[str, Any]:
    raw = call.get("function", {}).get("arguments") or "{}"
    try:
        arguments = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return {}
    return arguments if isinstance(arguments, dict) else {}
