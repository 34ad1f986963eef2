"""Held-back differential test for round_robin: the ORIGINAL round_robin (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from jobs.spooler import round_robin as current

REFERENCE_SOURCE = '"""Print spooler scheduling."""\n\n\ndef round_robin(jobs: list[tuple[str, int]], quantum: int) -> list[str]:\n    """Job names in the order they finish when each turn runs `quantum` units (quantum >= 1)."""\n    queue = list(jobs)\n    finished = []\n    while queue:\n        name, remaining = queue.pop(0)\n        if remaining > quantum:\n            queue.append((name, remaining - quantum))\n        else:\n            finished.append(name)\n    return finished\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/jobs/spooler.py", "exec"), _namespace)
reference = _namespace["round_robin"]


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
    yield ([], 1)
    yield ([("", 0)], 1)
    yield ([("ü", -4), ("ü", 4)], 3)
    rng = random.Random(41)
    for _ in range(200):
        yield ([(rng.choice(["a", "b", "é"]), rng.randint(-2, 9)) for _ in range(rng.randint(0, 10))], rng.randint(1, 4))


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
