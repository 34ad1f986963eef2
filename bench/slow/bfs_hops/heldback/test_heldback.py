"""Held-back differential test for bfs_hops: the ORIGINAL shortest_hops (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from network.bfs import shortest_hops as current

REFERENCE_SOURCE = '"""Hop counts in the service mesh."""\n\n\ndef shortest_hops(adjacency: dict[int, list[int]], start: int) -> dict[int, int]:\n    """Fewest hops from start to every reachable node, in discovery order."""\n    dist = {start: 0}\n    queue = [start]\n    while queue:\n        node = queue.pop(0)\n        for nxt in adjacency.get(node, []):\n            if nxt not in dist:\n                dist[nxt] = dist[node] + 1\n                queue.append(nxt)\n    return dist\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/network/bfs.py", "exec"), _namespace)
reference = _namespace["shortest_hops"]


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
    yield ({0: [0, 0]}, 0)
    yield ({-1: [-2, -3], -3: [-1]}, -1)
    rng = random.Random(37)
    for _ in range(200):
        n = rng.randint(1, 15)
        adj = {i: [rng.randint(-2, n) for _ in range(rng.randint(0, 3))] for i in range(-2, n) if rng.random() < 0.8}
        yield (adj, rng.randint(-2, n))


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
