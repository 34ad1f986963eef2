"""A list of one repeated element rebuilt element by element, tried in place by synthesis (issue 18).

`[x] * n` gives n copies of one value. When a failing test wants the elements to differ (a remainder
spread over the first parts, consecutive numbers from a start, a fresh container per slot), no
expression of synthesis proper (agent/propose/expressions.py) can say so: it builds values, not
comprehensions. Here the site's recorded lists are cut into one hit per element, with the index
bound to a fresh name, and the same enumerator searches, over those element hits, for

- an element expression `e` (`[e for i in range(n)]`): the same element on every passing test's
  list, a different one somewhere on a failing test's (`first + i` for `[first] * count`);
- a condition `c` for a step of one (`[x + 1 if c else x for i in range(n)]`, and `- 1`): false on
  every element of a passing test, true somewhere on a failing test's (`i < extra` where the
  remainder `extra` of a `divmod` goes to the first parts);

and, where the element is a container display (`[[]] * n`), one fresh display per slot
(`[[] for _ in range(n)]`): copies of one list are one list, the aliasing that the tests' values
cannot show. Like conversions, these are tried in place on the failing tests and then gated.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Sequence
from typing import Any

from suture.agent.propose.expressions import Expr, Hit, enumerate_fixes, key, terminals

MAX_ELEMENTS = 12  # elements of one recorded list the search looks at
MAX_FORMS = 4  # of each kind (element expression, stepped condition)
SEARCHED = 40  # expressions the enumerator gives for them, most not reading the index
SECONDS = 0.6  # half for each search


def elementwise(node: ast.expr, segment: Any, role: str, hits: Sequence[Hit], literals: Sequence[str],
                deadline: float) -> list[str]:
    """Candidate texts for a site `[x] * n` (see the module doc); [] for any other site.

    `segment(node)` gives a node's source text; `literals` are the function's constants."""
    if role not in ("return", "value"):
        return []
    repeated = _repeated(node)
    if repeated is None:
        return []
    element, count = repeated
    x, n = segment(element), segment(count)
    out: list[str] = []
    if isinstance(element, (ast.List, ast.Dict, ast.Set)):
        out.append(f"[{x} for _ in range({n})]")
    index = _fresh(node, hits)
    cut = _element_hits(hits, index)
    if cut:
        # First a step of one under a condition: the smallest change of each element.
        if all(isinstance(h.value, int) and not isinstance(h.value, bool) for h in cut):
            stop = min(deadline, time.monotonic() + SECONDS / 2)
            flags = [Hit(h.test, h.failing, h.env, False, False) for h in cut]
            conditions = _distinct([c for c in enumerate_fixes(flags, terminals(flags, [], literals), condition=True,
                                                               original="False", limit=SEARCHED, deadline=stop)
                                    if index in c.names], truth=True)
            item = x if _atomic(element) else f"({x})"
            for c in conditions:
                out += [f"[{item} + 1 if {c.text} else {x} for {index} in range({n})]",
                        f"[{item} - 1 if {c.text} else {x} for {index} in range({n})]"]
        # Then an element built from the index and what the element read (`first + i`): one that drops what
        # it read equals it on a passing test by coincidence (`max(i, width)` for `rows` where both were 3).
        stop = min(deadline, time.monotonic() + SECONDS / 2)
        read = {n.id for n in ast.walk(element) if isinstance(n, ast.Name)}
        values = _distinct([e for e in enumerate_fixes(cut, terminals(cut, [x], literals), condition=False, original=x,
                                                       limit=SEARCHED, deadline=stop)
                            if index in e.names and read <= e.names], truth=False)
        out += [f"[{e.text} for {index} in range({n})]" for e in values]
    original = segment(node)
    return [t for t in dict.fromkeys(out) if t != original]


def _distinct(found: list[Expr], truth: bool) -> list[Expr]:
    """The smallest of each behaviour on the element hits, at most MAX_FORMS: as synthesis offers one expression per
    behaviour on the probed values (synthesis._offered), since a rival the hits cannot tell apart is the same
    patch to the tests (`extra == i + 1` beside `i < extra`, which agree wherever extra is 0 or 1)."""
    seen: set[tuple] = set()
    out: list[Expr] = []
    for e in found:
        signature = tuple(bool(v) if truth else key(v) for v in e.values)
        if signature not in seen:
            seen.add(signature)
            out.append(e)
    return out[:MAX_FORMS]


def _repeated(node: ast.expr) -> tuple[ast.expr, ast.expr] | None:
    """(x, n) of `[x] * n` or `n * [x]`."""
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Mult):
        return None
    for one, other in ((node.left, node.right), (node.right, node.left)):
        if isinstance(one, ast.List) and len(one.elts) == 1 and not isinstance(one.elts[0], ast.Starred) \
                and not isinstance(other, ast.List):
            return one.elts[0], other
    return None


def _fresh(node: ast.expr, hits: Sequence[Hit]) -> str:
    """An index name bound nowhere the comprehension could see."""
    taken = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    for h in hits:
        taken |= set(h.env)
    return next((n for n in ("i", "j", "k", "index", "position") if n not in taken), "_element_index")


def _element_hits(hits: Sequence[Hit], index: str) -> list[Hit]:
    """One hit per element of each recorded list (the first MAX_ELEMENTS), the index bound in its locals;
    [] when a hit's value is not a list."""
    out: list[Hit] = []
    for h in hits:
        if not h.known or not isinstance(h.value, list):
            return []
        out += [Hit(h.test, h.failing, {**h.env, index: i}, v, None) for i, v in enumerate(h.value[:MAX_ELEMENTS])]
    return out


def _atomic(node: ast.expr) -> bool:
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.Constant, ast.List, ast.Tuple))
