"""A generated Python module of a chosen size, for `suture verify` on a very large file (issue 14, item 8).

Thousands of small arithmetic functions, every 20th one defined in a module-level
`if sys.version_info ...:` / `else:` pair and every 50th in a `try:` / `except ImportError:`
(the shapes that make the verifier evaluate conditions and search blocks), then the target
at the very end: `ratio(a: int, b: int) -> float`, which divides by b (a crash at b == 0).

    python bench/big_module.py OUT.py --megabytes 20
"""

from __future__ import annotations

import argparse
from pathlib import Path

TARGET = "ratio"

_HEADER = '''"""Generated: a very large module (bench/big_module.py)."""

import sys

'''

_FUNCTION = '''def f{n}(x: int, y: int) -> int:
    """Function {n}: a few lines of arithmetic so the module is mostly code."""
    total = x * {a} + y
    for step in range({b}):
        total += (x ^ step) % {c}
        if total > {d}:
            total -= y
    return total


'''

_TARGET = '''def ratio(a: int, b: int) -> float:
    """a over b (no guard: b == 0 crashes)."""
    return a / b
'''


def module_text(megabytes: float) -> str:
    """The module's source, at least `megabytes` MB long."""
    want = int(megabytes * 1_000_000)
    parts = [_HEADER]
    size, n = len(_HEADER), 0
    while size < want:
        body = _FUNCTION.format(n=n, a=n % 7 + 1, b=n % 5 + 1, c=n % 11 + 2, d=1000 + n)
        if n % 20 == 0:
            indented = "".join("    " + line if line.strip() else line for line in body.splitlines(True))
            body = (f"if sys.version_info >= (3, {n % 9}):\n{indented.rstrip()}\nelse:\n"
                    f"    def f{n}(x: int, y: int) -> int:\n        return x\n\n\n")
        elif n % 50 == 1:
            indented = "".join("    " + line if line.strip() else line for line in body.splitlines(True))
            body = f"try:\n    from math import f{n}\nexcept ImportError:\n{indented.rstrip()}\n\n\n"
        parts.append(body)
        size += len(body)
        n += 1
    parts.append(_TARGET)
    return "".join(parts)


def small_functions_module(megabytes: float) -> str:
    """Many small generated functions (func_0, func_1, ...), about `megabytes` MB of source: what
    `suture check` is measured and tested on (bench/bench_check.py, tests/test_check.py)."""
    parts, size, n = ['"""A generated module."""\n'], 0, 0
    while size < megabytes * 1_000_000:
        part = (f"\n\ndef func_{n}(x, y):\n    \"\"\"Generated function {n}.\"\"\"\n    total = x * {n % 97} + y\n"
                f"    if total > {n}:\n        return total - {n % 13}\n    return total + {n % 7}\n")
        parts.append(part)
        size += len(part)
        n += 1
    return "".join(parts)


def write_module(path: Path, megabytes: float) -> Path:
    path.write_text(module_text(megabytes), encoding="utf-8")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--megabytes", type=float, default=20.0)
    options = parser.parse_args()
    write_module(options.out, options.megabytes)
    print(f"{options.out}: {options.out.stat().st_size / 1e6:.1f} MB")
