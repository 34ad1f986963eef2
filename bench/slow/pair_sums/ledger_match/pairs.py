"""Reconciliation of bank transactions."""


def matching_pairs(amounts: list[int]) -> list[tuple[int, int]]:
    """Index pairs (i < j) whose amounts sum to zero, in order."""
    pairs = []
    for i in range(len(amounts)):
        for j in range(i + 1, len(amounts)):
            if amounts[i] + amounts[j] == 0:
                pairs.append((i, j))
    return pairs
