"""Held-back differential test for log_levels: the ORIGINAL count_levels (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from logscan.levels import count_levels as current

REFERENCE_SOURCE = '"""Log file summaries."""\nimport re\n\n\ndef count_levels(lines: list[str]) -> dict[str, int]:\n    """How many lines of each level (\'2024-01-02 03:04:05 [LEVEL] ...\'); other lines ignored."""\n    counts = {}\n    for line in lines:\n        m = re.match(r"^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\[(\\w+)\\]", line)\n        if m:\n            level = m.group(1)\n            counts[level] = counts.get(level, 0) + 1\n    return counts\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/logscan/levels.py", "exec"), _namespace)
reference = _namespace["count_levels"]


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
    yield (["2024-01-02 03:04:05 [ÄÖÜ] unicode level", "2024-01-02 03:04:05 []"],)
    rng = random.Random(29)
    for _ in range(200):
        lines = []
        for _ in range(rng.randint(0, 10)):
            lvl = rng.choice(["INFO", "warn", "E_1", "é", ""])
            lines.append(rng.choice([f"2024-01-02 03:04:05 [{lvl}] m", f" 2024-01-02 03:04:05 [{lvl}]", "x"]))
        yield (lines,)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
