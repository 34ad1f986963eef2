"""Repair a C program that ESBMC, run from the program's own `main`, finds unsafe.

`suture fix --target prog.c` on a file that defines `main`: ESBMC checks the program from
main (tools/verify/c_program.py, bounds deepening); on a violation, the function it is in gets
the repairs a C programmer writes (agent/c/program_templates.py), then the function templates
of agent/c/repair.py (never the deleted statement). A candidate is accepted only when
- it compiles;
- ESBMC, from main again, finds no violation at a bound at least twice the one that found the
  bug (a fix of one bug that leaves another is kept as progress: the next round repairs that);
- the function, when the harness can drive it, behaves as before outside the failing region
  (agent/c/repair.py's Behaviour on sampled inputs);
- and the program's own tests pass: `--test-cmd`, else `make test` when a Makefile has a
  `test` target, run in a scratch copy with the secrets withheld.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any, Callable

from suture.agent.c.outcome import RepairResult, Tried, gcc_check
from suture.agent.c.program_templates import leak_candidates, program_candidates
from suture.tools.childenv import project_env
from suture.tools.testing import sandbox
from suture.tools.verify.c_harness import CFunction, c_functions
from suture.tools.verify.c_program import ProgramCheck, check_program

__all__ = ["gate_candidate", "repair_program", "program_test_command"]

MAX_ROUNDS = 3
MAX_CANDIDATES = 24
CHECK_SECONDS = 30.0
TEST_SECONDS = 120


def program_test_command(repo: Path, given: str | None) -> str | None:
    """The program's own tests: the given command, else `make test` when the Makefile has that target."""
    if given:
        return given
    for name in ("Makefile", "makefile", "GNUmakefile"):
        makefile = repo / name
        if makefile.is_file() and re.search(r"^test\s*:", makefile.read_text(errors="replace"), re.M):
            return "make test"
    return None


def _run_tests(repo: Path, path: str, text: str, command: str, work: Path) -> tuple[bool, str]:
    """The program's tests on a scratch copy of `repo` with `path` replaced by `text`."""
    copy = work / "tests-tree"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".git", ".suture"), symlinks=True)
    (copy / path).write_text(text, encoding="utf-8")
    # The project's tests are code suture did not write: confined like the Python tests (issue 16:
    # the scratch copy and a private temp dir writable, secrets withheld, everything it starts reaped).
    private = work / "tests-tmp"
    private.mkdir(exist_ok=True)
    env = {**project_env(), "TMPDIR": str(private)}
    done = sandbox.run_confined(["sh", "-c", command], cwd=copy, env=env, time_limit=TEST_SECONDS,
                                writable=lambda: [str(copy), str(private)], memory_limit=sandbox.policy().memory_limit)
    if done.returncode is None:
        return False, f"`{command}` did not finish in {TEST_SECONDS} s"
    tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
    return done.returncode == 0, f"`{command}` exited {done.returncode}" + (f": {tail[0][:200]}" if tail[0] else "")


def _containing(functions: list[CFunction], check: ProgramCheck) -> CFunction | None:
    named = next((f for f in functions if f.name == check.function), None)
    if named is not None:
        return named
    return next((f for f in functions if check.line is not None and f.start_line <= check.line <= f.end_line), None)


def _candidates(text: str, func: CFunction, check: ProgramCheck, function_templates: Callable) -> list[tuple[str, str, bool]]:
    """(description, text, may count as progress): the programmer's repairs first, then the function
    templates, which may fix one violation only by making another (a flipped bound), so never progress."""
    message = check.verdict.counterexample.message if check.verdict.counterexample else check.verdict.message
    found = [(d, t, True) for d, t in program_candidates(text, func, check.line, message)]
    if "forgotten memory" in message:
        found += [(d, t, True) for d, t in leak_candidates(text, c_functions(text.encode("utf-8")))]
    if "bounds" in message or "dereference failure: NULL" in message:
        found += [(c.description, c.text, False) for c in function_templates(text, func, check.line)
                  if not c.description.startswith("delete")]
    seen, out = {text}, []
    for description, candidate, progress in found:
        if candidate not in seen:
            seen.add(candidate)
            out.append((description, candidate, progress))
    return out[:MAX_CANDIDATES]


def _key(check: ProgramCheck) -> tuple[str, str]:
    """The same violation, though a repair above it moved its line: the function and ESBMC's property."""
    cx = check.verdict.counterexample
    return (check.function, cx.message) if cx else ("", "")


def repair_program(repo: Path, path: str, source: str, work: Path, *, deadline: float, test_cmd: str | None,
                   function_templates: Callable, behaviour_of: Callable,
                   log: Callable[..., None] = lambda *a, **k: None, model_loop: Callable | None = None) -> RepairResult:
    """Check `path` from its main; repair round by round until ESBMC clears it at a higher bound.

    `model_loop(source, check, func, result, gate)`: with a model, what runs when no template
    repair was accepted (agent/c/model_repair.py); `gate(text, tried)` is this module's gates."""
    result, check = _check_and_templates(repo, path, source, work, deadline=deadline, test_cmd=test_cmd,
                                         function_templates=function_templates, behaviour_of=behaviour_of, log=log)
    if model_loop is None or result.fixed_text is not None or check is None or time.monotonic() > deadline:
        return result
    func = _containing(c_functions(source.encode("utf-8")), check)
    if func is None:
        return result
    include = ((repo / path).parent.resolve(),)
    command = program_test_command(repo, test_cmd)

    def gate(text: str, tried: Tried) -> ProgramCheck | None:
        return gate_candidate(repo, path, work / tried.id, text, func, check, include, deadline, command, behaviour_of,
                              source, tried)

    scratch = work / "original" / Path(path).name
    for where in (str(scratch.resolve()), str(scratch)):  # the model reads the repository's path
        check.trace = check.trace.replace(where, path)
    model_loop(source, check, func, result, gate)
    if result.after is not None:
        result.after = _located(result.after, Path(path).name, path)
    return result


