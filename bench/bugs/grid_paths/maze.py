"""Shortest paths on a grid maze: '.' is open, '#' is wall."""

from collections import deque

STEPS = [(1, 0), (-1, 0), (0, 1), (0, -1)]


def parse(text):
    return [list(line) for line in text.strip().splitlines()]


def shortest_path(maze, start, goal):
    """Number of steps from start to goal moving in 4 directions, or None if unreachable."""
    rows, cols = len(maze), len(maze[0])
    dist = {start: 0}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        if (r, c) == goal:
            return dist[(r, c)]
        for dr, dc in STEPS:
            nr, nc = r + dr, c + dr
            if 0 <= nr < rows and 0 <= nc < cols and maze[nr][nc] == "." and (nr, nc) not in dist:
                dist[(nr, nc)] = dist[(r, c)] + 1
                queue.append((nr, nc))
    return None
