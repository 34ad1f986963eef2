"""Held-back differential test for activity_feed: the ORIGINAL newest_first (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from feed.timeline import newest_first as current

REFERENCE_SOURCE = '"""The activity feed on the dashboard."""\n\n\ndef newest_first(events: list[tuple[int, str, str]], user: str) -> list[str]:\n    """The user\'s events as \'time: action\' lines, newest first (events arrive oldest first)."""\n    feed = []\n    for stamp, who, action in events:\n        if who != user:\n            continue\n        feed.insert(0, f"{stamp}: {action}")\n    return feed\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/feed/timeline.py", "exec"), _namespace)
reference = _namespace["newest_first"]


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
    yield ([], "")
    yield ([(0, "", "")], "")
    yield ([(-1, "ü", "é"), (-1, "ü", "é")], "ü")
    rng = random.Random(137)
    for _ in range(200):
        events = [(rng.randint(-5, 5), rng.choice(["a", "b", "é"]), rng.choice(["x", "", "ÿ"])) for _ in range(rng.randint(0, 10))]
        yield (events, rng.choice(["a", "b", "é", "z"]))


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