def _check_and_templates(repo: Path, path: str, source: str, work: Path, *, deadline: float, test_cmd: str | None,
                         function_templates: Callable, behaviour_of: Callable,
                         log: Callable[..., None]) -> tuple[RepairResult, ProgramCheck | None]:
    """The check from main and the template rounds: the result, and the original violation (None when none)."""
    name = Path(path).name
    original = work / "original"
    original.mkdir(parents=True, exist_ok=True)
    (original / name).write_text(source, encoding="utf-8")
    include = ((repo / path).parent.resolve(),)
    check = check_program(original, name, time_limit=max(5.0, min(CHECK_SECONDS, deadline - time.monotonic())),
                          include_dirs=include)
    result = RepairResult(path, check.function or "main", _located(check.verdict, name, path), "from main")
    log("c_check", function=f"{path} (from main)", phase="from main", verdict=check.verdict.verdict,
        message=result.before.message)
    if check.verdict.verdict in ("error", "unsupported"):
        result.note = f"ESBMC could not check it: {check.verdict.message}"
        return result, None
    if check.verdict.verdict != "counterexample":
        return result, None
    command = program_test_command(repo, test_cmd)
    found = check
    current, counter = source, 0
    for _ in range(MAX_ROUNDS):
        func = _containing(c_functions(current.encode("utf-8")), check)
        if func is None:
            result.note = f"the violation at {check.verdict.counterexample.location} is in no function of {path}"
            return result, found
        progress: tuple[str, ProgramCheck] | None = None
        for description, text, may_progress in _candidates(current, func, check, function_templates):
            if time.monotonic() > deadline:
                result.note = "the time limit ran out before every candidate was tried"
                return result, found
            counter += 1
            tried = Tried(f"c-{counter}", description, "compile", "")
            result.tried.append(tried)
            outcome = gate_candidate(repo, path, work / tried.id, text, func, check, include, deadline, command,
                                     behaviour_of, source, tried)
            log("c_candidate", **tried.to_dict())
            if tried.stage == "accepted":
                result.fixed_text, result.after = text, _located(outcome.verdict, name, path)
                return result, found
            if outcome is not None and tried.stage == "progress" and may_progress and progress is None:
                progress = (text, outcome)
        if progress is None:
            return result, found
        current, check = progress
    result.note = f"violations were left after {MAX_ROUNDS} rounds of repairs"
    return result, found


def gate_candidate(repo: Path, path: str, folder: Path, text: str, func: CFunction, check: ProgramCheck,
                   include: tuple[Path, ...], deadline: float, command: str | None, behaviour_of: Callable, source: str,
                   tried: Tried) -> ProgramCheck | None:
    """Run `tried` through the gates (it records how far it got); ESBMC's re-check when it ran."""
    name = Path(path).name
    folder.mkdir(parents=True)
    (folder / name).write_text(text, encoding="utf-8")
    error = gcc_check(folder / name, include)
    if error:
        tried.message = f"does not compile: {error}"
        return None
    tried.stage = "property"
    higher = 2 * (check.verdict.bound or 8)
    after = check_program(folder, name, min_bound=higher, include_dirs=include,
                          time_limit=max(5.0, min(CHECK_SECONDS, deadline - time.monotonic())))
    tried.verdict = after.verdict.verdict
    if after.verdict.verdict == "counterexample" and _key(after) != _key(check):
        compare = behaviour_of(func, source, folder.parent)
        same, why = compare(folder / name, folder.name) if compare is not None else (True, "")
        tried.stage = "progress" if same else "behaviour"
        tried.message = (f"fixes the violation but ESBMC finds another: {after.verdict.message}" if same else
                         f"fixes the violation, but {why}")
        return after
    if after.verdict.verdict not in ("exhausted", "no_counterexample_within_bound") or (after.verdict.bound or 0) < higher:
        tried.message = f"ESBMC from main: {after.verdict.verdict.replace('_', ' ')} ({after.verdict.message})"
        return after
    tried.stage = "behaviour"
    compare = behaviour_of(func, source, folder.parent)
    if compare is not None:
        same, why = compare(folder / name, folder.name)
        if not same:
            tried.message = f"ESBMC's properties hold from main, but {why}"
            return after
    tried.stage = "tests"
    if command:
        passed, said = _run_tests(repo, path, text, command, folder)
        if not passed:
            tried.message = f"ESBMC's properties hold from main, but the program's tests fail ({said})"
            return after
    tried.stage = "accepted"
    tried.message = (f"ESBMC from main: {after.verdict.verdict.replace('_', ' ')} at unwind {after.verdict.bound} "
                     f"(the bug was found at {check.verdict.bound})"
                     + ("; behaviour unchanged on the sampled inputs" if compare is not None else "")
                     + (f"; {command} passes" if command else "; no program tests to run"))
    return after


def _located(verdict, name: str, path: str):
    fix = lambda text: re.sub(rf"(?<![\w/.-]){re.escape(name)}:", f"{path}:", text) if text else text  # noqa: E731
    verdict.message = fix(verdict.message)
    if verdict.counterexample is not None:
        verdict.counterexample.location = fix(verdict.counterexample.location)
    return verdict


def describe(result: RepairResult) -> dict[str, Any]:
    return result.to_dict()
