"""The child side of tools/verify/behaviour.py: build the inputs, run every version on each, group
the results, tell each input's likeness, and write one JSON line per input.

Runs inside the killable child only (it imports the code under test). The per-call limit is a
CPU-time timer (ITIMER_PROF: a loaded machine does not cut a call that is merely waiting its turn)
whose handler raises `CallTimeout` in the main thread: a pure-Python loop is cut there; a call
stuck in C or asleep is cut by the parent's wall-clock kill of the whole child.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import copy
import hashlib
import importlib.util
import inspect
import math
import pickle
import random
import signal
import string
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from suture.tools.verify.counterexample import Outcome, load_base_module, load_module, run_outcome, same_outcome, typed_view
from suture.tools.verify.doc_examples import doc_examples, matches
from suture.tools.verify.behaviour_inputs import (MAX_CONSTANT_SEEDS, constants_of, fields_mutated, mutated, recombined, resized,
                                                  with_constants)
from suture.tools.verify.hypothesis_backend import strategies_for
from suture.tools.verify.receivers import NO_OBJECT, resolve_callable
from suture.tools.verify.record_pickle import fresh_locks
from suture.tools.verify.stand_ins import MARKER, STAND_IN, Recorder, callable_parameters, stand_ins
from suture.tools.verify.values import Incomparable, same_value, short_repr

__all__ = ["CallTimeout", "relations_of", "run_comparison", "shape_of"]

HANGS = "hangs"
HYPOTHESIS_EXAMPLES = 100  # inputs drawn from the parameter types
DRAW_WHEN_FEWER = 40  # Hypothesis draws only when the seeds' mutations made fewer inputs than this
DETERMINISM_CHECKS = 3  # inputs the base version runs twice on, to catch chance and hidden state
TEXT_ALPHABET = string.ascii_letters + string.digits + " _-.,:;/\\'\"\n\t\x00éßñ中€😀"
MAX_HANGS = 3  # a version's hangs may cost this many full per-call limits of CPU time; then it is not run again
# After a version's first hang its calls are cut sooner: at HANG_FACTOR times the slowest call any version
# finished so far (CPU time), at least HANG_FLOOR. A loop that never ends at HEAD (the bug itself) then
# costs a few hundredths of a second per input instead of the whole per-call limit, so the inputs on
# which HEAD hangs no longer use up the comparison's time and its hang allowance within three inputs
# (tests/test_cli_fix.py's `lo = mid` loop was shown as not compared beyond the tests at load 10).
HANG_FACTOR = 50  # a traced call (the base's) runs a few times slower than the untraced ones measured
HANG_FLOOR = 0.05
MAX_SHORT_HANGS = 40  # ... and this many more at the short limit (a few hundredths of a second each)


class CallTimeout(BaseException):
    """Raised by the per-call timer; a BaseException so `except Exception` in the code under test
    does not swallow it."""


def run_comparison(request: dict[str, Any], emit: Callable[[dict[str, Any]], None]) -> None:
    deadline = time.monotonic() + float(request["seconds"])
    fresh_locks()
    try:
        module = load_module(request["root"], request["module"])
        base_fn = resolve_callable(module, request["function"])
    except BaseException as exc:  # noqa: BLE001 - the code under test may raise anything on import
        emit({"kind": "setup", "unknown": f"the base version does not load: {exc.__class__.__name__}: {exc}"})
        return
    receivers = list(_receiver_seeds(base_fn, request.get("receivers") or []))
    why = _not_callable_alone(module, request["function"], base_fn)
    if why and not (receivers and why.endswith(NO_OBJECT)):
        emit({"kind": "setup", "unknown": why})
        return
    versions: dict[str, Any] = {"base": base_fn}
    version_unknown: dict[str, str] = {}
    for vid, file in request["versions"].items():
        try:
            with _installed(request.get("companions", {}).get(vid, {})):
                versions[vid] = resolve_callable(load_base_module(request["module"], file), request["function"])
        except BaseException as exc:  # noqa: BLE001
            version_unknown[vid] = f"its version does not load: {exc.__class__.__name__}: {exc}"
    signal.signal(signal.SIGPROF, _on_alarm)
    runner = _Runner(versions, float(request["per_call"]), inspect.getsourcefile(base_fn) or "")
    # A method runs on the objects the tests built (tools/verify/receivers.py), not on literals; a
    # function on the calls recorded where the tests pass it built values, then on the literal ones.
    method = bool(why)
    seeds = receivers if method else receivers + list(_seeds(base_fn, request["seeds"]))
    seen: set[str] = set()
    first = [runner.run(bound) + (label,) for bound, label in seeds[: request["max_inputs"]]
             if _fresh(bound, seen) and time.monotonic() < deadline]
    failing = {key for _, key, label in first if label == "failing"}
    passing = {key for _, key, label in first if label == "passing"}
    emit({"kind": "setup", "unknown": "", "version_unknown": version_unknown, "classified": bool(failing and passing),
          "notes": [] if seeds else ["no literal arguments recorded from the tests' calls"]})
    notes: list[str] = []
    unsure = runner.nondeterministic([bound for bound, _ in seeds[:DETERMINISM_CHECKS]])
    if unsure:
        emit({"kind": "setup", "unknown": unsure, "version_unknown": version_unknown})
        return
    if not method:  # a method's docstring example has no object to run on
        for check in doc_checks(runner, base_fn, request["function"].rsplit(".", 1)[-1]):
            emit(check)
    count = 0
    for item, key, label in first:
        emit({**item, "like": _likeness(key, failing, passing), "seed": label != STAND_IN, "key": _key_id(key),
              "label": label if label in ("failing", "passing") else ""})
        count += 1
    # No Hypothesis draws for a method: they would build `self` from nothing (a None, an int).
    twins: set[int] = set()  # ids of the field twins _more_inputs yields (kept alive until run)
    more = _more_inputs(base_fn, seeds, {**request, "draw": not method, "twins": twins}, notes, deadline,
                        constants_of(versions.values()))
    while count < request["max_inputs"] and time.monotonic() < deadline:
        bound = next(more, None)
        if bound is None:
            break
        if not _fresh(bound, seen):
            continue
        item, key = runner.run(bound)
        emit({**item, "like": _likeness(key, failing, passing), "key": _key_id(key), "twin": id(bound) in twins})
        count += 1
        if count == DETERMINISM_CHECKS and not seeds:
            unsure = runner.nondeterministic(runner.first_inputs)
            if unsure:
                emit({"kind": "setup", "unknown": unsure, "version_unknown": version_unknown})
                return
    emit({"kind": "done", "inputs": count, "notes": notes})


@contextlib.contextmanager
def _installed(modules: dict[str, str]) -> Iterator[None]:
    """The version's other changed modules in sys.modules under their own names while it loads: its
    `from pkg.other import f` then binds the version's f, not the base's. Restored after."""
    saved = {name: sys.modules.get(name) for name in modules}
    try:
        for name, file in modules.items():
            spec = importlib.util.spec_from_file_location(name, file)
            assert spec and spec.loader
            loaded = importlib.util.module_from_spec(spec)
            sys.modules[name] = loaded
            spec.loader.exec_module(loaded)
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old


def doc_checks(runner: _Runner, fn: Any, name: str) -> Iterator[dict[str, Any]]:
    """Every version on each example the base's docstring gives (tools/verify/doc_examples.py): its
    result, and whether that is the docstring's answer."""
    try:
        signature = inspect.signature(fn)
        examples = doc_examples(fn, name)
    except (TypeError, ValueError):
        return
    for example in examples:
        try:
            bound = signature.bind(*example.args)
        except TypeError:
            continue
        outcomes, holds = {}, {}
        for vid, version in runner.versions.items():
            outcome = runner.call(version, bound)
            outcomes[vid] = _describe(outcome, bound)
            holds[vid] = outcome is not None and outcome.raised is None and matches(outcome.returned, example)
        yield {"kind": "doc", "call": example.call, "expected": example.text, "outcomes": outcomes, "holds": holds}


