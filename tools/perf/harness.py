"""The deterministic harness `suture optimize` times, profiles and records through.

Run in a fresh process per measurement (`python -m suture.tools.perf.harness MODE ...`) with the
tree under test first on sys.path:

    scale   --root R --target SPEC --workload W          double the scale until one call takes CPU
                                                          >= --min-seconds; prints {"suture_scale": N, "seconds": t}
    time    --root R --target SPEC --workload W --scale N   (a returned iterator or generator is consumed,
                                                          up to TIMED_ITEMS items, inside the timed call)
    time    --root R --script S [--script-arg A]...       run a bench script (runpy, as __main__)
    time    --root R --pytest "ARGS"                      run pytest in-process (a pytest-benchmark test)
                                                          both print the timing protocol line {"suture_timing":
                                                          [seconds per call]} (a function target's: CPU, cpu_clock())
    record  (the same target/script options) --watch SPEC... --out FILE
                                                          pickle (args, outcome, args after) of calls
                                                          to the watched functions during the workload
    replay  --root R --inputs FILE                        call the functions of R on recorded inputs;
                                                          prints {"suture_replay": {...}}
    serve                                                 a warm harness: one JSON request per stdin line, each
                                                          run as above in a child forked from it (tools/perf/warm.py)

Over 600 lines as one concept: the one process every sized, timed, recorded and replayed run of a target goes
through; the modes share the workload, the seeding and the cache clearing (and `serve` forks those same runs).

SPEC is "pkg.mod:func" or "path/to/file.py::func" (func may be "Class.method").
Every call runs with random.seed(0) (and numpy's, when loaded), PYTHONHASHSEED=0 (the harness
re-executes itself with it), and with the functools caches of every module of the tree
cleared first, so a hidden lru_cache cannot make a later call look faster. A bad target or
workload prints one sentence on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import io
import itertools
import json
import math
import os
import pickle
import random
import runpy
import signal
import sys
import time
import types
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any, Callable

try:
    from suture.tools.perf.inputs import Inputs
    from suture.tools.verify.values import Incomparable, canonical, consume, replayed, same_value
except ModuleNotFoundError:  # run by path under the project's Python, without suture: values.py and inputs.py
    sys.path.append(str(Path(__file__).resolve().parent.parent))  # were copied beside it (tools/testing/pytest_shim.py)
    from suture_pytest_plugins.inputs import Inputs  # type: ignore
    from suture_pytest_plugins.values import Incomparable, canonical, consume, replayed, same_value  # type: ignore

MIN_SECONDS = 0.05
MAX_SCALE = 2**20
SCALE_TIME_CAP = 60.0  # seconds spent growing the workload before giving up
MAX_CALL_SECONDS = 5.0  # a call using more CPU than this while sizing is interrupted: the scale overshot
WALL_BACKSTOP = 10  # ... and one waiting longer than this many times it in wall time
NARROW_ABOVE = 1.3  # a doubling that lands further above --min-seconds than this is narrowed down
NARROW_AIM = 1.15  # ... by aiming at a call this many times --min-seconds
RECORD_CALLS = 25  # recorded calls per watched function and workload run
RECORD_SCALES = (1, 2, 3, 5, 8)  # small inputs recorded beside the measured scale, for variety
TIMED_ITEMS = 1_000_000  # items of a returned iterator the timed call consumes (its work happens then)
EXIT_BAD_INPUT = 2


_NOTHING = contextlib.nullcontext()


class HarnessError(Exception):
    """One sentence for the user; the process exits 2."""


def cpu_clock() -> float:
    """CPU seconds of this process and its reaped children: what a function target is sized and timed
    by. Wall time counts waiting for a core: at load 20 on 2 cores that was ~90% of it, inputs came out
    ~10x too small and no real speed-up cleared the bar (bench/RESULTS.md, 2026-12-07 03:13). Threads
    only add CPU, so parallelism cannot pass for a speed-up; scripts and pytest benches keep wall time."""
    children = os.times()
    return time.process_time() + children.children_user + children.children_system


# ---------------------------------------------------------------- finding things


def module_for_file(root: Path, file: Path) -> tuple[Path, str]:
    """(sys.path entry, dotted module name) under which `file` imports (packages walked up)."""
    file = file.resolve()
    directory = file.parent
    parts = [file.stem] if file.stem != "__init__" else []
    while (directory / "__init__.py").is_file() and directory != directory.parent and directory != root.parent:
        parts.insert(0, directory.name)
        directory = directory.parent
    return directory, ".".join(parts)


def split_spec(spec: str) -> tuple[str, str, bool]:
    """(module or path, qualname, is_path) of "pkg.mod:func" or "file.py::func"."""
    if "::" in spec:
        where, _, name = spec.partition("::")
        return where, name, True
    where, sep, name = spec.rpartition(":")
    if not sep or not where or not name:
        raise HarnessError(f"the target {spec!r} is neither MODULE:FUNC nor path/to/file.py::func.")
    if where.endswith(".py"):
        return where, name, True
    return where, name, False


def prepare_path(root: Path) -> None:
    for entry in (root / "src", root):
        if entry.is_dir() and str(entry) not in sys.path:
            sys.path.insert(0, str(entry))


def import_owner(root: Path, spec: str) -> tuple[Any, str, types.ModuleType]:
    """(the object holding the function's last name, that name, its module)."""
    where, qualname, is_path = split_spec(spec)
    if is_path:
        file = (root / where) if not Path(where).is_absolute() else Path(where)
        if not file.is_file():
            raise HarnessError(f"the target file {where} does not exist in {root}.")
        entry, module_name = module_for_file(root, file)
        if str(entry) not in sys.path:
            sys.path.insert(0, str(entry))
    else:
        module_name = where
    try:
        module = __import__(module_name, fromlist=["_"])
    except ModuleNotFoundError as error:
        raise HarnessError(f"the target module {module_name} cannot be imported from {root} ({error}).") from None
    except Exception as error:
        raise HarnessError(f"importing {module_name} failed: {error.__class__.__name__}: {error}.") from None
    owner: Any = module
    parts = qualname.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part, None)
        if owner is None:
            raise HarnessError(f"{module_name} defines no {qualname} (no {part}).")
    if not callable(getattr(owner, parts[-1], None)):
        raise HarnessError(f"{module_name} defines no function {qualname}.")
    return owner, parts[-1], module


