"""A convention the module states by its siblings, that a patch completes.

`keys()` returns `list(self.iterkeys())` and `items()` returns `list(self.iteritems())`: two siblings
spell one form with their own names in it. A patch that makes `values()` return
`list(self.itervalues())` makes the third sibling read as the other two do; the code itself, not
only the one test that runs it, says that is what `values` is for. agent/fix/evidence.py takes such
a completed convention as evidence beyond the tests where the comparison could run nothing beyond
them (a method of `self` alone: only the test's own call, and twins of its object that cannot tell
`x` from `str(x)` where HEAD returns None everywhere).

The form must name the function (the placeholder for its own name occurs in it: a body that says
nothing about its name, like `return self._schema`, matches siblings by accident, not by a
convention), at least MIN_SIBLINGS siblings in the same class or module must share it exactly, and
the function must not have had it before the patch. The mirror image, a patch that breaks a form
two functions share, is agent/gates/antipatterns.py's `splits_convention`.
"""

from __future__ import annotations

import ast
import copy

__all__ = ["completed_convention"]

MIN_SIBLINGS = 2
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_HOLE = "<own name>"  # no identifier can hold it


def completed_convention(before: str, after: str) -> str:
    """A sentence naming the siblings whose form the one function the patch changes now has ("" when
    the patch changes no function or several, or completes no convention)."""
    try:
        old, new = _scopes(ast.parse(before)), _scopes(ast.parse(after))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    changed = [(scope, name) for scope, functions in new.items() for name, node in functions.items()
               if scope in old and name in old[scope] and ast.dump(old[scope][name]) != ast.dump(node)]
    if len(changed) != 1:
        return ""
    scope, name = changed[0]
    if name.startswith("__") or len(name) < 3:
        return ""  # a dunder's name is the protocol's, not a name the body spells
    form = _form(new[scope][name], name)
    if _HOLE not in form or _form(old[scope][name], name) == form:
        return ""
    siblings = [other for other, node in new[scope].items() if other != name and not other.startswith("__")
                and len(other) >= 3 and _form(node, other) == form]
    if len(siblings) < MIN_SIBLINGS:
        return ""
    shown = _short(new[scope][name])
    return (f"`{name}` now reads as its siblings {', '.join(f'`{s}`' for s in siblings[:3])} do with their own "
            f"names (`{shown}`)")


def _scopes(tree: ast.Module) -> dict[str, dict[str, ast.AST]]:
    """Functions by name in each scope: the module's top level ("") and each class (by dotted name)."""
    scopes: dict[str, dict[str, ast.AST]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        functions = scopes.setdefault(prefix, {})
        for node in body:
            if isinstance(node, _FUNCTIONS):
                functions.setdefault(node.name, node)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}.{node.name}".lstrip("."))

    visit(tree.body, "")
    return scopes


def _form(function: ast.AST, name: str) -> str:
    """The function's decorators, parameters and body (its docstring left out) with its own name, where
    an identifier or attribute spells it, made a placeholder."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        return ""
    parts = [copy.deepcopy(part) for part in [*function.decorator_list, function.args, *body]]
    for part in parts:
        for node in ast.walk(part):
            for field in ("id", "attr", "arg"):
                value = getattr(node, field, None)
                if isinstance(value, str):
                    setattr(node, field, value.replace(name, _HOLE))
    return "|".join(ast.dump(part, annotate_fields=False) for part in parts)


def _short(function: ast.AST) -> str:
    statements = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    text = " ".join(ast.unparse(statements[0]).split()) if len(statements) == 1 else f"{len(statements)} statements"
    return text if len(text) <= 60 else text[:57] + "..."
