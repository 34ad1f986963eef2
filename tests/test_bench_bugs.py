"""The hand-written bug corpus (bench/bugs) is sound: for every bug, the visible suite fails on
the buggy version while other visible tests pass, fix.diff applies and makes both the visible and
the held-back suites pass, the held-back outcome on the buggy version is the one recorded in
bug.toml, and the repo prepared for the repair tool carries neither the answer nor the held-back
tests. Each bug runs two real pytest subprocesses."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "bugs"))
import corpus  # noqa: E402

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


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.name)
def test_bug_is_sound(bug):
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
