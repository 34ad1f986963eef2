"""`suture verify`: resolve a TARGET in a repository, run the bounded verifier, map the verdict to an exit code.

TARGET is `path/to/file.py::func` (also `path.py:func`, `Class.method` as func),
`package.module:func`, or a C file `file.c` (its main) / `file.c::func` (that
function, its parameters nondeterministic). Paths are taken relative to the
repository, else to the current directory. The file is verified as it is in the
working tree; `--against REV` (or `--mode equivalence`, against HEAD) compares
it with the file at that commit.

Exit codes: 0 no counterexample (within the bound, or the bounded search was
exhausted); 1 a reproduced counterexample; 2 bad input (no such file, function or
revision) and `unsupported` (the function is outside what the backends model:
side effects, C equivalence, types they cannot build); 3 `error` (a verifier
missing, failing its self-test or crashing: the environment is not fit to verify).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.guard import git_toplevel
from suture.tools.git import cmd as gitcmd
from suture.tools.verify.verifier import Target, Verdict, find_function, parse_module, read_source, verify

__all__ = ["VerifyOutcome", "parse_target", "run_verify"]

EXIT_CODES = {
    "no_counterexample_within_bound": ExitCode.DONE,
    "exhausted": ExitCode.DONE,
    "counterexample": ExitCode.NOTHING_FOUND,  # "ran fine, but the change is wrong": 1, like a fix not found
    "unsupported": ExitCode.BAD_INPUT,
    "error": ExitCode.REFUSED,
}


@dataclass
class VerifyOutcome:
    verdict: Verdict
    target: Target
    mode: str

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_CODES[self.verdict.verdict]

    def to_dict(self) -> dict:
        return {"target": self.target.display, "mode": self.mode, **self.verdict.to_dict()}


def parse_target(spec: str) -> tuple[str, str]:
    """(file or module part, function part) of a TARGET; the function part may be ""."""
    spec = spec.strip()
    if "::" in spec:
        where, _, func = spec.partition("::")
        return where, func
    where, sep, func = spec.rpartition(":")
    if sep and where and func and all(part.isidentifier() for part in func.split(".")):
        return where, func
    return spec, ""


def _locate(top: Path, base: Path, where: str) -> Path:
    """The file `where` names: a path (relative to the repo dir, else the current dir) or a dotted module."""
    candidates = [base / where, Path.cwd() / where, top / where]
    if not where.endswith((".py", ".c", ".h")) and all(part.isidentifier() for part in where.split(".")):
        dotted = where.replace(".", "/")
        for root in (base, top, top / "src"):
            candidates += [root / f"{dotted}.py", root / dotted / "__init__.py"]
    for candidate in candidates:
        if candidate.is_file():
            resolved = candidate.resolve()
            if not resolved.is_relative_to(top):
                raise SutureExit(f"{where} lies outside the repository {top}.")
            return resolved
    raise SutureExit(f"{where} is not a file of the repository {top} (nor a module in it).")


def _base_source(top: Path, rel: str, rev: str) -> str:
    if gitcmd.commit_of(top, rev) is None:
        raise SutureExit(f"{rev!r} is not a commit of the repository {top}.")
    shown = gitcmd.file_at(top, rev, rel)
    # A file new since `rev` has no base: the verifier then says there is nothing to compare with.
    return shown.decode("utf-8", errors="replace") if shown is not None else ""


def run_verify(repo: Path, spec: str, *, against: str | None = None, mode: str | None = None,
               bound: int | None = None, time_limit: float = 30.0, float_policy: str = "exact") -> VerifyOutcome:
    """Resolve `spec` inside `repo` and verify it; bad input raises SutureExit(BAD_INPUT)."""
    if mode not in (None, "contracts", "equivalence"):
        raise SutureExit(f"unknown --mode {mode!r}; use contracts or equivalence.")
    if mode == "contracts" and against is not None:
        raise SutureExit("--against compares two versions; it goes with --mode equivalence (the default when given).")
    if bound is not None and bound < 1:
        raise SutureExit(f"--bound must be at least 1, got {bound}.")
    if not time_limit > 0:  # NaN too
        raise SutureExit(f"--time-limit must be a positive number of seconds, got {time_limit:g}.")
    mode = mode or ("equivalence" if against is not None else "contracts")
    deadline = time.monotonic() + time_limit  # the limit is the whole command's: reading and typing count
    top = git_toplevel(repo)
    if top is None:
        raise SutureExit(f"{repo} is not inside a git work tree.")
    where, func = parse_target(spec)
    if not where:
        raise SutureExit(f"TARGET {spec!r} names no file; use path/to/file.py::function or file.c.")
    file = _locate(top, repo, where)
    rel = file.relative_to(top).as_posix()
    if file.suffix == ".py":
        if not func:
            raise SutureExit(f"{rel} is a Python file; name the function too: {rel}::function.")
        try:
            tree = parse_module(read_source(file), func)  # parsed once: the verifier reuses the tree
        except SyntaxError as exc:
            raise SutureExit(f"{rel} does not parse (line {exc.lineno}: {exc.msg}).") from None
        if find_function(tree, func) is None:
            raise SutureExit(f"{rel} defines no function {func}.")
    elif file.suffix not in (".c", ".h"):
        raise SutureExit(f"{rel}: only Python (.py) and C (.c) files can be verified.")
    base = _base_source(top, rel, against or "HEAD") if mode == "equivalence" else None
    # Both modes draw (and judge) inputs of the types the tests pass; tools/verify/arg_types.py says which.
    target = Target(top, rel, func, base, param_types=_test_types(top, file, func) if file.suffix == ".py" else None)
    if file.suffix in (".c", ".h") and func and mode == "contracts":
        # A bare `--function` run leaves pointer parameters unconstrained (false alarms such as
        # "incorrect alignment"); the harness gives them a model and replays what ESBMC finds.
        from suture.tools.verify.c_harness import c_functions, verify_function

        if not any(f.name == func for f in c_functions(file.read_bytes())):
            raise SutureExit(f"{rel} defines no function {func}.")
        if shutil.which("gcc") is not None:
            checked = verify_function(top, rel, func, bound=bound, time_limit=deadline - time.monotonic())
            if checked is not None:
                return VerifyOutcome(checked, target, mode)
    if file.suffix == ".c" and not func and mode == "contracts":
        # A whole file: from its main (whole-program mode, bounds deepening) and function by function.
        from suture.tools.verify.c_program import check_c_file

        return VerifyOutcome(check_c_file(top, rel, bound=bound, time_limit=deadline - time.monotonic()), target, mode)
    return VerifyOutcome(verify(target, mode, bound=bound, time_limit=deadline - time.monotonic(),
                                float_policy=float_policy), target, mode)


def _test_types(top: Path, file: Path, func: str) -> dict[str, str] | None:
    """The types the repository's tests call `func` with, for its unannotated parameters."""
    from suture.tools.verify.arg_types import annotations_for, collect_calls

    types, _ = annotations_for(read_source(file), func, collect_calls(top), annotate=False)
    return types or None
