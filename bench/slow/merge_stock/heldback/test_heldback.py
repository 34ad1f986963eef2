"""Held-back differential test for merge_stock: the ORIGINAL merge_stock (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from warehouse.stock import merge_stock as current

REFERENCE_SOURCE = '"""Warehouse stock bookkeeping."""\n\n\ndef merge_stock(base: dict[str, int], updates: list[tuple[str, int]]) -> dict[str, int]:\n    """A copy of base with every (sku, delta) update applied; new SKUs start at delta."""\n    merged = dict(base)\n    for sku, delta in updates:\n        if sku in list(merged.keys()):\n            merged[sku] += delta\n        else:\n            merged[sku] = delta\n    return merged\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/warehouse/stock.py", "exec"), _namespace)
reference = _namespace["merge_stock"]


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
    yield ({}, [])
    yield ({}, [("", 0), ("", 0)])
    yield ({"é": -1}, [("é", 1), ("e", 2)])
    rng = random.Random(79)
    for _ in range(200):
        pool = ["a", "b", "ü", ""]
        base = {rng.choice(pool): rng.randint(-3, 3) for _ in range(rng.randint(0, 3))}
        yield (base, [(rng.choice(pool), rng.randint(-3, 3)) for _ in range(rng.randint(0, 8))])


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
