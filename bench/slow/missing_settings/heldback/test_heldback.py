"""Held-back differential test for missing_settings: the ORIGINAL missing_settings (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from settings.check import missing_settings as current

REFERENCE_SOURCE = '"""Start-up configuration checks."""\n\n\ndef missing_settings(settings: dict[str, str], required: list[str]) -> list[str]:\n    """The required keys that settings lacks, in order."""\n    return [key for key in required if key not in settings.keys()]\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/settings/check.py", "exec"), _namespace)
reference = _namespace["missing_settings"]


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
    yield ({}, [])
    yield ({"": ""}, ["", ""])
    yield ({"ä": "1"}, ["a", "ä"])
    rng = random.Random(83)
    for _ in range(200):
        pool = ["a", "b", "ü", ""]
        yield ({rng.choice(pool): "v" for _ in range(rng.randint(0, 3))}, [rng.choice(pool) for _ in range(rng.randint(0, 6))])


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
