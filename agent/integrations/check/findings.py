"""What the check found and how it is told: the findings, the outcome, the text the CLI prints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from suture.agent.exitcodes import ExitCode
from suture.agent.integrations.check.clock import Clock
from suture.agent.integrations.check.units import Unit
from suture.retrieval.testfiles import is_test_path

__all__ = ["CheckOutcome", "Finding", "count", "finish", "some", "summary", "unchecked", "went_unchecked"]


@dataclass
class Finding:
    kind: str  # "parse" | "test" | "contract"
    path: str
    line: int
    symbol: str  # the changed function ("" for a parse finding)
    message: str
    test: str = ""  # the test's node id (kind "test")
    test_location: str = ""  # path:line where the test failed (its assertion)
    inputs: dict[str, str] = field(default_factory=dict)  # the counterexample (kind "contract")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.kind == "parse":
            return f"{where}: syntax error: {self.message}"
        if self.kind == "test":
            head = f"{where}: {self.symbol} (changed) breaks {self.test}, which passes at HEAD"
            return head + f"\n    {self.test_location or self.test}: {self.message}"
        args = ", ".join(f"{name}={value}" for name, value in self.inputs.items())
        return f"{where}: {self.symbol} violates its contract for {args or 'some input'}\n    {self.message}"


@dataclass
class CheckOutcome:
    findings: list[Finding]
    exit_code: ExitCode
    report: dict[str, Any]
    # The changed functions' source for the run record (sources.py); not part of the JSON report.
    sources: list[dict[str, Any]] = field(default_factory=list)


def count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def some(names: Sequence[str], shown: int = 3) -> str:
    names = list(names)
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def unchecked(units: list[Unit], report: dict[str, Any]) -> list[Unit]:
    """The changed functions a check stopped by the cap left unchecked: all of them before their
    covering tests ran, else those with contracts the verifier had not got to."""
    if not report["tests"].get("done"):
        return list(units)
    verified = {(v["path"], v["symbol"]) for v in report["verifier"]}
    return [u for u in units if u.has_contracts and (u.path, u.symbol) not in verified and not is_test_path(u.path)]


def went_unchecked(names: list[str]) -> str:
    if not names:
        return "every changed function had been checked"
    return f"{'this changed function' if len(names) == 1 else 'these changed functions'} went unchecked: {some(names, 5)}"


def summary(outcome: CheckOutcome) -> str:
    """The text the CLI prints: the findings, then whatever went unchecked; the same as the JSON report says."""
    report = outcome.report
    if outcome.findings:
        found = len(outcome.findings)
        lines = [f"suture check: {found} finding{'s' if found > 1 else ''} in the staged changes:"]
        lines += [finding.render() for finding in outcome.findings]
        if report["incomplete"]:
            lines.append(f"The check is incomplete: it stopped before {report['stopped_before']}; "
                         f"{went_unchecked(report['unchecked'])}.")
        return "\n".join(lines)
    tests = report["tests"]
    ran = tests.get("passed", 0)
    held = sum(1 for v in report["verifier"] if v["verdict"] in ("no_counterexample_within_bound", "exhausted"))
    said = ["nothing to check" if report["status"] == "nothing_to_check" else "no findings"]
    if ran:
        said.append(f"{ran} covering test{'s' if ran != 1 else ''} passed")
    if held:
        said.append(f"{held} changed contract{'s' if held != 1 else ''} held within the bound")
    text = f"suture check: {', '.join(said)}"
    if report["incomplete"]:
        text += (f", but the check is incomplete: it stopped at its time cap before {report['stopped_before']}; "
                 f"{went_unchecked(report['unchecked'])}")
    if report.get("undecided"):
        text += f", but the verifier could not decide {some(report['undecided'])} (see the warnings)"
    cut = tests.get("cut_tests")
    if cut:
        text += f" ({count(len(cut), 'test')} cut off by the time cap not mapped yet: {some(cut)})"
    return text + f" ({report['seconds']:.1f} s)."


def finish(report: dict[str, Any], findings: list[Finding], clock: Clock) -> CheckOutcome:
    report["findings"] = [f.to_dict() for f in findings]
    if findings:
        report["status"] = "findings"
    elif report["incomplete"] or report.get("undecided"):
        report["status"] = "incomplete"
    report["seconds"] = round(clock.elapsed(), 3)
    code = ExitCode.NOTHING_FOUND if findings else ExitCode.DONE
    return CheckOutcome(findings, code, report)
