"""tools/git/gitstate.py on real git repositories: facts read without changing anything."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import git, init_repo

from suture.tools.git import gitstate
from suture.tools.git.gitstate import DirtyFile, GitStateError


def conflict(repo: Path) -> None:
    """Make branch `other` and main disagree on the same line of a.txt."""
    git(repo, "switch", "-q", "-c", "other")
    (repo / "a.txt").write_text("other\n")
    git(repo, "commit", "-qam", "other")
    git(repo, "switch", "-q", "main")
    (repo / "a.txt").write_text("main\n")
    git(repo, "commit", "-qam", "main")


def git_fails(repo: Path, *args: str) -> None:
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, *args)


@pytest.fixture
def repo(make_repo):
    return make_repo({"a.txt": "base\n", "pkg/mod.py": "X = 1\n"})


def test_toplevel_head_and_branch_from_a_subdirectory(repo):
    sub = repo / "pkg"
    assert gitstate.toplevel(sub) == repo.resolve()
    assert gitstate.head_commit(sub) == git(repo, "rev-parse", "HEAD").strip()
    assert gitstate.current_branch(sub) == "main"
    assert gitstate.git_path(sub, "MERGE_HEAD") == (repo / ".git" / "MERGE_HEAD").resolve()


def test_not_a_repository_is_one_sentence(tmp_path):
    with pytest.raises(GitStateError, match="not inside a git work tree") as caught:
        gitstate.toplevel(tmp_path)
    assert "\n" not in str(caught.value)
    with pytest.raises(GitStateError, match="not a directory"):
        gitstate.toplevel(tmp_path / "missing")


def test_no_commit_yet_and_detached_head(make_repo, repo):
    empty = make_repo({"a.txt": "x\n"}, name="empty", commit=False)
    assert gitstate.head_commit(empty) is None
    git(repo, "switch", "-q", "--detach")
    assert gitstate.current_branch(repo) is None
    assert gitstate.head_commit(repo) == git(repo, "rev-parse", "HEAD").strip()


def test_merge_in_progress(repo):
    assert gitstate.operation_in_progress(repo) is None
    conflict(repo)
    git_fails(repo, "merge", "-q", "other")
    assert gitstate.operation_in_progress(repo / "pkg") == "merge"


def test_rebase_in_progress(repo):
    conflict(repo)
    git_fails(repo, "rebase", "-q", "other")
    assert gitstate.operation_in_progress(repo) == "rebase"


def test_cherry_pick_revert_and_bisect_in_progress(repo):
    conflict(repo)
    git_fails(repo, "cherry-pick", "other")
    assert gitstate.operation_in_progress(repo) == "cherry-pick"
    git(repo, "cherry-pick", "--abort")
    (repo / "a.txt").write_text("later\n")
    git(repo, "commit", "-qam", "later")
    git_fails(repo, "revert", "--no-edit", "HEAD~1")
    assert gitstate.operation_in_progress(repo) == "revert"
    git(repo, "revert", "--abort")
    assert gitstate.operation_in_progress(repo) is None
    git(repo, "bisect", "start")
    assert gitstate.operation_in_progress(repo) == "bisect"


def test_linked_worktree_has_its_own_operation_state(repo, tmp_path):
    conflict(repo)
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked), "other")
    git_fails(linked, "merge", "-q", "main")
    assert gitstate.operation_in_progress(linked) == "merge"
    assert gitstate.operation_in_progress(repo) is None
    assert gitstate.toplevel(linked) == linked.resolve()
    assert gitstate.current_branch(linked) == "other"
    assert gitstate.checked_out_branches(repo) == {"main": repo.resolve(), "other": linked.resolve()}


def test_submodule_paths(tmp_path):
    library = init_repo(tmp_path / "library", {"lib.py": "L = 1\n"})
    app = init_repo(tmp_path / "app", {"app.py": "A = 1\n"})
    git(app, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "vendor/library")
    git(app, "commit", "-qm", "add submodule")
    assert gitstate.submodule_paths(app / "vendor") == ["vendor/library"]
    assert gitstate.submodule_paths(library) == []


def test_dirty_files_lists_modified_staged_renamed_and_untracked(repo):
    assert gitstate.dirty_files(repo) == []
    (repo / "a.txt").write_text("edited\n")
    git(repo, "mv", "pkg/mod.py", "pkg/renamed.py")
    (repo / "pkg" / "new file.txt").write_text("new\n")
    found = gitstate.dirty_files(repo / "pkg")
    assert DirtyFile(" M", "a.txt") in found
    assert DirtyFile("R ", "pkg/renamed.py", "pkg/mod.py") in found
    assert DirtyFile("??", "pkg/new file.txt") in found
    assert len(found) == 3


def test_blob_hashes_match_git_and_write_no_object(repo):
    (repo / "a.txt").write_bytes(b"fresh content\r\n")
    hashes = gitstate.blob_hashes(repo, ["a.txt", "gone.txt"])
    expected = git(repo, "hash-object", "--no-filters", "a.txt").strip()
    assert hashes == {"a.txt": expected, "gone.txt": None}
    git_fails(repo, "cat-file", "-e", expected)


def test_unwritable_paths(repo):
    assert gitstate.unwritable_paths(repo) == []
    assert gitstate.unwritable_paths(repo, ["pkg/mod.py", "pkg/new/deep.py"]) == []
    pkg = repo / "pkg"
    os.chmod(pkg / "mod.py", 0o444)
    os.chmod(pkg, 0o555)
    try:
        if os.access(pkg, os.W_OK):
            pytest.skip("permissions are not enforced for this user (root)")
        assert gitstate.unwritable_paths(repo, ["pkg/mod.py", "pkg/new.py", "a.txt"]) == ["pkg/mod.py", "pkg/new.py"]
    finally:
        os.chmod(pkg, 0o755)
        os.chmod(pkg / "mod.py", 0o644)


def test_repo_state_gathers_everything(repo):
    (repo / "a.txt").write_text("edited\n")
    state = gitstate.repo_state(repo / "pkg")
    assert state.toplevel == repo.resolve()
    assert state.branch == "main"
    assert state.operation is None
    assert state.submodules == ()
    assert state.dirty == (DirtyFile(" M", "a.txt"),)
    assert state.head == git(repo, "rev-parse", "HEAD").strip()
