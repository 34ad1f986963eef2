"""suture's LLM client: one small protocol, litellm behind it, a scripted stand-in beside it.

The agent talks to every model through `complete(messages, tools) -> Reply`. Messages are
OpenAI-style chat dicts, tools are OpenAI function-tool JSON schemas. Two clients implement it:

- `LiteLLMClient` reaches any model litellm knows (``gpt-4o``, ``anthropic/...``,
  ``ollama/...``, an OpenAI-compatible server through ``api_base``); keys come only from
  the environment, the way litellm reads them.
- `ScriptedClient` (tools/llm/scripted.py) plays back turns from a JSONL file and records
  what it was sent: the one thing tests fake, and a way to reproduce a run from a shell.

What both share lives in `_ClientBase.complete`: the budget check before a call, retries
with exponential backoff for rate limits, 5xx and connection failures (never for 4xx), one
shrink-and-retry on a context-window overflow, and the running totals of calls, tokens and
cost. Provider failures surface as `LLMError` (one sentence, exit 4 at the CLI); a spent
budget as `BudgetExceeded` (exit 5).

`make_client("scripted:PATH" | litellm model name, ...)` picks the client.
"""

from __future__ import annotations

import json
import logging
import os
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
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ):
        if tool_mode not in ("native", "text"):
            raise ValueError(f"tool_mode must be 'native' or 'text', not {tool_mode!r}")
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_cost = max_cost
        self.tool_mode = tool_mode
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
            messages, tools = messages_as_text(messages, tools or []), None
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

# The instructions are format plumbing of the client, not a prompt of the agent, so they live here.
TEXT_TOOL_INSTRUCTIONS = """\
You can call tools. To call one, end your reply with one fenced block tagged `tool` holding a
JSON object with the tool's name and its arguments, like this:

```tool
{"name": "TOOL_NAME", "arguments": {"ARGUMENT": "VALUE"}}
```

Call one tool per reply and write nothing after the block. Each result comes back in a message
that starts with "Result of tool". The tools:
"""

_FENCE = re.compile(r"```[ \t]*([A-Za-z_]*)[ \t]*\r?\n(.*?)```", re.DOTALL)
_TOOL_TAGS = ("tool", "tool_call", "tool_code")


def render_tools_prompt(tools: list[dict[str, Any]]) -> str:
    """The tool instructions and each tool's name, description and argument schema."""
    lines = [TEXT_TOOL_INSTRUCTIONS]
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
    blocks = [(tag.lower(), body) for tag, body in _FENCE.findall(text or "")]
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


