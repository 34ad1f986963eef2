"""`m.group(K)` on a regular-expression match to `m[K]`.

A `re.sub` callback (polib's `unescape_repl`, and the usual shape of escape and template code) runs once
per match and often begins with `m.group(1)`: a method look-up and a call through the generic method
protocol. `m[1]` is the same C function (Match.__getitem__ and Match.group with one argument both return
the group, and both raise IndexError for a group that does not exist) reached by one subscript opcode.
CPU time, Python 3.11, polib's `unescape` on 45k characters of escapes (best of 7, /tmp script, 2026-12-07):
7.5 ms, 6.45 ms with `m[1]` (1.16x), 6.9 ms with if-chain-to-dict alone, 5.85 ms with both.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.edits import _Site
from suture.agent.optimize.perf_rules.facts import _FUNC_NODES, _Func, _is_name

_SUB_CALLS = ("sub", "subn")


# match-group-to-subscript: in a function whose one parameter P is a re.Match -- the function is nested,
# defined once in the body of its enclosing function, and that function only ever passes it as the `repl`
# of `re.sub`/`re.subn` (the stdlib module, not rebound there), which calls it with one Match per match;
# or the run showed P as exactly re.Match -- every `P.group(K)` with one int (not bool) or str constant K
# and no keyword, read while P still holds the parameter (in the statements before P's first rebinding,
# which must be a plain top-level assignment, or in that assignment's value; not in a nested function)
# -> `P[K]`. P declared global/nonlocal or read by a nested function: no rewrite.
def _match_group(ctx: _Func) -> Iterator[_Site]:
    fn = ctx.fn
    if not isinstance(fn, ast.FunctionDef) or fn.decorator_list:
        return
    args = fn.args
    if args.vararg or args.kwarg or args.kwonlyargs or len(args.posonlyargs + args.args) != 1:
        return
    param = (args.posonlyargs + args.args)[0].arg
    if param in ctx.declared or param in ctx.nested_refs:
        return
    region = _param_region(ctx, param)
    if region is None:
        return
    evidence = None
    if not _only_a_sub_callback(ctx):
        if ctx.evidence.get(f"type({param})") != "re.Match" or param in ctx.bindings:
            return
        evidence = {f"type({param})"}
    edits, line = [], None
    for node in region:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "group"
                and _is_name(node.func.value, param) and len(node.args) == 1 and not node.keywords
                and isinstance(node.args[0], ast.Constant) and type(node.args[0].value) in (int, str)):
            edits.append(ctx.m.replace(node, f"{param}[{ctx.m.text(node.args[0])}]"))
            line = node.lineno if line is None else min(line, node.lineno)
    if edits:
        site = _Site("match-group-to-subscript", line, f"`{param}.group(...)` of a regex match read as `{param}[...]`",
                     edits)
        site.evidence_names = evidence or set()
        yield site


def _param_region(ctx: _Func, param: str) -> list[ast.AST] | None:
    """The nodes where `param` still holds what the function was called with; None when a rebinding is not a
    plain assignment at the top of the body."""
    body = ctx.fn.body
    first = len(body)
    for node in ctx.bindings.get(param, []):
        if ctx.m.parents.get(node) is not ctx.fn or not isinstance(node, ast.Assign):
            return None
        first = min(first, body.index(node))
    roots = list(body[:first]) + ([body[first].value] if first < len(body) else [])
    found, stack = [], roots
    while stack:
        node = stack.pop()
        found.append(node)
        if not isinstance(node, _FUNC_NODES):
            stack.extend(ast.iter_child_nodes(node))
    return found


def _only_a_sub_callback(ctx: _Func) -> bool:
    """The function is defined directly in its enclosing function's body, which reads its name only as the
    repl argument of re.sub / re.subn calls (at least one) and never rebinds it or `re`."""
    outer = ctx.m.parents.get(ctx.fn)
    if not isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef)) or not ctx.m.imported_module("re"):
        return False
    name, uses, stores = ctx.fn.name, 0, 0
    for node in _outer_nodes(outer, ctx.fn):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in (name, "re"):
            stores += 1
        elif isinstance(node, ast.Name) and node.id in (name, "re") and not isinstance(node.ctx, ast.Load):
            return False
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)):
            return False
        elif isinstance(node, ast.arg) and node.arg in (name, "re"):
            return False
        elif isinstance(node, ast.Call) and _repl(node) is not None and _is_name(_repl(node), name):
            uses += 1
    loads = sum(1 for node in _outer_nodes(outer, ctx.fn) if isinstance(node, ast.Name) and node.id == name)
    return stores == 1 and uses >= 1 and loads == uses


def _repl(call: ast.Call) -> ast.AST | None:
    """The repl argument of `re.sub(pattern, repl, ...)` / `re.subn(...)`, else None."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in _SUB_CALLS and _is_name(call.func.value, "re")):
        return None
    if len(call.args) >= 2:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg == "repl"), None)


def _outer_nodes(outer: ast.AST, inner: ast.AST) -> Iterator[ast.AST]:
    """Every node of `outer` (its arguments too) but inside `inner`; nested functions other than `inner`
    are walked (a name they read is a use as any other)."""
    stack = [outer.args, *outer.body]
    while stack:
        node = stack.pop()
        yield node
        if node is inner:
            continue
        stack.extend(ast.iter_child_nodes(node))
