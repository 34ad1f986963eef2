"""The rule engine's candidate stream on real git repos: order, dedupe, edits that apply, files it must skip."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

from suture.agent.propose.rules import RuleCandidate, generate_candidates
from suture.agent.propose.templates import TEMPLATES
from suture.tools.edits import apply_edits
from suture.tools.testing.localize import Suspect

SEARCH_PY = '''\
    """Searching sorted lists."""  # module comment


    def find(items, target):
        """Index of target in the sorted items, or -1."""
        lo, hi = 0, len(items) - 1
        while lo < hi:   # odd   spacing kept
            mid = (lo + hi) // 2
            if items[mid] == target:
                return mid
            if items[mid] < target:
                lo = mid + 1
            else:
                hi = mid - 1
        return -1


    def count(items, target):
        n = 0
        for x in items:
            if x == target:
                n += 1
        return n
'''

TEST_PY = '''\
    from search import find, count


    def test_find_last():
        assert find([1, 2, 3], 3) == 2


    def test_find_missing():
        assert find([1, 2, 3], 5) == -1


    def test_count():
        assert count([1, 1, 2], 1) == 2
'''

FIND = ("search.py", "find", 4, 15, 0.9)
COUNT = ("search.py", "count", 18, 23, 0.4)


def scores_for(hot: int, path: str = "search.py") -> dict:
    """find's lines scored 0.5, `hot` 1.0; count's lines 0.2."""
    scores = {(path, line): 0.5 for line in range(4, 16)}
    scores[(path, hot)] = 1.0
    scores.update({(path, line): 0.2 for line in range(18, 24)})
    return scores


def apply_and_restore(repo: Path, candidate: RuleCandidate) -> str:
    """Apply the candidate's edits with apply_edits, return the new text, put the old bytes back."""
    path = repo / candidate.edits[0].path
    before = path.read_bytes()
    results = apply_edits(repo, candidate.edits)
    assert all(r.applied for r in results), (candidate.description, [r.message for r in results])
    after = path.read_text(encoding="utf-8")
    path.write_bytes(before)
    return after


def test_every_candidate_applies_parses_and_keeps_the_rest_of_the_file(make_repo):
    repo = make_repo({"search.py": SEARCH_PY, "tests/test_search.py": TEST_PY})
    original = (repo / "search.py").read_text()
    candidates = list(generate_candidates(repo, [FIND, COUNT], scores_for(7), max_candidates=10_000))
    assert len(candidates) > 200
    assert {c.template for c in candidates} >= set(TEMPLATES) - {"guard", "missing_return", "drop_condition", "boolean",
                                                                 "return_analogy"}
    assert any("+" in c.template for c in candidates)  # pairs are there too
    for c in candidates:
        edit = c.edits[0]
        assert edit.path == "search.py" and original.count(edit.search) >= 1
        after = apply_and_restore(repo, c)
        ast.parse(after)
        # Everything outside the SEARCH block is byte-identical.
        at = ("\n" + original).find("\n" + edit.search)
        assert after[:at] == original[:at]
        assert after[at + len(edit.replace):] == original[at + len(edit.search):]
    assert (repo / "search.py").read_text() == original


def test_the_top_line_comes_first_and_the_fix_passes_the_real_tests(make_repo):
    repo = make_repo({"search.py": SEARCH_PY, "tests/test_search.py": TEST_PY})
    stream = generate_candidates(repo, [FIND, COUNT], scores_for(7), max_candidates=50)
    assert inspect.isgenerator(stream)
    first = next(stream)
    assert first.description == "`<` -> `<=` in line 7" and first.template == "comparison"
    assert first.line == 7 and first.symbol == "find" and first.risks == ()
    apply_edits(repo, first.edits)
    # `hi = mid - 1` with `lo <= hi` is the correct binary search: the real suite passes.
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=repo,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


