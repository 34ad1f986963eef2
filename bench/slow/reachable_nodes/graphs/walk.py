"""Dependency graph walks."""


def reachable(edges: dict[int, list[int]], start: int) -> list[int]:
    """Nodes reachable from start, in depth-first visiting order."""
    visited = []
    stack = [start]
    while stack:
        node = stack.pop()
        if node in visited:
            continue
        visited.append(node)
        for nxt in edges.get(node, []):
            if nxt not in visited:
                stack.append(nxt)
    return visited
