"""Rules that pick the right container or builtin: min/max for sorted()[0], deque for pop(0), append and
reverse for insert(0), any/all over generators, method aliases, dict keys, Counter."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.edits import _Site
from suture.agent.optimize.perf_rules.facts import _STR_TO_BOOL, _Func, _elem, _is_hashable, _is_name, _walk_region
from suture.agent.optimize.perf_rules.loops import _guarded_by_try


# sorted-index-to-min-max: `sorted(L)[0]` -> `min(L)` and `sorted(L, reverse=True)[0]` -> `max(L)`
# (same element: both keep the first of equal ones; key= carries over), and `sorted(L)[-1]` ->
# `max(L)` only for str/bytes/int elements without key (sorted's last of equal ones is
# indistinguishable from max's first). Only where L is evidently non-empty, so the empty case's
# IndexError (min/max raise ValueError) cannot arise: L a list/tuple/str/set/dict, guarded by an
# enclosing `if L:` / `if len(L) > 0:` (or an earlier `if not L: return/raise/continue/break`), and
# never shrunk, rebound or handed to other code in the function.
def _sorted_index(ctx: _Func) -> Iterator[_Site]:
    for node in ctx.nodes:
        if not (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)):
            continue
        call = node.value
        if not (isinstance(call, ast.Call) and _is_name(call.func, "sorted") and ctx.is_builtin("sorted")
                and len(call.args) == 1 and _is_name(call.args[0])):
            continue
        index = node.slice
        if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub) and isinstance(index.operand, ast.Constant) \
                and index.operand.value == 1 and type(index.operand.value) is int:
            last = True
        elif isinstance(index, ast.Constant) and index.value == 0 and type(index.value) is int:
            last = False
        else:
            continue
        key, reverse, ok = None, False, True
        for kw in call.keywords:
            if kw.arg == "key":
                key = kw.value
            elif kw.arg == "reverse" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, bool):
                reverse = kw.value.value
            else:
                ok = False
        if not ok:
            continue
        name = call.args[0].id
        t = ctx.type_of(call.args[0])
        kind = t[0] if isinstance(t, tuple) else t
        if kind not in ("list", "tuple", "str", "set", "dict"):
            continue
        elem = _elem(t)
        want_max = last != reverse
        exact = (not last) or (key is None and elem in ("str", "bytes", "int"))
        if not exact or (key is not None and last):
            continue
        if not _non_empty(ctx, node, name):
            continue
        func = "max" if want_max else "min"
        if not ctx.is_builtin(func):
            continue
        args = name + (f", key={ctx.m.text(key)}" if key is not None else "")
        yield _Site("sorted-index-to-min-max", node.lineno,
                    f"`{ctx.m.text(node)}` becomes `{func}({args})` (linear, no sort)",
                    [ctx.m.replace(node, f"{func}({args})")])


def _non_empty(ctx: _Func, node, name: str) -> bool:
    for kind, use in ctx.uses(name, ctx.fn):
        if kind in ("assign", "escape"):
            return False
        if kind == "mutate":
            if not (isinstance(use, ast.Call) and use.func.attr in ("append", "extend", "insert", "add", "update", "setdefault")):
                return False
    if name in ctx.declared or name in ctx.nested_refs:
        return False
    child, cur = node, ctx.m.parents.get(node)
    while cur is not None and cur is not ctx.fn:
        if isinstance(cur, (ast.If, ast.IfExp, ast.While)) and child is not cur.test:
            in_body = child in cur.body if isinstance(cur.body, list) else child is cur.body
            if in_body and _truthy_test(cur.test, name):
                return True
        parent = ctx.m.parents.get(cur)
        for field in ("body", "orelse"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and isinstance(cur, ast.stmt) and cur in block:
                for prev in block[:block.index(cur)]:
                    if isinstance(prev, ast.If) and not prev.orelse and _falsy_test(prev.test, name) and prev.body \
                            and isinstance(prev.body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break)):
                        return True
        child, cur = cur, parent
    return False


def _truthy_test(test, name) -> bool:
    if _is_name(test, name):
        return True
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_truthy_test(v, name) for v in test.values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        is_len = isinstance(left, ast.Call) and _is_name(left.func, "len") and len(left.args) == 1 and _is_name(left.args[0], name)
        if is_len and isinstance(right, ast.Constant) and type(right.value) is int:
            return (isinstance(op, ast.Gt) and right.value >= 0) or (isinstance(op, ast.GtE) and right.value >= 1) \
                or (isinstance(op, ast.NotEq) and right.value == 0)
    return False


def _falsy_test(test, name) -> bool:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _truthy_test(test.operand, name)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        is_len = isinstance(left, ast.Call) and _is_name(left.func, "len") and len(left.args) == 1 and _is_name(left.args[0], name)
        return is_len and isinstance(op, ast.Eq) and isinstance(right, ast.Constant) and right.value == 0 and type(right.value) is int
    return False


# pop0-to-deque: a local list bound once (from a list literal or list(...)), used only via
# pop(0) (-> popleft()), insert(0, v) (-> appendleft(v)), append/extend/pop()/clear/remove,
# len(), truth tests, `in` and [0]/[-1] reads, with pop(0) or insert(0, ...) in a loop -> a
# collections.deque. Never returned, iterated, sliced, sorted, compared or passed anywhere,
# where a deque would behave differently. Both raise IndexError when empty (the messages differ).
_DEQUE_SAFE = {"append", "extend", "clear", "remove", "count"}
_DEQUE_CONSUMERS = {"len", "list", "tuple", "sorted", "set", "frozenset", "sum", "min", "max", "any", "all"}


def _pop0_deque(ctx: _Func) -> Iterator[_Site]:
    for name, binds in ctx.bindings.items():
        if len(binds) != 1 or name in ctx.params or name in ctx.declared or name in ctx.nested_refs:
            continue
        init = binds[0]
        if not (isinstance(init, ast.Assign) and len(init.targets) == 1 and isinstance(init.targets[0], ast.Name)):
            continue
        value = init.value
        if not (isinstance(value, ast.List) or (isinstance(value, ast.Call) and _is_name(value.func, "list")
                                                and ctx.is_builtin("list") and len(value.args) <= 1 and not value.keywords)):
            continue
        edits, hot, ok = [], False, True
        for kind, use in ctx.uses(name, ctx.fn):
            if kind == "assign":
                ok = ok and use is init.targets[0]
            elif isinstance(use, ast.Call) and isinstance(use.func, ast.Attribute) and _is_name(use.func.value, name):
                attr = use.func.attr
                args = use.args
                if use.keywords or any(isinstance(a, ast.Starred) for a in args):
                    ok = False
                elif attr == "pop" and len(args) == 1 and isinstance(args[0], ast.Constant) and args[0].value == 0 and type(args[0].value) is int:
                    edits.append(ctx.m.replace(use, f"{name}.popleft()"))
                    hot = hot or bool(ctx.loop_ancestors(use))
                elif attr == "pop" and (not args or (len(args) == 1 and isinstance(args[0], ast.UnaryOp) and ctx.m.text(args[0]) == "-1")):
                    if args:
                        edits.append(ctx.m.replace(use, f"{name}.pop()"))
                elif attr == "insert" and len(args) == 2 and isinstance(args[0], ast.Constant) and args[0].value == 0 and type(args[0].value) is int:
                    edits.append(ctx.m.replace(use, f"{name}.appendleft({ctx.m.text(args[1])})"))
                    hot = hot or bool(ctx.loop_ancestors(use))
                elif attr not in _DEQUE_SAFE:
                    ok = False
            elif isinstance(use, ast.Subscript):
                idx = use.slice
                if not (isinstance(use.ctx, ast.Load) and ctx.m.text(idx) in ("0", "-1")):
                    ok = False
            elif isinstance(use, ast.Call) and isinstance(use.func, ast.Name) and use.func.id in _DEQUE_CONSUMERS \
                    and ctx.is_builtin(use.func.id):
                pass  # these read the items at once and give the same answer for a deque
            elif kind == "read" and isinstance(use, (ast.If, ast.While, ast.IfExp, ast.BoolOp, ast.UnaryOp, ast.Assert)):
                pass  # a truth test
            elif isinstance(use, ast.Compare) and all(isinstance(op, (ast.In, ast.NotIn)) for op in use.ops) \
                    and any(_is_name(c, name) for c in use.comparators) and not _is_name(use.left, name):
                pass
            else:
                ok = False
        if not ok or not hot:
            continue
        imported = ctx.m.need_import("collections", "deque")
        if imported is None:
            continue
        deque_name, import_edits = imported
        inner = ctx.m.text(value.args[0]) if isinstance(value, ast.Call) and value.args else (
            ctx.m.text(value) if isinstance(value, ast.List) and value.elts else "")
        edits.append(ctx.m.replace(value, f"{deque_name}({inner})"))
        yield _Site("pop0-to-deque", init.lineno,
                    f"list `{name}` used as a queue (pop(0)/insert(0)) becomes a collections.deque", edits + import_edits)


# insert0-to-append-reverse: a local `out = []` (empty, bound once) filled only by `out.insert(0, e)`
# statements in a for/while loop that follows it in the same block, with no other reference to out
# between the two or inside the loop and no try (or with other than open()) around the loop ->
# `out.append(e)` in the loop and `out.reverse()` right after it: the same list, built in linear time.
def _insert0_reverse(ctx: _Func) -> Iterator[_Site]:
    for name, init in ctx.empty_list_locals():
        parent = ctx.m.parents.get(init)
        block = next((getattr(parent, f) for f in ("body", "orelse", "finalbody")
                      if isinstance(getattr(parent, f, None), list) and init in getattr(parent, f)), None)
        if block is None:
            continue
        following = block[block.index(init) + 1:]
        loop = next((st for st in following if any(_is_name(n, name) for n in ast.walk(st))), None)
        if not isinstance(loop, (ast.For, ast.While)) or not ctx.m.starts_line(loop) or _guarded_by_try(ctx, loop):
            continue
        inserts, ok = [], True
        for node in _walk_region(loop):
            if not _is_name(node, name):
                continue
            call = ctx.m.parents.get(ctx.m.parents.get(node))
            stmt = ctx.m.parents.get(call)
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.value is node
                    and call.func.attr == "insert" and len(call.args) == 2 and not call.keywords
                    and isinstance(call.args[0], ast.Constant) and type(call.args[0].value) is int
                    and call.args[0].value == 0 and not isinstance(call.args[1], ast.Starred)
                    and isinstance(stmt, ast.Expr) and not any(_is_name(n, name) for n in ast.walk(call.args[1]))):
                inserts.append(call)
            else:
                ok = False
        if not ok or not inserts:
            continue
        after = ctx.m.insert_after(loop, f"{name}.reverse()")
        if after is None:
            continue
        edits = [after] + [ctx.m.replace(c, f"{name}.append({ctx.m.text(c.args[1])})") for c in inserts]
        yield _Site("insert0-to-append-reverse", loop.lineno,
                    f"list `{name}` built by insert(0, ...) is appended to and reversed once", edits)


# any-all-generator: `any([E for x in L ...])` / `all([...])` -> a generator that stops at the
# first decisive item. Only where evaluating fewer items cannot be observed: every iterable is a
# list/tuple/str/set/dict (or range) -- never a possibly shared iterator the caller would see
# half-consumed -- and E and every `if` are side-effect free and cannot raise: comparisons of
# evidently same-kind builtin values, `in` on str or on containers of hashables, len() of
# sized builtins, no-argument str predicates, not/and/or, +,-,* on ints.
def _any_all(ctx: _Func) -> Iterator[_Site]:
    for node in ctx.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("any", "all")
                and ctx.is_builtin(node.func.id) and len(node.args) == 1 and not node.keywords
                and isinstance(node.args[0], ast.ListComp)):
            continue
        comp = node.args[0]
        env = ctx.comprehension_env(comp)
        ok = all(not gen.is_async and _finite_container(ctx, gen.iter, env) for gen in comp.generators)
        ok = ok and _pure(ctx, comp.elt, env) and all(_pure(ctx, c, env) for gen in comp.generators for c in gen.ifs)
        text = ctx.m.text(comp)
        if not ok or not (text.startswith("[") and text.endswith("]")):
            continue
        yield _Site("any-all-generator", node.lineno,
                    f"`{node.func.id}()` over a list comprehension stops at the first decisive item",
                    [ctx.m.replace(comp, text[1:-1])])


def _finite_container(ctx: _Func, node, env) -> bool:
    t = ctx.type_of(node, env)
    if t == "str" or (isinstance(t, tuple) and t[0] in ("list", "tuple", "set", "dict")):
        return True
    return (isinstance(node, ast.Call) and _is_name(node.func, "range") and ctx.is_builtin("range")
            and not node.keywords and 1 <= len(node.args) <= 3
            and all(ctx.type_of(a, env) in ("int", "bool") for a in node.args))


_NUMS = {"int", "bool", "float"}


def _pure(ctx: _Func, node, env) -> bool:
    """Side-effect free and cannot raise, judged from evident builtin types."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return ctx.type_of(node, env) is not None
    if isinstance(node, ast.BoolOp):
        return all(_pure(ctx, v, env) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return _pure(ctx, node.operand, env) and (isinstance(node.op, ast.Not) or ctx.type_of(node.operand, env) in _NUMS)
    if isinstance(node, ast.BinOp):
        return (isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)) and _pure(ctx, node.left, env)
                and _pure(ctx, node.right, env) and ctx.type_of(node.left, env) in ("int", "bool")
                and ctx.type_of(node.right, env) in ("int", "bool"))
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        if not all(_pure(ctx, o, env) for o in operands):
            return False
        types = [ctx.type_of(o, env) for o in operands]
        for op, left, right in zip(node.ops, types, types[1:]):
            if isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)):
                if not (_is_hashable(left) and _is_hashable(right)):
                    return False
            elif isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                if not ((left in _NUMS and right in _NUMS) or (left == right and left in ("str", "bytes"))):
                    return False
            elif isinstance(op, (ast.In, ast.NotIn)):
                if right == "str":
                    if left != "str":
                        return False
                elif isinstance(right, tuple) and right[0] in ("list", "tuple"):
                    if not (_is_hashable(left) and _is_hashable(right[1])):
                        return False
                elif isinstance(right, tuple) and right[0] in ("set", "dict"):
                    if not _is_hashable(left):
                        return False
                else:
                    return False
            else:
                return False
        return True
    if isinstance(node, ast.Call) and not node.keywords:
        if _is_name(node.func, "len") and ctx.is_builtin("len") and len(node.args) == 1:
            t = ctx.type_of(node.args[0], env)
            return _pure(ctx, node.args[0], env) and (t == "str" or (isinstance(t, tuple) and t[0] in ("list", "tuple", "set", "dict")))
        if isinstance(node.func, ast.Attribute) and ctx.type_of(node.func.value, env) == "str" \
                and _pure(ctx, node.func.value, env):
            if node.func.attr in _STR_TO_BOOL - {"startswith", "endswith"} | {"lower", "upper", "strip", "lstrip", "rstrip", "casefold"}:
                return not node.args
            if node.func.attr in ("startswith", "endswith"):
                return len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
    return False


