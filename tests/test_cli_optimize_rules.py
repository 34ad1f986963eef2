"""`suture optimize` through the real CLI with two of the rules made for library code in one run:
concat-to-join-running-length (a str built by `out = out + w + "\\n"`, quadratic, whose length the loop
reads for the offsets) and if-chain-to-dict (a chain of constant returns called per word). Real rules,
harness, tests, verifier and timing; no model. No assertion depends on a close timing: the join turns
quadratic copying into linear work (many times faster at the workload's scale), and of the dict look-up,
whose gain is small, only that it was proposed and passed every correctness gate is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import suture
from test_cli_optimize import VERIFY  # a short verifier bound: not what this test is about

LAYOUT = {
    "text/__init__.py": "",
    "text/layout.py": """
        def weight(code: int) -> float:
            if code == 1:
                return 0.5
            elif code == 2:
                return 1.5
            elif code == 3:
                return 2.0
            else:
                return 1.0


        def offsets(words: list[str]) -> tuple[str, list[int]]:
            out = ""
            starts = []
            for w in words:
                starts += [len(out)]
                out = out + w + "\\n"
            return out, starts


        def layout(words: list[str]) -> tuple[str, list[int], float]:
            \"\"\"The words one per line, where each line starts, and their total weight.\"\"\"
            text, starts = offsets(words)
            return text, starts, sum(weight(len(w) % 5) for w in words)
    """,
    "tests/test_layout.py": """
        from text.layout import layout, weight


        def test_layout():
            assert layout(["ab", "", "cde"]) == ("ab\\n\\ncde\\n", [0, 3, 4], 1.5 + 1.0 + 2.0)
            assert layout([]) == ("", [], 0)


        def test_weight():
            assert [weight(c) for c in range(5)] == [1.0, 0.5, 1.5, 2.0, 1.0]
    """,
}
WORKLOAD = """
def make_input(scale):
    return ([f"w{(i * 7919) % 10007}" for i in range(scale * 400)],)
"""


@pytest.mark.slow  # a whole suture run: scheduled first (conftest.py)
def test_two_library_rules_in_one_run(make_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("SUTURE_CALLGRIND", "off")  # the instruction count is not what this test is about
    repo = make_repo(LAYOUT)
    workload = tmp_path / "workload.py"
    workload.write_text(WORKLOAD)
    done = suture("optimize", "--target", "text.layout:layout", "--workload", str(workload), "--rounds", "3",
                  "--time-limit", "240", "--json", *VERIFY, cwd=repo, timeout=600)
    assert done.returncode == 0, done.stderr
    [record] = (repo / ".suture" / "runs").glob("*-optimize-*/report.json")
    report = json.loads(record.read_text())
    by_rule = {c["source"]: c for c in report["candidates"]}
    joined, table = by_rule["concat-to-join-running-length"], by_rule["if-chain-to-dict"]
    # Both rewrites passed the tests, the replay of recorded calls and the bounded equivalence check.
    for candidate in (joined, table):
        assert candidate["stage"] in ("timing", "measured"), candidate["reason"]
        assert candidate["equivalence"]["tests"] == "passed" and candidate["equivalence"]["replay"] == "passed"
    assert joined["accepted"] and "concat-to-join-running-length" in [e["rule"] for e in report["edits"]]
    patch = json.loads(done.stdout.strip().splitlines()[-1])["patch"]
    assert "_out_len" in patch and '"".join' in patch
    # The patch applies at the base and the repository's own tests pass on it.
    (tmp_path / "p.diff").write_text(patch)
    subprocess.run(["git", "apply", str(tmp_path / "p.diff")], cwd=repo, check=True)
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo,
                           capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout[-2000:]
