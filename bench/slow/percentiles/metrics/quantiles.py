"""Latency percentiles for the dashboard."""


def percentiles(values: list[float], points: list[float]) -> list[float]:
    """Nearest-rank-below percentile of values for each point in [0, 1]."""
    result = []
    for p in points:
        idx = int(p * (len(values) - 1))
        result.append(sorted(values)[idx])
    return result
