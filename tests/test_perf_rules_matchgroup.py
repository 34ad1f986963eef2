"""match-group-to-subscript: `m.group(K)` of a re.sub callback's match read as `m[K]`. Each rewrite behaves as
the original on sample inputs (both exec'd), each precondition has a silent case (tests/test_perf_rules.py's shape)."""

from __future__ import annotations

import pytest

from test_perf_rules import assert_same
from test_perf_rules_library import record, rules

UNESCAPE = """
    import re


    def unescape(st):
        def unescape_repl(m):
            m = m.group(1)
            if m == 'n':
                return '\\n'
            return m + m.upper()
        return re.sub(r'\\\\(n|t|")', unescape_repl, st)
"""
TEXTS = [("",), (r"a\nb\t\\",), (r'\"q\n\x',), ("plain",), ("\\",)]


def test_a_sub_callbacks_match_group_becomes_a_subscript():
    r = rules(UNESCAPE, "unescape.unescape_repl")["match-group-to-subscript"]
    assert "        m = m[1]\n" in r.new_source
    assert "m + m.upper()" in r.new_source  # after the rebinding `m` is a str: left alone
    assert_same(UNESCAPE, r, "unescape", TEXTS)


NAMED = """
    def tags(text, pattern):
        def swap(match):
            return match.group('b') + match.group(1)
        return pattern.sub(swap, text)
"""


def test_a_match_the_run_showed_is_read_by_subscript_too():
    evidence = {"tags.swap": record(match="other:re.Match")}
    assert "match-group-to-subscript" not in rules(NAMED, "tags.swap")  # a compiled pattern's .sub: only the run shows it
    r = rules(NAMED, "tags.swap", evidence)["match-group-to-subscript"]
    assert "return match['b'] + match[1]" in r.new_source and any("re.Match" in e for e in r.evidence)
    import re
    assert_same(NAMED, r, "tags", [("ab", re.compile(r"(?P<a>a)(?P<b>b)")), ("", re.compile(r"(x)(?P<b>y)"))])


@pytest.mark.parametrize("variant", [
    UNESCAPE.replace("        return re.sub(", "        unescape_repl('x')\n        return re.sub("),  # called otherwise
    UNESCAPE.replace("re.sub(r", "other.sub(r"),  # not re's sub
    UNESCAPE.replace("    def unescape(st):\n", "    def unescape(st, re=re):\n"),  # `re` is a parameter
    UNESCAPE.replace("m = m.group(1)", "m = m.group()"),  # no group named: left as it is
    UNESCAPE.replace("m = m.group(1)", "m = m.group(True)"),  # a bool is not a group number to rewrite
    UNESCAPE.replace("m = m.group(1)", "m = m.group(1, 2)"),  # two groups: a tuple
    UNESCAPE.replace("            m = m.group(1)\n", "            if m:\n                m = m.group(1)\n"),  # nested rebinding
    UNESCAPE.replace("def unescape_repl(m):", "def unescape_repl(m, n=1):"),  # two parameters
])
def test_the_match_group_rule_steps_back(variant):
    assert variant != UNESCAPE
    assert "match-group-to-subscript" not in rules(variant, "unescape.unescape_repl")