def resolve(root: Path, spec: str) -> Callable[..., Any]:
    owner, name, _ = import_owner(root, spec)
    return getattr(owner, name)


def load_workload(path: str) -> Callable[[int], Any]:
    try:
        namespace = runpy.run_path(path, run_name="suture_workload")
    except FileNotFoundError:
        raise HarnessError(f"the workload file {path} does not exist.") from None
    except Exception as error:
        raise HarnessError(f"the workload file {path} failed to load: {error.__class__.__name__}: {error}.") from None
    make_input = namespace.get("make_input")
    if not callable(make_input):
        raise HarnessError(f"the workload file {path} defines no make_input(scale) function.")
    return make_input


def as_call(made: Any) -> tuple[tuple, dict]:
    """make_input's value as (args, kwargs): a tuple is the arguments, a dict with args/kwargs
    names both, anything else is the one argument."""
    if isinstance(made, tuple):
        return made, {}
    if isinstance(made, dict) and set(made) <= {"args", "kwargs"} and made:
        return tuple(made.get("args", ())), dict(made.get("kwargs", {}))
    return (made,), {}


# ---------------------------------------------------------------- determinism


def tree_modules(root: Path) -> list[types.ModuleType]:
    root_text = str(root.resolve()) + os.sep
    found = []
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and os.path.abspath(file).startswith(root_text):
            found.append(module)
    return found


def clear_caches(root: Path) -> None:
    """cache_clear() every functools cache of the tree's modules (functions and class attributes)."""
    for module in tree_modules(root):
        for value in list(vars(module).values()):
            _clear(value)
            if isinstance(value, type) and value.__module__ == module.__name__:
                for member in list(vars(value).values()):
                    _clear(getattr(member, "__func__", member))
                    _clear(getattr(member, "fget", None))


def _clear(value: Any) -> None:
    clear = getattr(value, "cache_clear", None)
    if callable(clear):
        try:
            clear()
        except Exception:
            pass


def seed() -> None:
    random.seed(0)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        try:
            numpy.random.seed(0)
        except Exception:
            pass


# ---------------------------------------------------------------- comparing results


def same(a: Any, b: Any) -> bool | None:
    """tools/verify/values.py's rule (exact floats); None when the pair cannot be compared (never a mismatch)."""
    try:
        return same_value(a, b)
    except Incomparable:
        return None


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def materialize(value: Any) -> Any:
    """Iterators and generators run on their prefix (values.consume), so what they yield is what is compared."""
    return consume(value)


