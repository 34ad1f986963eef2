"""Held-back differential test for prime_ids: the ORIGINAL primes_below (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from ids.primes import primes_below as current

REFERENCE_SOURCE = '"""Prime-numbered shard ids."""\n\n\ndef primes_below(n: int) -> list[int]:\n    """All primes p < n."""\n    primes = []\n    for candidate in range(2, n):\n        is_prime = True\n        for d in range(2, candidate):\n            if candidate % d == 0:\n                is_prime = False\n                break\n        if is_prime:\n            primes.append(candidate)\n    return primes\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/ids/primes.py", "exec"), _namespace)
reference = _namespace["primes_below"]


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
    for n in range(-3, 60):
        yield (n,)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
