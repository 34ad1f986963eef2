"""Held-back differential test for tail_lines: the ORIGINAL tail (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from logtail.window import tail as current

REFERENCE_SOURCE = '"""`tail -n` for log streams."""\n\n\ndef tail(lines: list[str], n: int) -> list[str]:\n    """The last n lines (n >= 1), oldest first."""\n    window = []\n    for line in lines:\n        window.append(line)\n        if len(window) > n:\n            window.pop(0)\n    return list(window)\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/logtail/window.py", "exec"), _namespace)
reference = _namespace["tail"]


def canon(value):
    """Comparable form: container types and float reprs kept, sets order-free, dict order kept."""
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, sorted(repr(canon(v)) for v in value))
    if isinstance(value, dict):
        return ("dict", [(canon(k), canon(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [canon(v) for v in value])
    return (type(value).__name__, repr(value))


def outcome(fn, args):
    args = copy.deepcopy(args)
    try:
        result = fn(*args)
    except Exception as exc:  # the same exception type is part of the behaviour
        return ("raised", type(exc).__name__)
    return ("returned", canon(result), canon(args))


def inputs():
    yield ([], 1)
    yield (["x"], 1)
    yield (["ä", "ö", "ü"], 2)
    rng = random.Random(43)
    for _ in range(200):
        yield ([rng.choice(["a", "b", "", "é"]) for _ in range(rng.randint(0, 12))], rng.randint(1, 5))


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
