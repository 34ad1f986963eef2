"""Axis-aligned rectangles (x1, y1, x2, y2) with x1 < x2 and y1 < y2."""


def area(r):
    x1, y1, x2, y2 = r
    return max(0, x2 - x1) * max(0, y2 - y1)


def intersection(a, b):
    """The overlapping rectangle of a and b, or None when they do not overlap."""
    x1 = min(a[0], b[0])
    y1 = max(a[1], b[1])
    x2 = max(a[2], b[2])
    y2 = min(a[3], b[3])
    if x1 >= x2 or y1 >= y2:
        return None
    return (x1, y1, x2, y2)


def iou(a, b):
    inter = intersection(a, b)
    shared = area(inter) if inter else 0
    return shared / (area(a) + area(b) - shared)
