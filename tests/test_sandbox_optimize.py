"""`suture optimize` runs the project's code (the workload's sizing, the determinism check, the
recorded and replayed calls, the timed rounds, callgrind) the way the tests are run (issue 16):
secrets withheld, everything it starts gone when suture is, and under bubblewrap no write outside
its tree and no sight of the user's home. Through the real CLI, with a hostile package that attacks
at import time; and the timing itself is not distorted by the confinement (the leader times the
command, not its own start-up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import QUADRATIC_STOPWORDS, STOPWORDS_WORKLOAD, last_json, repo_snapshot

from suture.tools.testing import sandbox

BWRAP_WORKS, BWRAP_WHY = sandbox.bwrap_status()
needs_bwrap = pytest.mark.skipif(not BWRAP_WORKS, reason=f"no working bubblewrap here: {BWRAP_WHY}")
needs_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the run leader uses prctl and /proc")

SECRET = "sk-probe-0123456789"

# Imported by every process that runs the project's code. A secret in its environment, or the
# user's ~/.ssh under a sandbox, stops it (so optimize cannot time anything); where a write outside
# the tree works (no sandbox) it logs what it saw and leaves a setsid daemon behind.
HOSTILE_INIT = """\
import json, os, time

OUTSIDE = {outside!r}
SSH = os.path.expanduser("~/.ssh/id_rsa")

if os.environ.get("PROBE_API_KEY"):
    raise SystemExit("the secret reached the project's code")
try:
    with open(OUTSIDE, "a") as fh:
        fh.write(json.dumps({{"pid": os.getpid(), "ssh": os.path.exists(SSH)}}) + "\\n")
except OSError:
    if os.path.exists(SSH):
        raise SystemExit("the user's ~/.ssh is readable from a sandboxed run")
else:
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(OUTSIDE + ".daemons", "a") as fh:
                fh.write(f"{{os.getpid()}}\\n")
            os.environ.clear()
            time.sleep(600)
        os._exit(0)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def _optimize(repo: Path, home: Path, workload: Path, mode: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if k != "SUTURE_SANDBOX"}, "HOME": str(home), "PROBE_API_KEY": SECRET}
    return subprocess.run([sys.executable, "-m", "suture.agent.cli.main", "optimize", "--target", "words.filter:content",
                           "--workload", str(workload), "--rounds", "3", "--json", "--sandbox", mode,
                           "--verify-seconds", "3", *extra],  # the verifier still runs confined; its finding is not the point
                          cwd=repo, env=env, capture_output=True, text=True, timeout=900)


@needs_linux
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["none", pytest.param("bwrap", marks=needs_bwrap)])
def test_optimize_runs_the_projects_code_confined_like_the_tests(make_repo, tmp_path, mode):
    outside = tmp_path / "outside.jsonl"
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE KEY\n")
    repo = make_repo({**QUADRATIC_STOPWORDS, "words/__init__.py": HOSTILE_INIT.format(outside=str(outside))})
    workload = tmp_path / "workload.py"
    workload.write_text(STOPWORDS_WORKLOAD)
    before = repo_snapshot(repo)
    done = _optimize(repo, home, workload, mode)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["sandbox"]["used"] == mode
    # Sized, checked, recorded, replayed and timed: every step ran the hostile package, and none saw the secret.
    edit = report["edits"][0]
    assert report["status"] == "optimized" and edit["equivalence"]["replay"] == "passed", report
    assert SECRET not in done.stdout + done.stderr
    assert repo_snapshot(repo) == before
    if mode == "bwrap":
        assert not outside.exists()  # read-only outside the tree; ~/.ssh hidden, or the runs would have failed
        return
    seen = [json.loads(line) for line in outside.read_text().splitlines()]
    assert len(seen) > 5  # the package ran in every step, where it could write outside (no sandbox)
    daemons = [int(p) for p in Path(f"{outside}.daemons").read_text().split()]
    assert daemons and not [p for p in daemons if _alive(p)]  # each run's leader reaped what it left


@needs_bwrap
def test_callgrind_counts_under_bwrap(tmp_path, policy_bwrap):
    """valgrind's output file is in a directory the sandboxed run may write: without it the count is None."""
    from suture.tools.perf import callgrind
    from suture.tools.perf.timing import Runner

    if not callgrind.available():
        pytest.skip("valgrind is not installed")
    (tmp_path / "work.py").write_text("print(sum(range(1000)))\n")
    count = callgrind.instruction_count(Runner([sys.executable, "work.py"], tmp_path), time_limit=300)
    assert count and count > 1000


@pytest.fixture
def policy_bwrap():
    before = sandbox.policy()
    sandbox.configure("bwrap")
    yield
    sandbox.configure(before.mode, before.memory_limit)


@needs_linux
@pytest.mark.parametrize("mode", ["none", pytest.param("bwrap", marks=needs_bwrap)])
def test_a_timed_run_is_confined_and_its_wall_time_is_the_commands_own(tmp_path, mode):
    """timing.run_process: the command's wall time comes from its leader, so it excludes the
    leader's and bwrap's start-up; a write outside the tree is refused under bwrap only."""
    from suture.tools.perf import timing

    before = sandbox.policy()
    sandbox.configure(mode)
    try:
        outside = tmp_path / "outside.txt"
        tree = tmp_path / "tree"
        tree.mkdir()
        code = (f"import os\ntry:\n    open({str(outside)!r}, 'w').write('x')\nexcept OSError:\n    pass\n"
                "open('inside.txt', 'w').write(os.environ.get('PROBE_API_KEY', 'none'))\n"
                "open(os.path.join(os.environ['TMPDIR'], 't'), 'w').write('x')\nimport time\ntime.sleep(0.2)\n")
        os.environ["PROBE_API_KEY"] = SECRET
        try:
            out, err, status, wall = timing.run_process([sys.executable, "-c", code], tree, None, 120)
        finally:
            del os.environ["PROBE_API_KEY"]
        assert status == 0, err
        assert (tree / "inside.txt").read_text() == "none"
        assert outside.exists() == (mode == "none")
        assert wall >= 0.2
    finally:
        sandbox.configure(before.mode, before.memory_limit)


@needs_linux
def test_the_leader_writes_the_commands_wall_time_when_asked(tmp_path):
    wall = tmp_path / "wall"
    env = {**os.environ, sandbox.WALL_ENV: str(wall)}
    done = subprocess.run([sys.executable, "-I", "-S", sandbox.LEADER, "0", "0", "--", sys.executable, "-c",
                           "import time; time.sleep(0.2)"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert float(wall.read_text()) >= 0.2
    wall.unlink()
    done = subprocess.run([sys.executable, "-I", "-S", sandbox.LEADER, "0", "0", "--", "true"],
                          env={k: v for k, v in env.items() if k != sandbox.WALL_ENV}, timeout=120)
    assert done.returncode == 0 and not wall.exists()
