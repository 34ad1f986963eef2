"""Merging closed integer intervals, e.g. booked time ranges."""


def merge(intervals):
    """Merge overlapping or touching closed intervals [start, end]; result sorted by start."""
    merged = []
    for start, end in sorted(intervals):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [tuple(pair) for pair in merged]


def total_length(intervals):
    return sum(end - start for start, end in merge(intervals))
