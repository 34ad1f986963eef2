"""Strings and bytes built piece by piece in a loop that also reads their length, or bytes at all.

perf_rules/loops.py's str-concat-to-join takes a str that nothing else in the loop reads. Two shapes
it leaves are common in library code that writes binary formats (polib's .mo writer: `offsets.append(
(len(ids), ...)); ids += msgid + b"\\0"`): the accumulator is `bytes`, which has no in-place append in
CPython (each `+=` copies the whole buffer), and the loop reads `len(acc)` for an offset table.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.edits import _Site
from suture.agent.optimize.perf_rules.facts import _Func, _is_name, _walk_region
from suture.agent.optimize.perf_rules.loops import _guarded_by_try

_EMPTY = {"str": '""', "bytes": 'b""'}


# concat-to-join-running-length: in a for/while loop, `s += piece` / `s = s + p1 + p2` statements
# (each alone on its line in a block) where s is evidently a str or bytes and every piece evidently
# the same type and reads no s, and every other reference to s in the loop is `len(s)` (the builtin),
# the loop in no try (nor a with other than open()), s no global/nonlocal/closure name, the loop
# holding a `len(s)` or s bytes (a str that nothing reads is str-concat-to-join's) -> the pieces
# appended to a list, `len(s)` read from a running count that starts at len(s) and grows by each
# piece's length (len(a + b) == len(a) + len(b) for two str or two bytes), and `s += EMPTY.join(parts)`
# after the loop. Every accumulator of the loop that qualifies goes in one rewrite.
def _concat_running_length(ctx: _Func) -> Iterator[_Site]:
    if not ctx.is_builtin("len"):
        return
    by_loop: dict[int, tuple[ast.AST, list]] = {}
    seen: set[str] = set()
    for node in ctx.nodes:
        name = _acc_name(node)
        if name is None or name in seen:
            continue
        seen.add(name)
        ctx.evidence_used = set()
        kind = ctx.type_of(ast.Name(id=name, ctx=ast.Load()))
        if kind not in _EMPTY or name in ctx.declared or name in ctx.nested_refs:
            continue
        chosen = None
        for loop in ctx.loop_ancestors(node):
            if not isinstance(loop, (ast.For, ast.While)):
                break
            found = _sites_in(ctx, loop, name, kind)
            if found is None or not ctx.in_block(loop) or not ctx.m.starts_line(loop):
                break
            chosen = (loop, found)
        if chosen is None or _guarded_by_try(ctx, chosen[0]):
            continue
        loop, (concats, lens) = chosen
        if kind == "str" and not lens:
            continue
        by_loop.setdefault(id(loop), (loop, []))[1].append((name, kind, concats, lens, set(ctx.evidence_used)))
    for loop, accs in by_loop.values():
        site = _rewrite(ctx, loop, accs)
        if site is not None:
            yield site


def _rewrite(ctx: _Func, loop, accs) -> _Site | None:
    indent = ctx.m.indent(loop)
    before, after, edits, used = [], [], [], set()
    for name, kind, concats, lens, facts in accs:
        parts = ctx.m.fresh(f"_{name}_parts")
        before.append(f"{parts} = []")
        count = ctx.m.fresh(f"_{name}_len") if lens else None
        if count:
            before.append(f"{count} = len({name})")
        after.append(f"{name} += {_EMPTY[kind]}.join({parts})")
        for stmt, pieces in concats:
            text = ctx.m.text(pieces[0]) if len(pieces) == 1 else " + ".join(ctx.m.atom(p) for p in pieces)
            if count is None:
                edits.append(ctx.m.replace(stmt, f"{parts}.append({text})"))
                continue
            piece = ctx.m.fresh(f"_{name}_piece")
            pad = "\n" + ctx.m.indent(stmt)
            edits.append(ctx.m.replace(stmt, f"{piece} = {text}{pad}{parts}.append({piece}){pad}{count} += len({piece})"))
        edits += [ctx.m.replace(call, count) for call in lens]
        used |= facts
    first = ctx.m.insert_before(loop, f"\n{indent}".join(before))
    last = ctx.m.insert_after(loop, f"\n{indent}".join(after))
    if first is None or last is None:
        return None
    names = ", ".join(f"`{a[0]}`" for a in accs)
    site = _Site("concat-to-join-running-length", loop.lineno,
                 f"{names} built by repeated concatenation in a loop (its length read as it grows) is joined once "
                 "after the loop, the length kept in a running count", [first, last] + edits)
    site.evidence_names = used
    return site


def _acc_name(node) -> str | None:
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
        return node.target.id
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
            and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.Add):
        return node.targets[0].id
    return None


def _pieces(ctx: _Func, node, name: str, kind: str) -> list | None:
    """The pieces `node` adds to `name` when it is a concatenation statement of it, else None."""
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and _is_name(node.target, name):
        pieces = [node.value]
    elif isinstance(node, ast.Assign) and len(node.targets) == 1 and _is_name(node.targets[0], name):
        chain, cur = [], node.value
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, ast.Add):
            chain.append(cur.right)
            cur = cur.left
        if not (_is_name(cur, name) and chain):
            return None
        pieces = chain[::-1]
    else:
        return None
    if not all(ctx.type_of(p) == kind for p in pieces):
        return None
    if any(_is_name(n, name) for p in pieces for n in ast.walk(p)):
        return None
    return pieces


def _sites_in(ctx: _Func, loop, name: str, kind: str):
    """(concatenation statements with their pieces, `len(name)` calls) in loop, or None when name is used otherwise."""
    concats, lens, covered = [], [], set()
    for node in _walk_region(loop):
        if not isinstance(node, ast.stmt):
            continue
        pieces = _pieces(ctx, node, name, kind)
        if pieces is None:
            continue
        if not (ctx.in_block(node) and ctx.m.starts_line(node)):
            return None
        concats.append((node, pieces))
        covered.add(id(node))
    for node in _walk_region(loop):
        if not _is_name(node, name):
            continue
        call = ctx.m.parents.get(node)
        if isinstance(call, ast.Call) and _is_name(call.func, "len") and call.args == [node] and not call.keywords:
            lens.append(call)
        elif id(ctx.statement_of(node)) not in covered:
            return None
    return (concats, lens) if concats else None
