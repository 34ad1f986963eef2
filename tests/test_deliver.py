"""agent/fix/deliver.py on real git repositories: print, apply, commit and undo, and every refusal.

Patches are made the way suture makes them: edit a scratch worktree of HEAD, diff it with tools.diffs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import git, init_repo, repo_snapshot

from suture.agent.fix import deliver as delivery
from suture.agent.fix.deliver import check_repo_state, deliver, undo
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.runs import new_run_dir
from suture.tools.git.diffs import diff_worktree
from suture.tools.git.worktree import scratch_worktree

MODULE = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(12))
FILES = {"pkg/__init__.py": "", "pkg/calc.py": MODULE, "pkg/other.py": "VALUE = 1\n", "README.md": "hello\n"}
FIXED = MODULE.replace("return x + 1\n", "return x - 1\n")


def make_patch(repo: Path, changes: dict[str, str | bytes | None]) -> str:
    """The diff of `changes` (None deletes a file) against HEAD, made in a scratch worktree by suture's own differ."""
    with scratch_worktree(repo) as tree:
        for rel, content in changes.items():
            path = tree / rel
            if content is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return diff_worktree(tree)


def snapshot(repo: Path) -> dict[str, object]:
    return repo_snapshot(repo)


def refused(call, *args, code=ExitCode.BAD_INPUT, **kwargs) -> str:
    """Run a delivery step that must refuse; return its one-sentence message."""
    with pytest.raises(SutureExit) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code
    message = caught.value.message
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.fixture
def repo(make_repo):
    return make_repo(FILES)


@pytest.fixture
def patch(repo):
    return make_patch(repo, {"pkg/calc.py": FIXED})


def test_print_saves_the_patch_and_touches_nothing(repo, patch):
    (repo / "pkg/other.py").write_text("VALUE = 2  # the user's edit\n")
    before = snapshot(repo)
    run_dir = new_run_dir(repo, "fix")
    done = deliver(repo, patch, run_dir, mode="print")
    assert snapshot(repo) == before
    assert (run_dir / "patch.diff").read_text() == patch
    assert done.mode == "print" and done.files == ("pkg/calc.py",)
    assert not (repo / ".suture" / "last_delivery.json").exists()
    refused(undo, repo, code=ExitCode.NOTHING_FOUND)


def test_apply_keeps_the_users_other_edits_and_untracked_files(repo, patch):
    # The user's uncommitted edit in the same file (far from the fix), in another file, a staged file, an untracked one.
    calc = (repo / "pkg/calc.py").read_text().replace("return x + 10\n", "return x + 10  # mine\n")
    (repo / "pkg/calc.py").write_text(calc)
    (repo / "pkg/other.py").write_bytes(b"VALUE = 2\r\n# the user's own edit\r\n")
    (repo / "staged.py").write_text("STAGED = True\n")
    git(repo, "add", "staged.py")
    (repo / "notes.txt").write_bytes(b"untracked \x00 bytes\n")
    before = snapshot(repo)

    run_dir = new_run_dir(repo, "fix")
    done = deliver(repo, patch, run_dir, mode="apply")

    after = snapshot(repo)
    assert (repo / "pkg/calc.py").read_text() == calc.replace("return x + 1\n", "return x - 1\n")
    for unchanged in ("pkg/other.py", "staged.py", "notes.txt", "README.md"):
        assert after["files"][unchanged] == before["files"][unchanged]
    for key in ("index", "head", "head_ref", "branches", "stash", "worktrees"):
        assert after[key] == before[key]
    assert done.files == ("pkg/calc.py",)
    record = json.loads((run_dir / "applied.json").read_text())
    assert record["files"] == {"pkg/calc.py": git(repo, "hash-object", "pkg/calc.py").strip()}
    assert json.loads((repo / ".suture" / "last_delivery.json").read_text()) == record
    assert ".suture/" not in git(repo, "status", "--porcelain", "--untracked-files=all")


def test_apply_refused_when_the_user_changed_the_same_lines(repo, patch):
    mine = MODULE.replace("return x + 1\n", "return x + 100  # the user's fix\n")
    (repo / "pkg/calc.py").write_text(mine)
    before = snapshot(repo)
    message = refused(deliver, repo, patch, new_run_dir(repo, "fix"), mode="apply")
    assert "does not apply to pkg/calc.py" in message and "your working tree changed there" in message
    assert snapshot(repo) == before
    assert (repo / "pkg/calc.py").read_text() == mine
    refused(undo, repo, code=ExitCode.NOTHING_FOUND)


def test_apply_refused_when_the_user_deleted_the_file(repo, patch):
    (repo / "pkg/calc.py").unlink()
    before = snapshot(repo)
    message = refused(deliver, repo, patch, new_run_dir(repo, "fix"), mode="apply")
    assert "does not apply to pkg/calc.py: the file does not exist" in message
    assert snapshot(repo) == before
    assert not (repo / "pkg/calc.py").exists()


