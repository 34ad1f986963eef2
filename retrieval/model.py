"""The records the code index is made of.

They are plain frozen dataclasses so that the cache, the search, the repo map
and (later) the agent's tools can pass them around without knowing how a file
was parsed. Paths are always repo-relative POSIX strings; lines are 1-based and
inclusive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# Symbol kinds. A nested function is a "function"; a function defined directly in
# a class body is a "method".
CLASS = "class"
FUNCTION = "function"
METHOD = "method"
SYMBOL_KINDS = (CLASS, FUNCTION, METHOD)

# Reference kinds.
CALL = "call"  # f(...), obj.f(...)
ATTRIBUTE = "attribute"  # obj.attr (not called)
IMPORT = "import"  # import x / from m import x  (name is the imported name)
REFERENCE_KINDS = (CALL, ATTRIBUTE, IMPORT)


@dataclass(frozen=True, slots=True)
class Symbol:
    path: str
    name: str  # bare name: "method"
    qualname: str  # dotted through enclosing classes and functions: "Class.method", "outer.inner"
    kind: str  # CLASS | FUNCTION | METHOD
    language: str
    start_line: int  # first line, decorators included
    end_line: int
    signature: str  # the header as written, whitespace collapsed: "def f(a, b=1) -> int"
    docstring: str = ""  # first docstring / leading doc comment, "" when none
    parent: str | None = None  # qualname of the enclosing class or function, None at top level
    parent_class: str | None = None  # qualname of the class a method belongs to


@dataclass(frozen=True, slots=True)
class Reference:
    path: str
    name: str  # the referenced identifier (last component): "append", "Path"
    kind: str  # CALL | ATTRIBUTE | IMPORT
    line: int
    scope: str  # qualname of the innermost enclosing symbol, "" at module level
    module: str = ""  # for IMPORT: the module it comes from ("os.path"), else ""


@dataclass(slots=True)
class FileIndex:
    """Everything the index knows about one file."""

    path: str
    language: str
    content_hash: str  # hex digest of the file's bytes
    size: int
    mtime_ns: int
    line_count: int
    syntax_errors: int  # tree-sitter ERROR + MISSING nodes
    symbols: list[Symbol] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


@dataclass(slots=True)
class IndexStats:
    files: int = 0  # files in the index after this build
    parsed: int = 0  # files (re)parsed by this build
    reused: int = 0  # files taken from the cache unchanged
    removed: int = 0  # cached files no longer present
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count ("binary", "too_large", ...)
    seconds: float = 0.0


class RetrievalError(Exception):
    """Bad input to the retrieval layer (missing root, not a directory, ...).

    The message is one sentence meant for a user; callers turn it into an exit code.
    """


def innermost_symbol(symbols: Iterable[Symbol], line: int) -> Symbol | None:
    """The most deeply nested of `symbols` whose lines hold `line` (1-based); None when none does.

    The one rule for "which symbol owns this line" (search hits, localisation, the gates' test
    selection, check, the profiler's attribution). Symbols nest, so the deepest holder is the one
    that starts last; of two that start on the same line the one that ends first, and of two on
    the very same lines (a one-line class and its method) the one with the deeper qualified name.
    The copies this replaces disagreed only on such ties (one took the last of the list, one the
    first); now the order of the list does not matter.
    Callers that want functions only filter first (profile) or after (check, validate): a line
    in a class body outside its methods belongs to the class, not to a method before it.
    """
    best = None
    for symbol in symbols:
        if symbol.start_line <= line <= symbol.end_line and (
            best is None
            or symbol.start_line > best.start_line
            or (symbol.start_line == best.start_line and symbol.end_line < best.end_line)
            or (symbol.start_line == best.start_line and symbol.end_line == best.end_line
                and symbol.qualname.count(".") > best.qualname.count("."))
        ):
            best = symbol
    return best
