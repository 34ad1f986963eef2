"""The static anti-patterns (agent/gates/antipatterns.py): each detector on a patch that has it, and on a
legitimate patch that looks like it but does not."""

from __future__ import annotations

import textwrap

from suture.agent.fix.select import CONFIDENCE_THRESHOLD, confidence
from suture.agent.gates.antipatterns import anti_pattern_sentences, anti_patterns, change_size, of_files

MEDIAN = textwrap.dedent('''\
    def median(values):
        ordered = sorted(values)
        mid = len(ordered) // 2
        return ordered[mid]
    ''')

TOTAL = textwrap.dedent('''\
    def total(xs, log):
        s = 0
        for x in xs:
            s += x
        log.append(s)
        if s > 10:
            s = 10
        else:
            s = s * 2
        return s == 3
    ''')


def names(before: str, after: str) -> list[str]:
    return [p.name for p in anti_patterns(before, after)]


def test_an_early_return_before_the_original_body_makes_it_unreachable():
    early = MEDIAN.replace("    ordered = sorted", "    return sum(values) / len(values)\n    ordered = sorted")
    found = anti_patterns(MEDIAN, early)
    assert [p.name for p in found] == ["unreachable_code"]
    assert "`ordered = sorted(values)` and 2 more can no longer run" in found[0].detail
    # An exit inserted before the last statement only: that one statement is dead.
    assert names(MEDIAN, MEDIAN.replace("    return ordered[mid]", "    return mid\n    return ordered[mid]")) \
        == ["unreachable_code"]
    # An if/else that returns on both sides leaves nothing after it reachable either.
    both = MEDIAN.replace("    ordered = sorted", "    if values:\n        return 1\n    else:\n        raise ValueError\n"
                          "    ordered = sorted")
    assert names(MEDIAN, both) == ["unreachable_code"]


def test_a_guard_clause_at_the_top_is_not_an_early_exit():
    """`if not values: return 0` leaves a path past it: the original statements still run for every
    other input, so nothing became unreachable."""
    guard = MEDIAN.replace("    ordered = sorted", "    if not values:\n        return 0\n    ordered = sorted")
    assert names(MEDIAN, guard) == []
    none_guard = MEDIAN.replace("    ordered = sorted", "    if values is None:\n        return 0\n    ordered = sorted")
    assert names(MEDIAN, none_guard) == []
    # Dead code the user already had is not the patch's doing.
    dead = MEDIAN + "    print('never')\n"
    assert names(dead, dead.replace("// 2", "// 3")) == []


def test_a_deleted_loop_is_named_and_an_edited_loop_header_is_not():
    assert names(TOTAL, TOTAL.replace("    for x in xs:\n        s += x\n", "")) == ["deletes_loop"]
    assert names(TOTAL, TOTAL.replace("    for x in xs:\n        s += x\n", "    for x in xs:\n        pass\n")) \
        == ["deletes_loop"]
    assert names(TOTAL, TOTAL.replace("for x in xs:", "for x in xs[1:]:")) == []


def test_a_deleted_branch_body_is_named_and_an_unwrapped_or_edited_branch_is_not():
    assert names(TOTAL, TOTAL.replace("        s = 10\n", "        pass\n")) == ["deletes_branch"]
    assert names(TOTAL, TOTAL.replace("    else:\n        s = s * 2\n", "")) == ["deletes_branch"]
    # Negative: the condition changed, the body kept (the comparison template); a branch added.
    assert names(TOTAL, TOTAL.replace("if s > 10", "if s >= 10")) == []
    assert names(TOTAL, TOTAL.replace("    return s == 3", "    if s < 0:\n        s = 0\n    return s == 3")) == []


def test_a_condition_replaced_by_a_constant_is_named_and_a_real_condition_is_not():
    assert names(TOTAL, TOTAL.replace("if s > 10", "if True")) == ["constant_condition"]
    assert names(TOTAL, TOTAL.replace("if s > 10", "if s > 10 or True")) == ["constant_condition"]
    assert names(TOTAL, TOTAL.replace("if s > 10", "if not s")) == []
    # A `while True:` the user wrote stays theirs when the patch edits something else.
    loop = "def spin(q):\n    while True:\n        if q.pop() > 1:\n            break\n    return q\n"
    assert names(loop, loop.replace("> 1", ">= 1")) == []


def test_an_inverted_returned_predicate_is_named_and_a_narrower_change_is_not():
    found = anti_patterns(TOTAL, TOTAL.replace("return s == 3", "return s != 3"))
    assert [p.name for p in found] == ["inverts_result"]
    assert "returns `s != 3` where it returned `s == 3`" in found[0].detail
    assert names(TOTAL, TOTAL.replace("return s == 3", "return not s == 3")) == ["inverts_result"]
    # Negative: the boundary twin, and the same swap in an `if` test (not what is returned).
    assert names(TOTAL, TOTAL.replace("return s == 3", "return s <= 3")) == []
    assert names(TOTAL, TOTAL.replace("if s > 10", "if s <= 10")) == []