def _on_alarm(signum: int, frame: Any) -> None:
    raise CallTimeout()


def _not_callable_alone(module: Any, qualname: str, fn: Any) -> str:
    """Why the function cannot be called on generated arguments alone ("" when it can)."""
    if not callable(fn):
        return f"{qualname} is not a function"
    if "." not in qualname:
        return ""
    owner = module.__dict__.get(qualname.split(".")[0])
    if not isinstance(owner, type):
        return f"{qualname} is a nested function: it cannot be called from outside"
    raw = inspect.getattr_static(owner, qualname.split(".")[-1], None)
    if isinstance(raw, (staticmethod, classmethod)):
        return ""
    return f"{qualname} is a method: {NO_OBJECT}"



def _fresh(bound: inspect.BoundArguments, seen: set[str]) -> bool:
    text = call_text("", bound)
    if text in seen:
        return False
    seen.add(text)
    return True


def call_text(name: str, bound: inspect.BoundArguments) -> str:
    parts = [short_repr(a, 100) for a in bound.args] + [f"{k}={short_repr(v, 100)}" for k, v in bound.kwargs.items()]
    return f"{name}({', '.join(parts)})"


def shape_of(value: Any) -> str:
    """An argument's shape: its type, and its length when it has one ([1, 2] and [7, 9] alike)."""
    kind = type(value).__name__
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        return f"{kind}/{len(value)}"
    return kind


