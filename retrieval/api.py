"""The AutoCodeRover search API over a SymbolIndex, as plain functions.

Each function takes a `Retriever` and returns an `ApiResult`: structured hits for
code, and `render()` for a compact text a model reads. The agent's tools wrap
these later. Bad input (an unknown path, a line out of range, an empty name)
becomes a one-sentence message in the result, never an exception.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from suture.retrieval.model import CALL, CLASS, FUNCTION, METHOD, RetrievalError, Symbol, innermost_symbol
from suture.retrieval.search import CodeSearch, find_code

MAX_HITS = 5  # more hits than this collapse to a per-file summary, as in ACR
CLASS_FULL_LINES = 60  # a longer class is shown as its signature and its methods' signatures
FUNCTION_MAX_LINES = 150  # a longer function is cut, with a note saying how much is left out


class Retriever:
    """A SymbolIndex plus what the API needs around it: file texts read once, and the
    ranked CodeSearch, built (or loaded from its cache) only when first asked for."""

    def __init__(self, index, search: CodeSearch | None = None, cache_dir: Path | None = None):
        self.index = index
        self._search = search
        self._cache_dir = cache_dir
        self._texts: dict[str, list[str]] = {}
        self._names: dict[str, list[str]] = {}

    @property
    def search(self) -> CodeSearch:
        if self._search is None:
            self._search = CodeSearch(self.index, cache_dir=self._cache_dir)
        return self._search

    def lines(self, path: str) -> list[str]:
        """The file's lines (without line ends); raises RetrievalError when unreadable."""
        lines = self._texts.get(path)
        if lines is None:
            lines = self._texts[path] = self.index.read_text(path).splitlines()
        return lines

    def text(self, path: str) -> str:
        return "\n".join(self.lines(path)) + "\n"

    def names(self, kind: str | None = None) -> list[str]:
        """Distinct names (bare and qualified) of the symbols of one kind, or of all."""
        key = kind or "*"
        if key not in self._names:
            found: dict[str, None] = {}
            for sym in self.index.symbols():
                if kind is None or sym.kind == kind or (kind == FUNCTION and sym.kind == METHOD):
                    found.setdefault(sym.name)
                    found.setdefault(sym.qualname)
            self._names[key] = list(found)
        return self._names[key]


@dataclass(frozen=True, slots=True)
class CodeHit:
    """A piece of code at a place: a symbol's code, a matching line, a call site."""

    path: str
    symbol: str  # qualified name of the symbol shown or enclosing the lines; "" at module level
    kind: str  # class | function | method | code | lines | call
    start_line: int
    end_line: int
    code: str  # the text shown, with line numbers


@dataclass(slots=True)
class ApiResult:
    noun: tuple[str, str]  # what a hit is, singular and plural: ("class", "classes")
    detail: str  # what was looked for: "named 'Cart'"
    hits: list[CodeHit] = field(default_factory=list)
    message: str = ""  # one sentence when nothing was found or the input was bad

    @property
    def ok(self) -> bool:
        return bool(self.hits)

    def render(self, max_hits: int = MAX_HITS) -> str:
        if not self.hits:
            return self.message or f"Found no {self.noun[1]} {self.detail}."
        found = f"Found {_plural(len(self.hits), *self.noun)} {self.detail}"
        if len(self.hits) > max_hits:
            per_file: dict[str, int] = {}
            for hit in self.hits:
                per_file[hit.path] = per_file.get(hit.path, 0) + 1
            lines = [
                f"{found} in {_plural(len(per_file), 'file', 'files')}; too many to show,"
                " so here is where they are (narrow the search to a file or class):"
            ]
            lines += [f"- {path}: {_plural(n, 'match', 'matches')}" for path, n in sorted(per_file.items())]
            return "\n".join(lines)
        blocks = [f"{found}:"]
        for hit in self.hits:
            where = f"{hit.path}:{hit.start_line}" + (f"-{hit.end_line}" if hit.end_line != hit.start_line else "")
            blocks.append(where + (f" ({hit.symbol})" if hit.symbol else "") + f"\n{hit.code}")
        return "\n\n".join(blocks)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _numbered(lines: list[str], first: int) -> str:
    width = len(str(first + len(lines) - 1))
    return "\n".join(f"{first + i:>{width}} | {line}" for i, line in enumerate(lines))


