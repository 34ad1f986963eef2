"""More offline speed rewrites (agent/optimize/perf_rules/): a memo for tree recursion in a nested helper, append
loops to list comprehensions, hoisting past code that is handed an immutable value, and rules that do not fire
again on what they left behind in the previous round. Same shape as tests/test_perf_rules.py: each rewrite
behaves the same as the original on sample inputs (both exec'd), each precondition has a case where the rule
stays silent."""

from __future__ import annotations

import textwrap

import pytest

from test_perf_rules import assert_same, found, only

from suture.agent.optimize.perf_rules import rewrites

# -- memoise-pure-recursion ---------------------------------------------------------------------------

GRID = """
    def count_paths(rows: int, cols: int, blocked: frozenset[tuple[int, int]]) -> int:
        def walk(r, c):
            if r >= rows or c >= cols or (r, c) in blocked:
                return 0
            if (r, c) == (rows - 1, cols - 1):
                return 1
            return walk(r + 1, c) + walk(r, c + 1)
        return walk(0, 0)
"""

# Edit distance in another style: a docstring, str indexing, min() of three recursive calls, one int key each.
DISTANCE = '''
    def distance(a: str, b: str) -> int:
        n, m = len(a), len(b)

        def d(i, j):
            """Edits that turn a[i:] into b[j:]."""
            if i == n:
                return m - j
            if j == m:
                return n - i
            cost = 0 if a[i] == b[j] else 1
            return min(d(i + 1, j) + 1, d(i, j + 1) + 1, d(i + 1, j + 1) + cost)

        return d(0, 0)
'''


def test_tree_recursion_in_a_nested_helper_gets_a_memo():
    r = only(GRID, "memoise-pure-recursion")
    assert "    _walk_memo = {}\n    def walk(r, c):\n        _walk_key = (r, c)\n        if _walk_key in _walk_memo:\n" \
           "            return _walk_memo[_walk_key]\n" in r.new_source
    assert "return _walk_memo.setdefault(_walk_key, walk(r + 1, c) + walk(r, c + 1))" in r.new_source
    # A long thin grid recurses ~400 deep in both (the memo adds no frame); a longer one fails alike.
    assert_same(GRID, r, "count_paths", [(0, 0, frozenset()), (1, 1, frozenset({(0, 0)})), (-1, 3, frozenset()),
                                         (5, 6, frozenset({(1, 1), (3, 2)})), (1, 400, frozenset()),
                                         (1, 5000, frozenset())])


def test_a_helper_with_a_docstring_and_three_recursive_calls():
    r = only(DISTANCE, "memoise-pure-recursion")
    assert '"""Edits that turn a[i:] into b[j:]."""\n        _d_key = (i, j)' in r.new_source
    assert_same(DISTANCE, r, "distance", [("", ""), ("kitten", "sitting"), ("ééa", "aé"), ("abc", "")])


@pytest.mark.parametrize("variant", [
    # one recursive call: linear recursion, nothing to share
    GRID.replace("walk(r + 1, c) + walk(r, c + 1)", "walk(r + 1, c) + 1"),
    # float keys: 0.0 and -0.0 are equal keys with different results
    GRID.replace("rows: int, cols: int", "rows: float, cols: float").replace("walk(0, 0)", "walk(0.0, 0.0)"),
    # bool keys: True == 1
    GRID.replace("walk(0, 0)", "walk(False, 0)"),
    # a result that is a list: the memo would hand one object to several callers
    GRID.replace("return 0", "return []").replace("return 1", "return [1]"),
    # the helper calls code nothing is known about
    GRID.replace("            if (r, c) ==", "            notify(r)\n            if (r, c) =="),
    # the helper is handed on, so it may be called after the enclosing call's values changed
    GRID.replace("        return walk(0, 0)", "        register(walk)\n        return walk(0, 0)"),
    # already decorated
    GRID.replace("        def walk(r, c):", "        @trace\n        def walk(r, c):"),
    # a default value
    GRID.replace("def walk(r, c):", "def walk(r, c=0):"),
    # the enclosing function changes a value the helper reads between calls
    GRID.replace("        return walk(0, 0)", "        first = walk(0, 0)\n        rows = rows - 1\n"
                                                  "        return first + walk(0, 0)"),
    # a container the helper reads is filled after the def
    """
    def count(n: int) -> int:
        seen = [0]
        def ways(k):
            if k <= 1 or k in seen:
                return 1
            return ways(k - 1) + ways(k - 2)
        seen.append(n // 2)
        return ways(n)
    """,
    # a module-level name: anything may rebind it between calls
    "LIMIT = 3\n" + textwrap.dedent(GRID).replace("if r >= rows", "if r >= LIMIT"),
    # the helper writes into a container of the enclosing function
    GRID.replace("            if (r, c) ==", "            hits[r] = c\n            if (r, c) ==").replace(
        "        def walk", "        hits = {}\n        def walk"),
])
def test_memo_preconditions(variant):
    assert found(variant, "memoise-pure-recursion") == []