def messages_as_text(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation for a model without tool calls: the tools described in the system
    prompt, earlier calls written as `tool` blocks, tool results as user messages."""
    prompt = render_tools_prompt(tools)
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


# ---------------------------------------------------------------------------------------------
# litellm

_litellm_module: Any = None


def _litellm() -> Any:
    """litellm, imported on first use: the import takes seconds and most runs never need it."""
    global _litellm_module
    if _litellm_module is None:
        # Without this litellm downloads its price list from GitHub while being imported.
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banners on stderr
        litellm.disable_hf_tokenizer_download = True  # token counting never fetches a tokenizer
        litellm.num_retries = None  # retries are ours (see _ClientBase), never litellm's as well
        _litellm_module = litellm
    return _litellm_module


class LiteLLMClient(_ClientBase):
    """Any model litellm reaches. `api_base` points an OpenAI-compatible server (vLLM,
    llama.cpp) or a proxy; API keys are read by litellm from the environment only."""

    def __init__(self, model: str, *, api_base: str | None = None, **options: Any):
        super().__init__(model, **options)
        self.api_base = api_base
        self._warned_unpriced = False

    def _call(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, params: dict[str, Any]
    ) -> Reply:
        litellm = _litellm()
        import openai  # litellm's exceptions all derive from openai's

        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "timeout": params["timeout"],
            "max_retries": 0,  # the OpenAI SDK would otherwise retry twice on its own
            "drop_params": True,  # e.g. a temperature the model does not take is left out, not an error
            # litellm 1.106 routes every call with tools through its MCP gateway check, which
            # imports the optional `mcp` package and fails without it; suture sends no MCP tools.
            "_skip_mcp_handler": True,
        }
        if tools:
            kwargs["tools"] = tools
        if params.get("temperature") is not None:
            kwargs["temperature"] = params["temperature"]
        if params.get("max_tokens") is not None:
            kwargs["max_tokens"] = params["max_tokens"]
        if self.api_base:
            kwargs["api_base"] = self.api_base
        try:
            response = litellm.completion(**kwargs)
        except openai.OpenAIError as exc:
            raise self._as_llm_error(exc, params["timeout"]) from exc
        return self._reply(litellm, response)

    def _reply(self, litellm: Any, response: Any) -> Reply:
        choice = response.choices[0]
        message = choice.message
        calls = [
            _tool_call(call.id or f"call_{i}", call.function.name or "", call.function.arguments)
            for i, call in enumerate(getattr(message, "tool_calls", None) or [])
        ]
        usage = getattr(response, "usage", None)
        try:
            cost, known = float(litellm.completion_cost(completion_response=response)), True
        except Exception:  # litellm raises a plain Exception for a model missing from its price list
            cost, known = 0.0, False
            if not self._warned_unpriced:
                log.warning("litellm knows no price for %s; its calls count as $0.00 against the budget", self.model)
                self._warned_unpriced = True
        return Reply(
            text=message.content or "",
            tool_calls=calls,
            usage=Usage(getattr(usage, "prompt_tokens", 0) or 0, getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=cost,
            cost_known=known,
            model=getattr(response, "model", None) or self.model,
            finish_reason=choice.finish_reason or "",
        )

    def _key_hint(self) -> str:
        try:  # litellm knows which variables each provider reads, without a request
            missing = _litellm().validate_environment(model=self.model).get("missing_keys") or []
        except Exception:
            missing = []
        keys = " or ".join(missing) or "the provider's API key"
        local = " (any value does for a local server)" if self.api_base else ""
        return f"set {keys} in the environment{local}"

    def _as_llm_error(self, exc: Exception, timeout: float) -> LLMError:
        import openai

        litellm = _litellm()
        status = getattr(exc, "status_code", None)
        status = status if isinstance(status, int) else None
        reason = _provider_reason(exc)
        model, where = self.model, f" at {self.api_base}" if self.api_base else ""
        if "LLM Provider NOT provided" in reason:  # litellm's own refusal, before any request
            return LLMError(
                f"litellm does not know which provider serves the model {model!r}; name it with a provider "
                f"prefix such as openai/{model} or ollama/{model}.",
                NOT_FOUND,
            )
        if isinstance(exc, litellm.ContextWindowExceededError) or _says_context_window(exc, reason):
            return LLMError(reason, CONTEXT_WINDOW, status=status)  # worded by _ClientBase.complete
        if isinstance(exc, litellm.Timeout):
            return LLMError(f"{model}{where} did not answer within {timeout:g} s.", TIMEOUT, status=status)
        if isinstance(exc, litellm.RateLimitError) or status == 429:
            return LLMError(
                f"{model}{where} is rate-limited: {reason}.", RATE_LIMIT, status=status, retry_after=_retry_after(exc)
            )
        if _MISSING_KEY.search(reason):
            return LLMError(f"no API key is set for {model}{where}; {self._key_hint()}.", AUTH)
        if isinstance(exc, litellm.AuthenticationError) or status in (401, 403):
            message = f"{model}{where} refused the credentials ({reason}); check its API key in the environment."
            return LLMError(message, AUTH, status=status)
        if isinstance(exc, litellm.NotFoundError) or status == 404:
            return LLMError(f"{model}{where} was not found: {reason}.", NOT_FOUND, status=status)
        if isinstance(exc, openai.APIConnectionError) or reason.startswith("Connection error"):
            # after Timeout, which derives from APIConnectionError; litellm reports a refused
            # connection to an OpenAI-compatible server as a 500 saying "Connection error"
            return LLMError(f"could not reach {model}{where}: {reason}.", CONNECTION, status=status)
        if status is not None and status >= 500:
            return LLMError(f"{model}{where} failed with HTTP {status}: {reason}.", SERVER, status=status)
        return LLMError(f"{model}{where} rejected the request: {reason}.", BAD_REQUEST, status=status)


# litellm reports a missing key as a 500 for some providers (openai) and a 401 for others.
_MISSING_KEY = re.compile(r"missing credentials|no key is set|api_key client option must be set", re.IGNORECASE)


def _says_context_window(exc: Exception, reason: str) -> bool:
    # litellm maps the usual wordings to ContextWindowExceededError; an OpenAI-compatible server
    # that says it only with OpenAI's error code lands as a plain BadRequestError.
    body = getattr(exc, "body", None)
    error = body.get("error", body) if isinstance(body, dict) else {}
    code = error.get("code") if isinstance(error, dict) else None
    return code == "context_length_exceeded" or "maximum context length" in reason.lower()


def _retry_after(exc: Exception) -> float | None:
    """The provider's Retry-After in seconds (litellm keeps the headers on the exception)."""
    headers = getattr(exc, "litellm_response_headers", None) or getattr(getattr(exc, "response", None), "headers", None)
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return float(value)
            except ValueError:  # an HTTP date: rare from LLM providers, and the backoff covers it
                return None
    return None


_SENTENCE_END = re.compile(r"(?<=[^.\s][.!?])\s+(?=[A-Z])")
_LITELLM_PREFIX = re.compile(r"^(?:litellm\.\w+:\s*|\w+Error:\s*|\w+Exception\s*-\s*)+")


def _provider_reason(exc: Exception) -> str:
    """The provider's own words from a litellm exception: one line, no class-name prefixes,
    no secrets, at most 300 characters."""
    text = " ".join(str(getattr(exc, "message", None) or exc).split())
    text = _LITELLM_PREFIX.sub("", text)
    text = _SENTENCE_END.split(redact_secrets(text), maxsplit=1)[0].rstrip(". ") or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def redact_secrets(text: str) -> str:
    """`text` with the values of the environment's keys, tokens and secrets replaced by ***."""
    for name, value in os.environ.items():
        if len(value) >= 8 and re.search(r"KEY|TOKEN|SECRET|PASSWORD", name, re.IGNORECASE) and value in text:
            text = text.replace(value, "***")
    return text


# ---------------------------------------------------------------------------------------------


def make_client(
    model: str,
    *,
    api_base: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
    max_cost: float | None = None,
    tool_mode: str = "native",
    transcript: str | os.PathLike[str] | None = None,
) -> LLMClient:
    """The client for `model`: "scripted:PATH" plays back PATH, any other name goes to litellm.

    `transcript` (scripted only) is where the requests are recorded; by default next to PATH.
    """
    options = {"timeout": timeout, "max_retries": max_retries, "max_cost": max_cost, "tool_mode": tool_mode}
    if model.startswith("scripted:"):
        from suture.tools.llm.scripted import ScriptedClient

        return ScriptedClient(model.removeprefix("scripted:"), transcript=transcript, **options)
    if not model.strip():
        raise LLMError("the model name is empty; give a litellm model name such as gpt-4o.", BAD_REQUEST)
    return LiteLLMClient(model, api_base=api_base, **options)