# ---------------------------------------------------------------- workloads


class Workload:
    """What one measured run does: a function on make_input(scale), or a bench script."""

    def __init__(self, root: Path, target: str | None, workload: str | None, script: str | None,
                 script_args: list[str], pytest_args: str | None = None):
        self.root = root
        self.pytest_args = pytest_args
        if pytest_args is not None:
            script = "pytest"  # runs like a script: one run of the whole command
        self.script = script
        self.script_args = script_args
        self.target = target
        self.function: Callable[..., Any] | None = None
        self.make_input: Callable[[int], Any] | None = None
        self.inputs = Inputs(workload if script is None else None)
        if script is None:
            if not target or not workload:
                raise HarnessError("a function target needs --workload with make_input(scale).")
            self.function = resolve(root, target)
            self.make_input = load_workload(workload)

    def arguments(self, scale: int) -> tuple[tuple, dict]:
        seed()
        try:  # built here, or loaded when an earlier timed process kept them (tools/perf/inputs.py)
            return self.inputs.made(scale, lambda: as_call(self.make_input(scale)), cpu_clock)
        except Exception as error:
            raise HarnessError(f"make_input({scale}) failed: {error.__class__.__name__}: {error}.") from None

    def run(self, scale: int, call: tuple[tuple, dict] | None = None) -> tuple[float, Any]:
        """Seconds of one call (caches cleared and seeds fixed first) and its result."""
        if self.script is not None:
            return self._run_script()
        # Under tools/perf/profile.py's driver the set-up is left out of the profile: make_input can cost
        # many times the call (256k objects built for a 50 ms look-up), and its functions were ranked as
        # the hot spots the rules then rewrote, which the timed call never runs.
        with getattr(sys, "suture_unprofiled", None) or _NOTHING:
            args, kwargs = call if call is not None else self.arguments(scale)
            clear_caches(self.root)
            seed()
        started = cpu_clock()
        try:
            result = _consumed(self.function(*args, **kwargs))
        except Exception as error:
            raise HarnessError(f"the target raised {error.__class__.__name__}: {error} on make_input({scale}).") from None
        seconds = cpu_clock() - started
        return seconds, result

    def _run_script(self) -> tuple[float, Any]:
        if self.pytest_args is not None:
            return self._run_pytest()
        script = Path(self.script)
        script = script if script.is_absolute() else self.root / script
        if not script.is_file():
            raise HarnessError(f"the bench script {self.script} does not exist.")
        saved_argv = sys.argv
        sys.argv = [str(script), *self.script_args]
        clear_caches(self.root)
        seed()
        started = time.perf_counter()
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as done:
            if done.code not in (None, 0):
                raise HarnessError(f"the bench script {self.script} exited with {done.code}.") from None
        except Exception as error:
            raise HarnessError(f"the bench script {self.script} raised {error.__class__.__name__}: {error}.") from None
        finally:
            sys.argv = saved_argv
        return time.perf_counter() - started, None

    def _run_pytest(self) -> tuple[float, Any]:
        import shlex

        import pytest
        args = [*shlex.split(self.pytest_args), "-q", "-p", "no:cacheprovider"]
        clear_caches(self.root)
        seed()
        # pytest's own report carries its run time: kept off stdout, which must be the same every run.
        with redirect_stdout(io.StringIO()) as said:
            started = time.perf_counter()
            code = pytest.main(args)
            seconds = time.perf_counter() - started
        if int(code) != 0:
            tail = said.getvalue().strip().splitlines()[-1:] or [""]
            raise HarnessError(f"the bench command pytest {self.pytest_args} failed (exit {int(code)}: {tail[0]}).")
        return seconds, None


def _consumed(value: Any) -> Any:
    """`value`, or when it is lazy (a generator, map, any iterator) the list of its first TIMED_ITEMS items:
    timing only the creation of a generator would time nothing of its work (this only decides what is timed)."""
    lazy = isinstance(value, types.GeneratorType) or (
        hasattr(value, "__next__") and hasattr(value, "__iter__") and not isinstance(value, (str, bytes, io.IOBase)))
    return list(itertools.islice(value, TIMED_ITEMS)) if lazy else value


class _CallTooLong(BaseException):  # not an Exception: the target's own except clauses must not swallow it
    pass


