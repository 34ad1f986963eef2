"""The seeded-fault corpus builder (bench/faults) on a toy repo: mutations are single text
edits that keep formatting, are attributed to the innermost function, and a mutant counts
as a fault only when a test covering it fails."""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "faults"))
import build  # noqa: E402
import corpus  # noqa: E402
import mutate  # noqa: E402

TOY = textwrap.dedent('''\
    """Toy module."""
    LIMIT = 10  # module level: never mutated


    def clamp(x, lo=0, hi=LIMIT):
        if x < lo and not hi:   # odd spacing stays as it is
            return lo
        return min(x + 1, hi)  # ünïcode comment before nothing


    class Box:
        size = 3

        @staticmethod
        def fits(n):
            def inner(k):
                return k <= Box.size
            return inner(n) is not False
    ''')


def by_kind(found, kind):
    return [m for m in found if m.kind == kind]


def test_every_operator_class_is_found_and_only_inside_functions():
    found = mutate.mutations(TOY)
    assert {m.operator for m in found} == set(mutate.OPERATORS)
    # LIMIT = 10, size = 3 and the default arguments run at import, outside any function body.
    assert all(m.start_line not in (2, 5, 12) for m in found)


def test_mutants_differ_by_one_span_and_keep_formatting():
    found = mutate.mutations(TOY)
    assert len(found) > len(mutate.OPERATORS)
    for m in found:
        mutant = mutate.apply(TOY, m)
        ast.parse(mutant)
        before, after = TOY.splitlines(), mutant.splitlines()
        changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
        assert len(before) == len(after) and changed == [m.start_line - 1], m
        line = before[m.start_line - 1]
        assert after[m.start_line - 1] == line[: m.start_col] + m.mutated + line[m.end_col :]


def test_operator_tokens_and_conditions():
    found = mutate.mutations(TOY)
    (lt,) = by_kind(found, "<-><=")
    assert (lt.start_line, lt.original, lt.mutated) == (6, "<", "<=")
    (is_not,) = by_kind(found, "is not->is")
    assert mutate.apply(TOY, is_not).splitlines()[17] == "        return inner(n) is False"
    (and_or,) = by_kind(found, "and->or")
    assert and_or.start_line == 6
    (negated,) = by_kind(found, "negate-if")
    assert negated.mutated == "not (x < lo and not hi)"
    assert sorted(m.mutated for m in by_kind(found, "drop-operand-if")) == ["not hi", "x < lo"]
    assert [m.mutated for m in by_kind(found, "drop-not")] == ["hi"]
    assert {m.mutated for m in found if m.start_line == 8 and m.operator == "constant"} == {"2", "0"}


def test_innermost_function_and_the_statement_coverage_records():
    found = mutate.mutations(TOY)
    (inner_cmp,) = by_kind(found, "<=-><")
    assert (inner_cmp.symbol, inner_cmp.symbol_start, inner_cmp.statement_line) == ("Box.fits.inner", 16, 17)
    (outer_cmp,) = by_kind(found, "is not->is")
    assert (outer_cmp.symbol, outer_cmp.symbol_start, outer_cmp.symbol_end) == ("Box.fits", 14, 18)
    assert {m.symbol for m in found if m.start_line in (6, 7, 8)} == {"clamp"}


def test_apply_refuses_a_mutation_that_does_not_match_the_file():
    m = by_kind(mutate.mutations(TOY), "<-><=")[0]
    with pytest.raises(ValueError, match="does not match"):
        mutate.apply(TOY.replace("x < lo", "x > lo"), m)


def test_multibyte_text_before_a_mutation_keeps_columns_right():
    source = 'def f(s):\n    return "é" + s if len(s) > 1 else s\n'
    (gt,) = by_kind(mutate.mutations(source), ">->>=")
    assert mutate.apply(source, gt) == 'def f(s):\n    return "é" + s if len(s) >= 1 else s\n'


def test_a_mutant_is_kept_only_when_a_covering_test_kills_it(make_repo, tmp_path):
    repo = make_repo({
        "toy/__init__.py": "",
        "toy/calc.py": '''\
            def double(x):
                return x * 2


            def loud(s):
                if s:
                    return s.upper()
                return s


            def first(xs):
                return xs[0] if len(xs) > 0 else None
            ''',
        "tests/test_calc.py": '''\
            from toy.calc import double, first, loud


            def test_double():
                assert double(3) == 6


            def test_loud():
                assert loud("a") == "A"


            def test_first():
                assert first("ab") == "a"
            ''',
        "conftest.py": "",
    })
    lib = corpus.Library(name="toy", version="0", sdist="", sha256="", source=["toy"])
    coverage_file = tmp_path / "cov.db"
    run = corpus.run_pytest(repo, coverage_file=coverage_file, source=lib.source)
    assert set(run.outcomes.values()) == {"passed"} and len(run.outcomes) == 3, run.output
    covered = corpus.line_contexts(coverage_file, repo)
    assert covered["toy/calc.py"][2] == {"tests/test_calc.py::test_double"}

    groups, total = build.candidates_by_function(lib, repo, covered)
    assert set(groups) == {("toy/calc.py", "double"), ("toy/calc.py", "loud"), ("toy/calc.py", "first")}
    # `return s` (line 8) is never reached by a test, so its return-none mutation is not a candidate.
    assert total == sum(map(len, groups.values())) + 1
    assert all(m.start_line != 8 for m, _ in groups[("toy/calc.py", "loud")])

    workers = build.Workers(repo, jobs=1)
    loud = {m.kind: (m, tests) for m, tests in groups[("toy/calc.py", "loud")]}
    m, tests = loud["negate-if"]
    assert tests == ["tests/test_calc.py::test_loud"]
    assert build.evaluate(workers, repo, m, "toy/calc.py", tests, timeout=60) == ("killed", tests)
    # `len(xs) >= 0` still returns "a" for "ab": the only covering test does not notice.
    first = {m.kind: (m, tests) for m, tests in groups[("toy/calc.py", "first")]}
    m, tests = first[">->>="]
    assert build.evaluate(workers, repo, m, "toy/calc.py", tests, timeout=60) == ("survived", [])
    assert "len(xs) > 0" in (repo / "toy/calc.py").read_text()  # mutants live in the workers' copies
    assert "len(xs) > 0" in (workers.free[0] / "toy/calc.py").read_text()  # and are reverted there
