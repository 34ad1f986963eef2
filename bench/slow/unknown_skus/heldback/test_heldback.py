"""Held-back differential test for unknown_skus: the ORIGINAL unknown_skus (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from orders.validate import unknown_skus as current

REFERENCE_SOURCE = '"""Order validation."""\n\n\ndef unknown_skus(order_lines: list[str], catalog: list[str]) -> list[str]:\n    """The SKUs of order lines that the catalog does not list, in order."""\n    return [sku for sku in order_lines if sku not in set(catalog)]\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/orders/validate.py", "exec"), _namespace)
reference = _namespace["unknown_skus"]


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
    yield ([""], [""])
    yield (["ä", "a"], ["ä"])
    rng = random.Random(59)
    for _ in range(200):
        pool = ["a", "b", "c", "é", ""]
        yield ([rng.choice(pool) for _ in range(rng.randint(0, 10))], [rng.choice(pool) for _ in range(rng.randint(0, 4))])


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