# method-alias-in-loop: `R.append(...)` (list), `R.add(...)` (set) or `R.get(...)` (dict) called in a
# for/while loop, R a list/set/dict local or parameter never rebound in the loop and bound before it
# -> `_R_append = R.append` once before the loop (a builtin type's bound method stays the same
# method of the same object however the object's contents change).
_ALIAS_METHODS = {"list": {"append"}, "set": {"add"}, "dict": {"get"}}


def _method_alias(ctx: _Func) -> Iterator[_Site]:
    groups: dict[tuple, list] = {}
    for node in ctx.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_name(node.func.value)):
            continue
        recv = node.func.value.id
        t = ctx.type_of(node.func.value)
        kind = t[0] if isinstance(t, tuple) else None
        if node.func.attr not in _ALIAS_METHODS.get(kind, ()) or recv in ctx.declared or recv in ctx.nested_refs:
            continue
        best = None
        for loop in ctx.loop_ancestors(node):
            if not isinstance(loop, (ast.For, ast.While)) or not ctx.in_block(loop) or not ctx.m.starts_line(loop):
                break
            uses = ctx.uses(recv, loop)
            if any(k == "assign" or (k == "mutate" and isinstance(n, ast.Attribute)) for k, n in uses) \
                    or not ctx.bound_before(recv, loop):
                break
            best = loop
        if best is not None:
            groups.setdefault((recv, node.func.attr, id(best)), []).append((node, best))
    for (recv, attr, _), sites in groups.items():
        loop = sites[0][1]
        alias = ctx.m.fresh(f"_{recv}_{attr}")
        insert = ctx.m.insert_before(loop, f"{alias} = {recv}.{attr}")
        if insert is None:
            continue
        edits = [insert] + [ctx.m.replace(node.func, alias) for node, _ in sites]
        yield _Site("method-alias-in-loop", loop.lineno, f"`{recv}.{attr}` is looked up once before the loop", edits)


