"""Operator templates: comparisons, arithmetic, boolean logic, conditions, constants, off-by-one."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from suture.agent.propose.templates.source import (
    REMOVES_CHECK,
    WEAKENS_CONDITION,
    Mutation,
    SourceFile,
    Span,
    _in_assert,
    _is_atom,
    _is_int,
    _is_len,
    _op_between,
    _plus,
    _plus_minus_one,
    _replace,
    _short,
)


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


def comparison(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """Relational operator replacement (PraPR's ROR): `<` -> `<=`, `==` -> `!=`, `in` -> `not in`, ..."""
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
                # A returned predicate inverted whole is an anti-pattern the gates name for every
                # patch, the rule engine's and a model's alike (agent/gates/antipatterns.py).
                yield Mutation("comparison", line, f"`{old}` -> `{new}` in line {line}", (Span(*where, new),),
                               weight=weight)


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


