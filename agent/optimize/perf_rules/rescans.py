"""Rules for loops that rescan a list per item: a nested-loop join to a dict index built once, a scan for the
partner of a pair (`A[i] + A[j] == 0`) to a dict of positions, and `list.remove` (or `del L[L.index(x)]`) in a
loop to counts and one filtering pass."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.edits import _Edit, _Site, _apply
from suture.agent.optimize.perf_rules.facts import _Func, _is_hashable, _is_name, _walk_region


def _key_of(node, var: str | None = None) -> str | None:
    """The loop variable a join key reads: `v` or `v[CONST]` (one level), else None; with `var`, only that one."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and isinstance(node.slice, ast.Constant) \
            and isinstance(node.slice.value, (int, str)) and not isinstance(node.slice.value, bool):
        node = node.value
    if isinstance(node, ast.Name) and (var is None or node.id == var):
        return node.id
    return None


def _only_inside(ctx: _Func, name: str, region: ast.AST) -> bool:
    """Every reference to `name` in the function is inside `region` (the loop's target is not read after it)."""
    inside = sum(1 for n in _walk_region(region) if _is_name(n, name))
    return inside == sum(1 for n in ctx.nodes if _is_name(n, name))


# nested-loop-join-to-dict: `for b in B: if KA == KB: BODY` inside another loop, where the inner loop's body is
# that one `if` (no elif/else, no else on the loop), KB is `b` or `b[CONST]`, KA is `a` or `a[CONST]` of a name
# other than b, both keys evidently hashable builtins (their == agrees with hashing), a and b of immutable types
# (so no key changes between the index and the test), a not rebound in the inner loop, b not read after it,
# and B a list/tuple stable in the outer loops and bound before them -> B's items grouped by KB in a dict once
# before the outer loop, and the inner loop runs over `index.get(KA, ())`: the same items in B's order. The `if`
# stays, so the items the index yields still pass the same test (a NaN key matches only itself, as before).
# Keys that may raise (`b[0]` of an empty tuple) get a fallback: an index that cannot be built is None and the
# inner loop scans B as before; an empty B skips KA as the original does.
def _nested_join(ctx: _Func) -> Iterator[_Site]:
    for inner in ctx.nodes:
        if not (isinstance(inner, ast.For) and isinstance(inner.target, ast.Name) and isinstance(inner.iter, ast.Name)
                and not inner.orelse and len(inner.body) == 1 and isinstance(inner.body[0], ast.If)
                and not inner.body[0].orelse):
            continue
        ctx.evidence_used = set()
        b, seq, test = inner.target.id, inner.iter.id, inner.body[0].test
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
            continue
        sides = (test.left, test.comparators[0])
        if _key_of(sides[1], b) is not None and _key_of(sides[0], b) is None:
            sides = sides[::-1]
        kb, ka = sides
        a = _key_of(ka)
        if _key_of(kb, b) is None or a is None or a == b or a == seq:
            continue
        if b in ctx.params or b in ctx.declared or b in ctx.nested_refs or a in ctx.declared or a in ctx.nested_refs:
            continue
        if not (_is_hashable(ctx.type_of(kb)) and _is_hashable(ctx.type_of(ka))
                and _is_hashable(ctx.type_of(ast.Name(id=b))) and _is_hashable(ctx.type_of(ast.Name(id=a)))):
            continue
        t = ctx.type_of(inner.iter)
        if not (isinstance(t, tuple) and t[0] in ("list", "tuple")):
            continue
        if any(kind == "assign" for kind, _ in ctx.uses(a, inner)) or not _only_inside(ctx, b, inner):
            continue
        where = ctx.hoist_loop(inner.iter, {seq})
        if where is None:
            continue
        site = _join_site(ctx, inner, where[1], seq, kb, ka)
        if site is not None:
            site.evidence_names = set(ctx.evidence_used)
            yield site


