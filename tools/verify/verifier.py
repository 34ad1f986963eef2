"""The bounded verifier: one interface over CrossHair, Hypothesis and ESBMC.

`verify(target, mode)` runs a portfolio of backends on one function (or one C
file) and returns a `Verdict` whose name says exactly what was established:

- ``counterexample``: a backend found inputs and CPython reproduced the failure
  (for C, ESBMC's trace of a memory-safety or overflow violation; not replayed);
- ``no_counterexample_within_bound``: the search ran to its bound and found nothing
  reproducible; it is not a proof;
- ``exhausted``: the bounded search was complete (CrossHair explored every path,
  ESBMC's unwinding assertions held on a C file);
- ``unsupported``: the function is outside what the backends model (files,
  network, clocks, randomness; C code for equivalence; types a backend cannot build);
- ``error``: the tool itself failed (missing binary, failed self-test, crash, timeout
  before any result).

A counterexample a backend reports that CPython does not reproduce is a tool
artefact: kept in `Verdict.artefacts` for the log, never the verdict.
"""

from __future__ import annotations

import time

from suture.tools.verify.verifier_core import (  # noqa: F401 - re-exported: the verifier's public names
    BACKENDS, FLOAT_POLICIES, VERDICTS, BoundedRun, Counterexample, Mode, Target, Verdict, child_env, find_function,
    impure_verdict, import_root, module_name, parse_module, precompile, read_source, run_bounded, side_effects,
)

__all__ = [
    "BACKENDS", "BoundedRun", "Counterexample", "Target", "VERDICTS", "Verdict", "find_function", "impure_verdict",
    "import_root", "module_name", "parse_module", "read_source", "run_bounded", "side_effects", "verify",
]


# ---------------------------------------------------------------- the portfolio


def verify(
    target: Target,
    mode: Mode = "contracts",
    *,
    bound: int | None = None,
    time_limit: float = 30.0,
    backends: tuple[str, ...] | None = None,
    float_policy: str = "exact",
) -> Verdict:
    """Check `target` within `bound` and `time_limit` seconds (wall clock, all backends together).

    contracts: Python -> CrossHair on the function's contracts and crashes, then ESBMC's
    Python frontend as a second opinion; C -> ESBMC's memory-safety and overflow checks.
    equivalence: Python only -> Hypothesis differential testing, then CrossHair diffbehavior,
    between `target.base_source` and the file as it is now.
    `bound` (None: each backend's default) is read in each backend's own unit.
    The first reproduced counterexample decides; otherwise the strongest honest verdict.
    """
    if mode not in ("contracts", "equivalence"):
        raise ValueError(f"mode must be 'contracts' or 'equivalence', not {mode!r}")
    if float_policy not in FLOAT_POLICIES:
        raise ValueError(f"float_policy must be one of {FLOAT_POLICIES}, not {float_policy!r}")
    started = time.monotonic()
    plan = _plan(target, mode)
    if isinstance(plan, Verdict):
        return plan
    if backends is not None:
        plan = [name for name in plan if name in backends]
        if not plan:
            return Verdict("unsupported", "portfolio", bound, "", None, 0.0,
                           f"none of the backends {', '.join(backends)} handles {target.language} in {mode} mode.")
    if target.language == "python":
        # Most of the time if need be: every backend's child would have to compile the module too.
        precompile(target.file, (time_limit - (time.monotonic() - started)) * 0.7)
    runs: list[Verdict] = []
    for name in plan:
        left = time_limit - (time.monotonic() - started)
        if left < 0.5:
            if not runs:
                return Verdict("error", "portfolio", bound, "", None, time.monotonic() - started,
                               f"the time limit ran out before any verifier started (reading, parsing and "
                               f"compiling {target.path} used it up).")
            break
        run = _run_backend(name, target, mode, bound=bound, time_limit=left, float_policy=float_policy)
        runs.append(run)
        if run.verdict == "counterexample":
            break
    return _combine(runs, time.monotonic() - started)


