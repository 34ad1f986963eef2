"""The value a `return None` dropped, read off the function's namesakes: `values` returns what `keys`
returns with keys -> values, `_token_led_and` what `_token_led_or` does with or -> and.

Library code is full of parallel functions (keys / values / items, min / max, `__str__` / `__repr__`,
`_token_led_or` / `_token_led_and`, pluralize / singularize) whose bodies differ from each other the
way their names do. When a function returns None (or nothing) where it should return a value, no
operator or variable template can bring the lost expression back, but a namesake usually holds it: its
returned expression with the names' difference applied to its identifiers and identifier-like strings
(the "plastic surgery" view of repair, with the renaming learnt from the two names, not guessed).

Only expressions whose every read name is bound where they land are offered (the function's locals,
the module's names, builtins, and names the expression binds itself), at most MAX_PER_SITE per
`return`: what the function itself computes and drops first (leftovers.py: the tuple of its last
assignments, the call its unread object was made for), then the analogues, then namesakes'
expressions as they are.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import io
import keyword
import re
import tokenize
from collections.abc import Iterator

from suture.agent.propose.templates.leftovers import delegations, last_assigned
from suture.agent.propose.templates.source import _FUNCTIONS, Mutation, SourceFile, Span, _is_none, _short, _walk_own

MAX_PER_SITE = 6
# A function that returns nothing but None while its namesake returns a value built the same way (a
# translated analogue, or the wrapper's call on its unread object: weight 1.0) has most likely lost
# that value: such offers weigh this much more, so they are gated before operator edits of
# functions localisation ranks below it.
LOST_VALUE_BOOST = 2.0
MAX_DONOR_CHARS = 160
_BUILTINS = frozenset(dir(builtins))
_SEGMENT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def _segments(name: str) -> list[str]:
    """`_token_led_or` -> [token, led, or]; `iterKeys` -> [iter, keys] (lower case)."""
    return [s.lower() for s in _SEGMENT.findall(name)]


def name_analogies(donor: str, target: str) -> list[tuple[str, str]]:
    """How the donor's name becomes the target's: (old, new) text pairs, the most specific first.

    The whole names, then the one segment that differs when the rest agree (`keys` -> `values`), and that
    segment's differing core (`key` -> `value`, for `iterkeys`), widened to three characters where it is
    shorter (`argmin` -> `argmax`: `min` -> `max`). Names that differ in more than one segment: none.
    """
    if donor == target:
        return []
    pairs = [(donor, target)]
    # A name that is the other plus a `_`-suffix (`pairwise` / `pairwise_iter`): the suffix goes on or
    # off the names the donor calls, where the file has the result (`windowed` -> `windowed_iter`).
    if target.startswith(donor + "_"):
        return [*pairs, ("", target[len(donor):])]
    if donor.startswith(target + "_"):
        return [*pairs, (donor[len(target):], "")]
    a, b = _segments(donor), _segments(target)
    diff = [(x, y) for x, y in zip(a, b) if x != y] if len(a) == len(b) else []
    if len(diff) != 1:
        return pairs
    x, y = diff[0]
    pairs.append((x, y))
    lead = len(_common_prefix(x, y))
    trail = len(_common_prefix(x[lead:][::-1], y[lead:][::-1]))
    core_x, core_y = x[lead : len(x) - trail], y[lead : len(y) - trail]
    while lead > 0 and min(len(core_x), len(core_y)) < 3:
        lead -= 1
        core_x, core_y = x[lead] + core_x, y[lead] + core_y
    if core_x and (core_x, core_y) not in pairs and min(len(core_x), len(core_y)) >= 3:
        pairs.append((core_x, core_y))
    return pairs


def namesakes(a: str, b: str) -> bool:
    """Names one segment apart that share the rest (`evalform_front`, `evalform_back`) or a stem of three
    characters (`argmin`, `argmax`): `far` and `argmin` are not namesakes."""
    if len(name_analogies(a, b)) < 2:
        return False
    return len(_segments(a)) > 1 or len(_common_prefix(a, b)) >= 3


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _translate(word: str, old: str, new: str, known: set[str]) -> str:
    """`_translated` for a name: never a keyword (`ast.pipe` does not become `ast.and`; a string may say 'and')."""
    changed = _translated(word, old, new, known)
    return word if keyword.iskeyword(changed) else changed


def _translated(word: str, old: str, new: str, known: set[str]) -> str:
    """`word` (an identifier or an identifier-like string) with `old` replaced: the whole word, whole
    `_`-separated parts, or inside a part that starts or ends with it (`iterkeys` -> `itervalues`) when
    `old` has three characters or more and the result is a name the file already has (`_length` never
    becomes `_itergth`)."""
    if word == old:
        return new
    if not old:  # a suffix put on (`windowed` -> `windowed_iter`)
        return word + new if word + new in known else word
    if not new and old.startswith("_"):  # a suffix taken off
        return word[: -len(old)] if word.endswith(old) and word[: -len(old)] in known else word
    parts = word.split("_")
    if old in parts:
        return "_".join(new if p == old else p for p in parts)
    if len(old) >= 3 and "_" not in old:
        changed = "_".join(p.replace(old, new) if p.startswith(old) or p.endswith(old) else p for p in parts)
        if changed in known:
            return changed
    return word


class _Analogy(ast.NodeTransformer):
    def __init__(self, old: str, new: str, known: set[str]) -> None:
        self.old, self.new, self.known = old, new, known
        self.affix = not old or not new  # a suffix moves only the names called (`windowed(src)`, never `src`)

    def visit_Call(self, node: ast.Call) -> ast.Call:
        if self.affix and isinstance(node.func, ast.Name):
            node.func = ast.copy_location(ast.Name(_translate(node.func.id, self.old, self.new, self.known), ast.Load()),
                                          node.func)
            node.args = [self.visit(a) for a in node.args]
            node.keywords = [self.visit(k) for k in node.keywords]
            return node
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if self.affix:
            return node
        return ast.copy_location(ast.Name(_translate(node.id, self.old, self.new, self.known), node.ctx), node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.Attribute:
        self.generic_visit(node)
        if self.affix:
            return node
        changed = _translate(node.attr, self.old, self.new, self.known)
        # The object's own attributes are the file's to define: `self._threshold` never becomes an unknown
        # `self._values`. A module's (`ast.or_expression` -> `ast.and_expression`) may live elsewhere.
        own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
        if not own or changed in self.known:
            node.attr = changed
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        if isinstance(node.value, str) and node.value.isidentifier() and not self.affix:
            return ast.copy_location(ast.Constant(_translated(node.value, self.old, self.new, self.known)), node)
        return node


def _known_names(src: SourceFile) -> set[str]:
    """Every identifier the file defines or uses: names, attributes, functions, classes, arguments."""
    if src.identifiers is None:
        found: set[str] = set()
        for n in ast.walk(src.tree):
            if isinstance(n, ast.Name):
                found.add(n.id)
            elif isinstance(n, ast.Attribute):
                found.add(n.attr)
            elif isinstance(n, (*_FUNCTIONS, ast.ClassDef)):
                found.add(n.name)
            elif isinstance(n, ast.arg):
                found.add(n.arg)
        src.identifiers = found
    return src.identifiers


def _reads_bound(expr: ast.expr, bound: set[str]) -> bool:
    """Every name `expr` reads is bound here, or by the expression itself (comprehension and lambda names)."""
    own = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    own |= {a.arg for n in ast.walk(expr) if isinstance(n, ast.Lambda) for a in ast.walk(n.args) if isinstance(a, ast.arg)}
    return all(n.id in bound or n.id in own for n in ast.walk(expr) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))


def _donors(src: SourceFile, function: ast.AST) -> list[tuple[ast.AST, bool]]:
    """(function, is a sibling) for the namesakes worth reading: the siblings (same class or module level)
    and every function of the file whose name is one segment away from this one's; the closest names first."""
    parent = src.parent.get(function)
    siblings = [n for n in getattr(parent, "body", []) if isinstance(n, _FUNCTIONS) and n is not function]
    others = [n for n in ast.walk(src.tree) if isinstance(n, _FUNCTIONS) and n is not function and n not in siblings
              and namesakes(n.name, function.name)]
    found = [(n, True) for n in siblings] + [(n, False) for n in others]
    found.sort(key=lambda pair: -difflib.SequenceMatcher(None, pair[0].name, function.name).ratio())
    return found


