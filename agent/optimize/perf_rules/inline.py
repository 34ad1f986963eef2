"""A one-expression helper defined inside the enclosing function, inlined where a loop calls it.

polib's `natural_sort` builds its sort key with `[convert(c) for c in re.split(...)]`, `convert` a
nested `def` that only returns `int(text) if text.isdigit() else text.lower()`: per piece, the
Python call costs about what the expression does. Nothing outside the enclosing function can
rebind a nested helper, so the call site may carry the expression itself.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.edits import _Site
from suture.agent.optimize.perf_rules.facts import _Func, _walk_region

_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr, ast.Yield,
           ast.YieldFrom, ast.Await, ast.Starred)


# inline-nested-helper: `h(a, b)` re-run by a loop or comprehension of a function nested in F,
# h a `def` directly in F's body, before the caller's def, bound nowhere else in F and never
# declared nonlocal, with no decorator, defaults, *args or keyword-only parameters, whose body is one
# `return EXPR` (a docstring aside) using every parameter, EXPR holding no lambda, comprehension,
# walrus, yield, await or starred item, its other names builtins the module never binds; every
# argument a constant or a plain local (no global, nonlocal or closure name), none of them a name
# EXPR reads as a builtin -> the call replaced by
# `(EXPR)` with the arguments in place of the parameters: the same reads of the same values in the
# same order (names and constants have no effects), without the call.
def _inline_helper(ctx: _Func) -> Iterator[_Site]:
    helpers = _helpers(ctx)
    for node in ctx.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers):
            continue
        name = node.func.id
        if name in ctx.bindings or name in ctx.params or name in ctx.declared or not ctx.loop_ancestors(node):
            continue
        fdef, expr, free = helpers[name]
        params = [a.arg for a in fdef.args.args]
        if node.keywords or len(node.args) != len(params) \
                or not all(isinstance(a, (ast.Name, ast.Constant)) for a in node.args) \
                or any(isinstance(a, ast.Name) and a.id in free for a in node.args) \
                or any(f in ctx.bindings or f in ctx.params for f in free) \
                or not all(_plain_local(ctx, a.id) for a in node.args if isinstance(a, ast.Name)):
            continue
        args = (ctx.m.text(a) if isinstance(a, ast.Name) else f"({ctx.m.text(a)})" for a in node.args)
        text = _substituted(ctx, expr, dict(zip(params, args)))
        yield _Site("inline-nested-helper", node.lineno,
                    f"the nested helper `{name}` (one expression) is inlined where a loop calls it",
                    [ctx.m.replace(node, f"({text})")])


def _plain_local(ctx: _Func, name: str) -> bool:
    """Only this function's own code can rebind `name` (read twice, it is the same value both times)."""
    return (name in ctx.bindings or name in ctx.params) and name not in ctx.declared and name not in ctx.nested_refs


def _helpers(ctx: _Func) -> dict[str, tuple]:
    """name -> (def, its returned expression, the builtins it reads) of the enclosing function's one-expression helpers."""
    outer = ctx.m.parents.get(ctx.fn)
    if not isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef)) or ctx.fn not in outer.body:
        return {}
    mine = outer.body.index(ctx.fn)
    found = {}
    stores: dict[str, int] = {}
    for node in ast.walk(outer):  # a nested scope may rebind the helper only by declaring it
        if isinstance(node, (ast.Nonlocal, ast.Global)):
            for n in node.names:
                stores[n] = stores.get(n, 0) + 2
    for node in _walk_region(outer):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not outer:
            stores[node.name] = stores.get(node.name, 0) + 1
        elif isinstance(node, ast.arg):
            stores[node.arg] = stores.get(node.arg, 0) + 1
    for stmt in outer.body[:mine]:
        if not isinstance(stmt, ast.FunctionDef) or stmt is ctx.fn or stores.get(stmt.name) != 1:
            continue
        expr = _one_expression(stmt)
        if expr is None:
            continue
        params = {a.arg for a in stmt.args.args}
        names = [n.id for n in ast.walk(expr) if isinstance(n, ast.Name)]
        free = {n for n in names if n not in params}
        if not params <= set(names) or any(f in ctx.m.module_bound or f in stores or not hasattr(builtins, f) for f in free):
            continue
        found[stmt.name] = (stmt, expr, free)
    return found


def _one_expression(fdef: ast.FunctionDef):
    a = fdef.args
    if fdef.decorator_list or a.posonlyargs or a.vararg or a.kwarg or a.kwonlyargs or a.defaults:
        return None
    body = fdef.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return None
    expr = body[0].value
    if any(isinstance(n, _SCOPES) for n in ast.walk(expr)):
        return None
    return expr


def _substituted(ctx: _Func, expr, args: dict[str, str]) -> str:
    start, end = ctx.m.span(expr)
    text = ctx.m.source[start:end]
    spots = sorted((ctx.m.span(n), args[n.id]) for n in ast.walk(expr) if isinstance(n, ast.Name) and n.id in args)
    for (s, e), arg in reversed(spots):
        text = text[:s - start] + arg + text[e - start:]
    return text
