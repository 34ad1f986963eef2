"""What the gates take and give: one candidate change (fix's and optimize's) and one gate verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Candidate", "GateVerdict", "Stage"]

Stage = Literal["edit", "parse", "risk", "selected", "suite", "verifier", "skipped"]
# verifier(tree, changed_symbols) -> (verdict_name, details) or (verdict_name, details, data): `data`



@dataclass
class Candidate:
    """One proposed change, from the rule engine, the model or a rewrite rule; fix and optimize share it.

    Fix's candidates are `edits` (tools/edits.py) the gates apply; optimize's are whole-file
    texts (`files`) and the functions they change. The where and why (path, line, symbol,
    risks) feed the report's explanation.
    """

    id: str
    edits: list = field(default_factory=list)
    source: str = "rules"  # "rules" | "model" | a rewrite rule's id (optimize)
    description: str = ""
    meta: dict = field(default_factory=dict)
    path: str = ""  # the file it changes first
    line: int | None = None
    symbol: str = ""
    risks: tuple[str, ...] = ()  # overfitting risks (agent/propose/rules.py's, or read off a model's diff)
    template: str = ""  # the rule engine's template ("comparison", ...)
    files: dict[str, str] = field(default_factory=dict)  # tree-relative path -> new text (optimize)
    functions: list[tuple[str, str]] = field(default_factory=list)  # (path, qualname) it changes (optimize)

    @property
    def engine(self) -> str:
        """What the report names as the patch's maker: "model", else the rule engine."""
        return "model" if self.source == "model" else "rules"


@dataclass
class GateVerdict:
    candidate_id: str
    accepted: bool
    stage: Stage  # the gate that decided: where a rejected candidate stopped, the last one passed if accepted
    edit_results: list = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)  # failed at the base commit, pass now
    still_failing: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)  # passed at the base commit, fail now
    flaky: list[str] = field(default_factory=list)  # left out of the verdict
    patch: str = ""  # applies with `git apply` at the base commit
    diff_lines: int = 0  # added + removed lines of the patch
    normalized_key: str = ""
    message: str = ""
    seconds: float = 0.0
    # Beyond the shared contract:
    verifier: str | None = None  # the verifier's verdict name, None when no verifier ran
    verifier_details: str = ""
    duplicate_of: str | None = None  # the candidate whose verdict this one copies
    changed_symbols: list[str] = field(default_factory=list)  # "path::qualname" at the base commit
    selected_tests: list[str] = field(default_factory=list)  # what the "selected" gate ran
    verification: dict[str, Any] | None = None  # the verifier's data (per changed function), when it gives any
    # Tests a gate's run counted as broken that passed when re-run as the baseline ran them (fresh
    # process, same selection): kept out of the regressions, recorded here.
    overturned: list[str] = field(default_factory=list)
    # Static anti-patterns of the patch ({"name", "detail"}, agent/gates/antipatterns.py): it passes
    # the gates, but loses to a rival without one and alone is only plausible (agent/fix/choose.py).
    anti_patterns: list[dict[str, str]] = field(default_factory=list)
    hung: list[str] = field(default_factory=list)  # tests that ran past their per-test limit in the deciding run
    ast_change: int = 0  # AST nodes the patch changes in the Python it touches (antipatterns.change_size)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["edit_results"] = [_result_dict(r) for r in self.edit_results]
        return data


def _result_dict(result: Any) -> dict[str, Any]:
    status = getattr(result, "status", None)
    return {
        "status": getattr(status, "value", status),
        "path": getattr(result, "path", None),
        "message": getattr(result, "message", ""),
    }

