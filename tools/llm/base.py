"""What every LLM client of suture shares: the protocol, its records and errors, the call loop.

The agent talks to every model through `complete(messages, tools) -> Reply` (`LLMClient`).
`_ClientBase.complete` holds what all clients share: the budget check before a call, retries
with exponential backoff for rate limits, 5xx and connection failures (never for 4xx), one
shrink-and-retry on a context-window overflow, the text-mode tool format for models without
native tool calls, and the running totals of calls, tokens and cost.

The clients live beside it: tools/llm/client.py (litellm, and `make_client`, the one factory) and
tools/llm/scripted.py (the scripted stand-in); both import this module and neither imports
the other, so the three form no import cycle.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

log = logging.getLogger("suture.llm")

DEFAULT_TIMEOUT = 120.0  # seconds per call; long answers from slow local models need minutes
DEFAULT_MAX_RETRIES = 4  # retries after the first attempt, for retryable failures only
TOOL_OUTPUT_CHARS_AFTER_SHRINK = 2000  # a tool output longer than this is cut on a context overflow


# ---------------------------------------------------------------------------------------------
# Types


@dataclass
class ToolCall:
    """One tool call the model asked for. `error` is set (and `arguments` empty) when the
    model's arguments were not a JSON object: the agent answers that as a format error."""

    id: str
    name: str
    arguments: dict[str, Any]
    error: str | None = None

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments)},
        }


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False  # True when counted as characters / 4 (the scripted client without usage)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class Reply:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    cost_known: bool = False  # False: the provider's price is unknown and cost_usd is 0.0
    model: str = ""
    finish_reason: str = ""
    retries: int = 0  # retryable failures before this reply
    context_shrunk: bool = False  # the messages were shrunk once to fit the context window

    def to_message(self) -> dict[str, Any]:
        """The assistant message to append to the conversation."""
        # null content is how OpenAI spells "tool calls only"; some providers refuse it otherwise
        message: dict[str, Any] = {"role": "assistant", "content": self.text or (None if self.tool_calls else "")}
        if self.tool_calls:
            message["tool_calls"] = [call.to_openai() for call in self.tool_calls]
        return message


def tool_result_message(call: ToolCall, content: str) -> dict[str, Any]:
    """The message that answers `call` with a tool's output."""
    return {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content}


