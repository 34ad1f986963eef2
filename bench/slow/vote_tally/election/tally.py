"""Ballot counting for the club election."""


def tally(ballots: list[str], candidates: list[str]) -> dict[str, int]:
    """Votes per candidate, in candidate order (unknown names on ballots are ignored)."""
    result = {}
    for name in candidates:
        result[name] = ballots.count(name)
    return result
