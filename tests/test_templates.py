"""Repair templates: each one, on a small buggy function, must offer the real fix."""

from __future__ import annotations

import ast
import textwrap

import pytest

from suture.agent.propose import templates as t
from suture.agent.propose.templates import DELETES_CODE, REMOVES_CHECK, WEAKENS_CONDITION, SourceFile, mutations


def source(text: str) -> SourceFile:
    return SourceFile("m.py", textwrap.dedent(text))


def results(src: SourceFile, template=None, scope: str | None = None) -> list[tuple[t.Mutation, str]]:
    """(mutation, resulting text) for every mutation of `template` (all templates when None) in `scope`."""
    node = src.qualnames[scope] if scope else src.tree
    chosen = {template.__name__: template} if template else None
    return [(m, src.apply(m.spans)) for m in mutations(src, node, chosen)]


def same_code(a: str, b: str) -> bool:
    return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))


def find_fix(src: SourceFile, fixed: str, template=None, scope: str | None = None) -> t.Mutation:
    fixed = textwrap.dedent(fixed)
    found = [m for m, text in results(src, template, scope) if same_code(text, fixed)]
    assert found, f"no {template.__name__ if template else 'template'} mutation gives the fix"
    return found[0]


def rank_of_fix(src: SourceFile, fixed: str, template) -> int:
    """Position of the fix among the template's mutations ordered by their own weight."""
    fixed = textwrap.dedent(fixed)
    ordered = sorted(results(src, template), key=lambda mt: -mt[0].weight)
    return next(i for i, (_, text) in enumerate(ordered) if same_code(text, fixed))


# ------------------------------------------------------------------ every result parses, nothing else moves


BUSY = '''\
    # a comment   with  odd   spacing
    import math
    from collections import deque

    LIMIT = 10  # keep


    class Box:
        size: int = 0

        def grow(self, n):
            """Grow by n."""
            if n is None or n < 0:   # guard
                raise ValueError("bad")
            self.size += n
            return self.size


    def walk(graph, start, *args, key=None, **kw):
        seen = {start}
        queue = deque([start])
        out = []
        while queue:
            node = queue.popleft()
            out.append(node)
            for nxt in graph.get(node, ()):
                if nxt not in seen and (key is None or key(nxt)):
                    seen.add(nxt)
                    queue.append(nxt)
        total = sum(len(x) for x in out[1:-1]) // 2 ** 3 % 7
        label = "%s items" % len(out) if out else f"none {start!r}"
        return [o for o in out if o] if total > LIMIT else out[:max(1, total - 1)]


    def tally(xs):
        acc = 0
        for x in xs:
            acc += x  # no return


    def tally_keys(table):
        return sorted(table.keys())


    def tally_values(table):
        return None
'''


def test_every_mutation_of_a_busy_file_parses_and_changes_only_its_spans():
    src = source(BUSY)
    made = results(src)
    assert len(made) > 150
    templates_seen = {m.template for m, _ in made}
    assert templates_seen == set(t.TEMPLATES)
    for m, text in made:
        ast.parse(text)  # raises on a broken mutation
        assert text != src.text, m.description
        # Outside the replaced spans the text is the original, byte for byte.
        first, last = min(s.start for s in m.spans), max(s.end for s in m.spans)
        grown = len(text) - len(src.text)
        assert text[:first] == src.text[:first]
        assert text[last + grown :] == src.text[last:]
        assert m.description and m.line >= 1


def test_multibyte_characters_before_the_mutated_expression():
    src = source('''\
        def label(s, n):
            prefix = "héllo → wörld ✓"; ok = len(s) < n  # ünïcode
            return prefix if ok else s
        ''')
    m = find_fix(src, '''\
        def label(s, n):
            prefix = "héllo → wörld ✓"; ok = len(s) <= n  # ünïcode
            return prefix if ok else s
        ''', t.comparison)
    assert m.description == "`<` -> `<=` in line 2"
    # the off-by-one on len() lands on the call, not some bytes before it
    find_fix(src, '''\
        def label(s, n):
            prefix = "héllo → wörld ✓"; ok = len(s) - 1 < n  # ünïcode
            return prefix if ok else s
        ''', t.off_by_one)


# ------------------------------------------------------------------ operators