def test_apply_refused_for_a_new_file_the_user_already_has(repo):
    patch = make_patch(repo, {"pkg/new.py": "NEW = 1\n"})
    (repo / "pkg/new.py").write_text("mine\n")
    message = refused(deliver, repo, patch, new_run_dir(repo, "fix"), mode="apply")
    assert "does not apply to pkg/new.py: the patch creates it but the file already exists" in message
    assert (repo / "pkg/new.py").read_text() == "mine\n"


def test_commit_makes_a_branch_and_leaves_checkout_index_and_tree_alone(repo, patch):
    (repo / "README.md").write_text("stashed edit\n")
    git(repo, "stash", "push", "-q")
    (repo / "pkg/other.py").write_text("VALUE = 2  # uncommitted\n")
    (repo / "staged.py").write_text("STAGED = 1\n")
    git(repo, "add", "staged.py")
    (repo / "scratch.txt").write_text("untracked\n")
    before = snapshot(repo)
    head = git(repo, "rev-parse", "HEAD").strip()
    run_dir = new_run_dir(repo, "fix")
    message = "Fix f1: subtract instead of add\n\nVerified: tests/test_calc.py::test_f1 now passes; full suite green."

    done = deliver(repo, patch, run_dir, mode="commit", message=message)

    assert snapshot(repo)["branches"] != before["branches"]
    after = snapshot(repo)
    for key in ("files", "status", "index", "head", "head_ref", "stash", "worktrees"):
        assert after[key] == before[key], key
    branch = f"suture/{run_dir.name}"
    assert done.branch == branch and done.base == head
    assert git(repo, "rev-parse", branch).strip() == done.commit
    assert git(repo, "rev-parse", f"{branch}^").strip() == head
    assert git(repo, "show", f"{branch}:pkg/calc.py") == FIXED
    assert git(repo, "diff", "--name-only", head, branch).split() == ["pkg/calc.py"]
    assert git(repo, "log", "-1", "--format=%B", branch).strip() == message
    # The staged file and the user's edit are not part of suture's commit.
    assert git(repo, "show", f"{branch}:pkg/other.py") == "VALUE = 1\n"
    assert "staged.py" not in git(repo, "ls-tree", "-r", "--name-only", branch).split()


def test_commit_refuses_an_existing_branch(repo, patch):
    run_dir = new_run_dir(repo, "fix")
    git(repo, "branch", f"suture/{run_dir.name}")
    before = snapshot(repo)
    assert "already exists" in refused(deliver, repo, patch, run_dir, mode="commit", message="m")
    assert snapshot(repo) == before


def test_commit_refused_on_a_detached_head(repo, patch):
    git(repo, "switch", "-q", "--detach")
    before = snapshot(repo)
    message = refused(deliver, repo, patch, new_run_dir(repo, "fix"), mode="commit", message="m")
    assert "HEAD is detached" in message and "git switch" in message
    assert snapshot(repo) == before
    # print and apply do not need a branch.
    deliver(repo, patch, new_run_dir(repo, "fix"), mode="apply")
    assert (repo / "pkg/calc.py").read_text() == FIXED


def _conflicting_branches(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "other")
    (repo / "README.md").write_text("other\n")
    git(repo, "commit", "-qam", "other")
    git(repo, "switch", "-q", "main")
    (repo / "README.md").write_text("main\n")
    git(repo, "commit", "-qam", "main")


@pytest.mark.parametrize("operation", ["merge", "rebase"])
def test_writing_refused_mid_merge_and_mid_rebase(repo, patch, operation):
    _conflicting_branches(repo)
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, operation, "other")
    before = snapshot(repo)
    for mode in ("apply", "commit"):
        message = refused(deliver, repo, patch, new_run_dir(repo, "fix"), mode=mode, message="m")
        assert f"in the middle of a {operation}" in message and f"git {operation} --abort" in message
        refused(check_repo_state, repo, mode)
    assert snapshot(repo) == before
    deliver(repo, patch, new_run_dir(repo, "fix"), mode="print")  # printing is always fine
    assert snapshot(repo) == before


def test_apply_refused_on_a_read_only_tree(repo, patch):
    pkg = repo / "pkg"
    os.chmod(pkg / "calc.py", 0o444)
    os.chmod(pkg, 0o555)
    try:
        if os.access(pkg, os.W_OK):
            pytest.skip("permissions are not enforced for this user (root)")
        before = snapshot(repo)
        message = refused(deliver, repo, patch, new_run_dir(repo, "fix"), mode="apply")
        assert "read-only" in message and "pkg/calc.py" in message
        assert snapshot(repo) == before
    finally:
        os.chmod(pkg, 0o755)
        os.chmod(pkg / "calc.py", 0o644)