@dataclass
class Totals:
    """Running totals over every successful call of one client."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0  # calls whose cost was unknown and counted as $0.00

    def add(self, reply: Reply) -> None:
        self.calls += 1
        self.prompt_tokens += reply.usage.prompt_tokens
        self.completion_tokens += reply.usage.completion_tokens
        self.cost_usd += reply.cost_usd
        self.unpriced_calls += 0 if reply.cost_known else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "tokens": self.prompt_tokens + self.completion_tokens,
            "usd": round(self.cost_usd, 6),
            "unpriced_calls": self.unpriced_calls,
        }


class LLMClient(Protocol):
    model: str
    totals: Totals

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> Reply: ...


# ---------------------------------------------------------------------------------------------
# Errors

# Failure kinds. Only RETRYABLE ones are retried; CONTEXT_WINDOW gets one shrink instead.
AUTH, NOT_FOUND, BAD_REQUEST, RATE_LIMIT, SERVER, CONNECTION, TIMEOUT, CONTEXT_WINDOW, SCRIPT = (
    "auth", "not_found", "bad_request", "rate_limit", "server", "connection", "timeout",
    "context_window", "script",
)  # fmt: skip
ERROR_KINDS = (AUTH, NOT_FOUND, BAD_REQUEST, RATE_LIMIT, SERVER, CONNECTION, TIMEOUT, CONTEXT_WINDOW, SCRIPT)
RETRYABLE = frozenset({RATE_LIMIT, SERVER, CONNECTION})


class LLMError(Exception):
    """The model could not be asked: one sentence for the user (the CLI exits with 4).

    `kind` is one of ERROR_KINDS; `status` the provider's HTTP status when there was one;
    `retry_after` the provider's Retry-After in seconds, when it sent one.
    """

    def __init__(self, message: str, kind: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


class BudgetExceeded(Exception):
    """The cost budget is spent; raised before a call that would exceed it (the CLI exits with 5)."""

    def __init__(self, limit_usd: float, spent_usd: float, calls: int):
        self.limit_usd = limit_usd
        self.spent_usd = spent_usd
        self.message = (
            f"the LLM budget of ${limit_usd:.4f} is spent (${spent_usd:.4f} over {calls} calls), "
            "so suture stops before the next model call."
        )
        super().__init__(self.message)


# ---------------------------------------------------------------------------------------------
# The shared call loop


class _ClientBase:
    """Budget, retries, context shrinking, text-mode tools and totals; subclasses implement `_call`."""

    def __init__(
        self,
        model: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        max_cost: float | None = None,
        tool_mode: str = "native",
        tool_instructions: str = "",
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ):
        if tool_mode not in ("native", "text"):
            raise ValueError(f"tool_mode must be 'native' or 'text', not {tool_mode!r}")
        if tool_mode == "text" and not tool_instructions.strip():
            raise ValueError("a text-mode client needs the tool instructions (prompts/text_tools.md)")
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_cost = max_cost
        self.tool_mode = tool_mode
        self.tool_instructions = tool_instructions
        self.totals = Totals()
        self._sleep = sleep
        self._jitter = jitter

    def _call(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, params: dict[str, Any]
    ) -> Reply:
        """One request to the model; raise LLMError on failure."""
        raise NotImplementedError

    def check_budget(self) -> None:
        """Raise BudgetExceeded when the spent cost has reached max_cost (a budget of 0 allows no call)."""
        if self.max_cost is not None and self.totals.cost_usd >= self.max_cost:
            raise BudgetExceeded(self.max_cost, self.totals.cost_usd, self.totals.calls)

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> Reply:
        self.check_budget()
        params = {"temperature": temperature, "max_tokens": max_tokens, "timeout": timeout or self.timeout}
        text_tools = bool(tools) and self.tool_mode == "text"
        if text_tools:
            messages, tools = messages_as_text(messages, tools or [], self.tool_instructions), None
        retries, shrunk = 0, False
        while True:
            try:
                reply = self._call(messages, tools, params)
                break
            except LLMError as err:
                if err.kind == CONTEXT_WINDOW and not shrunk:
                    smaller = shrink_messages(messages)
                    if smaller is not None:
                        log.warning("%s: context window exceeded; retrying once with a shrunk conversation", self.model)
                        messages, shrunk = smaller, True
                        continue
                if err.kind == CONTEXT_WINDOW:
                    what = "even after suture shrank it once" if shrunk else "and suture found nothing to cut"
                    message = (
                        f"the conversation does not fit the context window of {self.model} {what} ({err.message})."
                    )
                    raise LLMError(message, CONTEXT_WINDOW, status=err.status) from err
                if err.retryable and retries < self.max_retries:
                    delay = self._backoff(retries, err.retry_after)
                    log.warning("%s: %s (%s); retry %d in %.1f s", self.model, err.kind, err.status, retries + 1, delay)
                    self._sleep(delay)
                    retries += 1
                    continue
                if err.retryable and retries:
                    message = f"{err.message.rstrip('.')} (gave up after {retries + 1} attempts)."
                    raise LLMError(message, err.kind, status=err.status) from err
                raise
        if text_tools:
            reply.tool_calls = parse_text_tool_calls(reply.text, id_prefix=f"text_call_{self.totals.calls + 1}_")
            reply.finish_reason = "tool_calls" if reply.tool_calls else reply.finish_reason
        reply.retries, reply.context_shrunk = retries, shrunk
        self.totals.add(reply)
        return reply

    def _backoff(self, retry: int, retry_after: float | None) -> float:
        # Exponential backoff times a jitter factor in [0.5, 1) so parallel runs do not retry in step;
        # a provider's Retry-After wins when it asks for longer (capped like the rest).
        delay = min(self.backoff_max, self.backoff_base * 2**retry) * (0.5 + self._jitter() / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay


# ---------------------------------------------------------------------------------------------
# Context shrinking


def shrink_messages(
    messages: list[dict[str, Any]], *, tool_output_chars: int = TOOL_OUTPUT_CHARS_AFTER_SHRINK
) -> list[dict[str, Any]] | None:
    """One shrink step after a context-window overflow; None when nothing can be cut.

    Kept whole: the leading system messages, the first message after them (the task), and the
    latest turn (the newest assistant message with its tool results, or the newest user
    message). Of the turns between, the oldest half is dropped, a turn being an assistant
    message together with its tool results so no tool result loses the call it answers.
    Then every tool output longer than `tool_output_chars`, the latest included (a huge file
    read is the usual culprit), keeps its head and tail only. The caller's list is not changed.
    """
    start = 0
    while start < len(messages) and messages[start].get("role") == "system":
        start += 1
    head = [dict(m) for m in messages[: start + 1]]
    turns: list[list[dict[str, Any]]] = []
    for message in messages[start + 1 :]:
        if message.get("role") == "tool" and turns:
            turns[-1].append(dict(message))
        else:
            turns.append([dict(message)])
    middle, latest = turns[:-1], turns[-1:]
    dropped = middle[: (len(middle) + 1) // 2]
    kept = middle[len(dropped) :]
    if dropped:
        dropped_count = sum(len(turn) for turn in dropped)
        note = f"\n\n[suture removed {dropped_count} older messages here to fit the model's context window]"
        task = head[-1]
        if isinstance(task.get("content"), str) and task.get("role") == "user":
            task["content"] += note
    shrunk = head + [m for turn in kept + latest for m in turn]
    cut_any = False
    for message in shrunk:
        content = message.get("content")
        if message.get("role") == "tool" and isinstance(content, str) and len(content) > tool_output_chars:
            message["content"] = head_tail(content, tool_output_chars)
            cut_any = True
    return shrunk if dropped or cut_any else None


def head_tail(text: str, limit: int) -> str:
    """`text` cut to about `limit` characters: its head and tail around a note of what was cut."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters cut ...]\n{text[-half:]}"


