"""Picking the best items of a sequence by a key, stable on ties."""


def max_by(items, key):
    """The first item with the largest key; None for no items."""
    best, best_key = None, None
    for item in items:
        k = key(item)
        if best_key is None or k >= best_key:
            best, best_key = item, k
    return best


def top_n(items, key, n):
    """The n items with the largest keys, ties in input order."""
    ranked = sorted(enumerate(items), key=lambda pair: (-key(pair[1]), pair[0]))
    return [item for _, item in ranked[:n]]
