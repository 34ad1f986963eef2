"""Held-back differential test for vote_tally: the ORIGINAL tally (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from election.tally import tally as current

REFERENCE_SOURCE = '"""Ballot counting for the club election."""\n\n\ndef tally(ballots: list[str], candidates: list[str]) -> dict[str, int]:\n    """Votes per candidate, in candidate order (unknown names on ballots are ignored)."""\n    result = {}\n    for name in candidates:\n        result[name] = ballots.count(name)\n    return result\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/election/tally.py", "exec"), _namespace)
reference = _namespace["tally"]


def canon(value):
    """Comparable form: container types and float reprs kept, sets order-free, dict order kept."""
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, sorted(repr(canon(v)) for v in value))
    if isinstance(value, dict):
        return ("dict", [(canon(k), canon(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [canon(v) for v in value])
    return (type(value).__name__, repr(value))


def outcome(fn, args):
    args = copy.deepcopy(args)
    try:
        result = fn(*args)
    except Exception as exc:  # the same exception type is part of the behaviour
        return ("raised", type(exc).__name__)
    return ("returned", canon(result), canon(args))


def inputs():
    yield ([], [])
    yield ([], ["a"])
    yield (["ä", "a"], ["ä", "ä"])
    rng = random.Random(73)
    for _ in range(200):
        pool = ["a", "b", "é", ""]
        yield ([rng.choice(pool) for _ in range(rng.randint(0, 12))], [rng.choice(pool) for _ in range(rng.randint(0, 4))])


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
