"""The bounded verifier as the last gate of `suture fix`, end to end through the real CLI.

Real pytest, coverage, git, CrossHair; the model (in the planner test) is the one thing scripted.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CSV_BUG, git, last_json, suture

# The first repair template that passes the tests (`1` -> `2`: items[2 - len(items)]) is right
# for three items and crashes on one; swapping the operands (items[len(items) - 1]) is the fix.
LAST_BUG = {
    "seq.py": '''
        """Small helpers over lists."""


        def last(items):
            """The last item of `items`; None for an empty list."""
            if not items:
                return None
            return items[1 - len(items)]


        def first(items):
            """The first item of `items`; None for an empty list."""
            return items[0] if items else None
    ''',
    "tests/test_seq.py": """
        from seq import first, last


        def test_last():
            assert last([1, 2, 3]) == 3


        def test_last_empty():
            assert last([]) is None


        def test_first():
            assert first([4, 5]) == 4
            assert first([]) is None
    """,
}
CRASHING_PATCH = ("return items[1 - len(items)]", "return items[2 - len(items)]")

NO_COUNTEREXAMPLE = ("no_counterexample_within_bound", "exhausted")




def trajectory(report):
    path = Path(report["run_dir"]) / "trajectory.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def line_of(path, text):
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def pytest_file(repo, rel, text):
    (repo / rel).write_text(text)
    try:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", rel], cwd=repo,
                              capture_output=True, text=True, timeout=120)
    finally:
        (repo / rel).unlink()


@pytest.mark.slow  # a whole suture run, 15-60 s in the suite: scheduled first (conftest.py)
def test_a_crashing_template_patch_is_rejected_and_the_fix_verified(make_repo):
    repo = make_repo(LAST_BUG)
    done = suture("fix", "--json", "--time-limit", "240", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["status"] == "fixed"
    assert "+    return items[len(items) - 1]" in report["patch"]

    # The crashing candidate passed every test and was stopped by the verifier alone.
    events = trajectory(report)
    descriptions = {e["id"]: e["description"] for e in events if e["event"] == "candidate"}
    rejected = [e for e in events if e["event"] == "verdict" and e["verifier"] == "counterexample"]
    assert rejected and rejected[0]["stage"] == "verifier" and not rejected[0]["accepted"]
    line = line_of(repo / "seq.py", "return items[1 - len(items)]")
    assert descriptions[rejected[0]["id"]] == f"`1` -> `2` in line {line}"
    assert not rejected[0]["still_failing"] and not rejected[0]["regressions"]
    message = rejected[0]["message"]
    assert "last(items=[" in message and "IndexError" in message
    assert f"failing line seq.py:{line}: return items[2 - len(items)]" in message

    # The delivered fix carries the verifier's real verdict, per changed function.
    verification = report["verification"]
    assert verification["verdict"] in NO_COUNTEREXAMPLE
    (check,) = verification["functions"]
    assert check["function"] == "seq.py::last" and check["verdict"] in NO_COUNTEREXAMPLE
    assert check["backend"] == "crosshair" and check["bound"] > 0 and check["seconds"] >= 0
    assert check["inferred_types"] == {"items": "list[int]"}
    assert "verified" not in json.dumps(verification).replace("unverified", "")

    # The rejected candidate's counterexample is regression evidence: a valid pytest file that
    # fails on that candidate and passes on the delivered fix.
    evidence = verification["regression_tests"]
    assert evidence and evidence[0]["candidate"] == rejected[0]["id"]
    text = Path(evidence[0]["test_file"]).read_text()
    ast.parse(text)
    install_as = evidence[0]["install_as"]
    seq = repo / "seq.py"
    seq.write_text(seq.read_text().replace(*CRASHING_PATCH))
    on_rejected = pytest_file(repo, install_as, text)
    assert on_rejected.returncode == 1 and "IndexError" in on_rejected.stdout
    git(repo, "checkout", "--", "seq.py")
    subprocess.run(["git", "apply"], cwd=repo, input=report["patch"], text=True, check=True)
    on_fix = pytest_file(repo, install_as, text)
    assert on_fix.returncode == 0, on_fix.stdout


# On the CSV bug (conftest.CSV_BUG, which no template reaches) the model's first patch passes the
# tests but crashes on an empty line; the second is right.
CRASHING_EDIT = {"path": "contacts/records.py", "search": '    return line.split(",")',
                 "replace": "    return next(csv.reader([line])) if line[0] else []"}
GOOD_EDIT = {"path": "contacts/records.py", "search": '    return line.split(",")',
             "replace": "    return next(csv.reader([line]), [''])"}


def turn(*calls):
    return {"text": "", "tool_calls": [{"name": n, "arguments": a} for n, a in calls],
            "usage": {"prompt_tokens": 100, "completion_tokens": 10}, "cost_usd": 0.0}


@pytest.mark.slow  # a whole suture run, 15-60 s in the suite: scheduled first (conftest.py)
def test_the_planner_sees_the_counterexample_and_its_verify_tool(make_repo, tmp_path):
    repo = make_repo(CSV_BUG)
    script = tmp_path / "model.jsonl"
    script.write_text("".join(json.dumps(t) + "\n" for t in [
        turn(("verify", {"path": "contacts/records.py", "function": "names"})),
        turn(("propose_edit", {"edits": [CRASHING_EDIT]})),
        turn(("verify", {"path": "contacts/records.py", "function": "parse_line", "candidate": "model-1"})),
        turn(("propose_edit", {"edits": [GOOD_EDIT]})),
        turn(("finish", {})),
    ]))
    done = suture("fix", "--json", "--time-limit", "240", "--max-candidates", "6",
                  "--model", f"scripted:{script}", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["status"] == "fixed" and "csv.reader([line]), ['']" in report["patch"]
    assert report["verification"]["functions"][0]["function"] == "contacts/records.py::parse_line"
    assert report["verification"]["verdict"] in NO_COUNTEREXAMPLE

    sent = [json.loads(line) for line in script.with_suffix(".transcript.jsonl").read_text().splitlines()]
    assert "verify" in {t["function"]["name"] for t in sent[0]["tools"]}
    # verify on the base commit: names() crashes on a line starting with a comma... or does not;
    # either way a verdict with its backend and bound, never "verified".
    base_answer = sent[1]["messages"][-1]["content"]
    assert base_answer.startswith("contacts/records.py::names (base commit): ")
    assert "verified" not in base_answer
    # propose_edit: rejected at the verifier gate, with inputs, failing line and message.
    feedback = sent[2]["messages"][-1]["content"]
    assert "REJECTED at the verifier gate" in feedback
    assert "parse_line(line='')" in feedback and "IndexError" in feedback
    line = line_of(repo / "contacts/records.py", 'return line.split(",")')
    assert f"failing line contacts/records.py:{line}: return next(csv.reader([line])) if line[0] else []" in feedback
    # verify with the candidate id: the gate's verdict again, without running anything new.
    answer = sent[3]["messages"][-1]["content"]
    assert answer.startswith("contacts/records.py::parse_line (model-1): counterexample")
    assert "parse_line(line='')" in answer


def test_argument_types_come_from_literal_calls_and_conflicts_leave_a_parameter_alone():
    from suture.tools.verify.arg_types import inferred_annotations, insert_annotations

    source = "def find(items, target, *, strict=False):\r\n\x0c    return -1\r\n"
    func = ast.parse(source).body[0]
    calls = [
        {"args": [[1, 3, 5], 3], "kwargs": {}, "attribute": False},
        {"args": [[], 2.5], "kwargs": {"strict": True}, "attribute": False},
        {"args": ["text", "x"], "kwargs": {}, "attribute": True},  # str.find: not this function
    ]
    assert inferred_annotations(func, calls[:2]) == {"items": "list[int]", "target": "float", "strict": "bool"}
    # With str.find's call among them, items and target have no one type any more.
    assert inferred_annotations(func, calls) == {"strict": "bool"}
    annotated = insert_annotations(source, func, {"items": "list[int]", "strict": "bool"})
    assert annotated == "def find(items: list[int], target, *, strict: bool=False):\r\n\x0c    return -1\r\n"
