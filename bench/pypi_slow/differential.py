"""Differential outcomes of a case's TARGET, run inside a case repo: `python differential.py REPO`.

Calls TARGET on the workload's inputs at small scales (DIFF_SCALES, default 0-2) and on the
workload's `edge_inputs()` when it has one, and prints one JSON list: per input, a canonical text of
what the call returned (or the exception type it raised) and of its arguments afterwards (mutation is
behaviour). bench/bench_pypi_slow.py runs it on the original and on the patched repo and compares:
a kept edit that changes any outcome changes behaviour. Objects are compared by their class and
attributes (no addresses), sets by their sorted members, floats by repr.
"""

from __future__ import annotations

import importlib
import json
import re
import sys

DEFAULT_SCALES = (0, 1, 2)  # small: canonicalising the arguments after the call costs more than the call
MAX_DEPTH = 12
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def canon(value, depth: int = 0, seen: frozenset = frozenset()) -> str:
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, bytearray)):
        return f"{type(value).__name__}:{value!r}"
    if depth > MAX_DEPTH or id(value) in seen:
        return f"{type(value).__name__}:..."
    inner = seen | {id(value)}
    name = type(value).__qualname__
    if isinstance(value, dict):
        items = ", ".join(f"{canon(k, depth + 1, inner)}: {canon(v, depth + 1, inner)}" for k, v in value.items())
        return f"{name}{{{items}}}"
    if isinstance(value, (set, frozenset)):
        return f"{name}{{{', '.join(sorted(canon(v, depth + 1, inner) for v in value))}}}"
    if isinstance(value, (list, tuple)):
        # A list subclass with attributes (polib's POFile) is both: its items and its attributes.
        items = ", ".join(canon(v, depth + 1, inner) for v in value)
        extra = f" {canon(vars(value), depth + 1, inner)}" if getattr(value, "__dict__", None) else ""
        return f"{name}[{items}]{extra}"
    if hasattr(value, "__dict__") and not callable(value):
        return f"{name}({canon(vars(value), depth + 1, inner)})"
    return f"{name}:{ADDRESS.sub('', repr(value))}"


def resolve(target: str):
    module_name, _, qualname = target.partition(":")
    owner = importlib.import_module(module_name)
    for part in qualname.split("."):
        owner = getattr(owner, part)
    return owner


def outcome(fn, args: tuple) -> str:
    try:
        result = ("returned", canon(fn(*args)))
    except Exception as error:  # the exception's type is behaviour, its message may quote addresses
        result = ("raised", type(error).__name__)
    return json.dumps([*result, canon(args)])


def main(repo: str) -> int:
    sys.path.insert(0, repo)
    import workload

    fn = resolve(workload.TARGET)
    inputs = [workload.make_input(s) for s in getattr(workload, "DIFF_SCALES", DEFAULT_SCALES)]
    if hasattr(workload, "edge_inputs"):
        inputs.extend(tuple(args) for args in workload.edge_inputs())
    print(json.dumps([outcome(fn, args) for args in inputs]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
