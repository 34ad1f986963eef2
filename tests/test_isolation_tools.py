"""Issue 16, through the real CLI: a prompt-injected model (the scripted provider stands in for
it) and hostile repositories do not reach the user's files.

- tool arguments are data: `run_tests` takes test node ids only, and every tool answers a
  wrong argument type with a message to the model, never an internal error;
- protected paths (CI, packaging, test configuration, secrets) are refused in every spelling
  and edits are capped in size;
- a `.suture/` suture did not make on this machine (committed, a symbolic link, copied in) is
  not trusted;
- a verified patch that --apply cannot write is printed, saved and reported, never lost.

Every attack checks that nothing outside the scratch trees changed: the user's files (tracked
and untracked), index, refs, `.git/config` and hooks, and a directory beside the repository.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from conftest import CSV_BUG, PRICES_BUG, git, last_json, repo_snapshot, suture
from test_cli_fix_model import GOOD_EDIT, fix, transcript, turn, write_script


def user_state(repo: Path, outside: Path) -> dict[str, object]:
    """What no candidate, test or tool call may change: the repository as repo_snapshot sees it,
    plus git's config and hooks, and a directory next to the repository."""
    state = repo_snapshot(repo)
    state["git_config"] = (repo / ".git" / "config").read_bytes()
    state["hooks"] = sorted(p.name for p in (repo / ".git" / "hooks").iterdir())
    state["outside"] = {p.relative_to(outside).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted(outside.rglob("*")) if p.is_file()}
    return state


def hostile_setup(make_repo, tmp_path, files=CSV_BUG):
    repo = make_repo(files)
    (repo / "notes.txt").write_text("the user's untracked work\n")  # untracked: no git object to restore it from
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not suture's\n")
    return repo, outside


def tool_answers(script: Path) -> list[str]:
    """What each tool call answered, in order (the last message of each later request)."""
    return [request["messages"][-1]["content"] for request in transcript(script)[1:]]


# ------------------------------------------------------------------ run_tests takes node ids only


def test_run_tests_refuses_options_paths_and_argument_files(make_repo, tmp_path):
    repo, outside = hostile_setup(make_repo, tmp_path)
    args_file = tmp_path / "args.txt"
    args_file.write_text(f"--basetemp={repo}\n")
    before = user_state(repo, outside)
    attacks = [
        [f"--basetemp={repo}"],  # pytest empties its basetemp: the user's repository
        [f"--junitxml={repo}/contacts/records.py", "tests/test_records.py::test_plain"],  # overwrites a source file
        ["-o", "python_functions=nothing", "tests/test_records.py"],  # changes what is collected
        [f"@{args_file}"],  # pytest reads more arguments from the file
        [f"--basetemp={outside}"],
        [f"{repo}/tests/test_records.py::test_plain"],  # absolute: the user's tree, not the scratch one
        ["../outside/keep.txt", "tests/../../outside/keep.txt"],
        ["contacts/records.py"],  # a source file, not a test file
        ["tests/test_nothere.py::test_x"],
    ]
    script = write_script(tmp_path / "model.jsonl", [
        *[turn(("run_tests", {"tests": ids})) for ids in attacks],
        turn(("run_tests", {"tests": ["tests/test_records.py::test_plain", "tests/test_records.py"]})),
        turn(("propose_edit", {"edits": [GOOD_EDIT]})),
    ])
    done = fix(repo, script)
    assert done.returncode == 0, done.stderr  # refused calls are messages: the run goes on to its fix
    assert last_json(done)["status"] == "fixed"
    answers = tool_answers(script)
    for answer in answers[: len(attacks)]:
        assert answer.startswith("Not run:") and "node ids" in answer, answer
    assert "option" in answers[0] and "option" in answers[3]
    assert "outside the repository" in answers[5] and "not in a test file" in answers[7]
    assert "tests/test_records.py::test_plain: passed" in answers[len(attacks)]  # real ids still run
    assert user_state(repo, outside) == before


# ------------------------------------------------------------------ argument types


def test_wrong_argument_types_are_told_to_the_model_not_an_internal_error(make_repo, tmp_path):
    repo, outside = hostile_setup(make_repo, tmp_path)
    before = user_state(repo, outside)
    bad_calls = [
        ("search", {"query": {"$ne": 1}}),
        ("find_callers", {"name": None}),
        ("search_method", {"name": "parse_line", "class_name": 5}),
        ("search_class", {"name": ["Reader"]}),
        ("read_code", {"path": "contacts/records.py", "start_line": "1"}),
        ("run_tests", {"tests": "tests/test_records.py"}),
        ("propose_edit", {"edits": [{"path": "contacts/records.py", "search": 1, "replace": None}]}),
        ("state_plans", {"plans": "fix it"}),
        ("read_code", {"path": "contacts/records.py", "mode": "w"}),
    ]
    script = write_script(tmp_path / "model.jsonl", [
        *[turn(call) for call in bad_calls],
        turn(("search_method", {"name": "parse_line", "class_name": None})),  # null for an optional: left out
        turn(("propose_edit", {"edits": [GOOD_EDIT]})),
    ])
    done = fix(repo, script)
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr
    answers = tool_answers(script)
    for (name, _), answer in zip(bad_calls, answers):
        assert answer.startswith(f"Bad arguments for {name}:"), answer
    assert "`query` must be a string, not an object" in answers[0]
    assert "`name` must be a string, not null" in answers[1]
    assert "`class_name` must be a string, not an integer" in answers[2]
    assert "`edits[0].search` must be a string" in answers[6]
    assert "`mode` is not an argument here" in answers[8]
    assert "def parse_line" in answers[len(bad_calls)]
    assert user_state(repo, outside) == before


