"""Under bubblewrap the user's home is hidden from the project's tests (issue 16): ~/.ssh, ~/.aws,
~/.config hold credentials no test needs. An empty read-only tmpfs covers it; what a run reads from
it (the interpreter, a venv, PATH's tools, the user's object store a private checkout borrows) is
bound back read-only. Through the CLI, with HOME pointing at a home holding fake credentials, the
repository beside it or inside it (~/src/project, the usual place)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import init_repo, last_json, repo_snapshot

from suture.tools.testing import sandbox

BWRAP_WORKS, BWRAP_WHY = sandbox.bwrap_status()
needs_bwrap = pytest.mark.skipif(not BWRAP_WORKS, reason=f"no working bubblewrap here: {BWRAP_WHY}")

CREDENTIALS = {".ssh/id_rsa": "PRIVATE KEY", ".aws/credentials": "aws_secret_access_key = AKIAPROBE",
               ".config/gh/hosts.yml": "oauth_token: gho_probe", ".netrc": "machine x password probe"}

FILES = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n",
    "test_home.py": (
        "import os\n\n\n"
        "def test_the_home_holds_no_credentials():\n"
        f"    seen = [n for n in {sorted(CREDENTIALS)!r} if os.path.exists(os.path.expanduser('~/' + n))]\n"
        "    assert not seen, seen\n"
    ),
}


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    for name, text in CREDENTIALS.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text + "\n")
    return home


def _localize(repo: Path, home: Path, mode: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if k != "SUTURE_SANDBOX"}, "HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "suture.agent.cli.main", "localize", "--json", "--sandbox", mode],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)


@needs_bwrap
@pytest.mark.parametrize("where", ["beside the home", "inside the home"])
def test_under_bwrap_a_test_cannot_see_the_users_home(tmp_path, where):
    home = _home(tmp_path)
    repo = init_repo(tmp_path / "repo" if where == "beside the home" else home / "src" / "repo", FILES)
    before = repo_snapshot(repo)
    done = _localize(repo, home, "bwrap")
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["sandbox"]["used"] == "bwrap"
    # The tests ran (the bug's test failed, in a checkout whose objects are borrowed from inside the
    # home when the repository is there) and none of the credentials was there to see.
    assert report["failing"] == ["test_calc.py::test_add"], report
    assert repo_snapshot(repo) == before


def test_without_a_sandbox_the_home_is_the_users_and_the_report_says_so(tmp_path):
    home = _home(tmp_path)
    repo = init_repo(tmp_path / "repo", FILES)
    done = _localize(repo, home, "none")
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["sandbox"]["used"] == "none"
    assert sorted(report["failing"]) == ["test_calc.py::test_add", "test_home.py::test_the_home_holds_no_credentials"]


def test_the_home_is_hidden_and_what_the_run_needs_from_it_is_bound_back(tmp_path, monkeypatch):
    """bwrap's command line: a read-only tmpfs over $HOME; an interpreter under it, its venv, the
    installation its pyvenv.cfg names and a private checkout's borrowed objects bound back; never
    the home itself nor a credential directory."""
    home = _home(tmp_path)
    base = home / ".pyenv" / "versions" / "3.x"
    (base / "bin").mkdir(parents=True)
    venv = home / "project" / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("#!/bin/sh\n")
    (venv / "bin" / "python").chmod(0o755)
    (venv / "pyvenv.cfg").write_text(f"home = {base / 'bin'}\n")
    objects = home / "src" / "repo" / ".git" / "objects"
    objects.mkdir(parents=True)
    scratch = tmp_path / "scratch"
    (scratch / ".git" / "objects" / "info").mkdir(parents=True)
    (scratch / ".git" / "objects" / "info" / "alternates").write_text(f"{objects}\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", f"{home / '.local' / 'bin'}{os.pathsep}/usr/bin")
    (home / ".local" / "bin").mkdir(parents=True)
    argv = sandbox.bwrap_prefix([str(scratch)], keep=[str(venv / "bin" / "python"), "-m", "pytest"])
    assert argv[argv.index("--tmpfs") + 1] == str(home.resolve())
    assert argv[argv.index("--remount-ro") + 1] == str(home.resolve())
    bound = {argv[i + 1] for i, a in enumerate(argv) if a == "--ro-bind-try"}
    assert {str(venv.resolve()), str(base.resolve()), str(objects.resolve()), str((home / ".local" / "bin").resolve())} <= bound
    assert not {p for p in bound if Path(p).resolve() in (home.resolve(), (home / ".ssh").resolve(),
                                                          (home / ".local").resolve(), (home / ".config").resolve())}
