"""Run-time type evidence: the concrete types the hot functions' names hold while the workload runs.

`record_types` runs a Python command (the same runner the profile ran) with a tracer that watches
only the named functions (and the comprehensions and generator expressions in their bodies, which
are code objects of their own) and, on a sample of their calls, notes the type of every local and
argument as the frame returns (and of the builtin containers and atoms `self` holds, as "self.NAME"),
the return value, and for lists, tuples, sets and dicts the element
types of a few items spread over the container and its size. optimize's rules read it where the
source says nothing (`words_b = unique_words(b)`: a list of str only the run shows).

How it samples, after MonkeyType (which hooks calls with sys.setprofile, filters code objects once
per code and samples 1 call in N): a code object's classification is cached, so every other
function costs one dictionary look-up per call; the first FIRST_CALLS calls of a watched code are
recorded, then one in EVERY, at most MAX_SAMPLES in all. Unlike MonkeyType it uses sys.settrace
with line events switched off per frame (setprofile also fires on every call of a builtin, which is
most of a hot loop's calls) and, on 3.12+, sys.monitoring, whose callbacks return DISABLE for code
nobody watches, so unwatched code runs at full speed. Element types come from at most MAX_ITEMS
items per container, not all of them: evidence for a rule, not a proof; the equivalence gates still
judge every rewrite.

A descriptor is "str", "int", ..., "NoneType", ["list", elem], ["tuple", elem], ["set", elem],
["dict", key, value], "other:Module.Class" for anything else; an element type is None for an
empty container and "mixed" when the sampled items disagree. A tuple of at most MAX_ITEMS items
also carries each position's descriptor, ["tuple", elem, [first, second, ...]].
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from suture.tools.perf.profile import ProfileError, run_driver
from suture.tools.perf.timing import Runner

FIRST_CALLS = 32
EVERY = 16
MAX_SAMPLES = 256
MAX_ITEMS = 16

# The recorder runs inside the profiled program's process, so it is a script of its own (no suture import).
_DRIVER = r"""
import itertools, json, os, re, runpy, sys
NESTED = re.compile(r"\.<locals>\.(?!<)")
out, root, wanted_json, kind, target, *args = sys.argv[1:]
FIRST, EVERY, MAX_SAMPLES, MAX_ITEMS = %(limits)s
MAX_ATTRS, ATTR_SAMPLES = 32, 8
wanted = {}
for rel, qualname in json.loads(wanted_json):
    wanted.setdefault(os.path.realpath(os.path.join(root, rel)), {})[qualname] = rel + "::" + qualname
ATOMS = {str: "str", int: "int", float: "float", bool: "bool", bytes: "bytes", type(None): "NoneType"}
GENERATOR_FLAGS = 0x20 | 0x80 | 0x100 | 0x200
keys, calls, records = {}, {}, {}
real = {}

def classify(code):
    # the watched function's qualname for its own code and its comprehensions' code, else None
    path = real.get(code.co_filename)
    if path is None:
        path = real[code.co_filename] = os.path.realpath(code.co_filename)
    names = wanted.get(path)
    if not names:
        return None
    qualname = getattr(code, "co_qualname", code.co_name)
    # a nested function is watched by the name the symbol index gives it ("outer.inner", not
    # "outer.<locals>.inner"); the comprehensions' "<locals>.<listcomp>" parts stay
    qualname = NESTED.sub(".", qualname)
    for name, key in names.items():
        if qualname == name:
            return key
        if qualname.startswith(name + ".<locals>."):
            rest = qualname[len(name) + 1:].split(".")
            if all(p == "<locals>" or (p.startswith("<") and p != "<lambda>") for p in rest):
                return key
    return None

def join(types):
    first = None
    for t in types:
        if first is None:
            first = t
        elif t != first:
            return "mixed"
    return first

