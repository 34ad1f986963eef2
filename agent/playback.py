"""A recorded run read back, and its model answers played back (`--resume`, `suture replay`).

A fix or optimize run appends every step to `.suture/runs/<id>/trajectory.jsonl` as it
happens: the options in "start" (agent/options.py's records), each model call in "model",
in call order (agent.planner.reply_record gives its fields), each tool call and gate verdict,
and "end" once the run is over. `RecordedRun` is that file read back; `PlaybackClient`
answers a re-run's model calls from it (agent/fix/replay.py says why resume works this way).

The pipelines import this module (to resume), and agent/fix/replay.py imports the pipelines
(to re-run): this module imports neither, so there is no cycle.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.agent import guard, runs
from suture.agent.exitcodes import SutureExit
from suture.agent.options import OPTIONS_BY_COMMAND
from suture.tools.git import gitstate
from suture.tools.llm.client import BudgetExceeded, LLMClient, Reply, ToolCall, Totals, Usage

log = logging.getLogger("suture.replay")


@dataclass
class RecordedRun:
    """One fix or optimize run's record, read back from its directory."""

    run_id: str
    run_dir: Path
    base: str
    options: dict[str, Any]
    events: list[dict[str, Any]]
    command: str = "fix"  # "fix" | "optimize": which pipeline made it (its start event says)

    def options_record(self, **overrides: Any) -> Any:
        """The recorded options as the command's options record (agent/options.py), then `overrides`."""
        return OPTIONS_BY_COMMAND[self.command].from_record(self.options, **overrides)

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
    runs.check_run_dir(run_dir)  # a record planted in .suture/runs (not made there) is refused
    return repo, read_record(run_dir)


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    """The events of `run_dir`'s trajectory.jsonl (SutureExit when it has none or it is damaged)."""
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
    return events


def read_record(run_dir: Path) -> RecordedRun:
    path = run_dir / "trajectory.jsonl"
    events = read_events(run_dir)
    start = events[0] if events and events[0].get("event") == "start" else None
    if start is None or not start.get("base") or not isinstance(start.get("options"), dict):
        raise SutureExit(f"{path} does not start with a fix run's start event, so it cannot be replayed.")
    # Records written before the start event named its command are fix runs unless the run id says otherwise.
    command = start.get("command") or ("optimize" if "-optimize-" in run_dir.name else "fix")
    if command not in OPTIONS_BY_COMMAND:
        raise SutureExit(f"{path} records a {command} run; only fix and optimize runs can be replayed or resumed.")
    return RecordedRun(run_dir.name, run_dir, start["base"], start["options"], events, command)


def check_base(repo: Path, recorded: RecordedRun, doing: str) -> None:
    """Refuse when HEAD is not the commit the run was made at (its model turns refer to that code)."""
    head = gitstate.head_commit(repo)
    if head != recorded.base:
        now = head[:12] if head else "no commit"
        raise SutureExit(f"HEAD moved since run {recorded.run_id}, which was made at commit {recorded.base} "
                         f"(HEAD is now {now}); check that commit out to {doing} it.")


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
    calls = [ToolCall(str(c.get("id")), c["function"]["name"], arguments_of(c), c.get("error"))
             for c in event.get("tool_calls") or []]
    return Reply(text=event.get("text") or event.get("reply") or "", tool_calls=calls,
                 usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)),
                             bool(usage.get("estimated", False))),
                 cost_usd=float(event.get("cost_usd") or 0.0), cost_known=bool(event.get("cost_known", True)),
                 model=str(event.get("model") or ""), finish_reason="tool_calls" if calls else "stop")


def arguments_of(call: dict[str, Any]) -> dict[str, Any]:
    raw = call.get("function", {}).get("arguments") or "{}"
    try:
        arguments = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return {}
    return arguments if isinstance(arguments, dict) else {}


def recorded_answers(recorded: RecordedRun,
                     then: Callable[[str], str | None] | None = None) -> Callable[[str], str | None]:
    """An `ask` for optimize --interactive that gives the run's recorded answers in order, then asks `then`
    (None: the user did not answer)."""
    answers: Iterator[Any] = iter([e.get("answer") for e in recorded.events if e.get("event") == "interactive"])

    def ask(question: str) -> str | None:
        for answer in answers:
            return answer
        return then(question) if then is not None else None

    return ask
