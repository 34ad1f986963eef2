"""The bounded verifier as the last gate of `suture fix`: crashes and contract violations the patch brings in.

A candidate that passed the tests has its changed functions checked by the portfolio
(tools/verify/verifier.py) in contracts mode: PEP 316 / icontract / deal contracts and asserts
when the function has them, otherwise crashes (exceptions the function does not document
or raise itself). Not equivalence with the base commit: a fix is meant to change behaviour.

Three choices keep the gate sound rather than noisy:

- Only what the patch brings in counts. Every reproduced counterexample is replayed on the
  base commit too; when the base fails the same way (same exception type, same false
  postcondition) the failure is older than the patch: it is reported, never a rejection.
  Without this, every unannotated function "crashes" on an int where it expects a list.
- Unannotated parameters get the types the tests call the function with (literal arguments
  in test files: `find([1, 3], 3)` makes `items: list[int]`), written into the candidate's
  scratch copy for the run and taken out again. Annotations do not change what the code
  does, and the search then spends its bound on inputs of the intended kind.
- A rejection needs evidence a person can run: the counterexample is written as a pytest
  file (tools.counterexample.write_pytest_test), and that file must fail on the candidate
  under real pytest; otherwise it is logged as a tool artefact and the candidate passes.

Known counterexamples join the later candidates' gates: they are replayed first (a fraction of
a second) before any new search. A replayed counterexample rejects a later candidate at once only
when it is the same failure (same exception type or false postcondition) on the same line text,
and that line is one this candidate wrote (inside its changed region, or right after code it
deleted): then the candidate repeats the earlier candidate's mistake and the earlier judgement
(base replay, base search, malformed input) carries over. Any other failure on those inputs is
a finding like a search's and goes through the whole judgement above. Why: the true fix may
fail on the same inputs at a line it did not touch, a failure mode the original code had before
the bug was introduced, while the buggy base never reached that line (inflection's
camelize('', False) raises IndexError in `string[0]` in the original, not in the negated-if
mutant); replaying that as "the base does not fail" rejected the true fix without ever asking
whether the base raises IndexError elsewhere (it does, on camelize('', True)).

The whole gate is time-boxed per candidate and never runs past the candidate's own deadline;
with too little time left it says "not_run".
"""

from __future__ import annotations

import ast
import re
import threading
import time
from pathlib import Path
from typing import Any

from suture.retrieval.files import source_encoding
from suture.retrieval.model import Symbol
from suture.retrieval.testfiles import is_test_path
from suture.tools.verify.arg_types import annotations_for, collect_calls, insert_annotations
from suture.agent.gates.verify_report import FunctionCheck, counterexample_text
from suture.tools.verify.confirm import counterexample_test, fails_under_pytest
from suture.tools.verify.counterexample import ReplayResult, replay
from suture.tools.verify.verifier import Counterexample, Target, Verdict, find_function, import_root, run_bounded, verify

__all__ = [
    "DEFAULT_CANDIDATE_SECONDS",
    "DEFAULT_FUNCTION_SECONDS",
    "FunctionCheck",  # the record lives in verify_report, beside its texts
    "GateVerifier",
    "check_base_function",
    "summarize",
]

DEFAULT_FUNCTION_SECONDS = 5.0  # one changed function, all backends together
DEFAULT_CANDIDATE_SECONDS = 10.0  # the whole gate for one candidate
MAX_FUNCTIONS = 4  # more changed functions than this: the rest are listed as not run
MIN_SECONDS = 1.5  # below this no backend gets far enough to say anything
# A rejection rests on the base search NOT finding the same failure; a search starved by the
# function's time box (or a loaded machine) would reject true fixes, so it always gets this much.
BASE_SEARCH_SECONDS = 4.0
ESBMC_AFTER_SECONDS = 3.0  # ESBMC (slow to start) runs as the second opinion only with this much left
DEADLINE_MARGIN = 1.0  # seconds kept back before the candidate's deadline
TEST_FILE_SECONDS = 30.0  # the confirming pytest run of a counterexample test

# Verdict names, weakest first: a candidate's verdict is its weakest function's.
_STRENGTH = {"error": 0, "unsupported": 1, "not_run": 1, "counterexample_in_base": 2,
             "no_counterexample_within_bound": 3, "exhausted": 4}


