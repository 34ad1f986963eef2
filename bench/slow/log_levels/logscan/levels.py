"""Log file summaries."""
import re


def count_levels(lines: list[str]) -> dict[str, int]:
    """How many lines of each level ('2024-01-02 03:04:05 [LEVEL] ...'); other lines ignored."""
    counts = {}
    for line in lines:
        m = re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(\w+)\]", line)
        if m:
            level = m.group(1)
            counts[level] = counts.get(level, 0) + 1
    return counts
