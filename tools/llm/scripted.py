"""The scripted provider: model turns played back from a JSONL file, every request recorded.

Tests drive the whole agent with it, and a user reproduces a run from a shell with
`--model scripted:PATH`. One JSON object per line is one model turn:

    {"text": "Looking at the parser first.", "tool_calls": [{"name": "search", "arguments": {"query": "parse"}}]}
    {"text": "Done.", "usage": {"prompt_tokens": 900, "completion_tokens": 40}, "cost_usd": 0.002}
    {"error": "rate_limit"}                      # or {"error": {"kind": "context_window", "message": "..."}}

Fields: `text` and/or `tool_calls` (each `name`, `arguments` object, optional `id`), or `error`
(a failure kind of tools.llm: the shared retry and shrink logic then runs exactly as for a
real provider, consuming the next turn); optional `usage`, `cost_usd`, `finish_reason`.
Without `usage` the tokens are estimated as characters / 4 and flagged `estimated`.

Each request is appended to the transcript (JSONL, default PATH with the suffix
`.transcript.jsonl`, emptied when the client is made) as it is made: `call`, `line` (the
script line that answered, null once the script has run out), `model`, `messages`, `tools`,
`params` -- the messages as the model saw them (after a context shrink, or rewritten for
the text tool mode).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from suture.tools.llm.base import (
    ERROR_KINDS,
    SCRIPT,
    LLMError,
    Reply,
    ToolCall,
    Usage,
    _ClientBase,
)

TURN_FIELDS = ("text", "tool_calls", "usage", "cost_usd", "finish_reason", "error")
SCRIPTABLE_ERRORS = tuple(kind for kind in ERROR_KINDS if kind != SCRIPT)


class ScriptedClient(_ClientBase):
    """Plays the turns of a script file in order, one per request, and records each request."""

    def __init__(
        self, path: str | os.PathLike[str], *, transcript: str | os.PathLike[str] | None = None, **options: Any
    ):
        options.setdefault("backoff_base", 0.0)  # nothing to wait for between played-back retries
        super().__init__(f"scripted:{path}", **options)
        self.path = Path(path)
        self.turns = load_script(self.path)  # [(line number, turn)]
        self.transcript_path = Path(transcript) if transcript else self.path.with_suffix(".transcript.jsonl")
        if self.transcript_path.resolve() == self.path.resolve():
            raise LLMError(f"the scripted transcript would overwrite the script {self.path}; name another file.", SCRIPT)
        try:  # a fresh transcript per client, so a stale one never reads as this run's
            self.transcript_path.write_text("")
        except OSError as exc:
            message = f"cannot write the scripted transcript {self.transcript_path}: {exc.strerror}."
            raise LLMError(message, SCRIPT) from exc
        self.requests = 0

    def _call(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, params: dict[str, Any]
    ) -> Reply:
        self.requests += 1
        index = self.requests - 1
        line, turn = self.turns[index] if index < len(self.turns) else (None, None)
        request = {"call": self.requests, "line": line, "model": self.model}
        self._record({**request, "messages": messages, "tools": tools, "params": params})
        if turn is None:
            raise LLMError(
                f"the scripted model {self.path} has no turn left for call {self.requests} "
                f"(it holds {len(self.turns)}).",
                SCRIPT,
            )
        if "error" in turn:
            kind, message = turn["error"]["kind"], turn["error"].get("message")
            raise LLMError(message or f"scripted {kind} failure (line {line} of {self.path})", kind)
        calls = [
            ToolCall(str(item.get("id") or f"call_{self.requests}_{k}"), item["name"], dict(item["arguments"]))
            for k, item in enumerate(turn.get("tool_calls", []))
        ]
        text = turn.get("text", "")
        if "usage" in turn:
            usage = Usage(turn["usage"].get("prompt_tokens", 0), turn["usage"].get("completion_tokens", 0))
        else:
            sent = json.dumps([messages, tools], default=str)
            said = text + json.dumps([[c.name, c.arguments] for c in calls])
            usage = Usage(math.ceil(len(sent) / 4), math.ceil(len(said) / 4), estimated=True)
        return Reply(
            text=text,
            tool_calls=calls,
            usage=usage,
            cost_usd=float(turn.get("cost_usd", 0.0)),
            cost_known="cost_usd" in turn,
            model=self.model,
            finish_reason=turn.get("finish_reason") or ("tool_calls" if calls else "stop"),
        )

    def _record(self, request: dict[str, Any]) -> None:
        # Appended and closed per request, so a crash mid-run leaves every request on disk.
        with self.transcript_path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(request, default=str) + "\n")


def load_script(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The turns of a script file as (line number, turn); LLMError naming the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise LLMError(f"the scripted model file {path} does not exist.", SCRIPT) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LLMError(f"cannot read the scripted model file {path}: {exc}.", SCRIPT) from None
    turns = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            turn = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LLMError(f"line {number} of {path} is not valid JSON ({exc.msg}).", SCRIPT) from None
        problem = _turn_problem(turn)
        if problem:
            raise LLMError(f"line {number} of {path} {problem}.", SCRIPT)
        if isinstance(turn.get("error"), str):
            turn["error"] = {"kind": turn["error"]}
        turns.append((number, turn))
    if not turns:
        raise LLMError(f"the scripted model file {path} holds no turns.", SCRIPT)
    return turns


def _turn_problem(turn: Any) -> str | None:
    """What is wrong with one scripted turn, as the end of a sentence; None when it is fine."""
    if not isinstance(turn, dict):
        return "is not a JSON object"
    unknown = sorted(set(turn) - set(TURN_FIELDS))
    if unknown:
        return f"has unknown field(s) {', '.join(unknown)} (a turn holds {', '.join(TURN_FIELDS)})"
    if "error" in turn:
        error = turn["error"]
        kind = error.get("kind") if isinstance(error, dict) else error
        if kind not in SCRIPTABLE_ERRORS:
            return f"has an error kind {kind!r} that is none of {', '.join(SCRIPTABLE_ERRORS)}"
        if isinstance(error, dict) and not isinstance(error.get("message", ""), str):
            return "has an error message that is not a string"
        if "text" in turn or "tool_calls" in turn:
            return "has an error and a reply; a failed turn holds no text or tool_calls"
        return None
    if "text" not in turn and "tool_calls" not in turn:
        return "has neither text nor tool_calls"
    if not isinstance(turn.get("text", ""), str):
        return "has a text that is not a string"
    calls = turn.get("tool_calls", [])
    if not isinstance(calls, list):
        return "has tool_calls that are not a list"
    for k, call in enumerate(calls, start=1):
        well_formed = isinstance(call, dict) and isinstance(call.get("name"), str)
        if not well_formed or not isinstance(call.get("arguments"), dict):
            return f"has tool call {k} without a name (string) and arguments (object)"
    usage = turn.get("usage", {})
    counts = ("prompt_tokens", "completion_tokens")
    if not (isinstance(usage, dict) and all(isinstance(usage.get(k, 0), int) for k in counts)):
        return "has a usage that is not {prompt_tokens: int, completion_tokens: int}"
    cost = turn.get("cost_usd", 0.0)
    if isinstance(cost, bool) or not isinstance(cost, (int, float)) or cost < 0:
        return "has a cost_usd that is not a number of dollars >= 0"
    return None
