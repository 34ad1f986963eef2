"""Held-back differential test for keyword_hits: the ORIGINAL keyword_hits (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from search.keywords import keyword_hits as current

REFERENCE_SOURCE = '"""Keyword tagging of support tickets."""\n\n\ndef keyword_hits(document: str, keywords: list[str]) -> list[str]:\n    """The keywords that occur in the document, ignoring case, in keyword order."""\n    hits = []\n    for kw in keywords:\n        if kw.lower() in document.lower():\n            hits.append(kw)\n    return hits\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/search/keywords.py", "exec"), _namespace)
reference = _namespace["keyword_hits"]


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
    yield ("", [""])
    yield ("STRASSE Straße İ", ["straße", "i̇", "STRASSE"])
    rng = random.Random(67)
    for _ in range(200):
        doc = " ".join(rng.choice(["Ab", "cD", "É", "x"]) for _ in range(rng.randint(0, 8)))
        yield (doc, [rng.choice(["ab", "AB", "é", "y", "", "cd x"]) for _ in range(rng.randint(0, 5))])


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
