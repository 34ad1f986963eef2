"""Held-back differential test for identifier_tokens: the ORIGINAL tokenize_lines (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from lexer.tokens import tokenize_lines as current

REFERENCE_SOURCE = '"""A tiny tokenizer for the config language."""\nimport re\n\n\ndef tokenize_lines(lines: list[str]) -> list[list[str]]:\n    """Identifiers, integers and single other characters of each line."""\n    out = []\n    for line in lines:\n        token_re = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\\d+|\\S")\n        out.append(token_re.findall(line))\n    return out\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/lexer/tokens.py", "exec"), _namespace)
reference = _namespace["tokenize_lines"]


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
    yield (["ünï = 3", "\t\n"],)
    rng = random.Random(31)
    parts = ["a", "_b1", "12", "+", " ", "é", "(", "x9"]
    for _ in range(200):
        yield (["".join(rng.choice(parts) for _ in range(rng.randint(0, 8))) for _ in range(rng.randint(0, 5))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