def _join_site(ctx: _Func, inner: ast.For, stmt: ast.stmt, seq: str, kb, ka) -> _Site | None:
    index, item = ctx.m.fresh(f"_{seq}_by_key"), ctx.m.fresh(f"_{seq}_item")
    item_key = item if isinstance(kb, ast.Name) else f"{item}[{ctx.m.text(kb.slice)}]"
    # Types a sampled run showed are not a proof: an input outside the sample (B not iterable, a shorter
    # tuple) must still behave as the scan did, so the index keeps its fallback unless the code alone
    # fixes every type the keys rely on.
    may_raise = not (_cannot_raise(ctx, kb) and _cannot_raise(ctx, ka)) or bool(ctx.evidence_used)
    build = [f"{index} = {{}}", f"for {item} in {seq}:", f"    {index}.setdefault({item_key}, []).append({item})"]
    if may_raise:  # a key that fails to build (an IndexError, a KeyError): the loop scans as before
        build = [build[0], "try:", *("    " + line for line in build[1:]),
                 "except (LookupError, TypeError):", f"    {index} = None"]
    indent = ctx.m.indent(stmt)
    insert = ctx.m.insert_before(stmt, f"\n{indent}".join(build))
    if insert is None:
        return None
    looked_up = f"{index}.get({ctx.m.text(ka)}, ())"
    if may_raise:
        looked_up = f"({looked_up} if {index} else {seq})"
    return _Site("nested-loop-join-to-dict", inner.lineno,
                 f"nested loop join on `{ctx.m.text(inner.body[0].test)}` looks up a dict index of `{seq}` built once",
                 [insert, ctx.m.replace(inner.iter, looked_up)])


def _cannot_raise(ctx: _Func, key) -> bool:
    """A key is the loop variable itself, or an in-range constant index of a tuple whose length its type fixes."""
    if isinstance(key, ast.Name):
        return True
    t = ctx.type_of(key.value)
    index = key.slice.value
    return isinstance(t, tuple) and t[0] == "tuple" and len(t) == 3 and isinstance(index, int) \
        and -len(t[2]) <= index < len(t[2])


# list-remove-to-filter: `L.remove(x)` / `del L[L.index(x)]` statements in a for loop, x a name or constant,
# L a list of evidently hashable items and x evidently hashable, L otherwise only tested with `y in L` /
# `y not in L` in the loop, L bound before it and not rebound in it -> a Counter of L's items built before the
# loop answers the tests and counts the removals, and one pass after the loop (in a `finally`, so an exception
# or a return leaves L as the removals so far left it) deletes the first n equal items of each removed value,
# in place: the same list. A removal of a value not left raises the same ValueError (`[].remove(x)`). The loop
# must not see L change under it: its iterable is not L itself nor a lazy view of it (a copy like `list(L)` is
# fine), and where L is not a local nobody else holds, the loop calls nothing opaque and reads no other name
# that might be the same list.
_COPIES = {"list", "tuple", "sorted", "set", "frozenset"}


def _list_remove(ctx: _Func) -> Iterator[_Site]:
    done: set[int] = set()
    for node in ctx.nodes:
        found = _removal(node)
        if found is None:
            continue
        name, _ = found
        loops = ctx.loop_ancestors(node)
        if not loops or not isinstance(loops[0], ast.For) or id(loops[0]) in done:
            continue  # the innermost loop: a for, whose items the removals follow
        loop = loops[0]
        ctx.evidence_used = set()
        site = _removal_site(ctx, loop, name)
        if site is not None:
            done.add(id(loop))
            site.evidence_names = set(ctx.evidence_used)
            yield site


