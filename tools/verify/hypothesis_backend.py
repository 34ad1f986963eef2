"""Hypothesis differential testing: the portfolio's concrete member for Python equivalence.

Both versions of the function (the base, loaded from its text as a sibling module,
and the current one) run on the same generated inputs in a child interpreter; their
return values, their arguments after the call (mutation) and the types of the
exceptions they raise are compared, NaN equal to NaN and floats by the declared
policy ("exact", or "isclose" with rel_tol=1e-9): tools/verify/values.py's rule, which also
runs returned iterators on a bounded prefix. Inputs come from the type
annotations (`st.from_type`); an unannotated parameter with a default takes the
default's type, one without gets a small mix of ints, floats, strings, booleans,
None and lists of ints (said in the verdict's message: a weaker search).
Hypothesis runs derandomized (a fixed seed per function), so a verdict repeats.
The minimal difference Hypothesis shrinks to is replayed in a fresh CPython.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from suture.tools.verify.counterexample import replay
from suture.tools.verify.verifier_core import (
    Counterexample, Target, Verdict, child_env, impure_verdict, import_root, module_name, replay_seconds, run_bounded,
)

__all__ = ["DEFAULT_BOUND", "differential", "strategies_for"]

DEFAULT_BOUND = 300  # examples
BOUND_KIND = "examples"


def differential(target: Target, *, bound: int | None = None, time_limit: float = 20.0, float_policy: str = "exact") -> Verdict:
    """Compare `target.base_source`'s function with the current one on `bound` generated inputs."""
    started = time.monotonic()
    bound = bound or DEFAULT_BOUND
    impure = impure_verdict(target, "hypothesis", bound, BOUND_KIND)
    if impure:
        return impure
    root = import_root(target.file)
    request = {
        "root": str(root),
        "module": module_name(target.file.resolve().relative_to(root).as_posix()),
        "function": target.function,
        "max_examples": bound,
        "float_policy": float_policy,
        "param_types": target.param_types or {},
    }
    with tempfile.TemporaryDirectory(prefix="suture-hypothesis-") as tmp:
        base = Path(tmp, "base", target.file.name)
        base.parent.mkdir()
        base.write_text(target.base_source or "", encoding="utf-8")
        request["base_file"] = str(base)
        done = run_bounded([sys.executable, "-m", "suture.tools.verify.hypothesis_backend"], cwd=Path(tmp),
                           time_limit=time_limit * 0.8, env=child_env(root), stdin=json.dumps(request))
    seconds = lambda: time.monotonic() - started  # noqa: E731
    if done.timed_out:
        return Verdict("no_counterexample_within_bound", "hypothesis", bound, BOUND_KIND, None, seconds(),
                       f"no difference found before the {time_limit * 0.8:g} s limit (fewer than {bound} examples ran)")
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return Verdict("error", "hypothesis", bound, BOUND_KIND, None, seconds(), f"the differential run crashed: {tail[0]}")
    examples = answer.get("examples")
    note = f" ({answer['note']})" if answer.get("note") else ""
    if answer["status"] in ("unsupported", "error"):
        return Verdict(answer["status"], "hypothesis", bound, BOUND_KIND, examples, seconds(), answer["message"])
    if answer["status"] == "same":
        return Verdict("no_counterexample_within_bound", "hypothesis", bound, BOUND_KIND, examples, seconds(),
                       f"{examples} generated inputs, no difference{note}")
    inputs = answer["inputs"]
    result = replay(target, inputs, kind="equivalence", float_policy=float_policy,
                    time_limit=replay_seconds(started + time_limit, time_limit))
    if result.reproduced:
        cx = Counterexample(inputs, result.message, result.location, True, result.expected, result.actual)
        return Verdict("counterexample", "hypothesis", bound, BOUND_KIND, examples, seconds(),
                       f"the versions differ: {result.message}{note}", cx)
    return Verdict("no_counterexample_within_bound", "hypothesis", bound, BOUND_KIND, examples, seconds(),
                   f"the difference Hypothesis found did not reproduce{note}",
                   artefacts=[f"hypothesis: {answer['message']} on {inputs} -> {result.status}: {result.message}"])


# ====================================================================== child side


