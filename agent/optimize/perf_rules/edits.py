"""Where a rewrite goes: exact source segments located with `ast`, and the parsed module they edit."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from suture.retrieval.positions import LineTable


@dataclass(frozen=True)
class _Edit:
    start: int  # character offsets into the source, end exclusive
    end: int
    text: str


@dataclass
class _Site:
    rule: str
    line: int
    description: str
    edits: list[_Edit]
    weight: int = 0  # within a rule, heavier sites first (a hoisted sort before a hoisted len)
    evidence_names: set[str] | None = None  # the run-time facts it rests on, when its finder tracked them itself


def _apply(source: str, edits: list[_Edit]) -> str:
    out = source
    last = None
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        if last is not None and edit.end > last:  # overlapping edits: refuse the site
            return source
        out = out[:edit.start] + edit.text + out[edit.end:]
        last = edit.start
    return out


class _Module:
    def __init__(self, source: str, tree: ast.Module):
        self.source = source
        self.tree = tree
        # Lines as `ast` counts them (retrieval/positions.py): str.splitlines also split at form
        # feeds, which shifted every span after one and dropped the file's rewrites.
        self._table = LineTable(source)
        self.lines = self._table.lines
        self.line_starts = self._table.starts
        # Module-wide facts, gathered in one walk (every function's analysis consults them).
        self.parents: dict[ast.AST, ast.AST] = {}
        nodes = list(ast.walk(tree))
        for node in nodes:
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.imports = [n for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))]
        self.stored_names = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        self.arg_names = {a.arg for a in nodes if isinstance(a, ast.arg)}
        defined = {n.name for n in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        imported = {(a.asname or a.name).split(".")[0] for n in self.imports for a in n.names}
        self.all_names = {n.id for n in nodes if isinstance(n, ast.Name)} | self.arg_names | defined | imported
        # names that may shadow a builtin for a function's code
        self.module_bound = self.stored_names | imported | {
            s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}
        self.functions = list(_functions(tree))
        self._taken: set[str] = set()
        self.pure_functions: set[str] = set()  # functions whose calls change nothing (perf_rules/calls.py)
        self._imported: dict[str, bool] = {}

    def offset(self, lineno: int, col: int) -> int:
        return self._table.offset(lineno, col)

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end]

    def atom(self, node: ast.AST) -> str:
        """Source text safe as an operand of a binary operator or call argument."""
        text = self.text(node)
        if isinstance(node, (ast.Name, ast.Constant, ast.Call, ast.Attribute, ast.Subscript, ast.JoinedStr,
                             ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp)):
            return text
        return f"({text})"

    def replace(self, node: ast.AST, text: str) -> _Edit:
        start, end = self.span(node)
        return _Edit(start, end, text)

    def replace_span(self, start: int, end: int, text: str) -> _Edit:
        return _Edit(start, end, text)

    def starts_line(self, stmt: ast.stmt) -> bool:
        line = self.lines[stmt.lineno - 1].encode("utf-8")
        if isinstance(stmt, ast.If) and line[stmt.col_offset:].startswith(b"elif"):
            return False  # nothing can go between an if-body and its elif
        return line[:stmt.col_offset].strip() == b""

    def indent(self, stmt: ast.stmt) -> str:
        line = self.lines[stmt.lineno - 1]
        return line[:len(line) - len(line.lstrip())]

    def insert_before(self, stmt: ast.stmt, code: str) -> _Edit | None:
        if not self.starts_line(stmt):
            return None
        at = self.line_starts[stmt.lineno - 1]
        return _Edit(at, at, f"{self.indent(stmt)}{code}\n")

    def insert_after(self, stmt: ast.stmt, code: str) -> _Edit | None:
        if not self.starts_line(stmt):
            return None
        end_line = stmt.end_lineno
        rest = self.lines[end_line - 1].encode("utf-8")[stmt.end_col_offset:].decode("utf-8", "replace")
        if rest.strip() and not rest.strip().startswith("#"):
            return None  # `a; b` on one line: leave it alone
        at = self.line_starts[end_line]
        prefix = "" if self.source[:at].endswith("\n") else "\n"
        return _Edit(at, at, f"{prefix}{self.indent(stmt)}{code}\n")

    def fresh(self, base: str) -> str:
        base = re.sub(r"\W", "_", base)
        name, n = base, 2
        while name in self.all_names or name in self._taken:
            name, n = f"{base}_{n}", n + 1
        self._taken.add(name)
        return name

    def module_insert_point(self) -> int | None:
        """Offset after the leading docstring and imports (where module constants go)."""
        body = self.tree.body
        last = None
        for i, stmt in enumerate(body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) or (
                    i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)):
                last = stmt
            else:
                break
        if last is None:
            return None
        at = self.line_starts[last.end_lineno] if last.end_lineno < len(self.line_starts) else len(self.source)
        return at

    def imported_module(self, name: str) -> bool:
        """`name` is bound only by a top-level `import name` among the leading imports and never rebound."""
        if name not in self._imported:
            self._imported[name] = self._is_imported_module(name)
        return self._imported[name]

    def _is_imported_module(self, name: str) -> bool:
        point = self.module_insert_point()
        if point is None or name in self.stored_names or name in self.arg_names:
            return False
        imports = [s for s in self.imports if any((a.asname or a.name).split(".")[0] == name for a in s.names)]
        return bool(imports) and all(
            isinstance(s, ast.Import) and s in self.tree.body and self.offset(s.end_lineno, 0) < point
            and all(a.name == name and a.asname is None for a in s.names if (a.asname or a.name) == name)
            for s in imports)

    def need_import(self, module: str, name: str) -> tuple[str, list[_Edit]] | None:
        """How to refer to `module.name` (e.g. collections.deque): an existing binding or one added import."""
        for stmt in self.tree.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module == module and stmt.level == 0:
                for alias in stmt.names:
                    if alias.name == name:
                        bound = alias.asname or name
                        if self._rebound(bound, stmt):
                            return None
                        return bound, []
        if name in self.all_names:
            return None
        at = self.module_insert_point()
        text = f"from {module} import {name}\n"
        if at is None:
            at = self._after_header()
        return name, [_Edit(at, at, text)]

    def _rebound(self, name: str, importer: ast.stmt) -> bool:
        if name in self.stored_names or name in self.arg_names:
            return True
        return any(node is not importer and any((a.asname or a.name.split(".")[0]) == name for a in node.names)
                   for node in self.imports)

    def _after_header(self) -> int:
        at = 0
        for i, line in enumerate(self.lines):
            if line.startswith("#") or not line.strip():
                at = self.line_starts[i + 1]
            else:
                break
        return at


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    def visit(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qual = f"{prefix}{child.name}"
                yield qual, child
                yield from visit(child, qual + ".")
            elif isinstance(child, ast.ClassDef):
                yield from visit(child, f"{prefix}{child.name}.")
            else:
                yield from visit(child, prefix)
    yield from visit(tree, "")


# -- a small type inference -------------------------------------------------------------------

