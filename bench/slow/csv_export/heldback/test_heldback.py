"""Held-back differential test for csv_export: the ORIGINAL to_csv (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from exporter.csvout import to_csv as current

REFERENCE_SOURCE = '"""CSV export without the csv module (quotes doubled, every cell quoted)."""\n\n\ndef to_csv(header: list[str], records: list[list[str]]) -> str:\n    out = ",".join(header) + "\\n"\n    for record in records:\n        line = ""\n        for i, cell in enumerate(record):\n            if i:\n                line += ","\n            line += \'"\' + cell.replace(\'"\', \'""\') + \'"\'\n        out = out + line + "\\n"\n    return out\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/exporter/csvout.py", "exec"), _namespace)
reference = _namespace["to_csv"]


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
    yield (["h"], [[]])
    yield (["ä"], [["\"\""], ["é", ""]])
    rng = random.Random(19)
    cells = ["", "a", '"', "é,ü", "x y", "\n"]
    for _ in range(200):
        header = [rng.choice(cells) for _ in range(rng.randint(0, 3))]
        records = [[rng.choice(cells) for _ in range(rng.randint(0, 4))] for _ in range(rng.randint(0, 6))]
        yield (header, records)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