# dict-keys-membership: `k in D.keys()` -> `k in D` for D evidently a dict (same test, no view);
# `k in list(D)` / `k in list(D.keys())` -> `k in D` when k is also evidently hashable (the list
# test is linear and would answer False, not raise, for an unhashable k).
def _dict_keys(ctx: _Func) -> Iterator[_Site]:
    for node in ctx.nodes:
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))):
            continue
        comp = node.comparators[0]
        via_list = False
        if isinstance(comp, ast.Call) and _is_name(comp.func, "list") and ctx.is_builtin("list") and len(comp.args) == 1 and not comp.keywords:
            comp, via_list = comp.args[0], True
        if isinstance(comp, ast.Call) and isinstance(comp.func, ast.Attribute) and comp.func.attr == "keys" \
                and not comp.args and not comp.keywords:
            target = comp.func.value
        elif via_list:
            target = comp
        else:
            continue
        t = ctx.type_of(target)
        if not (isinstance(t, tuple) and t[0] == "dict"):
            continue
        if via_list and not _is_hashable(ctx.type_of(node.left)):
            continue
        yield _Site("dict-keys-membership", node.lineno, "dict membership tested on the dict itself",
                    [ctx.m.replace(node.comparators[0], ctx.m.atom(target))])


# count-to-counter: `L.count(x)` re-run by a loop, L a list/tuple of evidently hashable elements,
# stable in the loop and bound before it, x evidently hashable -> `Counter(L)` built once before
# the loop and `_counts[x]` (Counter merges equal keys exactly as count() compares with ==, and
# answers 0 for a missing x).
def _count_counter(ctx: _Func) -> Iterator[_Site]:
    groups: dict[tuple, list] = {}
    for node in ctx.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "count"
                and _is_name(node.func.value) and len(node.args) == 1 and not node.keywords):
            continue
        name = node.func.value.id
        t = ctx.type_of(node.func.value)
        if not (isinstance(t, tuple) and t[0] in ("list", "tuple") and _is_hashable(t[1])):
            continue
        if not _is_hashable(ctx.type_of(node.args[0])):
            continue
        where = ctx.hoist_loop(node, {name})
        if where is None:
            continue
        groups.setdefault((name, id(where[1])), []).append((node, where))
    for (name, _), sites in groups.items():
        stmt = sites[0][1][1]
        imported = ctx.m.need_import("collections", "Counter")
        if imported is None:
            continue
        counter, import_edits = imported
        alias = ctx.m.fresh(f"_{name}_counts")
        insert = ctx.m.insert_before(stmt, f"{alias} = {counter}({name})")
        if insert is None:
            continue
        edits = [insert] + import_edits + [ctx.m.replace(n, f"{alias}[{ctx.m.text(n.args[0])}]") for n, _ in sites]
        yield _Site("count-to-counter", sites[0][0].lineno, f"`{name}.count(...)` in a loop reads a Counter built once", edits)