def relations_of(values: list[Any]) -> tuple[str, ...]:
    """How each sized argument's length stands to each integer argument ("<", "=", ">"), in order.

    Part of an input's shape: `moving_average([1, 2], 3)` (a window longer than the list) and
    `moving_average([1, 2], 2)` (a window exactly as long, the failing tests' off-by-one case) have
    the same types and lengths, yet only the first is like a passing test. Without the relation the
    repair itself would count as a change of behaviour like the passing tests'."""
    sized = [len(v) for v in values if isinstance(v, (str, bytes, list, tuple, dict, set, frozenset))]
    numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    return tuple("<" if n < k else "=" if n == k else ">" for n in sized for k in numbers)


def _key_id(key: tuple) -> str:
    """A short name for an input's (path, shape) key: inputs with the same one are alike (the
    parent tells which passing tests' calls an input is like by it)."""
    return hashlib.sha1(repr(key).encode("utf-8", "backslashreplace")).hexdigest()[:12]


def _likeness(key: tuple, failing: set[tuple], passing: set[tuple]) -> str:
    inside_failing, inside_passing = key in failing, key in passing
    if inside_failing and inside_passing:
        return "both"
    return "failing" if inside_failing else "passing" if inside_passing else "novel"


class _Runner:
    """Runs every version on one input, the base traced for its path."""

    def __init__(self, versions: dict[str, Any], per_call: float, base_file: str) -> None:
        self.versions, self.per_call, self.base_file = versions, per_call, base_file
        self.first_inputs: list[inspect.BoundArguments] = []
        self.hung: dict[str, float] = {}  # version -> CPU seconds its cut calls cost
        self.slowest = 0.0  # CPU seconds of the slowest call any version finished

    def limit(self, vid: str) -> float:
        """The per-call CPU limit for `vid`: the full one until it first hangs, then HANG_FACTOR times
        the slowest finished call (see HANG_FACTOR)."""
        if vid not in self.hung:
            return self.per_call
        return min(self.per_call, max(HANG_FLOOR, HANG_FACTOR * self.slowest))

    def exhausted(self, vid: str) -> bool:
        return self.hung.get(vid, 0.0) >= MAX_HANGS * self.per_call + MAX_SHORT_HANGS * HANG_FLOOR - 1e-9

    def call(self, fn: Any, bound: inspect.BoundArguments, lines: set[int] | None = None,
             limit: float | None = None) -> Outcome | None:
        """The outcome of one call, None when it ran past its CPU limit (`limit`, else the per-call one)."""
        tracer = self._tracer(lines) if lines is not None else None
        started = time.process_time()
        try:
            signal.setitimer(signal.ITIMER_PROF, limit or self.per_call)
            if tracer:
                sys.settrace(tracer)
            try:
                outcome = run_outcome(fn, list(bound.args), dict(bound.kwargs), dict(bound.arguments))
            except (SystemExit, KeyboardInterrupt, GeneratorExit) as exc:
                outcome = Outcome(raised=exc, args_after=dict(bound.arguments))
            finally:
                sys.settrace(None)
                signal.setitimer(signal.ITIMER_PROF, 0)
        except CallTimeout:
            return None
        if tracer is None:  # a traced call is slowed by its tracer: not a measure of the code
            self.slowest = max(self.slowest, time.process_time() - started)
        return outcome

    def _tracer(self, lines: set[int]) -> Any:
        target = self.base_file

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "line":
                lines.add(frame.f_lineno)
            return local

        def scope(frame: Any, event: str, arg: Any) -> Any:
            return local if frame.f_code.co_filename == target else None

        return scope

    def run(self, bound: inspect.BoundArguments) -> tuple[dict[str, Any], tuple]:
        """(the input's JSON line without its likeness, its (path, shape) key)."""
        if len(self.first_inputs) < DETERMINISM_CHECKS:
            self.first_inputs.append(bound)
        lines: set[int] = set()
        outcomes = {}
        unknown: dict[str, str] = {}
        for vid, fn in self.versions.items():
            if self.exhausted(vid):
                unknown[vid] = "not run: its calls that hung used up its allowance"
                continue
            limit = self.limit(vid)
            outcomes[vid] = self.call(fn, bound, lines if vid == "base" else None, limit)
            if outcomes[vid] is None:
                self.hung[vid] = self.hung.get(vid, 0.0) + limit
        groups: list[tuple[Outcome | None, list[str]]] = []
        for vid, outcome in outcomes.items():
            try:
                group = next((members for head, members in groups if _alike(head, outcome)), None)
            except Incomparable as why:
                unknown[vid] = str(why)
                continue
            if group is None:
                groups.append((outcome, [vid]))
            else:
                group.append(vid)
        full = copy.copy(bound)
        full.apply_defaults()
        values = list(full.arguments.values())
        key = (tuple(sorted(lines)), tuple(shape_of(v) for v in values), relations_of(values))
        if "base" not in outcomes:
            return ({"kind": "input", "call": call_text(self.versions["base"].__name__, bound), "outcomes": {},
                     "groups": [], "unknown": unknown, "loose": []}, ((), (), ()))
        item = {"kind": "input", "call": call_text(self.versions["base"].__name__, bound),
                "outcomes": {vid: _describe(o, bound) for vid, o in outcomes.items()},
                "groups": [members for _, members in groups], "unknown": unknown,
                "loose": [vid for vid, o in outcomes.items() if vid != "base" and _loosely_equal(outcomes["base"], o)]}
        return item, key

    def nondeterministic(self, inputs: list[inspect.BoundArguments]) -> str:
        """Why the base cannot be trusted to give one result per input ("" when it gave the same twice)."""
        for bound in inputs:
            try:
                first = self.call(self.versions["base"], bound, limit=self.limit("base"))
                if first is None:
                    continue  # it hangs (again): a loop that never ends is no sign of chance, and each costs its limit
                if not _alike(first, self.call(self.versions["base"], bound)):
                    return ("the base version gives different results for the same input "
                            f"({call_text(self.versions['base'].__name__, bound)}): randomness, a clock or hidden state")
            except Incomparable:
                continue
        return ""