def test_single_edits_of_a_hot_line_come_before_colder_lines_and_before_pairs(make_repo):
    repo = make_repo({"search.py": SEARCH_PY})
    candidates = list(generate_candidates(repo, [FIND, COUNT], scores_for(11), max_candidates=10_000))
    position = {c.description: i for i, c in enumerate(candidates)}
    # line 11 is `if items[mid] < target:`, line 7 `while lo < hi:`: the same edit on the hotter line first
    assert [c.line for c in candidates[:2]] == [11, 11]
    assert [c.template for c in candidates[:2]] == ["comparison", "negate_condition"]
    for change in ("`<` -> `<=`", "`<` -> `>`", "`<` -> `>=`"):
        assert position[f"{change} in line 11"] < position[f"{change} in line 7"]
    assert position["`<` -> `<=` in line 7"] < position["`<` -> `>=` in line 11"]  # a likelier edit of a colder line
    # count() scores 0.4 of find's 0.9: its best edit comes after find's best ones
    assert position["`==` -> `!=` in line 21"] > position["`<` -> `<=` in line 7"]
    pairs = [i for i, c in enumerate(candidates) if "+" in c.template]
    singles_of_find = [i for i, c in enumerate(candidates) if c.symbol == "find" and "+" not in c.template]
    assert pairs and min(pairs) > max(singles_of_find)
    priorities = [c.priority for c in candidates if "+" not in c.template]
    assert priorities[: len(singles_of_find)] == sorted(priorities[: len(singles_of_find)], reverse=True)
    assert [c.id for c in candidates[:3]] == ["r1", "r2", "r3"]
    without_pairs = list(generate_candidates(repo, [FIND, COUNT], scores_for(11), max_candidates=10_000, pairs=False))
    assert not any("+" in c.template for c in without_pairs)
    assert len(without_pairs) == len(candidates) - len(pairs)


def test_identical_results_are_offered_once(make_repo):
    # `x + 1 - 1`: dropping either `1` and other routes reach the same text; nested suspects overlap.
    repo = make_repo({"calc.py": '''\
        def outer(x):
            def inner(y):
                return y + 1
            return inner(x) + inner(x)
        '''})
    suspects = [("calc.py", "outer", 1, 4, 1.0), ("calc.py", "outer.inner", 2, 3, 0.9)]
    candidates = list(generate_candidates(repo, suspects, {}, max_candidates=10_000))
    texts = [apply_and_restore(repo, c) for c in candidates]
    assert len(texts) == len(set(texts))
    assert len(candidates) > 20


def test_max_candidates_is_a_hard_cap(make_repo):
    repo = make_repo({"search.py": SEARCH_PY})
    assert len(list(generate_candidates(repo, [FIND], {}, max_candidates=7))) == 7
    assert list(generate_candidates(repo, [FIND], {}, max_candidates=0)) == []


def test_test_files_are_never_edited(make_repo):
    repo = make_repo({"search.py": SEARCH_PY, "tests/test_search.py": TEST_PY, "conftest.py": "X = 1 < 2\n"})
    notes: list[str] = []
    suspects = [("tests/test_search.py", "test_find_last", 4, 5, 1.0), ("conftest.py", "<module>", 1, 1, 1.0),
                ("search.py", "count", 18, 23, 0.5)]
    candidates = list(generate_candidates(repo, suspects, {}, max_candidates=10_000, notes=notes))
    assert candidates and {e.path for c in candidates for e in c.edits} == {"search.py"}
    assert any("tests/test_search.py is a test file" in n for n in notes)
    assert any("conftest.py is a test file" in n for n in notes)


def test_a_file_that_does_not_parse_is_skipped_with_a_note(make_repo):
    repo = make_repo({"broken.py": "def f(:\n    return 1\n", "search.py": SEARCH_PY, "data.txt": "x\n"})
    notes: list[str] = []
    (repo.parent / "elsewhere.py").write_text("def h(a):\n    return a < 1\n")
    suspects = [("broken.py", "f", 1, 2, 1.0), ("missing.py", "g", 1, 2, 0.9), ("data.txt", "<module>", 1, 1, 0.9),
                ("../elsewhere.py", "h", 1, 2, 0.9), ("search.py", "find", 4, 15, 0.5)]
    candidates = list(generate_candidates(repo, suspects, {}, max_candidates=30, notes=notes))
    assert len(candidates) == 30 and all(c.path == "search.py" for c in candidates)
    assert any(n.startswith("broken.py does not parse (line 1") for n in notes)
    assert any(n.startswith("missing.py could not be read") for n in notes)
    assert any("data.txt is not a Python file" in n for n in notes)
    assert any(n.startswith("../elsewhere.py is outside the repository") for n in notes)