def test_a_container_filled_before_the_def_is_fine():
    source = """
        def count(n: int, bad: list[int]) -> int:
            stops = set(bad)
            stops.add(-1)
            def ways(k):
                if k in stops:
                    return 0
                if k <= 1:
                    return 1
                return ways(k - 1) + ways(k - 2)
            return ways(n)
    """
    r = only(source, "memoise-pure-recursion")
    assert_same(source, r, "count", [(0, []), (18, [3, 7]), (16, []), (-4, [-4]), (2, [1])])


# -- append-loop-to-comprehension ---------------------------------------------------------------------

EVENS = """
    def evens(xs: list[int]) -> list[int]:
        out = []
        for x in xs:
            if x % 2 == 0:
                out.append(x * x)
        return out
"""


def test_an_append_loop_becomes_a_comprehension():
    r = only(EVENS, "append-loop-to-comprehension")
    assert "    out = [x * x for x in xs if x % 2 == 0]\n    return out" in r.new_source
    assert_same(EVENS, r, "evens", [([],), ([1, -2, 3, 4],), ([2.5, 4.0],), (["a"],)])


def test_a_tuple_target_and_an_iterable_that_needs_parentheses():
    source = """
        def labels(pairs: list[tuple[str, int]], extra: list[tuple[str, int]], both: bool) -> list[str]:
            out = []
            for name, n in pairs + extra if both else pairs:
                out.append(f"{name}={n}")
            return out
    """
    r = only(source, "append-loop-to-comprehension")
    assert 'out = [f"{name}={n}" for name, n in (pairs + extra if both else pairs)]' in r.new_source
    assert_same(source, r, "labels", [([], [], True), ([("a", 1)], [("b", 2)], True), ([("a", 1)], [("b", 2)], False)])


@pytest.mark.parametrize("variant", [
    # the loop variable is read after the loop
    EVENS.replace("        return out", "        print(x)\n        return out"),
    # the loop reads the list it builds
    EVENS.replace("if x % 2 == 0:", "if x not in out:"),
    # two statements in the body
    EVENS.replace("                out.append(x * x)", "                out.append(x * x)\n                log(x)"),
    # an else clause
    EVENS.replace("        return out", "        else:\n            out.append(0)\n        return out"),
    # inside a try: a half-built list is what the handler sees
    """
    def evens(xs: list[int]) -> list[int]:
        try:
            out = []
            for x in xs:
                out.append(10 // x)
        except ZeroDivisionError:
            pass
        return out
    """,
    # a statement between the two
    EVENS.replace("        out = []", "        out = []\n        total = 0"),
    # a comment in the loop would be lost
    EVENS.replace("if x % 2 == 0:", "if x % 2 == 0:  # evens only"),
    # an elif/else in the body
    EVENS.replace("                out.append(x * x)", "                out.append(x * x)\n            else:\n                pass"),
])
def test_comprehension_preconditions(variant):
    assert found(variant, "append-loop-to-comprehension") == []


# -- hoisting past code that is handed an immutable value ------------------------------------------

ANAGRAMS = """
    def groups(words: list[str]) -> list[list[str]]:
        out = []
        for word in words:
            for group in out:
                if sorted(group[0]) == sorted(word):
                    group.append(word)
                    break
            else:
                out.append([word])
        return out
"""


def test_a_str_handed_to_unknown_code_is_still_loop_invariant():
    r = only(ANAGRAMS, "hoist-invariant-call")
    assert "        _sorted_word = sorted(word)\n        for group in out:\n            if sorted(group[0]) == _sorted_word:" \
        in r.new_source
    assert_same(ANAGRAMS, r, "groups", [([],), (["ab", "ba", "c", "ab", "é"],)])


def test_an_immutable_value_rebound_in_the_loop_is_not_invariant():
    variant = ANAGRAMS.replace("                    group.append(word)", "                    group.append(word)\n"
                                                                        "                    word = word.upper()")
    assert found(variant, "hoist-invariant-call") == []


# -- no rule fires again on what it left behind ----------------------------------------------------

def _again(source: str, rule: str) -> list:
    first = only(source, rule)
    return [r for r in rewrites("pkg/mod.py", first.new_source) if r.rule == rule]


def test_a_position_dict_is_not_built_again_for_its_own_fallback():
    source = """
        def ranks(names: list[str], order: list[str]) -> list[int]:
            out = []
            for n in names:
                out.append(order.index(n))
            return out
    """
    assert _again(source, "list-index-to-dict") == []


def test_a_hoisted_max_is_not_hoisted_again_from_its_own_fallback():
    source = """
        def over(xs: list[int], limits: list[int]) -> list[int]:
            out = []
            for x in xs:
                if x > max(limits):
                    out.append(x)
            return out
    """
    assert _again(source, "hoist-invariant-call") == []