class GateVerifier:
    """The `verifier` of agent/gates/validate.py: `(tree, changed symbols) -> (verdict, details, data)`.

    `base_root` is the repository's directory in a checkout of the base commit (for the
    "did the base fail alike?" replay), `evidence_dir` where counterexample tests are kept
    (one sub-directory per candidate). Thread-safe: validate runs candidates side by side.
    """

    def __init__(self, base_root: Path | None, *, evidence_dir: Path | None = None, bound: int | None = None,
                 function_seconds: float = DEFAULT_FUNCTION_SECONDS,
                 candidate_seconds: float = DEFAULT_CANDIDATE_SECONDS,
                 backends: tuple[str, ...] = ("crosshair", "esbmc")) -> None:
        self.base_root = Path(base_root) if base_root is not None else None
        self.evidence_dir = evidence_dir
        self.bound = bound
        self.function_seconds = function_seconds
        self.candidate_seconds = candidate_seconds
        self.backends = backends
        self._lock = threading.Lock()
        self._call_types: dict[str, list[dict[str, Any]]] | None = None
        # function -> (inputs, failure kind, failing line's text) of each counterexample that rejected a candidate
        self._known: dict[str, list[tuple[dict[str, str], str, str]]] = {}
        self._counter = 0

    # -- the hook ---------------------------------------------------------------------------

    def __call__(self, tree: Path, symbols: list[Symbol], deadline: float | None = None,
                 candidate_id: str | None = None) -> tuple[str, str, dict[str, Any]]:
        started = time.monotonic()
        until = started + self.candidate_seconds
        if deadline is not None:
            until = min(until, deadline - DEADLINE_MARGIN)
        with self._lock:
            self._counter += 1
            label = candidate_id or f"candidate-{self._counter}"
        checks: list[FunctionCheck] = []
        todo = [s for s in symbols if _checkable(s)]
        for number, symbol in enumerate(todo):
            name = f"{symbol.path}::{symbol.qualname}"
            left = until - time.monotonic()
            if number >= MAX_FUNCTIONS or left < MIN_SECONDS:
                why = "more changed functions than the gate checks" if number >= MAX_FUNCTIONS else "no time left in the candidate's budget"
                checks.append(FunctionCheck(name, "not_run", message=why))
                continue
            budget = min(self.function_seconds, left / max(1, min(len(todo), MAX_FUNCTIONS) - number))
            check = self.check_function(Path(tree), symbol.path, symbol.qualname, max(budget, MIN_SECONDS), label)
            checks.append(check)
            if check.verdict == "counterexample" and check.introduced:
                break  # one real counterexample rejects the candidate; the rest would only cost time
        return summarize(checks, time.monotonic() - started)

    # -- one function ----------------------------------------------------------------------------

    def check_function(self, root: Path, path: str, qualname: str, time_limit: float,
                       label: str = "check", *, annotate: bool = True) -> FunctionCheck:
        """Check `qualname` of `root/path` (a patched scratch tree) within `time_limit` seconds.

        With `annotate`, inferred parameter types are written into the file for the search
        (and taken out again): `root` must be a scratch copy nobody else reads meanwhile.
        """
        started = time.monotonic()
        until = started + time_limit
        name = f"{path}::{qualname}"
        target = Target(root, path, qualname)
        if target.language == "python":
            known = self._replay_known(target, name, until)
            if known is not None:
                cx, result, direct = known
                if direct:
                    check = FunctionCheck(name, "counterexample", backend="replay", introduced=True, message=(
                        f"{result.message} (the failure an earlier candidate was rejected for, on the same inputs "
                        "and the same line, which this candidate changed too; the base commit does not fail on them)"))
                    return self._reject((target, cx, result, check), target, label, started)
                # Inputs that break this candidate somewhere else: a finding like a search's, judged the same way.
                check = FunctionCheck(name, "counterexample", backend="replay",
                                      inferred_types=self._inferred(target)[1] if annotate else {})
                return self._judge(target, check, cx, result, check.inferred_types, until, label, started)
        original = None
        inferred: dict[str, str] = {}
        if target.language == "python" and annotate:
            original, inferred = self._annotate(target)
        try:
            verdict = self._search(target, until)
        finally:
            if original is not None:
                target.file.write_bytes(original)
        check = _from_verdict(name, verdict)
        check.inferred_types = inferred
        if verdict.verdict != "counterexample" or verdict.counterexample is None:
            check.seconds = time.monotonic() - started
            return check
        cx = verdict.counterexample
        if target.language == "c":
            check.introduced = self._c_new(target, cx, max(MIN_SECONDS, until - time.monotonic()))
            if not check.introduced:
                check.verdict = "counterexample_in_base"
                check.message = f"the base commit violates it too: {verdict.message}"
            check.seconds = time.monotonic() - started
            return check
        result = replay(target, cx.inputs, kind="contracts", time_limit=5.0)
        if not result.reproduced:  # the backend replayed it a moment ago: a flaky function
            return _artefact(check, f"the counterexample did not reproduce a second time ({result.status}: {result.message})", started)
        return self._judge(target, check, cx, result, inferred, until, label, started)

    def _judge(self, target: Target, check: FunctionCheck, cx: Counterexample, result: ReplayResult,
               inferred: dict[str, str], until: float, label: str, started: float) -> FunctionCheck:
        """Did the patch bring in this reproduced failure? Reject with a confirmed test if so."""
        introduced, base_says = self._introduced(target, cx.inputs, result)
        kind = _failure_kind(result.message)
        location = result.location or cx.location
        if introduced:
            why = _rejects_malformed_input(result.message, _source_line(target.root, location))
            if why:
                check.failing_line = _source_line(target.root, location)
                return _artefact(check, why, started)
            elsewhere = self._base_raises(target, kind, inferred, max(BASE_SEARCH_SECONDS, until - time.monotonic()))
            if elsewhere:
                introduced, base_says = False, f"the base commit raises {kind} too, on {elsewhere}"
        check.introduced = introduced
        if not introduced:
            check.verdict = "counterexample_in_base"
            check.message = f"{result.message}; {base_says}, so the patch did not bring it in"
            check.seconds = time.monotonic() - started
            return check
        with self._lock:
            known = self._known.setdefault(check.function, [])
            if all(inputs != cx.inputs for inputs, _, _ in known):
                known.append((dict(cx.inputs), kind, _source_line(target.root, location)))
        check.message = f"{result.message} ({base_says})"
        return self._reject((target, Counterexample(cx.inputs, result.message, location, True), result, check),
                            target, label, started)

    def _search(self, target: Target, until: float) -> Verdict:
        """CrossHair first; ESBMC's second opinion only when CrossHair did not exhaust and time is left."""
        first = [b for b in self.backends if b != "esbmc"] or list(self.backends)
        verdict = verify(target, "contracts", bound=self.bound, time_limit=max(MIN_SECONDS, until - time.monotonic()),
                         backends=tuple(first))
        left = until - time.monotonic()
        if (target.language == "python" and "esbmc" in self.backends and "esbmc" not in first
                and verdict.verdict not in ("counterexample", "exhausted") and left >= ESBMC_AFTER_SECONDS):
            second = verify(target, "contracts", bound=self.bound, time_limit=left, backends=("esbmc",))
            if second.verdict == "counterexample" or (verdict.verdict in ("unsupported", "error")
                                                      and second.verdict == "no_counterexample_within_bound"):
                second.artefacts = verdict.artefacts + second.artefacts
                return second
            verdict.artefacts += second.artefacts
        return verdict

    def _replay_known(self, target: Target, name: str, until: float
                      ) -> tuple[Counterexample, ReplayResult, bool] | None:
        """Earlier candidates' counterexamples replayed on this one: (inputs, what happened, direct).

        `direct` (reject without a new judgement) only for the same failure on the same line of
        code this candidate changed too (see the module docstring); any other reproduced failure
        is returned for the full judgement.
        """
        with self._lock:
            known = list(self._known.get(name, ()))
        changed: set[int] | None = None
        for inputs, kind, line_text in known[-3:]:
            if until - time.monotonic() < MIN_SECONDS:
                break
            result = replay(target, inputs, kind="contracts", time_limit=5.0)
            if not result.reproduced:
                continue
            cx = Counterexample(inputs, result.message, result.location, True)
            where, _, number = result.location.rpartition(":")
            if changed is None:
                changed = self._changed_lines(target)
            direct = (_failure_kind(result.message) == kind and where == target.path and number.isdigit()
                      and int(number) in changed and _source_line(target.root, result.location) == line_text)
            return cx, result, direct
        return None

    def _changed_lines(self, target: Target) -> set[int]:
        """Line numbers of `target.file` this candidate wrote or moved next to a deletion (all when no base)."""
        import difflib

        try:
            now = target.file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return set()
        base_file = self.base_root / target.path if self.base_root is not None else None
        if base_file is None or not base_file.is_file():
            return set(range(1, len(now) + 1))
        then = base_file.read_text(encoding="utf-8", errors="replace").splitlines()
        changed: set[int] = set()
        for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(None, then, now, autojunk=False).get_opcodes():
            if tag in ("replace", "insert"):
                changed.update(range(j1 + 1, j2 + 1))
            elif tag == "delete":
                changed.add(j1 + 1)  # a removed guard shows at the line that follows it
        return changed

    def _reject(self, found, target: Target, label: str, started: float) -> FunctionCheck:
        """Write the counterexample as a pytest file and confirm it fails on the candidate."""
        target, cx, result, check = found
        check.counterexample = cx.to_dict()
        check.failing_line = _source_line(target.root, cx.location)
        try:
            text, install_as = counterexample_test(target, cx.inputs, result)
        except (ValueError, OSError, SyntaxError) as error:
            return _artefact(check, f"the counterexample could not be written as a test ({error})", started)
        failed, why = fails_under_pytest(target.root, install_as, text, TEST_FILE_SECONDS)
        if not failed:
            return _artefact(check, f"its pytest file does not fail on the candidate ({why})", started)
        check.install_as = install_as
        if self.evidence_dir is not None:
            dest = self.evidence_dir / _safe(label) / Path(install_as).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            check.test_file = str(dest)
        check.verdict = "counterexample"
        check.introduced = True
        check.seconds = time.monotonic() - started
        return check

    def _introduced(self, target: Target, inputs: dict[str, str], result: ReplayResult) -> tuple[bool, str]:
        """(is the failure new with the patch, what the base commit does on the same inputs)."""
        if self.base_root is None:
            return True, "no earlier version to compare with"
        base = Target(self.base_root, target.path, target.function)
        try:
            tree = ast.parse(base.file.read_text(encoding="utf-8", errors="replace"))
        except (OSError, SyntaxError):
            return True, f"{target.path} is new or unreadable at the base commit"
        if find_function(tree, target.function) is None:
            return True, f"{target.function} is new since the base commit"
        then = replay(base, inputs, kind="contracts", time_limit=5.0)
        if then.status in ("not_reproduced", "expected"):
            return True, f"at the base commit: {then.message}"
        if then.reproduced and _failure_kind(then.message) == _failure_kind(result.message):
            return False, f"the base commit fails alike: {then.message}"
        if then.reproduced:
            return True, f"the base commit fails differently: {then.message}"
        return False, f"the base commit could not be run on these inputs: {then.status}, {then.message}"

    def _base_raises(self, target: Target, kind: str, types: dict[str, str], time_limit: float) -> str | None:
        """Inputs on which the base version raises `kind` (a builtin exception), or None.

        A fix may move where a function fails (transpose now reads every row, so a ragged grid
        fails on another cell): an exception type the base raises too is one of the function's
        existing failure modes, not something the patch brought in. A CrossHair search on the
        base version (swapped into this scratch tree for the run) where every other exception
        counts as documented; its finding must reproduce in CPython.
        """
        import builtins

        wanted = getattr(builtins, kind, None)
        if self.base_root is None or not (isinstance(wanted, type) and issubclass(wanted, Exception)):
            return None
        base_file = self.base_root / target.path
        try:
            base_bytes = base_file.read_bytes()
            base_text = base_bytes.decode(source_encoding(base_bytes, target.path))
            func = find_function(ast.parse(base_text), target.function)
        except (OSError, SyntaxError, UnicodeDecodeError):
            return None
        if func is None:
            return None
        others = sorted(name for name, value in vars(builtins).items()
                        if isinstance(value, type) and issubclass(value, Exception)
                        and not issubclass(value, wanted) and not issubclass(wanted, value))
        own = [t for t in types if t in {a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}]
        text = insert_annotations(base_text, func, {k: types[k] for k in own}) if own else base_text
        annotated = find_function(ast.parse(text), target.function)  # the probe copies its signature
        candidate = target.file.read_bytes()
        try:
            target.file.write_bytes(text.encode(source_encoding(base_bytes, target.path)))
            return _crosshair_finds(target, annotated, others, time_limit)
        finally:
            target.file.write_bytes(candidate)

    def _c_new(self, target: Target, cx: Counterexample, time_limit: float) -> bool:
        if self.base_root is None or not (self.base_root / target.path).is_file():
            return True
        then = verify(Target(self.base_root, target.path, target.function), "contracts", bound=self.bound,
                      time_limit=time_limit, backends=("esbmc",))
        return not (then.counterexample is not None and then.counterexample.message == cx.message)

    # -- argument types from the tests -------------------------------------------------------

    def _annotate(self, target: Target) -> tuple[bytes | None, dict[str, str]]:
        """Write the inferred parameter types into the scratch copy; (the original bytes, the types)."""
        original, types, annotated = self._inferred(target)
        if annotated is None:
            return None, {}
        target.file.write_bytes(annotated.encode(source_encoding(original, target.path)))
        return original, types

    def _inferred(self, target: Target) -> tuple[bytes | None, dict[str, str], str | None]:
        """(the file's bytes, the parameter types the tests' literal calls show, the annotated text or None)."""
        try:
            original = target.file.read_bytes()
            # not read_text: CRLF must come back as CRLF; a PEP 263 coding line is honoured
            text = original.decode(source_encoding(original, target.path))
        except (OSError, UnicodeDecodeError):
            return None, {}, None
        with self._lock:
            if self._call_types is None:
                self._call_types = collect_calls(target.root)
            calls = self._call_types
        types, annotated = annotations_for(text, target.function, calls)
        return (original, types, annotated) if annotated is not None else (None, {}, None)