def symbol_code(retriever: Retriever, sym: Symbol) -> str:
    """A symbol's code with line numbers: in full when short; a long class as its
    header and its members' signatures; a long function cut with a note."""
    try:
        lines = retriever.lines(sym.path)
    except RetrievalError as error:
        return str(error)
    body = lines[sym.start_line - 1 : sym.end_line]
    if sym.kind == CLASS and len(body) > CLASS_FULL_LINES:
        members = [s for s in retriever.index.symbols_in(sym.path) if s.parent == sym.qualname]
        header_end = members[0].start_line - 1 if members else sym.start_line
        shown = [(sym.start_line + i, line) for i, line in enumerate(lines[sym.start_line - 1 : header_end])]
        shown = shown[:10]  # header, decorators and docstring start: enough to know the class
        for member in members:
            first = lines[member.start_line - 1]
            indent = first[: len(first) - len(first.lstrip())]
            shown.append((member.start_line, f"{indent}{member.signature}"))
        width = len(str(sym.end_line))
        out, previous = [], None
        for number, text in shown:
            if previous is not None and number > previous + 1:
                out.append(" " * width + " | ⋮")
            out.append(f"{number:>{width}} | {text}")
            previous = number
        out.append(" " * width + f" | ⋮ ({len(body)} lines in all; ask for a method to see its body)")
        return "\n".join(out)
    if len(body) > FUNCTION_MAX_LINES:
        return _numbered(body[:FUNCTION_MAX_LINES], sym.start_line) + (
            f"\n⋮ ({len(body) - FUNCTION_MAX_LINES} more lines up to line {sym.end_line})"
        )
    return _numbered(body, sym.start_line)


def _symbol_hits(retriever: Retriever, symbols: list[Symbol]) -> list[CodeHit]:
    ordered = sorted(symbols, key=lambda s: (s.path, s.start_line, s.qualname))
    return [CodeHit(s.path, s.qualname, s.kind, s.start_line, s.end_line, symbol_code(retriever, s)) for s in ordered]


def _suggest(retriever: Retriever, name: str, kind: str | None, scope: list[str] | None = None) -> str:
    """" Did you mean 'X'?" for the nearest known name, or ""."""
    candidates = scope if scope is not None else retriever.names(kind)
    by_lower = {c.lower(): c for c in candidates}
    near = by_lower.get(name.lower())
    if near is None:
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        near = close[0] if close else None
    return f" Did you mean '{near}'?" if near and near != name else ""


def _check_path(retriever: Retriever, path: str) -> str | None:
    """The repo-relative indexed path for `path`, or None."""
    path = path.strip().replace("\\", "/")
    if path.startswith("./"):
        path = path[2:]
    if retriever.index.file(path) is not None:
        return path
    root = Path(retriever.index.root)
    try:
        rel = Path(path).resolve().relative_to(root).as_posix() if Path(path).is_absolute() else None
    except ValueError:
        rel = None
    return rel if rel and retriever.index.file(rel) is not None else None


def _bad_path(retriever: Retriever, path: str, what: tuple) -> ApiResult:
    paths = retriever.index.paths()
    near = difflib.get_close_matches(path, paths, n=1, cutoff=0.5)
    hint = f" Did you mean '{near[0]}'?" if near else ""
    return ApiResult(*what, message=f"The file '{path}' is not in the index.{hint}")


def _empty(what: tuple, argument: str) -> ApiResult:
    return ApiResult(*what, message=f"The {argument} to search for is empty.")


# -- classes


