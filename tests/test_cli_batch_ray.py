"""`suture batch --ray` with a real local Ray instance (two workers, loopback only), started by the
batch itself: repositories shipped as git bundles through the object store, a killed worker's task
retried once, an address where nothing listens refused in one sentence."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from conftest import PRICES_BUG, last_json, suture
from test_cli_batch import GREEN, alive, results, wait_for, write_tasks

# Whether Ray is installed, not `importorskip`: importing it costs every xdist worker that collects this file
# about a CPU second, and only the batch's own processes (subprocesses) ever import it.
if importlib.util.find_spec("ray") is None:
    pytest.skip("ray is not installed", allow_module_level=True)


def flaky_hang(pid_file, flag) -> dict[str, str]:
    """A repo whose test hangs until `flag` exists, then passes (so a retried run ends)."""
    return {"slow/__init__.py": "",
            "tests/test_slow.py": f"import os, time\n\ndef test_slow():\n"
                                  # written whole, then renamed: the test polls it and must never read it half-written
                                  f"    open({str(pid_file)!r} + '.part', 'w').write(str(os.getpid()))\n"
                                  f"    os.replace({str(pid_file)!r} + '.part', {str(pid_file)!r})\n"
                                  f"    while not os.path.exists({str(flag)!r}):\n"
                                  f"        time.sleep(0.2)\n"}


@pytest.mark.slow
def test_batch_on_a_local_ray_instance_ships_repos_and_retries_a_lost_worker(make_repo, tmp_path):
    prices = make_repo(PRICES_BUG, name="prices")
    pid_file, flag = tmp_path / "test.pid", tmp_path / "go-on"
    slow = make_repo(flaky_hang(pid_file, flag), name="slow")
    tasks = write_tasks(tmp_path / "tasks.jsonl",
                        {"id": "prices", "repo": str(prices), "args": {"time_limit": 120}},
                        {"id": "doomed", "repo": str(slow)})
    out = tmp_path / "out"
    batch = subprocess.Popen([sys.executable, "-m", "suture.agent.cli.main", "batch", str(tasks), "--ray",
                              "--workers", "2", "--ship-repos", "--out", str(out), "--json"],
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(pid_file.exists, 300)  # the doomed task's tests run on a Ray worker
        first_test = int(pid_file.read_text())
        os.kill(int((out / "tasks" / "doomed" / "worker_pid").read_text()), signal.SIGKILL)
        wait_for(lambda: pid_file.exists() and int(pid_file.read_text()) != first_test, 300)  # the retry
        flag.write_text("")
        stdout, stderr = batch.communicate(timeout=400)
    finally:
        flag.write_text("")
        batch.kill()
    assert batch.returncode == 1, stderr  # the doomed repo has no failing test once it runs through
    by_id = {r["id"]: r for r in results(out)}
    assert by_id["prices"]["outcome"] == "fixed" and by_id["prices"]["worker"].startswith("ray:")
    assert "+    if quantity >= BULK:" in by_id["prices"]["report"]["patch"]
    # --ship-repos: the task ran in a clone of the bundle, never in the user's repo
    assert not (prices / ".suture").exists()
    assert (out / "tasks" / "prices" / "repo" / "shop" / "prices.py").exists()
    assert by_id["doomed"]["attempts"] == 2 and by_id["doomed"]["outcome"] == "error"
    assert not alive(first_test)  # the lost attempt's tests were stopped by the retry
    assert last_json_from(stdout)["tasks"] == 2


def last_json_from(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_a_ray_address_where_nothing_listens_is_one_sentence_and_exit_2(make_repo, tmp_path):
    repo = make_repo(GREEN)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tasks = write_tasks(tmp_path / "tasks.jsonl", {"id": "a", "repo": str(repo)})
    done = suture("batch", str(tasks), "--ray", f"127.0.0.1:{port}", "--out", str(tmp_path / "out"), "--json",
                  cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"no Ray cluster answers at 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
    assert last_json(done)["exit_code"] == 2
    assert not (tmp_path / "out" / "results.jsonl").exists()
