"""suture's LLM client: one small protocol, litellm behind it, a scripted stand-in beside it.

The agent talks to every model through `complete(messages, tools) -> Reply`. Messages are
OpenAI-style chat dicts, tools are OpenAI function-tool JSON schemas. Two clients implement it:

- `LiteLLMClient` reaches any model litellm knows (``gpt-4o``, ``anthropic/...``,
  ``ollama/...``, an OpenAI-compatible server through ``api_base``); keys come only from
  the environment, the way litellm reads them.
- `ScriptedClient` (tools/llm/scripted.py) plays back turns from a JSONL file and records
  what it was sent: the one thing tests fake, and a way to reproduce a run from a shell.

What both share lives in tools/llm/base.py (`_ClientBase.complete`): the budget check before a call, retries
with exponential backoff for rate limits, 5xx and connection failures (never for 4xx), one
shrink-and-retry on a context-window overflow, and the running totals of calls, tokens and
cost. Provider failures surface as `LLMError` (one sentence, exit 4 at the CLI); a spent
budget as `BudgetExceeded` (exit 5).

`make_client("scripted:PATH" | litellm model name, ...)` picks the client.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from suture.tools.llm.base import (  # noqa: F401  re-exported: tools.llm is the client package's front
    AUTH,
    BAD_REQUEST,
    BudgetExceeded,
    CONNECTION,
    CONTEXT_WINDOW,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ERROR_KINDS,
    LLMClient,
    LLMError,
    NOT_FOUND,
    RATE_LIMIT,
    RETRYABLE,
    Reply,
    SCRIPT,
    SERVER,
    TIMEOUT,
    ToolCall,
    Totals,
    Usage,
    _ClientBase,
    _tool_call,
    fenced_blocks,
    head_tail,
    messages_as_text,
    parse_text_tool_calls,
    python_blocks,
    render_tools_prompt,
    shrink_messages,
    tool_result_message,
)
from suture.tools.llm.scripted import ScriptedClient

log = logging.getLogger("suture.llm")


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
    tool_instructions: str = "",
    transcript: str | os.PathLike[str] | None = None,
) -> LLMClient:
    """The client for `model`: "scripted:PATH" plays back PATH, any other name goes to litellm.

    `transcript` (scripted only) is where the requests are recorded; by default next to PATH.
    """
    options = {"timeout": timeout, "max_retries": max_retries, "max_cost": max_cost, "tool_mode": tool_mode,
               "tool_instructions": tool_instructions}
    if model.startswith("scripted:"):
        return ScriptedClient(model.removeprefix("scripted:"), transcript=transcript, **options)
    if not model.strip():
        raise LLMError("the model name is empty; give a litellm model name such as gpt-4o.", BAD_REQUEST)
    return LiteLLMClient(model, api_base=api_base, **options)
