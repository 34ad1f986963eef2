"""`tail -n` for log streams."""


def tail(lines: list[str], n: int) -> list[str]:
    """The last n lines (n >= 1), oldest first."""
    window = []
    for line in lines:
        window.append(line)
        if len(window) > n:
            window.pop(0)
    return list(window)
