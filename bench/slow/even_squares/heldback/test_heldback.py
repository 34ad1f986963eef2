"""Held-back differential test for even_squares: the ORIGINAL squares_of_evens (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from numeric.squares import squares_of_evens as current

REFERENCE_SOURCE = '"""Small numeric helpers."""\n\n\ndef squares_of_evens(numbers: list[int]) -> list[int]:\n    out = []\n    for n in numbers:\n        if n % 2 == 0:\n            out.append(n * n)\n    return out\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/numeric/squares.py", "exec"), _namespace)
reference = _namespace["squares_of_evens"]


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
    yield ([0],)
    yield ([10**20, -(10**20) - 1],)
    rng = random.Random(97)
    for _ in range(200):
        yield ([rng.randint(-20, 20) for _ in range(rng.randint(0, 12))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