def _alike(a: Outcome | None, b: Outcome | None) -> bool:
    """Same result (hanging alike included); raises Incomparable when that cannot be told.

    Two calls that raise the same exception type are alike only if they also leave the arguments
    alike: what a call did before it raised is behaviour too (a withdrawal logged in the account's
    history and then refused; `same_outcome` compares the arguments of returning calls only)."""
    if a is None or b is None:
        return a is None and b is None
    if not same_outcome(a, b, "isclose"):
        return False
    return a.raised is None or all(same_value(a.args_after[k], b.args_after.get(k), "isclose") for k in a.args_after)


def _loosely_equal(a: Outcome | None, b: Outcome | None) -> bool:
    """Equal by plain `==` (2 and 2.0), a difference of type only: a weak example to show a person."""
    if a is None or b is None or a.raised is not None or b.raised is not None:
        return False
    try:
        return type(a.returned) is not type(b.returned) and bool(a.returned == b.returned)
    except Exception:  # noqa: BLE001 - a user __eq__ may raise anything
        return False


def _describe(outcome: Outcome | None, bound: inspect.BoundArguments) -> str:
    if outcome is None:
        return HANGS
    if outcome.raised is not None:
        text = f"raises {type(outcome.raised).__name__}"
    elif isinstance(outcome.returned, float) and math.isfinite(outcome.returned) and len(repr(outcome.returned)) > 10:
        text = f"returns {outcome.returned:.6g}"
    else:
        text = f"returns {short_repr(outcome.returned, 80)}"
    for name, after in outcome.args_after.items():
        try:
            changed = not same_value(bound.arguments.get(name), after)
        except Incomparable:
            changed = False
        if changed:
            text += f", leaves {name} as {short_repr(after, 60)}"
    return text


