"""Held-back differential test for csv_report: the ORIGINAL render_report (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from reports.text import render_report as current

REFERENCE_SOURCE = '"""Plain-text sales reports."""\n\n\ndef render_report(rows: list[tuple[str, int, float]]) -> str:\n    """A CSV report with a header and one line per row (total = qty * price, two decimals)."""\n    report = "name,qty,total\\n"\n    for name, qty, price in rows:\n        report = report + name + "," + str(qty) + "," + f"{qty * price:.2f}" + "\\n"\n    return report\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/reports/text.py", "exec"), _namespace)
reference = _namespace["render_report"]


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
    yield ([("", 0, 0.0)],)
    yield ([("ünï", -3, -0.005), ("x", 1, float("nan"))],)
    rng = random.Random(17)
    for _ in range(200):
        yield ([(rng.choice(["a", "b,c", "é", ""]), rng.randint(-5, 5), rng.uniform(-100, 100)) for _ in range(rng.randint(0, 12))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
