"""Held-back differential test for pair_sums: the ORIGINAL matching_pairs (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from ledger_match.pairs import matching_pairs as current

REFERENCE_SOURCE = '"""Reconciliation of bank transactions."""\n\n\ndef matching_pairs(amounts: list[int]) -> list[tuple[int, int]]:\n    """Index pairs (i < j) whose amounts sum to zero, in order."""\n    pairs = []\n    for i in range(len(amounts)):\n        for j in range(i + 1, len(amounts)):\n            if amounts[i] + amounts[j] == 0:\n                pairs.append((i, j))\n    return pairs\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/ledger_match/pairs.py", "exec"), _namespace)
reference = _namespace["matching_pairs"]


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
    yield ([0, 0],)
    yield ([10**20, -(10**20)],)
    rng = random.Random(127)
    for _ in range(200):
        yield ([rng.randint(-4, 4) for _ in range(rng.randint(0, 9))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