# ------------------------------------------------------------------ protected paths and sizes


def test_protected_paths_in_any_spelling_and_huge_edits_are_refused(make_repo, tmp_path):
    files = dict(CSV_BUG)
    files[".github/workflows/ci.yml"] = "on: push\n"
    repo, outside = hostile_setup(make_repo, tmp_path, files)
    before = user_state(repo, outside)
    workflow = {"search": "on: push", "replace": "on: push\n# leak: ${{ secrets.TOKEN }}"}
    spellings = ["./.github/workflows/ci.yml", "contacts/../.github/workflows/ci.yml",
                 ".github//workflows/./ci.yml", "contacts\\..\\.github\\workflows\\ci.yml"]
    new_files = ["pytest.ini", "tox.ini", "conftest.py", "contacts/conftest.py", "setup.cfg", "noxfile.py", ".env",
                 "./pyproject.toml"]
    script = write_script(tmp_path / "model.jsonl", [
        *[turn(("propose_edit", {"edits": [{"path": p, **workflow}]})) for p in spellings],
        *[turn(("propose_edit", {"edits": [{"path": p, "search": "", "replace": "[pytest]\naddopts = -p no:x\n"}]}))
          for p in new_files],
        turn(("propose_edit", {"edits": [{**GOOD_EDIT, "replace": "    return next(csv.reader([line]))\n"
                                          + "#" * 300_000}]})),
        turn(("propose_edit", {"edits": [{**GOOD_EDIT, "replace": "x" * 5_000_000}]})),
        turn(("finish", {})),
    ])
    done = fix(repo, script)
    assert done.returncode == 1, done.stderr
    report = last_json(done)
    assert report["patch"] == "" and report["candidates_tried"] <= 6  # the rule engine's only: none was gated
    answers = tool_answers(script)
    for answer in answers[: len(spellings) + len(new_files)]:
        assert "refused" in answer and "CI, build, test-configuration or secrets file" in answer, answer
    assert "bytes per edit" in answers[len(spellings) + len(new_files)]
    assert "over the limit" in answers[len(spellings) + len(new_files) + 1]
    assert user_state(repo, outside) == before


def test_allow_path_opens_a_protected_file_to_the_model(make_repo, tmp_path):
    files = dict(CSV_BUG)
    files["setup.cfg"] = "[metadata]\nname = contacts\n"
    repo = make_repo(files)
    script = write_script(tmp_path / "model.jsonl", [
        turn(("propose_edit", {"edits": [{"path": "./setup.cfg", "search": "name = contacts",
                                          "replace": "name = contacts-lib"}, GOOD_EDIT]})),
    ])
    done = fix(repo, script, "--allow-path", "setup.cfg")
    assert done.returncode == 0, done.stderr
    patch = last_json(done)["patch"]
    assert "name = contacts-lib" in patch and "csv.reader" in patch


# ------------------------------------------------------------------ .suture/ suture did not make


def _undo_bait(repo: Path) -> None:
    """A `.suture/last_delivery.json` whose "undo" writes the attacker's content into app.py."""
    suture_dir = repo / ".suture"
    suture_dir.mkdir()
    (suture_dir / "evil.diff").write_text(
        "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-print('pwned')\n+print('hello')\n")
    (suture_dir / "last_delivery.json").write_text(json.dumps(
        {"mode": "apply", "run_id": "x", "run_dir": ".suture", "repo": ".", "patch": ".suture/evil.diff",
         "base": None, "files": {}, "files_before": {}}))


def test_undo_refuses_a_committed_delivery_record_in_a_fresh_clone(make_repo, tmp_path):
    origin = make_repo({"app.py": "print('hello')\n"}, name="origin")
    _undo_bait(origin)
    git(origin, "add", "-f", ".suture")
    git(origin, "commit", "-q", "-m", "ship a delivery record")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    outside = tmp_path / "outside"
    outside.mkdir()
    before = user_state(clone, outside)
    done = suture("undo", cwd=clone)
    assert done.returncode == 3, done.stderr
    assert "tracked by git" in done.stderr and "Traceback" not in done.stderr
    assert (clone / "app.py").read_text() == "print('hello')\n"
    assert user_state(clone, outside) == before
    # A fix in such a clone is refused too, before any run record is written there.
    fixing = suture("fix", cwd=clone)
    assert fixing.returncode == 3 and "tracked by git" in fixing.stderr
    assert not (clone / ".suture" / "runs").exists()


