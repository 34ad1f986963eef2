"""`suture undo` through the real CLI (one a subprocess, the rest in a fork with the CLI loaded) on real git repositories."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import git
from test_deliver import FILES, FIXED, MODULE, make_patch
from warm_cli import suture as warm_suture

from suture.agent.fix.deliver import deliver
from suture.agent.runs import new_run_dir


def suture(*args, cwd, real=False):
    """In a fork of this process with the CLI loaded (tests/warm_cli.py); `real`: its own process."""
    if not real:
        return warm_suture(*args, cwd=cwd, timeout=120)
    return subprocess.run([sys.executable, "-m", "suture.agent.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def last_json(done) -> dict:
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    return json.loads(lines[-1])


def test_undo_json_reverts_an_apply_then_finds_nothing(make_repo, tmp_path):
    repo = make_repo(FILES)
    (repo / "pkg/other.py").write_text("VALUE = 2  # the user's edit\n")
    deliver(repo, make_patch(repo, {"pkg/calc.py": FIXED}), new_run_dir(repo, "fix"), mode="apply")
    assert (repo / "pkg/calc.py").read_text() == FIXED

    done = suture("undo", "--json", "--repo", str(repo / "pkg"), cwd=tmp_path, real=True)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["undone"] == "apply" and report["files"] == ["pkg/calc.py"]
    assert (repo / "pkg/calc.py").read_text() == MODULE
    assert (repo / "pkg/other.py").read_text() == "VALUE = 2  # the user's edit\n"

    again = suture("undo", "--json", cwd=repo)
    assert again.returncode == 1
    assert last_json(again)["undone"] is None
    assert again.stderr.startswith("suture undo: nothing to undo") and again.stderr.count("\n") == 1
    assert "Traceback" not in again.stderr


def test_undo_deletes_the_branch_of_a_commit(make_repo):
    repo = make_repo(FILES)
    made = deliver(repo, make_patch(repo, {"pkg/calc.py": FIXED}), new_run_dir(repo, "fix"), mode="commit",
                   message="fix f1")
    done = suture("undo", "--json", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["undone"] == "commit"
    assert report["branch"] == made.branch and report["commit"] == made.commit
    assert git(repo, "branch", "--list", "suture/*") == ""


def test_undo_refused_when_the_file_changed_is_one_sentence_and_exit_2(make_repo):
    repo = make_repo(FILES)
    deliver(repo, make_patch(repo, {"pkg/calc.py": FIXED}), new_run_dir(repo, "fix"), mode="apply")
    (repo / "pkg/calc.py").write_text("# rewritten by the user\n")
    done = suture("undo", cwd=repo)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "pkg/calc.py changed since suture applied its patch" in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert (repo / "pkg/calc.py").read_text() == "# rewritten by the user\n"


def test_undo_outside_a_repository(tmp_path):
    done = suture("undo", "--repo", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert "not inside a git work tree" in done.stderr and "Traceback" not in done.stderr


def test_undo_plain_output(make_repo):
    repo = make_repo(FILES)
    deliver(repo, make_patch(repo, {"pkg/calc.py": FIXED}), new_run_dir(repo, "fix"), mode="apply")
    done = suture("undo", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("reverted suture's patch in pkg/calc.py")
