"""Parsing compact durations like "1d2h30m" or "45s" into seconds."""

import re

UNITS = {"h": 3600, "m": 60, "s": 1}
PART = re.compile(r"(\d+)([a-z])")


def parse(text):
    text = text.strip().lower()
    if not text:
        raise ValueError("empty duration")
    total, pos = 0, 0
    for match in PART.finditer(text):
        if match.start() != pos:
            raise ValueError(f"bad duration {text!r}")
        number, unit = match.groups()
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r}")
        total += int(number) * UNITS[unit]
        pos = match.end()
    if pos != len(text):
        raise ValueError(f"bad duration {text!r}")
    return total
