"""Rules that make membership tests constant-time: a constant or loop-invariant list, a `seen` list, to a set."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.edits import _Site
from suture.agent.optimize.perf_rules.facts import _Func, _is_hashable, _is_name


# const-list-membership-to-set: `x in [c1, c2, c3, ...]` (or a tuple) re-run by a loop, >= 3 elements,
# every element a constant, x evidently hashable -> `x in {c1, c2, ...}` (CPython makes it one
# frozenset constant). Same answer because set and list membership agree for hashable builtins.
def _const_membership(ctx: _Func) -> Iterator[_Site]:
    for node in ctx.nodes:
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))):
            continue
        seq = node.comparators[0]
        if not isinstance(seq, (ast.List, ast.Tuple)) or len(seq.elts) < 3:
            continue
        if not all(isinstance(e, ast.Constant) and e.value is not Ellipsis for e in seq.elts):
            continue
        if not ctx.loop_ancestors(node) or not _is_hashable(ctx.type_of(node.left)):
            continue
        text = "{" + ", ".join(ctx.m.text(e) for e in seq.elts) + "}"
        yield _Site("const-list-membership-to-set", node.lineno,
                    "membership test on a constant list in a loop uses a set literal", [ctx.m.replace(seq, text)])


# list-membership-to-set: `x in L` re-run by a loop, L a list/tuple (by annotation or construction)
# of evidently hashable elements, x evidently hashable, L stable in the loop (not rebound, not
# mutated, not passed to other code; a parameter also needs a loop free of opaque calls) and
# bound before it -> `_L_set = set(L)` once before the loop and `x in _L_set`.
def _list_membership(ctx: _Func) -> Iterator[_Site]:
    groups: dict[tuple, list] = {}
    facts: dict[tuple, set[str]] = {}  # the run-time facts each group's preconditions read
    for node in ctx.nodes:
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))):
            continue
        ctx.evidence_used = set()
        seq = node.comparators[0]
        if not isinstance(seq, ast.Name):
            continue
        t = ctx.type_of(seq)
        if not (isinstance(t, tuple) and t[0] in ("list", "tuple") and _is_hashable(t[1])):
            continue
        if not _is_hashable(ctx.type_of(node.left)):
            continue
        where = ctx.hoist_loop(node, {seq.id})
        if where is None:
            continue
        groups.setdefault((seq.id, id(where[1])), []).append((node, where))
        facts.setdefault((seq.id, id(where[1])), set()).update(ctx.evidence_used)
    for (name, key), sites in groups.items():
        loop, stmt = sites[0][1]
        if any(w[1] is not stmt for _, w in sites):
            continue
        alias = ctx.m.fresh(f"_{name}_set")
        insert = ctx.m.insert_before(stmt, f"{alias} = set({name})")
        if insert is None:
            continue
        edits = [insert] + [ctx.m.replace(node.comparators[0], alias) for node, _ in sites]
        site = _Site("list-membership-to-set", sites[0][0].lineno,
                     f"membership tests on list `{name}` in a loop use a set built once before it", edits)
        site.evidence_names = facts[(name, key)]
        yield site


# seen-list-to-set: a local `seen = []` bound once, used only for `x in seen` / `x not in seen`
# (x evidently hashable), `seen.append(v)` statements (v a name or constant, evidently hashable)
# and pure reads or a return -> a companion set kept in step with every append; the tests use it.
def _seen_list(ctx: _Func) -> Iterator[_Site]:
    for name, init in ctx.empty_list_locals():
        if not ctx.in_block(init):
            continue
        tests, appends, ok = [], [], True
        for kind, node in ctx.uses(name, ctx.fn):
            if kind == "assign" and node is init.targets[0]:
                continue
            if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)) \
                    and _is_name(node.comparators[0], name):
                if not _is_hashable(ctx.type_of(node.left)):
                    ok = False
                tests.append(node)
            elif kind == "mutate" and isinstance(node, ast.Call) and node.func.attr == "append":
                stmt = ctx.m.parents.get(node)
                arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
                if not (isinstance(stmt, ast.Expr) and isinstance(arg, (ast.Name, ast.Constant))
                        and _is_hashable(ctx.type_of(arg))):
                    ok = False
                appends.append((stmt, arg))
            elif kind in ("read", "return") and not isinstance(node, ast.Compare):
                continue
            else:
                ok = False
        if not ok or not tests or not any(ctx.loop_ancestors(t) for t in tests):
            continue
        alias = ctx.m.fresh(f"_{name}_set")
        first = ctx.m.insert_after(init, f"{alias} = set()")
        if first is None:
            continue
        edits = [first] + [ctx.m.replace(t.comparators[0], alias) for t in tests]
        edits += [ctx.m.replace(stmt, f"{ctx.m.text(stmt)}; {alias}.add({ctx.m.text(arg)})") for stmt, arg in appends]
        yield _Site("seen-list-to-set", init.lineno,
                    f"list `{name}` used for membership gets a companion set kept in step with its appends", edits)




# list-index-to-dict: `L.index(x)` re-run by a loop, L a list/tuple of evidently hashable elements,
# stable in the loop and bound before it, x a name or constant evidently hashable, one argument ->
# `_L_index = {v: i for i, v in reversed(list(enumerate(L)))}` once before the loop (the first
# position of each value wins, as with index) and `(_L_index[x] if x in _L_index else L.index(x))`:
# a value not in L still raises index's own ValueError. x is read twice, so only a name or a constant.
def _list_index(ctx: _Func) -> Iterator[_Site]:
    for node in ctx.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "index"
                and isinstance(node.func.value, ast.Name) and len(node.args) == 1 and not node.keywords):
            continue
        ctx.evidence_used = set()
        seq, value = node.func.value, node.args[0]
        if not isinstance(value, (ast.Name, ast.Constant)) or ctx.in_fallback(node):
            continue  # (the fallback this rule leaves behind, `L.index(x)` for a value not in L, stays)
        t = ctx.type_of(seq)
        if not (isinstance(t, tuple) and t[0] in ("list", "tuple") and _is_hashable(t[1])):
            continue
        if not _is_hashable(ctx.type_of(value)):
            continue
        where = ctx.hoist_loop(node, {seq.id})
        if where is None:
            continue
        alias = ctx.m.fresh(f"_{seq.id}_index")
        insert = ctx.m.insert_before(where[1], f"{alias} = {{v: i for i, v in reversed(list(enumerate({seq.id})))}}")
        if insert is None:
            continue
        x = ctx.m.text(value)
        site = _Site("list-index-to-dict", node.lineno,
                     f"`{seq.id}.index(...)` in a loop looks up a position dict built once before it",
                     [insert, ctx.m.replace(node, f"({alias}[{x}] if {x} in {alias} else {seq.id}.index({x}))")])
        site.evidence_names = set(ctx.evidence_used)
        yield site