@pytest.mark.slow  # among the longest in a -n 2 run (see the suitetime measurements): scheduled first
def test_undo_refuses_a_delivery_record_suture_did_not_write_here(make_repo, tmp_path):
    repo = make_repo({"app.py": "print('hello')\n"})
    _undo_bait(repo)  # untracked, as if unpacked from an archive
    done = suture("undo", cwd=repo)
    assert done.returncode == 3, done.stderr
    assert "not written by suture in this directory" in done.stderr
    assert (repo / "app.py").read_text() == "print('hello')\n"
    # A record copied from another repository suture did write is refused the same way. That run is
    # also the one test of `fix --apply` keeping other uncommitted work and `undo` taking it back.
    other = make_repo({**PRICES_BUG, "shop/notes.py": "NOTE = 'v1'\n"}, name="other")
    (other / "shop/notes.py").write_text("NOTE = 'my uncommitted work'\n")
    applied = suture("fix", "--apply", cwd=other)
    assert applied.returncode == 0, applied.stderr
    assert "quantity >= BULK" in (other / "shop/prices.py").read_text()
    assert (other / "shop/notes.py").read_text() == "NOTE = 'my uncommitted work'\n"
    assert "suture undo" in applied.stdout
    shutil.rmtree(repo / ".suture")
    shutil.copytree(other / ".suture", repo / ".suture")
    copied = suture("undo", cwd=repo)
    assert copied.returncode == 3 and "not written by suture in this directory" in copied.stderr
    # So is a run record that came along: replay and --resume would take its test command and options.
    [run_id] = [d.name for d in (repo / ".suture" / "runs").iterdir() if "-fix-" in d.name]
    for command in (["replay", run_id], ["fix", "--resume", run_id]):
        planted = suture(*command, cwd=repo)
        assert planted.returncode == 3, (command, planted.stderr)
        assert "was not made by suture in this directory" in planted.stderr
    # In the repository that made it, the record is trusted: undo takes the patch back, not the other work.
    undone = suture("undo", "--json", cwd=other)
    assert undone.returncode == 0, undone.stderr
    assert last_json(undone)["undone"] == "apply"
    assert "quantity > BULK" in (other / "shop/prices.py").read_text()
    assert (other / "shop/notes.py").read_text() == "NOTE = 'my uncommitted work'\n"


def test_a_committed_suture_symlink_is_refused(make_repo, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    repo = make_repo(PRICES_BUG)
    (repo / ".suture").symlink_to(elsewhere)
    git(repo, "add", ".suture")
    git(repo, "commit", "-q", "-m", "a link")
    for command in (["fix"], ["index"], ["undo"]):
        done = suture(*command, cwd=repo)
        assert done.returncode == 3, (command, done.stderr)
        assert "symbolic link" in done.stderr and "Traceback" not in done.stderr
    assert list(elsewhere.iterdir()) == []  # no run record, cache or delivery went through the link


# ------------------------------------------------------------------ a refused --apply keeps the patch


@pytest.mark.slow  # a whole suture run or two: scheduled first (conftest.py)
def test_a_refused_apply_prints_saves_and_reports_the_verified_patch(make_repo, tmp_path):
    repo, outside = hostile_setup(make_repo, tmp_path, PRICES_BUG)
    prices = repo / "shop/prices.py"
    # The user edited the very line the fix changes, after the commit suture tests.
    prices.write_text(prices.read_text().replace("if quantity > BULK:", "if quantity > BULK:  # ten counts?"))
    before = user_state(repo, outside)
    # One run: printed for people, and reported in the run record's report.json (the object `--json`
    # prints, agent/runs.py write_report; many tests read `--json` itself).
    shown = suture("fix", "--apply", cwd=repo)
    assert shown.returncode == 2, shown.stderr
    assert "nothing was written" in shown.stderr
    (run_dir,) = (repo / ".suture" / "runs").iterdir()
    report = json.loads((run_dir / "report.json").read_text())
    assert report["status"] == "fixed" and ">= BULK" in report["patch"]
    assert report["delivery"]["refused"] and report["delivery"]["asked"] == "apply"
    assert Path(report["run_dir"]).resolve() == run_dir.resolve()
    assert (run_dir / "patch.diff").read_text() == report["patch"]
    assert user_state(repo, outside) == before  # the user's edit is intact
    # The patch is printed, with where it is saved.
    assert ">= BULK" in shown.stdout and "patch.diff" in shown.stdout
