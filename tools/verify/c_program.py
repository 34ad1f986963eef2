"""A C program checked from its own `main` (whole-program mode), and a C file checked as a whole.

ESBMC's default entry point is `main`: the program runs as written, with its `argc`, `argv`,
`malloc` results and unknown library inputs left nondeterministic. Checked: ESBMC's memory
safety (bounds, NULL and freed pointers, double free), division by zero, signed overflow
(--overflow-check) and memory leaks (--memory-leak-check).

Bounds deepen within the time limit: each run keeps ESBMC's unwinding assertions, so a run
either proves the properties for every path (every loop fits in the bound: `exhausted`),
finds a violation on a path within the bound (`counterexample`), or stops at a loop that runs
longer, and the next run doubles --unwind. Deepening keeps RESERVE of the time limit for what
follows when it stops short (time or the last bound): one run without unwinding assertions looks
for violations the unwinding failure hid, then --k-induction may still prove the loops
(`exhausted`, by induction). ESBMC runs no inductive step with --overflow-check, so that proof
leaves signed overflow out, checked only within the bound reached, and the verdict says so.
Every verdict names the bound it reached.

`check_c_file` is `suture verify FILE.c`: from `main` when the file defines one, then each
other function through the harness of tools/verify/c_harness.py (its findings are listed, but
only what `main` reaches decides a program's verdict: a function's harness assumes inputs the
program may never pass). Inputs ESBMC cannot model (inline assembly, threads, headers its C
library lacks, very large files) are `unsupported`, said in one sentence.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from suture.tools.verify import esbmc_backend
from suture.tools.verify.verifier import Counterexample, Verdict

__all__ = ["DEFAULT_BOUND", "ProgramCheck", "check_c_file", "check_program", "defines_main", "unsupported_reason"]

DEFAULT_BOUND = 8
MAX_BOUND = 128
MAX_SOURCE_BYTES = 256_000
MAX_FUNCTIONS = 6  # functions checked one by one after main, within the time left
K_INDUCTION_SECONDS = 6.0  # least time left worth a k-induction run
RESERVE = 0.3  # of the time limit, kept from deepening for the look past the bound and k-induction
MAX_K_STEP = 32
PROPERTIES = ["--overflow-check", "--memory-leak-check", "--show-stacktrace"]

_ASM = re.compile(r"\b(?:__asm__|__asm|asm)\s*(?:volatile\s*|__volatile__\s*)?[({]")
_THREADS = re.compile(r"#\s*include\s*<(pthread\.h|threads\.h|omp\.h)>")
_MISSING_HEADER = re.compile(r"(?:fatal error: )?'?([\w./-]+\.h)'? file not found|([\w./-]+\.h): No such file")


@dataclass
class ProgramCheck:
    """ESBMC's verdict on a program from main, and the function the violation is in ("" when none)."""

    verdict: Verdict
    function: str = ""
    line: int | None = None
    bounds: tuple[int, ...] = ()  # the --unwind values tried, in order
    trace: str = ""  # ESBMC's counterexample trace as it printed it (what a model repairs from)


def defines_main(source: bytes) -> bool:
    from suture.tools.verify.c_harness import c_functions

    return any(f.name == "main" for f in c_functions(source))


def unsupported_reason(name: str, source: str) -> str:
    """One sentence naming what ESBMC cannot model in `source`, or ""."""
    if len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        return f"{name} is {len(source) // 1000} KB; whole-file checks stop at {MAX_SOURCE_BYTES // 1000} KB."
    match = _ASM.search(_without_comments(source))
    if match:
        line = source.count("\n", 0, source.find(match.group(0))) + 1 if match.group(0) in source else 0
        return f"{name} uses inline assembly" + (f" (line {line})" if line else "") + ", which ESBMC cannot model."
    match = _THREADS.search(source)
    if match:
        return f"{name} uses threads (<{match.group(1)}>); suture checks single-threaded C only."
    return ""


def _without_comments(source: str) -> str:
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", source, flags=re.S)


