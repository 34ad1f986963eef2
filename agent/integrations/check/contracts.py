"""The contract finding: the bounded verifier (CrossHair, contracts mode, a small bound) on the changed
functions that declare contracts, blamed on the commit only when the HEAD version has no such
counterexample. Functions without contracts are not verified: a crash any input can provoke is
not a reason to block a commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from suture.agent.integrations.check.clock import Clock
from suture.agent.integrations.check.findings import Finding
from suture.agent.integrations.check.reading import Reading
from suture.agent.integrations.check.units import Unit, contracted
from suture.retrieval.testfiles import is_test_path
from suture.tools.git.staged import StagedChange, StagedSnapshot
from suture.tools.verify.verifier import Target, import_root, verify

__all__ = ["MAX_VERIFIED", "VERIFY_SECONDS", "check_contracts"]

VERIFY_SECONDS = 4.0  # per function; the cap still rules
MAX_VERIFIED = 6  # changed functions with contracts verified per check, in file order


def check_contracts(snapshot: StagedSnapshot, changes: list[StagedChange], contents: dict[str, bytes],
                     readings: dict[str, Reading], units: list[Unit],
                     clock: Clock, bound: int, verify_seconds: float, report: dict[str, Any],
                     findings: list[Finding]) -> None:
    targets = [u for u in units if u.is_function and u.has_contracts and u.exists_staged and not is_test_path(u.path)]
    if not targets:
        return
    if len(targets) > MAX_VERIFIED:
        report["notes"].append(f"{len(targets)} changed functions have contracts; the first {MAX_VERIFIED} were verified.")
        targets = targets[:MAX_VERIFIED]
    snapshot.apply(changes, contents, "staged")
    found = []
    for unit in targets:
        left = clock.need(1.0, f"verifying {unit.path}::{unit.symbol}")
        verdict = verify(_target(snapshot.root, unit.path, unit.symbol), "contracts", bound=bound,
                         time_limit=min(verify_seconds, left - 0.5), backends=("crosshair",))
        report["verifier"].append({"path": unit.path, "symbol": unit.symbol, "verdict": verdict.verdict,
                                   "seconds": round(verdict.seconds, 3), "message": verdict.message[:300]})
        if verdict.verdict == "counterexample" and verdict.counterexample is not None:
            found.append((unit, verdict))
        elif verdict.verdict == "error":
            # Not a pass: the verifier could not run, or found something it could not replay in
            # time (a loaded machine). The check says so instead of counting the contract as held.
            report.setdefault("undecided", []).append(f"{unit.path}::{unit.symbol}")
            report["warnings"].append(f"the verifier could not decide {unit.path}::{unit.symbol}: {verdict.message[:200]}")
    if not found:
        return
    # A violation the HEAD version has as well is not this commit's doing.
    snapshot.apply(changes, contents, "head")
    for unit, verdict in found:
        if unit.exists_head and contracted(readings[unit.path].old_tree(), unit.symbol):
            left = clock.need(1.0, f"confirming that {unit.symbol} met its contract at HEAD")
            before = verify(_target(snapshot.root, unit.path, unit.symbol), "contracts", bound=bound,
                            time_limit=min(verify_seconds, left - 0.5), backends=("crosshair",))
            if before.verdict == "counterexample":
                report["notes"].append(f"{unit.path}::{unit.symbol} violates its contract at HEAD too: not blamed.")
                continue
        cx = verdict.counterexample
        line = _location_line(cx.location, snapshot.root, unit.path) or unit.line
        findings.append(Finding("contract", unit.path, line, unit.symbol, cx.message, inputs=dict(cx.inputs)))


def _target(root: Path, path: str, symbol: str) -> Target:
    """The verifier's target for a repo-relative file of the snapshot (imports resolve from its package root)."""
    file = root / path
    base = import_root(file)
    return Target(base, file.relative_to(base).as_posix(), symbol)


def _location_line(location: str, root: Path, path: str) -> int | None:
    """The line of a counterexample's location ("file:line", relative to the verifier's import root)
    when it lies in the verified file itself."""
    where, _, line = (location or "").rpartition(":")
    if not line.isdigit() or not where:
        return None
    file = root / path
    located = Path(where) if Path(where).is_absolute() else import_root(file) / where
    return int(line) if located.resolve() == file.resolve() else None
