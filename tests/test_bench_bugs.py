"""The hand-written bug corpus (bench/bugs) is sound: for every bug, the visible suite fails on
the buggy version while other visible tests pass, fix.diff applies and makes both the visible and
the held-back suites pass, the held-back outcome on the buggy version is the one recorded in
bug.toml, and the repo prepared for the repair tool carries neither the answer nor the held-back
tests. Each bug runs two real pytest sessions (forks of a process that imported pytest once)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

import importlib.util

import pytest


def _load_corpus():
    # A unique module name: bench/faults has a corpus.py too, imported by other tests in this process.
    path = Path(__file__).resolve().parents[1] / "bench" / "bugs" / "corpus.py"
    spec = importlib.util.spec_from_file_location("bench_bugs_corpus", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()

BUGS = corpus.load_bugs()
KINDS = {"off-by-one", "wrong-comparison", "wrong-operator", "wrong-variable", "missing-return",
         "missing-guard", "swapped-arguments", "wrong-constant", "missing-statement", "wrong-method",
         "extra-statement", "misplaced-statement", "inverted-condition", "multi-edit", "new-expression"}
HARD = {"multi-edit", "new-expression"}


def test_corpus_size_and_spread():
    assert len(BUGS) >= 45
    kinds = Counter(b.kind for b in BUGS)
    assert set(kinds) <= KINDS, set(kinds) - KINDS
    assert len(kinds) >= 12
    hard = sum(kinds[k] for k in HARD)
    assert 0.15 <= hard / len(BUGS) <= 0.3
    multi_module = [b for b in BUGS if len(b.source_files()) >= 2]
    assert len(multi_module) >= 8


@pytest.fixture(scope="module")
def warm_suites():
    """The suites run as forks of one process that imported pytest (bench/bugs/warm_pytest.py), not as new
    interpreters: pytest's own sessions either way, ~0.25 CPU-s less a run."""
    with corpus.warm_suites():
        yield


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.name)
def test_bug_is_sound(bug, warm_suites):
    check = corpus.check_bug(bug)
    assert not check.problems, check.problems
    assert bug.heldout_fails_on_buggy == bool(check.heldout_failed_buggy), "re-run bench/bugs/author.py"


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.name)
def test_bug_is_small_and_parses(bug):
    lines = 0
    for rel in bug.source_files():
        text = (bug.root / rel).read_text()
        ast.parse(text)
        lines += len(text.splitlines())
    assert 10 <= lines <= 200
    assert bug.description and (bug.root / "tests" / "test_visible.py").is_file()
    assert (bug.root / "heldout" / "test_heldout.py").is_file()


def test_tool_copy_hides_the_answer(tmp_path):
    bug = BUGS[0]
    repo = corpus.copy_program(bug, tmp_path / "repo")
    names = {p.relative_to(repo).parts[0] for p in repo.iterdir()}
    assert not names & set(corpus.HIDDEN)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    assert status == ""  # HEAD is exactly the buggy program
    assert corpus.apply_patch(repo, bug.fix_diff) is None
    assert corpus.apply_patch(repo, "not a patch\n") is not None


def _bench_fix():
    path = Path(__file__).resolve().parents[1] / "bench" / "bench_fix.py"
    spec = importlib.util.spec_from_file_location("bench_fix_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _patch_for(bug, rel, old, new):
    import difflib

    text = (bug.root / rel).read_text()
    assert text.count(old) == 1
    return "".join(difflib.unified_diff(text.splitlines(True), text.replace(old, new).splitlines(True),
                                        f"a/{rel}", f"b/{rel}"))


def test_bench_judges_patches_by_running_the_suites(tmp_path):
    bench_fix = _bench_fix()
    (bug,) = corpus.load_bugs(["binary_search"])
    case = bench_fix.BugCase("bug", bug.name, bug.kind, bug=bug)
    assert case.visible_fails_at_head(case.prepare(tmp_path / "repo"))
    # The known answer: fixed and correct.
    right = case.judge(bug.fix_diff, tmp_path / "a")
    assert (right.fixed, right.correct) == (True, True)
    # An overfitted patch special-cases the last element: the visible suite passes, the held-back one does not.
    overfit = _patch_for(bug, "search.py", "    return -1\n",
                         "    if items and items[-1] == target:\n        return len(items) - 1\n    return -1\n")
    verdict = case.judge(overfit, tmp_path / "b")
    assert (verdict.fixed, verdict.correct) == (True, False) and "held-back" in verdict.note
    # A patch that changes nothing useful is not fixed; one that does not apply is not fixed either.
    useless = _patch_for(bug, "search.py", "return find(items, target) != -1", "return find(items, target) >= 0")
    assert case.judge(useless, tmp_path / "c").fixed is False
    assert "does not apply" in case.judge("--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n", tmp_path / "d").note
