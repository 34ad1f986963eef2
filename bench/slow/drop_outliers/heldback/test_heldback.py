"""Held-back differential test for drop_outliers: the ORIGINAL drop_outliers (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from gauges.cleanup import drop_outliers as current

REFERENCE_SOURCE = '"""Gauge readings clean-up."""\n\n\ndef drop_outliers(readings: list[int], low: int, high: int) -> list[int]:\n    """Readings outside [low, high] taken out of the list itself (which is also returned)."""\n    for r in list(readings):\n        if r < low or r > high:\n            del readings[readings.index(r)]\n    return readings\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/gauges/cleanup.py", "exec"), _namespace)
reference = _namespace["drop_outliers"]


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
        return ("raised", type(exc).__name__, canon(args))
    return ("returned", canon(result), canon(args))


def inputs():
    yield ([], 0, 1)
    yield ([5], 5, 5)
    yield ([1, 1, -1, -1, 1], 0, 0)
    yield ([10**40, -10**40, 0], -1, 1)
    yield ([3, 2, 1], 5, 0)
    rng = random.Random(19)
    for _ in range(200):
        readings = [rng.randint(-6, 6) for _ in range(rng.randint(0, 15))]
        yield (readings, rng.randint(-4, 2), rng.randint(-2, 4))


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
