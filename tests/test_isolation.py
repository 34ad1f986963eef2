"""Hostile code in the project (a model's patch, the project's own tests) against suture, through the CLI.

Issue 16, items 2, 5 and 6: what runs in a scratch checkout reaches neither the user's repository
(its files, untracked ones included, `.git/config`, refs, hooks) nor suture's secrets. The model is
the scripted provider; everything else is real (git, pytest, the gates).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CSV_BUG, PRICES_BUG, git, hostile_code, init_repo, last_json, user_state

SECRETS = {name: f"secret-value-of-{name.lower()}-0123456789" for name in (
    "AWS_SECRET_ACCESS_KEY", "AZURE_AD_TOKEN", "HOSTED_VLLM_API_KEY", "DASHSCOPE_API_KEY", "CODESTRAL_API_KEY",
    "INPUT_TOKEN", "GITHUB_TOKEN")}


def run_suture(*args: str, cwd: Path, extra_env: dict[str, str] | None = None,
               timeout: float = 400) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "SUTURE_"))}
    # The hostile code reports to a probe file outside the tree; under bwrap (where the machine has it)
    # that write fails and with it the evidence the attack ran. The isolation asserted here must hold
    # without the sandbox (tests/test_sandbox.py covers what bwrap adds).
    env["SUTURE_SANDBOX"] = "none"
    env.update(SECRETS)
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "suture.agent.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def probes(probe: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in probe.read_text().splitlines()] if probe.exists() else []


def assert_no_secret_reached(probe: Path, passed: tuple[str, ...] = ()) -> None:
    seen = probes(probe)
    assert seen, "the hostile code never ran: the test proves nothing"
    text = probe.read_text()
    for name, value in SECRETS.items():
        if name in passed:
            assert all(env.get(name) == value for env in seen)
        else:
            assert value not in text, f"{name} reached the project's code"


def test_a_patch_that_rewires_git_and_reads_secrets_reaches_nothing_of_the_users(make_repo, tmp_path):
    """The scripted model proposes the fix plus code that, imported by the tests, attacks."""
    repo = make_repo(CSV_BUG)
    (repo / "notes.txt").write_text("the user's untracked notes\n")
    (repo / "wip.py").write_text("uncommitted = True\n")
    probe = tmp_path / "probe.jsonl"
    attack = hostile_code("http://127.0.0.1:9/elsewhere.git", probe)
    edits = [{"path": "contacts/records.py", "search": '    return line.split(",")',
              "replace": "    return next(csv.reader([line]))"},
             {"path": "contacts/records.py", "search": "import csv\n", "replace": "import csv\n" + attack}]
    script = tmp_path / "model.jsonl"
    script.write_text("".join(json.dumps(t) + "\n" for t in [
        {"text": "", "tool_calls": [{"name": "propose_edit", "arguments": {"edits": edits}}]},
        {"text": "", "tool_calls": [{"name": "finish", "arguments": {"summary": "done"}}]},
    ]))
    before = user_state(repo)
    blocked = run_suture("fix", "--json", "--time-limit", "240", "--max-candidates", "0", "--model",
                         f"scripted:{script}", cwd=repo)
    # The patch runs git and reads os.environ: named risks, stopped before any of its code runs.
    assert blocked.returncode == 1, blocked.stderr
    assert last_json(blocked)["blocked"] and not probe.exists()
    # Let it run (--allow-risk all): the private checkout and the withheld secrets must hold on their own.
    done = run_suture("fix", "--json", "--time-limit", "240", "--max-candidates", "0", "--model",
                      f"scripted:{script}", "--allow-risk", "all", cwd=repo)
    assert done.returncode in (0, 1), done.stderr
    report = last_json(done)
    assert report["candidates_tried"] >= 1
    assert user_state(repo) == before
    assert (repo / "notes.txt").read_text() == "the user's untracked notes\n"
    assert "elsewhere" not in (repo / ".git/config").read_text()
    assert_no_secret_reached(probe)
    # The report names what was withheld, never a value.
    withheld = report["environment"]["withheld_env"]
    assert set(SECRETS) <= set(withheld)
    assert not any(value in done.stdout or value in done.stderr for value in SECRETS.values())


HOSTILE_SUITE = {
    **PRICES_BUG,
    "tests/conftest.py": "",  # filled per test: the attack runs when pytest loads it
}


@pytest.mark.slow  # a whole suture run, 15-60 s in the suite: scheduled first (conftest.py)
def test_a_test_suite_that_attacks_leaves_the_user_whole_and_pass_env_is_the_one_way_in(tmp_path):
    """The project's own conftest attacks at every run (baseline, gates); --pass-env hands one name over."""
    probe = tmp_path / "probe.jsonl"
    suite = {**HOSTILE_SUITE, "tests/conftest.py": hostile_code("http://127.0.0.1:9/elsewhere.git", probe)}
    repo = init_repo(tmp_path / "repo", suite)
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    (repo / "notes.txt").write_text("untracked, precious\n")
    before = user_state(repo)
    done = run_suture("fix", "--json", "--time-limit", "240", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert last_json(done)["status"] == "fixed"
    assert user_state(repo) == before
    assert git(repo, "remote", "get-url", "--push", "origin").strip() == str(tmp_path / "origin.git")
    assert_no_secret_reached(probe)
    assert "withheld from the project's tests" in done.stderr and "DASHSCOPE_API_KEY" in done.stderr

    probe.unlink()
    done = run_suture("localize", "--json", "--pass-env", "DASHSCOPE_API_KEY", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert_no_secret_reached(probe, passed=("DASHSCOPE_API_KEY",))
    assert "DASHSCOPE_API_KEY" not in last_json(done)["environment"]["withheld_env"]
    assert user_state(repo) == before


def test_a_suite_that_needs_a_withheld_variable_is_told_to_pass_it_on(make_repo):
    repo = make_repo({
        "svc/__init__.py": "",
        "svc/client.py": "import os\n\n\ndef endpoint():\n    return os.environ['BILLING_SERVICE_TOKEN'] + '@api'\n",
        "tests/test_client.py": "from svc.client import endpoint\n\n\ndef test_endpoint():\n"
                                "    assert endpoint().endswith('@api')\n",
    })
    done = run_suture("fix", "--json", "--time-limit", "120", "--max-candidates", "3", cwd=repo,
                      extra_env={"BILLING_SERVICE_TOKEN": "tok-123"})
    assert done.returncode != 0
    assert "--pass-env BILLING_SERVICE_TOKEN" in done.stderr
    report = last_json(done)
    assert any("--pass-env BILLING_SERVICE_TOKEN" in note for note in report.get("notes", [])), report
    assert "tok-123" not in done.stdout and "tok-123" not in done.stderr
