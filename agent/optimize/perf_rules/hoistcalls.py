"""Loop-invariant calls of the module's own functions, computed once before the loop.

hoist-invariant-call (perf_rules/loops.py) takes builtins only. A library that redefines one (texttable's
module-level `len`) calls it on the same list on every pass of an inner loop; perf_rules/specialise.py
shows when, for the arguments' types, such a call changes nothing, cannot raise and gives one value.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from suture.agent.optimize.perf_rules.edits import _Site
from suture.agent.optimize.perf_rules.facts import HASHABLE_ATOMS, _Func, _is_name


# hoist-invariant-module-call: `f(a, b, ...)` re-run by a loop, f one of the module's own live
# functions (no local of that name), every argument a name stable in the loop and bound before it,
# and for the arguments' types the path f takes only returns a constant, an immutable parameter or
# `param.__len__()` of a sized builtin (so it changes nothing, cannot raise, and gives an immutable
# value that is the same on every pass) -> computed once before the outermost such loop.
def _hoist_module_call(ctx: _Func) -> Iterator[_Site]:
    groups: dict[tuple, list] = {}
    for node in ctx.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args
                and all(_is_name(a) for a in node.args) and ctx.loop_ancestors(node)):
            continue
        ctx.evidence_used = set()
        if ctx.total_call(node) not in HASHABLE_ATOMS:
            continue
        where = ctx.hoist_loop(node, {a.id for a in node.args})
        if where is None:
            continue
        groups.setdefault((ast.dump(node), id(where[1])), []).append((node, where, set(ctx.evidence_used)))
    for sites in groups.values():
        node, (_, stmt), _ = sites[0]
        text = ctx.m.text(node)
        alias = ctx.m.fresh(("_" + "_".join(re.findall(r"\w+", text)))[:40])
        insert = ctx.m.insert_before(stmt, f"{alias} = {text}")
        if insert is None:
            continue
        site = _Site("hoist-invariant-module-call", node.lineno,
                     f"loop-invariant `{text}` (the module's own `{node.func.id}`, which for these argument types "
                     "only reads them) is computed once before the loop",
                     [insert] + [ctx.m.replace(n, alias) for n, _, _ in sites])
        site.evidence_names = set().union(*(used for _, _, used in sites))
        ctx.pure_calls_used.add(node.func.id)
        yield site