def missing_header(text: str) -> str:
    match = _MISSING_HEADER.search(text)
    return (match.group(1) or match.group(2)) if match else ""


def _verdict(kind: str, bound: int, seconds: float, message: str, cx: Counterexample | None = None) -> Verdict:
    return Verdict(kind, "esbmc", bound, "unwind", None, seconds, message, cx)


def check_program(root: Path, path: str, *, bound: int | None = None, time_limit: float = 30.0,
                  include_dirs: tuple[Path, ...] = (), min_bound: int | None = None) -> ProgramCheck:
    """ESBMC on the program `root/path` from its main, deepening --unwind within `time_limit`.

    `bound` fixes the first --unwind (default 8); `min_bound`: a verdict below it is not enough
    (a repair is re-checked at a higher bound than the one that found the bug), deepening
    starts there."""
    started = time.monotonic()
    seconds = lambda: time.monotonic() - started  # noqa: E731
    first = max(bound or DEFAULT_BOUND, min_bound or 0)
    file = (root / path).resolve()
    reason = unsupported_reason(path, file.read_text(encoding="utf-8", errors="replace"))
    if reason:
        return ProgramCheck(_verdict("unsupported", first, 0.0, reason))
    binary, refused = esbmc_backend._trusted(first, time_limit / 2)
    if refused:
        return ProgramCheck(refused)
    base = [str(file), "-I", str(file.parent), *[a for d in include_dirs for a in ("-I", str(d))], *PROPERTIES]
    tried: list[int] = []
    with tempfile.TemporaryDirectory(prefix="suture-esbmc-program-") as tmp:
        current, last_run = first, 0.0
        while True:
            left = time_limit - seconds()
            if left < 1.0 or (tried and last_run * 2.5 > left - RESERVE * time_limit):
                break
            run_started = time.monotonic()
            done, report = esbmc_backend._run(binary, [*base, "--unwind", str(current)], Path(tmp), left)
            last_run = time.monotonic() - run_started
            text = esbmc_backend._text(done)
            if done.timed_out or "Timed out" in text:
                break
            tried.append(current)
            failed = _failure(root, path, done, text, current, seconds())
            if failed is not None:
                return ProgramCheck(failed, bounds=tuple(tried))
            violation = esbmc_backend._violation(report)
            if violation is not None and "unwinding" not in violation["message"]:
                return _found(root, violation, report, current, seconds(), tuple(tried), text)
            if violation is None and done.returncode == 0 and "VERIFICATION SUCCESSFUL" in text:
                return ProgramCheck(_verdict("exhausted", current, seconds(),
                                             f"every loop from main fits in {current} unwindings and the safety properties "
                                             "hold on every path"), bounds=tuple(tried))
            if current >= MAX_BOUND:
                break
            current *= 2
        return _after_deepening(root, path, binary, base, Path(tmp), tried, first, started, time_limit)


