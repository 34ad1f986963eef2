"""Whose Python runs the project's tests (tools/testing/pyenv.py), through the CLI, on real venvs.

The project's venv is made here with `python -m venv --without-pip` (no download). It gets
pytest (and what pytest imports) through a .pth file naming a directory of links into
suture's own site-packages, and a marker package, `projonly`, that only it can import; it
gets neither suture nor coverage. Its tests import `projonly`, so they pass only when the
project's interpreter runs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import QUADRATIC_STOPWORDS, STOPWORDS_WORKLOAD, init_repo
from suture.tools.testing import pyenv
from suture.tools.testing import pytest_shim
from warm_cli import suture as warm_suture

PYTEST_PARTS = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py.py")

BUGGY = {
    "calc.py": """\
        import projonly


        def add(a, b):
            return a - b + projonly.ZERO
        """,
    "test_calc.py": """\
        import projonly
        from calc import add


        def test_add():
            assert add(2, 3) == 5


        def test_add_zero():
            assert add(0, 0) == 0


        def test_marker():
            assert projonly.WHERE == "project venv"
        """,
}


def _site_packages(env_dir: Path) -> Path:
    return next((env_dir / "lib").glob("python*/site-packages"))


def make_venv(where: Path, *, with_pytest: bool = True, marker: bool = True, base: str | None = None) -> Path:
    """A venv at `where` (suture not installed in it), made by `base` (default: this Python); its python."""
    if base is None:
        venv.EnvBuilder(with_pip=False, symlinks=True).create(where)
    else:
        subprocess.run([base, "-m", "venv", "--without-pip", str(where)], check=True, capture_output=True)
    site = _site_packages(where)
    extra = where / "extra"
    extra.mkdir()
    if with_pytest:
        import _pytest

        ours = Path(_pytest.__file__).parent.parent
        for name in PYTEST_PARTS:
            if (ours / name).exists():
                os.symlink(ours / name, extra / name)
            for info in ours.glob(f"{name}-*.dist-info"):  # importlib.metadata asks for their versions
                os.symlink(info, extra / info.name)
    if marker:
        (extra / "projonly").mkdir()
        (extra / "projonly" / "__init__.py").write_text('ZERO = 0\nWHERE = "project venv"\n')
    (site / "suture_test_extra.pth").write_text(str(extra) + "\n")
    return where / "bin" / "python"


def suture(*args: str, cwd: Path, env: dict[str, str] | None = None, real: bool = False) -> subprocess.CompletedProcess[str]:
    """The CLI outside any venv's activation: in a fork of this process with the CLI loaded
    (tests/warm_cli.py), or with `real` as its own process from interpreter start."""
    base = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "SUTURE_PYTHON", "DATABASE_URL")}
    if not real:
        return warm_suture(*args, cwd=cwd, env={**base, **(env or {})}, timeout=600)
    return subprocess.run([sys.executable, "-m", "suture.agent.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                          env={**base, **(env or {})}, timeout=600)


@pytest.fixture
def project(tmp_path):
    """A repo whose tests need its own .venv (made outside git's view: .venv is ignored)."""
    repo = init_repo(tmp_path / "repo", {**BUGGY, ".gitignore": ".venv/\n"})
    make_venv(repo / ".venv")
    return repo


def test_the_interpreter_is_real_and_suture_is_not_in_it(project):
    python = str(project / ".venv" / "bin" / "python")
    found = pyenv.probe(python)
    assert found is not None and found["pytest"] and not found["coverage"]
    assert subprocess.run([python, "-c", "import suture"], capture_output=True).returncode != 0
    assert subprocess.run([sys.executable, "-c", "import projonly"], capture_output=True).returncode != 0


def test_find_python_order(project, tmp_path, monkeypatch):
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    found = pyenv.find_python(project)
    assert (found.source, found.own, found.python) == (".venv", False, str(project / ".venv" / "bin" / "python"))
    (project / "sub").mkdir()
    assert pyenv.find_python(project / "sub").python == found.python  # from a sub-directory: up to the top
    other = make_venv(tmp_path / "active", marker=False)
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "active"))
    assert pyenv.find_python(project).python == str(other)
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)  # suture's own venv active: passed over
    assert pyenv.find_python(project).source == ".venv"
    chosen = pyenv.find_python(project, sys.executable)
    assert (chosen.source, chosen.own) == ("--python", True)
    assert pyenv.find_python(project, str(tmp_path / "active")).python == str(other)  # a venv's directory
    with pytest.raises(pyenv.PythonEnvError, match="did not run as a Python"):
        pyenv.find_python(project, shutil.which("true"))
    bare = init_repo(tmp_path / "bare", {"test_x.py": "def test_x():\n    pass\n"})
    monkeypatch.delenv("VIRTUAL_ENV")
    assert pyenv.find_python(bare).source == "suture"