# ---------------------------------------------------------------------------------------------
# Text fallback for models without native tool calls
#
# The format: the tools are described in the system prompt and
# the model calls one by replying with a fenced block tagged `tool`
#     ```tool
#     {"name": "read_code", "arguments": {"path": "a.py"}}
#     ```
# Earlier calls in the conversation are shown to the model in that same form, and tool results
# come back as user messages starting "Result of tool NAME (call ID):".

# The instructions themselves are model-facing text: prompts/text_tools.md, handed to the client by
# whoever makes it (tools/ does not import prompts/), so a text-mode client cannot be made without them.

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[ \t]*\r?\n(.*?)```", re.DOTALL)
_TOOL_TAGS = ("tool", "tool_call", "tool_code")
PYTHON_TAGS = ("python", "py", "python3", "")


def fenced_blocks(text: str | None) -> list[tuple[str, str]]:
    """(tag in lower case, body) of every ```-fenced block of a model's reply, in order.

    The one reader of fences in model text: the text-mode tool calls and the code blocks of the
    reproduction, the generated tests and optimize's workload all go through it. A tag may have
    spaces around it and the fence line may end in "\r\n" (models write both).
    """
    return [(tag.lower(), body) for tag, body in _FENCE.findall(text or "")]


def python_blocks(text: str | None) -> list[str]:
    """The bodies of the blocks tagged python, py, python3 or not tagged, in order.

    Reconciled from three copies: one did not take `py`, none took `python3`, `Python` or a
    space after the tag; all took an untagged block. Which block a caller wants (the first, the
    longest) is the caller's choice.
    """
    return [body for tag, body in fenced_blocks(text) if tag in PYTHON_TAGS]


def render_tools_prompt(tools: list[dict[str, Any]], instructions: str) -> str:
    """The tool instructions and each tool's name, description and argument schema."""
    lines = [instructions]
    for tool in tools:
        function = tool.get("function", tool)
        lines.append(f"- {function['name']}: {function.get('description', '').strip()}")
        lines.append(f"  arguments (JSON schema): {json.dumps(function.get('parameters', {}), sort_keys=True)}")
    return "\n".join(lines)


