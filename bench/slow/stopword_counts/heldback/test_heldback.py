"""Held-back differential test for stopword_counts: the ORIGINAL content_word_counts (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from textstats.words import content_word_counts as current

REFERENCE_SOURCE = '"""Word statistics for the weekly newsletter report."""\n\n\ndef content_word_counts(text: str, stopwords: list[str]) -> dict[str, int]:\n    """How often each word that is not a stop word occurs, in first-seen order."""\n    counts = {}\n    for word in text.lower().split():\n        word = word.strip(".,;:!?\\"\'()")\n        if not word or word in stopwords:\n            continue\n        counts[word] = counts.get(word, 0) + 1\n    return counts\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/textstats/words.py", "exec"), _namespace)
reference = _namespace["content_word_counts"]


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
    yield ("", [])
    yield ("", ["a"])
    yield ("THE The the", ["the"])
    yield ("naïve café, Café! ünïcode", ["café"])
    yield ("a,, ,. ! ?", ["a"])
    rng = random.Random(7)
    words = ["alpha", "Beta", "gamma.", "(delta)", "é", "the", "A", "!", "x1", "Ünï"]
    for _ in range(200):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 30)))
        stop = rng.sample(["the", "a", "beta", "é", "x1", "gamma", "zzz"], rng.randint(0, 5))
        yield (text, stop)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
