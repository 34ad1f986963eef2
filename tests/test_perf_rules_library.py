"""Offline speed rewrites for shapes found in real libraries' code (bench/pypi_slow, issue 21): names bound
under `if sys.version_info ...` (aliases of builtins, the live one of two `def`s), bytes or a str whose
length the loop reads built by concatenation, an if-chain of constant returns, membership on lists held
in a dict attribute, and a module's own `len` on a list. Same shape as tests/test_perf_rules.py: each
rewrite behaves as the original on sample inputs (both exec'd), each precondition has a silent case."""

from __future__ import annotations

import ast
import json
import textwrap

import pytest

from test_perf_rules import assert_same

from suture.agent.optimize.perf_rules import rewrites
from suture.agent.optimize.perf_rules.edits import _Module
from suture.agent.optimize.perf_rules.evidence import function_evidence
from suture.agent.optimize.perf_rules.modulescope import module_scope, version_test


def record(**names) -> dict:
    return {"calls": 4, "samples": 4, "names": {n: {"types": {json.dumps(d): 1}, "max_len": 3} for n, d in names.items()}}


def rules(source: str, function: str, evidence: dict | None = None) -> dict:
    ast.parse(textwrap.dedent(source))  # a variant that does not parse would make a silent rule prove nothing
    return {r.rule: r for r in rewrites("pkg/mod.py", textwrap.dedent(source), function, evidence)}


# -- module scope: version tests, aliases of builtins, live defs ---------------------------------------------

COMPAT = """
    import sys

    if sys.version_info < (3,):
        text_type = unicode
        def b(s):
            return s
    else:
        text_type = str
        def b(s):
            return s.encode("latin-1")
    if sys.version_info >= (3, 0):
        unichr = chr
    if sys.version_info >= (3, 11):
        maybe = str
    else:
        maybe = repr
    try:
        shadowed = str
    except NameError:
        shadowed = repr


    def f():
        global later
        later = 1

    later = str
"""


def test_version_tests_are_read_as_every_python_3_reads_them():
    def test(text):
        return version_test(ast.parse(text, mode="eval").body)
    assert test("sys.version_info < (3,)") is False
    assert test("sys.version_info >= (3, 0)") is True
    assert test("(3, 4) <= sys.version_info") is True
    assert test("sys.version_info[0] == 2") is False
    assert test("sys.version_info.major >= 3") is True
    assert test("sys.version_info >= (3, 11)") is None  # 3.8 and 3.13 disagree
    assert test("sys.version_info < (3, 8, 0, 1)") is None  # compares "final" with an int
    assert test("os.version_info < (3,)") is None
    scope = module_scope(_Module(textwrap.dedent(COMPAT), ast.parse(textwrap.dedent(COMPAT))))
    assert scope.aliases == {"text_type": "str", "unichr": "chr"}  # maybe: undecided, two; shadowed: two; later: global
    assert isinstance(scope.live_defs.get("b"), ast.FunctionDef) and "f" in scope.live_defs
    assert scope.live_defs["b"].body[0].value.func.attr == "encode"  # the Python 3 one


DUMP_LIST = """
    import sys

    if sys.version_info >= (3,):
        unicode = str


    def dump_list(values):
        retval = "["
        for u in values:
            retval += " " + unicode(u) + ","
        retval += "]"
        return retval
"""


def test_a_module_alias_of_str_types_the_pieces_so_the_join_rule_applies():
    r = rules(DUMP_LIST, "dump_list")["str-concat-to-join"]
    assert_same(DUMP_LIST, r, "dump_list", [([],), ([1, "a", 2.5, None],), ([[1]],)])


@pytest.mark.parametrize("variant", [
    DUMP_LIST.replace("if sys.version_info >= (3,):", "if sys.version_info >= (3, 11):"),  # undecided: maybe unbound
    DUMP_LIST.replace("        unicode = str\n", "        unicode = str\n    unicode = repr\n"),  # bound twice
    DUMP_LIST.replace('        retval = "["', '        unicode = repr\n        retval = "["'),  # a local
])
def test_an_alias_that_may_be_something_else_does_not_type_the_pieces(variant):
    assert "str-concat-to-join" not in rules(variant, "dump_list")


# -- concat-to-join-running-length --------------------------------------------------------------------------