def _plan(target: Target, mode: str) -> list[str] | Verdict:
    if target.language == "c":
        if mode == "equivalence":
            return Verdict("unsupported", "portfolio", None, "", None, 0.0,
                           "equivalence of C functions is not supported; use contracts mode (ESBMC's safety properties).")
        return ["esbmc"]
    if target.language != "python":
        return Verdict("unsupported", "portfolio", None, "", None, 0.0,
                       f"{target.path}: only Python (.py) and C (.c) files can be verified.")
    if not target.function:
        return Verdict("error", "portfolio", None, "", None, 0.0, "a Python target needs a function name (file.py::func).")
    try:
        source = read_source(target.file)
        tree = parse_module(source, target.function)
    except (OSError, SyntaxError) as exc:
        return Verdict("error", "portfolio", None, "", None, 0.0, f"cannot read {target.path}: {exc}")
    if find_function(tree, target.function) is None:
        return Verdict("error", "portfolio", None, "", None, 0.0, f"{target.path} defines no function {target.function}.")
    impure = side_effects(source, target.function)
    if impure:
        return Verdict("unsupported", "portfolio", None, "", None, 0.0,
                       f"{target.function} has side effects the verifiers cannot model ({'; '.join(impure[:3])}).")
    if mode == "equivalence":
        if target.base_source is None:
            return Verdict("error", "portfolio", None, "", None, 0.0, "equivalence needs the base version of the file.")
        try:
            base_tree = parse_module(target.base_source, target.function)
        except SyntaxError as exc:
            return Verdict("error", "portfolio", None, "", None, 0.0, f"the base version of {target.path} does not parse: {exc}")
        if find_function(base_tree, target.function) is None:
            return Verdict("unsupported", "portfolio", None, "", None, 0.0,
                           f"{target.function} does not exist in the base version; nothing to compare with.")
        if side_effects(target.base_source, target.function):
            return Verdict("unsupported", "portfolio", None, "", None, 0.0,
                           f"the base version of {target.function} has side effects the verifiers cannot model.")
        return ["hypothesis", "crosshair"]
    return ["crosshair", "esbmc"]


def _run_backend(name: str, target: Target, mode: str, *, bound: int | None, time_limit: float, float_policy: str) -> Verdict:
    started = time.monotonic()
    try:
        if name == "crosshair":
            from suture.tools.verify import crosshair_backend

            if mode == "contracts":
                return crosshair_backend.check(target, bound=bound, time_limit=time_limit)
            return crosshair_backend.diffbehavior(target, bound=bound, time_limit=time_limit, float_policy=float_policy)
        if name == "hypothesis":
            from suture.tools.verify import hypothesis_backend

            return hypothesis_backend.differential(target, bound=bound, time_limit=time_limit, float_policy=float_policy)
        from suture.tools.verify import esbmc_backend

        if target.language == "c":
            return esbmc_backend.check_c(target, bound=bound, time_limit=time_limit)
        return esbmc_backend.check_python(target, bound=bound, time_limit=time_limit)
    except Exception as exc:  # a backend's own bug must not hide the other backends' results
        return Verdict("error", name, bound, "", None, time.monotonic() - started,
                       f"{name} failed: {exc.__class__.__name__}: {exc}")


# Without a counterexample, the strongest claim any member can back wins.
_STRENGTH = {"exhausted": 4, "no_counterexample_within_bound": 3, "unsupported": 2, "error": 1}


def _combine(runs: list[Verdict], seconds: float) -> Verdict:
    artefacts = [item for run in runs for item in run.artefacts]
    for run in runs:
        if run.verdict == "counterexample":
            return Verdict("counterexample", run.backend, run.bound, run.bound_kind, run.iterations, seconds,
                           run.message, run.counterexample, artefacts, runs)
    if len(runs) == 1:
        only = runs[0]
        return Verdict(only.verdict, only.backend, only.bound, only.bound_kind, only.iterations, seconds,
                       only.message, None, artefacts, runs)
    best = max(runs, key=lambda run: _STRENGTH[run.verdict])
    message = "; ".join(f"{run.backend}: {run.verdict.replace('_', ' ')} ({run.message})" for run in runs)
    return Verdict(best.verdict, best.backend, best.bound, best.bound_kind, best.iterations, seconds,
                   message, None, artefacts, runs)
