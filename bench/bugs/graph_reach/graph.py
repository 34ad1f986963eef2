"""Breadth-first search over a directed graph given as adjacency lists."""

from collections import deque


def distances(graph, start):
    """{node: hops from start} for every node reachable from start."""
    dist = {start: 0}
    visited = set()
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in graph.get(node, ()):
            if nxt not in visited:
                visited.add(nxt)
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return dist


def reachable(graph, start):
    return set(distances(graph, start))