# ---------------------------------------------------------------- the inputs


def _seeds(fn: Any, recorded: list[dict[str, Any]]) -> Iterator[tuple[inspect.BoundArguments, str]]:
    """The tests' own calls, bound to the function's signature (calls that do not fit are skipped).

    A call with a non-literal argument (MARKER) for a parameter the function calls is kept with
    each of tools/verify/stand_ins.py's callables put in for it, labelled STAND_IN (not the tests'
    own call: its likeness tells nothing); any other non-literal argument leaves the call out."""
    signature = inspect.signature(fn)
    callables: set[str] | None = None
    stood_in: list[tuple[inspect.BoundArguments, str]] = []
    for call in recorded:
        try:
            args = [a if a == MARKER else ast.literal_eval(a) for a in call["args"]]
            kwargs = {k: v if v == MARKER else ast.literal_eval(v) for k, v in call["kwargs"].items()}
            bound = signature.bind(*args, **kwargs)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        holes = [name for name, value in bound.arguments.items() if isinstance(value, str) and value == MARKER]
        if _packed_hole(signature, bound):
            continue  # a non-literal inside *args or **kwargs: no stand-in goes there, and the marker is no value
        if not holes:
            yield bound, call.get("label", "")
            continue
        callables = callable_parameters(fn) if callables is None else callables
        if set(holes) <= callables:
            for stand_in in stand_ins(fn):  # the first hole takes each; the others record and return None
                arguments = {**bound.arguments, **{name: Recorder() for name in holes[1:]}, holes[0]: stand_in}
                stood_in.append((inspect.BoundArguments(signature, arguments), STAND_IN))  # type: ignore[arg-type]
    yield from stood_in  # after the tests' own calls: those are the ones compared first


def _packed_hole(signature: inspect.Signature, bound: inspect.BoundArguments) -> bool:
    """Does a non-literal argument (MARKER) sit in the call's *args or **kwargs? (toolz's tests pass
    `thread_last(data, (map, inc), (filter, iseven))`: the marker text itself was once run as a form.)"""
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL and any(isinstance(v, str) and v == MARKER for v in value):
            return True
        if kind is inspect.Parameter.VAR_KEYWORD and any(isinstance(v, str) and v == MARKER for v in value.values()):
            return True
    return False