# -- verdicts ----------------------------------------------------------------------------------


def summarize(checks: list[FunctionCheck], seconds: float) -> tuple[str, str, dict[str, Any]]:
    """(the candidate's verdict, a message for people and the planner, the report's data)."""
    data: dict[str, Any] = {"functions": [c.to_dict() for c in checks], "seconds": round(seconds, 3)}
    rejected = next((c for c in checks if c.verdict == "counterexample" and c.introduced), None)
    if rejected is not None:
        data["verdict"] = "counterexample"
        data["counterexample_test"] = rejected.test_file
        return "counterexample", counterexample_text(rejected), data
    if not checks:
        data["verdict"] = "not_run"
        return "not_run", "no changed Python or C function to verify", data
    weakest = min(checks, key=lambda c: _STRENGTH.get(c.verdict, 0))
    data["verdict"] = weakest.verdict
    lines = [f"{c.function}: {c.verdict.replace('_', ' ')}" + (f" ({c.message})" if c.message else "") for c in checks]
    return weakest.verdict, "; ".join(lines), data


def _source_line(root: Path, location: str) -> str:
    """The stripped text of `path:line` under `root`, "" when it cannot be read."""
    path, _, line = location.rpartition(":")
    try:
        lines = (root / path).read_text(encoding="utf-8", errors="replace").splitlines()
        return lines[int(line) - 1].strip()[:160]
    except (OSError, ValueError, IndexError):
        return ""


