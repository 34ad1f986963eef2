"""Repair templates for Python: small, plausible edits to suspicious code.

The templates come from the program-repair literature: the operator mutations of
PraPR and GenProg (relational, logical and arithmetic operators, constants), TBar's
fix patterns (off-by-one, mutated condition, wrong variable, wrong method call,
missing null check, missing return, statement order), and GenProg's statement
delete / insert-from-elsewhere. Each template looks at the `ast` of one scope (a
function, a class, or the module) and yields `Mutation`s: replacements of exact
character spans of the original text, so formatting and comments elsewhere stay
byte-for-byte as they were. No file is ever re-printed from its tree.

`ast` columns are UTF-8 byte offsets; `SourceFile.offset` turns them into string
offsets, so a multi-byte character earlier on a line does not shift an edit.
Operators have no position in `ast`: they are found by scanning the text between
the two operands, which holds only the operator, brackets, spaces and comments.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from suture.retrieval.positions import LineTable

# Risk flags for the "plausible is not correct" report: a candidate that passes the
# tests by doing less than the code did is the classic overfitting repair.
DELETES_CODE = "deletes_code"
WEAKENS_CONDITION = "weakens_condition"
REMOVES_CHECK = "removes_check"
# A returned comparison swapped for its exact negation (`return a == b` -> `return a != b`)
# makes the function answer the opposite on every input: it passes tests that only probe the
# failing cases, and it is rarely the real fix when a narrower edit passes too.
INVERTS_RESULT = "inverts_result"


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
        self._donors: list[_Donor] | None = None
        self.literal_pool: dict[type, list[tuple[int, str]]] | None = None
        self.fields: set[str] | None = None  # attribute names the file's classes define
        # Set by the caller: attribute names classes in neighbouring files define (computed on demand).
        self.outside_fields: Callable[[], set[str]] | None = None
        self._enclosing: dict[ast.AST, ast.AST | None] = {}
        self.close_names: dict[tuple[str, bool], list[str]] = {}  # similar_call's difflib results

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

    def donors(self) -> list[_Donor]:
        if self._donors is None:
            self._donors = _donors(self)
        return self._donors

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


# ------------------------------------------------------------------ operator templates

_CMP = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}
# The boundary twin first (< vs <=), the mirrored operator next, equality last: the usual
# single-token slips in that order of frequency.
_CMP_SWAPS = {
    "<": [("<=", 1.0), (">", 0.5), (">=", 0.4), ("!=", 0.3), ("==", 0.2)],
    "<=": [("<", 1.0), (">=", 0.5), (">", 0.4), ("==", 0.3), ("!=", 0.2)],
    ">": [(">=", 1.0), ("<", 0.5), ("<=", 0.4), ("!=", 0.3), ("==", 0.2)],
    ">=": [(">", 1.0), ("<=", 0.5), ("<", 0.4), ("==", 0.3), ("!=", 0.2)],
    "==": [("!=", 1.0), ("<=", 0.3), (">=", 0.3), ("<", 0.2), (">", 0.2)],
    "!=": [("==", 1.0), ("<", 0.3), (">", 0.3), ("<=", 0.2), (">=", 0.2)],
    "is": [("is not", 1.0), ("==", 0.3)],
    "is not": [("is", 1.0), ("!=", 0.3)],
    "in": [("not in", 1.0)],
    "not in": [("in", 1.0)],
}


_NEGATION = {("==", "!="), ("!=", "=="), ("<", ">="), (">=", "<"), (">", "<="), ("<=", ">"),
             ("in", "not in"), ("not in", "in"), ("is", "is not"), ("is not", "is")}


def comparison(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Relational operator replacement (PraPR's ROR): `<` -> `<=`, `==` -> `!=`, `in` -> `not in`, ..."""
    returned = {id(n.value) for n in nodes if isinstance(n, ast.Return) and n.value is not None}
    for node in nodes:
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            old = _CMP[type(op)]
            where = _op_between(src, src.end(operands[i]), src.start(operands[i + 1]), old)
            if where is None:
                continue
            for new, weight in _CMP_SWAPS[old]:
                line = src.line_of(where[0])
                inverts = id(node) in returned and len(node.ops) == 1 and (old, new) in _NEGATION
                yield Mutation("comparison", line, f"`{old}` -> `{new}` in line {line}", (Span(*where, new),),
                               risks=(INVERTS_RESULT,) if inverts else (), weight=weight)


_ARITH = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
    ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.MatMult: "@",
}
_ARITH_SWAPS = {
    "+": [("-", 1.0), ("*", 0.3)],
    "-": [("+", 1.0), ("*", 0.2)],
    "*": [("//", 0.6), ("/", 0.6), ("+", 0.5), ("**", 0.3), ("-", 0.2)],
    "/": [("//", 1.0), ("*", 0.6)],
    "//": [("/", 1.0), ("*", 0.6), ("%", 0.5)],
    "%": [("//", 0.8), ("/", 0.4)],
    "**": [("*", 0.8)],
    "<<": [(">>", 1.0)],
    ">>": [("<<", 1.0)],
    "&": [("|", 1.0), ("^", 0.3)],
    "|": [("&", 1.0), ("^", 0.3)],
    "^": [("|", 0.5), ("&", 0.5)],
    "@": [],
}


