"""Held-back differential test for coin_change: the ORIGINAL ways_to_pay (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from till.change import ways_to_pay as current

REFERENCE_SOURCE = '"""Counting the ways to make change at the till."""\n\n\ndef ways_to_pay(amount: int, coins: tuple[int, ...]) -> int:\n    """How many multisets of `coins` (positive values) add up to `amount`."""\n    count = len(coins)\n\n    def ways(rest, first):\n        """Ways to pay `rest` with coins[first:]."""\n        if rest == 0:\n            return 1\n        elif rest < 0 or first == count:\n            return 0\n        else:\n            use = ways(rest - coins[first], first)\n            skip = ways(rest, first + 1)\n            return use + skip\n\n    return ways(amount, 0)\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/till/change.py", "exec"), _namespace)
reference = _namespace["ways_to_pay"]


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
    yield (0, ())
    yield (5, ())
    yield (-3, (1, 2))
    yield (6, (2, 2, 3))
    yield (4, (0, 1))  # a zero coin recurses forever: RecursionError in both
    yield (10**20, ())
    rng = random.Random(113)
    for _ in range(150):
        coins = tuple(rng.randint(1, 9) for _ in range(rng.randint(0, 4)))
        yield (rng.randint(-2, 25), coins)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