def items(value):
    n = len(value)
    if isinstance(value, (list, tuple)):
        step = max(1, n // MAX_ITEMS)
        return [value[i] for i in range(0, n, step)][:MAX_ITEMS + 1] + ([value[-1]] if n else [])
    return list(itertools.islice(value, MAX_ITEMS))

def describe(value, depth=0):
    t = type(value)
    atom = ATOMS.get(t)
    if atom is not None:
        return atom
    if depth < 2 and t is tuple and 0 < len(value) <= MAX_ITEMS:
        # a short tuple is a record more often than a sequence: (op, text) pairs keep their
        # per-position types, which "mixed" would lose
        parts = [describe(v, depth + 1) for v in value]
        return ["tuple", join(parts), parts]
    if depth < 2 and t in (list, tuple, set, frozenset):
        name = "set" if t is frozenset else t.__name__
        return [name, join(describe(v, depth + 1) for v in items(value))]
    if depth < 2 and t is dict:
        pairs = list(itertools.islice(value.items(), MAX_ITEMS))
        return ["dict", join(describe(k, depth + 1) for k, _ in pairs), join(describe(v, depth + 1) for _, v in pairs)]
    return "other:" + getattr(t, "__module__", "?") + "." + getattr(t, "__qualname__", t.__name__)

def note(key, name, value):
    facts = records.setdefault(key, {"calls": 0, "samples": 0, "names": {}})["names"].setdefault(
        name, {"types": {}, "max_len": None})
    shown = json.dumps(describe(value))
    facts["types"][shown] = facts["types"].get(shown, 0) + 1
    if type(value) in (list, tuple, set, frozenset, dict, str, bytes):
        facts["max_len"] = max(facts["max_len"] or 0, len(value))

def sampled(code, key):
    n = calls[code] = calls.get(code, 0) + 1
    record = records.setdefault(key, {"calls": 0, "samples": 0, "names": {}})
    record["calls"] += 1
    if record["samples"] >= MAX_SAMPLES:
        keys[code] = None  # enough: from now on this code costs what unwatched code costs
        return False
    if n > FIRST and n %% EVERY:
        return False
    record["samples"] += 1
    return True

CONTAINERS = (list, tuple, set, frozenset, dict)

def record_frame(key, frame, value, returned):
    try:
        for name, local in list(frame.f_locals.items()):
            if not name.startswith("."):  # a comprehension's hidden iterator
                note(key, name, local)
        me = frame.f_locals.get("self") if frame.f_code.co_argcount else None
        if me is not None and frame.f_code.co_varnames[0] == "self" and not isinstance(me, type) \
                and records[key]["samples"] <= ATTR_SAMPLES:
            # the builtin containers and atoms an instance holds ("self.Follow": a dict of lists), on the
            # first few samples only: up to MAX_ATTRS containers each is the costliest part of a sample
            for attr, held in itertools.islice(getattr(me, "__dict__", {}).items(), MAX_ATTRS):
                if type(held) in CONTAINERS or type(held) in ATOMS:
                    note(key, "self." + attr, held)
        if returned and not frame.f_code.co_flags & GENERATOR_FLAGS:
            note(key, "<return>", value)
    except Exception:  # a __len__ or __iter__ that fails: that sample is lost, the run goes on
        pass

def trace_return(frame, event, arg):
    if event == "return":
        key = keys.get(frame.f_code)
        if key is not None:
            record_frame(key, frame, arg, frame not in raised)
            raised.discard(frame)
    elif event == "exception":
        raised.add(frame)
    return trace_return

raised = set()

def trace_call(frame, event, arg):
    if event != "call":
        return None
    code = frame.f_code
    key = keys.get(code, False)
    if key is False:
        key = keys[code] = classify(code)
    if key is None or not sampled(code, key):
        return None
    frame.f_trace_lines = False
    return trace_return

def install():
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is None:
        sys.settrace(trace_call)
        return lambda: sys.settrace(None)
    tool = monitoring.PROFILER_ID
    try:
        monitoring.use_tool_id(tool, "suture-types")
    except ValueError:  # the program's own profiler holds the id: the trace function does instead
        sys.settrace(trace_call)
        return lambda: sys.settrace(None)

    def on_return(code, offset, value):
        key = keys.get(code, False)
        if key is False:
            key = keys[code] = classify(code)
        if key is None:
            return monitoring.DISABLE  # nobody watches this code: never called back for it again
        if records.get(key, {}).get("samples", 0) >= MAX_SAMPLES:
            return monitoring.DISABLE
        if sampled(code, key):
            record_frame(key, sys._getframe(1), value, True)

    events = monitoring.events
    monitoring.register_callback(tool, events.PY_RETURN, on_return)
    monitoring.register_callback(tool, events.PY_YIELD, on_return)
    monitoring.set_events(tool, events.PY_RETURN | events.PY_YIELD)

    def stop():
        monitoring.set_events(tool, 0)
        monitoring.free_tool_id(tool)
    return stop

if kind == "script":
    target = os.path.abspath(target)
    run = lambda: runpy.run_path(target, run_name="__main__")
else:
    run = lambda: runpy.run_module(target, run_name="__main__", alter_sys=True)
if not getattr(sys.flags, "safe_path", False):
    sys.path[0] = os.path.dirname(target) if kind == "script" else os.getcwd()
sys.argv = [target, *args]
stop = install()
try:
    run()
finally:
    stop()
    with open(out, "w") as handle:
        json.dump(records, handle)
""" % {"limits": f"{FIRST_CALLS}, {EVERY}, {MAX_SAMPLES}, {MAX_ITEMS}"}


def record_types(runner: Runner, root: Path, functions: list[tuple[str, str]], *,
                 time_limit: float = 120.0) -> dict[tuple[str, str], dict]:
    """{(path, qualname): {"calls", "samples", "names": {name: {"types": {descriptor json: count}, "max_len"}}}}
    for each of `functions` (root-relative path, qualname) the run called. ProfileError when it cannot run."""
    wanted = json.dumps([[path, qualname] for path, qualname in functions])
    with tempfile.TemporaryDirectory(prefix="suture-types-") as scratch:
        out = Path(scratch) / "types.json"
        run_driver(runner, _DRIVER, [str(out), str(root), wanted], time_limit, "The type-recording run",
                   writable=[Path(scratch)])
        if not out.is_file():
            raise ProfileError("The type-recording run wrote no record (it replaced its own process).")
        raw = json.loads(out.read_text(encoding="utf-8"))
    return {tuple(key.split("::", 1)): record for key, record in raw.items()}