def _after_deepening(root: Path, path: str, binary: str, base: list[str], tmp: Path, tried: list[int], first: int,
                     started: float, time_limit: float) -> ProgramCheck:
    """Deepening stopped short of a proof: look past the unwinding failure at the last bound, then try k-induction."""
    seconds = lambda: time.monotonic() - started  # noqa: E731
    reached = tried[-1] if tried else first
    left = time_limit - seconds()
    if left >= 1.0:
        done, report = esbmc_backend._run(binary, [*base, "--unwind", str(reached), "--no-unwinding-assertions"], tmp, left)
        violation = esbmc_backend._violation(report)
        if violation is not None:
            return _found(root, violation, report, reached, seconds(), tuple(tried), esbmc_backend._text(done))
    left = time_limit - seconds()
    if left >= K_INDUCTION_SECONDS:
        # ESBMC skips the inductive step when --overflow-check is on, so induction proves the other
        # properties; signed overflow stays checked within the bounds deepening reached (said so).
        steps = min(max(reached, 2), MAX_K_STEP)
        inductive = [arg for arg in base if arg != "--overflow-check"]
        done, report = esbmc_backend._run(binary, [*inductive, "--k-induction", "--max-k-step", str(steps)], tmp, left)
        text = esbmc_backend._text(done)
        if done.returncode == 0 and "VERIFICATION SUCCESSFUL" in text:
            step = re.search(r"inductive step \(k = (\d+)\)", text)
            return ProgramCheck(_verdict("exhausted", reached, seconds(),
                                         f"k-induction (k = {step.group(1) if step else steps}) proves memory safety, "
                                         "division by zero and leaks from main for loops of any length; signed overflow "
                                         f"is checked within {reached} unwindings only"), bounds=tuple(tried))
        violation = esbmc_backend._violation(report)
        if violation is not None and "unwinding" not in violation["message"]:
            return _found(root, violation, report, reached, seconds(), tuple(tried), text)
    shown = ", ".join(str(b) for b in tried) or "none finished"
    why = "loops run longer than the bound" if tried else "ESBMC did not finish a run"
    return ProgramCheck(_verdict("no_counterexample_within_bound", reached, seconds(),
                                 f"no violation from main within {reached} unwindings (deepened through {shown} in "
                                 f"{time_limit:g} s); {why}, so later iterations were not checked"), bounds=tuple(tried))


def _failure(root: Path, path: str, done, text: str, bound: int, seconds: float) -> Verdict | None:
    """An ESBMC run that ended in an error: a missing header is `unsupported`, else `error`."""
    if done.returncode in (0, 1) and "PARSING ERROR" not in text and "CONVERSION ERROR" not in text:
        return None
    header = missing_header(text)
    if header:
        return _verdict("unsupported", bound, seconds, f"{path} includes <{header}>, which ESBMC's C library lacks.")
    if "main" in text and re.search(r"main.*not found|entry point", text, re.I):
        return _verdict("unsupported", bound, seconds, f"{path} defines no main for a whole-program check.")
    why = esbmc_backend._error_line(text)
    if "PARSING ERROR" in text or "CONVERSION ERROR" in text or done.returncode == 6:
        return _verdict("unsupported", bound, seconds, f"ESBMC cannot parse {path}: {why}")
    return _verdict("error", bound, seconds, f"ESBMC failed (exit {done.returncode}): {why}")


_STACK_LINE = re.compile(r"^\s*c:@F@\S+ at file (\S+) line (\d+)(?: column \d+)?(?: function (\w+))?", re.M)


def _stack(text: str) -> list[tuple[str, str, str]]:
    """(file, line, function) of each call site in ESBMC's --show-stacktrace, innermost first."""
    block = text.split("Stack trace:", 1)[1] if "Stack trace:" in text else ""
    return [(m.group(1), m.group(2), m.group(3) or "") for m in _STACK_LINE.finditer(block)]


def _found(root: Path, violation: dict, report, bound: int, seconds: float, tried: tuple[int, ...],
           text: str = "") -> ProgramCheck:
    trace = report[0] if isinstance(report, list) else report
    steps = trace.get("steps", [])
    index = next((k for k, s in enumerate(steps) if s.get("type") == "violation"), len(steps) - 1)
    step = steps[index] if steps else {}
    function, where = str(step.get("function", "")), ""
    if not _is_under(str(step.get("file", "")), root):
        # Inside ESBMC's C library (memcpy, strcpy): the program's own line that called it.
        caller = next(((file, line, func) for file, line, func in _stack(text) if _is_under(file, root)), None)
        if caller is not None:
            where = f" ({function} called)"
            violation = {**violation, "file": caller[0], "line": caller[1]}
            function = caller[2]
    location = f"{esbmc_backend._relative(violation['file'], root)}:{violation['line']}"
    cx = Counterexample(violation["initial_values"], violation["message"], location, False)
    where = f"{where} in {function}" if function else where
    verdict = _verdict("counterexample", bound, seconds,
                       f"{violation['message']} at {location}{where}, reached from main within {bound} unwindings", cx)
    line = int(violation["line"]) if str(violation["line"]).isdigit() else None
    return ProgramCheck(verdict, function, line, tried, _trace_text(text))