def test_a_patch_touching_a_submodule_is_refused(tmp_path):
    library = init_repo(tmp_path / "library", {"lib.py": "L = 1\n"})
    app = init_repo(tmp_path / "app", {"app.py": "A = 1\n"})
    git(app, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "vendor/lib")
    git(app, "commit", "-qm", "add submodule")
    inner = app / "vendor/lib"
    # A gitlink change: the submodule moved to a new commit.
    (inner / "lib.py").write_text("L = 2\n")
    git(inner, "commit", "-qam", "bump")
    gitlink_patch = git(app, "diff")
    git(inner, "reset", "-q", "--hard", "HEAD~1")
    # A change to a file inside the submodule's directory.
    inner_patch = (
        "diff --git a/vendor/lib/lib.py b/vendor/lib/lib.py\n--- a/vendor/lib/lib.py\n+++ b/vendor/lib/lib.py\n"
        "@@ -1 +1 @@\n-L = 1\n+L = 3\n"
    )
    before = snapshot(app)
    for patch in (gitlink_patch, inner_patch):
        assert "Subproject commit" in gitlink_patch
        for mode in ("apply", "commit"):
            message = refused(deliver, app, patch, new_run_dir(app, "fix"), mode=mode, message="m")
            assert "submodule (vendor/lib" in message
    assert snapshot(app) == before
    assert (inner / "lib.py").read_text() == "L = 1\n"


def test_undo_of_apply_restores_every_file_byte_for_byte(repo):
    crlf = b"line one\r\nline two\r\nno newline at the end"
    git(repo, "rm", "-q", "README.md")
    (repo / "data.txt").write_bytes(crlf)
    (repo / "blob.bin").write_bytes(bytes(range(256)))
    (repo / "tool.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(repo / "tool.sh", 0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "more files")
    patch = make_patch(repo, {
        "data.txt": crlf.replace(b"two", b"2"),
        "blob.bin": bytes(reversed(range(256))),
        "pkg/calc.py": FIXED,
        "pkg/other.py": None,
        "pkg/added.py": "ADDED = True\n",
    })
    (repo / "pkg/other.py").write_text("VALUE = 1\n")  # byte-identical to HEAD, so the deletion applies
    (repo / "mine.txt").write_text("untracked\n")
    before = snapshot(repo)

    deliver(repo, patch, new_run_dir(repo, "fix"), mode="apply")
    assert (repo / "data.txt").read_bytes() == crlf.replace(b"two", b"2")
    assert not (repo / "pkg/other.py").exists() and (repo / "pkg/added.py").exists()

    done = undo(repo)
    assert done.kind == "apply"
    assert set(done.files) == {"data.txt", "blob.bin", "pkg/calc.py", "pkg/other.py", "pkg/added.py"}
    assert snapshot(repo) == before
    assert os.access(repo / "tool.sh", os.X_OK)
    refused(undo, repo, code=ExitCode.NOTHING_FOUND)


def test_undo_of_apply_refused_when_an_applied_file_changed_since(repo, patch):
    deliver(repo, patch, new_run_dir(repo, "fix"), mode="apply")
    edited = FIXED + "# the user kept working\n"
    (repo / "pkg/calc.py").write_text(edited)
    message = refused(undo, repo)
    assert "pkg/calc.py changed since suture applied its patch" in message
    assert (repo / "pkg/calc.py").read_text() == edited
    # Putting the file back as suture left it makes undo possible again.
    (repo / "pkg/calc.py").write_text(FIXED)
    undo(repo)
    assert (repo / "pkg/calc.py").read_text() == MODULE


def test_undo_of_apply_refused_when_an_applied_file_was_deleted(repo, patch):
    deliver(repo, patch, new_run_dir(repo, "fix"), mode="apply")
    (repo / "pkg/calc.py").unlink()
    assert "pkg/calc.py changed since" in refused(undo, repo)
    assert not (repo / "pkg/calc.py").exists()


def test_undo_of_commit_deletes_the_branch(repo, patch):
    before = snapshot(repo)
    done = deliver(repo, patch, new_run_dir(repo, "fix"), mode="commit", message="fix f1")
    undone = undo(repo)
    assert undone.kind == "commit" and undone.branch == done.branch and undone.commit == done.commit
    assert snapshot(repo) == before
    refused(undo, repo, code=ExitCode.NOTHING_FOUND)


def test_undo_of_commit_refused_when_the_branch_moved(repo, patch):
    done = deliver(repo, patch, new_run_dir(repo, "fix"), mode="commit", message="fix f1")
    git(repo, "branch", "-f", done.branch, "HEAD")
    message = refused(undo, repo)
    assert f"branch {done.branch} moved" in message
    assert git(repo, "rev-parse", done.branch).strip() == git(repo, "rev-parse", "HEAD").strip()


def test_undo_of_commit_refused_while_the_branch_is_checked_out(repo, patch, tmp_path):
    done = deliver(repo, patch, new_run_dir(repo, "fix"), mode="commit", message="fix f1")
    review = tmp_path / "review"
    git(repo, "worktree", "add", "-q", str(review), done.branch)
    assert "is checked out in" in refused(undo, repo)
    assert git(repo, "rev-parse", done.branch).strip() == done.commit
    git(repo, "worktree", "remove", str(review))
    assert undo(repo).branch == done.branch
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, "rev-parse", "--verify", done.branch)


