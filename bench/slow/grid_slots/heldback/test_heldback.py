"""Held-back differential test for grid_slots: the ORIGINAL grid_slots (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from racegrid.slots import grid_slots as current

REFERENCE_SOURCE = '"""Race grid."""\n\n\ndef grid_slots(drivers: list[str], grid: list[str]) -> list[int]:\n    """The grid slot (first place in the grid list) of each driver, in the drivers\' order."""\n    return [grid.index(name) for name in drivers]\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/racegrid/slots.py", "exec"), _namespace)
reference = _namespace["grid_slots"]


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
    yield ([], [])
    yield ([], ["a"])
    yield (["a"], [])
    yield (["a", "a"], ["b", "a", "a"])
    yield (["é"], ["e", "é"])
    rng = random.Random(23)
    for _ in range(200):
        grid = [rng.choice(["a", "b", "c", "é", ""]) for _ in range(rng.randint(0, 8))]
        drivers = [rng.choice(["a", "b", "c", "é", ""]) for _ in range(rng.randint(0, 6))]
        yield (drivers, grid)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
