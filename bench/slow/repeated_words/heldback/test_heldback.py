"""Held-back differential test for repeated_words: the ORIGINAL repeated_words (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from proofread.repeats import repeated_words as current

REFERENCE_SOURCE = '"""Proof-reading helpers."""\n\n\ndef repeated_words(words: list[str]) -> list[str]:\n    """Every occurrence of a word that occurs more than once, in order."""\n    return [w for w in words if words.count(w) > 1]\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/proofread/repeats.py", "exec"), _namespace)
reference = _namespace["repeated_words"]


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
    yield ([""],)
    yield (["é", "é", "e"],)
    rng = random.Random(71)
    for _ in range(200):
        yield ([rng.choice(["a", "b", "c", "ü", ""]) for _ in range(rng.randint(0, 12))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
