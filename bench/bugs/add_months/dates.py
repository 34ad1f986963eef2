"""Calendar arithmetic on (year, month, day) dates."""

import calendar
from datetime import date


def add_months(d: date, months: int) -> date:
    """Same day `months` later (or earlier), clamped to the end of a shorter month."""
    index = d.month + months
    year = d.year + index // 12
    month = index % 12
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def months_between(a: date, b: date) -> int:
    """Whole months from a to b (b >= a)."""
    months = (b.year - a.year) * 12 + b.month - a.month
    if b.day < a.day:
        months -= 1
    return months
