"""Telemetry de-duplication."""


def closest_gap(values: list[int]) -> int | None:
    """The smallest absolute difference between two readings; None for fewer than two."""
    best = None
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            d = abs(values[i] - values[j])
            if best is None or d < best:
                best = d
    return best
