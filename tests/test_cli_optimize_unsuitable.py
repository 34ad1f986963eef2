"""Workloads `suture optimize` cannot help with (agent/optimize/unsuitable.py): one that spawns a child
process and one that starts threads are named and left alone, through the real CLI. Hot code in C is
checked through the CLI in test_cli_optimize.py's nothing-to-gain run (`sum` over a list), which
already makes that very run."""

from __future__ import annotations

import json

import pytest

from conftest import suture
from suture.agent.optimize.unsuitable import c_findings, spawn_findings

BUSY = {
    "busy/__init__.py": "",
    "busy/work.py": """
        import subprocess
        import sys
        from concurrent.futures import ThreadPoolExecutor


        def unique_count(items):
            seen = []
            for item in items:
                if item not in seen:
                    seen.append(item)
            return len(seen)


        def checked_count(items):
            # asks a child process first (as a real one would call a tool), then counts in Python
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            return unique_count(items)


        def pooled_count(chunks):
            with ThreadPoolExecutor(2) as pool:
                return sum(pool.map(unique_count, chunks))
    """,
}
ITEMS = "def make_input(scale):\n    return ([(i * 7919) % (scale * 60) for i in range(scale * 100)],)\n"
CHUNKS = ("def make_input(scale):\n"
          "    return ([[(i * 7919) % (scale * 60) for i in range(scale * 70)] for _ in range(2)],)\n")


@pytest.mark.slow  # one whole suture run with two targets: scheduled first (conftest.py)
def test_a_workload_that_spawns_a_process_or_starts_threads_is_named_and_left_alone(make_repo, tmp_path):
    repo = make_repo(BUSY)
    (tmp_path / "items.py").write_text(ITEMS)
    (tmp_path / "chunks.py").write_text(CHUNKS)
    # Terminal output (no --json): the report's sentences are what the user reads.
    done = suture("optimize", "--target", "busy.work:checked_count", "--workload", str(tmp_path / "items.py"),
                  "--target", "busy.work:pooled_count", "--workload", str(tmp_path / "chunks.py"), "--rounds", "3",
                  cwd=repo, timeout=600)
    assert done.returncode == 1, done.stderr  # ran fine, nothing improved: as a profile with nothing to rewrite
    assert "Traceback" not in done.stderr
    assert "the profile sees only the workload's own process" in done.stderr, done.stderr
    assert "the profile follows the main thread only" in done.stderr, done.stderr
    (run_dir,) = list((repo / ".suture" / "runs").iterdir())
    report = json.loads((run_dir / "report.json").read_text())  # the object --json prints
    assert report["status"] == "no_significant_speedup" and report["patch"] == ""
    # Nothing was tried: without the check, unique_count's list would have gone to a set in the first target.
    assert report["candidates_tried"] == 0, report["candidates"]
    checks = {check["kind"]: check for check in report["workload_checks"]}
    assert set(checks) == {"processes", "threads"}, report["workload_checks"]
    assert checks["processes"]["bench"] == "busy.work:checked_count" and "subprocess" in checks["processes"]["started"]
    assert checks["threads"]["bench"] == "busy.work:pooled_count"
    assert "concurrent.futures" in checks["threads"]["started"]
    assert "nothing was tried" in report["stopped_because"]
    events = [json.loads(line) for line in (run_dir / "trajectory.jsonl").read_text().splitlines()]
    assert sorted(e["kind"] for e in events if e["event"] == "workload_check") == ["processes", "threads"]
    assert (repo / "busy/work.py").read_text().count("seen = []") == 1


def test_the_sentences_say_which_and_why():
    both = spawn_findings({"processes": {"subprocess": 3, "multiprocessing": 1}, "threads": {"threading": 1}})
    assert [f["kind"] for f in both] == ["processes", "threads"]
    assert both[0]["sentence"].startswith("the workload started 4 child processes (subprocess 3, multiprocessing 1)")
    assert both[1]["sentence"].startswith("the workload started 1 thread (threading 1)")
    assert spawn_findings({"processes": {}, "threads": {}}) == [] and spawn_findings({}) == []
    spot = {"path": "m.py", "function": "digest", "c_share": 0.97, "c_calls": ("_hashlib.openssl_sha256",), "share": 0.5}
    helper = c_findings([spot], ("m.py", "main"))
    assert helper[0]["tried"] is False and "so it was not tried" in helper[0]["sentence"]
    assert "`m.py::digest` spends 97% of its time in C code it calls (_hashlib.openssl_sha256)" in helper[0]["sentence"]
    target = c_findings([spot], ("m.py", "digest"))
    assert target[0]["tried"] is True and "its Python part was still tried" in target[0]["sentence"]
    assert c_findings([{**spot, "share": 0.02}], ("m.py", "main")) == []  # a sliver of the run: not worth a word