def test_crlf_bom_and_multibyte_files_get_edits_that_apply(make_repo):
    text = '\ufeff# -*- coding: utf-8 -*-\r\ndef greet(name, n):\r\n    s = "héllo → " + name\r\n' \
           '    return s[:n - 1]  # ✓ trimmed\r\n'
    repo = make_repo({"greet.py": text.encode("utf-8")})
    candidates = list(generate_candidates(repo, [("greet.py", "greet", 2, 4, 1.0)], {}, max_candidates=1000))
    assert any(c.description == "`n - 1` -> `n` (slice bound) in line 4" for c in candidates)
    for c in candidates:
        after = (repo / "greet.py").read_bytes()
        assert apply_edits(repo, c.edits)[0].applied, c.description
        changed = (repo / "greet.py").read_bytes()
        assert changed.startswith(b"\xef\xbb\xbf# -*- coding") and b"\r\n" in changed and b"\n" not in \
            changed.replace(b"\r\n", b"")
        compile(changed, "greet.py", "exec")
        (repo / "greet.py").write_bytes(after)


def test_search_blocks_grow_until_unique(make_repo):
    repo = make_repo({"dup.py": '''\
        def a(x):
            y = x + 1
            return y


        def b(x):
            y = x + 1
            return y
        '''})
    candidates = list(generate_candidates(repo, [("dup.py", "b", 6, 8, 1.0)], {}, max_candidates=1000))
    assert candidates
    for c in candidates:
        edit = c.edits[0]
        text = (repo / "dup.py").read_text()
        assert text.count(edit.search) == 1, edit.search
        assert apply_edits(repo, c.edits)[0].applied
        assert (repo / "dup.py").read_text().startswith("def a(x):\n    y = x + 1\n    return y\n")
        subprocess.run(["git", "checkout", "-q", "--", "dup.py"], cwd=repo, check=True)


def test_localize_suspects_module_scope_and_validation_candidates(make_repo):
    repo = make_repo({"conf.py": "LIMIT = 10\nTIMEOUT = LIMIT * 2 + 1\n", "search.py": SEARCH_PY})
    suspects = [Suspect("conf.py", "<module>", 1, 2, 0.7, kind="module"), Suspect("search.py", "count", 18, 23, 0.3)]
    candidates = list(generate_candidates(repo, suspects, {("conf.py", 2): 1.0}, max_candidates=500))
    module_edits = [c for c in candidates if c.path == "conf.py"]
    assert module_edits and module_edits[0].line == 2
    assert any(c.description == "`*` -> `//` in line 2" for c in module_edits)
    candidate = candidates[0].to_candidate()
    assert candidate.id == candidates[0].id and candidate.source == "rules"
    assert candidate.edits == candidates[0].edits and candidate.meta["template"] == candidates[0].template
    assert candidate.meta["risks"] == list(candidates[0].risks)


def test_risky_candidates_say_so(make_repo):
    repo = make_repo({"guard.py": '''\
        def withdraw(balance, amount):
            if amount > balance and amount > 0:
                raise ValueError("insufficient")
            return balance - amount
        '''})
    candidates = list(generate_candidates(repo, [("guard.py", "withdraw", 1, 4, 1.0)], {}, max_candidates=10_000))
    by_description = {c.description: c for c in candidates}
    assert "deletes_code" in next(c for d, c in by_description.items() if d.startswith("statement `if amount")).risks
    assert "weakens_condition" in next(c for d, c in by_description.items()
                                       if "dropped from the condition" in d).risks
    assert by_description["`>` -> `>=` in line 2"].risks == ()


def test_a_failing_template_costs_only_its_own_edits(make_repo, monkeypatch):
    from suture.agent.propose import rules

    def broken(src, nodes):
        raise IndexError("list index out of range")
        yield  # a generator, like the real templates

    monkeypatch.setitem(rules.TEMPLATES, "swap_args", broken)
    repo = make_repo({"search.py": SEARCH_PY})
    notes: list[str] = []
    candidates = list(generate_candidates(repo, [FIND], {}, max_candidates=10_000, notes=notes))
    assert candidates and not any("swap_args" in c.template for c in candidates)
    assert notes == ["the swap_args template failed on search.py (IndexError: list index out of range); "
                     "its edits there were skipped."]
