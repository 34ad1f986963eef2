"""Held-back differential test for merge_meetings: the ORIGINAL merge_busy (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from calendar_tools.merge import merge_busy as current

REFERENCE_SOURCE = '"""Merging busy slots of several calendars."""\n\n\ndef merge_busy(slots: list[tuple[int, int]]) -> list[tuple[int, int]]:\n    """Overlapping or touching [start, end] slots merged, sorted by start."""\n    merged = [s for s in slots if s[0] <= s[1]]\n    changed = True\n    while changed:\n        changed = False\n        for i in range(len(merged)):\n            for j in range(i + 1, len(merged)):\n                a, b = merged[i], merged[j]\n                if a[0] <= b[1] and b[0] <= a[1]:\n                    merged[i] = (min(a[0], b[0]), max(a[1], b[1]))\n                    del merged[j]\n                    changed = True\n                    break\n            if changed:\n                break\n    return sorted(merged)\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/calendar_tools/merge.py", "exec"), _namespace)
reference = _namespace["merge_busy"]


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
    yield ([],)
    yield ([(3, 1)],)
    yield ([(-5, -5), (-5, -5)],)
    rng = random.Random(107)
    for _ in range(200):
        slots = []
        for _ in range(rng.randint(0, 8)):
            s = rng.randint(-10, 20)
            slots.append((s, s + rng.randint(-2, 6)))
        yield (slots,)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
