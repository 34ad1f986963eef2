"""Gauge readings clean-up."""


def drop_outliers(readings: list[int], low: int, high: int) -> list[int]:
    """Readings outside [low, high] taken out of the list itself (which is also returned)."""
    for r in list(readings):
        if r < low or r > high:
            del readings[readings.index(r)]
    return readings
