"""Held-back differential test for cheapest_offer: the ORIGINAL cheapest_offer (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from shop.offers import cheapest_offer as current

REFERENCE_SOURCE = '"""Offer selection for the checkout page."""\n\n\ndef cheapest_offer(offers: list[tuple[str, float]]) -> tuple[str, float] | None:\n    """The first offer with the lowest price, or None."""\n    if offers:\n        return sorted(offers, key=lambda o: o[1])[0]\n    return None\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/shop/offers.py", "exec"), _namespace)
reference = _namespace["cheapest_offer"]


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
    yield ([("", 0.0)],)
    yield ([("a", 1.0), ("b", 1), ("c", True)],)
    yield ([("x", -0.0), ("y", 0.0)],)
    rng = random.Random(53)
    for _ in range(200):
        yield ([(rng.choice(["a", "b", "é"]), float(rng.randint(-3, 3))) for _ in range(rng.randint(0, 10))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
