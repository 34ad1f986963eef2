"""Make the lines a patch adds read like a maintainer's: the idiomatic form of what a template wrote.

Templates build text mechanically: negating `v is not None` gives `not (v is not None)`, dropping
a `not` from `not (a and b)` leaves `(a and b)`. `simplify_added` rewrites such spots, in the
lines the patch adds and nowhere else (the user's untouched code is never reformatted, nor a
spot the removed lines already held as written):

- `not (a is not b)` -> `a is b`, and the same for `is`, `in` / `not in`, `==` / `!=`;
- `not not x` -> `x` in a condition (where only the truth value counts);
- `x == True`, `x != False` -> `x` and `x == False`, `x != True` -> `not x`, in a condition;
- brackets around a whole `if` / `while` test or `return` value, or around a name, attribute,
  call or subscript under `not`, `and`, `or`.

The last keeps the AST as it was; the others change it on purpose (`x == True` and `x` differ
for `x = 2`), so the fix pipeline re-gates the result and keeps the original when it does not
pass (agent/fix/tidy.py). Some are the same code to Python all the same (`exact`): `not (a is not b)`
is `a is b` and `not (a not in b)` is `a in b` by the language's definition of `is not` and `not in`,
and `not not x` in a condition asks `x.__bool__` once as `x` does; `not (a != b)` is not `a == b` for a
type whose `__ne__` is its own. When no time is left to re-gate, only an exact form is delivered.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from suture.agent.propose.templates import SourceFile
from suture.retrieval.positions import source_lines

__all__ = ["Simplified", "simplify_added"]

MAX_REWRITES = 20  # a patch adds a few lines; this only stops a rewrite loop
_FLIP = {ast.Is: "is not", ast.IsNot: "is", ast.In: "not in", ast.NotIn: "in", ast.Eq: "!=", ast.NotEq: "=="}
_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant)


@dataclass
class Simplified:
    text: str  # the file's new text, simplified
    changes: list[str]  # "`not (v is not None)` -> `v is None`", in the order made
    exact: bool = True  # every change is the same code to Python (no re-gate needed)


@dataclass
class _Rewrite:
    start: int
    end: int
    text: str
    keeps_ast: bool = False
    exact: bool = False  # the same code to Python, though the AST differs (see the module's text)


def simplify_added(before: str, after: str) -> Simplified:
    """`after` with the idiomatic form of what it adds over `before` (both one file's text)."""
    changes: list[str] = []
    refused: set[tuple[int, int, str]] = set()
    text = after
    exact = True
    for _ in range(MAX_REWRITES):
        rewrite = _next_rewrite(before, text, refused)
        if rewrite is None:
            break
        candidate = text[: rewrite.start] + rewrite.text + text[rewrite.end :]
        if _acceptable(text, candidate, rewrite):
            changes.append(f"`{' '.join(text[rewrite.start:rewrite.end].split())}` -> `{rewrite.text}`")
            text = candidate
            exact = exact and (rewrite.exact or rewrite.keeps_ast)
        else:
            refused.add((rewrite.start, rewrite.end, rewrite.text))
    return Simplified(text, changes, exact)


def _acceptable(old: str, new: str, rewrite: _Rewrite) -> bool:
    try:
        new_tree = ast.parse(new)
        return not rewrite.keeps_ast or ast.dump(new_tree) == ast.dump(ast.parse(old))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _next_rewrite(before: str, after: str, refused: set) -> _Rewrite | None:
    added, removed = _added_lines(before, after)
    if not added:
        return None
    try:
        where = SourceFile("<patched>", after)  # positions and parents, as the templates see them
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    parents = where.parent
    for node in ast.walk(where.tree):
        lineno, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if lineno is None or not all(line in added for line in range(lineno, end + 1)):
            continue
        for rewrite in _rewrites(node, parents, where):
            # The line up to the spot (up to its opening bracket for brackets), as the removed lines
            # had it: the user's code, which the patch kept.
            line_start = after.rfind("\n", 0, rewrite.start) + 1
            upto = rewrite.start + 1 if rewrite.keeps_ast else rewrite.end
            if " ".join(after[line_start:upto].split()) in removed:
                continue
            if (rewrite.start, rewrite.end, rewrite.text) not in refused:
                return rewrite
    return None


def _added_lines(before: str, after: str) -> tuple[set[int], str]:
    """(1-based lines of `after` the change adds, the text of the lines it removes, spaces squeezed)."""
    old, new = source_lines(before), source_lines(after)
    added: set[int] = set()
    removed: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag in ("replace", "insert"):
            added.update(range(j1 + 1, j2 + 1))
        if tag in ("replace", "delete"):
            removed.extend(line.rstrip("\n") for line in old[i1:i2])
    return added, " ".join(" ".join(removed).split())


def _in_condition(node: ast.AST, parents: dict) -> bool:
    """Only `node`'s truth value counts: it is a test, or an and/or / not operand inside one."""
    while True:
        parent = parents.get(node)
        if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)) and parent.test is node:
            return True
        if isinstance(parent, ast.comprehension) and node in parent.ifs:
            return True
        if isinstance(parent, ast.BoolOp) or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)):
            node = parent
            continue
        return False


