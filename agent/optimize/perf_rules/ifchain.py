"""A chain of `if x == CONST: return VALUE` tests to one dict look-up.

Escape tables and small dispatchers in library code are often written as a chain of equality tests,
each returning a constant (polib's `unescape` callback: `if m == 'n': return '\\n'` seven times, then
`return m`). Run per character or per match, the chain costs one comparison per case tried.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.edits import _Edit, _Site
from suture.agent.optimize.perf_rules.facts import _Func, _is_name

_KEY_TYPES = {"str": str, "int": int, "bytes": bytes}
_MIN_CASES = 3


# if-chain-to-dict: consecutive `if X == C: return R` statements (or one if/elif chain of them),
# >= 3 cases, closed by `return D` (the chain's last else, or the next statement), X a local name
# evidently a str, int or bytes (exactly: by the source or the run), every C a distinct constant of
# exactly that type, every R a constant, D a constant, X itself or a parameter the function never
# rebinds, no comment inside the chain -> `return _F_RETURNS.get(X, D)` with the dict of C -> R
# built once at module level (right above the function). For values of one of these builtin types `X == C` is True exactly
# when the dict finds key C (equal values hash alike), no test can run user code or raise, and D
# is only read.
def _if_chain(ctx: _Func) -> Iterator[_Site]:
    top = ctx.fn
    while top is not None and not isinstance(ctx.m.parents.get(top), ast.Module):
        top = ctx.m.parents.get(top)
    if top is None or not ctx.m.starts_line(top):
        return
    # the table goes right above the top-level statement that holds the function (its decorators too)
    at = ctx.m.line_starts[min([top.lineno] + [d.lineno for d in getattr(top, "decorator_list", [])]) - 1]
    for node in ctx.nodes:
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if field == "orelse" and _case(node) is not None:
                continue  # an elif of a chain: part of the chain that starts above it
            if isinstance(block, list):
                yield from _chains_in(ctx, block, at)
    yield from _chains_in(ctx, ctx.fn.body, at)


def _chains_in(ctx: _Func, block: list, at: int) -> Iterator[_Site]:
    previous = None
    for i, stmt in enumerate(block):
        case = _case(stmt)
        starts = case is not None and not (previous is not None and previous[0] == case[0])
        previous = case if isinstance(stmt, ast.If) and not stmt.orelse else None
        if not starts:
            continue
        chain = _chain(block, i)
        if chain is None:
            continue
        name, cases, default, last = chain
        ctx.evidence_used = set()
        site = _site(ctx, name, cases, default, stmt, last, at)
        if site is not None:
            yield site


def _case(stmt) -> tuple[str, ast.Constant, ast.Constant] | None:
    """(X, C, R) of `if X == C: return R` (or `C == X`), else None."""
    if not (isinstance(stmt, ast.If) and len(stmt.body) == 1 and isinstance(stmt.body[0], ast.Return)):
        return None
    test, value = stmt.test, stmt.body[0].value
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return None
    left, right = test.left, test.comparators[0]
    if isinstance(left, ast.Constant):
        left, right = right, left
    if not (isinstance(left, ast.Name) and isinstance(right, ast.Constant) and isinstance(value, ast.Constant)):
        return None
    return left.id, right, value


def _chain(block: list, i: int):
    """(X, [(C, R)], D, the last statement) of the chain starting at block[i], or None."""
    cases, name = [], None
    for stmt in block[i:]:
        if isinstance(stmt, ast.Return):
            return (name, cases, stmt.value, stmt) if stmt.value is not None else None
        cur = stmt
        while True:
            case = _case(cur)
            if case is None or (name is not None and case[0] != name):
                return None
            name = case[0]
            cases.append(case[1:])
            if not cur.orelse:
                break
            if len(cur.orelse) == 1 and isinstance(cur.orelse[0], ast.If):
                cur = cur.orelse[0]
                continue
            if len(cur.orelse) == 1 and isinstance(cur.orelse[0], ast.Return) and cur.orelse[0].value is not None:
                return name, cases, cur.orelse[0].value, stmt
            return None
    return None


def _site(ctx: _Func, name: str, cases, default, first, last, at: int) -> _Site | None:
    kind = ctx.type_of(ast.Name(id=name, ctx=ast.Load()))
    key_type = _KEY_TYPES.get(kind)
    if key_type is None or len(cases) < _MIN_CASES or name in ctx.declared or name in ctx.nested_refs:
        return None
    keys = [c.value for c, _ in cases]
    if not all(type(k) is key_type for k in keys) or len(set(keys)) != len(keys):
        return None
    if not (isinstance(default, ast.Constant) or _is_name(default, name)
            or (isinstance(default, ast.Name) and default.id in ctx.params and default.id not in ctx.bindings)):
        return None
    start, end = ctx.m.span(first)[0], ctx.m.span(last)[1]
    if _has_comment(ctx, start, end) or not ctx.m.starts_line(first):
        return None
    table = ctx.m.fresh(f"_{ctx.fn.name.upper()}_RETURNS")
    items = ", ".join(f"{ctx.m.text(c)}: {ctx.m.text(r)}" for c, r in cases)
    define = _Edit(at, at, f"{table} = {{{items}}}\n")
    site = _Site("if-chain-to-dict", first.lineno,
                 f"{len(cases)} equality tests of `{name}` returning constants become one dict look-up",
                 [define, ctx.m.replace_span(start, end, f"return {table}.get({name}, {ctx.m.text(default)})")])
    site.evidence_names = set(ctx.evidence_used)
    return site


def _has_comment(ctx: _Func, start: int, end: int) -> bool:
    comments = ctx.m.__dict__.get("_comment_offsets")
    if comments is None:
        comments = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(ctx.m.source).readline):
                if tok.type == tokenize.COMMENT:
                    comments.append(ctx.m.line_starts[tok.start[0] - 1] + tok.start[1])  # (a character column)
        except (tokenize.TokenError, SyntaxError, IndentationError):
            comments = [start]  # cannot tell: assume one is there
        ctx.m._comment_offsets = comments
    return any(start <= c < end for c in comments)