def _removal(node) -> tuple[str, ast.AST] | None:
    """(L, x) of a statement `L.remove(x)` or `del L[L.index(x)]`, x a name or a constant."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        call = node.value
        if isinstance(call.func, ast.Attribute) and call.func.attr == "remove" and _is_name(call.func.value) \
                and len(call.args) == 1 and not call.keywords and isinstance(call.args[0], (ast.Name, ast.Constant)):
            return call.func.value.id, call.args[0]
    if isinstance(node, ast.Delete) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
        target = node.targets[0]
        call = target.slice
        if _is_name(target.value) and isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                and call.func.attr == "index" and _is_name(call.func.value, target.value.id) and len(call.args) == 1 \
                and not call.keywords and isinstance(call.args[0], (ast.Name, ast.Constant)):
            return target.value.id, call.args[0]
    return None


def _removal_site(ctx: _Func, loop: ast.For, name: str) -> _Site | None:
    t = ctx.type_of(ast.Name(id=name))
    if not (isinstance(t, tuple) and t[0] == "list" and _is_hashable(t[1])):
        return None
    if name in ctx.declared or name in ctx.nested_refs or not ctx.bound_before(name, loop) \
            or not ctx.in_block(loop) or not ctx.m.starts_line(loop) or loop.end_lineno is None:
        return None
    counts, dropped = ctx.m.fresh(f"_{name}_left"), ctx.m.fresh(f"_{name}_dropped")
    edits: list[_Edit] = []
    for node in _walk_region(loop.iter):
        if _is_name(node, name):
            copy = ctx.m.parents.get(node)
            if not (loop.iter is copy and isinstance(copy, ast.Call) and _is_name(copy.func) and copy.func.id in _COPIES
                    and ctx.is_builtin(copy.func.id) and copy.args == [node] and not copy.keywords):
                return None  # iterating L itself (or a lazy view of it) while it shrinks
    for stmt in [*loop.body, *loop.orelse]:
        for node in _walk_region(stmt):
            if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
                return None  # the caller could look at L between two items
            if not _is_name(node, name):
                continue
            edit = _removal_edit(ctx, node, name, counts, dropped)
            if edit is None:
                return None
            if edit.text:
                edits.append(edit)
    if not edits or not any(e.text.startswith("[]") for e in edits) or not _unaliased(ctx, loop, name):
        return None
    return _wrap_loop(ctx, loop, name, counts, dropped, edits)


def _removal_edit(ctx: _Func, node: ast.Name, name: str, counts: str, dropped: str) -> _Edit | None:
    """The edit of one reference to L in the loop: a removal or a membership test; None when it is neither.
    A reference inside a removal already rewritten (the `L.index` of `del L[L.index(x)]`) gives an empty edit."""
    stmt = ctx.statement_of(node)
    found = _removal(stmt)
    if found is not None and found[0] == name:
        value = found[1]
        if not _is_hashable(ctx.type_of(value)):
            return None
        if node is not (stmt.value.func.value if isinstance(stmt, ast.Expr) else stmt.targets[0].value):
            return _Edit(0, 0, "")
        x = ctx.m.text(value)
        fail = "remove" if isinstance(stmt, ast.Expr) else "index"  # the ValueError each raises when x is not there
        return ctx.m.replace(stmt, f"[].{fail}({x}) if not {counts}[{x}] else "
                                   f"({counts}.subtract(({x},)), {dropped}.update(({x},)))")
    test = ctx.m.parents.get(node)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.In, ast.NotIn)) \
            and test.comparators[0] is node and _is_hashable(ctx.type_of(test.left)):
        compare = ">" if isinstance(test.ops[0], ast.In) else "<="
        return ctx.m.replace(test, f"{counts}[{ctx.m.text(test.left)}] {compare} 0")
    return None


def _unaliased(ctx: _Func, loop: ast.For, name: str) -> bool:
    """Nothing in the loop can see L under another name: L is a local nobody else holds, or the loop calls
    nothing opaque and every other name it reads is of a type that cannot be a list."""
    if ctx.never_escapes(name):
        return True
    if ctx.opaque_calls(loop):
        return False
    for node in _walk_region(loop):
        if isinstance(node, ast.Name) and node.id != name and isinstance(node.ctx, ast.Load) \
                and not ctx.is_builtin(node.id):
            t = ctx.type_of(node)
            if (t is None or (isinstance(t, tuple) and t[0] in ("list", "iter"))) and not ctx.never_escapes(node.id):
                return False
    return True


def _wrap_loop(ctx: _Func, loop: ast.For, name: str, counts: str, dropped: str, edits: list[_Edit]) -> _Site | None:
    """The loop inside `try: ... finally:` (re-indented) with its edits, the counts before it, the filter after."""
    for node in _walk_region(loop):
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and getattr(node, "end_lineno", node.lineno) != node.lineno:
            return None  # a multi-line string: re-indenting would change it
    imported = ctx.m.need_import("collections", "Counter")
    if imported is None:
        return None
    counter, import_edits = imported
    start = ctx.m.line_starts[loop.lineno - 1]
    end = ctx.m.offset(loop.end_lineno, loop.end_col_offset)
    rest = ctx.m.source[end:ctx.m.line_starts[loop.end_lineno] if loop.end_lineno < len(ctx.m.line_starts)
                        else len(ctx.m.source)]
    if rest.strip() and not rest.strip().startswith("#"):
        return None
    body = _apply(ctx.m.source[start:end], [_Edit(e.start - start, e.end - start, e.text) for e in edits])
    indent = ctx.m.indent(loop)
    kept, item = ctx.m.fresh(f"_{name}_kept"), ctx.m.fresh(f"_{name}_item")
    body_lines = range(3, 3 + body.count("\n") + 1)  # already indented: they keep theirs, plus one level
    lines = [f"{counts} = {counter}({name})", f"{dropped} = {counter}()", "try:",
             *[("    " + line if line.strip() else line) for line in body.split("\n")],
             "finally:", f"    if {dropped}:", f"        {kept} = []", f"        for {item} in {name}:",
             f"            if {dropped}[{item}]:", f"                {dropped}[{item}] -= 1",
             "            else:", f"                {kept}.append({item})", f"        {name}[:] = {kept}"]
    text = "\n".join(line if i in body_lines else (indent + line) for i, line in enumerate(lines))
    return _Site("list-remove-to-filter", loop.lineno,
                 f"`{name}.remove(...)` in a loop counts the removals and filters `{name}` once after it",
                 [_Edit(start, end, text)] + import_edits)


# pair-scan-to-index: `for J in range(START, len(A)):` (or `range(len(A))`, or `range(.., n)` with n bound once
# to `len(A)` and A read-only in the whole function) whose body is one `if TEST:` without else (no else on the
# loop), inside another loop, where TEST is `A[J] == K` or `A[J] + P == K` / `P + A[J] == K` (either side first),
# A a list/tuple stable in the enclosing loops and bound before them, J bound by this loop only and read nowhere
# else, and P and K neither fail nor change while the inner loop runs, so they can be evaluated once before it:
# constants, locals bound before the inner loop and not rebound in it, `X[I]` with I an enclosing loop's index
# over X (`range(len(X))`, `enumerate(X)`, X stable there), and + - * and unary minus of those. The plain form
# needs evidently hashable builtin keys (== agrees with hashing); the sum form needs ints throughout
# (`A[J] + P == K` exactly when `A[J] == K - P`, which floats' rounding breaks). START is absent, a non-negative
# int constant, or `I` / `I + c` (c a non-negative int) of a loop index I. -> A's positions grouped by value in a
# dict built once before the outer loop; the inner loop runs over the positions holding the key, from START on
# (bisect): the same J, in the same ascending order, as those for which the test can hold. The `if` stays.
def _pair_scan(ctx: _Func) -> Iterator[_Site]:
    for inner in ctx.nodes:
        if not (isinstance(inner, ast.For) and isinstance(inner.target, ast.Name) and not inner.orelse
                and len(inner.body) == 1 and isinstance(inner.body[0], ast.If) and not inner.body[0].orelse):
            continue
        ctx.evidence_used = set()
        j = inner.target.id
        if j in ctx.params or j in ctx.declared or j in ctx.nested_refs or len(ctx.bindings.get(j, ())) != 1 \
                or not _only_inside(ctx, j, inner):
            continue
        bounds = _range_of_positions(ctx, inner)
        if bounds is None:
            continue
        seq, start = bounds
        t = ctx.type_of(ast.Name(id=seq, ctx=ast.Load()))
        if not (isinstance(t, tuple) and t[0] in ("list", "tuple")):
            continue
        key = _pair_key(ctx, inner, inner.body[0].test, seq, j)
        where = ctx.hoist_loop(inner.iter, {seq}) if key is not None else None
        if where is None or not ctx.m.starts_line(inner):
            continue
        site = _pair_site(ctx, inner, where[1], seq, key, start)
        if site is not None:
            site.evidence_names = set(ctx.evidence_used)
            yield site


def _range_of_positions(ctx: _Func, inner: ast.For) -> tuple[str, ast.AST | None] | None:
    """(A, START or None) of `range([START,] len(A))` (or `n` bound once to `len(A)`) when START >= 0 for sure."""
    call = inner.iter
    if not (isinstance(call, ast.Call) and _is_name(call.func, "range") and ctx.is_builtin("range")
            and not call.keywords and 1 <= len(call.args) <= 2):
        return None
    stop, start = call.args[-1], (call.args[0] if len(call.args) == 2 else None)
    seq = _len_of(ctx, stop)
    if seq is None and _is_name(stop) and stop.id not in ctx.params and len(ctx.bindings.get(stop.id, ())) == 1:
        binding = ctx.bindings[stop.id][0]
        if isinstance(binding, ast.Assign) and len(binding.targets) == 1 and _is_name(binding.targets[0], stop.id) \
                and ctx.bound_before(stop.id, inner):
            seq = _len_of(ctx, binding.value)
            if seq is not None and not (ctx.stable(seq, ctx.fn) and ctx.bound_before(seq, binding)):
                seq = None  # A may have grown or shrunk since n was taken
    if seq is None or not (start is None or _non_negative(ctx, start, inner)):
        return None
    return seq, start


def _len_of(ctx: _Func, node) -> str | None:
    if isinstance(node, ast.Call) and _is_name(node.func, "len") and ctx.is_builtin("len") and not node.keywords \
            and len(node.args) == 1 and _is_name(node.args[0]):
        return node.args[0].id
    return None


def _non_negative(ctx: _Func, node, inner: ast.For) -> bool:
    """A non-negative int constant, or `I` / `I + c` of an enclosing loop's index I."""
    if isinstance(node, ast.Constant):
        return type(node.value) is int and node.value >= 0
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = [node.left, node.right]
        return any(_is_name(p) and _index_loop(ctx, p.id, inner) for p in parts) \
            and any(isinstance(p, ast.Constant) and type(p.value) is int and p.value >= 0 for p in parts)
    return _is_name(node) and _index_loop(ctx, node.id, inner) is not None


