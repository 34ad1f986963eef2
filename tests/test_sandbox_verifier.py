"""The verifier's children run in the tests' sandbox (tools/verify/bounded_run.py), through `suture verify`.

A function under verification runs code suture did not write. With `--sandbox bwrap`, when it
deletes the repository's `.git/HEAD` and writes into the repository and the user's HOME at call
time, nothing of the user's changes; in every mode its process starts in a scratch directory
with a private HOME (not the user's), and dies with suture when suture is SIGKILLed.

The functions reach the file system through a helper module, so the verifier's static scan of
the function's own calls lets them run (as a model's patch that hides its side effects would).
"""

from __future__ import annotations

import ast
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import git, last_json, repo_snapshot

from suture.tools.testing import sandbox

BWRAP_WORKS, BWRAP_WHY = sandbox.bwrap_status()
needs_bwrap = pytest.mark.skipif(not BWRAP_WORKS, reason=f"no working bubblewrap here: {BWRAP_WHY}")
needs_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl and /proc are Linux's")
MODES = ["none", pytest.param("bwrap", marks=needs_bwrap)]

# Each step it tries; the function returns how many the file system refused (read-only, denied).
HARM = """\
import errno
import os

REPO = {repo!r}
HOME = {home!r}


def clobber():
    refused = []
    steps = [
        ("remove HEAD", lambda: os.remove(os.path.join(REPO, ".git", "HEAD"))),
        ("remove source", lambda: os.remove(os.path.join(REPO, "pkg", "calc.py"))),
        ("write repo", lambda: _write(os.path.join(REPO, "pwned.txt"))),
        ("write home", lambda: _write(os.path.join(HOME, "pwned.txt"))),
        ("write ~", lambda: _write(os.path.expanduser("~/pwned.txt"))),
    ]
    for name, step in steps:
        try:
            step()
        except OSError as error:
            if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                refused.append(name)
    return refused


def _write(path):
    with open(path, "w") as fh:
        fh.write("pwned")


def where():
    # Short: the replay's report cuts a returned value at 200 characters.
    home, tmp = os.environ.get("HOME", ""), os.environ.get("TMPDIR", "")
    return "|".join([os.getcwd(), home, str(os.environ.get("PWD") == os.getcwd()),
                     str(os.path.dirname(tmp) == os.path.dirname(home))])

"""

BASE = "def tidy(n: int) -> int:\n    return n\n\n\ndef whereabouts(n: int) -> str:\n    return ''\n"
CHANGED = """\
from pkg.harm import clobber, where


def tidy(n: int) -> int:
    return n + len(clobber())


def whereabouts(n: int) -> str:
    return where()
"""


def hostile_repo(tmp_path: Path) -> tuple[Path, Path]:
    """(a repository whose uncommitted pkg/calc.py calls the harm above, the user's HOME)."""
    repo, home = tmp_path / "repo", tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text("Host *\n")
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "calc.py").write_text(BASE)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "pkg" / "harm.py").write_text(HARM.format(repo=str(repo), home=str(home)))
    (repo / "pkg" / "calc.py").write_text(CHANGED)
    return repo, home


def user_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SUTURE_SANDBOX"}
    return {**env, "HOME": str(home), **extra}