def test_comparison_boundary_first_and_keywords():
    src = source('''\
        def find(xs, target, banned):
            lo, hi = 0, len(xs) - 1
            while lo < hi:
                if xs[lo] is target or target in banned:
                    return lo
                lo += 1
            return -1
        ''')
    assert rank_of_fix(src, '''\
        def find(xs, target, banned):
            lo, hi = 0, len(xs) - 1
            while lo <= hi:
                if xs[lo] is target or target in banned:
                    return lo
                lo += 1
            return -1
        ''', t.comparison) == 0
    find_fix(src, '''\
        def find(xs, target, banned):
            lo, hi = 0, len(xs) - 1
            while lo < hi:
                if xs[lo] is not target or target in banned:
                    return lo
                lo += 1
            return -1
        ''', t.comparison)
    find_fix(src, '''\
        def find(xs, target, banned):
            lo, hi = 0, len(xs) - 1
            while lo < hi:
                if xs[lo] is target or target not in banned:
                    return lo
                lo += 1
            return -1
        ''', t.comparison)


def test_comparison_operator_found_past_brackets_and_a_comment():
    src = source('''\
        def f(a, b):
            return (a   # left < side
                    ) >= (b)
        ''')
    m = find_fix(src, '''\
        def f(a, b):
            return (a) > (b)
        ''', t.comparison)
    assert src.apply(m.spans).count("# left < side") == 1


def test_boolean_and_or_and_dropped_not():
    src = source('''\
        def leap(y):
            return y % 4 == 0 and y % 100 != 0 and y % 400 == 0

        def keep(x):
            flag = not x.startswith("_")
            return flag
        ''')
    m = find_fix(src, '''\
        def leap(y):
            return y % 4 == 0 or y % 100 != 0 or y % 400 == 0

        def keep(x):
            flag = not x.startswith("_")
            return flag
        ''', t.boolean)
    assert WEAKENS_CONDITION in m.risks
    find_fix(src, '''\
        def leap(y):
            return y % 4 == 0 and y % 100 != 0 and y % 400 == 0

        def keep(x):
            flag = x.startswith("_")
            return flag
        ''', t.boolean)


def test_arithmetic_operators_and_augmented_assignment():
    src = source('''\
        def f(total, n, xs):
            mean = total // n
            total -= n
            msg = "%d items" % n
            return mean, total, -xs[0], msg
        ''')
    find_fix(src, '''\
        def f(total, n, xs):
            mean = total / n
            total -= n
            msg = "%d items" % n
            return mean, total, -xs[0], msg
        ''', t.arithmetic)
    find_fix(src, '''\
        def f(total, n, xs):
            mean = total // n
            total += n
            msg = "%d items" % n
            return mean, total, -xs[0], msg
        ''', t.arithmetic)
    find_fix(src, '''\
        def f(total, n, xs):
            mean = total // n
            total -= n
            msg = "%d items" % n
            return mean, total, xs[0], msg
        ''', t.arithmetic)
    # string formatting is not arithmetic
    assert not any("line 4" in m.description for m, _ in results(src, t.arithmetic))


def test_constant_booleans_bases_and_literals_from_elsewhere():
    src = source('''\
        def parse(code, strict=False):
            if strict:
                return int(code, 8)
            return int(code or "0", 16)

        def unit():
            return "ms"

        def other():
            flag = True
            return "s"
        ''')
    find_fix(src, src.text.replace("int(code, 8)", "int(code, 16)"), t.constant, "parse")
    find_fix(src, src.text.replace("flag = True", "flag = False"), t.constant, "other")
    find_fix(src, src.text.replace('return "ms"', 'return "s"'), t.constant, "unit")


# ------------------------------------------------------------------ conditions


def test_negate_condition_if_elif_while_ternary_but_never_assert():
    src = source('''\
        def f(x, items):
            assert x is not None
            if not x:
                y = 1
            elif x.ready:
                y = 2
            while items and items[0]:
                items.pop(0)
            return y if x.done else 0
        ''')
    for before, after in [("if not x:", "if x:"), ("elif x.ready:", "elif not x.ready:"),
                          ("return y if x.done else 0", "return y if not x.done else 0")]:
        find_fix(src, src.text.replace(before, after), t.negate_condition)
    find_fix(src, src.text.replace("while items and items[0]:", "while items and not items[0]:"), t.negate_condition)
    made = [text for _, text in results(src, t.negate_condition)]
    assert all("assert x is not None" in text for text in made)