def _index_loop(ctx: _Func, name: str, inner: ast.For) -> tuple[ast.For, str | None] | None:
    """(the enclosing loop, X or None) when `name` is bound only as that loop's index: `for name in range(X)`,
    `range(c, X)` (c >= 0), `for name, _ in enumerate(X)`; X named when the index runs over X's positions."""
    if name in ctx.params or name in ctx.declared or name in ctx.nested_refs or len(ctx.bindings.get(name, ())) != 1:
        return None
    loop = ctx.bindings[name][0]
    if not (isinstance(loop, ast.For) and loop in ctx.loop_ancestors(inner)):
        return None
    call = loop.iter
    if not (isinstance(call, ast.Call) and _is_name(call.func) and ctx.is_builtin(call.func.id) and not call.keywords):
        return None
    if call.func.id == "enumerate" and len(call.args) == 1 and isinstance(loop.target, ast.Tuple) \
            and len(loop.target.elts) == 2 and _is_name(loop.target.elts[0], name):
        return loop, (call.args[0].id if _is_name(call.args[0]) else None)
    if call.func.id == "range" and _is_name(loop.target, name) and 1 <= len(call.args) <= 2 and (
            len(call.args) == 1 or (isinstance(call.args[0], ast.Constant) and type(call.args[0].value) is int
                                    and call.args[0].value >= 0)):
        return loop, _len_of(ctx, call.args[-1])
    return None


