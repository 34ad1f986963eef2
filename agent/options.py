"""The options of one `suture fix` or `suture optimize` run, as typed records.

A run's options are written once, into the "start" event of its trajectory
(`to_record()`), and read back by `suture replay` and `--resume` (`from_record()`):
one conversion each way, from the dataclass fields, so a field cannot be written under
one name and read back under another, and a recorded 0 or False stays 0 or False
(a `--max-candidates 0` run replays as one).

Not recorded: what only this process holds (the run being resumed is recorded by its id,
as `resumed_from`).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

# Fields a record never carries: the live object of the run being resumed.
NOT_RECORDED = frozenset({"resume_from"})

R = TypeVar("R", bound="_Record")


class _Record:
    """to_record / from_record over a dataclass's fields (JSON-able values only)."""

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if f.name in NOT_RECORDED:
                continue
            value = getattr(self, f.name)
            record[f.name] = list(value) if isinstance(value, (tuple, list)) else value
        resumed = getattr(self, "resume_from", None)
        if "resume_from" in {f.name for f in dataclasses.fields(self)}:  # type: ignore[arg-type]
            record["resumed_from"] = getattr(resumed, "run_id", None)
        return record

    @classmethod
    def from_record(cls: type[R], record: dict[str, Any], **overrides: Any) -> R:
        """The options `record` holds (unknown keys ignored, missing ones default), then `overrides`."""
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in NOT_RECORDED or f.name not in record:
                continue
            values[f.name] = _typed(record[f.name], hints.get(f.name))
        values.update(overrides)
        return cls(**values)


def _typed(value: Any, hint: Any) -> Any:
    """A JSON value back as the field's type: lists as tuples for sequences, numbers as float or int."""
    if value is None:
        return None
    text = str(hint)
    if "Sequence" in text or "tuple" in text:
        return tuple(value)
    if hint is float or text in ("float", "float | None"):
        return float(value)
    if hint is int or text == "int":
        return int(value)
    if hint is bool or text == "bool":
        return bool(value)
    return value


@dataclass
class FixOptions(_Record):
    test_cmd: str | None = None
    failing_tests: Sequence[str] = ()
    issue_text: str | None = None
    time_limit: float = 900.0
    # Seconds one test may run at the baseline (within 1/8 of time_limit); a test past it hangs:
    # reported, and a failure to repair when hangs are all that fails or it is named with
    # --failing-test (a short limit in later runs), else left out of every candidate run.
    test_timeout: float = 20.0
    max_candidates: int = 500
    mode: str = "print"  # print | apply | commit
    workers: int = 2
    model: str | None = None  # a litellm model name or "scripted:PATH"; None: the rule engine alone
    api_base: str | None = None
    max_cost: float | None = None
    max_steps: int = 30
    allow_paths: Sequence[str] = ()
    map_tokens: int = 1024
    samples: int = 1  # patches sampled per plan's first proposal (agent/propose/planner.py)
    text_tools: bool = False  # tools described in the prompt, for models without native tool calls
    verify: bool = True  # the bounded verifier as the last gate (agent/gates/verify_gate.py)
    # C targets ("file.c" or "file.c::func"): repaired with ESBMC as the oracle, no tests (agent/c/repair.py).
    targets: Sequence[str] = ()
    # `suture fix --resume`: the interrupted run (agent.playback.RecordedRun) whose model turns are
    # answered from its record before the model is asked (see agent/fix/replay.py).
    resume_from: Any = None
    # The project's interpreter (tools/testing/pyenv.py PythonEnv.to_dict()), named in the report.
    environment: dict[str, Any] | None = None
    # Named risks a patch may carry and still be delivered (--allow-risk; agent/gates/tamper.py):
    # recorded, so that a resumed run lets through what the interrupted one did.
    allow_risks: Sequence[str] = ()
    # `--mutation on`: localisation adds mutation evidence, its mutants' time this share of the coverage
    # run's (tools/testing/mutation.py), and the mutants that made every failing test pass lead the rule
    # engine's candidates through the gates (agent/propose/mutants.py). None: off.
    mutation_share: float | None = None


MAX_ROUNDS = 10  # accepted edits per target, whatever the time budget
VERIFY_SECONDS = 10.0  # bounded equivalence per changed function


@dataclass
class OptimizeOptions(_Record):
    bench_cmd: str | None = None
    target: str | None = None  # "pkg.mod:func" or "path.py::func"
    workload: str | None = None  # a python file defining make_input(scale) -> args tuple
    test_cmd: str | None = None
    model: str | None = None
    max_cost: float | None = None
    time_limit: float = 600.0
    rounds: int = 12  # timing rounds per comparison (baseline/candidate pairs)
    mode: str = "print"  # print | apply | commit
    interactive: bool = False
    # Beyond the contract: more targets for a PIE-style summary (each with the workload at the
    # same position in `workloads`, else `workload`), the provider's URL, and the per-function
    # verifier time.
    targets: Sequence[str] = ()
    workloads: Sequence[str] = ()
    api_base: str | None = None
    verify_seconds: float = VERIFY_SECONDS
    max_rounds: int = MAX_ROUNDS
    callgrind: bool = True  # the callgrind setting: count an accepted edit's instructions when valgrind is there
    # The project's interpreter (tools/testing/pyenv.py PythonEnv.to_dict()), named in the report, and its
    # path when it is not suture's own: the timing harness then runs under it (tools/testing/pytest_shim.py).
    environment: dict[str, Any] | None = None
    python: str | None = None
    # `suture optimize --resume`: the interrupted run whose model answers are played back first.
    resume_from: Any = None
    # Named risks (agent/gates/tamper.py) a candidate may add and still pass the gates (--allow-risk).
    allow_risks: Sequence[str] = ()


OPTIONS_BY_COMMAND: dict[str, type[_Record]] = {"fix": FixOptions, "optimize": OptimizeOptions}