TABLES = """
    import sys

    if sys.version_info < (3,):
        def b(s):
            return s
    else:
        def b(s):
            return s.encode("latin-1")


    def tables(entries):
        offsets = []
        ids, strs = b(''), b('')
        for key, value in entries:
            msgid = key.encode("utf-8")
            msgstr = value.encode("utf-8")
            offsets.append((len(ids), len(msgid), len(strs), len(msgstr)))
            ids += msgid + b('\\0')
            strs += msgstr + b('\\0')
        return offsets, ids + strs, len(ids)
"""
ENTRIES = [([],), ([("a", "x")],), ([("héllo", "wörld"), ("", ""), ("k", "vvv")],), ([("a", 1)],)]


def test_bytes_read_for_their_length_are_joined_once_with_a_running_length():
    evidence = {"tables": record(key="str", value="str", msgid="bytes", msgstr="bytes", ids="bytes", strs="bytes")}
    r = rules(TABLES, "tables", evidence)["concat-to-join-running-length"]
    assert "`ids`, `strs`" in r.description
    assert "offsets.append((_ids_len, len(msgid), _strs_len, len(msgstr)))" in r.new_source
    assert 'ids += b"".join(_ids_parts)' in r.new_source
    assert_same(TABLES, r, "tables", ENTRIES)
    # The pieces are typed from the source alone: `key.encode(...)` is bytes once key is a str, b() from its live def.
    assert "concat-to-join-running-length" in rules(TABLES, "tables", {"tables": record(key="str", value="str")})


STR_OFFSETS = """
    def lines_with_offsets(words: list[str]) -> tuple[str, list[int]]:
        out = ""
        starts = []
        for w in words:
            starts.append(len(out))
            out = out + w + "\\n"
        return out, starts
"""


def test_a_str_read_for_its_length_is_joined_once_too():
    r = rules(STR_OFFSETS, "lines_with_offsets")["concat-to-join-running-length"]
    assert "str-concat-to-join" not in rules(STR_OFFSETS, "lines_with_offsets")
    assert_same(STR_OFFSETS, r, "lines_with_offsets", [([],), (["a", "bc", ""],), (["é" * 3],)])


@pytest.mark.parametrize("variant", [
    TABLES.replace("ids += msgid + b('\\0')", "ids += msgid + tag(key)"),  # a piece of unknown type
    TABLES.replace("            strs += msgstr", "            last = ids[-1:]\n            strs += msgstr"),  # read otherwise
    TABLES.replace("    def tables(entries):\n", "    def len(x):\n        return 0\n\n\n    def tables(entries):\n"),
])
def test_the_running_length_rule_steps_back(variant):
    assert variant != TABLES
    evidence = {"tables": record(key="str", value="str", msgid="bytes", msgstr="bytes", ids="bytes", strs="bytes")}
    hit = rules(variant, "tables", evidence).get("concat-to-join-running-length")
    assert hit is None or "`ids`" not in hit.description  # strs, untouched by the change, may still qualify


def test_a_str_nothing_reads_is_left_to_the_plain_join_rule():
    plain = STR_OFFSETS.replace("            starts.append(len(out))\n", "")
    got = rules(plain, "lines_with_offsets")
    assert "str-concat-to-join" in got and "concat-to-join-running-length" not in got


# -- if-chain-to-dict ------------------------------------------------------------------------------------

UNESCAPE = """
    import re


    def unescape(st):
        def unescape_repl(m):
            m = m.group(1)
            if m == 'n':
                return '\\n'
            if m == 't':
                return '\\t'
            if m == 'r':
                return '\\r'
            if m == '\\\\':
                return '\\\\'
            return m  # an escaped quote
        return re.sub(r'\\\\(\\\\|n|t|r|")', unescape_repl, st)
"""
TEXTS = [("",), (r"a\nb\t\\",), (r'\"q\r\x',), ("plain",), ("\\",)]


def test_a_constant_if_chain_in_a_callback_becomes_one_dict_lookup():
    evidence = {"unescape.unescape_repl": record(m="str")}
    assert "if-chain-to-dict" not in rules(UNESCAPE, "unescape.unescape_repl")  # m's type: only the run shows it
    r = rules(UNESCAPE, "unescape.unescape_repl", evidence)["if-chain-to-dict"]
    assert "return _UNESCAPE_REPL_RETURNS.get(m, m)  # an escaped quote" in r.new_source
    assert any("`m` was str" in e for e in r.evidence)
    assert_same(UNESCAPE, r, "unescape", TEXTS)


ELIF = """
    def weight(code: int) -> float:
        if code == 1:
            return 0.5
        elif code == 2:
            return 1.5
        elif 3 == code:
            return 2.0
        else:
            return None
"""


