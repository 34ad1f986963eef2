"""Held-back differential test for lib_inflection_underscore: the library's ORIGINAL underscore()
(read from the repo's HEAD commit, the pristine sdist, so no library code is copied into suture's
repo) against the current one on seeded random identifiers and edge cases."""

import random
import subprocess
from pathlib import Path

from inflection import underscore as current

REPO = Path(__file__).resolve().parents[1]
REFERENCE_SOURCE = subprocess.run(["git", "show", "HEAD:inflection/__init__.py"], cwd=REPO,
                                  capture_output=True, text=True, check=True).stdout
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/inflection/__init__.py", "exec"), _namespace)
reference = _namespace["underscore"]


def outcome(fn, arg):
    try:
        return ("returned", fn(arg))
    except Exception as exc:
        return ("raised", type(exc).__name__)


def inputs():
    yield from ["", "A", "a", "IOError", "HTTPResponseCode", "already_snake", "dash-ed-Word", "ÄpfelÜber",
                "X1Y2", "__Dunder__", "ABC", "aB", "a-B_c"]
    rng = random.Random(131)
    pieces = ["Device", "type", "HTTP", "_", "-", "X", "1", "é", "Ünï", "ID", "a"]
    for _ in range(300):
        yield "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))


def test_matches_reference_on_many_inputs():
    count = 0
    for arg in inputs():
        assert outcome(current, arg) == outcome(reference, arg), arg
        count += 1
    assert count >= 50
