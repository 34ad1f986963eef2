"""Held-back differential test for grid_paths: the ORIGINAL count_paths (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from puzzles.grid import count_paths as current

REFERENCE_SOURCE = '"""Grid puzzles."""\n\n\ndef count_paths(rows: int, cols: int, blocked: frozenset[tuple[int, int]]) -> int:\n    """Right/down paths from (0, 0) to (rows-1, cols-1) avoiding blocked cells."""\n    def walk(r, c):\n        if r >= rows or c >= cols or (r, c) in blocked:\n            return 0\n        if (r, c) == (rows - 1, cols - 1):\n            return 1\n        return walk(r + 1, c) + walk(r, c + 1)\n    return walk(0, 0)\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/puzzles/grid.py", "exec"), _namespace)
reference = _namespace["count_paths"]


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
    yield (0, 0, frozenset())
    yield (1, 1, frozenset())
    yield (1, 1, frozenset({(0, 0)}))
    yield (-1, 3, frozenset())
    rng = random.Random(101)
    for _ in range(100):
        r, c = rng.randint(0, 6), rng.randint(0, 6)
        yield (r, c, frozenset((rng.randint(0, 5), rng.randint(0, 5)) for _ in range(rng.randint(0, 4))))


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