def _rewrites(node: ast.AST, parents: dict, where: SourceFile) -> Iterator[_Rewrite]:
    start, end = where.start(node), where.end(node)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = node.operand
        if isinstance(inner, ast.Compare) and len(inner.ops) == 1 and type(inner.ops[0]) in _FLIP:
            yield _Rewrite(start, end, f"{where.segment(inner.left)} {_FLIP[type(inner.ops[0])]} "
                                       f"{where.segment(inner.comparators[0])}",
                           exact=isinstance(inner.ops[0], (ast.Is, ast.IsNot, ast.In, ast.NotIn)))
        elif isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.Not) and _in_condition(node, parents):
            yield _Rewrite(start, end, where.text[where.start(inner) + len("not") : where.end(inner)].strip(),
                           exact=True)
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and _in_condition(node, parents):
        yield from _boolean_comparison(node, where)
    yield from _brackets(node, parents, where)


def _boolean_comparison(node: ast.Compare, where: SourceFile) -> Iterator[_Rewrite]:
    """`x == True` -> `x`, `x != True` -> `not x` (either side), when `x` needs no brackets."""
    left, right, op = node.left, node.comparators[0], node.ops[0]
    if not isinstance(op, (ast.Eq, ast.NotEq)):
        return
    for value, constant in ((left, right), (right, left)):
        if isinstance(constant, ast.Constant) and isinstance(constant.value, bool) and isinstance(value, _ATOMS[:4]):
            keeps = constant.value == isinstance(op, ast.Eq)
            text = where.segment(value) if keeps else f"not {where.segment(value)}"
            yield _Rewrite(where.start(node), where.end(node), text)
            return


def _brackets(node: ast.AST, parents: dict, where: SourceFile) -> Iterator[_Rewrite]:
    """Brackets that group nothing: around a whole test or returned value on one line, or around an
    atom under not / and / or. The rewrite must leave the AST as it was."""
    if not isinstance(node, ast.expr) or isinstance(node, (ast.Tuple, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
        return
    parent = parents.get(node)
    whole = (isinstance(parent, (ast.If, ast.While)) and parent.test is node) or \
        (isinstance(parent, ast.Return) and parent.value is node)
    under_logic = isinstance(parent, ast.BoolOp) or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not))
    if not (whole and node.lineno == node.end_lineno) and not (under_logic and isinstance(node, _ATOMS)):
        return
    start, end = where.start(node), where.end(node)
    text = where.text
    left = start
    while left > 0 and text[left - 1] in " \t":
        left -= 1
    right = end
    while right < len(text) and text[right] in " \t":
        right += 1
    if left > 0 and right < len(text) and text[left - 1] == "(" and text[right] == ")":
        before = text[left - 2] if left >= 2 else " "
        spacer = " " if before.isalnum() or before == "_" else ""  # `not(x)` -> `not x`
        yield _Rewrite(left - 1, right + 1, spacer + text[start:end], keeps_ast=True)
