"""The planner loop: a model explores the repository through tools and proposes patches
until one passes every gate or a budget runs out.

One model call per round; the model answers with native tool calls (or, for models
without them, the client's text fallback). Everything the model sees of the repository
comes from agent/propose/planner_tools.py; every patch it proposes is judged by the gates, never
by its own word. Budgets fail closed: steps, wall time, cost (the client raises
BudgetExceeded before a call) and malformed answers in a row. A deterministic loop
breaker steers the model when it repeats the same call with the same result, and stops
the run when it does so again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from suture import prompts
from suture.agent.propose.planner_tools import SCHEMAS, Observation, Toolbox, call_key
from suture.tools.llm.client import BudgetExceeded, LLMClient, Reply, tool_result_message

MAX_SAMPLES = 8  # with imperfect tests, more samples mostly add false positives
SAMPLE_TEMPERATURE_STEP = 0.4
MAX_FORMAT_ERRORS = 3  # answers in a row with no usable tool call
KEEP_RECENT_OUTPUTS = 6  # tool outputs older than this many are summarised in the context
SUMMARY_OVER_CHARS = 400


@dataclass
class PlannerLimits:
    max_steps: int = 30
    deadline: float | None = None  # time.monotonic() by which the loop must stop
    temperature: float | None = 0.0
    # Patches sampled for each plan's first proposal (1: the model's own only). Extra samples
    # come from the same context at rising temperatures; all are gated, the first that passes wins.
    samples: int = 1


@dataclass
class PlannerResult:
    stopped_because: str  # accepted | finished | steps | time | cost | format_errors | loop | provider_error
    steps: int
    accepted: list[str] = field(default_factory=list)  # candidate ids that passed every gate
    message: str = ""


def run_planner(
    client: LLMClient,
    toolbox: Toolbox,
    task: str,
    limits: PlannerLimits,
    log: Callable[..., None] = lambda event, **data: None,
) -> PlannerResult:
    """Drive `client` over `toolbox` from the `task` text until accepted, finished or out of budget.

    Provider errors (tools.llm.LLMError) propagate to the caller; a spent cost budget ends
    the loop with stopped_because "cost".
    """
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": prompts.render("system")},
        {"role": "user", "content": task},
    ]
    format_errors = 0
    last: tuple[str, str] | None = None  # (call key, observation digest) of the previous call
    steered = False
    accepted: list[str] = []
    step = 0
    while True:
        if step >= limits.max_steps:
            return PlannerResult("steps", step, accepted, f"the step limit ({limits.max_steps}) was reached.")
        if limits.deadline is not None and time.monotonic() >= limits.deadline:
            return PlannerResult("time", step, accepted, "the time limit was reached.")
        step += 1
        _summarise_old_outputs(messages)
        context = list(messages)
        try:
            reply = client.complete(messages, SCHEMAS, temperature=limits.temperature)
        except BudgetExceeded as spent:
            log("budget", message=spent.message)
            return PlannerResult("cost", step - 1, accepted, spent.message)
        log("model", step=step, **reply_record(reply))
        messages.append(reply.to_message())
        calls = [c for c in reply.tool_calls if c.error is None]
        for bad in (c for c in reply.tool_calls if c.error is not None):
            messages.append(tool_result_message(bad, f"Your arguments were not valid JSON: {bad.error}"))
        if not calls:
            format_errors += 1
            if format_errors >= MAX_FORMAT_ERRORS:
                return PlannerResult("format_errors", step, accepted,
                                     f"the model answered {format_errors} times in a row without a usable tool call.")
            if not reply.tool_calls:
                messages.append({"role": "user", "content": prompts.render("nudge")})
            continue
        format_errors = 0
        finished = False
        for call in calls:
            started = time.monotonic()
            observation = toolbox.call(call.name, call.arguments)
            overhead = time.monotonic() - started
            log("tool", step=step, name=call.name, arguments=call.arguments, output=observation.text,
                seconds=round(overhead, 3),
                verdict=None if observation.verdict is None else observation.verdict.candidate_id)
            content = observation.text
            if (call.name == "propose_edit" and observation.verdict is not None and not observation.verdict.accepted
                    and limits.samples > 1 and _first_for_plan(toolbox, call.arguments)):
                extra, passed = _samples(client, toolbox, context, call.arguments, limits, step, log)
                content += extra
                accepted += passed
            if observation.verdict is not None and not observation.verdict.accepted:
                content += "\n\n" + _reflection(toolbox, call.arguments, observation)
            messages.append(tool_result_message(call, content))
            if observation.verdict is not None and observation.verdict.accepted:
                accepted.append(observation.verdict.candidate_id)
            finished = finished or observation.finished
            this = (call_key(call.name, call.arguments), hashlib.sha256(observation.text.encode()).hexdigest())
            if this == last or observation.repeats_rejected:
                if steered:
                    what = "a rejected patch" if observation.repeats_rejected else f"{call.name} with the same result"
                    return PlannerResult("loop", step, accepted, f"the model repeated {what} after being told to stop.")
                steered = True
                messages.append({"role": "user", "content": prompts.render("loop")})
            last = this
        if accepted:
            return PlannerResult("accepted", step, accepted, "a patch passed every gate.")
        if finished:
            return PlannerResult("finished", step, accepted, "the model finished without a patch that passes the gates.")


def _first_for_plan(toolbox: Toolbox, arguments: dict[str, Any]) -> bool:
    plan = next((p for p in toolbox.plans if p.number == arguments.get("plan")), None)
    return plan is None or len(plan.attempts) <= 1


def _samples(client: LLMClient, toolbox: Toolbox, context: list[dict[str, Any]], own: dict[str, Any],
             limits: PlannerLimits, step: int, log: Callable[..., None]) -> tuple[str, list[str]]:
    """More patches for the same plan from the same context; gated until one passes.

    Returns the text the model is shown about them and the ids of those that passed.
    """
    schema = [s for s in SCHEMAS if s["function"]["name"] == "propose_edit"]
    seen = [call_key("propose_edit", own)]
    lines: list[str] = []
    for n in range(1, min(limits.samples, MAX_SAMPLES)):
        if limits.deadline is not None and time.monotonic() >= limits.deadline:
            break
        temperature = min(1.0, SAMPLE_TEMPERATURE_STEP * n)
        try:
            reply = client.complete(context + [{"role": "user", "content": prompts.render("sample")}], schema,
                                    temperature=temperature)
        except BudgetExceeded:
            break
        log("model", step=step, stage="sample", **reply_record(reply))
        call = next((c for c in reply.tool_calls if c.name == "propose_edit" and c.error is None), None)
        if call is None:
            continue
        arguments = {**call.arguments, "plan": own.get("plan", call.arguments.get("plan"))}
        if call_key("propose_edit", arguments) in seen:
            lines.append(f"sample {n} (temperature {temperature:.1f}) repeated an earlier patch.")
            continue
        seen.append(call_key("propose_edit", arguments))
        started = time.monotonic()
        observation = toolbox.call("propose_edit", arguments)
        log("tool", step=step, name="propose_edit", arguments=arguments, output=observation.text, sample=n,
            seconds=round(time.monotonic() - started, 3),
            verdict=None if observation.verdict is None else observation.verdict.candidate_id)
        lines.append(f"sample {n} (temperature {temperature:.1f}): {observation.text.splitlines()[0]}")
        if observation.verdict is not None and observation.verdict.accepted:
            return "\n\nOther samples for this plan:\n" + "\n".join(lines), [observation.verdict.candidate_id]
    return ("\n\nOther samples for this plan:\n" + "\n".join(lines)) if lines else "", []


def _reflection(toolbox: Toolbox, arguments: dict[str, Any], observation: Observation) -> str:
    verdict = observation.verdict
    plan_number = arguments.get("plan")
    plan = next((p for p in toolbox.plans if p.number == plan_number), None)
    return prompts.render("reflect", plan=f"{plan.number}: {plan.hypothesis}" if plan else "(no plan named)",
                          stage=verdict.stage, message=verdict.message)


def _summarise_old_outputs(messages: list[dict[str, Any]]) -> None:
    """Keep the context small: tool outputs older than the newest few become one line each."""
    tool_positions = [i for i, m in enumerate(messages) if m.get("role") == "tool"]
    for i in tool_positions[:-KEEP_RECENT_OUTPUTS]:
        content = messages[i].get("content") or ""
        if len(content) > SUMMARY_OVER_CHARS and not content.startswith("[summarised]"):
            first = content.splitlines()[0][:200] if content else ""
            messages[i] = {**messages[i], "content": prompts.render_section(
                "observations", "summarised", first=first, count=len(content))}


def task_text(issue: str | None, failing: list[str], suspects: str, repo_map_text: str, related: str = "") -> str:
    """The first user message: the issue, the failing tests, the suspects, what the issue's words
    find in the code, and a repo map."""
    failing_text = "\n".join(f"- {n}" for n in failing) or "(none: reproduce the issue first)"
    return prompts.render("task", issue=(issue or "(no issue text: the failing tests are the report)").strip(),
                          failing=failing_text, suspects=suspects, repo_map=repo_map_text,
                          related=related or "(no issue text to search with)")


def reply_record(reply: Reply) -> dict[str, Any]:
    """A reply as a trajectory's "model" event holds it: what `suture replay` and `fix --resume`
    need to give the same answer again. Every model call of a run is logged so, in call order."""
    return {"text": reply.text,
            "tool_calls": [{**c.to_openai(), "error": c.error} if c.error else c.to_openai() for c in reply.tool_calls],
            "usage": vars(reply.usage), "cost_usd": reply.cost_usd, "cost_known": reply.cost_known,
            "model": reply.model}