def _from_verdict(name: str, verdict: Verdict) -> FunctionCheck:
    return FunctionCheck(name, verdict.verdict, verdict.backend, verdict.bound, verdict.bound_kind, verdict.iterations,
                         verdict.seconds, verdict.message, artefacts=list(verdict.artefacts))


def _artefact(check: FunctionCheck, why: str, started: float) -> FunctionCheck:
    """A finding that did not hold up: logged with the check, which then claims only its bound."""
    check.artefacts.append(f"{check.backend}: {check.message or ''} -> {why}".strip())
    check.verdict = "no_counterexample_within_bound"
    check.message = f"a backend's counterexample did not hold up ({why})"
    check.counterexample = None
    check.introduced = None
    check.seconds = time.monotonic() - started
    return check


def _failure_kind(message: str) -> str:
    """What failed, without the details: "IndexError", or "postcondition 'x > 0'"."""
    if message.startswith("postcondition "):
        match = re.match(r"postcondition ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")", message)
        return match.group(0) if match else message.split(" is false")[0]
    return message.split(":", 1)[0].strip()


# Conversions of input: a ValueError (or decimal's InvalidOperation) they raise rejects malformed
# input, which is what parsing code is expected to do, not a crash the patch brought in.
_CONVERSION = re.compile(r"\b(int|float|complex|Decimal|Fraction|strptime|fromisoformat|fromhex|loads)\(")