def _returned(src: SourceFile, donor: ast.AST) -> Iterator[ast.expr]:
    for node in _walk_own(donor):
        if isinstance(node, ast.Return) and node.value is not None and not _is_none(node.value):
            text = src.segment(node.value)
            if len(text) <= MAX_DONOR_CHARS and not any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr))
                                                         for n in ast.walk(node.value)):
                yield node.value


def _offers(src: SourceFile, function: ast.AST) -> list[tuple[str, str, float]]:
    """(expression text, where it came from, weight) for a `return None` of `function`, best first."""
    facts = src.facts(function)
    mine = set(facts.locals())
    bound = mine | src.module_names | _BUILTINS
    known = _known_names(src)
    analogues: list[tuple[str, str, float]] = []
    as_is: list[tuple[str, str, float]] = []
    for donor, sibling in _donors(src, function):
        pairs = name_analogies(donor.name, function.name)
        namesake = namesakes(donor.name, function.name)
        # The donor's own names (its parameters, its locals) that this function lacks would, copied here,
        # read whatever the module binds to that name instead: jmespath's `filter_projection(left, right,
        # comparator)` returns `[left, right, comparator]`, and copied into `value_projection(left, right)`
        # `comparator` is the module's function of that name, put in the tree as data. Not the donor's value.
        here = bound - (set(src.facts(donor).locals()) - mine)
        for expr in _returned(src, donor):
            plain, written = ast.unparse(expr), src.segment(expr)
            for old, new in pairs:
                changed = _Analogy(old, new, known).visit(ast.parse(plain, mode="eval")).body
                text = ast.unparse(changed)
                if text != plain and _reads_bound(changed, here):
                    analogues.append((_as_written(written, old, new, known, changed) or text,
                                      f"`{donor.name}`'s `{_short(written)}` with {_change(old, new)}", 1.0))
                    break
            else:
                if (sibling or namesake) and _reads_bound(expr, here):
                    as_is.append((written if "\n" not in written else plain, f"`{donor.name}`'s return value",
                                  0.8 if namesake else 0.6))
    return _distinct(analogues + as_is)