def parse_text_tool_calls(text: str, *, id_prefix: str = "text_call_") -> list[ToolCall]:
    """The tool calls written in `text` as fenced blocks (see the format above).

    Blocks tagged `tool` (or `tool_call`) count even when broken: they come back as a ToolCall
    with `error` set, so the agent can tell the model. Untagged or `json` blocks count only when
    they hold a {"name", "arguments"} object (a model may well show other JSON). A reply that is
    nothing but such an object counts too.
    """
    blocks = fenced_blocks(text)
    if not blocks and (text or "").strip().startswith("{"):
        blocks = [("", text)]
    calls: list[ToolCall] = []
    for tag, body in blocks:
        tagged = tag in _TOOL_TAGS
        if not tagged and tag not in ("", "json"):
            continue
        try:
            value = json.loads(body)
        except json.JSONDecodeError as exc:
            if tagged:
                error = f"the tool block is not valid JSON ({exc.msg})"
                calls.append(ToolCall(f"{id_prefix}{len(calls)}", "", {}, error))
            continue
        for item in value if isinstance(value, list) else [value]:
            call = _call_from_json(item, f"{id_prefix}{len(calls)}")
            if call is not None and (tagged or call.error is None):
                calls.append(call)
            elif call is None and tagged:
                error = 'a tool block must hold {"name": ..., "arguments": {...}}'
                calls.append(ToolCall(f"{id_prefix}{len(calls)}", "", {}, error))
    return calls


def _call_from_json(item: Any, call_id: str) -> ToolCall | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return None
    arguments = next((item[k] for k in ("arguments", "parameters", "args") if k in item), {})
    return _tool_call(call_id, item["name"], arguments)


def _tool_call(call_id: str, name: str, arguments: Any) -> ToolCall:
    """A ToolCall from arguments given as a dict or a JSON string (the OpenAI wire form)."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            return ToolCall(call_id, name, {}, f"the arguments of {name} are not valid JSON ({exc.msg})")
    if not isinstance(arguments, dict):
        return ToolCall(call_id, name, {}, f"the arguments of {name} are not a JSON object")
    return ToolCall(call_id, name, arguments)


def messages_as_text(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]], instructions: str
) -> list[dict[str, Any]]:
    """The conversation for a model without tool calls: the tools described in the system
    prompt (after `instructions`, prompts/text_tools.md), earlier calls written as `tool` blocks,
    tool results as user messages."""
    prompt = render_tools_prompt(tools, instructions)
    names: dict[str, str] = {}
    converted: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "assistant" and message.get("tool_calls"):
            blocks, content = [], message.get("content") or ""
            for call in message["tool_calls"]:
                function = call.get("function", {})
                names[call.get("id", "")] = function.get("name", "")
                call_as_read = _tool_call("", function.get("name", ""), function.get("arguments", "{}"))
                arguments = function.get("arguments") if call_as_read.error else call_as_read.arguments
                written = json.dumps({"name": function.get("name"), "arguments": arguments})
                blocks.append(f"```tool\n{written}\n```")
            # a reply parsed in text mode already shows its calls; a native one gets them written out
            text = content if "```tool" in content else "\n\n".join([content, *blocks]).strip()
            converted.append({"role": "assistant", "content": text})
        elif role == "tool":
            call_id = message.get("tool_call_id", "")
            name = message.get("name") or names.get(call_id, "?")
            result = f"Result of tool {name} (call {call_id}):\n{message.get('content', '')}"
            converted.append({"role": "user", "content": result})
        else:
            converted.append(dict(message))
    if converted and converted[0].get("role") == "system" and isinstance(converted[0].get("content"), str):
        converted[0]["content"] = converted[0]["content"].rstrip() + "\n\n" + prompt
    else:
        converted.insert(0, {"role": "system", "content": prompt})
    return converted
