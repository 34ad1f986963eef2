"""Held-back differential test for running_median: the ORIGINAL running_medians (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from signals.median import running_medians as current

REFERENCE_SOURCE = '"""Signal smoothing."""\n\n\ndef running_medians(samples: list[int], width: int) -> list[int]:\n    """The lower median of each full window of `width` consecutive samples (width >= 1)."""\n    out = []\n    for end in range(width, len(samples) + 1):\n        window = sorted(samples[end - width:end])\n        out.append(window[(width - 1) // 2])\n    return out\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/signals/median.py", "exec"), _namespace)
reference = _namespace["running_medians"]


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
    yield ([], 1)
    yield ([7], 1)
    yield ([-1, -1, -1], 2)
    rng = random.Random(113)
    for _ in range(200):
        yield ([rng.randint(-9, 9) for _ in range(rng.randint(0, 10))], rng.randint(1, 4))


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
