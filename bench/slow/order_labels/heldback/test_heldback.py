"""Held-back differential test for order_labels: the ORIGINAL label_orders (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from packing.slips import label_orders as current

REFERENCE_SOURCE = '"""Packing slips."""\n\n\ndef label_orders(orders: list[tuple[int, str]], customers: list[tuple[int, str]]) -> list[str]:\n    """One label per order and customer with the same customer id, orders first, then customers, in order."""\n    labels = []\n    for order in orders:\n        for customer in customers:\n            if order[0] == customer[0]:\n                labels.append(f"{customer[1]}: {order[1]}")\n    return labels\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/packing/slips.py", "exec"), _namespace)
reference = _namespace["label_orders"]


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
    yield ([(1, "a")], [])
    yield ([], [(1, "b")])
    yield ([(0, "é"), (0, "é")], [(0, "ü"), (0, "ü")])
    yield ([(-1, "x"), (10**30, "big")], [(10**30, "huge"), (-1, "neg")])
    rng = random.Random(13)
    for _ in range(200):
        orders = [(rng.randint(-3, 3), rng.choice(["a", "b", "é"])) for _ in range(rng.randint(0, 12))]
        customers = [(rng.randint(-3, 3), rng.choice(["C", "D", "ü"])) for _ in range(rng.randint(0, 12))]
        yield (orders, customers)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
