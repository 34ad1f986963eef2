"""The B4 pass matrix: generated tests run against each passing candidate in scratch trees."""

from __future__ import annotations

from conftest import git

from suture.agent.fix.crosscheck import GENERATED_TEST_FILE, check_test_source, pass_matrix
from suture.tools.testing import pytest_forkserver
from suture.tools.git.workspace import WorktreePool


def patch_for(repo, path, old, new):
    original = (repo / path).read_text()
    (repo / path).write_text(original.replace(old, new))
    diff = git(repo, "diff")
    git(repo, "checkout", "--", path)
    return diff


def test_each_candidate_runs_the_generated_tests_in_its_own_tree(make_repo):
    repo = make_repo({"leap.py": "def is_leap(y):\n    return y % 4 == 0 and (y % 100 != 0 and y % 400 == 0)\n",
                      "test_leap.py": "from leap import is_leap\n\ndef test_2024():\n    assert is_leap(2024) is False or True\n"})
    patches = {
        "right": patch_for(repo, "leap.py", "and y % 400", "or y % 400"),
        "wrong": patch_for(repo, "leap.py", "y % 400 == 0", "y % 400 != 0"),
    }
    generated = (
        "from leap import is_leap\n\n"
        "def test_2000_is_leap():\n    assert is_leap(2000)\n\n"
        "def test_2024_is_leap():\n    assert is_leap(2024)\n\n"
        "def test_1900_is_not():\n    assert not is_leap(1900)\n"
    )
    try:
        with WorktreePool(repo, size=1) as pool:
            matrix = pass_matrix(pool, patches, generated)
    finally:
        pytest_forkserver.close_all()
    assert [t.split("::")[1] for t in matrix.tests] == ["test_2000_is_leap", "test_2024_is_leap", "test_1900_is_not"]
    assert matrix.passes == {"right": [True, True, True], "wrong": [False, True, True]}
    assert matrix.problems == []
    assert not (repo / GENERATED_TEST_FILE).exists()  # never in the user's tree
    assert git(repo, "status", "--porcelain") == ""


def test_unusable_generated_tests_are_named_not_run(make_repo):
    assert "do not parse" in check_test_source("def test(:\n")
    assert "no test functions" in check_test_source("x = 1\n")
    repo = make_repo({"a.py": "X = 1\n", "test_a.py": "def test_a():\n    pass\n"})
    with WorktreePool(repo, size=1) as pool:
        matrix = pass_matrix(pool, {"c1": ""}, "def helper():\n    pass\n")
    assert matrix.passes == {"c1": []} and "no test functions" in matrix.problems[0]