def _pair_key(ctx: _Func, inner: ast.For, test, seq: str, j: str) -> str | None:
    """The text of the value A[J] must equal for the test to hold, or None when the test is not of the form."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return None
    sides = [test.left, test.comparators[0]]
    with_j = [s for s in sides if any(_is_name(n, j) for n in ast.walk(s))]
    if len(with_j) != 1:
        return None
    keyed, other = with_j[0], sides[1 - sides.index(with_j[0])]

    def at_j(node) -> bool:
        return isinstance(node, ast.Subscript) and _is_name(node.value, seq) and _is_name(node.slice, j)

    if at_j(keyed):
        if not (_is_hashable(ctx.type_of(keyed)) and _is_hashable(ctx.type_of(other))):
            return None
        return ctx.m.text(other) if _early(ctx, other, inner) else None
    if not (isinstance(keyed, ast.BinOp) and isinstance(keyed.op, ast.Add)):
        return None
    if at_j(keyed.left) == at_j(keyed.right):
        return None
    found, plus = (keyed.left, keyed.right) if at_j(keyed.left) else (keyed.right, keyed.left)
    if not all(ctx.type_of(n) in ("int", "bool") for n in (found, plus, other)):
        return None
    if not (_early(ctx, plus, inner) and _early(ctx, other, inner)):
        return None
    if isinstance(other, ast.Constant) and other.value == 0:
        return f"-{ctx.m.atom(plus)}"
    return f"{ctx.m.atom(other)} - {ctx.m.atom(plus)}"


def _early(ctx: _Func, node, inner: ast.For) -> bool:
    """`node` can be evaluated once before `inner` runs: it cannot fail there and nothing in `inner` changes it."""
    if isinstance(node, ast.Constant):
        return node.value is not Ellipsis
    if isinstance(node, ast.Name):
        name = node.id
        if name in ctx.declared or name in ctx.nested_refs or ctx.is_builtin(name) or name not in (
                set(ctx.params) | set(ctx.bindings)):
            return False
        return ctx.bound_before(name, inner) and not any(kind == "assign" for kind, _ in ctx.uses(name, inner))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        return ctx.type_of(node) in ("int", "bool", "str") and _early(ctx, node.left, inner) \
            and _early(ctx, node.right, inner)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return ctx.type_of(node.operand) in ("int", "bool") and _early(ctx, node.operand, inner)
    if isinstance(node, ast.Subscript) and _is_name(node.value) and _is_name(node.slice) \
            and isinstance(node.ctx, ast.Load):
        found = _index_loop(ctx, node.slice.id, inner)
        t = ctx.type_of(node.value)
        return found is not None and found[1] == node.value.id and isinstance(t, tuple) and t[0] in ("list", "tuple") \
            and ctx.stable(node.value.id, found[0]) and _early(ctx, node.slice, inner)
    return False


def _pair_site(ctx: _Func, inner: ast.For, stmt: ast.stmt, seq: str, key: str, start) -> _Site | None:
    index, pos, item = ctx.m.fresh(f"_{seq}_at"), ctx.m.fresh(f"_{seq}_pos"), ctx.m.fresh(f"_{seq}_item")
    hits = ctx.m.fresh(f"_{seq}_hits")
    edits = []
    looped = hits
    if start is not None:
        imported = ctx.m.need_import("bisect", "bisect_left")
        if imported is None:
            return None
        bisect_left, edits = imported
        looped = f"{hits}[{bisect_left}({hits}, {ctx.m.text(start)}):]"
    lines = [f"{index} = {{}}", f"for {pos}, {item} in enumerate({seq}):",
             f"    {index}.setdefault({item}, []).append({pos})"]
    build = ctx.m.insert_before(stmt, f"\n{ctx.m.indent(stmt)}".join(lines))
    lookup = ctx.m.insert_before(inner, f"{hits} = {index}.get({key}, ())")
    if build is None or lookup is None:
        return None
    return _Site("pair-scan-to-index", inner.lineno,
                 f"pair scan on `{ctx.m.text(inner.body[0].test)}` visits only the positions of `{seq}` holding the "
                 "matching value (a dict of positions built once)",
                 [*edits, build, lookup, ctx.m.replace(inner.iter, looped)])
