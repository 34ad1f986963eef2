"""Membership tests on lists held in a dict (`f not in self.Follow[B]`): a shadow set per key.

seen-list-to-set (perf_rules/membership.py) needs a local list the function alone builds. Grammar and
graph code keeps one list per key in a dict that callers read afterwards (ply's FIRST and FOLLOW
sets), so the lists must stay lists. Here a local dict of sets shadows them while the function runs:
a key's set is built from its list the first time it is tested and kept in step with every append.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.calls import _changes_nothing
from suture.agent.optimize.perf_rules.edits import _Site
from suture.agent.optimize.perf_rules.facts import (
    _CONTAINERS,
    _NON_MUTATING,
    HASHABLE_ATOMS,
    PURE_BUILTINS,
    _FUNC_NODES,
    _Func,
    _is_hashable,
    _is_name,
)

_COPIES = {"len", "list", "sorted", "tuple", "set", "frozenset", "min", "max", "sum", "any", "all"}


# keyed-list-membership-to-set: D a dict -- a local, or `self.ATTR` with self the first parameter --
# evidently of hashable keys to lists of hashable items (by the source or the run), tested by
# `x in D[k]` / `x not in D[k]` in a loop (x evidently hashable). From the first top-level statement
# holding such a test on, D is used only as `x in D[k]`, `D[k].append(v)` statements, `D[k] = value`
# statements, `for ... in D[k]`, `len(D[k])`, a truth test or a return (k and v names or constants,
# evidently hashable), D itself is never rebound there, and every call there is a pure builtin, a
# method of a value of a builtin type, or `self.m(...)` for a plain method of self's class (the run
# showed that exact class) that changes nothing it can reach (perf_rules/calls.py); no yield, no
# nested scope sees D. Then a local dict of sets, made empty just before that statement, holds for
# each key tested the set of its list's items: built from the list at the first test (after which
# only the rewritten statements change the list), added to after each append, dropped when D[k] is
# rebound. `x in set(L)` answers as `x in L` for hashable builtin values.
def _keyed_membership(ctx: _Func) -> Iterator[_Site]:
    if not ctx.is_builtin("set") or any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)) for n in ctx.nodes):
        return
    groups: dict[str, list] = {}
    for node in ctx.nodes:
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            holder = _holder(ctx, node.comparators[0])
            if holder is not None:
                groups.setdefault(holder, []).append(node)
    for holder, tests in groups.items():
        looped = [t for t in tests if ctx.loop_ancestors(t)]
        if not looped:
            continue
        tests = tests[tests.index(looped[0]):]  # from the first one a loop re-runs: the sets start there
        ctx.evidence_used = set()
        site = _site(ctx, holder, tests)
        if site is not None:
            yield site


def _holder(ctx: _Func, sub) -> str | None:
    """The text of D when `sub` is `D[k]`, D a local name or `self.ATTR`, k a name or a constant."""
    if not (isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Load) and isinstance(sub.slice, (ast.Name, ast.Constant))):
        return None
    d = sub.value
    if isinstance(d, ast.Name):
        return d.id
    if isinstance(d, ast.Attribute) and _is_name(d.value, "self") and _self_param(ctx):
        return f"self.{d.attr}"
    return None


def _self_param(ctx: _Func) -> bool:
    args = ctx.fn.args.posonlyargs + ctx.fn.args.args
    return bool(args) and args[0].arg == "self" and "self" not in ctx.bindings and "self" not in ctx.declared


def _dict_type(ctx: _Func, holder: str):
    if "." in holder:
        t = ctx.evidence.get(holder)
        if t is not None:
            ctx.evidence_used.add(holder)
    else:
        t = ctx.type_of(ast.Name(id=holder, ctx=ast.Load()))
    ok = isinstance(t, tuple) and t[0] == "dict" and _is_hashable(t[1]) and isinstance(t[2], tuple) \
        and t[2][0] == "list" and _is_hashable(t[2][1])
    return t if ok else None


def _is_holder(node, holder: str) -> bool:
    if "." in holder:
        return isinstance(node, ast.Attribute) and _is_name(node.value, "self") and node.attr == holder.split(".", 1)[1]
    return _is_name(node, holder)


def _site(ctx: _Func, holder: str, tests: list) -> _Site | None:
    if _dict_type(ctx, holder) is None or holder.split(".")[0] in ctx.nested_refs or holder in ctx.declared:
        return None
    start = _top_statement(ctx, tests[0])
    if start is None:
        return None
    region = ctx.fn.body[ctx.fn.body.index(start):]
    appends, stores = [], []
    for stmt in region:
        for node in ast.walk(stmt):
            if not _is_holder(node, holder):
                continue
            kind = _use(ctx, node, holder, tests)
            if kind is None:
                return None
            if kind[0] == "append":
                appends.append(kind[1])
            elif kind[0] == "store":
                stores.append(kind[1])
    if not all(_is_hashable(ctx.type_of(t.left)) and _is_hashable(ctx.type_of(t.comparators[0].slice)) for t in tests):
        return None
    if not _calls_safe(ctx, region, {id(a.value) for a in appends}):
        return None
    table = ctx.m.fresh(f"_{holder.split('.')[-1]}_sets")
    first = ctx.m.insert_before(start, f"{table} = {{}}")
    if first is None:
        return None
    edits = [first]
    for test in tests:
        sub = test.comparators[0]
        d, k = ctx.m.text(sub.value), ctx.m.text(sub.slice)
        edits.append(ctx.m.replace(sub, f"({table}[{k}] if {k} in {table} else {table}.setdefault({k}, set({d}[{k}])))"))
    for stmt in appends:
        call = stmt.value
        k, v = ctx.m.text(call.func.value.slice), ctx.m.text(call.args[0])
        edits.append(ctx.m.replace(stmt, f"{ctx.m.text(stmt)}\n{ctx.m.indent(stmt)}if {k} in {table}: {table}[{k}].add({v})"))
    for stmt in stores:
        k = ctx.m.text(stmt.targets[0].slice)
        edits.append(ctx.m.replace(stmt, f"{ctx.m.text(stmt)}\n{ctx.m.indent(stmt)}{table}.pop({k}, None)"))
    site = _Site("keyed-list-membership-to-set", tests[0].lineno,
                 f"membership tests on the lists in `{holder}` use a set per key, kept in step with their appends", edits)
    site.evidence_names = set(ctx.evidence_used)
    return site


def _top_statement(ctx: _Func, node):
    cur = node
    while cur is not None and ctx.m.parents.get(cur) is not ctx.fn:
        cur = ctx.m.parents.get(cur)
    if cur is None or cur not in ctx.fn.body or not ctx.m.starts_line(cur):
        return None
    return cur


def _use(ctx: _Func, node, holder: str, tests: list):
    """How a reference to D is used: ("test",), ("append", stmt), ("store", stmt), ("read",); None when refused."""
    parent = ctx.m.parents.get(node)
    if "." in holder and not isinstance(node.ctx, ast.Load):
        return None  # self.ATTR rebound
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        return None
    if isinstance(parent, ast.Subscript) and parent.value is node:
        key = parent.slice
        up = ctx.m.parents.get(parent)
        if isinstance(parent.ctx, ast.Store):
            ok = isinstance(up, ast.Assign) and up.targets == [parent] and isinstance(key, (ast.Name, ast.Constant)) \
                and ctx.in_block(up) and ctx.m.starts_line(up) and _alone_on_line(ctx, up)
            return ("store", up) if ok else None
        if not isinstance(parent.ctx, ast.Load):
            return None
        if isinstance(up, ast.Compare) and any(up is t for t in tests):
            return ("test",)
        if isinstance(up, (ast.For, ast.comprehension)) and up.iter is parent:
            return ("read",)
        if isinstance(up, ast.Call) and _is_name(up.func) and ctx.builtin_name(up.func.id) in _COPIES and up.args == [parent]:
            return ("read",)  # read at once; the result holds items, never the list
        if isinstance(up, ast.Attribute) and up.value is parent:
            call = ctx.m.parents.get(up)
            if not (isinstance(call, ast.Call) and call.func is up):
                return None
            if up.attr in _NON_MUTATING:
                return ("read",)
            stmt = ctx.m.parents.get(call)
            if up.attr == "append" and isinstance(stmt, ast.Expr) and len(call.args) == 1 and not call.keywords \
                    and isinstance(key, (ast.Name, ast.Constant)) and isinstance(call.args[0], (ast.Name, ast.Constant)) \
                    and _is_hashable(ctx.type_of(call.args[0])) and _is_hashable(ctx.type_of(key)) \
                    and ctx.in_block(stmt) and ctx.m.starts_line(stmt) and _alone_on_line(ctx, stmt):
                return ("append", stmt)
        return None
    if ctx.in_test_position(node) or isinstance(parent, ast.Return):
        return ("read",)
    return None


def _alone_on_line(ctx: _Func, stmt) -> bool:
    rest = ctx.m.lines[stmt.end_lineno - 1].encode("utf-8")[stmt.end_col_offset:].decode("utf-8", "replace").strip()
    return not rest or rest.startswith("#")


def _calls_safe(ctx: _Func, region: list, appends: set[int]) -> bool:
    """No call in region can change D's lists behind the shadow sets (the rewritten appends aside)."""
    for stmt in region:
        for node in ast.walk(stmt):
            if isinstance(node, _FUNC_NODES):
                return False
            if not isinstance(node, ast.Call) or id(node) in appends:
                continue
            func = node.func
            if isinstance(func, ast.Name) and ctx.builtin_name(func.id) in PURE_BUILTINS:
                continue
            if isinstance(func, ast.Attribute):
                t = ctx.type_of(func.value)
                if t in HASHABLE_ATOMS or (isinstance(t, tuple) and t[0] in _CONTAINERS and func.attr in _NON_MUTATING):
                    continue
                if _is_name(func.value, "self") and _method_changes_nothing(ctx, func.attr):
                    continue
            return False
    return True


def _method_changes_nothing(ctx: _Func, name: str) -> bool:
    """`self.name(...)` runs a plain method of the enclosing class, which the run showed self's exact
    class to be, and that method mutates nothing that existed before the call."""
    cls = ctx.m.parents.get(ctx.fn)
    seen = ctx.evidence.get("type(self)")
    if not isinstance(cls, ast.ClassDef) or not isinstance(seen, str) or not (seen == cls.name or seen.endswith("." + cls.name)):
        return False
    defs = [s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == name]
    stored = any(isinstance(n, ast.Attribute) and n.attr == name and not isinstance(n.ctx, ast.Load) for n in ast.walk(ctx.m.tree))
    if len(defs) != 1 or isinstance(defs[0], ast.AsyncFunctionDef) or defs[0].decorator_list or stored \
            or any(_bound_here(s, name) for s in cls.body if s is not defs[0]):
        return False
    try:
        if not _changes_nothing(_Func(ctx.m, defs[0])):
            return False
    except RecursionError:
        return False
    ctx.evidence_used.add("type(self)")
    ctx.pure_calls_used.add(f"self.{name}")
    return True


def _bound_here(stmt, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load) for n in ast.walk(stmt))
