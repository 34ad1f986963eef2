"""A rule for tree recursion: a nested helper that calls itself on small keys gets a memo of its results."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.edits import _Site
from suture.agent.optimize.perf_rules.facts import (
    _COMPS,
    _FUNC_NODES,
    _NON_MUTATING,
    PURE_BUILTINS,
    _Func,
    _is_hashable,
    _is_name,
    _join,
)

_KEY_ATOMS = {"int", "str", "bytes", "none"}  # equal keys are the same value (no 1 == 1.0 == True, no -0.0)
_STR_METHODS = _NON_MUTATING - {"copy", "get", "keys", "values", "items", "__contains__", "__len__", "union",
                                "intersection", "difference", "symmetric_difference", "issubset", "issuperset",
                                "isdisjoint"}


def _key_type(t) -> bool:
    if t in _KEY_ATOMS:
        return True
    return isinstance(t, tuple) and t[0] == "tuple" and len(t) == 3 and all(p in _KEY_ATOMS for p in t[2])


# memoise-pure-recursion: a function g defined (a plain `def`, no decorator, positional parameters without
# defaults) directly in a block of the function being read, referenced only by calls with one positional
# argument per parameter, calling itself at least twice (tree recursion, where a memo turns exponential
# into polynomial), where
#  - every parameter is evidently an int/str/bytes/None or a tuple of those (its annotation, else the
#    arguments of every call, the recursive ones checked under that assumption): a key whose equality is
#    the arguments' identity of value (no 1 == 1.0 == True, no 0.0 == -0.0) and that nothing can mutate;
#  - every return gives an evidently hashable builtin value (immutable: handing the same object out twice
#    cannot be told apart) and every path through the body ends in a return or a raise;
#  - the body reads only its own locals, pure builtins and names of the enclosing function bound before the
#    def, each of a known builtin type, never rebound, and -- a container -- never mutated after the def
#    nor handed to code that could (a container of hashable items, so not through its items either);
#  - the body has no nested function, class or lambda, no global/nonlocal, yield, await, with or finally,
#    stores into no attribute or item, and calls only g, pure builtins on values of known types and
#    str methods of strs
# -> `_g_memo = {}` before the def (one memo per call of the enclosing function: nothing it holds outlives
# the values it was computed from), a lookup at g's entry and `return _g_memo.setdefault(_g_key, VALUE)`.
# The memo is read in g's own frame, so the recursion depth at which RecursionError comes is unchanged (a
# functools.lru_cache wrapper adds a C call per level); a result is stored only when g returns, so an
# exception, or a recursion into the same arguments, runs as before.
def _memoise(ctx: _Func) -> Iterator[_Site]:
    for node in ctx.nodes:
        if not (isinstance(node, ast.FunctionDef) and not node.decorator_list and ctx.in_block(node)
                and ctx.m.starts_line(node) and _always_returns(node.body)):
            continue
        args = node.args
        if args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg or args.defaults or not args.args:
            continue
        name = node.name
        if len(ctx.bindings.get(name, ())) != 1 or name in ctx.declared or name in ctx.params or name in PURE_BUILTINS:
            continue
        ctx.evidence_used = set()
        site = _memo_site(ctx, node)
        if site is not None:
            site.evidence_names = set(ctx.evidence_used)
            yield site


def _always_returns(body: list[ast.stmt]) -> bool:
    """Every path through `body` ends in a return or a raise (nothing falls off the end unmemoised)."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    return isinstance(last, ast.If) and _always_returns(last.body) and _always_returns(last.orelse)