def _timed_call(work: Workload, scale: int, limit: float) -> float:
    """CPU seconds of one call at `scale`; _CallTooLong past `limit` of CPU time (the clock it is sized by),
    or past WALL_BACKSTOP times `limit` of wall time (a call that waits rather than works)."""
    call = work.arguments(scale)

    def stop(signum: int, frame: Any) -> None:
        raise _CallTooLong()

    timers = ((signal.SIGPROF, signal.ITIMER_PROF, limit), (signal.SIGALRM, signal.ITIMER_REAL, limit * WALL_BACKSTOP))
    previous = [signal.signal(sig, stop) for sig, _, _ in timers]
    for _, timer, after in timers:
        signal.setitimer(timer, after)
    try:
        seconds, _ = work.run(scale, call)
    finally:
        for (sig, timer, _), handler in zip(timers, previous):
            signal.setitimer(timer, 0)
            signal.signal(sig, handler)
    return seconds


def find_scale(work: Workload, min_seconds: float, max_scale: int = MAX_SCALE, time_cap: float = SCALE_TIME_CAP,
               max_call: float = MAX_CALL_SECONDS) -> tuple[int, float]:
    """The smallest scale tried whose call takes >= min_seconds: doubling, then bisecting between the last
    two scales (when a doubling overshoots past max_call, as exponential work does, or lands far above).
    A call that raises at a small scale (too little input for the function) is skipped while
    the scale grows; failing at every scale is bad input."""
    started = time.monotonic()
    low, high = 0, None  # largest scale known too fast, smallest known too slow
    scale, seconds, error, succeeded, low_seconds = 1, 0.0, None, False, 0.0
    while True:
        try:
            seconds = _timed_call(work, scale, max_call)
            # Once more: a single slow call on a loaded machine must not pick a too small scale. Not yet when
            # the call lands far above the floor with no overshoot before: _narrow looks below it first, and
            # measures it again only if it is the one chosen (each call builds make_input afresh, which is
            # most of sizing's cost: bench/RESULTS.md, issue 21, "Sizing").
            if seconds >= min_seconds and not (high is None and NARROW_ABOVE * min_seconds < seconds < max_call):
                seconds = min(seconds, _timed_call(work, scale, max_call))
        except _CallTooLong:
            seconds = max_call
        except HarnessError as failed:
            if not succeeded and scale < max_scale:
                error = failed
                scale *= 2
                continue
            raise
        succeeded = True
        if min_seconds <= seconds < max_call:
            return (scale, seconds) if high is not None else \
                _narrow(work, (low, low_seconds), (scale, seconds), min_seconds, max_call, started + time_cap)
        if seconds >= max_call:
            high = scale
        else:
            low, low_seconds = scale, seconds
        if high is not None:
            if high - low <= 1:
                raise HarnessError(
                    f"no scale gives a call between {min_seconds * 1000:.0f} ms and {max_call:g} s of CPU "
                    f"(scale {low} is faster, {high} slower); make make_input(scale) grow the work more gently.")
            scale = (low + high) // 2
        elif scale >= max_scale or time.monotonic() - started > time_cap:
            if not succeeded and error is not None:
                raise error
            raise HarnessError(
                f"the workload is too fast to time: one call takes {seconds * 1000:.2f} ms of CPU at scale {scale} "
                f"(the most tried), under the {min_seconds * 1000:.0f} ms needed; make make_input(scale) grow the work.")
        else:
            scale *= 2


