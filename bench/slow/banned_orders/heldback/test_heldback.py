"""Held-back differential test for banned_orders: the ORIGINAL active_orders (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from accounts.filters import active_orders as current

REFERENCE_SOURCE = '"""Order filtering before invoicing."""\n\n\ndef active_orders(orders: list[tuple[int, str, float]], banned_ids: list[int]) -> list[tuple[int, str, float]]:\n    """The orders whose customer is not banned, in order."""\n    kept = []\n    for customer_id, sku, amount in orders:\n        if customer_id in banned_ids:\n            continue\n        kept.append((customer_id, sku, amount))\n    return kept\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/accounts/filters.py", "exec"), _namespace)
reference = _namespace["active_orders"]


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
    yield ([], [])
    yield ([], [1, 2])
    yield ([(0, "", 0.0)], [0])
    yield ([(-3, "ü", -1.5), (-3, "ü", -1.5)], [-3, -3])
    rng = random.Random(11)
    for _ in range(200):
        orders = [(rng.randint(-5, 5), rng.choice(["a", "b", "é"]), rng.uniform(-10, 10)) for _ in range(rng.randint(0, 20))]
        banned = [rng.randint(-5, 5) for _ in range(rng.randint(0, 6))]
        yield (orders, banned)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
