"""Held-back differential test for lint_long_lines: the ORIGINAL files_with_long_lines (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from linter.length import files_with_long_lines as current

REFERENCE_SOURCE = '"""A tiny style checker."""\n\n\ndef files_with_long_lines(files: dict[str, list[str]], limit: int) -> list[str]:\n    """Names of the files with a non-comment line longer than limit, in order."""\n    flagged = []\n    for name, lines in files.items():\n        if any([len(line) > limit for line in lines if not line.lstrip().startswith("#")]):\n            flagged.append(name)\n    return flagged\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/linter/length.py", "exec"), _namespace)
reference = _namespace["files_with_long_lines"]


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
    yield ({}, 0)
    yield ({"a": []}, 0)
    yield ({"a": [""]}, -1)
    yield ({"ü": ["  # long comment", "é" * 3]}, 2)
    rng = random.Random(139)
    for _ in range(200):
        files = {f"f{i}": [rng.choice(["", "ab", "#xyz", "  #q", "éééé", "x y z"]) for _ in range(rng.randint(0, 5))]
                 for i in range(rng.randint(0, 4))}
        yield (files, rng.randint(-1, 4))


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