def test_an_elif_chain_of_ints_becomes_one_lookup():
    r = rules(ELIF, "weight")["if-chain-to-dict"]
    assert "{1: 0.5, 2: 1.5, 3: 2.0}" in r.new_source
    assert_same(ELIF, r, "weight", [(1,), (3,), (4,), (True,), (2.0,)])


@pytest.mark.parametrize("variant", [
    ELIF.replace("code: int", "code"),  # unknown type: may be unhashable or compare oddly
    ELIF.replace("elif 3 == code", "elif 1 == code"),  # a repeated key: the first test wins, a dict keeps the last
    ELIF.replace("elif 3 == code", "elif 'x' == code"),  # a key of another type
    ELIF.replace("return 1.5", "return [1.5]"),  # a mutable value would be shared
    ELIF.replace("return None", "return fallback()"),  # the default would run every time
    ELIF.replace("            return 1.5", "            # half\n            return 1.5"),  # a comment would be lost
    ELIF.replace("        elif 3 == code:\n            return 2.0\n", ""),  # two cases: not worth a table
])
def test_the_if_chain_rule_steps_back(variant):
    assert variant != ELIF
    assert "if-chain-to-dict" not in rules(variant, "weight")


# -- keyed-list-membership-to-set --------------------------------------------------------------------------

GRAMMAR = """
    import sys


    class Grammar:
        def __init__(self, prods, nonterminals):
            self.Productions = prods
            self.Nonterminals = nonterminals
            self.Follow = {}

        def _first(self, beta):
            result = []
            for x in beta:
                if x not in result:
                    result.append(x)
                if x not in self.Nonterminals:
                    break
            return result

        def compute_follow(self, start):
            if self.Follow:
                return self.Follow
            for k in self.Nonterminals:
                self.Follow[k] = []
            self.Follow[start] = ['$end']
            while True:
                didadd = False
                for name, prod in self.Productions:
                    for i, B in enumerate(prod):
                        if B in self.Nonterminals:
                            for f in self._first(prod[i + 1:]):
                                if f not in self.Follow[B] and f not in self.Nonterminals:
                                    self.Follow[B].append(f)
                                    didadd = True
                            if i == len(prod) - 1:
                                for f in self.Follow[name]:
                                    if f not in self.Follow[B]:
                                        self.Follow[B].append(f)
                                        didadd = True
                if not didadd:
                    break
            return self.Follow


    def follow(prods, start):
        return Grammar(prods, {n: 1 for n, _ in prods}).compute_follow(start)
"""
PRODS = [([("e", ("e", "+", "t")), ("e", ("t",)), ("t", ("t", "*", "a")), ("t", ("a",)), ("a", ("(", "e", ")")),
           ("a", ("n",))], "e"), ([("s", ())], "s"), ([("s", ("x", "s", "y")), ("s", ("z",))], "s")]
FOLLOW_TYPES = {"self": "other:mod.Grammar", "self.Follow": ["dict", "str", ["list", "str"]],
                "B": "str", "f": "str", "name": "str", "start": "str"}


def follow_evidence(**changes) -> dict:
    names = {k: v for k, v in {**FOLLOW_TYPES, **changes}.items() if v is not None}
    return {"Grammar.compute_follow": record(**names)}


def test_membership_on_lists_held_in_a_dict_attribute_uses_a_set_per_key():
    assert "keyed-list-membership-to-set" not in rules(GRAMMAR, "Grammar.compute_follow")
    r = rules(GRAMMAR, "Grammar.compute_follow", follow_evidence())["keyed-list-membership-to-set"]
    assert "_Follow_sets = {}\n        while True:" in r.new_source
    assert "if B in _Follow_sets: _Follow_sets[B].add(f)" in r.new_source
    assert any("`self.Follow` was dict[str, list[str]]" in e for e in r.evidence), r.evidence
    assert any("`self` was a mod.Grammar" in e for e in r.evidence), r.evidence
    assert_same(GRAMMAR, r, "follow", PRODS)


