"""Sensor statistics."""


def reading_spread(readings: list[int]) -> int:
    """Largest minus smallest reading; 0 for no readings."""
    if not readings:
        return 0
    return sorted(readings)[-1] - sorted(readings)[0]