def test_drop_condition_flags_the_risk():
    src = source('''\
        def f(x, y):
            if x > 0 and y > 0:
                return 1
            if x:
                y = 2
            return y
        ''')
    m = find_fix(src, src.text.replace("if x > 0 and y > 0:", "if x > 0:"), t.drop_condition)
    assert WEAKENS_CONDITION in m.risks
    unwrapped = '''\
        def f(x, y):
            if x > 0 and y > 0:
                return 1
            y = 2
            return y
        '''
    m = find_fix(src, unwrapped, t.drop_condition)
    assert REMOVES_CHECK in m.risks


def test_negating_a_returned_comparison_is_offered_and_the_gates_name_it():
    """`return total % 10 == 0` -> `!=` answers the opposite for every card; the template offers it
    without a risk of its own: the gates name that anti-pattern for every patch
    (agent/gates/antipatterns.py, tested in tests/test_antipatterns.py)."""
    src = source('''\
        def valid(total):
            if total == 3:
                return False
            return total % 10 == 0
        ''')
    inverted = find_fix(src, src.text.replace("total % 10 == 0", "total % 10 != 0"), t.comparison)
    assert not inverted.risks
    in_if = find_fix(src, src.text.replace("if total == 3", "if total != 3"), t.comparison)
    assert not in_if.risks
    widened = find_fix(src, src.text.replace("total % 10 == 0", "total % 10 <= 0"), t.comparison)
    assert not widened.risks


# ------------------------------------------------------------------ off by one


def test_off_by_one_constants_slices_ranges_and_minus_one():
    src = source('''\
        def window(values, k):
            out = []
            for i in range(len(values) - k):
                out.append(sum(values[i:i + k - 1]) / 3)
            return out
        ''')
    find_fix(src, src.text.replace("range(len(values) - k)", "range(len(values) - k + 1)"), t.off_by_one)
    find_fix(src, src.text.replace("values[i:i + k - 1]", "values[i:i + k]"), t.off_by_one)
    find_fix(src, src.text.replace("/ 3", "/ 2"), t.off_by_one)


def test_off_by_one_brackets_keep_precedence():
    src = source('''\
        def pages(page, per_page, bins, index):
            first = page * per_page
            return first, min(index, bins)
        ''')
    # `page` in `page * per_page` becomes `(page - 1) * per_page`, not `page - 1 * per_page`
    find_fix(src, src.text.replace("page * per_page", "(page - 1) * per_page"), t.off_by_one)
    find_fix(src, src.text.replace("min(index, bins)", "min(index, bins - 1)"), t.off_by_one)
    for _, text in results(src, t.off_by_one):
        assert "page - 1 * per_page" not in text and "page + 1 * per_page" not in text


# ------------------------------------------------------------------ values and calls


def test_swap_arguments():
    src = source('''\
        def convert(amount, rates, native, currency):
            return amount * lookup(rates, currency, native)
        ''')
    assert rank_of_fix(src, src.text.replace("lookup(rates, currency, native)", "lookup(rates, native, currency)"),
                       t.swap_args) <= 1


def test_replace_variable_prefers_a_similar_nearby_name_of_the_same_kind():
    src = source('''\
        STEPS = [(0, 1), (1, 0)]

        def neighbours(r, c, rows, grid):
            out = []
            for dr, dc in STEPS:
                nr, nc = r + dr, c + dr
                if 0 <= nr < rows:
                    out.append(grid[nr][nc])
            return out
        ''')
    find_fix(src, src.text.replace("c + dr", "c + dc"), t.replace_variable)
    lo_hi = source('''\
        def find(xs, lo, hi):
            while lo < hi and xs[lo]:
                lo += 1
            return lo
        ''')
    # `xs` is a sequence, `lo` a number: never swapped for each other
    assert not any("`lo` -> `xs`" in m.description for m, _ in results(lo_hi, t.replace_variable))
    assert any("`lo` -> `hi`" in m.description for m, _ in results(lo_hi, t.replace_variable))


