"""Held-back differential test for anagram_groups: the ORIGINAL anagram_groups (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from wordgames.anagrams import anagram_groups as current

REFERENCE_SOURCE = '"""Word-game helpers."""\n\n\ndef anagram_groups(words: list[str]) -> list[list[str]]:\n    """Words grouped by anagram class, groups in order of first appearance."""\n    groups = []\n    for word in words:\n        for group in groups:\n            if sorted(group[0]) == sorted(word):\n                group.append(word)\n                break\n        else:\n            groups.append([word])\n    return groups\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/wordgames/anagrams.py", "exec"), _namespace)
reference = _namespace["anagram_groups"]


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
    yield (["", ""],)
    yield (["äb", "bä", "ab"],)
    rng = random.Random(109)
    for _ in range(200):
        yield (["".join(rng.choice("abé") for _ in range(rng.randint(0, 3))) for _ in range(rng.randint(0, 8))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
