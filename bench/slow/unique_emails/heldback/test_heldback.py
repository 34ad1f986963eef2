"""Held-back differential test for unique_emails: the ORIGINAL unique_emails (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from crm.contacts import unique_emails as current

REFERENCE_SOURCE = '"""Contact list clean-up."""\n\n\ndef unique_emails(rows: list[str]) -> list[str]:\n    """Distinct normalised e-mail addresses (second CSV column) in first-seen order."""\n    seen = []\n    for row in rows:\n        email = row.split(",")[1].strip().lower()\n        if email not in seen:\n            seen.append(email)\n    return seen\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/crm/contacts.py", "exec"), _namespace)
reference = _namespace["unique_emails"]


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
    yield (["a,b"],)
    yield (["a"],)
    yield (["x, Ä@ü.de", "y,ä@ü.de", "z,"],)
    rng = random.Random(5)
    for _ in range(200):
        rows = [f"n{i},{rng.choice(['a@x', 'A@X', ' b@y', 'é@z', ''])}" for i in range(rng.randint(0, 15))]
        if rng.random() < 0.1:
            rows.append("broken")
        yield (rows,)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