def _memo_site(ctx: _Func, g: ast.FunctionDef) -> _Site | None:
    name, params = g.name, [a.arg for a in g.args.args]
    outer_calls, own_calls = _references(ctx, g)
    if outer_calls is None or len(own_calls) < 2:
        return None
    free = _free_names(ctx, g)
    if free is None:
        return None
    types = {p: ctx.type_of(ast.Name(id=p, ctx=ast.Load())) for p in free}
    if any(t is None for t in types.values()) or not all(_unchanged_after(ctx, g, p, types[p]) for p in free):
        return None
    assumed = {}
    for i, arg in enumerate(g.args.args):
        from_calls = _join(ctx.type_of(call.args[i]) for call in outer_calls) if outer_calls else None
        annotated = _Func(ctx.m, g).types.get(arg.arg) if arg.annotation is not None else None
        assumed[arg.arg] = annotated or from_calls
    if not all(_key_type(t) for t in assumed.values()):
        return None
    result = _result_type(ctx, g, assumed, types)
    if result is None or not _is_hashable(result):
        return None
    gctx = _Func(ctx.m, g, evidence=assumed, enclosing=types, results={name: result})
    if any(gctx.types.get(p) != assumed[p] for p in params):
        return None  # a parameter rebound in g to something else
    for call in own_calls:  # the recursive calls keep the parameters' types
        if any(_join([gctx.type_of(a), assumed[p]]) != assumed[p] for a, p in zip(call.args, params)):
            return None
    if not _pure_body(gctx, g):
        return None
    return _edits(ctx, g, params)


def _references(ctx: _Func, g: ast.FunctionDef):
    """(calls of g in the enclosing function, calls of g in g), or (None, []) when g is referenced any other
    way (passed on, stored, called with keywords or a star, read by another nested scope)."""
    outer, own = [], []
    for region, calls in ((ctx.fn, outer), (g, own)):
        nodes = ctx.nodes if region is ctx.fn else list(ast.walk(g))
        for node in nodes:
            if region is ctx.fn and isinstance(node, _FUNC_NODES) and node is not g \
                    and any(_is_name(n, g.name) for n in ast.walk(node)):
                return None, []
            if not _is_name(node, g.name) or node is g:
                continue
            call = ctx.m.parents.get(node)
            if not (isinstance(node.ctx, ast.Load) and isinstance(call, ast.Call) and call.func is node
                    and not call.keywords and len(call.args) == len(g.args.args)
                    and not any(isinstance(a, ast.Starred) for a in call.args)):
                return None, []
            calls.append(call)
    return outer, own


def _free_names(ctx: _Func, g: ast.FunctionDef) -> set[str] | None:
    """The enclosing function's names g reads; None when g reads anything else than those, its own locals,
    itself and pure builtins."""
    inner = _Func(ctx.m, g)
    free = set()
    for node in inner.nodes:
        if not isinstance(node, ast.Name) or node.id in inner.params or node.id in inner.bindings or node.id == g.name:
            continue
        if node.id in ctx.params or node.id in ctx.bindings:
            if node.id in PURE_BUILTINS or node.id in ctx.declared:
                return None
            free.add(node.id)
        elif not (node.id in PURE_BUILTINS and ctx.is_builtin(node.id) and not inner.declared):
            return None  # a module-level name, or a builtin that does something
    return free


def _unchanged_after(ctx: _Func, g: ast.FunctionDef, name: str, t) -> bool:
    """The enclosing function's `name` keeps its value and contents from g's def on."""
    if name in ctx.params:
        if name in ctx.bindings:
            return False  # a parameter rebound somewhere in the function
    elif name in ctx.bindings:
        binds = ctx.bindings[name]
        if len(binds) != 1 or not isinstance(binds[0], (ast.Assign, ast.AnnAssign)) or not ctx.bound_before(name, g):
            return False
    else:
        return False
    if _is_hashable(t):
        return True
    kind = t[0] if isinstance(t, tuple) else None
    if not (kind in ("list", "tuple", "set") and _is_hashable(t[1])) and not (
            kind == "dict" and _is_hashable(t[1]) and _is_hashable(t[2])):
        return False  # a container whose items could be changed in place
    if ctx.loop_ancestors(g):
        return False  # code above the def runs again after it
    for kind, use in ctx.uses(name, ctx.fn):
        if kind not in ("read", "assign") and getattr(use, "lineno", g.lineno) >= g.lineno:
            return False
    return ctx.never_escapes(name) or not ctx.opaque_calls(ctx.fn, allow=frozenset({g.name}))


