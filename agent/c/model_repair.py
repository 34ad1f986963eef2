"""The ESBMC-AI loop: a model repairs a C program from ESBMC's counterexample, and ESBMC judges.

`suture fix --target prog.c --model M` on a program ESBMC finds unsafe from its `main`, when no
template repair of agent/c/program_templates.py passed: the model reads the violated property,
the values ESBMC chose, ESBMC's counterexample trace and the numbered program, and answers with
the corrected file. Each answer goes through the same gates as a template repair
(agent/c/program_repair.py's `gate_candidate`: it compiles; ESBMC from main at twice the bound
that found the bug, never lower; the function's behaviour on sampled inputs; the program's own
tests). A rejected patch goes back to the model with why, and with ESBMC's new counterexample
and trace when there is one, until a patch is accepted or a budget ends the loop.

The budgets are the planner's: `--max-steps` model calls, the run's time limit, `--max-cost`
(the client raises BudgetExceeded before a call it cannot afford). Every call and candidate is
a trajectory event in the planner's format ("model" with `reply_record`, then "c_candidate"),
so `suture replay` and the report read them like the planner's.
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable

from suture import prompts
from suture.agent.c.outcome import RepairResult, Tried
from suture.agent.propose.planner import reply_record
from suture.tools.llm.client import BudgetExceeded, LLMClient
from suture.tools.verify.c_harness import CFunction
from suture.tools.verify.c_program import ProgramCheck

__all__ = ["ModelLoop"]

_CODE_BLOCK = re.compile(r"```(?:c|C|h)?[ \t]*\n(.*?)```", re.S)


class ModelLoop:
    """One program's model repair: what `repair_program` calls when no template passed."""

    def __init__(self, client: LLMClient, path: str, *, max_steps: int, deadline: float,
                 log: Callable[..., None] = lambda *a, **k: None) -> None:
        self.client, self.path, self.max_steps, self.deadline, self.log = client, path, max_steps, deadline, log
        self.steps = 0
        self.stopped_because = ""

    def __call__(self, source: str, check: ProgramCheck, func: CFunction, result: RepairResult,
                 gate: Callable[[str, Tried], ProgramCheck | None]) -> None:
        messages: list[dict[str, Any]] = [{"role": "user", "content": _task(self.path, source, check, func)}]
        while True:
            if self.steps >= self.max_steps:
                self._stop(result, "steps", f"the model's step limit ({self.max_steps}) was reached")
                return
            if time.monotonic() >= self.deadline:
                self._stop(result, "time", "the time limit ran out during the model's repairs")
                return
            self.steps += 1
            try:
                reply = self.client.complete(messages, None, temperature=0.0)
            except BudgetExceeded as spent:
                self.log("budget", message=spent.message)
                self._stop(result, "cost", spent.message)
                return
            self.log("model", step=self.steps, stage="c-repair", **reply_record(reply))
            messages.append(reply.to_message())
            text = _corrected_file(reply.text)
            if text is None:
                messages.append({"role": "user", "content": "No ```c block found. Answer with the whole corrected "
                                                            "file in one ```c fenced block."})
                continue
            tried = Tried(f"m-{self.steps}", f"the model's patch (call {self.steps})", "compile", "")
            result.tried.append(tried)
            outcome = gate(text, tried)
            self.log("c_candidate", engine="model", **tried.to_dict())
            if tried.stage == "accepted":
                result.fixed_text, result.after = text, outcome.verdict if outcome else None
                self.stopped_because = "accepted"
                return
            messages.append({"role": "user", "content": _feedback(self.path, tried, outcome)})

    def _stop(self, result: RepairResult, why: str, said: str) -> None:
        self.stopped_because = why
        result.note = f"{said} before a model patch passed ESBMC and the tests ({self.steps} model calls)"


def _corrected_file(text: str) -> str | None:
    blocks = _CODE_BLOCK.findall(text or "")
    if not blocks:
        return None
    block = max(blocks, key=len)  # the whole file, not a snippet quoted beside it
    return block if block.endswith("\n") else block + "\n"


def _numbered(source: str) -> str:
    return "\n".join(f"{k:4} {line}" for k, line in enumerate(source.splitlines(), 1))


def _task(path: str, source: str, check: ProgramCheck, func: CFunction) -> str:
    cx = check.verdict.counterexample
    inputs = ", ".join(f"{k} = {v}" for k, v in (cx.inputs if cx else {}).items()) or "(none named)"
    return prompts.render("c_repair", path=path, message=cx.message if cx else check.verdict.message,
                          location=cx.location if cx else "?", function=func.name, bound=check.verdict.bound,
                          inputs=inputs, trace=check.trace or "(ESBMC printed no trace)", numbered=_numbered(source))


def _feedback(path: str, tried: Tried, outcome: ProgramCheck | None) -> str:
    shown = ""
    if outcome is not None and outcome.verdict.verdict == "counterexample":
        cx = outcome.verdict.counterexample
        where = cx.location if cx else "?"
        shown = (f"ESBMC's counterexample on your patch: {cx.message if cx else outcome.verdict.message} at {where}.\n"
                 + (f"Its trace:\n```\n{outcome.trace}\n```\n" if outcome.trace else ""))
    return prompts.render("c_repair_retry", stage=tried.stage, why=tried.message,
                          counterexample=shown)