def test_replace_attribute_with_a_field_of_a_class():
    src = source('''\
        from dataclasses import dataclass

        @dataclass
        class Item:
            quantity: int
            reorder_level: int = 0
            reorder_to: int = 0

        def plan(item):
            return item.reorder_level - item.quantity
        ''')
    find_fix(src, src.text.replace("item.reorder_level - ", "item.reorder_to - "), t.replace_variable)


def test_return_value_replaces_return_none_with_an_in_scope_value():
    src = source('''\
        def build(parts):
            out = []
            for p in parts:
                out.append(p.strip())
            result = ", ".join(out)
            return None
        ''')
    assert rank_of_fix(src, src.text.replace("return None", "return result"), t.return_value) == 0


def test_return_analogy_reads_the_dropped_value_off_a_namesake():
    src = source("""
        import re


        class Counter:
            def __init__(self):
                self.counts = {}

            def iterkeys(self):
                return iter(self.counts)

            def itervalues(self):
                return iter(self.counts.values())

            def keys(self):
                return list(self.iterkeys())

            def values(self):
                return None


        def argmin(xs):
            return min(range(len(xs)), key=xs.__getitem__)


        def argmax(xs):
            return None


        def led_or(left, table):
            right = table['or']
            return {'type': 'or', 'children': [left, right]}


        def led_and(left, table):
            right = table['and']
            return None


        def walk(xs):
            for x in xs:
                yield x
            return None


        def far(ys):
            return None


        def near(ys):
            return helper_only_here(ys)
    """)
    # keys -> values inside an identifier the file has (`iterkeys` -> `itervalues`); the namesake comes first.
    fix = find_fix(src, src.text.replace("        return None\n\n\ndef argmin",
                                         "        return list(self.itervalues())\n\n\ndef argmin"), t.return_analogy)
    # The first offer, boosted: `values` returns nothing but None while its namesake returns a value.
    assert "keys -> values" in fix.description and fix.weight == 2.0
    # A name's differing core widened to three characters (`argmin` / `argmax`: min -> max).
    find_fix(src, src.text.replace("def argmax(xs):\n    return None",
                                   "def argmax(xs):\n    return max(range(len(xs)), key=xs.__getitem__)"), t.return_analogy)
    # A whole `_`-part, in names and in identifier-like strings (`or` -> `and`, never inside `for`).
    find_fix(src, src.text.replace("    right = table['and']\n    return None",
                                   "    right = table['and']\n    return {'type': 'and', 'children': [left, right]}"),
             t.return_analogy)
    made = [m for m, _ in results(src, t.return_analogy)]
    # A generator's `return` ends it; a name unbound where it would land (`helper_only_here`, `xs` in `far`) is never offered.
    walk, far = src.qualnames["walk"], src.qualnames["far"]
    assert not [m for m in made if walk.lineno <= m.line <= walk.end_lineno or far.lineno <= m.line <= far.end_lineno]


def test_return_analogy_never_copies_a_donors_own_name_that_reads_a_module_name_where_it_lands():
    src = source("""
        def comparator(name, first, second):
            return {'type': 'comparator', 'children': [first, second], 'value': name}


        def filter_projection(left, right, comparator):
            return {'type': 'filter_projection', 'children': [left, right, comparator]}


        def projection(left, right):
            return {'type': 'projection', 'children': [left, right]}


        def value_projection(left, right):
            return None
    """)
    # `comparator` is filter_projection's parameter; in value_projection it would be the module's function.
    offered = [text for _, text in results(src, t.return_analogy)]
    assert not [text for text in offered if "'value_projection', 'children': [left, right, comparator]" in text], offered
    find_fix(src, src.text.replace("    return None", "    return {'type': 'value_projection', 'children': [left, right]}"),
             t.return_analogy)