@pytest.mark.parametrize("variant, evidence", [
    (GRAMMAR, {"self": "other:mod.SubGrammar"}),  # a subclass may override _first
    (GRAMMAR, {"self.Follow": ["dict", "str", ["list", "mixed"]]}),  # items of no one type
    (GRAMMAR, {"B": ["list", "str"]}),  # an unhashable key
    (GRAMMAR.replace("            return result", "            self.Follow[beta[0]].append('x')\n            return result"),
     {}),  # the helper changes the lists behind the sets
    (GRAMMAR.replace("                if not didadd:", "                self.Follow[start].remove('$end')\n"
                                                           "                if not didadd:"), {}),
    (GRAMMAR.replace("                if not didadd:", "                held = self.Follow[start]\n                if not didadd:"),
     {}),  # a list handed out: it could change later
    (GRAMMAR.replace("                if not didadd:", "                self.Follow = {}\n                if not didadd:"), {}),
])
def test_the_keyed_membership_rule_steps_back(variant, evidence):
    assert "keyed-list-membership-to-set" not in rules(variant, "Grammar.compute_follow", follow_evidence(**evidence))


def test_a_list_rebound_after_the_sets_exist_drops_its_set():
    source = GRAMMAR.replace("                if not didadd:", "                self.Follow[start] = sorted(self.Follow[start])\n"
                                                                   "                if not didadd:")
    r = rules(source, "Grammar.compute_follow", follow_evidence())["keyed-list-membership-to-set"]
    assert "_Follow_sets.pop(start, None)" in r.new_source
    assert_same(source, r, "follow", PRODS)


# -- hoist-invariant-module-call -------------------------------------------------------------------------------

WIDTH = """
    import sys
    import unicodedata

    if sys.version_info >= (3, 0):
        unicode_type = str
        bytes_type = bytes


    def len(iterable):
        \"\"\"Display width of a str; the item count of anything else.\"\"\"
        if isinstance(iterable, bytes_type) or isinstance(iterable, unicode_type):
            return sum([2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in iterable])
        else:
            return iterable.__len__()


    def len_cell(cell: str) -> int:
        maxi = 0
        for line in cell.split('\\n'):
            length = 0
            parts = line.split('\\t')
            for part, i in zip(parts, list(range(1, len(parts) + 1))):
                length = length + len(part)
                if i < len(parts):
                    length = (length // 8 + 1) * 8
            maxi = max(maxi, length)
        return maxi
"""


def test_the_modules_own_len_of_a_list_is_hoisted_out_of_the_loop():
    r = rules(WIDTH, "len_cell")["hoist-invariant-module-call"]
    assert "_len_parts = len(parts)\n        for part, i in zip" in r.new_source
    assert "if i < _len_parts:" in r.new_source and "len(part)" in r.new_source
    assert any("`len` changes nothing" in e for e in r.evidence), r.evidence
    assert_same(WIDTH, r, "len_cell", [("",), ("a\tbb\n漢\t\tc",), ("\t\t\t",)])


@pytest.mark.parametrize("variant", [
    WIDTH.replace("            parts = line.split('\\t')\n", "            parts = line\n"),  # a str: the width path
    WIDTH.replace("            return iterable.__len__()", "            sys.stderr.write('x')\n            return iterable.__len__()"),
    WIDTH.replace("                if i < len(parts):", "                parts.append('')\n                if i < len(parts):"),
    WIDTH.replace("if sys.version_info >= (3, 0):", "if sys.version_info >= (3, 12):"),  # the test is not decided
])
def test_the_module_call_stays_where_its_path_is_not_known_to_only_read(variant):
    assert "hoist-invariant-module-call" not in rules(variant, "len_cell")


# -- evidence: tuples per position -------------------------------------------------------------------------

def test_tuples_keep_their_types_per_position_and_differing_lengths_fall_back():
    pairs = ["list", ["tuple", "mixed", ["int", "str"]]]
    types, _, varying = function_evidence(record(diffs=pairs))
    assert types["diffs"] == ("list", ("tuple", "hashable", ("int", "str"))) and varying == []
    both = {"calls": 2, "samples": 2, "names": {"beta": {"types": {json.dumps(["tuple", "str", ["str", "str"]]): 1,
                                                                    json.dumps(["tuple", "str", ["str"]]): 1,
                                                                    json.dumps(["tuple", None]): 1}, "max_len": 2}}}
    assert function_evidence(both)[0]["beta"] == ("tuple", "str")
    mixed = {"calls": 2, "samples": 2, "names": {"t": {"types": {json.dumps(["tuple", "mixed", ["int", "str"]]): 1,
                                                                 json.dumps(["tuple", "mixed", ["int", "str", "int"]]): 1},
                                                       "max_len": 3}}}
    assert function_evidence(mixed)[2] == ["t"]


