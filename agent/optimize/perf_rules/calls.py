"""Across a call: which of a module's functions change nothing their callers can see.

A call of such a function inside a loop is not opaque to the rules (perf_rules/facts.py's
`opaque_calls`), so `words_b = unique_words(b)` stays a stable list while the loop calls
`unique_words(a)`. A function qualifies when it is a plain module-level `def` bound nowhere else in
the module, has no global/nonlocal declaration, nested function, lambda, class, yield or await, calls
only pure builtins, methods of values of known builtin types (its own annotations or run-time
evidence) and other such functions, and mutates only lists, dicts and sets it built itself. Mutual
recursion is allowed (the largest set that checks out, found by dropping failures until none is left).
"""

from __future__ import annotations

import ast

from suture.agent.optimize.perf_rules.edits import _Module
from suture.agent.optimize.perf_rules.facts import HASHABLE_ATOMS, _FUNC_NODES, _NON_MUTATING, _Func, _fresh_value


def pure_functions(module: _Module, evidence: dict[str, dict]) -> set[str]:
    """Names of the module's top-level functions whose calls mutate nothing that existed before them."""
    defs = [s for s in module.tree.body if isinstance(s, ast.FunctionDef) and not s.decorator_list]
    names = [d.name for d in defs]
    candidates = {d.name: d for d in defs if names.count(d.name) == 1 and d.name not in module.stored_names
                  and not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in module.imports
                              if d.name in [(a.asname or a.name) for a in n.names])}
    pure = set(candidates)
    while True:
        module.pure_functions = pure
        failing = {name for name in pure if not _changes_nothing(_Func(module, candidates[name], evidence.get(name)))}
        if not failing:
            return pure
        pure = pure - failing


def _changes_nothing(ctx: _Func) -> bool:
    if ctx.declared or any(isinstance(n, _FUNC_NODES) for n in ctx.nodes):
        return False
    fresh = {name for name, binds in ctx.bindings.items() if name not in ctx.params and all(
        isinstance(b, ast.Assign) and _fresh_value(b.value) for b in binds)}
    for node in ctx.nodes:
        if isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load):
            if not (isinstance(node.value, ast.Name) and node.value.id in fresh):
                return False
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id not in fresh \
                and ctx.types.get(node.target.id) not in HASHABLE_ATOMS:
            return False  # `items += [x]` extends the caller's list in place
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr not in _NON_MUTATING and not isinstance(node.func.value, ast.Name):
            return False  # `rows[0].append(x)`: whose list that is, nothing here says
    for name in set(ctx.bindings) | set(ctx.params):
        if name not in fresh and any(kind == "mutate" for kind, _ in ctx.uses(name, ctx.fn)):
            return False
    return not ctx.opaque_calls(ctx.fn)
