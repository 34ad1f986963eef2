"""Held-back differential test for open_backorders: the ORIGINAL open_backorders (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from restock.backorders import open_backorders as current

REFERENCE_SOURCE = '"""Back-orders of the warehouse."""\n\n\ndef open_backorders(ordered: list[str], shipped: list[str]) -> list[str]:\n    """The ordered SKUs still open: each shipped SKU closes the first open order line for it."""\n    left = list(ordered)\n    for sku in shipped:\n        if sku in left:\n            left.remove(sku)\n    return left\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/restock/backorders.py", "exec"), _namespace)
reference = _namespace["open_backorders"]


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
    yield (["a", "a", "a"], ["a", "a"])
    yield (["é", "e", "É"], ["É", "é", "é"])
    rng = random.Random(17)
    for _ in range(200):
        ordered = [rng.choice(["a", "b", "c", "é", ""]) for _ in range(rng.randint(0, 15))]
        shipped = [rng.choice(["a", "b", "z", "é", ""]) for _ in range(rng.randint(0, 10))]
        yield (ordered, shipped)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
