"""Held-back differential test for reading_spread: the ORIGINAL reading_spread (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from sensors.stats import reading_spread as current

REFERENCE_SOURCE = '"""Sensor statistics."""\n\n\ndef reading_spread(readings: list[int]) -> int:\n    """Largest minus smallest reading; 0 for no readings."""\n    if not readings:\n        return 0\n    return sorted(readings)[-1] - sorted(readings)[0]\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/sensors/stats.py", "exec"), _namespace)
reference = _namespace["reading_spread"]


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
    yield ([0],)
    yield ([-5, -5],)
    yield ([10**30, -10**30],)
    rng = random.Random(47)
    for _ in range(200):
        yield ([rng.randint(-50, 50) for _ in range(rng.randint(0, 15))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
