"""The text a template edits: one parsed file, spans, mutations and the small helpers every template uses."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from suture.retrieval.positions import LineTable

# Risk flags for the "plausible is not correct" report: a candidate that passes the
# tests by doing less than the code did is the classic overfitting repair.
DELETES_CODE = "deletes_code"
WEAKENS_CONDITION = "weakens_condition"
REMOVES_CHECK = "removes_check"


@dataclass(frozen=True)
class Span:
    """Replace text[start:end] (string offsets into the whole file) with `text`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mutation:
    template: str
    line: int  # 1-based line the edit is about (its score decides the order)
    description: str  # e.g. "`<` -> `<=` in line 12"
    spans: tuple[Span, ...]
    risks: tuple[str, ...] = ()
    weight: float = 1.0  # preference among one template's variants: the likeliest fix first

    @property
    def start(self) -> int:
        return min(s.start for s in self.spans)

    @property
    def end(self) -> int:
        return max(s.end for s in self.spans)


# ------------------------------------------------------------------ the file


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


class SourceFile:
    """One parsed Python file: its text, tree, and string offsets of `ast` positions.

    Raises SyntaxError (or ValueError for NUL bytes) when the text does not parse.
    """

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.tree = ast.parse(text, filename=path)
        self._table = LineTable(text)  # lines as `ast` counts them (retrieval/positions.py)
        self.lines = self._table.lines
        self.parent: dict[ast.AST, ast.AST] = {}
        self.qualnames: dict[str, ast.AST] = {}
        self._link(self.tree, [])
        self.module_names = _module_names(self.tree)
        self._functions: dict[ast.AST, _FunctionFacts] = {}
        self._function_lines: list[tuple[int, int, str]] | None = None
        self.donor_cache: list | None = None  # insert_statement's donors (statements.py), made on first use
        self.literal_pool: dict[type, list[tuple[int, str]]] | None = None
        self.fields: set[str] | None = None  # attribute names the file's classes define
        # Set by the caller: attribute names classes in neighbouring files define (computed on demand).
        self.outside_fields: Callable[[], set[str]] | None = None
        self._enclosing: dict[ast.AST, ast.AST | None] = {}
        self.close_names: dict[tuple[str, bool], list[str]] = {}  # similar_call's difflib results
        self.identifiers: set[str] | None = None  # every identifier of the file (analogy.py), made on first use
        self.tuple_sizes: dict[int, set] | None = None  # returned tuple sizes -> their functions (leftovers.py)

    def _link(self, node: ast.AST, prefix: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            self.parent[child] = node
            if isinstance(child, _SCOPES):
                name = [*prefix, child.name]
                self.qualnames.setdefault(".".join(name), child)
                self._link(child, name)
            else:
                self._link(child, prefix)

    # -- positions -------------------------------------------------------------
    def offset(self, lineno: int, col: int) -> int:
        """String offset of an `ast` (1-based line, UTF-8 byte column) position."""
        return self._table.offset(lineno, col)

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node: ast.AST) -> str:
        return self.text[self.start(node) : self.end(node)]

    def line_of(self, offset: int) -> int:
        """1-based line holding string offset `offset`."""
        return self._table.line_of(offset)

    def line_start(self, lineno: int) -> int:
        return self._table.line_start(lineno)

    def line_end(self, lineno: int) -> int:
        """Offset just after line `lineno`'s newline (or the end of the text)."""
        return self._table.line_end(lineno)

    def indent_of(self, lineno: int) -> str:
        line = self.lines[lineno - 1]
        return line[: len(line) - len(line.lstrip(" \t"))]

    def apply(self, spans: tuple[Span, ...] | list[Span]) -> str:
        """The text with `spans` (non-overlapping) replaced."""
        out, at = [], 0
        for span in sorted(spans, key=lambda s: (s.start, s.end)):
            out.append(self.text[at : span.start])
            out.append(span.text)
            at = span.end
        out.append(self.text[at:])
        return "".join(out)

    # -- structure -------------------------------------------------------------
    def function_lines(self) -> list[tuple[int, int, str]]:
        """(first line with decorators, last line, indent of the def) of every function."""
        if self._function_lines is None:
            self._function_lines = [
                (min([n.lineno] + [d.lineno for d in n.decorator_list]), n.end_lineno, self.indent_of(n.lineno))
                for n in ast.walk(self.tree) if isinstance(n, _FUNCTIONS)
            ]
        return self._function_lines

    def owns_lines(self, stmt: ast.stmt) -> bool:
        """True when the statement alone fills its lines (no `a; b`, nothing after it but a comment)."""
        before = self.text[self.line_start(stmt.lineno) : self.start(stmt)]
        after = self.text[self.end(stmt) : self.line_end(stmt.end_lineno)]
        if self.text.startswith("elif", self.start(stmt)):
            return False  # an `elif` is part of its `if`: nothing goes before it
        return not before.strip() and (not after.strip() or after.strip().startswith("#"))

    def enclosing_function(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The function whose body holds `node`; None at module level or in a class body."""
        if node in self._enclosing:
            return self._enclosing[node]
        parent = self.parent.get(node)
        if parent is None or isinstance(parent, ast.ClassDef):
            found = None
        elif isinstance(parent, _FUNCTIONS):
            found = parent
        else:
            found = self.enclosing_function(parent)
        self._enclosing[node] = found
        return found

    def facts(self, function: ast.AST) -> _FunctionFacts:
        found = self._functions.get(function)
        if found is None:
            found = self._functions[function] = _FunctionFacts.of(function)
        return found

    def body_indent_step(self, block_owner: ast.AST, body: list[ast.stmt]) -> str:
        """The extra indentation of `body` over its owner's line (used to indent inserted blocks)."""
        inner = self.indent_of(body[0].lineno)
        outer = self.indent_of(block_owner.lineno)
        step = inner[len(outer) :] if inner.startswith(outer) else ""
        return step or "    "


def _module_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
            names.add(stmt.name)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


@dataclass
class _FunctionFacts:
    """What a function binds and reads, by line: the pool of in-scope values."""

    params: list[str]
    stores: dict[str, list[int]]  # local name -> lines it is assigned on (params excluded)
    reads: dict[str, list[int]]  # name -> lines it is read on
    self_attrs: dict[str, list[int]] = field(default_factory=dict)  # attribute -> lines of `self.<attr>`
    returns_value: bool = False
    roles: dict[str, set[str]] = field(default_factory=dict)  # name -> how it is used ("seq", "num", "obj", "call")
    declares: bool = False  # has a global or nonlocal statement, here or in a nested function
    declared: set[str] = field(default_factory=set)  # names of its own global / nonlocal statements

    def compatible(self, a: str, b: str) -> bool:
        """Could `b` stand where `a` is read? Unknown use is compatible with anything; a sequence
        (subscripted, iterated, len()'d) is not swapped for a number (added, compared, an index)."""
        ra, rb = self.roles.get(a, set()), self.roles.get(b, set())
        return not ra or not rb or bool(ra & rb)

    @classmethod
    def of(cls, function: ast.FunctionDef | ast.AsyncFunctionDef) -> _FunctionFacts:
        a = function.args
        params = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
        params += [p.arg for p in (a.vararg, a.kwarg) if p is not None]
        stores: dict[str, list[int]] = {}
        reads: dict[str, list[int]] = {}
        attrs: dict[str, list[int]] = {}
        returns_value = False
        for node in _walk_own(function):
            if isinstance(node, ast.Name):
                table = reads if isinstance(node.ctx, ast.Load) else stores
                table.setdefault(node.id, []).append(node.lineno)
            elif isinstance(node, _SCOPES):  # a nested def or class binds its name here
                stores.setdefault(node.name, []).append(node.end_lineno)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
                attrs.setdefault(node.attr, []).append(node.lineno)
            elif isinstance(node, ast.Return) and node.value is not None:
                returns_value = returns_value or not _is_none(node.value)
        for name in params:
            stores.pop(name, None)
        # nested functions count: deleting `x = None` breaks an inner `nonlocal x`
        declares = any(isinstance(n, (ast.Global, ast.Nonlocal)) for n in ast.walk(function))
        declared = {name for n in _walk_own(function) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
        return cls(params, stores, reads, attrs, returns_value, _roles(function), declares, declared)

    def locals(self) -> list[str]:
        """Parameters and assigned names; global / nonlocal ones left out (a use of one before its
        declaration does not compile, and they are not the function's own)."""
        return [*self.params, *(n for n in self.stores if n not in self.params and n not in self.declared)]


def _roles(function: ast.AST) -> dict[str, set[str]]:
    roles: dict[str, set[str]] = {}

    def mark(node: ast.AST | None, role: str) -> None:
        if isinstance(node, ast.Name):
            roles.setdefault(node.id, set()).add(role)

    for node in ast.walk(function):
        if isinstance(node, ast.Subscript):
            mark(node.value, "seq")
            mark(node.slice, "num")
        elif isinstance(node, (ast.For, ast.comprehension)):
            mark(node.iter, "seq")
        elif isinstance(node, ast.Call):
            mark(node.func, "call")
            if isinstance(node.func, ast.Name) and node.func.id in ("len", "sorted", "reversed", "enumerate", "iter"):
                for arg in node.args:
                    mark(arg, "seq")
            if isinstance(node.func, ast.Name) and node.func.id == "range":
                for arg in node.args:
                    mark(arg, "num")
        elif isinstance(node, ast.Attribute):
            mark(node.value, "obj")
        elif isinstance(node, ast.BinOp) and not isinstance(node.op, (ast.Add, ast.Mod)):
            mark(node.left, "num")  # + and % also join strings and lists, format text
            mark(node.right, "num")
        elif isinstance(node, ast.AugAssign) and not isinstance(node.op, ast.Add):
            mark(node.target, "num")
        elif isinstance(node, ast.Compare) and any(isinstance(o, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for o in node.ops):
            for operand in (node.left, *node.comparators):
                mark(operand, "num")
    return roles


def _walk_own(function: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a function's body, not entering nested functions, classes, lambdas or comprehensions
    (their names are not the function's)."""
    stack = list(reversed(function.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (*_SCOPES, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def scope_nodes(src: SourceFile, scope: ast.AST) -> list[ast.AST]:
    """Every node inside `scope` where edits may go: a function's body (not its decorators,
    defaults or annotations), f-string internals left out (their positions are unreliable
    before Python 3.12)."""
    roots = scope.body if isinstance(scope, (*_SCOPES, ast.Module)) else [scope]
    out: list[ast.AST] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.JoinedStr):
            continue
        if isinstance(node, _FUNCTIONS):
            children = node.body  # a nested def's header runs in the outer scope; its body is its own code
        elif isinstance(node, ast.ClassDef):
            children = node.body
        else:
            children = list(ast.iter_child_nodes(node))
        stack.extend(reversed(children))
    return out


# ------------------------------------------------------------------ helpers

_OP_TOKEN = re.compile(
    r"\*\*=?|//=?|<<=?|>>=?|<=|>=|==|!=|->|:=|[-+*/%@&|^<>]=?|~"
    r"|\bnot\s+in\b|\bis\s+not\b|\bin\b|\bis\b|\band\b|\bor\b|\bnot\b"
)
_COMMENT = re.compile(r"#[^\n]*")


def _op_between(src: SourceFile, start: int, end: int, wanted: str) -> tuple[int, int] | None:
    """String span of the operator `wanted` in text[start:end] (the gap between two operands)."""
    gap = _COMMENT.sub(lambda m: " " * len(m.group()), src.text[start:end])
    for m in _OP_TOKEN.finditer(gap):
        if " ".join(m.group().split()) == wanted:
            return start + m.start(), start + m.end()
    return None


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_none(node: ast.AST | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def _plus_minus_one(node: ast.AST | None) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and _is_int(node.right) \
        and node.right.value == 1


def _is_len(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _is_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


# Nodes that bind tighter than any binary operator: wrapping them needs no brackets.
# (A tuple is not one: without brackets its text is a bare `a, b`.)
_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant, ast.List, ast.Dict, ast.Set)


def _is_atom(node: ast.AST) -> bool:
    return isinstance(node, _ATOMS)


def _additive_ok(node: ast.AST) -> bool:
    """`<node> + 1` keeps `node` whole without brackets."""
    if _is_atom(node):
        return True
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult))
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert))


def _plus(src: SourceFile, node: ast.AST, delta: int) -> str:
    text = src.segment(node)
    if not _additive_ok(node):
        text = f"({text})"
    text = f"{text} + 1" if delta > 0 else f"{text} - 1"
    parent = src.parent.get(node)
    # Inside an operator the sum needs brackets, except as the left operand of + or -: `(a + 1) * b`, `a - 1 + b`.
    if isinstance(parent, (ast.BinOp, ast.UnaryOp)) and not (
            isinstance(parent, ast.BinOp) and parent.left is node and isinstance(parent.op, (ast.Add, ast.Sub))):
        text = f"({text})"
    return text


def _replace(src: SourceFile, node: ast.AST, text: str) -> tuple[Span, ...]:
    return (Span(src.start(node), src.end(node), text),)


def _parent_stmt(src: SourceFile, node: ast.AST) -> ast.stmt | None:
    while node is not None and not isinstance(node, ast.stmt):
        node = src.parent.get(node)
    return node


def _in_assert(src: SourceFile, node: ast.AST) -> bool:
    return isinstance(_parent_stmt(src, node), ast.Assert)