def _distinct(offers: list[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    """The first MAX_PER_SITE offers of distinct code: two texts that differ only in quotes are one offer."""
    out: list[tuple[str, str, float]] = []
    seen: set[str] = set()
    for text, origin, weight in offers:
        try:
            shape = ast.dump(ast.parse(text, mode="eval"))
        except SyntaxError:  # an offer Python would not take is no offer (and costs the others nothing)
            continue
        if shape not in seen:
            seen.add(shape)
            out.append((text, origin, weight))
    return out[:MAX_PER_SITE]


def _change(old: str, new: str) -> str:
    return f"{old} -> {new}" if old and new else f"`{new}` on the names called" if new else f"`{old}` off the names called"


def _as_written(written: str, old: str, new: str, known: set[str], changed: ast.expr) -> str | None:
    """The donor's own text (its quotes, spacing) with the names translated token by token, when that is
    the translated expression (`changed`); None for a multi-line donor or where the two differ."""
    if "\n" in written:
        return None
    try:
        out, at = [], 0
        for tok in tokenize.generate_tokens(io.StringIO(written).readline):
            if tok.type not in (tokenize.NAME, tokenize.STRING) or tok.start[0] != 1:
                continue
            text = tok.string
            if tok.type == tokenize.NAME:
                text = _translate(text, old, new, known)
            elif text[-1:] in "'\"" and text[:1] == text[-1:] and text[1:-1].isidentifier():
                text = text[0] + _translated(text[1:-1], old, new, known) + text[-1]
            out.append(written[at : tok.start[1]] + text)  # the text between tokens is kept as written
            at = tok.end[1]
        result = "".join(out) + written[at:]
        same = ast.dump(ast.parse(result, mode="eval").body) == ast.dump(changed)
    except (tokenize.TokenError, SyntaxError, ValueError, IndentationError):
        return None
    return result if same else None


def return_analogy(src: SourceFile, nodes: list[ast.AST]) -> Iterator[Mutation]:
    """`return None` / a bare `return` -> the expression a namesake function returns, translated by the names."""
    cache: dict[ast.AST, list[tuple[str, str, float]]] = {}
    for node in nodes:
        if not isinstance(node, ast.Return) or not (node.value is None or _is_none(node.value)):
            continue
        function = src.enclosing_function(node)
        if function is None or isinstance(function, ast.AsyncFunctionDef) or any(
                isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _walk_own(function)):
            continue  # a generator's `return` ends it; its value is no result
        if function not in cache:
            cache[function] = _offers(src, function)
        offers = delegations(src, function, namesakes) + cache[function] + last_assigned(src, function, node)
        boost = LOST_VALUE_BOOST if not src.facts(function).returns_value else 1.0
        for rank, (text, origin, weight) in enumerate(_distinct(offers)):
            weight = weight * boost if weight >= 1.0 else weight
            if node.value is None:
                span = Span(src.start(node), src.end(node), f"return {text}")
            else:
                span = Span(src.start(node.value), src.end(node.value), text)
            yield Mutation("return_analogy", node.lineno, f"return `{_short(text)}` instead of None in line "
                           f"{node.lineno} ({origin})", (span,), weight=weight / (1 + 0.2 * rank))
