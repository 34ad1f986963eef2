"""Merging busy slots of several calendars."""


def merge_busy(slots: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching [start, end] slots merged, sorted by start."""
    merged = [s for s in slots if s[0] <= s[1]]
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                a, b = merged[i], merged[j]
                if a[0] <= b[1] and b[0] <= a[1]:
                    merged[i] = (min(a[0], b[0]), max(a[1], b[1]))
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return sorted(merged)
