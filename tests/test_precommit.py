"""The hooks of .pre-commit-hooks.yaml run by the real pre-commit (from PyPI) against a fixture repo.

pre-commit installs suture from this checkout into a fresh virtualenv of its own (the
`language: python` way: `pip install .` of the hook repo at its rev). suture's dependencies are
not installed there (PIP_NO_DEPS): a .pth file lends that virtualenv the running environment's,
as tests/test_packaging.py does for the wheel. Installing them from the package index (467 MB,
z3 and litellm among them) was ~25 of the test's ~32 CPU-s and needed the network; that the
declared dependencies are pinned and consistent is tests/test_packaging.py's (the lock, `pip check`).
The install is still the expensive part, so the tests share one PRE_COMMIT_HOME per test session,
for all xdist workers, installed once by `pre-commit install-hooks` in a session fixture
(`pre-commit try-repo` would always install into a throw-away store; `pre-commit run` with
the same config runs the same hook).

The checkout is copied into a clean git repo first (tracked and new, not ignored files):
pre-commit clones the hook repo at a commit, so uncommitted work would otherwise be missed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from conftest import GIT_ENV, git, init_repo
from shared_runs import locked, shared_dir  # one directory and lock for all xdist workers

pytest.importorskip("pre_commit")
pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parents[1]

FIXTURE = {
    "calc/__init__.py": "",
    "calc/ops.py": """
        def add(a, b):
            return a + b
    """,
    "tests/test_ops.py": """
        from calc.ops import add


        def test_add():
            assert add(2, 3) == 5
    """,
}
BROKEN = "def add(a, b):\n    return a - b\n"
GOOD = "def add(a, b):\n    # the same sum, operands swapped\n    return b + a\n"


@pytest.fixture(scope="session")
def hook_store(tmp_path_factory) -> tuple[Path, Path]:
    """(hook repo, pre-commit store) made once per session, whichever worker asks first."""
    shared = shared_dir(tmp_path_factory) / "suture-pre-commit"
    shared.mkdir(exist_ok=True)
    hook_repo, home, ready = shared / "suture", shared / "home", shared / "ready"
    with locked(shared / "lock"):  # the other worker waits here until the store is installed
        if not ready.exists():
            for stale in (hook_repo, home, shared / "install"):  # a worker's failed attempt before
                shutil.rmtree(stale, ignore_errors=True)
            make_hook_repo(hook_repo)
            install_hooks(hook_repo, home, shared / "install" / "project")
            ready.touch()
    return hook_repo, home


@pytest.fixture
def hook_repo(hook_store) -> Path:
    return hook_store[0]


@pytest.fixture
def pre_commit_home(hook_store) -> Path:
    return hook_store[1]


def make_hook_repo(dest: Path) -> None:
    """This checkout as it is now (committed or not), committed once in a clean repo."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=CHECKOUT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = CHECKOUT / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    git(dest.parent, "init", "-q", "-b", "main", str(dest))
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "suture checkout")


def install_hooks(hook_repo: Path, home: Path, project: Path) -> None:
    """One pre-commit store for the session, the hook's virtualenv installed into it once."""
    home.mkdir()
    repo = configured_repo(project, hook_repo)
    done = pre_commit("install-hooks", cwd=repo, home=home, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    lend_dependencies(home)


def lend_dependencies(home: Path) -> None:
    """The hook's virtualenv gets the running environment's site-packages after its own (a .pth line only
    appends a path; the .pth files over there, such as an editable suture's finder, are not run), and its
    `suture` is the one pre-commit installed from the hook repo, not this work tree's."""
    (env,) = home.glob("repo*/py_env-*")
    python = env / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    lent = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_dev_dependencies.pth").write_text("".join(f"{path}\n" for path in sorted(lent)))
    where = subprocess.run([str(python), "-c", "import suture.agent.cli.main as m, typer; print(m.__file__)"],
                           capture_output=True, text=True, cwd=env)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout


def hook_env(home: Path) -> dict[str, str]:
    # PIP_NO_DEPS: suture alone is installed, its dependencies are lent (lend_dependencies).
    # PIP_NO_COMPILE: the install need not byte-compile suture's files up front; Python compiles what it imports.
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PIP_NO_DEPS": "1", "PIP_NO_COMPILE": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


def pre_commit(*args: str, cwd: Path, home: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    proc = subprocess.Popen([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=hook_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The whole group, pip too: an install left running would keep writing into the shared store.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def configured_repo(root: Path, hook_repo: Path) -> Path:
    """The fixture project with suture-check in its committed .pre-commit-config.yaml.

    The time cap is raised from 20 s: on a loaded machine the check hit it before confirming the
    test at HEAD, and a capped check passes with a warning, which is not what these tests are about.
    """
    repo = fixture_repo(root)
    rev = git(hook_repo, "rev-parse", "HEAD").strip()
    (repo / ".pre-commit-config.yaml").write_text(textwrap.dedent(f"""\
        repos:
          - repo: {hook_repo}
            rev: {rev}
            hooks:
              - id: suture-check
                args: [--time-cap, "180"]
    """))
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "-m", "pre-commit config")
    return repo


def fixture_repo(root: Path) -> Path:
    return init_repo(root, FIXTURE)


def stage(repo: Path, text: str) -> None:
    (repo / "calc/ops.py").write_text(text)
    git(repo, "add", "calc/ops.py")


def test_pre_commit_run_blocks_a_breaking_change_and_passes_a_good_one(hook_repo, pre_commit_home, tmp_path):
    repo = configured_repo(tmp_path / "project", hook_repo)
    stage(repo, BROKEN)
    blocked = pre_commit("run", "suture-check", "--verbose", cwd=repo, home=pre_commit_home)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1, output
    assert "Failed" in output
    assert "calc/ops.py:1: add (changed) breaks tests/test_ops.py::test_add" in output
    assert "tests/test_ops.py:6: AssertionError" in output  # the dedented file opens with a blank line
    # The hook never modifies files: the staged and working versions are as they were.
    assert (repo / "calc/ops.py").read_text() == BROKEN
    assert git(repo, "diff", "--cached", "--name-only").split() == ["calc/ops.py"]

    stage(repo, GOOD)
    passed = pre_commit("run", "suture-check", "--verbose", cwd=repo, home=pre_commit_home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    assert "time cap" not in passed.stdout + passed.stderr  # passed on its merits, not by running out of time


def test_git_commit_with_the_installed_hook_is_blocked_then_goes_through(hook_repo, pre_commit_home, tmp_path):
    repo = configured_repo(tmp_path / "project", hook_repo)
    home = pre_commit_home
    installed = pre_commit("install", cwd=repo, home=home)
    assert installed.returncode == 0, installed.stderr

    def commit() -> subprocess.CompletedProcess:
        return subprocess.run(["git", "commit", "-m", "change add"], cwd=repo, env=hook_env(home),
                              capture_output=True, text=True, timeout=900)

    head = git(repo, "rev-parse", "HEAD")
    stage(repo, BROKEN)
    # An unstaged edit on top: pre-commit stashes it while the hook runs and puts it back.
    (repo / "calc/ops.py").write_text(BROKEN + "\n# unstaged note\n")
    blocked = commit()
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    assert "calc/ops.py:1: add (changed) breaks tests/test_ops.py::test_add" in blocked.stdout + blocked.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert (repo / "calc/ops.py").read_text() == BROKEN + "\n# unstaged note\n"

    stage(repo, GOOD)
    done = commit()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "time cap" not in done.stdout + done.stderr
    assert git(repo, "rev-parse", "HEAD") != head
    assert git(repo, "show", "HEAD:calc/ops.py") == GOOD
