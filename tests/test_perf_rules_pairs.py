"""pair-scan-to-index (agent/optimize/perf_rules/rescans.py): a nested scan for the partner of each item
(`A[i] + A[j] == 0`, `A[j] == target - x`) visits only the positions holding the partner value. Same shape as
tests/test_perf_rules.py: each rewrite behaves the same as the original on sample inputs (both exec'd), each
precondition has a case where the rule stays silent, and the rule does not fire again on its own output."""

from __future__ import annotations

import random

import pytest

from test_perf_rules import assert_same, found, only

from suture.agent.optimize.perf_rules import rewrites

PAIRS = """
    def matching_pairs(amounts: list[int]) -> list[tuple[int, int]]:
        pairs = []
        for i in range(len(amounts)):
            for j in range(i + 1, len(amounts)):
                if amounts[i] + amounts[j] == 0:
                    pairs.append((i, j))
        return pairs
"""

# Another style: enumerate, a length taken once, the partner computed from a target, a break on the first.
TWO_SUM = """
    def first_partners(values: list[int], target: int) -> dict[int, int]:
        n = len(values)
        partner = {}
        for i, x in enumerate(values):
            for k in range(i, n):
                if values[k] == target - x:
                    partner[i] = k
                    break
        return partner
"""


def _ints(seed: int, count: int, spread: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(-spread, spread) for _ in range(count)]


def test_a_pair_scan_visits_only_the_positions_of_the_partner_value():
    r = only(PAIRS, "pair-scan-to-index")
    assert "    _amounts_at = {}\n    for _amounts_pos, _amounts_item in enumerate(amounts):\n" \
           "        _amounts_at.setdefault(_amounts_item, []).append(_amounts_pos)\n    for i in range(len(amounts)):\n" \
           "        _amounts_hits = _amounts_at.get(-amounts[i], ())\n" \
           "        for j in _amounts_hits[bisect_left(_amounts_hits, i + 1):]:\n" \
           "            if amounts[i] + amounts[j] == 0:" in r.new_source
    assert "from bisect import bisect_left\n" in r.new_source
    samples = [([],), ([0],), ([0, 0, 0],), ([5, -5, 3, 5],), ([10**20, -(10**20)],), ([True, -1, 1, False],)]
    samples += [(_ints(seed, 30, 4),) for seed in range(20)]
    assert_same(PAIRS, r, "matching_pairs", samples)


def test_a_partner_computed_from_a_target_in_another_style():
    r = only(TWO_SUM, "pair-scan-to-index")
    assert "_values_hits = _values_at.get(target - x, ())\n        for k in _values_hits[bisect_left(_values_hits, i):]:" \
        in r.new_source
    samples = [([], 0), ([3], 6), ([3, 3], 6), ([1, 2, 3, 4, 5], 6), ([2, 7, 11, 15, 7], 9)]
    samples += [(_ints(seed, 25, 5), seed % 5 - 2) for seed in range(20)]
    assert_same(TWO_SUM, r, "first_partners", samples)


def test_equal_values_by_plain_equality_keep_nan_and_signed_zero_apart_as_before():
    source = """
        def repeats(words: list[str]) -> list[tuple[int, int]]:
            out = []
            for a in range(len(words)):
                for b in range(len(words)):
                    if words[b] == words[a]:
                        out.append((a, b))
            return out
    """
    r = only(source, "pair-scan-to-index")
    assert "for b in _words_hits:" in r.new_source  # from 0: every position holding the value
    assert_same(source, r, "repeats", [([],), (["a", "b", "a", "é", "a"],), (["x"] * 4,)])
    floats = source.replace("list[str]", "list[float]")
    r = only(floats, "pair-scan-to-index")
    nan = float("nan")
    assert_same(floats, r, "repeats", [([nan, 1.0, nan, -0.0, 0.0, 1],), ([nan],)])


def test_a_pair_scan_is_not_rewritten_again():
    for source in (PAIRS, TWO_SUM):
        first = only(source, "pair-scan-to-index")
        assert [x for x in rewrites("pkg/mod.py", first.new_source) if x.rule == "pair-scan-to-index"] == []


@pytest.mark.parametrize("variant", [
    # floats: a + b == 0.3 does not mean b == 0.3 - a
    PAIRS.replace("list[int]", "list[float]"),
    # elements of unknown type
    PAIRS.replace("amounts: list[int]", "amounts"),
    # not an equality
    PAIRS.replace("amounts[i] + amounts[j] == 0", "amounts[i] + amounts[j] < 0"),
    # both sides read j: no value to look up
    PAIRS.replace("amounts[i] + amounts[j] == 0", "amounts[j] + amounts[j] == 0"),
    # the partner depends on a call (it could change, or fail, per item)
    PAIRS.replace("amounts[i] + amounts[j] == 0", "amounts[i] + amounts[j] == limit()"),
    # the inner range may start below zero: amounts[-1] is the last item, which positions never give
    PAIRS.replace("range(i + 1, len(amounts))", "range(i - 1, len(amounts))"),
    # the inner range is not over the list's positions
    PAIRS.replace("range(i + 1, len(amounts))", "range(i + 1, len(amounts) - 1)"),
    # the list grows while it is scanned
    PAIRS.replace("                    pairs.append((i, j))", "                    pairs.append((i, j))\n"
                  "                    amounts.append(0)"),
    # the body rebinds what the partner is computed from
    TWO_SUM.replace("                    break", "                    x = 0"),
    # the loop variable is read after the loop (its last value, which the positions would not give)
    PAIRS.replace("        return pairs", "        print(j)\n        return pairs"),
    # an else: the positions that do not match matter
    PAIRS.replace("                    pairs.append((i, j))", "                    pairs.append((i, j))\n"
                  "                else:\n                    pairs.append(None)"),
    # the inner loop does more than the one test
    PAIRS.replace("                    pairs.append((i, j))", "                    pairs.append((i, j))\n"
                  "                pairs.append(None)"),
    # the index `i` is not a loop index of this list, so `amounts[i]` could fail where the inner range is empty
    PAIRS.replace("for i in range(len(amounts)):", "for i in range(len(amounts) + 1):"),
    # n may no longer be the list's length: the list is changed in the function
    TWO_SUM.replace("        partner = {}", "        partner = {}\n        values.append(0)"),
    # an unknown call in the loop could change the list through an alias
    PAIRS.replace("pairs.append((i, j))", "pairs.append(record(i, j))"),
    # not inside another loop: one scan, nothing to save
    """
    def partners(amounts: list[int], x: int) -> list[int]:
        out = []
        for j in range(len(amounts)):
            if x + amounts[j] == 0:
                out.append(j)
        return out
    """,
])
def test_pair_scan_preconditions(variant):
    assert found(variant, "pair-scan-to-index") == []