def test_fix_and_localize_run_under_the_projects_venv(project):
    done = suture("localize", "--json", cwd=project)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["ranking"][0]["symbol"] == "add"
    assert report["environment"]["python"] == str(project / ".venv" / "bin" / "python")
    assert report["environment"]["source"] == ".venv"
    assert "project Python: " + str(project / ".venv" / "bin" / "python") in done.stderr
    assert report["failing"] == ["test_calc.py::test_add"]  # test_marker passes: projonly came from the venv

    done = suture("fix", "--json", "--time-limit", "300", cwd=project)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["status"] == "fixed"
    assert "+    return a + b + projonly.ZERO" in report["patch"]
    assert {k: v for k, v in report["environment"].items() if k != "withheld_env"} == {
        "python": str(project / ".venv" / "bin" / "python"), "version": "%d.%d.%d" % sys.version_info[:3], "source": ".venv"}


def test_suture_own_python_fails_on_that_project(project):
    # The same repo tested by suture's own interpreter cannot import the project's package.
    done = suture("localize", "--json", "--python", sys.executable, cwd=project)
    assert done.returncode == 2
    assert "projonly" in done.stderr


def test_python_that_does_not_exist_is_one_sentence(project):
    done = suture("fix", "--python", "/nonexistent/python", cwd=project, real=True)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "--python /nonexistent/python is not a Python interpreter that runs" in lines[0]
    assert "--test-cmd" in lines[0]


def test_python_without_pytest_names_python_and_test_cmd(project, tmp_path):
    bare = make_venv(tmp_path / "nopytest", with_pytest=False)
    for command in ("fix", "localize"):
        done = suture(command, "--python", str(bare), cwd=project)
        assert done.returncode == 2, done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip() and "warning" not in line]
        assert len(lines) == 1, done.stderr
        assert "has no pytest" in lines[0] and "--python PATH" in lines[0] and "--test-cmd CMD" in lines[0]


def test_broken_repo_venv_is_one_sentence(tmp_path):
    repo = init_repo(tmp_path / "repo", {**BUGGY, ".gitignore": "venv/\n"})
    (repo / "venv").mkdir()
    (repo / "venv" / "pyvenv.cfg").write_text("home = /nonexistent\n")
    done = suture("localize", cwd=repo)
    assert done.returncode == 2
    assert "has no Python that runs" in done.stderr and "--python PATH" in done.stderr
    assert "--test-cmd" in done.stderr and "Traceback" not in done.stderr
    # As the sentence says, a test command of one's own goes ahead (here: suture's own pytest, whose tests then
    # cannot import the project's package, which is the repo's problem, not the venv's).
    done = suture("localize", "--json", "--test-cmd", f"{sys.executable} -m pytest", cwd=repo)
    assert "recreate it" not in done.stderr and "venv has no Python that runs" in done.stderr  # a note
    assert "projonly" in done.stderr


def test_python_setting_from_the_environment(project, tmp_path):
    done = suture("localize", "--json", cwd=project, env={"SUTURE_PYTHON": "/nonexistent/python"})
    assert done.returncode == 2 and "$SUTURE_PYTHON /nonexistent/python" in done.stderr


SERVICES = {
    "store.py": """\
        import os


        def connect():
            return {"url": os.environ["DATABASE_URL"]}


        def add(a, b):
            return a - b
        """,
    "test_store.py": """\
        import pytest
        from store import add, connect


        @pytest.fixture
        def db():
            return connect()


        def test_insert(db):
            assert db


        def test_query(db):
            assert db


        def test_add():
            assert add(2, 3) == 5


        def test_add_zero():
            assert add(0, 0) == 0
            assert add(4, 0) == 4
        """,
}


