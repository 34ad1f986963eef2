"""Held-back differential test for image_files: the ORIGINAL image_files (frozen below as module text) against
the current one on seeded random inputs and edge cases. Never shown to the optimiser."""

import copy
import random

from media.scan import image_files as current

REFERENCE_SOURCE = '"""Media library scanning."""\n\n\ndef image_files(paths: list[str]) -> list[str]:\n    """The paths whose extension (case-insensitive) is an image format."""\n    out = []\n    for p in paths:\n        ext = p[p.rfind("."):].lower() if "." in p else ""\n        if ext in [".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tiff", ".webp", ".svg", ".ico", ".heic"]:\n            out.append(p)\n    return out\n'
_namespace: dict = {"__name__": "reference"}
exec(compile(REFERENCE_SOURCE, "reference/media/scan.py", "exec"), _namespace)
reference = _namespace["image_files"]


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
    yield ([".", "..png", ".png"],)
    yield (["ü.JPEG", "x.Jpg ", "y.svgz"],)
    rng = random.Random(89)
    for _ in range(200):
        yield ([rng.choice(["a", "b.", "c.png", "d.GIF", "e.txt", ".ico", "é.heic"]) for _ in range(rng.randint(0, 10))],)


def test_matches_reference_on_many_inputs():
    count = 0
    for args in inputs():
        assert outcome(current, args) == outcome(reference, args), args
        count += 1
    assert count >= 50
