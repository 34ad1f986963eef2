"""The LLM client layer: the scripted provider, the text fallback, and the real litellm client
talking to a real OpenAI-compatible HTTP server on loopback (no network, no key)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from suture import prompts
from suture.tools.llm import client as llm
from suture.tools.llm.client import (
    BudgetExceeded,
    LiteLLMClient,
    LLMError,
    ToolCall,
    make_client,
    messages_as_text,
    parse_text_tool_calls,
    render_tools_prompt,
    shrink_messages,
    tool_result_message,
)
from suture.tools.llm.scripted import ScriptedClient

DUMMY_KEY = "sk-suture-test-dummy-0123456789"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}

SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Find code by a query.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    },
}


# ---------------------------------------------------------------------------------------------
# No network: every connection and name lookup off loopback fails the module.


@pytest.fixture(scope="module", autouse=True)
def no_network():
    blocked: list[object] = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            blocked.append(address)
            raise OSError(f"tests/test_llm.py blocked a connection to {address}")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK and host is not None:
            blocked.append(host)
            raise socket.gaierror(f"tests/test_llm.py blocked a lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket, "getaddrinfo", getaddrinfo)
        mp.setenv("OPENAI_API_KEY", DUMMY_KEY)
        mp.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            mp.delenv(proxy, raising=False)
        yield blocked
    assert not blocked, f"something tried to leave loopback: {blocked}"


@pytest.fixture(scope="module")
def litellm_loaded(no_network):
    """litellm imported once per module (the import takes seconds), under the network guard."""
    return llm._litellm()


# ---------------------------------------------------------------------------------------------
# A real OpenAI chat-completions endpoint on loopback, answering from a plan.


class FakeOpenAI:
    def __init__(self) -> None:
        self.planned: list[tuple[int, dict, dict, float]] = []
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.release = threading.Event()  # wakes a handler told to stall
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                provider.requests.append(body)
                provider.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    status, payload, headers, delay = 404, {"error": {"message": f"no route {self.path}"}}, {}, 0.0
                elif provider.planned:
                    status, payload, headers, delay = provider.planned.pop(0)
                else:
                    status, payload, headers, delay = 500, {"error": {"message": "nothing planned"}}, {}, 0.0
                if delay:
                    provider.release.wait(delay)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (the timeout test)
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_port}/v1"

    def reply(self, content="", *, tool_calls=None, model="test-model", usage=(12, 5), **plan) -> None:
        message = {"role": "assistant", "content": content or None}
        if tool_calls:
            message["tool_calls"] = tool_calls
        body = {
            "id": f"chatcmpl-{len(self.planned)}",
            "object": "chat.completion",
            "created": 1700000000,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
        }
        self.fail(200, body, **plan)

    def fail(self, status: int, body: dict | str, *, headers: dict | None = None, delay: float = 0.0) -> None:
        if isinstance(body, str):
            body = {"error": {"message": body, "type": "invalid_request_error", "code": None}}
        self.planned.append((status, body, headers or {}, delay))

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    fake = FakeOpenAI()
    yield fake
    fake.close()


@pytest.fixture
def client(provider, litellm_loaded):
    """client(**options) -> a LiteLLMClient on the fake provider whose backoff sleeps are recorded, not slept."""

    def make(**options) -> LiteLLMClient:
        options = {"timeout": 10.0, "max_retries": 2, "backoff_base": 0.5, "jitter": lambda: 1.0, **options}
        made = LiteLLMClient("openai/test-model", api_base=provider.base, sleep=sleeps.append, **options)
        made.sleeps = sleeps
        return made

    sleeps: list[float] = []
    return make


TASK = [{"role": "system", "content": "You repair code."}, {"role": "user", "content": "Fix the parser."}]
CONTEXT_ERROR = {
    "error": {
        "message": "This model's maximum context length is 8192 tokens. However, your messages resulted in "
        "9100 tokens. Please reduce the length of the messages.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}


# ---------------------------------------------------------------------------------------------
# The litellm client against the loopback provider


def test_plain_reply_counts_tokens_and_sends_the_conversation(provider, client):
    provider.reply("The bug is in parse().", usage=(40, 7))
    llm_client = client()
    reply = llm_client.complete(TASK, temperature=0.2, max_tokens=64)

    assert reply.text == "The bug is in parse()."
    assert reply.tool_calls == [] and reply.finish_reason == "stop" and reply.model == "test-model"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (40, 7)
    # litellm has no price for a model it does not know: $0.00 and said so
    assert reply.cost_usd == 0.0 and reply.cost_known is False
    assert llm_client.totals.as_dict() == {
        "calls": 1, "prompt_tokens": 40, "completion_tokens": 7, "tokens": 47, "usd": 0.0, "unpriced_calls": 1,
    }  # fmt: skip
    [sent] = provider.requests
    assert sent["messages"] == TASK
    assert (sent["model"], sent["temperature"], sent["max_tokens"]) == ("test-model", 0.2, 64)
    assert "tools" not in sent
    assert provider.headers[0]["Authorization"] == f"Bearer {DUMMY_KEY}"  # the key came from the environment


def test_tool_call_reply_parses_calls_and_the_result_goes_back(provider, client):
    provider.reply(
        tool_calls=[
            {"id": "call_a", "type": "function", "function": {"name": "search", "arguments": '{"query": "parse"}'}},
            {"id": "call_b", "type": "function", "function": {"name": "search", "arguments": "{not json"}},
        ]
    )
    provider.reply("Found it.")
    llm_client = client()
    reply = llm_client.complete(TASK, [SEARCH_TOOL])

    first, broken = reply.tool_calls
    assert first == ToolCall("call_a", "search", {"query": "parse"})
    assert broken.name == "search" and broken.arguments == {} and "not valid JSON" in broken.error
    assert reply.finish_reason == "tool_calls"
    assert provider.requests[0]["tools"] == [SEARCH_TOOL]

    history = [*TASK, reply.to_message(), tool_result_message(first, "parser.py:10 def parse")]
    assert llm_client.complete(history, [SEARCH_TOOL]).text == "Found it."
    sent = provider.requests[1]["messages"]
    assert sent[2]["tool_calls"][0]["id"] == "call_a"
    assert sent[3]["role"] == "tool" and sent[3]["tool_call_id"] == "call_a" and "def parse" in sent[3]["content"]
    assert llm_client.totals.calls == 2


def test_rate_limit_is_retried_after_the_providers_retry_after(provider, client):
    provider.fail(429, "Rate limit reached for requests", headers={"Retry-After": "3"})
    provider.reply("ok")
    llm_client = client(backoff_max=10.0)
    reply = llm_client.complete(TASK)

    assert reply.text == "ok" and reply.retries == 1
    assert len(provider.requests) == 2 and provider.requests[0] == provider.requests[1]
    assert llm_client.sleeps == [3.0]  # Retry-After beats the 0.5 s first backoff


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_is_retried(provider, client, status):
    provider.fail(status, "The server had an error while processing your request")
    provider.reply("ok")
    llm_client = client()
    assert llm_client.complete(TASK).text == "ok"
    assert len(provider.requests) == 2 and llm_client.sleeps == [0.5]


def test_retries_back_off_exponentially_then_give_up_with_one_sentence(provider, client):
    for _ in range(3):
        provider.fail(500, "upstream exploded")
    llm_client = client(max_retries=2)
    with pytest.raises(LLMError) as caught:
        llm_client.complete(TASK)

    assert caught.value.kind == "server" and caught.value.status == 500
    assert caught.value.message == (
        f"openai/test-model at {provider.base} failed with HTTP 500: upstream exploded (gave up after 3 attempts)."
    )
    assert len(provider.requests) == 3
    assert llm_client.sleeps == [0.5, 1.0]
    assert llm_client.totals.calls == 0


def test_backoff_has_jitter_and_a_cap():
    jitters = iter([0.0, 1.0, 0.5])
    client = llm._ClientBase("m", backoff_base=1.0, backoff_max=4.0, jitter=lambda: next(jitters))
    assert [client._backoff(0, None), client._backoff(5, None), client._backoff(1, 100.0)] == [0.5, 4.0, 4.0]


@pytest.mark.parametrize(
    "status, message, kind",
    [
        (401, f"Incorrect API key provided: {DUMMY_KEY}. You can find your API key at the dashboard.", "auth"),
        (404, "The model `test-model` does not exist or you do not have access to it.", "not_found"),
        (400, "Invalid value for 'temperature': must be at most 2.", "bad_request"),
    ],
)
def test_client_errors_are_not_retried(provider, client, status, message, kind):
    provider.fail(status, message)
    provider.reply("never sent")
    llm_client = client()
    with pytest.raises(LLMError) as caught:
        llm_client.complete(TASK)

    error = caught.value
    assert error.kind == kind and error.status == status and not error.retryable
    assert len(provider.requests) == 1 and llm_client.sleeps == []
    assert DUMMY_KEY not in error.message  # the key the provider echoed is redacted
    assert "\n" not in error.message and error.message.endswith(".")
    if kind == "auth":
        assert error.message == (
            f"openai/test-model at {provider.base} refused the credentials (Incorrect API key provided: ***); "
            "check its API key in the environment."
        )


def long_conversation() -> list[dict]:
    """The task, four tool rounds (one with a huge output), and the latest user message."""
    messages = list(TASK)
    for round_ in range(4):
        call = ToolCall(f"call_{round_}", "search", {"query": f"q{round_}"})
        messages.append({"role": "assistant", "content": None, "tool_calls": [call.to_openai()]})
        output = "x" * 50_000 if round_ == 3 else f"result {round_}"
        messages.append(tool_result_message(call, output))
    messages.append({"role": "user", "content": "The tests still fail; look again."})
    return messages


def test_context_window_error_shrinks_once_and_succeeds(provider, client):
    provider.fail(400, CONTEXT_ERROR)
    provider.reply("fits now")
    conversation = long_conversation()
    before = json.dumps(conversation)
    reply = client().complete(conversation, [SEARCH_TOOL])

    assert reply.text == "fits now" and reply.context_shrunk is True and reply.retries == 0
    assert json.dumps(conversation) == before  # the caller's list is untouched
    first, second = (request["messages"] for request in provider.requests)
    assert len(first) == 11 and len(second) < len(first)
    assert second[0] == TASK[0] and second[1]["content"].startswith(TASK[1]["content"])
    assert "removed" in second[1]["content"]  # the model is told history was dropped
    assert second[-1] == conversation[-1]
    # every tool result still follows the assistant message that called it
    called = {c["id"] for m in second if m.get("tool_calls") for c in m["tool_calls"]}
    assert {m["tool_call_id"] for m in second if m["role"] == "tool"} == called
    assert called == {"call_2", "call_3"} and len(second) == 7  # the older half of the rounds is gone
    assert "removed 4 older messages" in second[1]["content"]
    assert max(len(m.get("content") or "") for m in second) < 3000  # the huge output was cut


def test_context_window_error_twice_is_a_clear_error(provider, client):
    provider.fail(400, CONTEXT_ERROR)
    provider.fail(400, CONTEXT_ERROR)
    with pytest.raises(LLMError) as caught:
        client().complete(long_conversation())
    assert caught.value.kind == "context_window"
    assert "even after suture shrank it once" in caught.value.message
    assert "maximum context length is 8192 tokens" in caught.value.message
    assert len(provider.requests) == 2


def test_context_window_error_with_nothing_to_cut_is_not_retried(provider, client):
    provider.fail(400, CONTEXT_ERROR)
    with pytest.raises(LLMError, match="suture found nothing to cut") as caught:
        client().complete(TASK)
    assert caught.value.kind == "context_window" and len(provider.requests) == 1


def test_context_window_said_only_by_the_error_code(provider, client):
    # an OpenAI-compatible server with its own wording but OpenAI's error code
    provider.fail(400, {"error": {"message": "prompt too long for this deployment", "code": "context_length_exceeded"}})
    provider.reply("ok")
    reply = client().complete(long_conversation())
    assert reply.context_shrunk and len(provider.requests) == 2


def test_a_provider_that_stalls_times_out_without_retry(provider, client):
    provider.fail(200, {}, delay=30.0)
    llm_client = client(timeout=0.3)
    with pytest.raises(LLMError) as caught:
        llm_client.complete(TASK)
    assert caught.value.kind == "timeout"
    assert caught.value.message == f"openai/test-model at {provider.base} did not answer within 0.3 s."
    assert len(provider.requests) == 1 and llm_client.sleeps == []


def test_an_unreachable_server_is_retried_then_reported(litellm_loaded):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    base = f"http://127.0.0.1:{port}/v1"
    unreachable = LiteLLMClient("openai/test-model", api_base=base, max_retries=1, sleep=sleeps.append)
    with pytest.raises(LLMError) as caught:
        unreachable.complete(TASK)
    assert caught.value.kind == "connection" and len(sleeps) == 1
    assert caught.value.message.startswith(f"could not reach openai/test-model at http://127.0.0.1:{port}/v1")


def test_a_missing_key_is_named_without_a_request(provider, client, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    llm_client = client()
    with pytest.raises(LLMError) as caught:
        llm_client.complete(TASK)
    assert caught.value.kind == "auth" and provider.requests == [] and llm_client.sleeps == []
    assert caught.value.message == (
        f"no API key is set for openai/test-model at {provider.base}; "
        "set OPENAI_API_KEY in the environment (any value does for a local server)."
    )


def test_a_model_without_a_provider_is_refused_before_any_request(litellm_loaded):
    with pytest.raises(LLMError) as caught:
        make_client("surely-no-such-model").complete(TASK)
    assert caught.value.kind == "not_found"
    assert caught.value.message == (
        "litellm does not know which provider serves the model 'surely-no-such-model'; name it with a provider "
        "prefix such as openai/surely-no-such-model or ollama/surely-no-such-model."
    )


def test_known_model_is_priced_and_the_budget_stops_the_next_call(provider, litellm_loaded):
    provider.reply("one", model="gpt-4o-2024-08-06", usage=(1000, 100))
    provider.reply("two", model="gpt-4o-2024-08-06", usage=(1000, 100))
    priced = LiteLLMClient("openai/gpt-4o-2024-08-06", api_base=provider.base, max_cost=0.001)
    reply = priced.complete(TASK)

    # litellm's local price list: 1000 prompt and 100 completion tokens of gpt-4o cost about $0.0035
    assert reply.cost_known and 0.001 < reply.cost_usd < 0.01
    assert priced.totals.cost_usd == reply.cost_usd and priced.totals.unpriced_calls == 0
    with pytest.raises(BudgetExceeded) as caught:
        priced.complete(TASK)
    assert len(provider.requests) == 1
    assert caught.value.message.startswith("the LLM budget of $0.0010 is spent")


def test_a_zero_budget_allows_no_call(provider, client):
    with pytest.raises(BudgetExceeded):
        client(max_cost=0.0).complete(TASK)
    assert provider.requests == []


def test_making_a_client_does_not_import_litellm(tmp_path):
    script = tmp_path / "turns.jsonl"
    script.write_text('{"text": "hi"}\n')
    code = (
        "import sys\n"
        "from suture.tools.llm.client import make_client, LiteLLMClient\n"
        "from suture.tools.llm.scripted import ScriptedClient\n"
        f"assert isinstance(make_client('scripted:{script}'), ScriptedClient)\n"
        "assert isinstance(make_client('gpt-4o', api_base='http://127.0.0.1:1/v1'), LiteLLMClient)\n"
        "print('litellm' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# The scripted provider


def write_script(tmp_path: Path, *turns: dict | str) -> Path:
    path = tmp_path / "model.jsonl"
    path.write_text("".join((t if isinstance(t, str) else json.dumps(t)) + "\n" for t in turns))
    return path


def transcript(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_scripted_plays_turns_and_records_every_request(tmp_path):
    script = write_script(
        tmp_path,
        {"text": "Searching.", "tool_calls": [{"name": "search", "arguments": {"query": "parse"}}]},
        {"text": "Done.", "usage": {"prompt_tokens": 900, "completion_tokens": 40}, "cost_usd": 0.25},
    )
    scripted = make_client(f"scripted:{script}")
    first = scripted.complete(TASK, [SEARCH_TOOL], temperature=0.7)
    history = [*TASK, first.to_message(), tool_result_message(first.tool_calls[0], "parser.py:10")]
    second = scripted.complete(history, [SEARCH_TOOL])

    assert first.tool_calls == [ToolCall("call_1_0", "search", {"query": "parse"})]
    assert first.finish_reason == "tool_calls" and first.usage.estimated and first.usage.prompt_tokens > 0
    assert first.cost_known is False
    assert second.text == "Done." and second.tool_calls == [] and second.finish_reason == "stop"
    assert (second.usage.prompt_tokens, second.cost_usd, second.cost_known) == (900, 0.25, True)
    assert scripted.totals.calls == 2 and scripted.totals.cost_usd == 0.25 and scripted.totals.unpriced_calls == 1

    recorded = transcript(tmp_path / "model.transcript.jsonl")
    assert [(r["call"], r["line"]) for r in recorded] == [(1, 1), (2, 2)]
    assert recorded[0]["messages"] == TASK and recorded[0]["tools"] == [SEARCH_TOOL]
    assert recorded[0]["params"] == {"temperature": 0.7, "max_tokens": None, "timeout": llm.DEFAULT_TIMEOUT}
    assert recorded[1]["messages"] == history


def test_scripted_transcript_goes_where_asked_and_starts_fresh(tmp_path):
    script = write_script(tmp_path, {"text": "a"})
    elsewhere = tmp_path / "out" / "sent.jsonl"
    elsewhere.parent.mkdir()
    elsewhere.write_text('{"stale": true}\n')
    make_client(f"scripted:{script}", transcript=elsewhere).complete(TASK)
    assert [r["call"] for r in transcript(elsewhere)] == [1]
    assert not (tmp_path / "model.transcript.jsonl").exists()


def test_scripted_running_out_of_turns_is_a_clear_error(tmp_path):
    script = write_script(tmp_path, {"text": "only one"})
    scripted = ScriptedClient(script)
    scripted.complete(TASK)
    with pytest.raises(LLMError) as caught:
        scripted.complete(TASK)
    assert caught.value.kind == "script"
    assert caught.value.message == f"the scripted model {script} has no turn left for call 2 (it holds 1)."
    assert [r["line"] for r in transcript(script.with_suffix(".transcript.jsonl"))] == [1, None]


@pytest.mark.parametrize(
    "bad_line, problem",
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"txt": "typo"}', "has unknown field(s) txt"),
        ('{"usage": {"prompt_tokens": 1}}', "has neither text nor tool_calls"),
        ('{"tool_calls": [{"name": "search"}]}', "has tool call 1 without a name (string) and arguments (object)"),
        ('{"tool_calls": {"name": "search"}}', "has tool_calls that are not a list"),
        ('{"text": "x", "cost_usd": -1}', "has a cost_usd that is not a number of dollars >= 0"),
        ('{"text": "x", "usage": {"prompt_tokens": "many"}}', "has a usage that is not"),
        ('{"error": "meltdown"}', "has an error kind 'meltdown' that is none of"),
        ('{"error": "rate_limit", "text": "x"}', "has an error and a reply"),
    ],
)
def test_scripted_bad_line_is_named_up_front(tmp_path, bad_line, problem):
    script = write_script(tmp_path, {"text": "fine"}, "", bad_line)
    with pytest.raises(LLMError) as caught:
        make_client(f"scripted:{script}")
    assert caught.value.kind == "script"
    assert caught.value.message.startswith(f"line 3 of {script} {problem}")
    assert caught.value.message.endswith(".") and "\n" not in caught.value.message


def test_scripted_missing_or_empty_file(tmp_path):
    with pytest.raises(LLMError, match=r"the scripted model file .*nothing\.jsonl does not exist\."):
        make_client(f"scripted:{tmp_path / 'nothing.jsonl'}")
    empty = write_script(tmp_path, "", "  ")
    with pytest.raises(LLMError, match=r"holds no turns\."):
        make_client(f"scripted:{empty}")
    script = write_script(tmp_path, {"text": "keep me"})
    with pytest.raises(LLMError, match=r"would overwrite the script"):
        make_client(f"scripted:{script}", transcript=script)
    assert "keep me" in script.read_text()


def test_scripted_failures_run_the_shared_retry_and_shrink_logic(tmp_path):
    script = write_script(
        tmp_path,
        {"error": "rate_limit"},
        {"text": "after the retry"},
        {"error": {"kind": "context_window", "message": "too long"}},
        {"text": "after the shrink"},
        {"error": "auth"},
        {"text": "never played"},
    )
    scripted = ScriptedClient(script)
    assert scripted.complete(TASK).retries == 1
    conversation = long_conversation()
    shrunk = scripted.complete(conversation)
    assert shrunk.text == "after the shrink" and shrunk.context_shrunk
    with pytest.raises(LLMError) as caught:
        scripted.complete(TASK)
    assert caught.value.kind == "auth"

    recorded = transcript(script.with_suffix(".transcript.jsonl"))
    assert [r["line"] for r in recorded] == [1, 2, 3, 4, 5]
    assert recorded[2]["messages"] == conversation and len(recorded[3]["messages"]) < len(conversation)


def test_scripted_budget(tmp_path):
    script = write_script(tmp_path, {"text": "a", "cost_usd": 0.6}, {"text": "b", "cost_usd": 0.6}, {"text": "c"})
    scripted = make_client(f"scripted:{script}", max_cost=1.0)
    scripted.complete(TASK)
    scripted.complete(TASK)  # under the budget before the call, over it after
    with pytest.raises(BudgetExceeded, match=r"\$1\.0000 is spent \(\$1\.2000 over 2 calls\)"):
        scripted.complete(TASK)


# ---------------------------------------------------------------------------------------------
# Shrinking and the text fallback


def test_shrink_keeps_task_and_latest_and_returns_none_when_nothing_to_cut():
    assert shrink_messages(TASK) is None
    assert shrink_messages([*TASK, {"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]) is not None
    # one old turn is dropped; the latest turn, an assistant call with its result, stays whole
    call = ToolCall("c1", "search", {"query": "q"})
    conversation = [
        *TASK,
        {"role": "assistant", "content": "thinking"},
        {"role": "assistant", "content": None, "tool_calls": [call.to_openai()]},
        tool_result_message(call, "y" * 5000),
    ]
    shrunk = shrink_messages(conversation)
    assert [m["role"] for m in shrunk] == ["system", "user", "assistant", "tool"]
    assert shrunk[-1]["content"].startswith("y" * 1000) and "characters cut" in shrunk[-1]["content"]


def test_text_tool_calls_are_parsed_from_fenced_blocks():
    text = (
        "I will search.\n\n"
        '```json\n{"unrelated": 1}\n```\n'
        '```tool\n{"name": "search", "arguments": {"query": "parse"}}\n```\n'
        '```json\n{"name": "read_code", "arguments": "{\\"path\\": \\"a.py\\"}"}\n```\n'
        "```python\nprint({'name': 'no'})\n```\n"
        '```tool\n{"name": "search", "arguments": {"query": \n```\n'
    )
    calls = parse_text_tool_calls(text)
    assert [(c.name, c.arguments, c.error) for c in calls[:2]] == [
        ("search", {"query": "parse"}, None),
        ("read_code", {"path": "a.py"}, None),
    ]
    assert len(calls) == 3 and calls[2].name == "" and "not valid JSON" in calls[2].error
    assert len({c.id for c in calls}) == 3
    assert parse_text_tool_calls('{"name": "finish", "arguments": {}}') == [ToolCall("text_call_0", "finish", {})]
    assert parse_text_tool_calls("No tool needed, the answer is 42.") == []
    assert parse_text_tool_calls('```tool\n{"arguments": {}}\n```')[0].error.startswith("a tool block must hold")


def test_text_mode_describes_tools_and_converts_the_history(tmp_path):
    instructions = prompts.load("text_tools")
    prompt = render_tools_prompt([SEARCH_TOOL], instructions)
    assert "```tool" in prompt and "- search: Find code by a query." in prompt and '"query"' in prompt

    call = ToolCall("call_1", "search", {"query": "parse"})
    history = [*TASK, {"role": "assistant", "content": "Looking.", "tool_calls": [call.to_openai()]}]
    history.append(tool_result_message(call, "parser.py:10"))
    said = 'Now reading.\n```tool\n{"name": "read_code", "arguments": {"path": "parser.py"}}\n```'
    script = write_script(tmp_path, {"text": said}, {"text": "Done."})
    scripted = ScriptedClient(script, tool_mode="text", tool_instructions=instructions)
    reply = scripted.complete(history, [SEARCH_TOOL])

    assert reply.tool_calls == [ToolCall("text_call_1_0", "read_code", {"path": "parser.py"})]
    history += [reply.to_message(), tool_result_message(reply.tool_calls[0], "def parse(): ...")]
    assert scripted.complete(history, [SEARCH_TOOL]).tool_calls == []

    first, second = transcript(script.with_suffix(".transcript.jsonl"))
    assert first["tools"] is None
    assert first["messages"] == messages_as_text(history[:4], [SEARCH_TOOL], instructions)
    system, task, assistant, result = first["messages"]
    assert system["content"].startswith("You repair code.") and "- search:" in system["content"]
    assert assistant["content"] == 'Looking.\n\n```tool\n{"name": "search", "arguments": {"query": "parse"}}\n```'
    assert result == {"role": "user", "content": "Result of tool search (call call_1):\nparser.py:10"}
    # the model's own text already shows its call: it is not written out a second time
    assert second["messages"][4] == {"role": "assistant", "content": said}
    assert second["messages"][5]["content"] == "Result of tool read_code (call text_call_1_0):\ndef parse(): ..."