def test_return_analogy_reads_what_the_function_computes_and_drops():
    src = source("""
        class Parser:
            def __init__(self, format, strict=False):
                self.format = format

            def parse(self, string, evaluate=True, pos=0):
                return [self.format, string, evaluate]

            def search(self, string, missing):
                return None


        def parse(format, string, evaluate=True, strict=False):
            p = Parser(format, strict=strict)
            return None


        def search(format, string):
            p = Parser(format)
            return None


        def split(x):
            hi = x * 2
            lo = x - hi
            return hi, lo


        def mul(x, y):
            p = x * y
            z = p + 1
            zz = p - z
            return None


        def single(x):
            z = x + 1
            zz = z - 1
            return None if x else x
    """)
    # A wrapper's unread object: its namesake method, required parameters by position, defaulted ones the
    # wrapper has by keyword (`pos` it lacks is left to its default).
    fix = find_fix(src, src.text.replace("strict=strict)\n    return None", "strict=strict)\n"
                                         "    return p.parse(string, evaluate=evaluate)"), t.return_analogy)
    assert "`Parser.parse` on the unread `p`" in fix.description and fix.weight == 2.0
    # The last two assignments as the tuple the file's functions return (`split` returns two).
    find_fix(src, src.text.replace("    zz = p - z\n    return None", "    zz = p - z\n    return z, zz"), t.return_analogy)
    made = [m for m, _ in results(src, t.return_analogy)]
    # `search` lacks the method's required `missing`: no call; a tuple only where the file returns one of that size.
    assert not any("p.search(" in m.description for m in made)
    assert not any("z, zz, " in m.description or "p, z, zz" in m.description for m in made)


def test_return_analogy_moves_a_suffix_and_never_makes_a_keyword():
    src = source("""
        import nodes


        def led_pipe(left, right):
            return nodes.pipe(left, right)


        def led_or(left, right):
            return nodes.or_expression(left, right)


        def led_and(left, right):
            return None


        def windowed(src, size):
            return [src[i:i + size] for i in range(len(src) - size + 1)]


        def windowed_iter(src, size):
            return iter(windowed(src, size))


        def pairwise(src):
            return windowed(src, 2)


        def pairwise_iter(src):
            return None
    """)
    # `pipe` -> `and` would be a keyword: that offer is dropped, not the template's others.
    find_fix(src, src.text.replace("def led_and(left, right):\n    return None",
                                   "def led_and(left, right):\n    return nodes.and_expression(left, right)"), t.return_analogy)
    # pairwise -> pairwise_iter: the suffix goes on the name called, not on its arguments (`src_iter` is no name here).
    fix = find_fix(src, src.text.replace("def pairwise_iter(src):\n    return None",
                                         "def pairwise_iter(src):\n    return windowed_iter(src, 2)"), t.return_analogy)
    assert "`_iter` on the names called" in fix.description


def test_missing_return_three_shapes():
    thrown_away = source('''\
        def parse_bool(raw):
            lowered = raw.lower()
            if lowered in ("yes", "no"):
                lowered == "yes"
            return raw
        ''')
    find_fix(thrown_away, thrown_away.text.replace('    lowered == "yes"', '    return lowered == "yes"'),
             t.missing_return)
    falls_off = source('''\
        def merge(a, b):
            result = dict(a)
            for key, value in b.items():
                result[key] = value
        ''')
    m = find_fix(falls_off, falls_off.text + "    return result\n", t.missing_return)
    assert m.description.startswith("`return result` added")
    call_at_end = source('''\
        def height(node):
            if node is None:
                return 0
            1 + max(height(node.left), height(node.right))
        ''')
    find_fix(call_at_end, call_at_end.text.replace("    1 + max", "    return 1 + max"), t.missing_return)


def test_guard_with_the_docstring_value_and_in_loops():
    src = source('''\
        def average(rows):
            """Mean of rows; 0.0 when there are no rows."""
            return sum(rows) / len(rows)

        def initials(name):
            out = ""
            for part in name.split(" "):
                out += part[0]
            return out
        ''')
    fixed = src.text.replace('    return sum(rows)', '    if not rows:\n        return 0.0\n    return sum(rows)')
    assert rank_of_fix(src, fixed, t.guard) <= 1
    find_fix(src, src.text.replace("        out += part[0]", "        if not part:\n            continue\n"
                                   "        out += part[0]"), t.guard)


def test_guard_on_a_self_attribute_and_a_returned_value():
    src = source('''\
        class Stack:
            def peek(self):
                """Top value, or None when empty."""
                return self._items[-1]

        def get(data, key, default=None):
            current = data.get(key)
            return current
        ''')
    find_fix(src, src.text.replace("        return self._items[-1]",
                                   "        if not self._items:\n            return None\n        return self._items[-1]"),
             t.guard)
    find_fix(src, src.text.replace("    return current", "    return default if current is None else current"),
             t.guard)


