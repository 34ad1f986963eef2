"""Grid puzzles."""


def count_paths(rows: int, cols: int, blocked: frozenset[tuple[int, int]]) -> int:
    """Right/down paths from (0, 0) to (rows-1, cols-1) avoiding blocked cells."""
    def walk(r, c):
        if r >= rows or c >= cols or (r, c) in blocked:
            return 0
        if (r, c) == (rows - 1, cols - 1):
            return 1
        return walk(r + 1, c) + walk(r, c + 1)
    return walk(0, 0)