def _pure_body(gctx: _Func, g: ast.FunctionDef) -> bool:
    for node in gctx.nodes:
        if isinstance(node, _FUNC_NODES) or isinstance(node, (ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom,
                                                              ast.Await, ast.With, ast.AsyncWith, ast.Import,
                                                              ast.ImportFrom, ast.NamedExpr, ast.Starred)):
            return False
        if isinstance(node, (ast.Try, ast.TryStar)) and node.finalbody:
            return False  # a `return` in a finally would replace the value the memo already holds
        if isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load):
            return False
        parent = gctx.m.parents.get(node)
        if isinstance(node, ast.Attribute) and not (isinstance(parent, ast.Call) and parent.func is node):
            return False  # an attribute read, not a method called
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id != g.name \
                and not _is_callee(gctx, node) and gctx.type_of(node, gctx.comprehension_env(_comp_of(gctx, node))
                                                                  if _comp_of(gctx, node) else None) is None:
            return False  # a value of unknown type: its operators could run anything
        if isinstance(node, ast.Call) and not _pure_call(gctx, g, node):
            return False
    return True


def _comp_of(gctx: _Func, node: ast.AST):
    cur = gctx.m.parents.get(node)
    while cur is not None and cur is not gctx.fn:
        if isinstance(cur, _COMPS):
            return cur
        cur = gctx.m.parents.get(cur)
    return None


def _is_callee(gctx: _Func, node: ast.Name) -> bool:
    parent = gctx.m.parents.get(node)
    return isinstance(parent, ast.Call) and parent.func is node


def _pure_call(gctx: _Func, g: ast.FunctionDef, call: ast.Call) -> bool:
    if call.keywords:
        return False
    func = call.func
    if _is_name(func, g.name):
        return True
    comp = _comp_of(gctx, call)
    env = gctx.comprehension_env(comp) if comp is not None else None
    if not all(gctx.type_of(a, env) is not None for a in call.args):
        return False
    if isinstance(func, ast.Name):
        return func.id in PURE_BUILTINS and gctx.is_builtin(func.id) and func.id not in ("iter", "hash")
    return isinstance(func, ast.Attribute) and gctx.type_of(func.value, env) == "str" and func.attr in _STR_METHODS


def _result_type(ctx: _Func, g: ast.FunctionDef, assumed: dict, types: dict):
    """The one type of every value g returns, or None: guessed from the returns typed without knowing what g
    returns (`return 0`), then every return checked with the recursive calls assumed to give that type."""
    first = _Func(ctx.m, g, evidence=assumed, enclosing=types)
    returns = [n for n in first.nodes if isinstance(n, ast.Return)]
    known = [t for t in (first.type_of(r.value) if r.value is not None else "none" for r in returns) if t is not None]
    guess = _join(known) if known else None
    if guess is None:
        return None
    checked = _Func(ctx.m, g, evidence=assumed, enclosing=types, results={g.name: guess})
    found = [checked.type_of(r.value) if r.value is not None else "none" for r in returns]
    return guess if _join([*found, guess]) == guess else None


def _edits(ctx: _Func, g: ast.FunctionDef, params: list[str]) -> _Site | None:
    memo, key = ctx.m.fresh(f"_{g.name}_memo"), ctx.m.fresh(f"_{g.name}_key")
    first = g.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        if len(g.body) < 2:
            return None
        first = g.body[1]  # after the docstring
    indent = ctx.m.indent(first)
    before = ctx.m.insert_before(g, f"{memo} = {{}}")
    packed = f"({params[0]},)" if len(params) == 1 else f"({', '.join(params)})"
    entry = ctx.m.insert_before(first, f"{key} = {packed}\n{indent}if {key} in {memo}:\n"
                                       f"{indent}    return {memo}[{key}]")
    if before is None or entry is None:
        return None
    edits = [before, entry]
    for node in ast.walk(g):
        if isinstance(node, ast.Return):
            if node.value is None:
                edits.append(ctx.m.replace(node, f"return {memo}.setdefault({key}, None)"))
            else:
                edits.append(ctx.m.replace(node.value, f"{memo}.setdefault({key}, {ctx.m.text(node.value)})"))
    return _Site("memoise-pure-recursion", g.lineno,
                 f"`{g.name}` recurses into itself on the same arguments: its results are kept in a dict for the "
                 f"call of the enclosing function", edits, weight=1)
