"""What checking and repairing one C function (or one program from its main) produced, for the fix report."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.tools.childenv import project_env
from suture.tools.verify.c_harness import first_error
from suture.tools.verify.verifier import Verdict

__all__ = ["RepairResult", "Tried", "gcc_check"]


@dataclass
class Tried:
    id: str
    description: str
    stage: str  # compile | property | behaviour | accepted
    message: str
    verdict: str = ""  # ESBMC's verdict, when it ran

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v != ""}


@dataclass
class RepairResult:
    path: str
    function: str
    before: Verdict | None = None  # ESBMC on the original (the violation, or what held)
    phase: str = ""
    tried: list[Tried] = field(default_factory=list)
    fixed_text: str | None = None
    after: Verdict | None = None
    behaviour: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def violated(self) -> bool:
        return self.before is not None and self.before.verdict == "counterexample"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"function": f"{self.path}::{self.function}", "note": self.note}
        if self.before is not None:
            out["before"] = {"verdict": self.before.verdict, "phase": self.phase, "message": self.before.message,
                             "counterexample": self.before.counterexample.to_dict() if self.before.counterexample else None}
        if self.after is not None:
            out["after"] = {"verdict": self.after.verdict, "backend": "esbmc", "bound": self.after.bound,
                            "bound_kind": self.after.bound_kind, "message": self.after.message}
        if self.behaviour:
            out["behaviour"] = self.behaviour
        out["candidates"] = [t.to_dict() for t in self.tried]
        return out


def gcc_check(file: Path, include_dirs: tuple[Path, ...]) -> str:
    """"" when `file` compiles (syntax and types), else gcc's first error line."""
    done = subprocess.run(["gcc", "-std=gnu11", "-fsyntax-only", "-w",
                           *[a for d in include_dirs for a in ("-I", str(d))], str(file)],
                          capture_output=True, text=True, timeout=60, env=project_env(), stdin=subprocess.DEVNULL)
    return "" if done.returncode == 0 else first_error(done.stderr)