def test_the_recorder_sees_nested_functions_short_tuples_and_the_containers_self_holds(tmp_path):
    import sys

    from suture.tools.perf.timing import Runner
    from suture.tools.perf.typeprobe import record_types

    (tmp_path / "mod.py").write_text(textwrap.dedent("""\
        import re

        def unescape(st):
            def repl(m):
                m = m.group(1)
                return m.upper()
            return re.sub("(a|b)", repl, st)

        class Grammar:
            def __init__(self):
                self.Follow = {"e": ["x", "y"]}
                self.name = "g"
                self.diffs = [(0, "a"), (1, "b")]

            def follow(self, pair):
                return self.Follow[pair[1]]
        """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""\
        from mod import Grammar, unescape
        for i in range(40):
            unescape("abcab")
            Grammar().follow((i, "e"))
        """))
    found = record_types(Runner([sys.executable, "main.py"], tmp_path, {}), tmp_path,
                         [("mod.py", "unescape.repl"), ("mod.py", "Grammar.follow")])
    repl = found[("mod.py", "unescape.repl")]["names"]
    assert set(repl["m"]["types"]) == {json.dumps("str")}  # watched by the index's name, not "<locals>"
    types, sentences, varying = function_evidence(found[("mod.py", "Grammar.follow")])
    assert types["self.Follow"] == ("dict", "str", ("list", "str")) and types["type(self)"] == "mod.Grammar"
    assert types["self.diffs"] == ("list", ("tuple", "hashable", ("int", "str")))
    assert types["pair"] == ("tuple", "hashable", ("int", "str")) and varying == []
    assert "`self` was a mod.Grammar" in sentences["type(self)"]


# -- inline-nested-helper ---------------------------------------------------------------------------------

NATURAL = """
    import re


    def natural_sort(lst):
        def convert(text):
            \"\"\"A number for digits.\"\"\"
            return int(text) if text.isdigit() else text.lower()

        def alphanum_key(key):
            return [convert(c) for c in re.split('([0-9]+)', key)]
        return sorted(lst, key=alphanum_key)
"""


def test_a_one_expression_helper_is_inlined_where_a_comprehension_calls_it():
    r = rules(NATURAL, "natural_sort.alphanum_key")["inline-nested-helper"]
    assert "return [(int(c) if c.isdigit() else c.lower()) for c in re.split" in r.new_source
    assert "def convert(text):" in r.new_source  # the helper stays for anything else that calls it
    assert_same(NATURAL, r, "natural_sort", [([],), (["a10", "a9", "B2", "b10x", "", "007"],), ([1],)])


@pytest.mark.parametrize("variant", [
    NATURAL.replace("        return sorted(", "        convert = str.upper\n        return sorted("),  # rebound
    NATURAL.replace("convert(c)", "convert(c.strip())"),  # an argument with effects of its own
    NATURAL.replace("text.lower()", "text.lower() + SUFFIX").replace("import re", "import re\n    SUFFIX = 'x'"),  # a global
    NATURAL.replace("            return [convert", "            int = float\n            return [convert"),  # shadowed
    NATURAL.replace("def convert(text):", "def convert(text, base):").replace("convert(c)", "convert(c, 10)"),  # unused
    NATURAL.replace("            return int(text)", "            text = text.strip()\n            return int(text)"),
])
def test_the_inline_rule_steps_back(variant):
    assert variant != NATURAL
    assert "inline-nested-helper" not in rules(variant, "natural_sort.alphanum_key")


def test_a_function_defined_under_a_test_is_the_modules_not_the_builtin():
    # texttable imports sys after its docstring and metadata; `len` here is defined under a try, so it is
    # neither the builtin nor a live def: hoisting `len(words)` as the builtin would be wrong, as the module's unsure
    source = """
        \"\"\"Doc.\"\"\"
        __version__ = "1"
        import sys

        try:
            def len(x):
                return 0
        except ImportError:
            pass


        def count(words: list[str], n: int) -> int:
            total = 0
            for i in range(n):
                total += len(words)
            return total
    """
    got = rules(source, "count")
    assert "hoist-invariant-call" not in got and "hoist-invariant-module-call" not in got
    scope = module_scope(_Module(textwrap.dedent(WIDTH), ast.parse(textwrap.dedent(WIDTH))))
    assert scope.aliases == {"unicode_type": "str", "bytes_type": "bytes"}
    late = textwrap.dedent(WIDTH).replace("import sys\n", "__all__ = []\nimport sys\n", 1)
    assert module_scope(_Module(late, ast.parse(late))).aliases == scope.aliases  # `sys` need not come first