MAX_TRACE_CHARS = 4000


def _trace_text(text: str) -> str:
    """ESBMC's printed counterexample: its states (the values along the path) and the violated property."""
    start = text.find("[Counterexample]")
    if start < 0:
        return ""
    end = text.find("VERIFICATION FAILED", start)
    block = re.sub(r"\n{3,}", "\n\n", text[start:end if end > 0 else None]).strip()
    return block if len(block) <= MAX_TRACE_CHARS else block[:MAX_TRACE_CHARS // 2] + "\n...\n" + block[-MAX_TRACE_CHARS // 2:]


def _is_under(file: str, root: Path) -> bool:
    try:
        return bool(file) and Path(file).resolve().is_relative_to(root.resolve())
    except OSError:
        return False


# ---------------------------------------------------------------- a whole file: main, then each function


def check_c_file(root: Path, path: str, *, bound: int | None = None, time_limit: float = 30.0) -> Verdict:
    """`suture verify FILE.c`: from main when the file defines one, and function by function."""
    from suture.tools.verify.c_harness import c_functions, verify_function

    started = time.monotonic()
    file = (root / path).resolve()
    source = file.read_bytes()
    reason = unsupported_reason(path, source.decode("utf-8", "replace"))
    if reason:
        return _verdict("unsupported", bound or DEFAULT_BOUND, 0.0, reason)
    functions = c_functions(source)
    has_main = any(f.name == "main" for f in functions)
    program: Verdict | None = None
    if has_main:
        program = check_program(root, path, bound=bound, time_limit=time_limit * (0.7 if len(functions) > 1 else 1.0)).verdict
        if program.verdict in ("counterexample", "unsupported", "error"):
            program.seconds = time.monotonic() - started
            return program
    runs: list[Verdict] = []
    drivable = [f for f in functions if f.name != "main" and not f.unsupported] if shutil.which("gcc") else []
    for func in drivable[:MAX_FUNCTIONS]:
        left = time_limit - (time.monotonic() - started)
        if left < 3.0:
            break
        checked = verify_function(root, path, func.name, bound=bound, time_limit=left)
        if checked is not None:
            checked.message = f"{func.name}: {checked.message}"
            runs.append(checked)
            if checked.verdict == "counterexample" and not has_main:
                break
    return _combine_file(program, runs, path, time.monotonic() - started, bound or DEFAULT_BOUND)


def _combine_file(program: Verdict | None, runs: list[Verdict], path: str, seconds: float, bound: int) -> Verdict:
    flagged = [r for r in runs if r.verdict == "counterexample"]
    if program is None:  # a library file: its functions are the verdict
        if flagged:
            first = flagged[0]
            return Verdict("counterexample", "esbmc", first.bound, first.bound_kind, None, seconds, first.message,
                           first.counterexample, [], runs)
        if not runs:
            return _verdict("unsupported", bound, seconds,
                            f"{path} has no main and no function the harness can drive.")
        weakest = min(runs, key=lambda r: {"exhausted": 2, "no_counterexample_within_bound": 1}.get(r.verdict, 0))
        message = "; ".join(r.message for r in runs)
        return Verdict(weakest.verdict, "esbmc", weakest.bound, weakest.bound_kind, None, seconds, message, None, [], runs)
    message = program.message
    if flagged:
        names = ", ".join(r.message.split(":", 1)[0] for r in flagged)
        message += (f"; function by function, {names} can fail on inputs main does not pass to "
                    f"{'it' if len(flagged) == 1 else 'them'} (see runs)")
    elif runs:
        message += f"; function by function, {len(runs)} checked without a counterexample"
    return Verdict(program.verdict, "esbmc", program.bound, "unwind", None, seconds, message, None,
                   [f"function check: {r.message}" for r in flagged], [program, *runs])
