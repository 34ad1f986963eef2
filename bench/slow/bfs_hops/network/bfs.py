"""Hop counts in the service mesh."""


def shortest_hops(adjacency: dict[int, list[int]], start: int) -> dict[int, int]:
    """Fewest hops from start to every reachable node, in discovery order."""
    dist = {start: 0}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in adjacency.get(node, []):
            if nxt not in dist:
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return dist
