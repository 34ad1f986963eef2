"""Traversals of trees given as {node: [children]}."""

from collections import deque


def level_order(tree, root):
    """Nodes in breadth-first order, children left to right."""
    order = []
    queue = deque([root])
    while queue:
        node = queue.pop()
        order.append(node)
        queue.extend(tree.get(node, []))
    return order


def depth_first(tree, root):
    order = [root]
    for child in tree.get(root, []):
        order += depth_first(tree, child)
    return order


def levels(tree, root):
    out, frontier = [], [root]
    while frontier:
        out.append(frontier)
        frontier = [c for n in frontier for c in tree.get(n, [])]
    return out
