"""Rules on loop bodies: string concatenation to join, loop-invariant calls hoisted, regexes compiled once,
append loops to comprehensions, int modulo by a power of two to a bit mask."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.edits import _Edit, _Site
from suture.agent.optimize.perf_rules.facts import _STR_TO_STR, _Func, _is_hashable, _is_name, _walk_region


# str-concat-to-join: `s += piece` / `s = s + p1 + p2` in a loop, s evidently a str, every piece
# evidently a str, no other reference to s anywhere in the loop, the loop not inside a try (or a
# with other than open()) so nothing can observe s half-built -> pieces appended to a list before
# the loop and `s += "".join(parts)` after it.
def _str_concat(ctx: _Func) -> Iterator[_Site]:
    done: set[tuple] = set()
    for node in ctx.nodes:
        name, pieces = _concat_site(ctx, node)
        if name is None or ctx.types.get(name) != "str" or name in ctx.declared or name in ctx.nested_refs:
            continue
        loops = [l for l in ctx.loop_ancestors(node) if isinstance(l, (ast.For, ast.While))]
        chosen = None
        for loop in loops:
            sites = _concat_sites_in(ctx, loop, name)
            if sites is None or not ctx.in_block(loop) or not ctx.m.starts_line(loop):
                break
            chosen = (loop, sites)
        if chosen is None or _guarded_by_try(ctx, chosen[0]):
            continue
        loop, sites = chosen
        if (name, id(loop)) in done:
            continue
        done.add((name, id(loop)))
        parts = ctx.m.fresh(f"_{name}_parts")
        before = ctx.m.insert_before(loop, f"{parts} = []")
        after = ctx.m.insert_after(loop, f'{name} += "".join({parts})')
        if before is None or after is None:
            continue
        edits = [before, after]
        for stmt, pieces in sites:
            piece = ctx.m.text(pieces[0]) if len(pieces) == 1 else " + ".join(ctx.m.atom(p) for p in pieces)
            edits.append(ctx.m.replace(stmt, f"{parts}.append({piece})"))
        yield _Site("str-concat-to-join", loop.lineno,
                    f"string `{name}` built by repeated concatenation in a loop is joined once", edits)


def _concat_site(ctx: _Func, node) -> tuple[str | None, list]:
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
        pieces = [node.value]
        name = node.target.id
    elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        name = node.targets[0].id
        chain, cur = [], node.value
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, ast.Add):
            chain.append(cur.right)
            cur = cur.left
        if not (_is_name(cur, name) and chain):
            return None, []
        pieces = chain[::-1]
    else:
        return None, []
    if not all(ctx.type_of(p) == "str" for p in pieces):
        return None, []
    if any(_is_name(n, name) for p in pieces for n in ast.walk(p)):
        return None, []
    return name, pieces


def _concat_sites_in(ctx: _Func, loop, name):
    sites = []
    concat_nodes = set()
    for node in _walk_region(loop):
        n, pieces = _concat_site(ctx, node)
        if n == name:
            if not (ctx.in_block(node) and ctx.m.starts_line(node)):
                return None
            sites.append((node, pieces))
            concat_nodes.add(id(node))
    for node in _walk_region(loop):
        if isinstance(node, ast.Name) and node.id == name:
            stmt = ctx.statement_of(node)
            if id(stmt) not in concat_nodes:
                return None
    return sites or None


def _guarded_by_try(ctx: _Func, node) -> bool:
    cur = ctx.m.parents.get(node)
    while cur is not None and cur is not ctx.fn:
        if isinstance(cur, (ast.Try, ast.TryStar)):
            return True
        if isinstance(cur, (ast.With, ast.AsyncWith)):
            for item in cur.items:
                e = item.context_expr
                if not (isinstance(e, ast.Call) and _is_name(e.func, "open") and ctx.is_builtin("open")):
                    return True
        cur = ctx.m.parents.get(cur)
    return False


# hoist-invariant-call: a call re-run by a loop that cannot raise and has no effect, whose argument
# is stable in the loop and bound before it: len(L) of a list/tuple/str/dict/set, sorted(L) of
# str/int elements, set(L)/frozenset(L) of hashable elements, tuple(L), sum(L) of ints, min(L)/max(L)
# of a list/tuple of str/int/float/bytes (guarded by `if L`, since they raise on an empty one), and
# no-argument str methods of a str -> computed once before the loop. A result that is a mutable
# container is hoisted only where the loop just reads it (iterates, tests membership, indexes).
_HOIST_SEQUENCE = ("list", "tuple", "set", "dict")
_READ_ONLY_PARENTS = (ast.Compare, ast.For, ast.comprehension, ast.Subscript)


def _hoistable(ctx: _Func, call: ast.Call) -> str | None:
    if call.keywords or len(call.args) > 1:
        return None
    if isinstance(call.func, ast.Name) and len(call.args) == 1 and _is_name(call.args[0]) and ctx.is_builtin(call.func.id):
        t = ctx.type_of(call.args[0])
        kind = t[0] if isinstance(t, tuple) else t
        elem = t[1] if isinstance(t, tuple) else ("str" if t == "str" else None)
        name = call.func.id
        if name == "len" and (kind in _HOIST_SEQUENCE or kind == "str"):
            return "immutable"
        if name == "sorted" and kind in _HOIST_SEQUENCE + ("str",) and elem in ("str", "int", "float", "bytes"):
            return "mutable"
        if name in ("set", "frozenset") and kind in _HOIST_SEQUENCE + ("str",) and _is_hashable(elem):
            return "mutable" if name == "set" else "immutable"
        if name == "tuple" and kind in _HOIST_SEQUENCE + ("str",):
            return "immutable"
        if name == "sum" and kind in _HOIST_SEQUENCE and elem in ("int", "bool"):
            return "immutable"
        if name in ("min", "max") and kind in ("list", "tuple") and elem in ("str", "int", "float", "bytes"):
            return "nonempty"  # raises on an empty sequence: hoisted behind a truth test (below)
        return None
    if (isinstance(call.func, ast.Attribute) and not call.args and _is_name(call.func.value)
            and ctx.type_of(call.func.value) == "str" and call.func.attr in _STR_TO_STR - {"format", "join", "replace", "translate", "center", "ljust", "rjust", "zfill", "removeprefix", "removesuffix"}):
        return "immutable"
    return None


def _hoist_invariant(ctx: _Func) -> Iterator[_Site]:
    groups: dict[tuple, list] = {}
    for node in ctx.nodes:
        if not isinstance(node, ast.Call):
            continue
        result = _hoistable(ctx, node)
        if result is None or ctx.in_fallback(node):
            continue  # (the fallback this rule leaves behind, `max(L)` of an empty L, stays in the loop)
        if result == "mutable":
            parent = ctx.m.parents.get(node)
            read_only = (isinstance(parent, ast.Compare) and node in parent.comparators) or \
                (isinstance(parent, (ast.For, ast.comprehension)) and parent.iter is node) or \
                (isinstance(parent, ast.Subscript) and parent.value is node and isinstance(parent.ctx, ast.Load)) or \
                (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id in ("len", "min", "max", "sum", "any", "all") and ctx.is_builtin(parent.func.id))
            if not read_only:
                continue
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - {node.func.id if isinstance(node.func, ast.Name) else ""}
        where = ctx.hoist_loop(node, names)
        if where is None:
            continue
        groups.setdefault((ast.dump(node), id(where[1])), []).append((node, where))
    for (_, _), sites in groups.items():
        node, (loop, stmt) = sites[0]
        text = ctx.m.text(node)
        base = "_" + "_".join(re.findall(r"\w+", text))
        alias = ctx.m.fresh(base[:40])
        used = alias
        if _hoistable(ctx, node) == "nonempty":
            # min/max of an empty sequence raise ValueError: computed once only when there are items,
            # and where there are none the loop still calls it and raises as before.
            seq = ctx.m.text(node.args[0])
            insert = ctx.m.insert_before(stmt, f"{alias} = {text} if {seq} else None")
            used = f"({alias} if {seq} else {text})"
        else:
            insert = ctx.m.insert_before(stmt, f"{alias} = {text}")
        if insert is None:
            continue
        edits = [insert] + [ctx.m.replace(n, used) for n, _ in sites]
        cheap = isinstance(node.func, ast.Name) and node.func.id == "len"
        yield _Site("hoist-invariant-call", node.lineno, f"loop-invariant `{text}` is computed once before the loop",
                    edits, weight=0 if cheap else 1)


# regex-compile-to-module: re.compile/match/search/fullmatch/findall/finditer/sub/subn/split with a
# constant pattern (that compiles now) and constant flags (by keyword for the module functions), `re`
# a plain top-level import never rebound, the other arguments mapping one-to-one onto the compiled
# pattern's method -> a module-level compiled pattern (import time is when the cache fills anyway).
_RE_POSITIONAL = {"match": 1, "search": 1, "fullmatch": 1, "findall": 1, "finditer": 1, "sub": 3, "subn": 3, "split": 2}
_RE_KEYWORDS = {"match": set(), "search": set(), "fullmatch": set(), "findall": set(), "finditer": set(),
                "sub": {"count"}, "subn": {"count"}, "split": {"maxsplit"}}


def _regex_module(ctx: _Func) -> Iterator[_Site]:
    if not ctx.m.imported_module("re") or "re" in ctx.bindings or "re" in ctx.params:
        return
    at = ctx.m.module_insert_point()
    if at is None:
        return
    for node in ctx.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_name(node.func.value, "re")):
            continue
        op = node.func.attr
        if op != "compile" and op not in _RE_POSITIONAL:
            continue
        if not node.args or not (isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, (str, bytes))):
            continue
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            continue
        flags_node = None
        rest_kw = []
        if op == "compile":
            if len(node.args) == 2 and not node.keywords:
                flags_node = node.args[1]
            elif len(node.args) == 1 and all(k.arg == "flags" for k in node.keywords):
                flags_node = node.keywords[0].value if node.keywords else None
            else:
                continue
        else:
            if len(node.args) - 1 > _RE_POSITIONAL[op]:
                continue
            if any(k.arg != "flags" and k.arg not in _RE_KEYWORDS[op] for k in node.keywords):
                continue
            for k in node.keywords:
                if k.arg == "flags":
                    flags_node = k.value
                else:
                    rest_kw.append(k)
        flags_value = _regex_flags(flags_node)
        if flags_value is None:
            continue
        try:
            re.compile(node.args[0].value, flags_value)
        except (re.error, TypeError, ValueError, OverflowError):
            continue
        const = ctx.m.fresh(f"_{ctx.fn.name.upper()}_RE")
        pattern = ctx.m.text(node.args[0])
        flags_text = f", {ctx.m.text(flags_node)}" if flags_node is not None else ""
        define = _Edit(at, at, f"{const} = re.compile({pattern}{flags_text})\n")
        if op == "compile":
            call = const
        else:
            args = [ctx.m.text(a) for a in node.args[1:]] + [f"{k.arg}={ctx.m.text(k.value)}" for k in rest_kw]
            call = f"{const}.{op}({', '.join(args)})"
        yield _Site("regex-compile-to-module", node.lineno,
                    f"regular expression {pattern[:40]} is compiled once at module level", [define, ctx.m.replace(node, call)])


def _regex_flags(node) -> int | None:
    if node is None:
        return 0
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Attribute) and _is_name(node.value, "re") and node.attr.isupper() and node.attr not in ("L", "LOCALE"):
        value = getattr(re, node.attr, None)
        return int(value) if isinstance(value, (int, re.RegexFlag)) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _regex_flags(node.left), _regex_flags(node.right)
        return None if left is None or right is None else left | right
    return None




# append-loop-to-comprehension: `out = []` directly followed (same block) by `for T in IT:` whose body is only
# `out.append(E)`, or `if C: out.append(E)` without else, and no else on the loop, where out is a plain local
# (no global/nonlocal, no nested scope reads it) that IT, E and C do not read, T is names read nowhere else in
# the function (a comprehension keeps its variable to itself), the loop holds no nested scope, yield, await or
# walrus, no comment (its text is replaced), and is not inside a try (or a with other than open()) that could
# look at a half-built list after an exception -> `out = [E for T in IT if C]`: the same items in the same
# order from the same evaluations, without a method lookup and call per item.
def _append_comprehension(ctx: _Func) -> Iterator[_Site]:
    for name, init in _list_inits(ctx):
        parent = ctx.m.parents.get(init)
        block = next((getattr(parent, f) for f in ("body", "orelse", "finalbody", "handlers")
                      if isinstance(getattr(parent, f, None), list) and init in getattr(parent, f)), None)
        if block is None or block.index(init) + 1 >= len(block):
            continue
        loop = block[block.index(init) + 1]
        parts = _append_loop(ctx, loop, name)
        if parts is None or _guarded_by_try(ctx, loop) or not ctx.m.starts_line(init):
            continue
        target, iterable, value, test = parts
        start, end = ctx.m.span(init)[0], ctx.m.span(loop)[1]
        rest = ctx.m.lines[loop.end_lineno - 1].encode("utf-8")[loop.end_col_offset:].decode("utf-8", "replace")
        if "#" in ctx.m.source[start:end] or rest.strip():
            continue
        source_iter = ctx.m.text(iterable)
        if not isinstance(iterable, (ast.Name, ast.Call, ast.Attribute, ast.Subscript, ast.List, ast.ListComp)):
            source_iter = f"({source_iter})"
        cond = ""
        if test is not None:
            cond = ctx.m.text(test)
            cond = f" if ({cond})" if isinstance(test, (ast.IfExp, ast.Lambda, ast.NamedExpr)) else f" if {cond}"
        text = f"{name} = [{ctx.m.text(value)} for {ctx.m.text(target)} in {source_iter}{cond}]"
        yield _Site("append-loop-to-comprehension", loop.lineno,
                    f"list `{name}` filled by an append loop is built by a list comprehension", [ctx.m.replace_span(start, end, text)])


def _list_inits(ctx: _Func):
    """(name, statement) of every `name = []` of a plain local."""
    for name, binds in ctx.bindings.items():
        if name in ctx.params or name in ctx.declared or name in ctx.nested_refs:
            continue
        for init in binds:
            if (isinstance(init, ast.Assign) and len(init.targets) == 1 and _is_name(init.targets[0], name)
                    and isinstance(init.value, ast.List) and not init.value.elts):
                yield name, init


def _append_loop(ctx: _Func, loop, name: str):
    """(target, iterable, appended value, filter or None) of `for T in IT: [if C:] name.append(E)`, else None."""
    if not isinstance(loop, ast.For) or loop.orelse or len(loop.body) != 1:
        return None
    stmt, test = loop.body[0], None
    if isinstance(stmt, ast.If):
        if stmt.orelse or len(stmt.body) != 1:
            return None
        stmt, test = stmt.body[0], stmt.test
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute)
            and _is_name(stmt.value.func.value, name) and stmt.value.func.attr == "append"
            and len(stmt.value.args) == 1 and not stmt.value.keywords and not isinstance(stmt.value.args[0], ast.Starred)):
        return None
    value = stmt.value.args[0]
    targets = [loop.target] if isinstance(loop.target, ast.Name) else (
        loop.target.elts if isinstance(loop.target, ast.Tuple) else [])
    if not targets or not all(isinstance(t, ast.Name) for t in targets):
        return None
    names = {t.id for t in targets}
    if name in names or names & (set(ctx.params) | ctx.declared | ctx.nested_refs):
        return None
    for node in ast.walk(loop):
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr, ast.Lambda, ast.FunctionDef,
                             ast.AsyncFunctionDef, ast.ClassDef)):
            return None
    for part in (loop.iter, value, test):
        if part is not None and any(_is_name(n, name) for n in ast.walk(part)):
            return None
    inside = sum(1 for n in ast.walk(loop) if isinstance(n, ast.Name) and n.id in names)
    if inside != sum(1 for n in ctx.nodes if isinstance(n, ast.Name) and n.id in names):
        return None  # the loop variable is read (or bound) elsewhere: after a comprehension it would not be set
    return loop.target, loop.iter, value, test


# int-mod-to-bit-and: `X % C` re-run by a loop, C a power-of-two int constant >= 2, X evidently an int (or a bool)
# -> `X & (C - 1)`: for every int, floor modulo by 2**k is its low k bits (Python's % and & agree on negative ints
# too: -3 % 4 == -3 & 3 == 1), the same int, and neither can raise; `X % 2 == 0` -> `not X & 1`, the same bool.
# A bit mask skips the division (`n % 2 == 0` to `not n & 1` measured 1.2x on a filter loop, Python 3.11).
def _mod_to_and(ctx: _Func) -> Iterator[_Site]:
    for node in ctx.nodes:
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.right, ast.Constant)):
            continue
        c = node.right.value
        if not (type(c) is int and c >= 2 and c & (c - 1) == 0) or not ctx.loop_ancestors(node) \
                or ctx.type_of(node.left) not in ("int", "bool"):
            continue
        left, parent = ctx.m.atom(node.left), ctx.m.parents.get(node)
        if c == 2 and isinstance(parent, ast.Compare) and parent.left is node and len(parent.ops) == 1 \
                and isinstance(parent.ops[0], ast.Eq) and isinstance(parent.comparators[0], ast.Constant) \
                and type(parent.comparators[0].value) is int and parent.comparators[0].value == 0:
            text = f"not {left} & 1"
            bare = _bare_test(ctx, parent)
            yield _Site("int-mod-to-bit-and", node.lineno, f"parity test `{ctx.m.text(parent)}` is a bit test",
                        [ctx.m.replace(parent, text if bare else f"({text})")])
            continue
        text = f"{left} & {c - 1}"
        bare = isinstance(parent, ast.Compare) or _bare_test(ctx, node)
        yield _Site("int-mod-to-bit-and", node.lineno, f"`{ctx.m.text(node)}` of an int is a bit mask",
                    [ctx.m.replace(node, text if bare else f"({text})")])


def _bare_test(ctx: _Func, node: ast.AST) -> bool:
    """`node`'s text can be replaced by an expression of `not`'s precedence or higher without parentheses."""
    parent = ctx.m.parents.get(node)
    if isinstance(parent, (ast.If, ast.While, ast.IfExp)):
        return parent.test is node
    if isinstance(parent, ast.UnaryOp):
        return isinstance(parent.op, ast.Not)
    if isinstance(parent, ast.Subscript):
        return parent.slice is node
    return isinstance(parent, (ast.BoolOp, ast.comprehension, ast.Assign, ast.Return, ast.Expr, ast.keyword,
                               ast.List, ast.Tuple, ast.Assert)) or (
        isinstance(parent, ast.Call) and node in parent.args)
