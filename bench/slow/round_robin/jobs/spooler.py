"""Print spooler scheduling."""


def round_robin(jobs: list[tuple[str, int]], quantum: int) -> list[str]:
    """Job names in the order they finish when each turn runs `quantum` units (quantum >= 1)."""
    queue = list(jobs)
    finished = []
    while queue:
        name, remaining = queue.pop(0)
        if remaining > quantum:
            queue.append((name, remaining - quantum))
        else:
            finished.append(name)
    return finished