def strategies_for(fn: Any, text: Any = None) -> tuple[dict[str, Any], list[str], list[str]]:
    """(strategy per parameter, names of positional-only ones, unannotated ones); `text` is the
    strings' strategy in the generic mix (default: Hypothesis' full-unicode text of up to 8 characters)."""
    import inspect
    import typing

    from hypothesis import strategies as st

    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    chosen: dict[str, Any] = {}
    positional: list[str] = []
    unannotated: list[str] = []
    generic = st.one_of(st.integers(), st.floats(), text if text is not None else st.text(max_size=8), st.booleans(), st.none(),
                        st.lists(st.integers(), max_size=6))
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue  # left empty: Hypothesis draws nothing for *args / **kwargs
        if param.kind is param.POSITIONAL_ONLY:
            positional.append(name)
        if name in hints:
            chosen[name] = st.from_type(hints[name])
        elif param.default is not param.empty and param.default is not None:
            chosen[name] = st.from_type(type(param.default))
        else:
            chosen[name] = generic
            unannotated.append(name)
    return chosen, positional, unannotated


def _child_main() -> None:
    request = json.loads(sys.stdin.read())
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # the functions' prints must not corrupt our one JSON line
    try:
        answer = _run(request)
    except BaseException as exc:  # importing either version failed, or Hypothesis refused the types
        answer = {"status": "error", "message": f"{exc.__class__.__name__}: {exc}"}
    sys.stdout = real_stdout
    print(json.dumps(answer))


def _run(request: dict[str, Any]) -> dict[str, Any]:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import InvalidArgument, ResolutionFailed

    from suture.tools.verify.counterexample import load_base_module, load_module, resolve, run_outcome, same_outcome, typed_view
    from suture.tools.verify.values import Incomparable, short_repr

    module = load_module(request["root"], request["module"])
    fn = resolve(module, request["function"])
    base_fn = resolve(load_base_module(request["module"], request["base_file"]), request["function"])
    if "." in request["function"] and not isinstance(module.__dict__.get(request["function"].split(".")[0]), type):
        return {"status": "unsupported", "message": "nested functions cannot be called from outside."}
    typed = request.get("param_types") or {}
    strategies, positional, unannotated = strategies_for(typed_view(fn, typed))
    if "." in request["function"] and "self" in strategies:
        return {"status": "unsupported", "message": "methods need an instance; Hypothesis compares plain functions only."}
    policy = request.get("float_policy", "exact")
    state: dict[str, Any] = {"examples": 0, "found": None, "incomparable": None, "compared": 0}

    @settings(max_examples=request["max_examples"], database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink],
              print_blob=False, report_multiple_bugs=False)
    @given(**strategies)
    def compare(**drawn: Any) -> None:
        state["examples"] += 1
        args = [drawn[name] for name in positional]
        kwargs = {name: value for name, value in drawn.items() if name not in positional}
        expected = run_outcome(base_fn, args, kwargs, drawn)
        actual = run_outcome(fn, args, kwargs, drawn)
        try:
            same = same_outcome(expected, actual, policy)
        except Incomparable as why:  # neither same nor different: never a difference
            state["incomparable"] = state["incomparable"] or f"{why} (base {expected.describe()})"
            return
        state["compared"] += 1
        if not same:
            # The last failing call is the shrunk one: Hypothesis replays it before it raises.
            state["found"] = {"inputs": {k: short_repr(v, limit=100_000) for k, v in drawn.items()},
                              "message": f"base {expected.describe()}, candidate {actual.describe()}"}
            raise AssertionError("the versions differ")

    used = [f"{name}: {text}" for name, text in typed.items() if name in strategies and name not in unannotated]
    notes = [f"types from the tests' calls: {', '.join(used)}"] if used else []
    if unannotated:
        notes.append(f"unannotated {', '.join(unannotated)} drawn from a generic mix")
    note = "; ".join(notes)
    try:
        compare()
    except AssertionError:
        if state["found"] is None:
            raise
        return {"status": "difference", "examples": state["examples"], "note": note, **state["found"]}
    except (ResolutionFailed, InvalidArgument) as exc:
        return {"status": "unsupported", "message": f"Hypothesis cannot generate the inputs: {exc}"}
    if state["incomparable"] and not state["compared"]:
        return {"status": "unsupported", "examples": state["examples"],
                "message": f"the results cannot be compared: {state['incomparable']}"}
    if state["incomparable"]:
        note = "; ".join([*filter(None, [note]), f"some results could not be compared: {state['incomparable']}"])
    return {"status": "same", "examples": state["examples"], "note": note}


if __name__ == "__main__":
    _child_main()