def test_a_dropped_call_statement_is_named_and_a_changed_call_is_not():
    found = anti_patterns(TOTAL, TOTAL.replace("    log.append(s)\n", ""))
    assert [p.name for p in found] == ["drops_call"]
    assert "`log.append(s)` is no longer called" in found[0].detail
    assert names(TOTAL, TOTAL.replace("log.append(s)", "log.extend(s)")) == []
    assert names(TOTAL, TOTAL.replace("log.append(s)", "log.append(s + 1)")) == []


def test_only_functions_both_versions_define_are_compared_and_bad_input_finds_nothing():
    assert anti_patterns(MEDIAN, "def median(:\n") == []  # the parse gate speaks for a broken file
    assert anti_patterns(MEDIAN, MEDIAN + "\n\ndef new():\n    return 1\n    x = 2\n") == []
    assert of_files([("new.py", None, "def f():\n    return 1\n    x = 2\n")]) == []
    early = MEDIAN.replace("    ordered = sorted", "    return 0\n    ordered = sorted")
    recorded = of_files([("stats.py", MEDIAN, early)])
    assert recorded[0]["name"] == "unreachable_code" and recorded[0]["detail"].startswith("stats.py: line 3")
    assert anti_pattern_sentences(recorded)[0].startswith("makes existing statements unreachable (stats.py: ")


def test_methods_are_compared_by_qualified_name():
    before = "class Box:\n    def size(self):\n        self.check()\n        return len(self.items)\n"
    assert names(before, before.replace("        self.check()\n", "")) == ["drops_call"]


def test_an_anti_pattern_caps_confidence_below_the_threshold_whatever_else_speaks_for_it():
    strong = confidence(5, "exhausted", None)
    assert not strong.weak
    capped = confidence(5, "exhausted", None, anti_patterns=["makes existing statements unreachable (x)"])
    assert capped.weak and capped.value < CONFIDENCE_THRESHOLD
    assert "anti-pattern: makes existing statements unreachable (x)" in capped.reasons


def test_change_size_counts_a_swapped_operator_as_one_node_and_a_wrapping_not_as_two():
    before = "def f(v):\n    if v is None:\n        return 1\n"
    swapped = change_size([("f.py", before, before.replace("v is None", "v is not None"))])
    wrapped = change_size([("f.py", before, before.replace("v is None", "not (v is None)"))])
    assert swapped == 1 and wrapped == 2


def test_the_choice_takes_a_clean_rival_over_a_smaller_patch_with_an_anti_pattern_and_caps_a_lone_one():
    from suture.agent.fix.choose import choose
    from suture.agent.gates.validate import GateVerdict

    tests = ["t.py::a", "t.py::b", "t.py::c"]
    early = GateVerdict("r1", True, "suite", fixed=tests[:1], selected_tests=tests, diff_lines=1, normalized_key="k1",
                        anti_patterns=[{"name": "unreachable_code", "detail": "m.py: line 3 `x = 1` can no longer run"}])
    clean = GateVerdict("r2", True, "suite", fixed=tests[:1], selected_tests=tests, diff_lines=2, normalized_key="k2")
    both = choose([early, clean], {})
    assert both.verdict.candidate_id == "r2" and not both.confidence.weak
    alone = choose([early], {})
    assert alone.verdict.candidate_id == "r1" and alone.confidence.weak
    assert "anti-pattern: makes existing statements unreachable (m.py: line 3 `x = 1` can no longer run)" \
        in alone.confidence.reasons


def test_change_size_counts_two_operators_swapped_between_them_as_two_nodes():
    # `a - b + z` -> `a + b - z` keeps one `+` and one `-`: a count of labels alone would say 0,
    # and this two-edit patch would tie with (or beat) the one-edit fix `a + b + z`.
    before = "def add(a, b):\n    return a - b + z\n"
    one = change_size([("f.py", before, before.replace("a - b + z", "a + b + z"))])
    two = change_size([("f.py", before, before.replace("a - b + z", "a + b - z"))])
    assert (one, two) == (1, 2)


OVERLAP = textwrap.dedent('''\
    def overlap(a, b, strict=True):
        lo = max(a[0], b[0])
        hi = min(a[1], b[1])
        if lo == hi and strict:
            return None
        return (lo, hi)
    ''')


