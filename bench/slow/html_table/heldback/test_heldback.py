"""Held-back differential test for html_table: the ORIGINAL render_table (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from markup.html import render_table as current

REFERENCE_SOURCE = '"""HTML rendering for the admin pages."""\n\n\ndef render_table(rows: list[dict[str, str]], columns: list[str]) -> str:\n    html = "<table>\\n"\n    for row in rows:\n        html = html + "<tr>"\n        for col in columns:\n            html = html + "<td>" + row.get(col, "").replace("&", "&amp;").replace("<", "&lt;") + "</td>"\n        html = html + "</tr>\\n"\n    html += "</table>"\n    return html\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/markup/html.py", "exec"), _namespace)
reference = _namespace["render_table"]


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
    yield ([{}], [])
    yield ([{"a": "&<>"}], ["a", "a"])
    rng = random.Random(23)
    for _ in range(200):
        cols = [rng.choice(["a", "b", "ü"]) for _ in range(rng.randint(0, 3))]
        rows = [{k: rng.choice(["", "&", "<b>", "é"]) for k in ["a", "b", "ü"] if rng.random() < 0.5} for _ in range(rng.randint(0, 5))]
        yield (rows, cols)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