def _narrow(work: Workload, below: tuple[int, float], above: tuple[int, float], min_seconds: float, max_call: float,
            ends: float) -> tuple[int, float]:
    """Between the last scale too fast and the first long enough (each with its call's seconds), the smallest
    that still takes min_seconds, to an eighth of the step: a doubling overshoots up to 2x (4x for quadratic
    work), and every stage of a run (profiling, recording, the gates, each timed process) pays for the extra
    input. Each try aims at NARROW_AIM times the floor on the power law through the bracket's two calls
    (the middle when there is none), so a linear or polynomial workload is narrowed in one or two builds of
    make_input where halving took two to four, each built twice."""
    (low, low_seconds), (scale, seconds) = below, above
    # find_scale measured a call this far above the floor only once: again below, if it is the one chosen
    top = scale if seconds > NARROW_ABOVE * min_seconds else None
    while scale - low > max(1, scale // 8) and seconds > NARROW_ABOVE * min_seconds and time.monotonic() < ends:
        middle = _aimed(low, low_seconds, scale, seconds, NARROW_AIM * min_seconds)
        try:
            took = _timed_call(work, middle, max_call)
            if took >= min_seconds:
                took = min(took, _timed_call(work, middle, max_call))
        except (_CallTooLong, HarnessError):
            break
        if took >= min_seconds:
            scale, seconds = middle, took
        else:
            low, low_seconds = middle, took
    if scale == top:
        try:
            seconds = min(seconds, _timed_call(work, scale, max_call))
        except (_CallTooLong, HarnessError):
            pass
    return scale, seconds


def _aimed(low: int, low_seconds: float, scale: int, seconds: float, aim: float) -> int:
    """The scale between `low` and `scale` whose call should take `aim` seconds, on the power law through the
    two measured calls (the middle when it cannot be drawn), kept an eighth of the step inside the bracket so
    that every try narrows it."""
    guess = (low + scale) // 2
    if low > 0 and 0 < low_seconds < aim < seconds:
        power = math.log(seconds / low_seconds) / math.log(scale / low)
        guess = round(low * (aim / low_seconds) ** (1 / power))
    margin = max(1, (scale - low) // 8)
    return min(max(guess, low + margin), scale - margin)


# ---------------------------------------------------------------- recording and replay


class Recorder:
    """Wraps watched functions in place and keeps copies of their inputs and outcomes."""

    def __init__(self, root: Path, specs: list[str], limit: int = RECORD_CALLS):
        self.calls: dict[str, list[bytes]] = {spec: [] for spec in specs}
        self.caps = {spec: limit for spec in specs}  # raised per workload run: each run keeps its first calls
        self.skipped: dict[str, str] = {}
        for spec in specs:
            try:
                owner, name, _ = import_owner(root, spec)
            except HarnessError as error:
                self.skipped[spec] = str(error)
                continue
            raw = vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name)
            if isinstance(raw, (classmethod, staticmethod)) or raw is None:
                self.skipped[spec] = "class and static methods are not recorded"
                continue
            setattr(owner, name, self._wrap(spec, raw))

    def _wrap(self, spec: str, function: Callable[..., Any]) -> Callable[..., Any]:
        store, caps = self.calls[spec], self.caps

        @functools.wraps(function)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            limit = caps[spec]
            if len(store) >= limit:
                return function(*args, **kwargs)
            try:
                # The arguments as they came in, pickled now (the record is a pickle anyway): one pass in C
                # where deepcopy then pickle made two, the first in Python (a 256k-object catalogue's deepcopy
                # was most of a recording run, bench/RESULTS.md 2026-12-07 06:04, polib_find).
                before = pickle.dumps((args, kwargs))
            except Exception:
                return function(*args, **kwargs)
            try:
                result = function(*args, **kwargs)
                outcome = ("return", materialize(result))
                if outcome[1] is not result:  # iterators were run to record them: the workload gets them again
                    result = replayed(outcome[1])
            except Exception as error:
                outcome = ("raise", error.__class__.__name__, str(error))
                _keep(store, before, outcome, (args, kwargs), limit)
                raise
            _keep(store, before, outcome, (args, kwargs), limit)
            return result

        return recorded


def _keep(store: list, before: bytes, outcome: Any, after: Any, limit: int) -> None:
    record = {"before": before, "outcome": outcome, "after": after}
    try:
        blob = pickle.dumps(record)
    except Exception:
        return  # not picklable: this call cannot be replayed in another process
    if len(store) < limit:
        store.append(blob)


def record(work: Workload, specs: list[str], scale: int | None, out: Path) -> dict[str, Any]:
    recorder = Recorder(work.root, specs)
    if work.target is not None:
        work.function = resolve(work.root, work.target)  # the wrapped one, when the target is watched
    if work.script is not None:
        with redirect_stdout(io.StringIO()):
            work.run(0)
    else:
        # Small inputs for variety, then the measured scale (each function keeps its first calls per scale).
        for size in sorted({s for s in RECORD_SCALES if scale is None or s < scale} | ({scale} if scale else set())):
            for spec in recorder.calls:
                recorder.caps[spec] = len(recorder.calls[spec]) + RECORD_CALLS
            try:
                with redirect_stdout(io.StringIO()):
                    work.run(size)
            except HarnessError:
                if size == scale:
                    raise
    out.write_bytes(pickle.dumps({"root": str(work.root), "calls": recorder.calls}))
    return {"recorded": {spec: len(calls) for spec, calls in recorder.calls.items()}, "skipped": recorder.skipped}


def replay(root: Path, inputs: Path) -> dict[str, Any]:
    try:
        data = pickle.loads(inputs.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError) as error:
        raise HarnessError(f"the recorded inputs {inputs} cannot be read ({error.__class__.__name__}).") from None
    checked = 0
    mismatches: list[dict[str, Any]] = []
    unavailable: dict[str, str] = {}
    for spec, blobs in data["calls"].items():
        if not blobs:
            continue
        try:
            function = resolve(root, spec)
        except HarnessError as error:
            unavailable[spec] = str(error)
            continue
        for number, blob in enumerate(blobs):
            try:
                recorded = pickle.loads(blob)
                recorded["args"], recorded["kwargs"] = pickle.loads(recorded["before"])
            except Exception as error:
                unavailable[spec] = f"a recorded input does not load any more ({error.__class__.__name__})"
                break
            args, kwargs = recorded["args"], recorded["kwargs"]
            clear_caches(root)
            seed()
            try:
                with redirect_stdout(io.StringIO()):
                    outcome = ("return", materialize(function(*args, **kwargs)))
            except Exception as error:
                outcome = ("raise", error.__class__.__name__, str(error))
            expected = recorded["outcome"]
            returned = same(expected[1], outcome[1]) if expected[0] == outcome[0] == "return" else True
            after = same(recorded["after"], (args, kwargs)) if expected[0] == "return" else True
            if returned is None or after is None:
                unavailable[spec] = "its results have no __eq__ and no readable state, so they cannot be compared"
                continue
            checked += 1
            if expected[0] != outcome[0] or not returned or (expected[0] == "raise" and expected[1] != outcome[1]):
                mismatches.append({"function": spec, "call": number, "inputs": _short(recorded["args"]),
                                   "expected": _short(expected[1:]), "actual": _short(outcome[1:])})
            elif not after:
                mismatches.append({"function": spec, "call": number, "inputs": _short(recorded["args"]),
                                   "expected": "arguments left as the base left them",
                                   "actual": "the arguments were changed differently"})
            if len(mismatches) >= 3:
                break
    return {"checked": checked, "mismatches": mismatches, "unavailable": unavailable}


def _short(value: Any, limit: int = 300) -> str:
    text = canonical(value) if not isinstance(value, tuple) or len(value) != 1 else canonical(value[0])
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------- the command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m suture.tools.perf.harness")
    parser.add_argument("mode", choices=("scale", "time", "record", "replay"))
    parser.add_argument("--root", required=True)
    parser.add_argument("--target")
    parser.add_argument("--workload")
    parser.add_argument("--script")
    parser.add_argument("--script-arg", action="append", default=[])
    parser.add_argument("--pytest")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--calls", type=int, default=int(os.environ.get("SUTURE_HARNESS_CALLS", "1")))
    parser.add_argument("--min-seconds", type=float, default=MIN_SECONDS)
    parser.add_argument("--max-scale", type=int, default=MAX_SCALE)
    parser.add_argument("--max-call", type=float, default=MAX_CALL_SECONDS)
    parser.add_argument("--watch", action="append", default=[])
    parser.add_argument("--out")
    parser.add_argument("--inputs")
    return parser


# ---------------------------------------------------------------- the warm server (client: tools/perf/warm.py)

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


def serve() -> int:
    """Serve timed runs from one loaded interpreter: a child forked per run, which runs main() on the
    request's arguments as a fresh `python -m suture.tools.perf.harness ...` would.

    Reads one JSON request per stdin line ({"argv": [...], "env": {...}}) and answers each with
    {"code": exit status, "stdout": ..., "stderr": ..., "wall": seconds from fork to exit}. What a fresh
    process would have fresh, each child has fresh: nothing of the tree is imported here (the child imports
    the target, runs make_input, clears caches and seeds), its own empty TMPDIR, the request's environment
    over the server's; the server is the children's subreaper and kills whatever a run left before it
    answers. What is shared is what a fresh process would redo the same way each time: the interpreter's
    start-up and the harness's imports (about half of a 50 ms run's CPU, bench/RESULTS.md, issue 15).
    End of stdin ends the server."""
    import gc
    import shutil
    import tempfile

    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    gc.collect()
    gc.freeze()  # the loaded objects stay out of the children's collections: no copied pages, less noise
    base = os.environ.get("TMPDIR") or tempfile.gettempdir()
    print(json.dumps({"ready": os.getpid()}), flush=True)
    stdin, buffer = sys.stdin.fileno(), b""
    while True:
        while b"\n" not in buffer:
            chunk = os.read(stdin, 65536)
            if not chunk:
                return 0
            buffer += chunk
        line, buffer = buffer.split(b"\n", 1)
        request = json.loads(line)
        private = tempfile.mkdtemp(prefix="run-", dir=base)
        out, err = os.path.join(private, ".stdout"), os.path.join(private, ".stderr")
        work = os.path.join(private, "tmp")
        os.mkdir(work)
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            _served_child(request, out, err, work)
        status = os.waitpid(pid, 0)[1]
        wall = time.perf_counter() - started
        _kill_leftovers()
        with open(out, encoding="utf-8", errors="replace") as fh, open(err, encoding="utf-8", errors="replace") as fe:
            answer = {"code": os.waitstatus_to_exitcode(status), "stdout": fh.read(), "stderr": fe.read(), "wall": wall}
        shutil.rmtree(private, ignore_errors=True)
        print(json.dumps(answer), flush=True)


def _served_child(request: dict[str, Any], out: str, err: str, work: str) -> None:
    """The forked run: dies with the server, takes the request's environment and its own TMPDIR, writes
    stdout and stderr to files, runs main(). Never returns."""
    status = 70
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, out), (2, err)):
            opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        os.close(null)
        os.environ.update(request.get("env") or {})
        os.environ["TMPDIR"] = work
        import tempfile

        tempfile.tempdir = None  # the run's TMPDIR, not one cached before the fork
        status = main(list(request["argv"]))
    except SystemExit as stop:  # argparse's usage errors
        status = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)


