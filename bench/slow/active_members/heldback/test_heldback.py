"""Held-back differential test for active_members: the ORIGINAL active_names (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from roster.members import active_names as current

REFERENCE_SOURCE = '"""Club membership roster."""\n\n\ndef active_names(members: list[tuple[str, bool]]) -> list[str]:\n    """Names of the members whose membership is active, in roster order."""\n    names = []\n    for name, active in members:\n        if active:\n            names.append(name)\n    return names\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/roster/members.py", "exec"), _namespace)
reference = _namespace["active_names"]


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
    yield ([("", False)],)
    yield ([("é", True), ("é", True)],)
    yield ([("x", 1), ("y", 0), ("z", "yes"), ("w", None)],)  # truthiness, not bools
    yield ([("a", True), ("b",)],)  # a short tuple: ValueError in both
    rng = random.Random(127)
    for _ in range(150):
        yield ([(rng.choice(["ann", "bo", "cy", ""]), rng.random() < 0.5) for _ in range(rng.randint(0, 10))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