def search_class(retriever: Retriever, name: str) -> ApiResult:
    what = (("class", "classes"), f"named '{name}'")
    if not name.strip():
        return _empty(what, "class name")
    found = [s for s in retriever.index.find(name.strip()) if s.kind == CLASS]
    if not found:
        return ApiResult(*what, message=f"Could not find a class named '{name}'.{_suggest(retriever, name, CLASS)}")
    return ApiResult(*what, _symbol_hits(retriever, found))


def search_class_in_file(retriever: Retriever, name: str, path: str) -> ApiResult:
    def hint(rel: str) -> str:
        elsewhere = sorted({s.path for s in retriever.index.find(name.strip()) if s.kind == CLASS})
        if elsewhere:
            return f" It is defined in {', '.join(elsewhere[:3])}."
        local = [s.name for s in retriever.index.symbols_in(rel) if s.kind == CLASS]
        return _suggest(retriever, name, CLASS, local) or _suggest(retriever, name, CLASS)

    classes = [s for s in retriever.index.find(name.strip()) if s.kind == CLASS] if name.strip() else []
    return _search_in_file(retriever, ("class", "classes"), "class name", name, path, classes, hint)


def _search_in_file(retriever: Retriever, kind: tuple[str, str], argument: str, name: str, path: str,
                    candidates: list[Symbol], hint: Callable[[str], str]) -> ApiResult:
    """The `candidates` (symbols named `name`) defined in the file `path`; `hint(rel)` adds to "not found"."""
    what = (kind, f"named '{name}' in {path}")
    if not name.strip():
        return _empty(what, argument)
    rel = _check_path(retriever, path)
    if rel is None:
        return _bad_path(retriever, path, what)
    found = [s for s in candidates if s.path == rel]
    if not found:
        return ApiResult(*what, message=f"Could not find a {kind[0]} named '{name}' in {rel}.{hint(rel)}")
    return ApiResult(*what, _symbol_hits(retriever, found))


# -- functions and methods ("method" in ACR's sense: any function)


def _callables(retriever: Retriever, name: str) -> list[Symbol]:
    return [s for s in retriever.index.find(name.strip()) if s.kind in (FUNCTION, METHOD)]


def search_method(retriever: Retriever, name: str) -> ApiResult:
    what = (("function or method", "functions or methods"), f"named '{name}'")
    if not name.strip():
        return _empty(what, "method name")
    found = _callables(retriever, name)
    if not found:
        return ApiResult(
            *what, message=f"Could not find a function or method named '{name}'.{_suggest(retriever, name, FUNCTION)}"
        )
    return ApiResult(*what, _symbol_hits(retriever, found))


def search_method_in_class(retriever: Retriever, method: str, class_name: str) -> ApiResult:
    what = (("method", "methods"), f"named '{method}' in class '{class_name}'")
    if not method.strip() or not class_name.strip():
        return _empty(what, "method or class name")
    classes = [s for s in retriever.index.find(class_name.strip()) if s.kind == CLASS]
    if not classes:
        return ApiResult(
            *what, message=f"Could not find a class named '{class_name}'.{_suggest(retriever, class_name, CLASS)}"
        )
    owners = {(c.path, c.qualname) for c in classes}
    found = [s for s in _callables(retriever, method) if (s.path, s.parent) in owners]
    if not found:
        members = sorted(
            {s.name for c in classes for s in retriever.index.symbols_in(c.path) if s.parent == c.qualname}
        )
        hint = _suggest(retriever, method, METHOD, members)
        return ApiResult(*what, message=f"Class '{class_name}' has no method named '{method}'.{hint}")
    return ApiResult(*what, _symbol_hits(retriever, found))


def search_method_in_file(retriever: Retriever, method: str, path: str) -> ApiResult:
    def hint(rel: str) -> str:
        local = [n for s in retriever.index.symbols_in(rel) if s.kind != CLASS for n in (s.name, s.qualname)]
        return _suggest(retriever, method, FUNCTION, local)

    callables = _callables(retriever, method) if method.strip() else []
    return _search_in_file(retriever, ("function or method", "functions or methods"), "method name", method, path,
                           callables, hint)