def test_nothing_to_undo(repo):
    message = refused(undo, repo, code=ExitCode.NOTHING_FOUND)
    assert message.startswith("nothing to undo")


def test_delivery_from_a_subdirectory_works_at_the_top(repo, patch):
    run_dir = new_run_dir(repo, "fix")
    deliver(repo / "pkg", patch, run_dir, mode="apply")
    assert (repo / "pkg/calc.py").read_text() == FIXED
    assert undo(repo / "pkg").files == ("pkg/calc.py",)
    assert (repo / "pkg/calc.py").read_text() == MODULE


def test_bad_input_is_one_sentence(repo, tmp_path):
    run_dir = new_run_dir(repo, "fix")
    assert "not a diff git can read" in refused(deliver, repo, "this is not a patch\n", run_dir, mode="apply")
    assert "the patch is empty" in refused(deliver, repo, "", run_dir, mode="commit", message="m")
    assert "unknown delivery mode" in refused(deliver, repo, "", run_dir, mode="push")
    assert "not inside a git work tree" in refused(check_repo_state, tmp_path, "apply")
    empty = init_repo(tmp_path / "empty", {"a.txt": "a\n"}, commit=False)
    assert "no commit yet" in refused(check_repo_state, empty, "commit")


def test_a_held_interrupt_lands_after_the_change_and_its_record(repo, patch, monkeypatch):
    """Ctrl-C during the writing step is delivered only once the apply and its undo record are done."""
    run_dir = new_run_dir(repo, "fix")
    real_apply = delivery.apply_patch

    def apply_then_interrupt(root, text, *, check_only=False):
        real_apply(root, text, check_only=check_only)
        if not check_only:  # the writing call
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(delivery, "apply_patch", apply_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        deliver(repo, patch, run_dir, mode="apply")
    monkeypatch.undo()
    assert (repo / "pkg/calc.py").read_text() == FIXED
    assert (run_dir / "applied.json").is_file() and (repo / ".suture" / "last_delivery.json").is_file()
    undo(repo)
    assert (repo / "pkg/calc.py").read_text() == MODULE


def test_undo_after_the_user_reverted_by_hand_has_nothing_to_do(repo, patch):
    deliver(repo, patch, new_run_dir(repo, "fix"), mode="apply")
    (repo / "pkg/calc.py").write_text(MODULE)
    assert "already reverted" in refused(undo, repo, code=ExitCode.NOTHING_FOUND)
    refused(undo, repo, code=ExitCode.NOTHING_FOUND)


KILLED_COMMIT = """
import sys
from pathlib import Path
from suture.agent.fix.deliver import deliver
repo, run_dir = Path(sys.argv[1]), Path(sys.argv[2])
deliver(repo, Path(sys.argv[3]).read_text(), run_dir, mode="commit", message="fix f1")
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_a_commit_killed_at_any_moment_leaves_the_repo_as_it_was_or_undoable(repo, patch, tmp_path, sig):
    (repo / "pkg/other.py").write_text("VALUE = 2  # uncommitted\n")
    before = snapshot(repo)
    patch_file = tmp_path / "fix.diff"
    patch_file.write_text(patch)
    # Each kill leaves either no branch or a complete, undoable one (which depends on the machine's speed).
    for step in range(10):
        run_dir = new_run_dir(repo, f"kill{step}")
        child = subprocess.Popen([sys.executable, "-c", KILLED_COMMIT, str(repo), str(run_dir), str(patch_file)],
                                 stderr=subprocess.PIPE, text=True)
        time.sleep(0.03 * step)  # spread the kill over start-up, checks, plumbing and the ref update
        child.send_signal(sig)
        _, err = child.communicate(timeout=60)
        assert "Traceback" not in err or "KeyboardInterrupt" in err
        after = snapshot(repo)
        assert {k: v for k, v in after.items() if k != "branches"} == {k: v for k, v in before.items() if k != "branches"}
        branch = f"suture/{run_dir.name}"
        if after["branches"] == before["branches"]:
            continue
        assert git(repo, "show", f"{branch}:pkg/calc.py") == FIXED
        assert undo(repo).branch == branch
        assert snapshot(repo) == before
