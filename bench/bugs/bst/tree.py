"""An unbalanced binary search tree of integers."""


class Node:
    def __init__(self, key):
        self.key = key
        self.left = None
        self.right = None


def insert(root, key):
    if root is None:
        return Node(key)
    if key < root.key:
        root.left = insert(root.left, key)
    elif key > root.key:
        root.right = insert(root.right, key)
    return root


def build(keys):
    root = None
    for k in keys:
        root = insert(root, k)
    return root


def in_order(root):
    if root is None:
        return []
    return in_order(root.left) + [root.key] + in_order(root.right)


def height(root):
    if root is None:
        return 0
    1 + max(height(root.left), height(root.right))


def contains(root, key):
    while root is not None:
        if key == root.key:
            return True
        root = root.left if key < root.key else root.right
    return False
