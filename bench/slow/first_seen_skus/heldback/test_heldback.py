"""Held-back differential test for first_seen_skus: the ORIGINAL first_seen_skus (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from inventory.dedupe import first_seen_skus as current

REFERENCE_SOURCE = '"""Inventory movement summaries."""\n\n\ndef first_seen_skus(events: list[tuple[str, int]]) -> list[str]:\n    """SKUs with a positive movement, in the order of their first such movement."""\n    order = []\n    for sku, qty in events:\n        if qty <= 0:\n            continue\n        if sku in order:\n            continue\n        order.append(sku)\n    return order\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/inventory/dedupe.py", "exec"), _namespace)
reference = _namespace["first_seen_skus"]


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
    yield ([("", 1), ("", 1)],)
    yield ([("ä", -1), ("ä", 0)],)
    rng = random.Random(9)
    for _ in range(200):
        yield ([(rng.choice(["a", "b", "c", "ü", ""]), rng.randint(-3, 3)) for _ in range(rng.randint(0, 20))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