def verify(repo: Path, home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`suture verify --json` as the user runs it: in the repository, with HOME set to `home`."""
    return subprocess.run([sys.executable, "-m", "suture.agent.cli.main", "verify", *args, "--json"], cwd=repo,
                          env=env or user_env(home), capture_output=True, text=True, timeout=300)


def home_snapshot(home: Path) -> dict[str, bytes]:
    return {p.relative_to(home).as_posix(): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()}


@needs_bwrap
def test_a_function_that_attacks_the_repo_and_home_at_call_time_changes_nothing_under_bwrap(tmp_path):
    repo, home = hostile_repo(tmp_path)
    before, home_before = repo_snapshot(repo), home_snapshot(home)
    head = (repo / ".git" / "HEAD").read_bytes()
    done = verify(repo, home, "pkg/calc.py::tidy", "--against", "HEAD", "--sandbox", "bwrap", "--time-limit", "60")
    report = last_json(done)
    assert report["sandbox"]["used"] == "bwrap", report
    # The function ran (Hypothesis called it, the replay again): every attack on the user's files
    # was refused, only the write to its own private ~ went through.
    assert report["verdict"] == "counterexample", report
    assert report["counterexample"]["actual"] == "returns 4", report["counterexample"]
    assert (repo / ".git" / "HEAD").read_bytes() == head
    assert repo_snapshot(repo) == before
    assert home_snapshot(home) == home_before
    assert git(repo, "status", "--porcelain").split() == ["M", "pkg/calc.py", "??", "pkg/harm.py"]


@needs_linux
def test_without_bwrap_the_same_function_does_reach_the_tree(tmp_path):
    """The control: the attacks above are real, so the test under bwrap can fail."""
    repo, home = hostile_repo(tmp_path)
    verify(repo, home, "pkg/calc.py::tidy", "--against", "HEAD", "--sandbox", "none", "--time-limit", "60")
    assert not (repo / ".git" / "HEAD").exists()
    assert (repo / "pwned.txt").exists() and (home / "pwned.txt").exists()


@needs_linux
@pytest.mark.parametrize("mode", MODES)
def test_a_verifier_child_starts_in_scratch_with_a_private_home(tmp_path, mode):
    repo, home = hostile_repo(tmp_path)
    done = verify(repo, home, "pkg/calc.py::whereabouts", "--against", "HEAD", "--sandbox", mode, "--time-limit", "60")
    report = last_json(done)
    assert report["verdict"] == "counterexample", report
    actual = report["counterexample"]["actual"]
    assert actual.startswith("returns "), actual
    seen = ast.literal_eval(actual.removeprefix("returns "))  # the string the function returned
    cwd, child_home, pwd_is_cwd, tmp_beside_home = seen.split("|")
    assert pwd_is_cwd == "True" and tmp_beside_home == "True", seen  # PWD, and a private TMPDIR
    for theirs in (repo, home, Path.home(), tmp_path):
        assert not Path(cwd).is_relative_to(theirs) and not Path(child_home).is_relative_to(theirs), (seen, theirs)
    assert not Path(child_home).exists(), "the private HOME outlived its child"


GROWS = "def grow(n: int) -> int:\n    return n + len(bytearray(600 * 2**20)) * 0\n"


@needs_linux
@pytest.mark.parametrize("mode", MODES)
def test_the_memory_limit_reaches_the_verifiers_children(tmp_path, mode):
    """600 MB is well inside the default cap (4G): only a --memory-limit that reached the child stops it."""
    repo, home = tmp_path / "repo", tmp_path / "home"
    home.mkdir()
    repo.mkdir()
    (repo / "calc.py").write_text(GROWS.replace("len(bytearray(600 * 2**20)) * 0", "0"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "calc.py").write_text(GROWS)
    done = verify(repo, home, "calc.py::grow", "--against", "HEAD", "--sandbox", mode, "--memory-limit", "300M",
                  "--time-limit", "60")
    report = last_json(done)
    assert report["sandbox"]["memory_limit"] == 300 * 2**20
    assert report["verdict"] == "counterexample" and "MemoryError" in report["counterexample"]["actual"], report


def marked_processes(marker: str) -> list[int]:
    """Processes with `marker` in their command line or environment (not this one)."""
    found = []
    needle = marker.encode()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        for part in ("cmdline", "environ"):
            try:
                with open(f"/proc/{entry.name}/{part}", "rb") as fh:
                    if needle in fh.read():
                        found.append(int(entry.name))
                        break
            except OSError:
                continue
    return found


def is_crosshair(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"crosshair" in fh.read()
    except OSError:
        return False


SPIN = "def spin(n: int) -> int:\n    while True:\n        n += 1\n    return n\n"


@needs_linux
@pytest.mark.parametrize("mode", MODES)
def test_no_verifier_child_outlives_a_sigkilled_suture(tmp_path, mode):
    repo, home = tmp_path / "repo", tmp_path / "home"
    home.mkdir()
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "spin.py").write_text(SPIN)
    git(repo, "init", "-q", "-b", "main")
    marker = f"vsandbox-{uuid.uuid4().hex}"
    # The policy by environment here (the flag is the other tests'): the same setting.
    env = user_env(home, SUTURE_SANDBOX=mode, SUTURE_TEST_MARKER=marker)
    runner = subprocess.Popen([sys.executable, "-m", "suture.agent.cli.main", "verify", "pkg/spin.py::spin",
                               "--bound", "100000", "--time-limit", "240"], cwd=repo, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not any(is_crosshair(pid) for pid in marked_processes(marker)):
            assert runner.poll() is None and time.monotonic() < deadline, "CrossHair never started"
            time.sleep(0.2)
        time.sleep(1.0)  # well inside its loop
        assert runner.poll() is None
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        deadline = time.monotonic() + 10
        while marked_processes(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = marked_processes(marker)
        assert not left, f"verifier processes {left} outlived a SIGKILLed suture"
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        for pid in marked_processes(marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


OOB_C = """\
int fill(int n) {
  int a[4];
  for (int i = 0; i <= n && i <= 4; i++)
    a[i] = i;
  return a[0];
}
int main(void) { int n; return fill(n); }
"""


@needs_bwrap
def test_esbmc_and_the_c_harness_work_inside_bwrap(tmp_path):
    from suture.tools.verify import esbmc_backend

    if esbmc_backend.locate_esbmc() is None:
        pytest.skip("ESBMC is not installed here")
    repo, home = tmp_path / "repo", tmp_path / "home"
    home.mkdir()
    repo.mkdir()
    (repo / "buf.c").write_text(OOB_C)
    git(repo, "init", "-q", "-b", "main")
    # The whole file (ESBMC alone), then one function (its harness, compiled and replayed in the sandbox).
    for spec, replayed in (("buf.c", False), ("buf.c::fill", True)):
        report = last_json(verify(repo, home, spec, "--sandbox", "bwrap", "--time-limit", "120"))
        assert report["sandbox"]["used"] == "bwrap"
        assert report["verdict"] == "counterexample" and report["backend"] == "esbmc", report
        assert report["counterexample"]["location"] == "buf.c:4"
        assert report["counterexample"]["replayed"] is replayed


# A verifier child that leaves a daemon (double fork, setsid, its output let go), then hangs.
DAEMON = """\
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", sys.argv[1]])
    os._exit(0)
time.sleep(300)
"""


@needs_linux
@pytest.mark.parametrize("mode", MODES)
def test_a_timed_out_child_takes_its_daemons_with_it(tmp_path, mode):
    from suture.tools.verify.bounded_run import run_bounded

    saved = sandbox.policy()
    sandbox.configure(mode)
    marker = f"vsandbox-{uuid.uuid4().hex}"
    try:
        done = run_bounded([sys.executable, "-c", DAEMON, marker], cwd=tmp_path, time_limit=3)
        assert done.timed_out
        deadline = time.monotonic() + 10
        while marked_processes(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not marked_processes(marker)
    finally:
        sandbox._policy = saved
        for pid in marked_processes(marker):
            os.kill(pid, signal.SIGKILL)



def test_gcc_compiles_the_c_harness_without_suture_s_secrets(tmp_path, monkeypatch):
    """gcc reads the project's sources and flags: like every child that does, it gets the environment
    minus the secrets (tools/childenv.py). A `gcc` first on PATH logs what it was given. (The
    harness's compile called directly: through `suture verify` it waits on ESBMC first, minutes on
    a loaded machine; test_esbmc_and_the_c_harness_work_inside_bwrap drives that path.)"""
    from suture.tools.verify.c_harness import compile_c

    real = shutil.which("gcc")
    if real is None:
        pytest.skip("gcc is not installed")
    shim = tmp_path / "shim"
    shim.mkdir()
    log = tmp_path / "gcc-env.txt"
    (shim / "gcc").write_text(f'#!/bin/sh\nenv >> "{log}"\nexec "{real}" "$@"\n')
    (shim / "gcc").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-probe-secret")
    monkeypatch.setenv("DEPLOY_TOKEN", "probe-token")
    (tmp_path / "buf.c").write_text(OOB_C)
    assert compile_c(tmp_path / "buf.c", tmp_path / "buf", (), sanitize=False) is True
    seen = log.read_text()
    assert "PATH=" in seen and (tmp_path / "buf").exists()  # gcc ran, through the shim
    assert "sk-probe-secret" not in seen and "probe-token" not in seen