def _receiver_seeds(fn: Any, records: list[dict[str, Any]]) -> Iterator[tuple[inspect.BoundArguments, str]]:
    """The calls the tests made of a method, `self` included (tools/verify/receivers.py), bound to
    its signature; a record that does not unpickle here (a class only a test module defines) is skipped."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    for record in records:
        try:
            args, kwargs = pickle.loads(base64.b64decode(record["pickle"]))
            yield signature.bind(*args, **kwargs), record.get("label", "")
        except Exception:  # noqa: BLE001 - unpickling runs the project's code: anything may be raised
            continue


def _more_inputs(fn: Any, seeds: list[tuple[inspect.BoundArguments, str]], request: dict[str, Any],
                 notes: list[str], deadline: float, constants: list[Any] = ()) -> Iterator[inspect.BoundArguments]:
    """The seeds with the code's own constants put in, then mutated (shape kept), then recombined
    (their own values shared between positions), then resized, then Hypothesis' draws
    (tools/verify/behaviour_inputs.py builds all but the draws)."""
    rng = random.Random(0)
    made = 0
    for bound, _ in seeds[:MAX_CONSTANT_SEEDS]:
        for item in with_constants(bound, constants):
            made += 1
            yield item
    for bound, _ in seeds:
        for item in mutated(bound, rng):
            made += 1
            yield item
    # Recombined: not counted, so Hypothesis is drawn where it was (they add shapes, not numbers of inputs).
    for bound, _ in seeds:
        yield from recombined(bound)
    for bound, _ in seeds:
        for item in resized(bound):
            made += 1
            yield item
    # A method of `self` alone has nothing else to vary: twins of the recorded object with one field
    # changed. Nowhere else: a twin may break what the class's constructor checks (a `Slot` that ends
    # where it starts), and two patches that agree on such inputs are not thereby alike (bench/bugs
    # room_booking's wrong `<` and its right fix agree on every one-field twin of the tests' slots). So
    # only for a lone patch: twins show what it changes, but agreeing with a rival on them decides
    # nothing (`age > 17` and `age >= 18` agree on every integer age), and a rival left uncompared caps.
    if not made and len(request.get("versions", {})) == 1 and \
            not any(True for bound, _ in seeds for _ in recombined(bound)):
        for bound, _ in seeds:
            if len(bound.arguments) != 1:
                continue
            for item in fields_mutated(bound, rng):
                made += 1
                request["twins"].add(id(item))
                yield item
    # Hypothesis (a second of imports and set-up) only when the tests' own calls gave few inputs.
    if made < DRAW_WHEN_FEWER and request.get("draw", True):
        yield from _drawn(fn, request, notes, deadline)


class _Enough(BaseException):
    """Ends Hypothesis' drawing at its time limit (not an Exception: Hypothesis would take it for a failure)."""


def _drawn(fn: Any, request: dict[str, Any], notes: list[str], deadline: float) -> Iterator[inspect.BoundArguments]:
    if time.monotonic() >= deadline:
        return
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    # Drawing takes at most 70% of what is left after the import: the draws must still be run.
    stop_at = deadline - 0.3 * (deadline - time.monotonic())
    # Strings from a fixed alphabet: Hypothesis' full-unicode text first builds tables of every
    # code point, tens of seconds on a loaded machine, in every new storage directory.
    text = st.text(alphabet=TEXT_ALPHABET, max_size=12)
    st.register_type_strategy(str, text)
    strategies, positional, _ = strategies_for(typed_view(fn, request.get("param_types") or {}), text=text)
    drawn: list[dict[str, Any]] = []

    @settings(max_examples=min(request["max_inputs"], HYPOTHESIS_EXAMPLES), database=None, deadline=None,
              derandomize=True, suppress_health_check=list(HealthCheck), phases=[Phase.generate], print_blob=False)
    @given(**strategies)
    def draw(**values: Any) -> None:
        if time.monotonic() >= stop_at:
            raise _Enough()
        try:
            drawn.append(copy.deepcopy(values))
        except Exception:  # noqa: BLE001 - a value that does not copy is kept as drawn
            drawn.append(values)

    try:
        draw()
    except _Enough:
        notes.append(f"Hypothesis drew {len(drawn)} inputs before its time share ran out")
    except Exception as exc:  # noqa: BLE001 - a type Hypothesis cannot build
        notes.append(f"Hypothesis could not draw the arguments: {exc.__class__.__name__}: {str(exc)[:200]}")
    signature = inspect.signature(fn)
    for values in drawn:
        try:
            yield signature.bind(*[values[n] for n in positional],
                                 **{k: v for k, v in values.items() if k not in positional})
        except TypeError:
            continue
