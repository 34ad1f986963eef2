"""scratch_worktree on real git repositories: a private detached checkout that leaves no trace."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from conftest import git, repo_snapshot

from suture.tools.git.worktree import WorkspaceError, scratch_worktree


def snapshot(repo: Path) -> dict[str, object]:
    return repo_snapshot(repo)


@pytest.fixture
def repo(make_repo):
    root = make_repo({"pkg/mod.py": "VALUE = 1\n", "README.md": "hello\n"})
    (root / "pkg/mod.py").write_text("VALUE = 2  # uncommitted\n")
    (root / "scratch.txt").write_text("untracked\n")
    (root / "staged.py").write_text("staged = True\n")
    git(root, "add", "staged.py")
    return root


def test_checkout_is_head_outside_the_repo_and_removed(repo):
    before = snapshot(repo)
    with scratch_worktree(repo) as tree:
        assert tree.is_dir() and not tree.resolve().is_relative_to(repo.resolve())
        assert (tree / "pkg/mod.py").read_text() == "VALUE = 1\n"  # HEAD, not the user's edit
        assert not (tree / "scratch.txt").exists()
        assert git(tree, "rev-parse", "HEAD") == before["head"]
        (tree / "pkg/mod.py").write_text("VALUE = 3\n")
        (tree / "new_file.txt").write_text("made in the scratch tree\n")
        # Its own git directory: nothing registered in the user's repository, no remote, no hooks.
        common = Path(git(tree, "rev-parse", "--path-format=absolute", "--git-common-dir").strip())
        assert common == tree / ".git" and (tree / ".git").is_dir()
        assert git(repo, "worktree", "list").count("\n") == 1
        assert git(tree, "remote") == "" and not (tree / ".git/hooks").exists()
    assert not tree.exists() and not tree.parent.exists()
    assert snapshot(repo) == before


def test_older_revision(make_repo):
    root = make_repo({"a.py": "x = 1\n"})
    first = git(root, "rev-parse", "HEAD").strip()
    (root / "a.py").write_text("x = 2\n")
    git(root, "commit", "-qam", "second")
    with scratch_worktree(root, first) as tree:
        assert (tree / "a.py").read_text() == "x = 1\n"


@pytest.mark.parametrize("error", [RuntimeError("inside"), KeyboardInterrupt()])
def test_removed_after_exception_and_interrupt(repo, error):
    before = snapshot(repo)
    with pytest.raises(type(error)):
        with scratch_worktree(repo) as tree:
            (tree / "junk.txt").write_text("x")
            raise error
    assert not tree.exists() and not tree.parent.exists()
    assert snapshot(repo) == before


def test_user_hooks_do_not_run(make_repo, tmp_path):
    root = make_repo({"a.py": "x = 1\n"})
    marker = tmp_path / "hook-ran"
    hook = root / ".git/hooks/post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    with scratch_worktree(root):
        pass
    assert not marker.exists()


def test_not_a_repository(tmp_path):
    with pytest.raises(WorkspaceError, match="not inside a git repository"):
        with scratch_worktree(tmp_path):
            pass


def test_repository_without_commits(make_repo):
    root = make_repo({"a.py": "x = 1\n"}, commit=False)
    with pytest.raises(WorkspaceError, match="no commit yet"):
        with scratch_worktree(root):
            pass
    assert git(root, "worktree", "list").count("\n") == 1


def test_unknown_revision(make_repo):
    root = make_repo({"a.py": "x = 1\n"})
    with pytest.raises(WorkspaceError, match="'nope' is not a commit"):
        with scratch_worktree(root, "nope"):
            pass


def test_two_worktrees_at_once(make_repo):
    root = make_repo({"a.py": "x = 1\n"})
    before = snapshot(root)
    with scratch_worktree(root) as one, scratch_worktree(root) as two:
        assert one != two and (one / "a.py").exists() and (two / "a.py").exists()
    assert snapshot(root) == before
    assert not one.parent.exists() and not two.parent.exists()


def test_a_sub_directory_yields_the_same_sub_directory_of_the_checkout(make_repo):
    repo = make_repo({"README.md": "top\n", "examples/calc/calc.py": "X = 1\n"})
    with scratch_worktree(repo / "examples" / "calc") as tree:
        assert (tree / "calc.py").read_text() == "X = 1\n"
        assert (tree.parent.parent / "README.md").is_file()
    (repo / "untracked").mkdir()
    with pytest.raises(WorkspaceError, match="not part of the commit"):
        with scratch_worktree(repo / "untracked"):
            pass
    assert not list(Path(tempfile.gettempdir()).glob(f"suture-wt-*/{repo.name}/examples"))
