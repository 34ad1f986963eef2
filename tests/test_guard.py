"""Start-up checks: the compromised-litellm refusal and the --repo checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from suture.agent import guard
from suture.agent.exitcodes import ExitCode, SutureExit


@pytest.mark.parametrize(
    ("version", "refused"),
    [
        ("1.82.7", True),
        ("1.82.8", True),
        ("1.82.7.post1", True),
        ("1.107.0", True),
        ("1.107.12", True),
        ("1.107", True),
        ("1.82.6", False),
        ("1.82.9", False),
        ("1.106.2", False),
        ("1.108.0", False),
        ("1.10.7", False),
        ("11.82.7", False),
        ("garbage", False),
    ],
)
def test_compromised_versions(version, refused):
    assert guard.is_compromised_litellm(version) is refused


def fake_site(tmp_path: Path, version: str) -> Path:
    """A directory holding nothing but a litellm-<version>.dist-info, as pip would leave it."""
    site = tmp_path / f"site-{version}"
    info = site / f"litellm-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: litellm\nVersion: {version}\n")
    return site


def test_fake_distribution_on_sys_path_is_refused(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(fake_site(tmp_path, "1.82.8")))
    found = guard.installed_litellm_versions()
    assert found[0][0] == "1.82.8"
    with pytest.raises(SutureExit) as caught:
        guard.check_litellm()
    assert caught.value.code == ExitCode.REFUSED
    assert "1.82.8" in caught.value.message and "1.106.2" in caught.value.message


def test_compromised_copy_behind_a_good_one_is_refused(tmp_path, monkeypatch):
    # Appended, so the dev environment's litellm (if any) comes first on the path.
    monkeypatch.setattr(sys, "path", [*sys.path, str(fake_site(tmp_path, "1.107.3"))])
    with pytest.raises(SutureExit) as caught:
        guard.check_litellm()
    assert "1.107.3" in caught.value.message


def test_safe_or_missing_litellm_passes(tmp_path, monkeypatch):
    class FakeDist:
        def __init__(self, version):
            self.version = version

        def locate_file(self, _):
            return tmp_path

    monkeypatch.setattr(guard.metadata, "distributions", lambda name: [FakeDist("1.106.2")])
    guard.check_litellm()
    monkeypatch.setattr(guard.metadata, "distributions", lambda name: [])
    guard.check_litellm()
    monkeypatch.setattr(guard.metadata, "distributions", lambda name: [FakeDist("1.82.7")])
    with pytest.raises(SutureExit):
        guard.check_litellm()


def test_guard_does_not_import_litellm(tmp_path):
    code = "import sys; from suture.agent import guard; guard.check_litellm(); print('litellm' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert done.stdout.strip() == "False"


def test_every_command_refuses_a_planted_compromised_litellm(tmp_path, make_repo):
    repo = make_repo({"a.py": "def f():\n    return 1\n"})
    env = {**os.environ, "PYTHONPATH": str(fake_site(tmp_path, "1.82.7"))}
    for args in (["config", "show"], ["search", "f", "--repo", str(repo)], ["index", "--repo", str(repo), "--json"]):
        done = subprocess.run(
            [sys.executable, "-m", "suture.agent.cli.main", *args],
            capture_output=True, text=True, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
        )
        assert done.returncode == ExitCode.REFUSED == 3, (args, done.stderr)
        assert "litellm 1.82.7" in done.stderr
        assert "Traceback" not in done.stderr
        if "--json" in args:  # the refusal is the one JSON object
            assert json.loads(done.stdout) == {"error": done.stderr.strip().split(": ", 1)[1], "exit_code": 3}
        else:
            assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1


def test_resolve_repo_accepts_a_sub_directory_of_a_work_tree(make_repo):
    repo = make_repo({"pkg/mod.py": "x = 1\n"})
    assert guard.resolve_repo(repo / "pkg") == (repo / "pkg").resolve()
    assert guard.resolve_repo(str(repo)) == repo.resolve()


@pytest.mark.parametrize("case", ["missing", "file", "not_git", "dot_git"])
def test_resolve_repo_refuses_bad_directories(case, tmp_path, make_repo):
    target = {
        "missing": lambda: tmp_path / "nope",
        "file": lambda: make_repo({"a.py": "x = 1\n"}) / "a.py",
        "not_git": lambda: tmp_path,
        "dot_git": lambda: make_repo({"a.py": "x = 1\n"}, name="r2") / ".git",
    }[case]()
    with pytest.raises(SutureExit) as caught:
        guard.resolve_repo(target)
    assert caught.value.code == ExitCode.BAD_INPUT
    assert str(target) in caught.value.message