def get_definition(retriever: Retriever, name: str) -> ApiResult:
    """Every class, function or method whose name or qualified name is `name`."""
    what = (("definition", "definitions"), f"of '{name}'")
    if not name.strip():
        return _empty(what, "name")
    found = retriever.index.find(name.strip())
    if not found:
        return ApiResult(*what, message=f"Could not find a definition of '{name}'.{_suggest(retriever, name, None)}")
    return ApiResult(*what, _symbol_hits(retriever, found))


# -- code


def _code_hits(retriever: Retriever, snippet: str, paths: list[str] | None) -> list[CodeHit]:
    hits = []
    for hit in find_code(retriever.index, snippet, retriever.text, paths=paths):
        lines = retriever.lines(hit.path)
        shown = lines[hit.start_line - 1 : hit.end_line]
        hits.append(CodeHit(hit.path, hit.symbol, hit.kind, hit.start_line, hit.end_line, _numbered(shown, hit.start_line)))
    return hits


def search_code(retriever: Retriever, snippet: str) -> ApiResult:
    what = (("place", "places"), f"with the code '{snippet}'")
    if not snippet.strip():
        return _empty(what, "code snippet")
    hits = _code_hits(retriever, snippet, None)
    if not hits:
        return ApiResult(*what, message=f"The code '{snippet}' does not occur in any indexed file.")
    return ApiResult(*what, hits)


def search_code_in_file(retriever: Retriever, snippet: str, path: str) -> ApiResult:
    what = (("place", "places"), f"with the code '{snippet}' in {path}")
    if not snippet.strip():
        return _empty(what, "code snippet")
    rel = _check_path(retriever, path)
    if rel is None:
        return _bad_path(retriever, path, what)
    hits = _code_hits(retriever, snippet, [rel])
    if not hits:
        return ApiResult(*what, message=f"The code '{snippet}' does not occur in {rel}.")
    return ApiResult(*what, hits)


def get_code_around_line(retriever: Retriever, path: str, line: int, window: int = 10) -> ApiResult:
    what = (("excerpt", "excerpts"), f"around {path}:{line}")
    rel = _check_path(retriever, path)
    if rel is None:
        return _bad_path(retriever, path, what)
    try:
        lines = retriever.lines(rel)
    except RetrievalError as error:
        return ApiResult(*what, message=str(error))
    if not isinstance(line, int) or not 1 <= line <= len(lines):
        return ApiResult(*what, message=f"Line {line} is outside {rel}, which has {_plural(len(lines), 'line', 'lines')}.")
    window = max(0, window)
    first, last = max(1, line - window), min(len(lines), line + window)
    enclosing = innermost_symbol(retriever.index.symbols_in(rel), line)
    code = _numbered(lines[first - 1 : last], first)
    return ApiResult(*what, [CodeHit(rel, enclosing.qualname if enclosing else "", "lines", first, last, code)])


def find_callers(retriever: Retriever, name: str) -> ApiResult:
    """Call sites of `name` (matched by the called name's last component, as the index
    records it: a call to any method of that name counts)."""
    what = (("call", "calls"), f"of '{name}'")
    if not name.strip():
        return _empty(what, "function name")
    called = name.strip().rsplit(".", 1)[-1]
    hits = []
    for ref in retriever.index.references_to(called):
        if ref.kind == CALL:
            try:
                code = _numbered([retriever.lines(ref.path)[ref.line - 1]], ref.line)
            except (RetrievalError, IndexError):
                code = ""
            hits.append(CodeHit(ref.path, ref.scope, CALL, ref.line, ref.line, code))
    if not hits:
        defined = bool(retriever.index.find(name.strip()))
        hint = "" if defined else _suggest(retriever, name, None)
        return ApiResult(*what, message=f"Found no calls of '{name}' in the indexed files.{hint}")
    hits.sort(key=lambda h: (h.path, h.start_line))
    return ApiResult(*what, hits)
