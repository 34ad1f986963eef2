"""Held-back differential test for percentiles: the ORIGINAL percentiles (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from metrics.quantiles import percentiles as current

REFERENCE_SOURCE = '"""Latency percentiles for the dashboard."""\n\n\ndef percentiles(values: list[float], points: list[float]) -> list[float]:\n    """Nearest-rank-below percentile of values for each point in [0, 1]."""\n    result = []\n    for p in points:\n        idx = int(p * (len(values) - 1))\n        result.append(sorted(values)[idx])\n    return result\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/metrics/quantiles.py", "exec"), _namespace)
reference = _namespace["percentiles"]


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
    yield ([], [0.5])
    yield ([1.0], [0.0, 1.0])
    yield ([-0.0, 0.0, float("inf"), -1.5], [0.0, 0.34, 1.0])
    rng = random.Random(61)
    for _ in range(200):
        values = [rng.choice([0.5, -2.0, 3.25, 1e9]) for _ in range(rng.randint(0, 8))]
        yield (values, [rng.random() for _ in range(rng.randint(0, 4))])


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
