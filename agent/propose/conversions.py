"""Expressions that parse a string a site reads, tried in place by synthesis (issue 18's new-expression kind).

Synthesis proper (agent/propose/expressions.py) keeps the type the code gave at a site: a passing test's
value must come out the same, so it never proposes `tuple(map(int, version.split(".")))` for a
`return version` whose strings compare as text ('1.10' < '1.9'), nor a real CSV reader for a
hand-rolled `line.split(",")`. These are one step up from a template and one step down from a
model: at a `return` or an assignment's value that reads a name holding a string on every probe
hit, the candidates are

- the string split on a separator its recorded values hold (the one non-alphanumeric character
  they all share), as integers: a dotted or dashed key that must compare as numbers;
- a parser the module imports and never calls (`import csv` beside `line.split(",")`, `import json`,
  `from shlex import split`): an import nothing uses is code the author meant to use. Its
  functions whose names say they read (`reader`, `loads`, `parse_qs`, `literal_eval`, `split`)
  are applied to the string, alone, drained with `list`, and as the one line of a reader of lines
  (`next(csv.reader([line]))`).

They are only tried in place on the failing tests (synthesis's try run, milliseconds each) and go
through every gate like any other candidate. Only standard-library modules are looked into (the
project's own modules are never imported by suture), and only names that say they read: a function
that writes (`csv.register_dialect`) is never called in a try.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from suture.agent.propose.templates import SourceFile

# Name parts of functions that only read and build a value from their argument.
READING_WORDS = ("reader", "load", "parse", "split", "decode", "unquote", "unescape", "literal_eval")
MAX_CONVERSIONS = 12


def conversions(src: SourceFile, node: ast.expr, role: str, hits: Sequence[Any]) -> list[str]:
    """Candidate texts for the site `node` (see the module doc); [] at a condition or without string hits."""
    if role not in ("return", "value") or not hits:
        return []
    strings = _string_names(node, hits)
    out: list[str] = []
    parsers = unused_parsers(src)
    for name in strings:
        sep = _separator([h.env[name] for h in hits])
        if sep:
            out.append(f"tuple(map(int, {name}.split({sep!r})))")
        for parser in parsers:
            out += [f"{parser}({name})", f"list({parser}({name}))", f"next({parser}([{name}]))"]
    original = src.segment(node)
    return [t for t in dict.fromkeys(out) if t != original][:MAX_CONVERSIONS]


def _string_names(node: ast.expr, hits: Sequence[Any]) -> list[str]:
    """Names the site reads that hold a string on every hit, in reading order."""
    names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    return [n for n in dict.fromkeys(names) if all(isinstance(h.env.get(n), str) for h in hits)]


def _separator(values: Sequence[str]) -> str | None:
    """The one punctuation character every value holds, most frequent first, when each value's parts between
    it are all digits (`1.10.2`, `2024-01-05`); else None."""
    if not values:
        return None
    shared = set.intersection(*({c for c in v if not c.isalnum() and not c.isspace()} for v in values))
    counts = Counter(c for v in values for c in v if c in shared)
    for sep, _ in counts.most_common():
        if all(part.isdigit() for v in values for part in v.split(sep)):
            return sep
    return None


def unused_parsers(src: SourceFile) -> list[str]:
    """Callables of standard-library imports the file never uses, whose names say they read: `csv.reader`
    for an unused `import csv`, `split` for an unused `from shlex import split`."""
    used = {n.id for n in ast.walk(src.tree) if isinstance(n, ast.Name)}
    out: list[str] = []
    for stmt in src.tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound in used or not _stdlib(alias.name):
                    continue
                module = _module(alias.name)
                prefix = alias.asname or alias.name
                out += [f"{prefix}.{name}" for name in _reading_callables(module)]
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level and _stdlib(stmt.module):
            module = _module(stmt.module)
            for alias in stmt.names:
                bound = alias.asname or alias.name
                if bound not in used and alias.name in _reading_callables(module):
                    out.append(bound)
    return out


def _stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names


def _module(name: str) -> Any:
    """The standard-library module `name` (only stdlib names reach here: `_stdlib`), imported into suture's
    process unless it is one whose import does something (`antigravity` opens a browser, `this` prints) or
    touches the terminal (tkinter, curses, readline)."""
    if name in sys.modules:
        return sys.modules[name]
    if name.split(".")[0] in ("antigravity", "this", "idlelib", "turtle", "turtledemo", "tkinter",
                                    "readline", "curses"):
        return None
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a module that does not import here offers nothing
        return None


def _reading_callables(module: Any) -> list[str]:
    if module is None:
        return []
    names = [n for n in dir(module) if not n.startswith("_") and any(w in n.lower() for w in READING_WORDS)]
    return [n for n in names if callable(getattr(module, n, None))]