@pytest.mark.slow  # a whole suture run, 15-60 s in the suite: scheduled first (conftest.py)
def test_setup_errors_are_summarised_and_not_targets(tmp_path):
    repo = init_repo(tmp_path / "svc", SERVICES)
    base = suture("localize", "--json", cwd=repo)  # DATABASE_URL unset (see suture())
    assert base.returncode == 0, base.stderr
    report = json.loads(base.stdout.splitlines()[-1])
    assert report["failing"] == ["test_store.py::test_add"]
    [group] = report["setup_errors"]
    assert group["cause"] == "KeyError: 'DATABASE_URL'"
    assert group["why"] == "the environment variable DATABASE_URL is not set"
    assert group["tests"] == ["test_store.py::test_insert", "test_store.py::test_query"]
    assert "2 tests error at set-up" in base.stderr and "DATABASE_URL is not set" in base.stderr

    done = suture("fix", "--json", "--time-limit", "300", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["status"] == "fixed" and report["tests"]["failing_before"] == ["test_store.py::test_add"]
    assert report["tests"]["setup_errors"][0]["tests"] == ["test_store.py::test_insert", "test_store.py::test_query"]
    assert "2 tests error at set-up" in done.stderr


def test_only_setup_errors_is_one_sentence_and_named_ones_are_targets(tmp_path):
    files = dict(SERVICES)
    files["store.py"] = files["store.py"].replace("a - b", "a + b")
    repo = init_repo(tmp_path / "svc", files)
    done = suture("fix", cwd=repo)
    assert done.returncode == 2
    assert "no test fails at HEAD (2 passed); 2 tests error at set-up" in done.stderr
    assert "DATABASE_URL is not set" in done.stderr and "Traceback" not in done.stderr
    done = suture("localize", "--json", "--failing-test", "test_store.py::test_insert", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["failing"] == ["test_store.py::test_insert"]
    assert report["ranking"][0]["symbol"] == "connect"


def test_coverage_is_lent_only_to_the_same_python_version(project, monkeypatch):
    python = str(project / ".venv" / "bin" / "python")
    lent = pytest_shim.coverage_path(python)
    assert lent and (Path(lent[0]) / "coverage").is_dir() and len(os.listdir(lent[0])) == 1
    pytest_shim._facts.cache_clear()
    monkeypatch.setattr(pytest_shim, "probe", lambda p: {"version": "2.7.18", "coverage": False})
    assert pytest_shim.coverage_path(python) is None
    pytest_shim._facts.cache_clear()


def test_a_bare_pytest_in_test_cmd_runs_under_the_projects_python(project):
    done = suture("localize", "--json", "--test-cmd", "pytest -q test_calc.py", cwd=project)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["failing"] == ["test_calc.py::test_add"] and report["ranking"][0]["symbol"] == "add"
    # Any other command runs as written: here suture's own interpreter, which lacks the project's package.
    done = suture("localize", "--test-cmd", f"{sys.executable} -m pytest", cwd=project)
    assert done.returncode == 2 and "projonly" in done.stderr


def test_optimize_times_and_tests_under_the_projects_venv(tmp_path):
    # One rewrite to find (conftest.QUADRATIC_STOPWORDS): one candidate verified and timed.
    files = dict(QUADRATIC_STOPWORDS)
    files["words/filter.py"] = files["words/filter.py"].replace("def content", "import projonly\n\n\n        def content", 1)
    repo = init_repo(tmp_path / "repo", {**files, ".gitignore": ".venv/\n"})
    make_venv(repo / ".venv")
    workload = tmp_path / "workload.py"
    workload.write_text(STOPWORDS_WORKLOAD)
    # --verify-seconds 3 (tests/test_cli_optimize.py's VERIFY): the verifier still runs on the kept edit, under the
    # project's venv; what it finds is not what this test is about.
    done = suture("optimize", "--target", "words.filter:content", "--workload", str(workload), "--rounds", "3", "--json",
                  "--verify-seconds", "3", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["environment"]["source"] == ".venv" and report["status"] == "optimized"
    assert report["tests"]["passing_before"] == 2
    edit = report["edits"][0]
    assert edit["equivalence"]["tests"] == "passed" and edit["equivalence"]["replay"] == "passed"
    assert edit["equivalence"]["verifier"] != "counterexample"


def test_check_runs_the_covering_tests_under_the_projects_venv(project):
    calc = project / "calc.py"
    calc.write_text(calc.read_text().replace("a - b", "a + b"))
    subprocess.run(["git", "add", "calc.py"], cwd=project, check=True)
    done = suture("check", "--json", cwd=project)
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["environment"]["source"] == ".venv", done.stderr
    assert done.returncode == 0 and report["status"] == "clean", report
    assert report["tests"]["passed"] >= 1


def test_without_coverage_for_that_python_localisation_uses_the_tracebacks(project, monkeypatch):
    from suture.tools.testing.localize import localize

    python = str(project / ".venv" / "bin" / "python")
    # As for a project Python of another version than suture's, without coverage.py of its own.
    monkeypatch.setattr(pytest_shim, "coverage_path", lambda p: None if p == python else [])
    found = localize(project, test_cmd=[python, "-m", "pytest"])
    assert found.failing == ["test_calc.py::test_add"]
    assert found.ranking[0].symbol == "add" and found.ranking[0].path == "calc.py"
    assert "per-test coverage was not recorded" in found.notes[0] and "failing lines call" in found.notes[0]
    assert not found.spectra.lines  # nothing was traced


def _other_python() -> str | None:
    """A CPython of another minor version than this one that suture's coverage supports, if installed."""
    for minor in (13, 12):
        if minor == sys.version_info[1]:
            continue
        places = [shutil.which(f"python3.{minor}"), f"/usr/bin/python3.{minor}",
                  *map(str, sorted(Path.home().glob(f".pyenv/versions/3.{minor}.*/bin/python3.{minor}")))]
        for found in places:
            if found and pyenv.probe(found) is not None:
                return found
    return None


@pytest.mark.skipif(_other_python() is None, reason="no other Python version on this machine")
def test_another_python_version_gets_suture_coverage_with_the_python_tracer(tmp_path):
    repo = init_repo(tmp_path / "repo", {**BUGGY, ".gitignore": ".venv/\n"})
    python = make_venv(repo / ".venv", base=_other_python())
    found = pyenv.probe(str(python))
    assert found["version"].split(".")[:2] != [str(n) for n in sys.version_info[:2]] and not found["coverage"]
    done = suture("localize", "--json", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["environment"]["version"] == found["version"]
    assert report["ranking"][0]["symbol"] == "add" and report["notes"] == []  # spectra, not the fallback


def test_poetry_and_hatch_environments(tmp_path, monkeypatch):
    # poetry and hatch are not installed here: each is a stand-in script on PATH that answers the
    # one question suture asks it, with a real venv's path.
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    envs = make_venv(tmp_path / "tool-env", marker=False).parent.parent
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool, question in (("poetry", "env info --path"), ("hatch", "env find")):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\n[ "$*" = "{question}" ] && echo "{envs}" && exit 0\nexit 1\n')
        script.chmod(0o755)
    tests = {"test_x.py": "def test_x():\n    pass\n"}
    poetry = init_repo(tmp_path / "p", {**tests, "pyproject.toml": "[tool.poetry]\nname = 'p'\n"})
    hatch = init_repo(tmp_path / "h", {**tests, "pyproject.toml": "[tool.hatch.envs.default]\n"})
    monkeypatch.setenv("PATH", str(bin_dir))
    assert pyenv.find_python(poetry).source == "poetry"
    assert pyenv.find_python(hatch).python == str(envs / "bin" / "python")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    fallback = pyenv.find_python(poetry)
    assert fallback.source == "suture" and "poetry is not on PATH" in fallback.sentence()


def test_setup_errors_grouped_by_cause_from_a_real_run(tmp_path):
    from suture.tools.testing.setup_errors import group_setup_errors, summary
    from suture.tools.testing.testrun import run_tests

    repo = init_repo(tmp_path / "svc", {"test_net.py": """\
        import socket

        import pytest


        @pytest.fixture
        def server():
            with socket.socket() as probe:  # a port nothing listens on
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            return socket.create_connection(("127.0.0.1", port), timeout=2)


        def test_ping(server):
            pass


        def test_pong(server):
            pass


        def test_plugin(missing_fixture):
            pass


        def test_a_plain_failure():
            assert False
        """})
    run = run_tests(repo)
    groups = group_setup_errors(run)
    assert [(g.why, g.tests) for g in groups] == [
        ("a service they connect to is not reachable", ["test_net.py::test_ping", "test_net.py::test_pong"]),
        ("a fixture they ask for is not defined (a pytest plugin that is not installed?)", ["test_net.py::test_plugin"]),
    ]
    assert groups[0].cause.startswith("ConnectionRefusedError")
    said = summary(groups)
    assert said.startswith("3 tests error at set-up") and "test_net.py::test_a_plain_failure" not in said


def test_verify_imports_the_projects_packages(project):
    calc = project / "calc.py"
    calc.write_text(calc.read_text() + "\n\ndef half(n: int) -> int:\n    r = projonly.ZERO + n // 2\n"
                    "    assert r != 3\n    return r\n")
    subprocess.run(["git", "commit", "-qam", "half"], cwd=project, check=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})
    done = suture("verify", "calc.py::half", "--json", "--time-limit", "60", cwd=project)
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["environment"]["source"] == ".venv"
    assert done.returncode == 1 and report["verdict"] == "counterexample", report
    assert report["counterexample"]["inputs"]["n"] in ("6", "7")
    # suture's own interpreter alone cannot import the project's package: an error, never a counterexample.
    done = suture("verify", "calc.py::half", "--json", "--time-limit", "60", "--python", sys.executable, cwd=project)
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["verdict"] != "counterexample" and "projonly" in json.dumps(report)
