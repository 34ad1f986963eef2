"""tools/git/cmd.py, the one git runner: hooks and prompts off for every call, on real repositories.

The hook tests install a hook for every event suture's git commands could fire; each hook
leaves a mark and fails (a failing pre-commit, commit-msg or reference-transaction hook would
also stop the command). suture's commits must leave no mark and still succeed.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import PRICES_BUG, git, last_json, repo_snapshot, suture

from suture.tools.git import cmd as gitcmd

HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout",
         "reference-transaction", "post-rewrite", "pre-auto-gc")


def install_marking_hooks(repo: Path, marks: Path) -> None:
    hooks = Path(git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir").strip()) / "hooks"
    hooks.mkdir(exist_ok=True)
    for name in HOOKS:
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\necho {name} >> '{marks}'\nexit 1\n")
        hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def assert_hooks_are_live(repo: Path, marks: Path) -> None:
    """The same hooks do run for a plain git commit: the tests above them cannot pass vacuously."""
    done = subprocess.run(["git", "commit", "--allow-empty", "-q", "-m", "probe"], cwd=repo,
                          capture_output=True, text=True, env={**os.environ, "GIT_AUTHOR_NAME": "t",
                          "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})
    assert done.returncode != 0
    assert "pre-commit" in marks.read_text()


def test_a_commit_and_a_ref_update_through_the_runner_run_no_hook(make_repo, tmp_path):
    repo = make_repo({"a.py": "x = 1\n"})
    marks = tmp_path / "marks"
    install_marking_hooks(repo, marks)
    identity = ("-c", "user.name=t", "-c", "user.email=t@t")
    (repo / "a.py").write_text("x = 2\n")
    gitcmd.git(repo, "add", "a.py")
    gitcmd.git(repo, *identity, "commit", "-q", "-m", "through the runner")
    gitcmd.git(repo, "update-ref", "refs/heads/copy", "HEAD")
    gitcmd.git(repo, "checkout", "-q", "copy")
    assert not marks.exists()
    assert git(repo, "log", "-1", "--format=%s").strip() == "through the runner"
    assert_hooks_are_live(repo, marks)


def test_no_prompt_is_shown_and_no_askpass_program_runs(make_repo, tmp_path, monkeypatch):
    repo = make_repo({"a.py": "x = 1\n"})
    marks = tmp_path / "asked"
    askpass = tmp_path / "askpass.sh"
    askpass.write_text(f"#!/bin/sh\necho asked >> '{marks}'\necho secret\n")
    askpass.chmod(0o755)
    monkeypatch.setenv("SSH_ASKPASS", str(askpass))
    monkeypatch.setenv("GIT_ASKPASS", str(askpass))
    git(repo, "config", "core.askPass", str(askpass))
    done = gitcmd.run(repo, "-c", "credential.helper=", "credential", "fill",
                      input=b"protocol=https\nhost=example.invalid\n\n")
    assert done.returncode != 0 and not marks.exists()
    assert "terminal prompts disabled" in gitcmd.last_line(done.stderr)


def test_errors_are_one_typed_error_naming_gits_reason(make_repo, tmp_path):
    repo = make_repo({"pkg/a.py": "x = 1\n"})
    with pytest.raises(gitcmd.GitError) as caught:
        gitcmd.git(repo, "rev-parse", "--verify", "no-such-branch")
    assert caught.value.command == ("rev-parse", "--verify", "no-such-branch")
    assert str(caught.value) == f"git rev-parse failed in {repo}: fatal: Needed a single revision."
    with pytest.raises(gitcmd.GitError, match="is not a directory"):
        gitcmd.run(tmp_path / "missing", "status")  # never git in the process's own directory instead


def test_work_tree_top_head_and_blobs(make_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    repo = make_repo({"pkg/a.py": "x = 1\n", "b.bin": b"\x00\xff\n"}, name="$HOME~")  # taken literally
    assert gitcmd.work_tree_top(repo / "pkg") == repo.resolve()
    assert gitcmd.work_tree_top(repo / ".git") is None
    assert gitcmd.work_tree_top(tmp_path / "missing") is None
    outside = tmp_path / "plain"
    outside.mkdir()
    assert gitcmd.work_tree_top(outside) is None
    assert gitcmd.head_commit(repo) == git(repo, "rev-parse", "HEAD").strip()
    assert gitcmd.head_commit(make_repo({}, name="empty", commit=False)) is None
    assert gitcmd.file_at(repo, "HEAD", "pkg/a.py") == b"x = 1\n"
    assert gitcmd.file_at(repo, "HEAD", "pkg/none.py") is None
    ids = {path: git(repo, "rev-parse", f"HEAD:{path}").strip() for path in ("pkg/a.py", "b.bin")}
    missing = "0" * 40
    blobs = gitcmd.read_blobs(repo, [*ids.values(), missing])
    assert blobs == {ids["pkg/a.py"]: b"x = 1\n", ids["b.bin"]: b"\x00\xff\n"}
    short = ids["pkg/a.py"][:7]
    assert gitcmd.read_blobs(repo, [short, "0" * 7]) == {short: b"x = 1\n"}


@pytest.mark.slow  # a whole suture run, 15-60 s in the suite: scheduled first (conftest.py)
def test_fix_commit_makes_a_branch_keeps_the_checkout_and_runs_none_of_the_users_hooks(make_repo, tmp_path):
    """deliver's --commit, and every scratch worktree the run made, with hooks that fail and mark.

    The one `suture fix --commit` test (it was also tests/test_cli_fix.py's, the same run without hooks)."""
    repo = make_repo(PRICES_BUG)
    marks = tmp_path / "marks"
    install_marking_hooks(repo, marks)
    before = repo_snapshot(repo)
    done = suture("fix", "--commit", "--json", cwd=repo)
    assert done.returncode == 0, done.stderr
    branch = last_json(done)["delivery"]["branch"]
    assert branch.startswith("suture/")
    assert "quantity >= BULK" in git(repo, "show", f"{branch}:shop/prices.py")
    message = git(repo, "log", "-1", "--format=%B", branch)
    assert "test_bulk_order_at_threshold" in message and "Verified" in message
    assert not marks.exists(), marks.read_text()
    # The checkout is as it was: files, index, HEAD and its branch; only the new branch's ref is added.
    after = repo_snapshot(repo)
    assert after.pop("branches") != before.pop("branches")
    assert after == before
    assert_hooks_are_live(repo, marks)


ISSUE = "Totals are wrong: order_total([2, 3]) returns -1 but it should return 5 (the sum of the prices)."
REPRO = ("```python\nfrom shop import order_total\n\n"
         "def test_total_is_the_sum():\n    assert order_total([2, 3]) == 5\n```")


def test_the_reproduction_commit_runs_none_of_the_users_hooks(make_repo, tmp_path):
    """reproduce commits a test in a scratch worktree: --no-verify alone would still run
    prepare-commit-msg, post-commit and reference-transaction."""
    repo = make_repo({
        "shop.py": "def order_total(prices):\n    total = 0\n    for p in prices:\n        total -= p\n    return total\n",
        "test_shop.py": "from shop import order_total\n\ndef test_empty():\n    assert order_total([]) == 0\n",
    })
    marks = tmp_path / "marks"
    install_marking_hooks(repo, marks)
    script = tmp_path / "model.jsonl"
    script.write_text("".join(json.dumps(turn) + "\n" for turn in [
        {"text": REPRO},
        {"text": "", "tool_calls": [{"name": "propose_edit", "arguments": {
            "edits": [{"path": "shop.py", "search": "total -= p", "replace": "total += p"}]}}]},
    ]))
    done = suture("fix", "--json", "--issue", ISSUE, "--model", f"scripted:{script}", "--max-candidates", "1",
                  cwd=repo)
    report = last_json(done)
    repro = report["tests"]["reproduction"]
    assert repro["failing"] == ["test_suture_reproduction.py::test_total_is_the_sum"], report
    assert not marks.exists(), marks.read_text()
    assert_hooks_are_live(repo, marks)


def test_an_isolated_call_ignores_the_repository_variables_of_suture_s_own_environment(tmp_path, monkeypatch):
    from conftest import init_repo

    # As inside a git hook (`suture check` runs as one): GIT_DIR and GIT_INDEX_FILE name the user's repository.
    user = init_repo(tmp_path / "user", {"a.py": "x = 1\n"})
    scratch = init_repo(tmp_path / "scratch", {"b.py": "y = 2\n"})
    monkeypatch.setenv("GIT_DIR", str(user / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(user / ".git" / "index"))
    followed = gitcmd.run(scratch, "ls-files", text=True)
    assert followed.stdout.split() == ["a.py"]  # calls on the user's repository keep them (the hook's index)
    isolated = gitcmd.run(scratch, "ls-files", text=True, isolated=True)
    assert isolated.returncode == 0 and isolated.stdout.split() == ["b.py"]
    with pytest.raises(gitcmd.GitError, match="not a directory"):
        gitcmd.run(tmp_path / "missing", "status", isolated=True)


def test_git_commands_do_not_import_gitpython(make_repo, tmp_path, monkeypatch):
    """Every suture command finds its work tree with git first; importing GitPython for that cost
    ~0.3 CPU-s per process (tools/git/cmd.py). Commands run without it, under the same policy; the
    object model (read_blobs) still imports it when used."""
    repo = make_repo({"a.py": "x = 1\n"})
    probe = (
        "import json, sys\n"
        "from suture.agent.guard import resolve_repo\n"
        "from suture.tools.git import cmd\n"
        f"top = resolve_repo({str(repo)!r})\n"
        "failed = cmd.run(top, 'show', 'HEAD:none.py')\n"
        "before = 'git' in sys.modules\n"
        "blob = cmd.git(top, 'rev-parse', 'HEAD:a.py').strip()\n"
        "read = cmd.read_blobs(top, [blob])[blob].decode()\n"
        "print(json.dumps([str(top), failed.returncode, cmd.last_line(failed.stderr), before, read, 'git' in sys.modules]))\n"
    )
    done = subprocess.run([os.sys.executable, "-c", probe], capture_output=True, text=True, env={**os.environ, "LANG": "de_DE.UTF-8"})
    assert done.returncode == 0, done.stderr
    top, status, reason, imported_before, read, imported_after = json.loads(done.stdout)
    assert top == str(repo.resolve()) and status != 0
    assert "does not exist in 'HEAD'" in reason  # git's English message, the one callers read
    assert imported_before is False
    assert read == "x = 1\n" and imported_after is True
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on it: one sentence, not a FileNotFoundError
    with pytest.raises(gitcmd.GitError, match="git is not installed or not on PATH") as caught:
        gitcmd.run(repo, "status")
    assert caught.value.command == ("status",)
