"""Personalised PageRank by power iteration.

Written by hand on purpose: the repo map needs only this one function over a
graph of a few thousand files, and networkx (plus scipy for its fast path)
would be two heavy dependencies and a slower start-up for ~40 lines of code.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

Node = Hashable


def pagerank(
    edges: Mapping[Node, Mapping[Node, float]],
    personalization: Mapping[Node, float] | None = None,
    *,
    damping: float = 0.85,
    tol: float = 1e-9,
    max_iter: int = 200,
) -> dict[Node, float]:
    """Stationary rank of every node of a weighted directed graph; the ranks sum to 1.

    edges[u][v] is the weight of the edge u -> v (weights <= 0 are ignored). A walker
    follows an out-edge with probability `damping` (in proportion to its weight) and
    otherwise jumps to a node drawn from `personalization` (uniform when None or when
    it has no positive mass). A node without out-edges (dangling) sends all its rank
    through the jump distribution. Iteration stops when the L1 change of the rank
    vector drops below len(nodes) * tol, or after max_iter rounds.
    """
    nodes: dict[Node, None] = {}  # insertion-ordered set: deterministic sums
    for u, targets in edges.items():
        nodes.setdefault(u)
        for v in targets:
            nodes.setdefault(v)
    for v in personalization or ():
        nodes.setdefault(v)
    if not nodes:
        return {}

    jump = {v: w for v, w in (personalization or {}).items() if w > 0}
    jump_total = sum(jump.values())
    if jump_total > 0:
        jump = {v: jump.get(v, 0.0) / jump_total for v in nodes}
    else:
        jump = dict.fromkeys(nodes, 1.0 / len(nodes))

    # Nodes become list positions so that the inner loop touches lists, not dicts.
    order = list(nodes)
    position = {v: i for i, v in enumerate(order)}
    n = len(order)
    jump_vec = [jump[v] for v in order]
    transitions: list[tuple[int, list[int], list[float]]] = []  # (source, targets, probabilities)
    has_out = [False] * n
    for u, targets in edges.items():
        positive = [(position[v], w) for v, w in targets.items() if w > 0]
        total = sum(w for _, w in positive)
        if total > 0:
            transitions.append((position[u], [v for v, _ in positive], [w / total for _, w in positive]))
            has_out[position[u]] = True
    dangling = [i for i in range(n) if not has_out[i]]

    rank = [1.0 / n] * n
    for _ in range(max_iter):
        dangling_mass = sum(rank[i] for i in dangling)
        base = 1.0 - damping + damping * dangling_mass
        new = [base * j for j in jump_vec]
        for u, targets, probabilities in transitions:
            share = damping * rank[u]
            for v, p in zip(targets, probabilities):
                new[v] += share * p
        change = sum(abs(a - b) for a, b in zip(new, rank))
        rank = new
        if change < n * tol:
            break
    return dict(zip(order, rank))
