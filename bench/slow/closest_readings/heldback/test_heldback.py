"""Held-back differential test for closest_readings: the ORIGINAL closest_gap (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from telemetry.pairs import closest_gap as current

REFERENCE_SOURCE = '"""Telemetry de-duplication."""\n\n\ndef closest_gap(values: list[int]) -> int | None:\n    """The smallest absolute difference between two readings; None for fewer than two."""\n    best = None\n    for i in range(len(values)):\n        for j in range(i + 1, len(values)):\n            d = abs(values[i] - values[j])\n            if best is None or d < best:\n                best = d\n    return best\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/telemetry/pairs.py", "exec"), _namespace)
reference = _namespace["closest_gap"]


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
    yield ([],)
    yield ([1],)
    yield ([4, 4],)
    rng = random.Random(103)
    for _ in range(200):
        yield ([rng.randint(-30, 30) for _ in range(rng.randint(0, 10))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