def arithmetic(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Arithmetic operator replacement (PraPR's AOR), augmented assignments included, and a dropped unary minus."""
    for node in nodes:
        if isinstance(node, ast.BinOp):
            old = _ARITH[type(node.op)]
            if old == "%" and isinstance(node.left, (ast.Constant, ast.JoinedStr)) and isinstance(
                getattr(node.left, "value", None), (str, bytes)
            ):
                continue  # "%s" % x is string formatting, not arithmetic
            where = _op_between(src, src.end(node.left), src.start(node.right), old)
        elif isinstance(node, ast.AugAssign):
            old = _ARITH[type(node.op)]
            where = _op_between(src, src.end(node.target), src.start(node.value), old + "=")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not isinstance(node.operand, ast.Constant):
            line = node.lineno
            yield Mutation("arithmetic", line, f"`-{_short(src.segment(node.operand))}` -> "
                           f"`{_short(src.segment(node.operand))}` in line {line}",
                           _replace(src, node, src.segment(node.operand)), weight=0.5)
            continue
        else:
            continue
        if where is None:
            continue
        suffix = "=" if isinstance(node, ast.AugAssign) else ""
        line = src.line_of(where[0])
        for new, weight in _ARITH_SWAPS[old]:
            yield Mutation("arithmetic", line, f"`{old}{suffix}` -> `{new}{suffix}` in line {line}",
                           (Span(*where, new + suffix),), weight=weight)


def _condition_tests(src: SourceFile, nodes: list[ast.AST]) -> Iterator[ast.expr]:
    """The tests of if / elif / while / conditional expressions / comprehension filters (never asserts)."""
    for node in nodes:
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            yield node.test
        elif isinstance(node, ast.comprehension):
            yield from node.ifs


def boolean(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Logical operator replacement: `and` <-> `or`; a `not` dropped outside conditions."""
    tests = set(_condition_tests(src, nodes))
    for node in nodes:
        if isinstance(node, ast.BoolOp):
            old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
            spans = []
            for left, right in zip(node.values, node.values[1:]):
                where = _op_between(src, src.end(left), src.start(right), old)
                if where is None:
                    break
                spans.append(Span(*where, new))
            else:
                line = src.line_of(spans[0].start)
                risks = (WEAKENS_CONDITION,) if old == "and" else ()
                yield Mutation("boolean", line, f"`{old}` -> `{new}` in line {line}", tuple(spans), risks)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and node not in tests:
            if _in_assert(src, node):
                continue
            line = node.lineno
            yield Mutation("boolean", line, f"`not` dropped in line {line}",
                           _replace(src, node, _without_not(src, node)), weight=0.7)


def _without_not(src: SourceFile, node: ast.UnaryOp) -> str:
    """`not (a and\n b)` -> `(a and\n b)`: the text after the keyword, brackets kept (the operand's own
    position leaves them out, and a multi-line operand needs them)."""
    return src.text[src.start(node) + len("not") : src.end(node)].strip()


def _negated(src: SourceFile, test: ast.expr) -> str:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _without_not(src, test)
    text = src.segment(test)
    return f"not {text}" if _is_atom(test) else f"not ({text})"


def negate_condition(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Negate an if / elif / while / ternary / comprehension test, or one operand of an and/or in it."""
    for test in _condition_tests(src, nodes):
        line = test.lineno
        yield Mutation("negate_condition", line, f"condition `{_short(src.segment(test))}` negated in line {line}",
                       _replace(src, test, _negated(src, test)))
        if isinstance(test, ast.BoolOp):
            for value in test.values:
                yield Mutation("negate_condition", value.lineno,
                               f"`{_short(src.segment(value))}` negated in line {value.lineno}",
                               _replace(src, value, _negated(src, value)), weight=0.5)


def drop_condition(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Drop one operand of an and/or test, or an `if` without else around its body (GenProg-style deletion)."""
    for test in _condition_tests(src, nodes):
        if not isinstance(test, ast.BoolOp):
            continue
        weakens = isinstance(test.op, ast.And)
        for i, value in enumerate(test.values):
            rest = [v for j, v in enumerate(test.values) if j != i]
            op = " and " if weakens else " or "
            # Brackets unless the operand is an atom or stands alone on one line (a multi-line one needs them).
            text = op.join(src.segment(v) if _is_atom(v) or (len(rest) == 1 and "\n" not in src.segment(v))
                           else f"({src.segment(v)})" for v in rest)
            risks = (WEAKENS_CONDITION,) if weakens else (REMOVES_CHECK,)
            yield Mutation("drop_condition", value.lineno,
                           f"`{_short(src.segment(value))}` dropped from the condition in line {value.lineno}",
                           _replace(src, test, text), risks)
    for node in nodes:
        if isinstance(node, ast.If) and not node.orelse and src.owns_lines(node) and _header_alone(src, node):
            # Unwrap: the body, dedented to the if's column, replaces the whole statement.
            body_text = src.text[src.line_start(node.body[0].lineno) : src.line_end(node.end_lineno)]
            step = src.body_indent_step(node, node.body)
            lines = [ln[len(step):] if ln.startswith(step) else ln for ln in body_text.splitlines(keepends=True)]
            yield Mutation("drop_condition", node.lineno, f"`if {_short(src.segment(node.test))}:` removed, its body "
                           f"always runs (line {node.lineno})",
                           (Span(src.line_start(node.lineno), src.line_end(node.end_lineno), "".join(lines)),),
                           (REMOVES_CHECK,), weight=0.5)


def _header_alone(src: SourceFile, node: ast.If) -> bool:
    """The body starts on its own line after the header (`if x: y` on one line is left alone)."""
    return node.body[0].lineno > node.test.end_lineno and src.owns_lines(node.body[0])


_BASES = (2, 8, 10, 16)


def constant(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """`True` <-> `False`; a number or string literal replaced by another literal of its type used in the
    same function (then the file), nearest first (TBar's literal mutation); `int(s, 8)` -> other bases."""
    literals = _literals(src)
    for node in nodes:
        if not isinstance(node, ast.Constant) or _in_assert(src, node) or isinstance(src.parent.get(node), ast.Expr):
            continue
        if isinstance(node.value, bool):
            new = str(not node.value)
            yield Mutation("constant", node.lineno, f"`{node.value}` -> `{new}` in line {node.lineno}",
                           _replace(src, node, new))
            continue
        if type(node.value) not in (int, float, str) or len(str(node.value)) > 40:
            continue
        old = src.segment(node)
        parent = src.parent.get(node)
        choices: list[str] = []
        if type(node.value) is int and isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) \
                and parent.func.id == "int" and node in parent.args[1:]:
            choices = [str(b) for b in _BASES if b != node.value]
        pool = sorted(literals.get(type(node.value), []), key=lambda item: abs(item[0] - node.lineno))
        for _, text in pool:
            if text != old and text not in choices and len(choices) < 4:
                choices.append(text)
        for rank, new in enumerate(choices):
            yield Mutation("constant", node.lineno, f"`{_short(old, 20)}` -> `{_short(new, 20)}` in line {node.lineno}",
                           _replace(src, node, new), weight=0.6 / (1 + 0.3 * rank))


def _literals(src: SourceFile) -> dict[type, list[tuple[int, str]]]:
    """Number and short string literals of the file's functions, by type, with their lines (docstrings left out)."""
    if src.literal_pool is None:
        pool: dict[type, dict[str, int]] = {}
        inside_fstrings: set[int] = set()  # positions in f-strings are unreliable before Python 3.12
        for node in ast.walk(src.tree):
            if isinstance(node, ast.JoinedStr):
                inside_fstrings.update(id(n) for n in ast.walk(node))
            elif isinstance(node, ast.Constant) and type(node.value) in (int, float, str) \
                    and id(node) not in inside_fstrings and not isinstance(src.parent.get(node), ast.Expr) \
                    and len(str(node.value)) <= 40 and "\n" not in src.segment(node):
                pool.setdefault(type(node.value), {}).setdefault(src.segment(node), node.lineno)
        src.literal_pool = {t: [(line, text) for text, line in d.items()] for t, d in pool.items()}
    return src.literal_pool


# ------------------------------------------------------------------ off by one


def off_by_one(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Integer constants +-1; slice bounds, indices and range() arguments +-1; `e + 1` / `e - 1` back to `e`;
    `len(x)` -> `len(x) - 1`."""
    seen: set[tuple[int, int]] = set()

    def shift(node: ast.AST, where: str, weight: float) -> Iterator[Mutation]:
        key = (src.start(node), src.end(node))
        if key in seen or isinstance(node, ast.Starred):
            return
        seen.add(key)
        old = src.segment(node)
        if _is_int(node):
            # A literal: its neighbours, written as literals.
            for value, w in ((node.value + 1, 1.0), (node.value - 1, 1.0)):
                if value < 0 and isinstance(src.parent.get(node), ast.BinOp):
                    continue  # `n - -1` reads as nonsense; the +-1 of the operator template covers it
                new = str(value)
                yield Mutation("off_by_one", node.lineno, f"`{_short(old)}` -> `{new}` {where}in line {node.lineno}",
                               _replace(src, node, new), weight=weight * w)
            return
        if _plus_minus_one(node):
            new = src.segment(node.left)
            yield Mutation("off_by_one", node.lineno, f"`{_short(old)}` -> `{_short(new)}` {where}in line {node.lineno}",
                           _replace(src, node, new), weight=weight)
            return
        for delta in (1, -1):
            new = _plus(src, node, delta)
            yield Mutation("off_by_one", node.lineno, f"`{_short(old)}` -> `{_short(new)}` {where}in line {node.lineno}",
                           _replace(src, node, new), weight=weight * 0.8)

    for node in nodes:
        if isinstance(node, ast.Slice):
            for bound in (node.lower, node.upper):
                if bound is not None:
                    yield from shift(bound, "(slice bound) ", 1.0)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
            for arg in node.args[:2]:
                yield from shift(arg, "(range argument) ", 1.0)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
            for arg in node.args:
                if not isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
                    yield from shift(arg, f"({node.func.id} argument) ", 0.7)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and not _plus_minus_one(node.value) and (
                isinstance(node.value, (ast.BinOp, ast.Name, ast.Attribute)) or _is_len(node.value)):
            yield from shift(node.value, "(assigned value) ", 0.5)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)):
            for operand in (node.left, node.right):
                if isinstance(operand, (ast.Name, ast.Attribute)):
                    yield from shift(operand, "(operand) ", 0.4)
        elif isinstance(node, ast.Subscript) and not isinstance(node.slice, (ast.Slice, ast.Tuple)) \
                and isinstance(node.ctx, ast.Load) and not isinstance(node.slice, ast.Constant):
            yield from shift(node.slice, "(index) ", 0.6)
        elif _plus_minus_one(node):
            yield from shift(node, "", 0.8)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
            parent = src.parent.get(node)
            if not (isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Add, ast.Sub))):
                key = (src.start(node), src.end(node))
                if key not in seen:
                    seen.add(key)
                    new = f"{src.segment(node)} - 1"
                    yield Mutation("off_by_one", node.lineno, f"`{_short(src.segment(node))}` -> `{_short(new)}` "
                                   f"in line {node.lineno}", _replace(src, node, new), weight=0.4)
    for node in nodes:
        if _is_int(node) and not _in_assert(src, node):
            parent = src.parent.get(node)
            if isinstance(parent, ast.BinOp) and node is parent.right and node.value == 1 \
                    and isinstance(parent.op, (ast.Add, ast.Sub)):
                continue  # `e - 1`: dropping the 1 (above) says it better than `e - 0`
            if isinstance(parent, ast.UnaryOp):
                continue
            yield from shift(node, "", 0.9)


# ------------------------------------------------------------------ calls and values


def swap_args(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Swap two neighbouring positional arguments of a call, or the operands of a non-commutative operator."""
    for node in nodes:
        if isinstance(node, ast.Call) and len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args):
            for a, b in zip(node.args, node.args[1:]):
                ta, tb = src.segment(a), src.segment(b)
                if ta == tb:
                    continue
                yield Mutation("swap_args", a.lineno, f"arguments `{_short(ta, 20)}` and `{_short(tb, 20)}` swapped "
                               f"in line {a.lineno}", (Span(src.start(a), src.end(a), tb), Span(src.start(b), src.end(b), ta)))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)) \
                and _is_atom(node.left) and _is_atom(node.right):
            ta, tb = src.segment(node.left), src.segment(node.right)
            if isinstance(node.left, ast.Constant) and isinstance(node.left.value, (str, bytes)):
                continue
            yield Mutation("swap_args", node.lineno, f"operands `{_short(ta, 20)}` and `{_short(tb, 20)}` swapped in "
                           f"line {node.lineno}", (Span(src.start(node.left), src.end(node.left), tb),
                                                   Span(src.start(node.right), src.end(node.right), ta)), weight=0.6)


def _nearby(candidates: dict[str, list[int]], line: int, exclude: str, limit: int) -> list[str]:
    """Names used close to `line`, the similarly spelled first among equally close ones (`dr` for `dc`):
    the variables a slip most likely meant."""
    def key(name: str) -> tuple:
        distance = min(abs(x - line) for x in candidates[name])
        return distance // 4, -difflib.SequenceMatcher(None, name, exclude).ratio(), distance, name

    return sorted((n for n in candidates if n != exclude), key=key)[:limit]


def replace_variable(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """A local read replaced by another local of the same function used nearby; `self.a` by another `self.b`."""
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            function = src.enclosing_function(node)
            if function is None:
                continue
            facts = src.facts(function)
            if node.id not in facts.locals():
                continue  # a global, builtin or import: the similar-call template's business
            parent = src.parent.get(node)
            if isinstance(parent, ast.Call) and parent.func is node:
                continue
            pool = {name: [*facts.stores.get(name, []), *facts.reads.get(name, [])] or [function.lineno]
                    for name in facts.locals() if name != "self" and facts.compatible(node.id, name)}
            for rank, other in enumerate(_nearby(pool, node.lineno, node.id, 8)):
                yield Mutation("replace_variable", node.lineno, f"`{node.id}` -> `{other}` in line {node.lineno}",
                               _replace(src, node, other), weight=1.0 / (1 + 0.3 * rank))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and isinstance(node.ctx, ast.Load):
            # `obj.a` -> `obj.b`: b another attribute used on the same name here, or a field a class of the file defines.
            function = src.enclosing_function(node)
            parent = src.parent.get(node)
            if function is None or (isinstance(parent, ast.Call) and parent.func is node):
                continue
            base = node.value.id
            used = {n.attr: [n.lineno] for n in _walk_own(function) if isinstance(n, ast.Attribute)
                    and isinstance(n.value, ast.Name) and n.value.id == base}
            if base in src.module_names and base not in src.facts(function).locals():
                continue  # a module's attribute: similar_call's and the imports' business
            fields = {f: [node.lineno + 10] for f in _all_fields(src) if f not in used}
            choices = _nearby(used, node.lineno, node.attr, 3)
            choices += difflib.get_close_matches(node.attr, [f for f in fields if f != node.attr], n=3, cutoff=0.5)
            for rank, other in enumerate(choices[:5]):
                end = src.end(node)
                yield Mutation("replace_variable", node.lineno, f"`{base}.{node.attr}` -> `{base}.{other}` in line "
                               f"{node.lineno}", (Span(end - len(node.attr), end, other),), weight=0.8 / (1 + 0.3 * rank))


def _all_fields(src: SourceFile) -> set[str]:
    fields = class_fields(src)
    if src.outside_fields is not None:
        fields = fields | src.outside_fields()
        src.fields, src.outside_fields = fields, None
    return fields


def class_fields(src: SourceFile) -> set[str]:
    """Attributes the file's classes define: annotated or assigned names in class bodies, `self.x = ...`."""
    if src.fields is None:
        fields: set[str] = set()
        for node in ast.walk(src.tree):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                        fields.add(stmt.target.id)
                    elif isinstance(stmt, ast.Assign):
                        fields.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and \
                    isinstance(node.value, ast.Name) and node.value.id == "self":
                fields.add(node.attr)
        src.fields = fields
    return src.fields


def _values_in_scope(src: SourceFile, function: ast.AST, line: int, limit: int) -> list[str]:
    """In-scope values a function might return at `line`: locals assigned before it (latest first),
    parameters, `self` and the `self.<attr>`s it uses."""
    facts = src.facts(function)
    assigned = sorted(((max(l for l in lines if l <= line), name) for name, lines in facts.stores.items()
                       if any(l <= line for l in lines) and name not in facts.declared), reverse=True)
    values = [name for _, name in assigned]
    values += [p for p in facts.params if p not in ("self", "cls")]
    if "self" in facts.params:
        values.append("self")
        values += [f"self.{a}" for a in _nearby(facts.self_attrs, line, "", 4)]
        # A property or getter often returns the attribute it is named after: `threshold` -> `self._threshold`.
        fields = [f for f in class_fields(src) if f not in facts.self_attrs]
        values += [f"self.{a}" for a in difflib.get_close_matches(function.name, fields, n=2, cutoff=0.6)]
    seen: list[str] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen[:limit]


def return_value(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """The returned expression replaced by another in-scope value (or another return's expression)."""
    for node in nodes:
        if not isinstance(node, ast.Return):
            continue
        function = src.enclosing_function(node)
        if function is None:
            continue
        current = src.segment(node.value) if node.value is not None else ""
        others = [src.segment(r.value) for r in _walk_own(function)
                  if isinstance(r, ast.Return) and r.value is not None and r is not node and not _is_none(r.value)]
        pool = _values_in_scope(src, function, node.lineno, 8) + [o for o in others if "\n" not in o]
        weight = 1.0 if _is_none(node.value) else 0.5  # `return None` / bare return in a value function: likely wrong
        seen = {current}
        for rank, value in enumerate(pool):
            if value in seen:
                continue
            seen.add(value)
            if node.value is None:
                span = Span(src.start(node), src.end(node), f"return {value}")
            else:
                span = Span(src.start(node.value), src.end(node.value), value)
            yield Mutation("return_value", node.lineno, f"return `{_short(value)}` instead of "
                           f"`{_short(current) or 'None'}` in line {node.lineno}", (span,),
                           weight=weight / (1 + 0.2 * rank))


def _blocks(function: ast.AST) -> Iterator[list[ast.stmt]]:
    """Statement lists of a function (its body and the bodies of its compound statements, not nested defs)."""
    stack = [function.body]
    while stack:
        body = stack.pop()
        yield body
        for stmt in body:
            if isinstance(stmt, (*_SCOPES,)):
                continue
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, name, None)
                if inner and isinstance(inner[0], ast.stmt):
                    stack.append(inner)
            for handler in getattr(stmt, "handlers", []):
                stack.append(handler.body)
            for case in getattr(stmt, "cases", []):
                stack.append(case.body)


def _ends_flow(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break))


def _tail_blocks(function: ast.AST) -> Iterator[list[ast.stmt]]:
    """Blocks whose end is an end of the function: its body, and the branches of a final if / try."""
    stack = [function.body]
    while stack:
        body = stack.pop()
        yield body
        last = body[-1]
        if isinstance(last, ast.If):
            stack.append(last.body)
            if last.orelse:
                stack.append(last.orelse)
        elif isinstance(last, ast.Try):
            stack.append(last.orelse or last.body)
            stack.extend(h.body for h in last.handlers)
        elif isinstance(last, (ast.With, ast.AsyncWith)):
            stack.append(last.body)


def missing_return(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Add the `return` a function forgot: a computed value thrown away (`x in y` as a statement) ->
    `return x in y` anywhere; a call or an assignment ending the function -> returned; and
    `return <local>` where the function falls off its end."""
    owners: dict[ast.AST, None] = {}  # ordered set: the functions the scope's statements belong to
    for node in nodes:
        if isinstance(node, _FUNCTIONS):
            owners[node] = None
        elif isinstance(node, ast.stmt):
            function = src.enclosing_function(node)
            if function is not None:
                owners[function] = None
            if isinstance(node, ast.Expr) and function is not None and not isinstance(
                    node.value, (ast.Call, ast.Constant, ast.Yield, ast.YieldFrom, ast.Await, ast.Attribute)):
                # An expression statement that is not a call: its value is computed and dropped.
                yield Mutation("missing_return", node.lineno, f"`return` added before `{_short(src.segment(node))}` "
                               f"in line {node.lineno}", (Span(src.start(node), src.start(node), "return "),))
    for function in owners:
        facts = src.facts(function)
        for body in _tail_blocks(function):
            last = body[-1]
            if _ends_flow(last) or not src.owns_lines(last):
                continue
            indent = src.indent_of(last.lineno)
            after = src.line_end(last.end_lineno)
            newline = "" if src.text[after - 1 : after] == "\n" else "\n"
            if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
                yield Mutation("missing_return", last.lineno, f"`return` added before `{_short(src.segment(last))}` in "
                               f"line {last.lineno}", (Span(src.start(last), src.start(last), "return "),),
                               weight=1.0 if facts.returns_value else 0.5)
            elif isinstance(last, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = last.targets if isinstance(last, ast.Assign) else [last.target]
                names = [src.segment(t) for t in targets if isinstance(t, (ast.Name, ast.Attribute))]
                for name in names[:2]:
                    yield Mutation("missing_return", last.lineno, f"`return {name}` added after line {last.end_lineno}",
                                   (Span(after, after, f"{newline}{indent}return {name}\n"),))
            if body is function.body and function.name != "__init__":
                weight = 0.7 if facts.returns_value else 0.4
                for rank, value in enumerate(_results(src, function, last.end_lineno, 4)):
                    yield Mutation("missing_return", last.lineno, f"`return {value}` added at the end of "
                                   f"`{function.name}` (after line {last.end_lineno})",
                                   (Span(after, after, f"{newline}{indent}return {value}\n"),),
                                   weight=weight / (1 + 0.3 * rank))


def _results(src: SourceFile, function: ast.AST, line: int, limit: int) -> list[str]:
    """Locals a function may have meant to return at its end: not loop variables, the latest used first."""
    loop_vars = {n.id for node in _walk_own(function) if isinstance(node, (ast.For, ast.AsyncFor))
                 for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    facts = src.facts(function)
    last_use = {name: max(facts.stores.get(name, []) + facts.reads.get(name, [])) for name in facts.stores
                if name not in loop_vars}
    return sorted(last_use, key=lambda name: -last_use[name])[:limit]


def _names_read(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _uses(stmt: ast.stmt) -> list[str]:
    """Names the statement dereferences (x.attr, x[i], len(x), for .. in x, f(x)): a None there fails."""
    used: list[str] = []
    header = [stmt.test] if isinstance(stmt, (ast.If, ast.While)) else [stmt.iter] if isinstance(stmt, ast.For) \
        else [] if isinstance(stmt, (*_SCOPES, ast.Try, ast.With)) else [stmt]
    for part in header:
        for n in ast.walk(part):
            target = None
            if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.value, ast.Name):
                target = n.value.id
            elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Attribute) and \
                    isinstance(n.value.value, ast.Name) and n.value.value.id == "self":
                target = f"self.{n.value.attr}"
            elif isinstance(n, ast.Call):
                target = next((a.id for a in n.args if isinstance(a, ast.Name)), None)
            elif isinstance(n, ast.comprehension) and isinstance(n.iter, ast.Name):
                target = n.iter.id
            if target and target not in used and target not in ("self", "cls") and isinstance(stmt, ast.stmt):
                used.append(target)
    if isinstance(stmt, ast.For) and isinstance(stmt.iter, ast.Name) and stmt.iter.id not in used:
        used.insert(0, stmt.iter.id)
    return used


def _in_loop(src: SourceFile, stmt: ast.stmt, function: ast.AST) -> bool:
    """Inside a loop's body (where `break` / `continue` are allowed; a loop's `else` is not)."""
    child, node = stmt, src.parent.get(stmt)
    while node is not None and node is not function:
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)) and child in node.body:
            return True
        child, node = node, src.parent.get(node)
    return False


_DOC_LITERAL = re.compile(r"(?<![\w.])(None|-?\d+\.\d+|-?\d+|\[\]|\{\}|\(\)|''|\"\"|True|False)(?![\w.])")


def _exit_values(src: SourceFile, function: ast.AST) -> list[str]:
    """Values a guard may return: literals the docstring mentions ("0.0 when there are no rows"), then None."""
    doc = ast.get_docstring(function) or ""
    found = [m.group(1) for m in _DOC_LITERAL.finditer(doc)]
    values = []
    for v in [*found, "None"]:
        if v not in values:
            values.append(v)
    return values[:3]


def guard(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """A missing None / empty check (TBar's null-pointer pattern): `if x is None: return ...` or
    `if not x: return ...` inserted before the first statement that dereferences `x` (a local or
    `self.attr`); `return x` -> `return <other> if x is None else x`."""
    done: set[tuple[ast.AST, str]] = set()
    for stmt in nodes:
        if not isinstance(stmt, ast.stmt) or isinstance(stmt, (*_SCOPES,)) or not src.owns_lines(stmt):
            continue
        function = src.enclosing_function(stmt)
        if function is None:
            continue
        facts = src.facts(function)
        local = set(facts.params) | set(facts.stores)
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, (ast.Name, ast.Attribute)):
            value = src.segment(stmt.value)
            others = [v for v in [*(p for p in facts.params if p not in ("self", "cls")), "None"] if v != value]
            for rank, other in enumerate(others[:3]):
                text = f"{other} if {value} is None else {value}"
                yield Mutation("guard", stmt.lineno, f"`return {text}` in line {stmt.lineno}",
                               _replace(src, stmt.value, text), weight=0.8 / (1 + 0.3 * rank))
        indent = src.indent_of(stmt.lineno)
        step = src.body_indent_step(function, function.body)
        at = src.line_start(stmt.lineno)
        if facts.returns_value:
            exits = [f"return {v}" for v in _exit_values(src, function)]
        else:
            exits = ["return"]
        if _in_loop(src, stmt, function):
            exits = ["continue", *exits]
        for name in _uses(stmt):
            if (name not in local and not name.startswith("self.")) or (function, name) in done:
                continue
            done.add((function, name))  # the first use is where a guard belongs
            variants = [(f"if not {name}:", e, 1.0 if rank == 0 else 0.7) for rank, e in enumerate(exits)]
            variants += [(f"if {name} is None:", e, 0.9 if rank == 0 else 0.6) for rank, e in enumerate(exits)]
            if facts.returns_value and not name.startswith("self."):
                variants.append((f"if not {name}:", f"return {name}", 0.6))
            for test, exit_, weight in variants:
                text = f"{indent}{test}\n{indent}{step}{exit_}\n"
                yield Mutation("guard", stmt.lineno, f"`{test} {exit_}` inserted before line {stmt.lineno}",
                               (Span(at, at, text),), weight=weight)


# ------------------------------------------------------------------ statements


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _own_statements(src: SourceFile, nodes: list[ast.AST]) -> list[ast.stmt]:
    """Statements of the scope that fill their own lines, inside a function, docstrings left out. Functions
    with `global` / `nonlocal` are left out: moving a statement across the declaration breaks the file."""
    out = []
    for n in nodes:
        if isinstance(n, ast.stmt) and not isinstance(n, (*_SCOPES,)) and src.owns_lines(n) and not _is_docstring(n):
            function = src.enclosing_function(n)
            if function is not None and not src.facts(function).declares:
                out.append(n)
    return out


def _lines_span(src: SourceFile, stmt: ast.stmt) -> tuple[int, int]:
    """The statement's whole lines, decorators included."""
    first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
    return src.line_start(first), src.line_end(stmt.end_lineno)


def _siblings(src: SourceFile, stmt: ast.stmt) -> list[ast.stmt] | None:
    parent = src.parent.get(stmt)
    for name in ("body", "orelse", "finalbody"):
        block = getattr(parent, name, None)
        if isinstance(block, list) and stmt in block:
            return block
    return None


def delete_statement(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Delete one statement (a block left empty gets `pass`)."""
    for stmt in _own_statements(src, nodes):
        block = _siblings(src, stmt)
        if block is None or isinstance(stmt, ast.Pass):
            continue
        start, end = _lines_span(src, stmt)
        text = src.text[start:end]
        if len(block) == 1:
            newline = "\n" if text.endswith("\n") else ""
            replacement = src.indent_of(stmt.lineno) + "pass" + newline
        else:
            replacement = ""
        risks = (DELETES_CODE, REMOVES_CHECK) if isinstance(stmt, (ast.If, ast.Raise, ast.Assert)) else (DELETES_CODE,)
        weight = 0.5 if len(text.splitlines()) > 3 else 1.0
        yield Mutation("delete_statement", stmt.lineno, f"statement `{_short(src.segment(stmt))}` deleted "
                       f"(line {stmt.lineno})", (Span(start, end, replacement),), risks, weight=weight)


def move_statement(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Move a statement after one of the next few statements of its block, or before one of the
    previous few (a statement in the wrong order; the nearest moves first)."""
    for stmt in _own_statements(src, nodes):
        block = _siblings(src, stmt)
        if block is None or not all(src.owns_lines(s) for s in block):
            continue
        i = block.index(stmt)
        s0, s1 = _lines_span(src, stmt)
        moved = src.text[s0:s1] if src.text[s0:s1].endswith("\n") else src.text[s0:s1] + "\n"
        for j in range(i + 1, min(i + 5, len(block))):
            other = block[j]
            if _ends_flow(other):
                break  # after a return nothing runs
            o1 = _lines_span(src, other)[1]
            between = src.text[s1:o1] if src.text[s1:o1].endswith("\n") else src.text[s1:o1] + "\n"
            text = between + moved
            if not src.text[s0:o1].endswith("\n"):  # the block ends the file without a newline
                text = text.rstrip("\n")
            yield Mutation("move_statement", stmt.lineno, f"line {stmt.lineno} moved after line {other.end_lineno} "
                           f"(`{_short(src.segment(stmt), 30)}`)", (Span(s0, o1, text),), weight=1.0 / (j - i))
        for j in range(i - 1, max(i - 4, -1), -1):
            other = block[j]
            o0 = _lines_span(src, other)[0]
            yield Mutation("move_statement", stmt.lineno, f"line {stmt.lineno} moved before line {other.lineno} "
                           f"(`{_short(src.segment(stmt), 30)}`)",
                           (Span(o0, o0, moved), Span(s0, s1, "")), weight=0.8 / (i - j))


_SIMPLE_DONORS = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Raise, ast.If, ast.Continue,
                  ast.Break)
_BUILTINS = set(dir(builtins))


def insert_statement(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """The missing line: a statement copied from elsewhere in the same function (then the file), inserted
    before or after a statement of the scope, when every name it reads is bound there."""
    targets = _own_statements(src, nodes)
    if not targets:
        return
    donors = src.donors()
    for stmt in targets:
        function = src.enclosing_function(stmt)
        facts = src.facts(function)
        bound = set(facts.locals()) | src.module_names | _BUILTINS
        indent = src.indent_of(stmt.lineno)
        block = _siblings(src, stmt) or [stmt]
        neighbours = {src.segment(s) for s in block}
        ordered = [(d, 1.0) for d in donors if d.function is function] + \
                  [(d, 0.5) for d in donors if d.function is not function]
        start, end = _lines_span(src, stmt)
        in_loop = _in_loop(src, stmt, function)
        made = 0
        for donor, weight in ordered:
            if made >= 12:
                break
            node = donor.stmt
            if node is stmt or node.lineno <= stmt.lineno <= node.end_lineno or donor.text in neighbours \
                    or not donor.reads <= bound or (donor.loop_only and not in_loop) \
                    or (donor.is_async and not isinstance(function, ast.AsyncFunctionDef)):
                continue
            variants = [(_reindent(src, node, indent), donor.text, weight)]
            if donor.function is function and node.end_lineno == node.lineno:
                variants += _rebound(src, donor, stmt, facts, indent, weight)
            for text, shown, w in variants:
                made += 1
                yield Mutation("insert_statement", stmt.lineno, f"`{_short(shown)}` (like line {node.lineno}) "
                               f"inserted before line {stmt.lineno}", (Span(start, start, text),), weight=w)
                if not _ends_flow(stmt):
                    newline = "" if src.text[end - 1 : end] == "\n" else "\n"
                    yield Mutation("insert_statement", stmt.lineno, f"`{_short(shown)}` (like line "
                                   f"{node.lineno}) inserted after line {stmt.end_lineno}",
                                   (Span(end, end, newline + text),), weight=w * 0.8)


def _rebound(src: SourceFile, donor: _Donor, stmt: ast.stmt, facts: _FunctionFacts, indent: str,
             weight: float) -> list[tuple[str, str, float]]:
    """The donor with one local it reads that is not bound yet at `stmt` (a loop variable further down)
    replaced by a parameter or a local bound before: `visited.add(nxt)` -> `visited.add(start)`."""
    late = [n for n in ast.walk(donor.stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            and n.id in facts.stores and min(facts.stores[n.id]) >= stmt.lineno]
    if not late:
        return []
    target = late[0]
    bound = [p for p in facts.params if p not in ("self", "cls")]
    bound += [n for n, lines in facts.stores.items() if min(lines) < stmt.lineno and n not in bound]
    out = []
    base = src.start(donor.stmt)
    for other in [b for b in bound if facts.compatible(target.id, b) and b != target.id][:2]:
        a, b = src.start(target) - base, src.end(target) - base
        shown = donor.text[:a] + other + donor.text[b:]
        out.append((indent + shown + "\n", shown, weight * 0.7))
    return out


@dataclass(frozen=True)
class _Donor:
    stmt: ast.stmt
    function: ast.AST
    text: str
    reads: frozenset[str]
    loop_only: bool  # holds a break / continue
    is_async: bool  # holds an await


def _donors(src: SourceFile) -> list[_Donor]:
    """Statements worth copying: short simple statements inside functions, and guard clauses."""
    found = []
    for node in ast.walk(src.tree):
        if not isinstance(node, _SIMPLE_DONORS) or node.end_lineno - node.lineno >= 3 or _is_docstring(node):
            continue
        if isinstance(node, ast.If) and not all(isinstance(s, (ast.Return, ast.Raise, ast.Continue, ast.Break))
                                                for s in node.body):
            continue  # copied ifs only as guard clauses
        function = src.enclosing_function(node)
        inner = list(ast.walk(node))
        if function is None or not src.owns_lines(node) or any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in inner):
            continue
        found.append(_Donor(node, function, src.segment(node), frozenset(_names_read(node)),
                            loop_only=any(isinstance(n, (ast.Break, ast.Continue)) for n in inner),
                            is_async=any(isinstance(n, ast.Await) for n in inner)))
    return found


def _reindent(src: SourceFile, stmt: ast.stmt, indent: str) -> str:
    start, end = _lines_span(src, stmt)
    old = src.indent_of(stmt.lineno)
    lines = src.text[start:end].splitlines()
    out = [indent + ln[len(old):] if ln.startswith(old) else indent + ln.lstrip() for ln in lines]
    return "\n".join(out) + "\n"


# Pairs a program often confuses, beyond what string similarity finds.
_CONFUSABLE = [
    ("min", "max"), ("any", "all"), ("append", "extend"), ("sort", "sorted"), ("floor", "ceil"),
    ("startswith", "endswith"), ("lower", "upper"), ("keys", "values"), ("values", "items"), ("keys", "items"),
    ("index", "find"), ("lstrip", "rstrip"), ("strip", "rstrip"), ("pop", "popleft"), ("remove", "discard"),
    ("isinstance", "issubclass"), ("find", "rfind"), ("index", "rindex"), ("split", "rsplit"), ("reversed", "sorted"),
    ("insert", "append"), ("get", "pop"), ("update", "setdefault"), ("search", "match"), ("match", "fullmatch"),
    ("bisect_left", "bisect_right"), ("list", "tuple"), ("list", "set"), ("str", "repr"), ("int", "round"),
    ("isalpha", "isalnum"), ("isdigit", "isalnum"), ("isdigit", "isnumeric"), ("isdigit", "isdecimal"),
    ("isupper", "islower"), ("upper", "title"), ("lower", "casefold"), ("title", "capitalize"), ("add", "update"),
    ("union", "intersection"), ("difference", "symmetric_difference"), ("copy", "deepcopy"), ("dumps", "dump"),
    ("loads", "load"), ("abs", "round"), ("sum", "len"), ("int", "float"), ("min", "sorted"), ("next", "iter"),
    ("popitem", "pop"), ("count", "index"), ("replace", "translate"), ("join", "split"), ("zip", "enumerate"),
]
_CONFUSED: dict[str, list[str]] = {}
for _a, _b in _CONFUSABLE:
    _CONFUSED.setdefault(_a, []).append(_b)
    _CONFUSED.setdefault(_b, []).append(_a)


def similar_call(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """A call to a similarly named function or method in scope: known confusable pairs (min/max, append/extend,
    ...) first, then names defined in the file or imported (methods: defined in the file) that difflib
    finds close. Builtins only through the table: difflib over all of them mostly finds noise."""
    methods = {n.name for n in ast.walk(src.tree) if isinstance(n, _FUNCTIONS)}
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            name, pool = func.id, src.module_names
            start, end = src.start(func), src.end(func)
        elif isinstance(func, ast.Attribute):
            name, pool = func.attr, methods
            end = src.end(func)
            start = end - len(func.attr)
            if src.text[start:end] != func.attr:
                continue
        else:
            continue
        choices = list(_CONFUSED.get(name, []))
        key = (name, isinstance(func, ast.Name))
        if key not in src.close_names:
            src.close_names[key] = difflib.get_close_matches(name, pool - {name}, n=3, cutoff=0.75)
        choices += [c for c in src.close_names[key] if c not in choices]
        for rank, other in enumerate(choices[:4]):
            weight = (1.0 if other in _CONFUSED.get(name, ()) else 0.6) / (1 + 0.3 * rank)
            yield Mutation("similar_call", node.lineno, f"`{name}(...)` -> `{other}(...)` in line {node.lineno}",
                           (Span(start, end, other),), weight=weight)


Template = Callable[[SourceFile, list[ast.AST]], Iterator[Mutation]]

TEMPLATES: dict[str, Template] = {
    "comparison": comparison,
    "off_by_one": off_by_one,
    "arithmetic": arithmetic,
    "boolean": boolean,
    "negate_condition": negate_condition,
    "constant": constant,
    "return_value": return_value,
    "missing_return": missing_return,
    "swap_args": swap_args,
    "replace_variable": replace_variable,
    "similar_call": similar_call,
    "guard": guard,
    "drop_condition": drop_condition,
    "move_statement": move_statement,
    "delete_statement": delete_statement,
    "insert_statement": insert_statement,
}


def mutations(src: SourceFile, scope: ast.AST, templates: dict[str, Template] | None = None) -> Iterator[Mutation]:
    """Every mutation of every template inside `scope` (a function, class or module node of `src`)."""
    nodes = scope_nodes(src, scope)
    for template in (templates or TEMPLATES).values():
        yield from template(src, nodes)