@pytest.mark.parametrize("rule, source", [
    ("memoise-pure-recursion", GRID), ("append-loop-to-comprehension", EVENS), ("hoist-invariant-call", ANAGRAMS),
    ("list-membership-to-set", """
        def content(words: list[str], stop: list[str]) -> list[str]:
            return [w for w in words if w not in stop]
    """),
    ("seen-list-to-set", """
        def first_seen(items: list[str]) -> list[str]:
            seen = []
            for item in items:
                if item not in seen:
                    seen.append(item)
            return seen
    """),
])
def test_no_rule_rewrites_its_own_output(rule, source):
    assert _again(source, rule) == []


def test_a_users_own_conditional_slow_path_is_left_alone_only_behind_a_fast_path():
    source = """
        def ranks(names: list[str], order: list[str], fast: bool) -> list[int]:
            out = []
            for n in names:
                out.append(0 if fast else order.index(n))
            return out
    """
    assert found(source, "list-index-to-dict") != []  # `0` is no alias: an ordinary branch


def test_a_helper_whose_every_branch_returns():
    source = """
        def ways_to_pay(amount: int, coins: tuple[int, ...]) -> int:
            count = len(coins)

            def ways(rest, first):
                if rest == 0:
                    return 1
                elif rest < 0 or first == count:
                    return 0
                else:
                    use = ways(rest - coins[first], first)
                    return use + ways(rest, first + 1)

            return ways(amount, 0)
    """
    r = only(source, "memoise-pure-recursion")
    assert_same(source, r, "ways_to_pay", [(0, ()), (10, (2, 5, 3, 6)), (-1, (1,)), (30, (1, 2, 5)), (3, (0, 1))])
    # A branch that falls off the end returns None without going through the memo: no rewrite.
    falls = source.replace("                else:\n", "                elif first > 0:\n")
    assert found(falls, "memoise-pure-recursion") == []


# -- int-mod-to-bit-and ------------------------------------------------------------------------------

PARITY = """
    def squares_of_evens(numbers: list[int]) -> list[int]:
        out = []
        for n in numbers:
            if n % 2 == 0:
                out.append(n * n)
        return out
"""

# Another style: a while loop over indices, a bucket by `% 8` used as a value, an odd test by truthiness.
BUCKETS = """
    def spread(ids: tuple[int, ...]) -> tuple[list[int], int]:
        counts = [0] * 8
        odd = 0
        i = 0
        while i < len(ids):
            counts[ids[i] % 8] += 1
            if ids[i] % 2:
                odd += 1
            i += 1
        return counts, odd + ids[0] % 4 * 2 if ids else 0
"""


def test_an_int_parity_test_in_a_loop_is_a_bit_test():
    r = only(PARITY, "int-mod-to-bit-and")
    assert "        if not n & 1:\n" in r.new_source
    assert_same(PARITY, r, "squares_of_evens", [([],), ([0, -1, -2, 3, 4, 10**30, -(10**30) - 1, True, False],),
                                               (list(range(-20, 20)),)])


def test_a_modulo_by_a_power_of_two_in_another_style():
    hits = found(BUCKETS, "int-mod-to-bit-and")
    texts = [h.new_source for h in hits]
    assert any("counts[ids[i] & 7] += 1" in t for t in texts) and any("if ids[i] & 1:" in t for t in texts)
    assert len(hits) == 2  # `ids[0] % 4` runs once, after the loop: nothing to save
    for r in hits:
        assert_same(BUCKETS, r, "spread", [((),), ((5,),), ((-1, -8, 7, 2**70 + 3, -(2**65), 9),)])
    # As an operand of arithmetic the mask is parenthesised (`&` binds looser than `*` and `+`).
    source = PARITY.replace("out.append(n * n)", "out.append(n % 4 * 10 + n % 16)")
    texts = [h.new_source for h in found(source, "int-mod-to-bit-and")]
    assert any("out.append((n & 3) * 10 + n % 16)" in t for t in texts)
    assert any("out.append(n % 4 * 10 + (n & 15))" in t for t in texts)
    for r in found(source, "int-mod-to-bit-and"):
        assert_same(source, r, "squares_of_evens", [([-7, -4, 0, 2, 6, 31, 2**40],)])


@pytest.mark.parametrize("variant", [
    # floats: % works on them, & raises
    PARITY.replace("list[int]", "list[float]"),
    # values of unknown type (a Decimal, a numpy array: % means what their class says)
    PARITY.replace("numbers: list[int]", "numbers"),
    # not a power of two
    PARITY.replace("n % 2 == 0", "n % 3 == 0"),
    # a variable divisor
    PARITY.replace("n % 2 == 0", "n % k == 0").replace("numbers: list[int]", "numbers: list[int], k: int"),
    # str formatting, not arithmetic
    PARITY.replace("n % 2 == 0", "'%d' % n == '0'"),
    # not in a loop: one division, nothing to save
    """
    def is_even(n: int) -> bool:
        return n % 2 == 0
    """,
])
def test_mod_to_and_preconditions(variant):
    assert found(variant, "int-mod-to-bit-and") == []


def test_a_bit_test_is_not_rewritten_again():
    r = only(PARITY, "int-mod-to-bit-and")
    assert [x for x in rewrites("pkg/mod.py", r.new_source) if x.rule == "int-mod-to-bit-and"] == []
