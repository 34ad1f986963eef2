"""Isolation of the project's test processes (tools/testing/sandbox.py, tools/testing/sandbox_leader.py).

Without bubblewrap: what a run leaves behind (a double-forked, setsid daemon that cleared its
environment) is killed when the run ends; a SIGKILLed suture takes its hung pytest with it;
a test process has a memory cap. With bubblewrap (skipped where it is not installed or cannot
make its namespaces): a test writes nowhere outside its tree and temp dir and reaches no network.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PRICES_BUG, last_json, repo_snapshot, suture

from suture.tools.testing import sandbox
from suture.tools.testing.testrun import run_tests

BWRAP_WORKS, BWRAP_WHY = sandbox.bwrap_status()
needs_bwrap = pytest.mark.skipif(not BWRAP_WORKS, reason=f"no working bubblewrap here: {BWRAP_WHY}")
needs_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl and /proc are Linux's")


@pytest.fixture
def policy():
    """Set the process-wide sandbox policy for one test; the suite's default comes back after it."""
    saved = sandbox.policy()
    yield sandbox.configure
    sandbox._policy = saved


def gone(pid: int, patience: float = 30.0) -> bool:
    """The process has ended (or is a zombie) within `patience` seconds (a bound, not a timing claim)."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            return True
        if state in (b"Z", b"X"):
            return True
        time.sleep(0.1)
    return False


def pids_in(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


# A test that starts a daemon the way daemons escape: fork, setsid, fork again, an empty
# environment (no run token), then reports the daemon's pid.
DAEMON_TEST = """\
import os, time

from calc import add

def test_add():
    assert add(2, 2) == 4

def test_starts_a_daemon():
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork():
            os._exit(0)
        with open({pid_file!r}, "a") as fh:
            fh.write(str(os.getpid()) + "\\n")
        os.execve("/bin/sleep", ["sleep", "300"], {{}})
    os.waitpid(pid, 0)
    for _ in range(500):
        if os.path.exists({pid_file!r}):
            break
        time.sleep(0.01)
    assert add(1, 1) == 3
"""


@needs_linux
def test_a_setsid_daemon_that_cleared_its_env_does_not_outlive_localize(make_repo, tmp_path):
    pid_file = tmp_path / "daemons"
    repo = make_repo({"calc.py": "def add(a, b):\n    return a + b\n",
                      "test_calc.py": DAEMON_TEST.format(pid_file=str(pid_file))})
    done = suture("localize", "--json", "--sandbox", "none", "--memory-limit", "1G", cwd=repo)
    assert done.returncode in (0, 1), done.stderr
    report = last_json(done)
    assert report["sandbox"]["used"] == "none" and report["sandbox"]["memory_limit"] == 2**30
    daemons = pids_in(pid_file)
    assert daemons, "the test never started its daemon"
    for pid in daemons:
        assert gone(pid, patience=10), f"daemon {pid} outlived `suture localize`"


@needs_linux
def test_a_warm_run_reaps_the_daemons_it_started(make_repo, tmp_path, policy):
    policy("none")
    pid_file = tmp_path / "daemons"
    repo = make_repo({"calc.py": "def add(a, b):\n    return a + b\n",
                      "test_calc.py": DAEMON_TEST.format(pid_file=str(pid_file))})
    run = run_tests(repo, test_cmd=[sys.executable, "-m", "pytest"], warm=True)
    assert run.warm and run.outcomes["test_calc.py::test_starts_a_daemon"].outcome == "failed"
    daemons = pids_in(pid_file)
    assert daemons
    for pid in daemons:
        assert gone(pid, patience=10), f"daemon {pid} outlived the warm run"


HUNG_SUITE = """\
import os, time

