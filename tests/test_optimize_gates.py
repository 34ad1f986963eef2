"""optimize's correctness gates are fix's GateRunner (agent/optimize/equivalence.py): a candidate that
games the test oracle is stopped there, through the real CLI.

The model is the one thing faked (scripted provider). Its edit is a real speed-up (quadratic ->
linear) that also rewrites pytest's reports so that every test "passes": the old optimize gate,
which only read the outcomes, let it through to the clock and kept it.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import last_json, suture
from test_replay_optimize import GOOD_EDIT, INNER_LOOP

from suture.agent.gates.tamper import TAMPER_PREFIX
from suture.tools.edits import edit_between
from suture.tools.edits import apply_edits

WORKLOAD = """
def make_input(scale):
    return ([(i * 7919) % (scale * 60) for i in range(scale * 100)],)
"""

# Prepended to uniq/core.py: imported by the tests, it turns every test report into a pass.
TAMPER = (
    "uniq/core.py\n<<<<<<< SEARCH\ndef dedupe(items: list[int]) -> list[int]:\n=======\n"
    "import _pytest.reports as _reports\n\n_made = _reports.TestReport.__init__\n\n\n"
    "def _passed(self, *args, **kwargs):\n    _made(self, *args, **kwargs)\n    self.outcome = \"passed\"\n\n\n"
    "_reports.TestReport.__init__ = _passed\n\n\ndef dedupe(items: list[int]) -> list[int]:\n>>>>>>> REPLACE\n"
)


def _optimize(repo: Path, tmp_path: Path, name: str, *extra: str) -> dict:
    script = tmp_path / f"{name}.jsonl"
    script.write_text(json.dumps({"text": GOOD_EDIT + "\n" + TAMPER}) + "\n")
    workload = tmp_path / "workload.py"
    workload.write_text(WORKLOAD)
    done = suture("optimize", "--target", "uniq.core:dedupe", "--workload", str(workload), "--model",
                  f"scripted:{script}", "--rounds", "3", "--json", *extra, cwd=repo)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr
    report = last_json(done)
    assert report["status"] == "no_significant_speedup" and report["patch"] == ""
    assert "_reports" not in (repo / "uniq/core.py").read_text()
    [model] = [c for c in report["candidates"] if c["source"] == "model"]
    assert not model["accepted"]
    return model


def test_a_candidate_that_rewrites_the_test_reports_is_rejected_by_the_shared_gates(make_repo, tmp_path):
    repo = make_repo(INNER_LOOP)
    # Before any of its code runs: the import of pytest's internals is a named risk.
    blocked = _optimize(repo, tmp_path, "blocked")
    assert blocked["stage"] == "risk", blocked
    assert "pytest_internals" in blocked["reason"] and "--allow-risk pytest_internals" in blocked["reason"]
    assert "tests" not in blocked["equivalence"]

    # Let through by the user, it runs, and the sentinel test that must fail "passes" in the same run.
    caught = _optimize(repo, tmp_path, "caught", "--allow-risk", "pytest_internals")
    assert caught["stage"] == "tests", caught
    assert caught["equivalence"]["tests"] == "tampered"
    assert caught["reason"].startswith(TAMPER_PREFIX)


def test_edit_between_changes_only_the_lines_that_differ_and_matches_once(tmp_path):
    old = "def f(x):\n    return x\n\n\ndef g(x):\n    return x\n"
    new = "def f(x):\n    return x\n\n\ndef g(x):\n    return x + 1\n"
    edit = edit_between("m.py", old, new)
    # "    return x\n" alone occurs twice: widened by context until it matches once.
    assert edit.search == "def g(x):\n    return x\n" and edit.replace == "def g(x):\n    return x + 1\n"
    (tmp_path / "m.py").write_text(old)
    [result] = apply_edits(tmp_path, [edit])
    assert result.applied, result.message
    assert (tmp_path / "m.py").read_text() == new

    inserted = edit_between("m.py", old, "import os\n" + old)  # a pure insertion at the top
    assert inserted.search == "def f(x):\n" and inserted.replace == "import os\ndef f(x):\n"
    assert edit_between("m.py", "", "x = 1\n").search == ""  # an empty file: the whole text
    # A form feed is no line end for the edits: the edit still applies after one.
    paged = "\f\ndef f(x):\n    return x\n"
    (tmp_path / "p.py").write_text(paged)
    [result] = apply_edits(tmp_path, [edit_between("p.py", paged, paged.replace("x\n", "x * 2\n"))])
    assert result.applied and (tmp_path / "p.py").read_text() == "\f\ndef f(x):\n    return x * 2\n"
