"""Held-back differential test for reachable_nodes: the ORIGINAL reachable (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from graphs.walk import reachable as current

REFERENCE_SOURCE = '"""Dependency graph walks."""\n\n\ndef reachable(edges: dict[int, list[int]], start: int) -> list[int]:\n    """Nodes reachable from start, in depth-first visiting order."""\n    visited = []\n    stack = [start]\n    while stack:\n        node = stack.pop()\n        if node in visited:\n            continue\n        visited.append(node)\n        for nxt in edges.get(node, []):\n            if nxt not in visited:\n                stack.append(nxt)\n    return visited\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/graphs/walk.py", "exec"), _namespace)
reference = _namespace["reachable"]


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
    yield ({}, 0)
    yield ({0: [0]}, 0)
    yield ({-1: [-2], -2: [-1]}, -1)
    rng = random.Random(13)
    for _ in range(200):
        n = rng.randint(1, 12)
        edges = {i: [rng.randint(-2, n) for _ in range(rng.randint(0, 3))] for i in range(-2, n)}
        yield (edges, rng.randint(-2, n))


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