def test_hangs():
    with open({pid_file!r}, "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(600)
"""

RUNNER = """\
import sys
from pathlib import Path
from suture.tools.testing import sandbox
from suture.tools.testing.testrun import run_tests
sandbox.configure("none")
run_tests(Path(sys.argv[1]), test_cmd=[sys.executable, "-m", "pytest"], warm=sys.argv[2] == "warm",
          per_test_timeout=None, timeout=900)
"""


@needs_linux
@pytest.mark.parametrize("how", ["fresh", "warm"])
def test_a_sigkilled_suture_takes_its_hung_pytest_with_it(make_repo, tmp_path, how):
    pid_file = tmp_path / "pytest.pid"
    repo = make_repo({"test_hang.py": HUNG_SUITE.format(pid_file=str(pid_file))})
    runner = subprocess.Popen([sys.executable, "-c", RUNNER, str(repo), how], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text():
            assert runner.poll() is None and time.monotonic() < deadline, "the hung test never started"
            time.sleep(0.05)
        test_pid = int(pid_file.read_text())
        assert not gone(test_pid, patience=0.5)
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        assert gone(test_pid), f"the {how} pytest {test_pid} kept running its hung test after suture was SIGKILLed"
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        if pid_file.exists() and pid_file.read_text():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass


MEMORY_SUITE = """\
def test_small():
    assert len(bytearray(8 * 2**20)) == 8 * 2**20

def test_hog():
    assert len(bytearray(2 * 2**30)) > 0
"""


@needs_linux
@pytest.mark.parametrize("warm", [False, True])
def test_a_test_past_the_memory_cap_fails_instead_of_eating_memory(make_repo, policy, warm):
    policy("none", 400 * 2**20)
    repo = make_repo({"test_mem.py": MEMORY_SUITE})
    run = run_tests(repo, test_cmd=[sys.executable, "-m", "pytest"], warm=warm)
    assert run.outcomes["test_mem.py::test_small"].outcome == "passed"
    hog = run.outcomes["test_mem.py::test_hog"]
    assert hog.outcome == "failed" and "MemoryError" in hog.message


def test_a_bad_memory_limit_or_sandbox_is_one_sentence(make_repo):
    repo = make_repo({"test_x.py": "def test_x():\n    assert 0\n"})
    done = suture("localize", "--memory-limit", "lots", cwd=repo)
    assert done.returncode == 2 and "not a memory size" in done.stderr and "Traceback" not in done.stderr
    done = suture("localize", "--sandbox", "docker", cwd=repo)
    assert done.returncode == 2 and "unknown sandbox" in done.stderr and "Traceback" not in done.stderr


def _path_without_bwrap(tmp_path: Path) -> str:
    """A PATH with git and nothing else: a machine without bubblewrap, as far as suture can tell."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("git",):
        found = subprocess.run(["which", program], capture_output=True, text=True).stdout.strip()
        (bin_dir / program).symlink_to(found)
    return str(bin_dir)


def test_sandbox_bwrap_without_bwrap_is_refused_and_auto_says_why(make_repo, tmp_path):
    repo = make_repo({"calc.py": "def add(a, b):\n    return a - b\n",
                      "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 2) == 4\n"})
    env = {**os.environ, "PATH": _path_without_bwrap(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "suture.agent.cli.main", "localize", "--sandbox", "bwrap"], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr
    assert "bwrap (bubblewrap) is not installed" in done.stderr and "--sandbox auto or none" in done.stderr
    assert "Traceback" not in done.stderr
    done = subprocess.run([sys.executable, "-m", "suture.agent.cli.main", "localize", "--json", "--sandbox", "auto"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    described = last_json(done)["sandbox"]
    assert described["requested"] == "auto" and described["used"] == "none"
    assert "not installed" in described["why"]


# -- with bubblewrap -----------------------------------------------------------------------------

CONFINED_SUITE = """\
import os, socket, tempfile

def test_writes_inside_its_tree():
    with open("made_by_test.txt", "w") as fh:
        fh.write("ok")

def test_writes_its_temp_dir():
    with tempfile.NamedTemporaryFile() as fh:
        fh.write(b"ok")

def test_cannot_write_outside():
    try:
        with open({outside!r}, "w") as fh:
            fh.write("escaped")
    except OSError as error:
        assert error.errno == 30  # EROFS
    else:
        raise AssertionError("wrote outside the scratch tree")

def test_cannot_write_the_users_repo():
    try:
        with open({repo_file!r}, "a") as fh:
            fh.write("escaped")
    except OSError:
        pass
    else:
        raise AssertionError("wrote into the user's repository")

def test_cannot_reach_the_network():
    try:
        socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    except OSError:
        pass
    else:
        raise AssertionError("reached a server outside the sandbox")
"""


@pytest.fixture
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


@needs_bwrap
@pytest.mark.parametrize("warm", [False, True])
def test_under_bwrap_a_test_writes_only_its_tree_and_reaches_no_network(make_repo, tmp_path, policy, listener, warm):
    policy("bwrap")
    outside = tmp_path / "outside.txt"
    repo = make_repo({"placeholder.txt": "x\n"})
    (repo / "test_confined.py").write_text(CONFINED_SUITE.format(
        outside=str(outside), repo_file=str(repo / "placeholder.txt"), port=listener))
    # The run happens in a copy, as suture's scratch trees are: the user's repo is outside it.
    tree = tmp_path / "scratch"
    subprocess.run(["cp", "-r", str(repo), str(tree)], check=True)
    before = repo_snapshot(repo)
    run = run_tests(tree, test_cmd=[sys.executable, "-m", "pytest"], warm=warm, sentinel=True)
    assert run.status == "ok" and run.sentinel == "failed", run.output_tail
    assert {n: o.outcome for n, o in run.outcomes.items()} == dict.fromkeys(run.outcomes, "passed"), run.outcomes
    assert len(run.outcomes) == 5 and (tree / "made_by_test.txt").exists()
    assert not outside.exists() and repo_snapshot(repo) == before


@needs_bwrap
def test_localize_under_bwrap_says_so_and_names_sandbox_none_for_a_suite_that_needs_the_network(make_repo):
    repo = make_repo({
        "fetch.py": "import socket\n\ndef address(host):\n    return socket.getaddrinfo(host, 80)[0][4][0]\n",
        "test_fetch.py": "from fetch import address\n\ndef test_resolves():\n    assert address('example.com')\n",
    })
    done = suture("localize", "--json", "--sandbox", "bwrap", cwd=repo)
    described = last_json(done)["sandbox"]
    assert described["requested"] == "bwrap" and described["used"] == "bwrap"
    assert "network errors inside the sandbox" in done.stderr and "--sandbox none" in done.stderr


@needs_linux
def test_a_sigkilled_suture_localize_leaves_no_pytest_behind(make_repo, tmp_path):
    """Through the CLI: localize's per-test timeout is 60 s, so what ends the hung test within
    the 20 s looked at here is its parent-death signal, not a timeout."""
    pid_file = tmp_path / "pytest.pid"
    repo = make_repo({"test_hang.py": HUNG_SUITE.format(pid_file=str(pid_file))})
    cli = subprocess.Popen([sys.executable, "-m", "suture.agent.cli.main", "localize", "--sandbox", "none"], cwd=repo,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text():
            assert cli.poll() is None and time.monotonic() < deadline, "the hung test never started"
            time.sleep(0.05)
        test_pid = int(pid_file.read_text())
        cli.send_signal(signal.SIGKILL)
        cli.wait()
        assert gone(test_pid, patience=20), f"pytest {test_pid} kept running after `suture localize` was SIGKILLed"
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
        if pid_file.exists() and pid_file.read_text():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass


@needs_bwrap
def test_fix_under_bwrap_gates_and_delivers_as_without_it(make_repo):
    repo = make_repo(PRICES_BUG)
    before = repo_snapshot(repo)
    done = suture("fix", "--json", "--sandbox", "bwrap", cwd=repo)
    report = last_json(done)
    assert done.returncode == 0 and report["status"] == "fixed", done.stderr
    assert "quantity >= BULK" in report["patch"] and report["blocked"] == []
    assert report["sandbox"]["used"] == "bwrap"
    assert repo_snapshot(repo) == before