def test_a_patch_that_reads_two_parameters_unalike_where_the_original_read_them_alike_breaks_symmetry():
    found = anti_patterns(OVERLAP, OVERLAP.replace("min(a[1], b[1])", "min(a[1], b[0])"))
    assert [p.name for p in found] == ["breaks_symmetry"]
    assert found[0].detail == "`overlap` read `a` and `b` alike; line 3 `hi = min(a[1], b[0])` does not"
    # A repair that keeps the symmetry (another operator, the operands swapped) is no anti-pattern.
    assert names(OVERLAP, OVERLAP.replace("min(a[1], b[1])", "max(b[1], a[1])")) == []
    assert names(OVERLAP, OVERLAP.replace("lo == hi", "hi == lo")) == []
    # Code that was never symmetric is not held against a patch: `a - b` reads them unalike already,
    # and so does `a + b` (strings concatenate); a parameter with a default is never paired.
    minus = "def gap(a, b):\n    return a - b\n"
    assert names(minus, minus.replace("a - b", "a - b - 1")) == []
    plus = "def join(a, b):\n    return a + b\n"
    assert names(plus, plus.replace("a + b", "a - b")) == []
    assert names(OVERLAP, OVERLAP.replace("and strict", "and not strict")) == []


BFS = textwrap.dedent('''\
    def reach(graph, start):
        seen = set()
        queue = [start]
        while queue:
            node = queue.pop()
            for nxt in graph.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen
    ''')


def test_a_patch_that_records_another_element_than_its_membership_check_tests_is_named():
    found = anti_patterns(BFS, BFS.replace("seen.add(nxt)", "seen.add(node)"))
    assert [p.name for p in found] == ["unmatched_guard"]
    assert found[0].detail == "line 7 checks `nxt not in seen` but records `node`"
    assert names(BFS, BFS.replace("if nxt not in seen", "if node not in seen")) == ["unmatched_guard"]
    # Adding the start before the loop, or a second condition, keeps check and record matched.
    assert names(BFS, BFS.replace("    seen = set()\n", "    seen = {start}\n")) == []
    assert names(BFS, BFS.replace("if nxt not in seen:", "if nxt not in seen and nxt != start:")) == []
    # A dict recorded by key counts as recording; a mismatch the original already had is not the patch's.
    memo = "def f(k, cache, other):\n    if k not in cache:\n        cache[other] = 1\n    return cache\n"
    assert names(memo, memo.replace("= 1", "= 2")) == []
    keyed = memo.replace("cache[other]", "cache[k]")
    assert names(keyed, memo) == ["unmatched_guard"]


def test_a_new_return_of_a_parameter_the_annotations_say_is_not_the_return_type_is_named():
    before = "def name(f: Callable[..., Any], n: int) -> str:\n    if n:\n        return f.__name__\n    return None\n"
    found = anti_patterns(before, before.replace("return None", "return f"))
    assert [p.name for p in found] == ["contradicts_annotation"]
    assert found[0].detail == "line 4 returns `f` (annotated `Callable[..., Any]`) where the function returns `str`"
    assert names(before, before.replace("return None", "return str(f)")) == []  # the repair
    widened = before.replace("-> str", "-> float")
    assert names(widened, widened.replace("return None", "return n")) == []  # an int is a float
    # A return the original had already, or an unannotated function, is not the patch's doing.
    assert names(before.replace("return None", "return f"), before.replace("return None", "return f") + "\n") == []
    plain = "def name(f, n):\n    return None\n"
    assert names(plain, plain.replace("return None", "return f")) == []


PAGER = textwrap.dedent('''\
    def offset_for(page, per_page):
        return page * per_page


    def has_next(page, per_page, total):
        return (page + 1) * per_page < total


    def pages(total, per_page):
        return total // per_page
    ''')


def test_a_shift_of_a_parameter_in_one_function_that_a_sibling_reads_alike_is_named():
    found = anti_patterns(PAGER, PAGER.replace("return page * per_page", "return (page - 1) * per_page"))
    assert [p.name for p in found] == ["splits_convention"]
    assert found[0].detail == ("line 2 shifts `page` by -1 in `offset_for` (`(page - 1) * per_page`); "
                               "`has_next` still reads `(page + 1) * per_page`")
    assert names(PAGER, PAGER.replace("(page + 1) * per_page", "(page + 2) * per_page")) == ["splits_convention"]
    # Both shifted alike (the repair of the convention) keep the module agreeing with itself.
    both = PAGER.replace("return page * per_page", "return (page - 1) * per_page").replace("(page + 1)", "page")
    assert names(PAGER, both) == []
    # Another operator, another co-operand, or a form no sibling shares is no convention of the module.
    assert names(PAGER, PAGER.replace("return page * per_page", "return page * per_page - 1")) == []
    assert names(PAGER, PAGER.replace("total // per_page", "(total - 1) // per_page")) == []
    lone = PAGER.replace("(page + 1) * per_page", "(page + 1) * total")
    assert names(lone, lone.replace("return page * per_page", "return (page - 1) * per_page")) == []