def _prctl(option: int, value: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def _kill_leftovers() -> None:
    """SIGKILL and reap every process below the server: what a run left is reparented here (the subreaper)."""
    me = str(os.getpid())
    while True:
        try:
            with open(f"/proc/{me}/task/{me}/children") as fh:
                pids = [int(p) for p in fh.read().split()]
        except OSError:
            pids = []
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            if os.waitpid(-1, 0 if pids else os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if os.environ.get("PYTHONHASHSEED") != "0":
        # String hashing (set order) must be the same in every process that is compared.
        os.execve(sys.executable, [sys.executable, "-m", "suture.tools.perf.harness", *argv],
                  {**os.environ, "PYTHONHASHSEED": "0"})
    if argv == ["serve"]:
        return serve()
    options = _parser().parse_args(argv)
    root = Path(options.root).resolve()
    for name in ("workload", "out", "inputs"):  # given relative to where we were started, not to root
        if getattr(options, name):
            setattr(options, name, os.path.abspath(getattr(options, name)))
    try:
        if not root.is_dir():
            raise HarnessError(f"{root} is not a directory.")
        os.chdir(root)
        prepare_path(root)
        if options.mode == "replay":
            print(json.dumps({"suture_replay": replay(root, Path(options.inputs))}))
            return 0
        # Under tools/perf/profile.py's driver a function target's import is set-up, as make_input is: not timed,
        # so neither profiled nor watched (a library that asks `ldconfig` for a C library once at import
        # is no workload that spawns processes: tools/perf/spawns.py).
        function_target = options.script is None and options.pytest is None
        with (getattr(sys, "suture_unprofiled", None) or _NOTHING) if function_target else _NOTHING:
            work = Workload(root, options.target, options.workload, options.script, options.script_arg,
                            options.pytest)
        if options.mode == "scale":
            scale, seconds = find_scale(work, options.min_seconds, options.max_scale, max_call=options.max_call)
            print(json.dumps({"suture_scale": scale, "seconds": seconds}))
        elif options.mode == "record":
            report = record(work, options.watch, options.scale if work.script is None else None, Path(options.out))
            print(json.dumps({"suture_record": report}))
        else:
            times = []
            for _ in range(max(1, options.calls)):
                seconds, result = work.run(options.scale)
                times.append(seconds)
            if work.script is None:
                with getattr(sys, "suture_unprofiled", None) or _NOTHING:  # not the target's time either
                    print(f"result {digest(result)}")
            sys.stdout.flush()
            print(json.dumps({"suture_timing": times}))
    except HarnessError as error:
        sys.stdout.flush()
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
