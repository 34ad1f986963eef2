"""`suture check`'s orchestration: the staged Python changes, then the parse gate, the covering
tests and the contracts, in that order, under the time cap (see the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from suture.agent.exitcodes import SutureExit
from suture.agent.guard import git_toplevel
from suture.agent.integrations.check.clock import Clock, OutOfTime
from suture.agent.integrations.check.contracts import VERIFY_SECONDS, check_contracts
from suture.agent.integrations.check.covering_tests import check_tests
from suture.agent.integrations.check.findings import CheckOutcome, Finding, count, finish, some, unchecked, went_unchecked
from suture.agent.integrations.check.reading import Reading
from suture.agent.integrations.check.sources import changed_sources
from suture.agent.integrations.check.units import Unit, all_changed_units
from suture.tools.git.cmd import GitError, head_commit, read_blobs
from suture.tools.git.staged import (EMPTY_TREE, SYMLINK, SnapshotError, StagedChange, StagedSnapshot,
                                     mark_changed_lines, staged_changes)
from suture.tools.testing.testrun import TestRunError

__all__ = ["DEFAULT_BOUND", "DEFAULT_TIME_CAP", "run_check"]

DEFAULT_TIME_CAP = 20.0
DEFAULT_BOUND = 10  # CrossHair iterations without new coverage: a small bound, seconds not minutes


def run_check(
    repo: Path,
    *,
    time_cap: float = DEFAULT_TIME_CAP,
    bound: int = DEFAULT_BOUND,
    paths: Sequence[str] = (),
    verify_seconds: float = VERIFY_SECONDS,
    interpreter: str | None = None,
    pass_env: Sequence[str] = (),
) -> CheckOutcome:
    """Check the staged changes of the git work tree holding `repo`; see the package docstring.

    `paths` (relative to the current directory, or absolute) restricts the check to those
    staged files. `interpreter`: the --python that runs the tests (default: detected, tools/testing/pyenv.py).
    Raises SutureExit(BAD_INPUT) for input it cannot work on (not a git work
    tree, a bad cap); never writes to the user's working tree or index.
    """
    if not 0 < time_cap < float("inf"):  # nan and inf too: the cap is a real limit
        raise SutureExit("--time-cap must be a positive number of seconds.")
    clock = Clock(time_cap)
    top = git_toplevel(Path(repo))
    if top is None:
        raise SutureExit(f"{repo} is not inside a git work tree.")
    try:
        return _check_staged(top, clock, bound, paths, verify_seconds, interpreter, pass_env)
    except (GitError, SnapshotError) as exc:
        raise SutureExit(str(exc)) from None


def _check_staged(top: Path, clock: Clock, bound: int, paths: Sequence[str], verify_seconds: float,
                  interpreter: str | None, pass_env: Sequence[str]) -> CheckOutcome:
    time_cap = clock.cap
    head = head_commit(top)
    changes = staged_changes(top, head or EMPTY_TREE)
    if paths:
        wanted = {_repo_relative(top, p) for p in paths}
        changes = [c for c in changes if c.path in wanted]
    python = [c for c in changes if c.path.endswith(".py")]
    report: dict[str, Any] = {"status": "clean", "findings": [], "warnings": [], "notes": [], "changed": [],
                              "tests": {}, "verifier": [], "incomplete": False, "time_cap": time_cap,
                              "base": head, "files": [c.path for c in python]}
    findings: list[Finding] = []
    if not python:
        report["status"] = "nothing_to_check"
        report["notes"].append("no staged Python changes." if changes or paths else "nothing is staged.")
        return finish(report, findings, clock)

    contents = read_blobs(top, [b for c in changes for b in (c.old_blob, c.new_blob) if b])
    mark_changed_lines(top, head or EMPTY_TREE, python)

    readings = {c.path: Reading(c, contents.get(c.old_blob) if c.old_blob else None,
                                 contents.get(c.new_blob) if c.new_blob else None) for c in python}
    units: list[Unit] | None = None
    snapshot = None
    try:
        # 1. The parse gate: cheap, and nothing else is worth running on a file that does not compile.
        findings += _parse_gate(python, readings, clock, report)
        if findings:
            report["notes"].append("the tests and the verifier were skipped: a staged file does not compile.")
            return _finished(report, findings, clock, readings, units)
        units = all_changed_units(python, readings, clock, report)
        report["changed"] = [{"path": u.path, "symbol": u.symbol, "line": u.line} for u in units]
        snapshot = StagedSnapshot(top, head)
        check_tests(top, head, snapshot, python, contents, units, clock, report, findings, interpreter, pass_env)
        report["tests"]["done"] = True  # the covering tests ran (or there were none to run)
        check_contracts(snapshot, python, contents, readings, units, clock, bound, verify_seconds, report, findings)
    except TestRunError as exc:
        # The tests cannot run at all (pytest or a plugin missing for the configured test_cmd): a setup
        # problem the user has to fix, not a finding and not a reason to pass silently.
        raise SutureExit(f"the covering tests could not be run: {exc}") from None
    except OutOfTime as stop:
        report["incomplete"] = True
        report["stopped_before"] = stop.what
        report["unchecked"] = ([f"{u.path}::{u.symbol}" for u in unchecked(units, report)] if units is not None
                               else [c.path for c in python])  # stopped before its functions were known
        report["warnings"].append(
            f"the check stopped at its time cap of {time_cap:g} s before {stop.what}; "
            f"{went_unchecked(report['unchecked'])} (raise the cap with --time-cap).")
    finally:
        if snapshot is not None:
            snapshot.close()
    cut = report["tests"].get("cut_tests")
    if cut:
        report["warnings"].append(
            f"{count(len(cut), 'test')} cut off by the time cap {'is' if len(cut) == 1 else 'are'} not in the "
            f"coverage map yet ({some(cut)}): a change only {'it reaches' if len(cut) == 1 else 'they reach'} goes "
            "unnoticed; a later check with time to spare tries again (`suture check --time-cap 600` maps them at once).")
    return _finished(report, findings, clock, readings, units)


def _finished(report: dict[str, Any], findings: list[Finding], clock: Clock, readings: dict[str, Reading],
              units: list[Unit] | None) -> CheckOutcome:
    outcome = finish(report, findings, clock)
    outcome.sources = changed_sources(readings, units, findings)  # for the run record, after the clock stopped
    return outcome


def _parse_gate(python: list[StagedChange], readings: dict[str, Reading], clock: Clock,
                report: dict[str, Any]) -> list[Finding]:
    """A finding per staged Python file that does not compile (and did at HEAD)."""
    findings = []
    for change in python:
        if change.new_blob is None or change.new_mode == SYMLINK:
            continue
        problem, blamed = readings[change.path].syntax_problem(clock)
        if problem is None:
            continue
        if not blamed:
            report["notes"].append(f"{change.path} did not compile at HEAD either; its syntax is not blamed on this commit.")
            continue
        findings.append(Finding("parse", change.path, problem[0], "", problem[1]))
    return findings


def _repo_relative(top: Path, given: str) -> str:
    path = Path(given)
    absolute = (path if path.is_absolute() else Path.cwd() / path).resolve()
    try:
        return absolute.relative_to(top).as_posix()
    except ValueError:
        return path.as_posix()
