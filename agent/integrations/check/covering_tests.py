"""The test finding: the tests that cover a changed function, run on the staged snapshot, and
blamed on the commit only when they fail there and pass at HEAD (a failure that passes its
in-session rerun is flaky and only noted)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from suture.agent.integrations.check.clock import Clock, OutOfTime
from suture.agent.integrations.check.coverage_map import CoverageMap
from suture.agent.integrations.check.findings import Finding
from suture.agent.integrations.check.mapping import update_coverage_map
from suture.agent.integrations.check.reading import parse_symbols
from suture.agent.integrations.check.suite import test_command, test_env, test_qualname
from suture.agent.integrations.check.units import MODULE, Unit
from suture.retrieval.testfiles import is_test_path
from suture.tools.git.staged import StagedChange, StagedSnapshot
from suture.tools.testing.testrun import is_pytest_command, run_tests

__all__ = ["check_tests"]


def _failure_location(nodeid: str, outcome: Any) -> str:
    """path:line of the failing line inside the test itself (its assertion), else of the innermost test frame."""
    test_file = nodeid.split("::", 1)[0]
    frames = list(getattr(outcome, "frames", []) or [])
    for wanted in (lambda f: f.path == test_file, lambda f: is_test_path(f.path) and not f.path.startswith("/")):
        matching = [f for f in frames if wanted(f)]
        if matching:
            return f"{matching[-1].path}:{matching[-1].line}"
    return ""


def _first_line(message: str) -> str:
    lines = [line for line in (message or "").splitlines() if line.strip()]
    return lines[0].strip()[:300] if lines else "failed"



def check_tests(top: Path, head: str | None, snapshot: StagedSnapshot, changes: list[StagedChange],
                 contents: dict[str, bytes], units: list[Unit], clock: Clock,
                 report: dict[str, Any], findings: list[Finding], interpreter: str | None = None,
                 pass_env: Sequence[str] = ()) -> None:
    tests_report: dict[str, Any] = report["tests"]
    if head is None:
        report["notes"].append("no commit yet: there is no HEAD to compare the tests with.")
        return
    command = test_command(top, snapshot.root, interpreter, report, pass_env)
    if command is None or not is_pytest_command(command):
        report["notes"].append("no pytest suite found (or test_cmd is not pytest): the covering tests were not run.")
        return
    snapshot.apply(changes, contents, "head")
    coverage_map = update_coverage_map(top, head, snapshot, command, clock, tests_report)

    # Which tests to run, and which changed function each one answers for.
    blame: dict[str, Unit] = {}
    known = set(coverage_map.tests)
    for unit in units:
        if is_test_path(unit.path):
            for nodeid in _tests_of_test_change(unit, coverage_map, contents, changes):
                blame.setdefault(nodeid, unit)
            continue
        for nodeid in sorted(coverage_map.covering(unit.path, unit.symbol)):
            blame.setdefault(nodeid, unit)
    selected = [n for n in blame if _runs_staged(n, changes, contents)]
    tests_report.update(selected=len(selected), selected_ids=selected)
    if not selected:
        report["notes"].append("no test covers the changed functions.")
        return

    snapshot.apply(changes, contents, "staged")
    left = clock.budget("running the covering tests")
    staged = run_tests(snapshot.root, test_cmd=command, nodeids=selected, timeout=left, reruns=1, env=test_env())
    tests_report.update(ran=len(staged.outcomes), passed=len(staged.passed), staged_seconds=round(staged.seconds, 3))
    if staged.status == "timeout":
        raise OutOfTime("the covering tests finished")
    failing: dict[str, Any] = {}
    for nodeid in selected:
        outcome = staged.outcomes.get(nodeid)
        if outcome is None:
            error = next((e for e in staged.collection_errors if nodeid.split("::", 1)[0] in e), None)
            if error:
                failing[nodeid] = _Failed(error, "")
            continue
        if outcome.outcome in ("failed", "error", "timeout"):
            if "passed" in outcome.reruns:
                report["notes"].append(f"{nodeid} failed once and passed its rerun: flaky, not blamed.")
                continue
            failing[nodeid] = _Failed(outcome.message, _failure_location(nodeid, outcome))
    tests_report["failed_staged"] = sorted(failing)
    if not failing:
        return

    # The same tests at HEAD: only a test that passes there was broken by the staged changes.
    existing = [n for n in failing if n in known]
    for nodeid in failing:
        if nodeid not in known:
            report["notes"].append(f"{nodeid} is new in the staged changes and fails (not a regression).")
    if not existing:
        return
    snapshot.apply(changes, contents, "head")
    left = clock.budget("confirming at HEAD that the failing tests passed there")
    at_head = run_tests(snapshot.root, test_cmd=command, nodeids=existing, timeout=left, env=test_env())
    if at_head.status == "timeout":
        raise OutOfTime(f"confirming at HEAD that {', '.join(existing[:3])} passed there")
    for nodeid in existing:
        outcome = at_head.outcomes.get(nodeid)
        if outcome is None or outcome.outcome != "passed":
            report["notes"].append(f"{nodeid} fails at HEAD too: not blamed on this commit.")
            continue
        unit, failure = blame[nodeid], failing[nodeid]
        findings.append(Finding("test", unit.path, unit.line, unit.symbol if unit.is_function else MODULE,
                                _first_line(failure.message), test=nodeid, test_location=failure.location))


def _runs_staged(nodeid: str, changes: list[StagedChange], contents: dict[str, bytes]) -> bool:
    """Does the test still exist in the staged snapshot? (pytest refuses a whole run over one unknown id.)
    Only staged test files can have lost a test: every other test file is as it was when the map was built."""
    path, name = test_qualname(nodeid)
    change = next((c for c in changes if c.path == path), None)
    if change is None:
        return True
    if change.new_blob is None:
        return False  # its file is deleted: the test is gone, not broken
    return name in {s.qualname for s in parse_symbols(path, contents.get(change.new_blob))}


@dataclass
class _Failed:
    message: str
    location: str


def _tests_of_test_change(unit: Unit, coverage_map: CoverageMap, contents: dict[str, bytes],
                          changes: list[StagedChange]) -> list[str]:
    """Tests to run for a change inside a test file: the changed test itself; for a change to a
    fixture, helper or module level code, every test of that file (of the directory for conftest.py)."""
    path = unit.path
    name = unit.symbol
    if PurePosixPath(path).name == "conftest.py":
        folder = str(PurePosixPath(path).parent)
        prefix = "" if folder == "." else folder + "/"
        return [n for n in coverage_map.tests if n.startswith(prefix)]
    in_file = [n for n in coverage_map.tests if n.split("::", 1)[0] == path]
    leaf = name.rsplit(".", 1)[-1]
    if unit.is_function and leaf.startswith("test"):
        if not unit.exists_staged:
            return []  # a deleted test: nothing to run
        same = [n for n in in_file if test_qualname(n)[1] == name]
        return same or [f"{path}::{name.replace('.', '::')}"]  # a test new in the staged changes: its own id
    if unit.is_function and name.split(".", 1)[0].startswith("Test") and "." in name:
        cls = name.split(".", 1)[0]
        return [n for n in in_file if test_qualname(n)[1].startswith(cls + ".")]
    return in_file
