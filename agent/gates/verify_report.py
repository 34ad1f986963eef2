"""What the verifier gate established, as records and as text: for the fix report, the commit
message and the model.

The judgement itself is agent/gates/verify_gate.py; this module only holds its record
(`FunctionCheck`) and says it in words, never more than the verdict claims (a bounded search is
not a proof).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FunctionCheck", "check_text", "counterexample_text", "verification_report", "verification_sentence"]


@dataclass
class FunctionCheck:
    """What the gate established for one changed function (the report's `verification` entry)."""

    function: str  # "path::qualname"
    verdict: str  # a tools.verifier verdict, or "not_run"
    backend: str = ""
    bound: int | None = None
    bound_kind: str = ""
    iterations: int | None = None
    seconds: float = 0.0
    message: str = ""
    introduced: bool | None = None  # for a counterexample: True new with the patch, False the base fails alike
    counterexample: dict[str, Any] | None = None
    test_file: str | None = None  # the counterexample as a pytest file (the run's copy)
    install_as: str | None = None  # where that file runs from, relative to the repository
    failing_line: str = ""  # the source text at the counterexample's location
    inferred_types: dict[str, str] = field(default_factory=dict)
    artefacts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [], {}, "") or k in ("verdict", "function")}


def counterexample_text(check: FunctionCheck) -> str:
    """ESBMC-AI's feedback structure without the whole file: inputs, failing line, message, test."""
    return f"{check.function}: " + "; ".join(_counterexample_parts(check))


def _counterexample_parts(check: FunctionCheck) -> list[str]:
    cx = check.counterexample or {}
    inputs = ", ".join(f"{k}={v}" for k, v in (cx.get("inputs") or {}).items())
    function = check.function.split("::", 1)[-1]
    parts = [f"{function}({inputs}) fails: {check.message or cx.get('message', '')}"]
    location = cx.get("location") or ""
    if location:
        parts.append(f"failing line {location}" + (f": {check.failing_line}" if check.failing_line else ""))
    parts.append(f"found by {check.backend}" + (f" within {check.bound} {check.bound_kind}" if check.bound else ""))
    if check.install_as:
        parts.append(f"regression test: {check.install_as}" + (f" (kept at {check.test_file})" if check.test_file else ""))
    return parts


def check_text(check: FunctionCheck, where: str) -> str:
    """A verdict for the model: the verdict and bound, and for a counterexample the minimised
    inputs, the failing line and the message (ESBMC-AI's feedback, without the whole file)."""
    bound = f" within {check.bound} {check.bound_kind}" if check.bound else ""
    head = f"{check.function} ({where}): {check.verdict.replace('_', ' ')}" + (
        f" [{check.backend}{bound}, {check.seconds:.1f} s]" if check.backend else "")
    if check.verdict == "counterexample" and check.counterexample:
        return "\n".join([head, *_counterexample_parts(check)])
    lines = [head]
    if check.message:
        lines.append(check.message)
    if check.inferred_types:
        lines.append("argument types taken from the tests: " + ", ".join(f"{k}: {v}" for k, v in check.inferred_types.items()))
    if check.verdict in ("no_counterexample_within_bound", "counterexample_in_base"):
        lines.append("This is a bounded search, not a proof.")
    return "\n".join(lines)


# -- the fix report --------------------------------------------------------------------------------


def verification_report(chosen: Any, verdicts: list[Any], *, enabled: bool = True) -> dict[str, Any]:
    """The `verification` field of a fix report: the chosen patch's verdict per changed function,
    and the counterexample tests of the candidates the verifier rejected (regression evidence)."""
    evidence = []
    for verdict in verdicts:
        data = getattr(verdict, "verification", None) or {}
        if verdict.verifier != "counterexample" or verdict.duplicate_of:
            continue
        for check in data.get("functions", []):
            if check.get("verdict") == "counterexample" and check.get("introduced"):
                evidence.append({"candidate": verdict.candidate_id, "function": check["function"],
                                 "test_file": check.get("test_file"), "install_as": check.get("install_as"),
                                 "inputs": (check.get("counterexample") or {}).get("inputs"),
                                 "message": check.get("message", "")})
    if not enabled:
        return {"verdict": "not_run", "reason": "the bounded verifier was switched off for this run",
                "regression_tests": evidence}
    if chosen is None:
        return {"verdict": "not_run", "reason": _no_patch_reason(verdicts), "regression_tests": evidence}
    data = getattr(chosen, "verification", None) or {}
    return {"verdict": chosen.verifier or "not_run",
            "message": chosen.verifier_details,
            "functions": data.get("functions", []),
            "seconds": data.get("seconds"),
            "regression_tests": evidence}


def _no_patch_reason(verdicts: list[Any]) -> str:
    """Why no patch's verification is shown, from what the verifier really said about each candidate."""
    tested = [v for v in verdicts if v.stage == "verifier" and not getattr(v, "duplicate_of", None)]
    if not tested:
        return "no candidate passed the tests, so none reached the verifier"
    rejected = [v for v in tested if v.verifier == "counterexample"]
    if len(rejected) == len(tested):
        return f"every candidate that passed the tests had a counterexample ({len(rejected)})"
    counts: dict[str, int] = {}
    for verdict in tested:
        name = (verdict.verifier or "not_run").replace("_", " ")
        counts[name] = counts.get(name, 0) + 1
    said = ", ".join(f"{name}: {count}" for name, count in sorted(counts.items()))
    passed = len(tested) - len(rejected)
    return (f"{passed} candidate(s) passed the tests and the verifier but none was delivered "
            f"(verifier verdicts of the {len(tested)} that reached it: {said})")


def verification_sentence(chosen: Any) -> str:
    """One line for a commit message: what the verifier established, never more."""
    name = getattr(chosen, "verifier", None)
    if not name or name == "not_run":
        return "The bounded verifier did not check it (no changed Python or C function, or no time left)."
    if name == "exhausted":
        return "Bounded verifier: every path of the changed functions explored, no crash or contract violation."
    if name == "no_counterexample_within_bound":
        return "Bounded verifier: no crash or contract violation found within its bound (not a proof)."
    if name == "counterexample_in_base":
        return "Bounded verifier: a crash it found fails the base commit alike (not brought in by this patch)."
    return f"Bounded verifier: {name.replace('_', ' ')}."
