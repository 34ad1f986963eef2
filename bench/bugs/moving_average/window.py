"""Sliding-window statistics over a series of numbers."""


def moving_average(values, k):
    """Mean of every window of `k` consecutive values, in order."""
    if k < 1:
        raise ValueError("window must be at least 1")
    out = []
    for i in range(len(values) - k):
        window = values[i:i + k]
        out.append(sum(window) / k)
    return out


def max_window_sum(values, k):
    sums = [a * k for a in moving_average(values, k)]
    return max(sums) if sums else None