def test_similar_call_table_and_file_names():
    src = source('''\
        def total_price(items):
            return sum(items)

        def ext(name):
            return name[name.find("."):]

        def checkout(items):
            return totl_price(items) + min(1, 2)
        ''')
    find_fix(src, src.text.replace('name.find(".")', 'name.rfind(".")'), t.similar_call)
    find_fix(src, src.text.replace("totl_price(items)", "total_price(items)"), t.similar_call)
    find_fix(src, src.text.replace("min(1, 2)", "max(1, 2)"), t.similar_call)


# ------------------------------------------------------------------ statements


def test_delete_statement_marks_deleted_code_and_keeps_blocks_valid():
    src = source('''\
        def count(words):
            counts = {}
            for w in words:
                counts = {}
                counts[w] = counts.get(w, 0) + 1
            if not words:
                raise ValueError("empty")
            return counts
        ''')
    m = find_fix(src, src.text.replace("        counts = {}\n", "", 1), t.delete_statement)
    assert DELETES_CODE in m.risks
    # the only statement of a block becomes `pass`
    find_fix(src, src.text.replace('raise ValueError("empty")', "pass"), t.delete_statement)
    whole_if = next(m for m, _ in results(src, t.delete_statement) if "`if not words" in m.description)
    assert REMOVES_CHECK in whole_if.risks


def test_move_statement_after_a_later_sibling():
    src = source('''\
        def withdraw(self, cents):
            self.history.append(cents)
            if cents > self.balance:
                raise ValueError("insufficient")
            self.balance -= cents
        ''')
    find_fix(src, '''\
        def withdraw(self, cents):
            if cents > self.balance:
                raise ValueError("insufficient")
            self.balance -= cents
            self.history.append(cents)
        ''', t.move_statement)


def test_insert_statement_copied_and_with_a_name_rebound():
    src = source('''\
        from collections import deque

        def distances(graph, start):
            dist = {start: 0}
            visited = set()
            queue = deque([start])
            while queue:
                node = queue.popleft()
                for nxt in graph.get(node, ()):
                    if nxt not in visited:
                        visited.add(nxt)
                        dist[nxt] = dist[node] + 1
                        queue.append(nxt)
            return dist
        ''')
    find_fix(src, src.text.replace("    visited = set()\n", "    visited = set()\n    visited.add(start)\n"),
             t.insert_statement)
    # A statement that reads a name the target scope does not have is never copied there.
    other = source('''\
        def a(x):
            y = x + 1
            return y

        def b(z):
            return z
        ''')
    assert not any("y = x + 1" in m.description for m, _ in results(other, t.insert_statement, "b"))


def test_syntax_error_is_a_syntax_error():
    with pytest.raises(SyntaxError):
        source("def f(:\n    pass\n")


def test_form_feeds_and_line_separators_do_not_shift_lines():
    # str.splitlines() would count "\x0c" and "\u2028" as line breaks; ast does not.
    src = SourceFile("m.py", '# page one\x0c still a comment\n\x0c\ndef f(a, b):\n    s = "x\u2028y"\n    return a < b\n')
    m = find_fix(src, src.text.replace("a < b", "a <= b"), t.comparison)
    assert m.line == 5 and m.description == "`<` -> `<=` in line 5"


def test_dropping_a_not_keeps_the_brackets_a_multiline_operand_needs():
    src = source('''\
        def stale(fname, other, newer):
            if not (fname and
                    newer > other):
                return True
            flag = not (fname or
                        other)
            return flag
        ''')
    for m, text in results(src, t.negate_condition) + results(src, t.boolean):
        compile(text, "m.py", "exec")
    find_fix(src, src.text.replace("if not (fname and", "if (fname and"), t.negate_condition)


def test_names_declared_global_or_nonlocal_are_never_swapped_in():
    src = source('''\
        _cache = None

        def load(path):
            value = path.upper()
            global _cache
            _cache = value
            return value
        ''')
    for m, text in results(src):
        compile(text, "m.py", "exec")  # "used prior to global declaration" would be a SyntaxError


def test_dropping_an_operand_keeps_a_multiline_rest_in_brackets():
    src = source('''\
        def check(args, exists, same):
            if args is None or (exists(args) and
                                same(args)):
                raise SystemExit("no")
        ''')
    made = results(src, t.drop_condition)
    assert len(made) >= 2
    for m, text in made:
        compile(text, "m.py", "exec")