def _rejects_malformed_input(message: str, line: str) -> str | None:
    kind = _failure_kind(message)
    if kind.rsplit(".", 1)[-1] in ("ValueError", "InvalidOperation", "ConversionSyntax") and _CONVERSION.search(line):
        return f"{kind} from converting its input ({line.strip()[:80]}): rejecting malformed input, not a crash"
    return None


def _crosshair_finds(target: Target, func: ast.FunctionDef | ast.AsyncFunctionDef, documented: list[str],
                     time_limit: float) -> str | None:
    """Inputs (as text) on which CrossHair finds `target` raising an exception not in `documented`,
    replayed in CPython; None when it finds none within `time_limit`."""
    import tempfile

    from suture.tools.verify import crosshair_backend as ch
    from suture.tools.verify.verifier import child_env, module_name

    root = import_root(target.file)
    module = module_name(target.file.resolve().relative_to(root).as_posix())
    with tempfile.TemporaryDirectory(prefix="suture-gate-") as tmp:
        Path(tmp, f"{ch.SHIM}.py").write_text(ch._probe_source(str(root), module, target.function, func, documented))
        argv = [*ch._crosshair(), "check", "--analysis_kind", "PEP316", *ch._limits(ch.DEFAULT_BOUND, time_limit),
                f"{ch.SHIM}.{ch.PROBE}"]
        done = run_bounded(argv, cwd=Path(tmp), time_limit=time_limit, env=child_env(Path(tmp), root))
    params = ch._params(func)
    for error in ch.parse_check_output(done.stdout):
        inputs = ch.invocation_inputs(error["text"], ch.PROBE, params) if error["level"] == "error" else None
        if inputs is None:
            continue
        again = replay(target, inputs, kind="contracts", time_limit=5.0)
        if again.reproduced:
            return ", ".join(f"{k}={v}" for k, v in inputs.items())
    return None


def _checkable(symbol: Symbol) -> bool:
    if Path(symbol.path).suffix not in (".py", ".c"):
        return False
    if Path(symbol.path).suffix == ".py" and is_test_path(symbol.path):
        return False  # the tests are the other gate; verifying them proves nothing about the fix
    # A function nested in a function cannot be called from outside.
    return not (symbol.parent is not None and symbol.parent != symbol.parent_class)


def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[:80] or "candidate"


# -- the planner's verify tool ---------------------------------------------------------------------

COPY_MAX_FILES = 3000
_COPY_SKIP = {".git", ".suture", "__pycache__", "node_modules", ".venv", "venv", ".tox", ".mypy_cache",
              ".pytest_cache", ".hypothesis", "build", "dist"}


def check_base_function(base_root: Path, path: str, qualname: str, *, time_limit: float = 10.0,
                        bound: int | None = None) -> FunctionCheck:
    """Crashes and contract violations of a function as it is at the base commit.

    The base tree is shared (the planner reads it), so the check runs in a temporary copy of
    the repository's files when it is small enough to copy, else in place without inferred types.
    """
    import shutil
    import tempfile

    base_root = Path(base_root)
    files = 0
    for _ in base_root.rglob("*"):
        files += 1
        if files > COPY_MAX_FILES:
            break
    gate = GateVerifier(None, bound=bound, function_seconds=time_limit, candidate_seconds=time_limit)
    if files > COPY_MAX_FILES:
        return gate.check_function(base_root, path, qualname, time_limit, annotate=False)
    with tempfile.TemporaryDirectory(prefix="suture-verify-") as tmp:
        copy = Path(tmp) / base_root.name
        shutil.copytree(base_root, copy, symlinks=True, ignore=lambda _d, names: [n for n in names if n in _COPY_SKIP])
        check = gate.check_function(copy, path, qualname, time_limit)
    return check
