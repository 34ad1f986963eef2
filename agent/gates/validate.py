"""The validation pipeline: every candidate patch passes the same gates in a scratch worktree.

Gates, in order; the first that fails decides the verdict's `stage`:

  edit      the candidate's edits are applied (all or nothing, tools.edits.apply_edits)
  parse     apply_edits refuses edits that add tree-sitter syntax errors (NEW_SYNTAX_ERROR)
  selected  the tests that failed at the base commit + the tests that ran the changed functions
            (select_tests over the base run's spectra), a quick and focused first verdict
  suite     the whole suite, only when the selected tests pass
  verifier  an optional callable, verifier(tree, changed_symbols) -> (verdict_name, details)

A candidate is accepted only if every test that failed before now passes and no test
that passed before fails. Tests flaky at the base commit are left out of the verdict and
reported. A test is a regression only if it also fails under the conditions the baseline
ran it in (a fresh process; the gates' first runs fork from a warm pytest): one that fails
warm but passes fresh is "overturned", one that fails fresh and then passes is flaky, and
neither counts against the candidate. A test the gate's run did not report at all, with no
collection error to explain it, is looked for in a fresh run of the same selection.

Candidates run side by side, one worker thread per scratch worktree of a WorktreePool; the
tests themselves are subprocesses under wall-clock limits, so a patch that makes a test loop
forever ends as a rejected verdict, never a hang. Candidates whose changed files have the
same normalized key (they differ only in whitespace or comments) are validated once.

`GateRunner` is the entry point: it holds one run's workspace, test command, baseline and
settings, and `.run(candidate)` gives the verdict. Over 600 lines as one concept: the gates,
the patch reading they need and their scheduling share one verdict type and one set of settings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from suture.agent.gates import antipatterns, tamper
from suture.retrieval.languages import language_for_path
from suture.retrieval.model import CLASS, Symbol, innermost_symbol
from suture.tools.git import cmd as gitcmd
from suture.tools.edits import EditStatus, apply_edits, diff_worktree, normalized_key
from suture.tools.testing.localize import select_tests
from suture.tools.testing.spectra import Spectra
from suture.tools.testing.testrun import TestRun, TestRunError, is_pytest_command, run_tests
from suture.tools.git.workspace import WorktreePool, kill_token_holders
from suture.tools.git.worktree import WorkspaceError

__all__ = ["Candidate", "GateRunner", "GateVerdict", "validate", "changed_lines", "diff_line_count"]

Stage = Literal["edit", "parse", "risk", "selected", "suite", "verifier", "skipped"]
# verifier(tree, changed_symbols) -> (verdict_name, details) or (verdict_name, details, data): `data`
# (a JSON-able dict) lands in GateVerdict.verification. A verifier that takes the keyword
# arguments `deadline` (time.monotonic() of the candidate's limit) or `candidate_id` gets them.
Verifier = Callable[..., tuple]

DEFAULT_CANDIDATE_SECONDS = 600.0
COUNTEREXAMPLE = "counterexample"
MAX_NAMED = 3  # tests named in one message


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


# -- patches ----------------------------------------------------------------------------------


@dataclass
class FileChange:
    old_path: str | None  # None for a new file
    new_path: str | None  # None for a deleted file
    old_lines: set[int] = field(default_factory=set)  # base lines removed, or next to an insertion
    new_lines: set[int] = field(default_factory=set)  # lines added in the new file, or next to a removal
    binary: bool = False


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _diff_path(raw: str) -> str | None:
    raw = raw.rstrip("\n").split("\t", 1)[0]
    if raw.startswith('"'):
        # git quotes unusual names C-style (octal escapes of the utf-8 bytes).
        raw = raw[1:-1].encode("latin-1").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
    if raw == "/dev/null":
        return None
    return raw[2:] if raw[:2] in ("a/", "b/") else raw


def changed_lines(patch: str) -> list[FileChange]:
    """Per file of a `git diff`: the base lines it touches and the new lines it adds."""
    files: list[FileChange] = []
    current: FileChange | None = None
    old = new = 0
    removed = added = False
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            current = FileChange(None, None)
            files.append(current)
            # Fallback names for changes without ---/+++ lines (mode-only, binary).
            parts = line[len("diff --git ") :].split(" b/", 1)
            if len(parts) == 2:
                current.old_path = _diff_path(parts[0])
                current.new_path = parts[1]
            continue
        if current is None:
            continue
        if line.startswith("new file mode"):
            current.old_path = None
        elif line.startswith("deleted file mode"):
            current.new_path = None
        elif line.startswith("Binary files") or line.startswith("GIT binary patch"):
            current.binary = True
        elif line.startswith("--- "):
            current.old_path = _diff_path(line[4:])
        elif line.startswith("+++ "):
            current.new_path = _diff_path(line[4:])
        elif (hunk := _HUNK.match(line)) is not None:
            old, new = int(hunk[1]), int(hunk[3])
            # "-a,0" is an insertion after base line a, "+c,0" a removal after new line c.
            old += hunk[2] == "0"
            new += hunk[4] == "0"
        elif line.startswith("-"):
            current.old_lines.add(old)
            if not added:  # a pure removal: the new lines around the gap name the function
                current.new_lines.update(n for n in (new - 1, new) if n >= 1)
            removed = True
            old += 1
        elif line.startswith("+"):
            current.new_lines.add(new)
            if not removed:  # a pure insertion: the base lines around it name the function it joins
                current.old_lines.update(n for n in (old - 1, old) if n >= 1)
            added = True
            new += 1
        elif line.startswith(" "):
            old += 1
            new += 1
        if not line.startswith(("-", "+")) or line.startswith(("--- ", "+++ ")):
            removed = added = False  # a change block ends at a context line or a header
    return files


def diff_line_count(patch: str) -> int:
    return sum(
        1
        for line in patch.splitlines()
        if (line.startswith("+") and not line.startswith("+++ ")) or (line.startswith("-") and not line.startswith("--- "))
    )


def _symbols(path: str, source: bytes | None) -> list[Symbol]:
    language = language_for_path(path)
    if language is None or source is None:
        return []
    from suture.retrieval.parse import parse_source

    try:
        return parse_source(path, language, source)[0]
    except Exception:  # a grammar failure only loses test selection, never the verdict
        return []


def _touched(symbols: list[Symbol], lines: set[int]) -> list[Symbol]:
    """The innermost function or method holding each line (lines in a class body outside its
    methods, or at module level, have none: the whole suite covers them)."""
    found: dict[str, Symbol] = {}
    for line in sorted(lines):
        symbol = innermost_symbol(symbols, line)
        if symbol is not None and symbol.kind != CLASS:
            found.setdefault(symbol.qualname, symbol)
    return list(found.values())


# -- the gates --------------------------------------------------------------------------------


@dataclass
class _Settings:
    baseline_failing: list[str]
    baseline_passing: list[str]
    flaky: list[str]
    spectra: Spectra | None
    test_cmd: str | Sequence[str] | None
    per_test_timeout: float | None
    candidate_seconds: float
    verifier: Verifier | None
    index: Any | None
    allow_test_edits: bool
    confirm_reruns: int
    env: dict[str, str]
    deadline: float | None  # time.monotonic() of the overall limit
    hanging: list[str] = field(default_factory=list)  # hung at the baseline: left out of every run
    allow_paths: list[str] = field(default_factory=list)  # the user's --allow-path globs (protected files)
    # Tests that fail in a given selection at the base commit too (see _Gatekeeper.failing_at_base),
    # by (selection, warm); shared by the worker threads.
    base_selection: dict[tuple[tuple[str, ...], bool], set[str]] = field(default_factory=dict)
    base_lock: threading.Lock = field(default_factory=threading.Lock)


class _Rejected(Exception):
    def __init__(self, verdict: GateVerdict) -> None:
        self.verdict = verdict


class _Gatekeeper:
    """Runs the gates for one candidate in one scratch tree."""

    def __init__(self, settings: _Settings, tree: Path, repo_inside: Path) -> None:
        self.s = settings
        self.tree = tree
        self.inside = repo_inside.as_posix()  # the repo's sub-directory in the checkout, "." at the top
        self.used_warm = False
        self.changed_paths: set[str] = set()  # repo-relative, set by gates()
        self.changes: list[FileChange] = []  # the candidate's, set by gates()

    def rel(self, git_path: str) -> str:
        """A path of `git diff` (relative to the checkout's top) as a repo-relative path."""
        if self.inside in ("", "."):
            return git_path
        prefix = self.inside.rstrip("/") + "/"
        return git_path[len(prefix) :] if git_path.startswith(prefix) else git_path

    # Step 1: edits -> patch and key. Returns the verdict skeleton the later gates fill in.
    def apply(self, candidate: Candidate) -> tuple[GateVerdict, list[FileChange]]:
        verdict = GateVerdict(candidate.id, False, "edit")
        results = apply_edits(self.tree, candidate.edits, allow_test_edits=self.s.allow_test_edits,
                              allow_paths=self.s.allow_paths)
        verdict.edit_results = list(results)
        bad = [r for r in results if r.status != EditStatus.APPLIED]
        if bad:
            verdict.stage = "parse" if any(r.status == EditStatus.NEW_SYNTAX_ERROR for r in bad) else "edit"
            verdict.message = " ".join(f"{r.path}: {r.message}".strip() for r in bad)
            raise _Rejected(verdict)
        if not candidate.edits:
            verdict.message = "the candidate has no edits."
            raise _Rejected(verdict)
        verdict.patch = diff_worktree(self.tree)
        if not verdict.patch.strip():
            # Every edit applied, so something should differ: ask again hashing every file rather
            # than trusting git's stat cache (a same-size edit right after a reset was once read
            # as "no change" under heavy load; cause not pinned down).
            verdict.patch = diff_worktree(self.tree, trust_stat_cache=False)
        verdict.diff_lines = diff_line_count(verdict.patch)
        if not verdict.patch.strip():
            verdict.message = "the edits leave every file as it was."
            raise _Rejected(verdict)
        changes = changed_lines(verdict.patch)
        verdict.normalized_key = self.key(changes)
        return verdict, changes

    def key(self, changes: list[FileChange]) -> str:
        parts = []
        for change in changes:
            if change.new_path is None:
                parts.append(f"{change.old_path}\0<deleted>")
                continue
            path = self.rel(change.new_path)
            data = (self.tree / path).read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                parts.append(f"{path}\0{hashlib.sha256(data).hexdigest()}")
                continue
            parts.append(f"{path}\0{normalized_key(path, text)}")
        return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()

    def changed_symbols(self, changes: list[FileChange]) -> tuple[list[Symbol], list[Symbol]]:
        """(functions touched at the base commit, the same functions in the patched tree)."""
        before: list[Symbol] = []
        after: list[Symbol] = []
        for change in changes:
            if change.binary:
                continue
            if change.old_path is not None:
                path = self.rel(change.old_path)
                if self.s.index is not None and self.s.index.file(path) is not None:
                    symbols = self.s.index.symbols_in(path)
                else:
                    symbols = _symbols(path, self._base_bytes(change.old_path))
                before += _touched(symbols, change.old_lines)
            if change.new_path is not None:
                path = self.rel(change.new_path)
                try:
                    source = (self.tree / path).read_bytes()
                except OSError:
                    source = None
                after += _touched(_symbols(path, source), change.new_lines)
        return before, after

    def _base_bytes(self, git_path: str) -> bytes | None:
        return gitcmd.file_at(self.tree, "HEAD", git_path)

    def run(self, nodeids: Sequence[str], until: float, warm: bool = True) -> TestRun:
        left = until - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return run_tests(
            self.tree,
            test_cmd=self.s.test_cmd,
            nodeids=nodeids,
            timeout=left,
            per_test_timeout=self.s.per_test_timeout,
            extra_env=self.s.env,
            warm=warm,
            deselect=self.s.hanging,
            sentinel=True,  # a test that must fail: if it passes, the candidate rewrote the results
        )

    def judge(
        self, run: TestRun, failing: Sequence[str], passing: Sequence[str], until: float, nodeids: Sequence[str] = ()
    ) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
        """(fixed, still_failing, regressions, newly_flaky, overturned) of a run against the base outcomes.

        A test counts as a regression only if it also fails as the baseline ran it: after a warm
        run, in a fresh process (the baseline never runs warm), by its node id, unless its
        traceback runs through the changed files; a test the run did not report at all (no
        collection error to explain it) in a fresh run of the same selection, which is how the
        baseline met it. `overturned` names the tests such a re-run found passing.
        """
        flaky = set(self.s.flaky)
        outcome = {n: o.outcome for n, o in run.outcomes.items()}
        known = set(self.s.baseline_failing) | set(self.s.baseline_passing) | flaky
        renamed = _renamed([n for n in (*failing, *passing) if n not in outcome], run, known)
        outcome.update(dict.fromkeys(renamed, "passed"))
        fixed = sorted(n for n in failing if n not in flaky and outcome.get(n) == "passed")
        still = sorted(n for n in failing if n not in flaky and outcome.get(n) != "passed")
        broken = sorted(n for n in passing if n not in flaky and outcome.get(n, "missing") != "passed")
        newly_flaky: list[str] = []
        overturned: list[str] = []
        # A candidate that leaves a failing test failing is rejected whatever a re-run says: skip it.
        # Hangs are not re-run (they would only cost the time again).
        by_id = self.s.test_cmd is None or is_pytest_command(self.s.test_cmd)
        if still or not by_id or not broken:
            return fixed, still, broken, newly_flaky, renamed
        missing = [n for n in broken if n not in outcome]
        if missing and run.status != "timeout" and not run.collection_errors:
            # Tests the run never reported while nothing failed to collect: the run did not see the
            # suite as the baseline did (ids that differ between processes): run it again fresh.
            try:
                again = self.run(nodeids, until, warm=False)
            except TimeoutError:
                again = None
            if again is not None:
                back = [n for n in missing if n in again.outcomes and again.outcomes[n].outcome == "passed"]
                overturned += back
                outcome.update({n: o.outcome for n, o in again.outcomes.items() if n in missing})
        suspects = [n for n in broken if outcome.get(n) in ("failed", "error")]
        for _ in range(self.s.confirm_reruns if suspects else 0):
            # A test that fails once and passes once is flaky, not broken: re-run it as the run ran it.
            try:
                again = self.run(suspects, until, warm=run.warm)
            except TimeoutError:
                break
            recovered = [n for n in suspects if n in again.outcomes and again.outcomes[n].outcome == "passed"]
            newly_flaky += recovered
            suspects = [n for n in suspects if n not in recovered]
            if not suspects:
                break
        # Still failing after a warm run and its re-run, with no traceback through the changed files:
        # nothing ties the failure to the patch, so it must also fail in a fresh process, as at the
        # baseline. (A failure through the changed code is the patch's: that saves a fresh start
        # for most rejected candidates.)
        unexplained = [n for n in suspects if not self.through_change(run.outcomes.get(n))]
        if run.warm and unexplained:
            try:
                again = self.run(unexplained, until, warm=False)
            except TimeoutError:
                again = None
            if again is not None:
                overturned += [n for n in unexplained if n in again.outcomes and again.outcomes[n].outcome == "passed"]
        regressions = [n for n in broken if n not in newly_flaky and n not in overturned]
        return fixed, still, regressions, newly_flaky, sorted({*overturned, *renamed})

    def failing_at_base(self, nodeids: Sequence[str], until: float, warm: bool) -> set[str]:
        """The tests of this selection that fail at the base commit when run as this selection.

        The baseline ran the whole suite; a selection can fail on its own (semver's doctests take
        their names from a conftest that only collecting tests/ loads), which is the selection's
        doing, not the patch's. Such a test is left to the suite gate, which runs as the baseline
        did. Measured once per selection: the candidate's files are set back to the base in this
        private tree for the run and restored after it.
        """
        key = (tuple(nodeids), warm)
        with self.s.base_lock:
            if key in self.s.base_selection:
                return self.s.base_selection[key]
        paths = {p for c in self.changes for p in (c.old_path, c.new_path) if p}
        candidate = {p: (self.tree / self.rel(p)).read_bytes() if (self.tree / self.rel(p)).is_file() else None
                     for p in paths}
        try:
            for path in paths:
                base, file = self._base_bytes(path), self.tree / self.rel(path)
                if base is None:
                    file.unlink(missing_ok=True)
                else:
                    file.parent.mkdir(parents=True, exist_ok=True)
                    file.write_bytes(base)
            failed = set(self.run(nodeids, until, warm).failed)
        finally:
            for path, data in candidate.items():
                file = self.tree / self.rel(path)
                if data is None:
                    file.unlink(missing_ok=True)
                else:
                    file.write_bytes(data)
        with self.s.base_lock:
            self.s.base_selection[key] = failed
        return failed

    def _python_files(self, changes: list[FileChange]) -> list[tuple[str, str | None, str]]:
        """(path, base source or None, new source) of the changed Python files."""
        files = []
        for change in changes:
            new = self.tree / self.rel(change.new_path) if change.new_path else None
            if new is None or not change.new_path.endswith(".py") or not new.is_file():
                continue
            base = self._base_bytes(change.old_path) if change.old_path else None
            files.append((change.new_path, base.decode("utf-8", "replace") if base is not None else None,
                          new.read_text(encoding="utf-8", errors="replace")))
        return files

    def through_change(self, outcome: Any) -> bool:
        """Whether a failure's traceback passes through a file the candidate changed."""
        return outcome is not None and any(frame.path in self.changed_paths for frame in outcome.frames)

    def gates(self, verdict: GateVerdict, changes: list[FileChange], until: float) -> GateVerdict:
        s = self.s
        self.changed_paths = {self.rel(p) for c in changes for p in (c.old_path, c.new_path) if p}
        self.changes = changes
        # Before any of the candidate's code runs: what it adds that games the oracle (agent/gates/tamper.py).
        python_files = self._python_files(changes)
        risky = tamper.blocking(python_files, tamper.allowed())
        static = antipatterns.review(python_files)  # named, not blocking: the choice weighs them
        verdict.anti_patterns, verdict.ast_change = static.anti_patterns, static.ast_change
        if risky:
            verdict.stage, verdict.message = "risk", tamper.risk_message(risky)
            raise _Rejected(verdict)
        before, after = self.changed_symbols(changes)
        verdict.changed_symbols = [f"{sym.path}::{sym.qualname}" for sym in before]
        verdict.flaky = sorted(s.flaky)
        pytest_cmd = s.test_cmd is None or is_pytest_command(s.test_cmd)

        # Gate: the failing tests and those that ran the changed functions.
        selected: list[str] = []
        if pytest_cmd:
            covering = select_tests(s.spectra, [(sym.path, sym.start_line, sym.end_line) for sym in before]) if s.spectra else []
            known = set(s.baseline_failing) | set(s.baseline_passing)
            wanted = set(s.baseline_failing) | {n for n in covering if n in known}
            selected = sorted(wanted - set(s.flaky))
        verdict.selected_tests = selected
        if selected:
            verdict.stage = "selected"
            failing = [n for n in s.baseline_failing if n in wanted]
            passing = [n for n in s.baseline_passing if n in wanted]
            # Run by test function: a parametrized test's ids may be numbered differently in this
            # process (see _renamed), and an id pytest does not find would fail the whole run.
            by_function = list(dict.fromkeys(_test_function(n) for n in selected))
            self._gate(verdict, by_function, failing, passing, until)

        # Gate: the whole suite (unless the selected run already was the whole suite).
        verdict.stage = "suite"
        everything = (set(s.baseline_failing) | set(s.baseline_passing)) - set(s.flaky)
        if not selected or not everything <= set(selected):
            self._gate(verdict, (), s.baseline_failing, s.baseline_passing, until)
        # When the gates above ran in children forked from a warm pytest (ten times cheaper to
        # start), a verdict that lets a candidate through is confirmed in a fresh process.
        if self.used_warm:
            self._gate(verdict, (), s.baseline_failing, s.baseline_passing, until, warm=False)

        if s.verifier is not None:
            verdict.stage = "verifier"
            try:
                name, details, *data = s.verifier(self.tree, after, **_verifier_extras(s.verifier, until, verdict))
            except Exception as error:  # a verifier that breaks says nothing about the patch
                name, details, data = "unsupported", f"the verifier failed: {type(error).__name__}: {error}", []
            verdict.verifier, verdict.verifier_details = name, details
            verdict.verification = data[0] if data else None
            if name == COUNTEREXAMPLE:
                verdict.message = f"the verifier found a counterexample: {details}".strip()
                raise _Rejected(verdict)
        verdict.accepted = True
        verdict.message = _accepted_message(verdict, len(s.baseline_passing))
        return verdict

    def _gate(
        self,
        verdict: GateVerdict,
        nodeids: Sequence[str],
        failing: Sequence[str],
        passing: Sequence[str],
        until: float,
        warm: bool = True,
    ) -> None:
        try:
            run = self.run(nodeids, until, warm)
            self.used_warm = self.used_warm or run.warm
        except TimeoutError:
            verdict.message = f"the candidate's time limit ran out before the {verdict.stage} tests could run."
            raise _Rejected(verdict) from None
        if run.sentinel in ("passed", "exit0"):
            verdict.message = tamper.sentinel_message(run.sentinel)
            raise _Rejected(verdict)
        fixed, still, regressions, newly_flaky, overturned = self.judge(run, failing, passing, until, nodeids)
        if verdict.stage == "selected" and regressions and not still and run.status != "timeout":
            try:
                of_selection = self.failing_at_base(nodeids, until, run.warm)
            except TimeoutError:
                of_selection = set()
            # Failing in this selection at the base too: the suite gate judges them as the baseline ran.
            regressions = [n for n in regressions if n not in of_selection]
        verdict.overturned = sorted(set(verdict.overturned) | set(overturned))
        verdict.fixed = sorted(set(verdict.fixed) | set(fixed))
        verdict.still_failing = still
        verdict.regressions = regressions
        verdict.flaky = sorted(set(verdict.flaky) | set(newly_flaky))
        if run.status == "timeout":
            reached = len(run.outcomes)
            verdict.regressions = [n for n in regressions if n in run.outcomes]
            verdict.message = (
                f"the {verdict.stage} tests hit the candidate's time limit after {reached} test(s); "
                + _problems(run, verdict)
            ).rstrip("; ")
            raise _Rejected(verdict)
        if still or regressions:
            verdict.message = _problems(run, verdict)
            raise _Rejected(verdict)


def _test_function(nodeid: str) -> str:
    """A node id without its parametrization: "t.py::test_f[3-x]" -> "t.py::test_f"."""
    return nodeid.split("[", 1)[0]


# pytest's own id for a value it cannot name: the argument's name and the value's index ("expected7").
_INDEX_ID = re.compile(r"(?<![A-Za-z0-9_.])([A-Za-z_]+)[0-9]+(?![A-Za-z0-9_.])")


def _renamed(missing: Sequence[str], run: TestRun, known: set[str]) -> list[str]:
    """The missing tests the run reported, passing, under an id the baseline never saw that differs
    only in pytest's index ids ("test_f[4-expected12]" for "test_f[4-expected3]").

    Those indices follow the order of the parameters, which, for a set, follows hashing: objects
    hashed by address (None before Python 3.12, objects without __hash__) are ordered differently
    in every process, and no seed fixes that. The cases are the same, only numbered differently.
    """
    def blanked(nodeid: str) -> str:
        function, _, params = nodeid.partition("[")
        return function + "[" + _INDEX_ID.sub(r"\1#", params)

    unseen: dict[str, list[str]] = {}  # id with its indices blanked -> outcomes of new ids
    for nodeid, outcome in run.outcomes.items():
        if nodeid not in known and "[" in nodeid:
            unseen.setdefault(blanked(nodeid), []).append(outcome.outcome)
    renamed: list[str] = []
    for nodeid in missing:
        outcomes = unseen.get(blanked(nodeid)) if "[" in nodeid else None
        if outcomes and all(o == "passed" for o in outcomes):
            outcomes.pop()
            renamed.append(nodeid)
    return renamed


def _verifier_extras(verifier: Verifier, until: float, verdict: GateVerdict) -> dict[str, Any]:
    """The keyword arguments `verifier` accepts of `deadline` and `candidate_id` (older hooks take none)."""
    import inspect

    try:
        params = inspect.signature(verifier).parameters
    except (TypeError, ValueError):
        return {}
    extras = {"deadline": until, "candidate_id": verdict.candidate_id}
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return extras
    return {k: v for k, v in extras.items() if k in params}


def _name_some(nodeids: Sequence[str], run: TestRun) -> str:
    shown = []
    for nodeid in list(nodeids)[:MAX_NAMED]:
        outcome = run.outcomes.get(nodeid)
        if outcome is None:
            shown.append(f"{nodeid} (not run: {'; '.join(run.collection_errors[:1]) or 'not collected'})")
        elif outcome.outcome == "timeout":
            shown.append(f"{nodeid} (timed out: {outcome.message})")
        else:
            detail = outcome.message.splitlines()[0] if outcome.message else outcome.outcome
            shown.append(f"{nodeid} ({detail})")
    more = len(nodeids) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _problems(run: TestRun, verdict: GateVerdict) -> str:
    parts = []
    if verdict.still_failing:
        parts.append(f"still failing: {_name_some(verdict.still_failing, run)}")
    if verdict.regressions:
        parts.append(f"breaks {len(verdict.regressions)} test(s) that passed before: {_name_some(verdict.regressions, run)}")
    return "; ".join(parts) + ("." if parts else "")


def _accepted_message(verdict: GateVerdict, passing: int) -> str:
    fixed = f"fixes {', '.join(verdict.fixed)}" if verdict.fixed else "fixes no failing test (none failed)"
    text = f"{fixed}; the whole suite keeps its {passing} passing test(s)"
    if verdict.flaky:
        text += f" ({len(verdict.flaky)} flaky left out)"
    if verdict.overturned:
        text += f" ({len(verdict.overturned)} failing only in a warm run passed as the baseline ran them)"
    if verdict.verifier:
        text += f"; verifier: {verdict.verifier}"
    return text + "."


# -- scheduling -------------------------------------------------------------------------------


class _Dedupe:
    """The first candidate with a key is validated; later ones with that key wait for its verdict."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done: dict[str, GateVerdict] = {}
        self.owner: dict[str, str] = {}
        self.waiting: dict[str, list[GateVerdict]] = {}

    def claim(self, verdict: GateVerdict) -> GateVerdict | None | bool:
        """True: validate it; a verdict: the copy to report now; None: parked until the owner finishes."""
        key = verdict.normalized_key
        with self.lock:
            if key in self.done:
                return _copy(self.done[key], verdict)
            if key in self.owner:
                self.waiting.setdefault(key, []).append(verdict)
                return None
            self.owner[key] = verdict.candidate_id
            return True

    def finish(self, verdict: GateVerdict) -> list[GateVerdict]:
        key = verdict.normalized_key
        with self.lock:
            self.done[key] = verdict
            return [_copy(verdict, own) for own in self.waiting.pop(key, [])]


def _copy(original: GateVerdict, own: GateVerdict) -> GateVerdict:
    """`own` (a duplicate's patch and edit results) with the verdict of the candidate it duplicates."""
    copied = GateVerdict(
        own.candidate_id,
        original.accepted,
        original.stage,
        own.edit_results,
        list(original.fixed),
        list(original.still_failing),
        list(original.regressions),
        list(original.flaky),
        own.patch,
        own.diff_lines,
        own.normalized_key,
        f"same code as candidate {original.candidate_id} (only whitespace or comments differ); "
        f"its verdict is copied: {original.message}",
        own.seconds,
        original.verifier,
        original.verifier_details,
        original.candidate_id,
        list(original.changed_symbols),
        list(original.selected_tests),
        original.verification,
        list(original.overturned),
        list(original.anti_patterns),
        original.ast_change,
    )
    return copied


class GateRunner:
    """The gates of one run: its workspace (repo, base commit, worktree pool), its test command,
    its baseline (what failed, passed, was flaky or hung at the base) and its settings.

    `run(candidate)` gates one candidate and returns its verdict; `run_all(candidates)` gates a
    batch side by side. Every call gets a fresh time limit, the rest is fixed for the run.
    """

    def __init__(
        self,
        repo: Path,
        *,
        baseline_failing: Sequence[str],
        baseline_passing: Sequence[str],
        flaky: Sequence[str] = (),
        spectra: Spectra | None = None,
        test_cmd: str | Sequence[str] | None = None,
        workers: int = 2,
        per_test_timeout: float | None = 60,
        verifier: Verifier | None = None,
        index: Any | None = None,
        base: str = "HEAD",
        allow_test_edits: bool = False,
        confirm_reruns: int = 1,
        pool: WorktreePool | None = None,
        hanging: Sequence[str] = (),
        allow_paths: Sequence[str] = (),
    ) -> None:
        self.repo, self.base, self.pool, self.workers = repo, base, pool, workers
        self.settings = _Settings(
            baseline_failing=list(baseline_failing), baseline_passing=list(baseline_passing), flaky=list(flaky),
            spectra=spectra, test_cmd=test_cmd, per_test_timeout=per_test_timeout,
            candidate_seconds=DEFAULT_CANDIDATE_SECONDS, verifier=verifier, index=index,
            allow_test_edits=allow_test_edits, confirm_reruns=confirm_reruns, env={}, deadline=None,
            hanging=list(hanging), allow_paths=list(allow_paths),
        )

    def run(self, candidate: Candidate, *, time_limit: float | None = None,
            candidate_time_limit: float | None = None) -> GateVerdict:
        """The verdict on one candidate (one worker)."""
        return self.run_all([candidate], time_limit=time_limit, candidate_time_limit=candidate_time_limit,
                            workers=1)[0]

    def run_all(self, candidates: Sequence[Candidate], *, time_limit: float | None = None,
                candidate_time_limit: float | None = None, workers: int | None = None,
                on_verdict: Callable[[GateVerdict], None] | None = None) -> list[GateVerdict]:
        """One verdict per candidate, in the candidates' order (see `validate`)."""
        started = time.monotonic()
        candidates = list(candidates)
        ids = [c.id for c in candidates]
        if len(set(ids)) != len(ids):
            raise ValueError("candidate ids must be unique.")
        # A fresh copy per call: its own limits, and its own memory of what fails at the base.
        settings = dataclasses.replace(
            self.settings, candidate_seconds=candidate_time_limit or DEFAULT_CANDIDATE_SECONDS,
            deadline=None if time_limit is None else started + time_limit, base_selection={},
            base_lock=threading.Lock(),
        )
        if not candidates:
            return []
        workers = max(1, min(workers or self.workers, len(candidates)))
        pool = self.pool if self.pool is not None else WorktreePool(self.repo, base=self.base, size=workers)
        try:
            settings.env = dict(pool.env)
            return _Batch(settings, pool, candidates, time_limit, on_verdict).run(workers)
        finally:
            if self.pool is None:
                pool.close()


def validate(
    candidates: Sequence[Candidate],
    *,
    repo: Path,
    baseline_failing: Sequence[str],
    baseline_passing: Sequence[str],
    flaky: Sequence[str] = (),
    spectra: Spectra | None = None,
    test_cmd: str | Sequence[str] | None = None,
    workers: int = 2,
    time_limit: float | None = None,
    on_verdict: Callable[[GateVerdict], None] | None = None,
    candidate_time_limit: float | None = None,
    per_test_timeout: float | None = 60,
    verifier: Verifier | None = None,
    index: Any | None = None,
    base: str = "HEAD",
    allow_test_edits: bool = False,
    confirm_reruns: int = 1,
    pool: WorktreePool | None = None,
    hanging: Sequence[str] = (),
    allow_paths: Sequence[str] = (),
) -> list[GateVerdict]:
    """Gate every candidate; one verdict per candidate, in the candidates' order (a GateRunner for one call).

    `time_limit` bounds the whole call (candidates not started by then get stage "skipped"),
    `candidate_time_limit` each candidate (default 600 s), `per_test_timeout` each test.
    `on_verdict` is called once per verdict as it is decided (from worker threads, one call at
    a time). `pool` reuses the caller's WorktreePool (its base must be the baseline's commit);
    otherwise one of `workers` trees of `base` is made and removed before returning.
    `hanging` names tests that ran past their limit at the baseline: no run includes them (they
    can be neither fixed nor broken, and each would cost the limit again).
    `allow_paths` are the user's --allow-path globs: protected files (tools.edits.PROTECTED) they name
    may be edited.
    Raises WorkspaceError when no scratch worktree can be made.
    """
    runner = GateRunner(repo, baseline_failing=baseline_failing, baseline_passing=baseline_passing, flaky=flaky,
                        spectra=spectra, test_cmd=test_cmd, workers=workers, per_test_timeout=per_test_timeout,
                        verifier=verifier, index=index, base=base, allow_test_edits=allow_test_edits,
                        confirm_reruns=confirm_reruns, pool=pool, hanging=hanging, allow_paths=allow_paths)
    return runner.run_all(candidates, time_limit=time_limit, candidate_time_limit=candidate_time_limit,
                          on_verdict=on_verdict)


class _Batch:
    """One run_all call: worker threads, one scratch tree each, take candidates off a shared queue."""

    def __init__(self, settings: _Settings, pool: WorktreePool, candidates: list[Candidate],
                 time_limit: float | None, on_verdict: Callable[[GateVerdict], None] | None) -> None:
        self.settings, self.pool, self.candidates = settings, pool, candidates
        self.time_limit, self.on_verdict = time_limit, on_verdict
        self.verdicts: dict[str, GateVerdict] = {}
        self.report_lock = threading.Lock()
        self.queue = list(reversed(candidates))
        self.queue_lock = threading.Lock()
        self.stop = threading.Event()
        self.dedupe = _Dedupe()
        self.errors: list[WorkspaceError] = []

    def run(self, workers: int) -> list[GateVerdict]:
        threads = [threading.Thread(target=self.worker, name=f"suture-validate-{i}", daemon=True)
                   for i in range(workers)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.2)  # short joins: Ctrl-C and SIGTERM are handled while we wait
        except BaseException:
            self.stop.set()
            _stop_workers(threads, self.pool.token)
            raise
        if self.errors and not self.verdicts:
            raise self.errors[0]
        for candidate in self.candidates:
            if candidate.id not in self.verdicts:  # a worker lost its tree: say so rather than drop the candidate
                reason = f"; {self.errors[0]}" if self.errors else ""
                self.verdicts[candidate.id] = GateVerdict(candidate.id, False, "skipped",
                                                          message=f"not validated{reason}.")
        return [self.verdicts[c.id] for c in self.candidates]

    def report(self, verdict: GateVerdict) -> None:
        with self.report_lock:
            self.verdicts[verdict.candidate_id] = verdict
            if self.on_verdict is not None:
                self.on_verdict(verdict)

    def next_candidate(self) -> Candidate | None:
        with self.queue_lock:
            return self.queue.pop() if self.queue and not self.stop.is_set() else None

    def one(self, candidate: Candidate, tree: Path) -> None:
        begun = time.monotonic()
        until = begun + self.settings.candidate_seconds
        if self.settings.deadline is not None:
            until = min(until, self.settings.deadline)
        keeper = _Gatekeeper(self.settings, tree, self.pool.inside)
        owner = False
        try:
            try:
                verdict, changes = keeper.apply(candidate)
                claim = self.dedupe.claim(verdict)
                if claim is None:
                    return  # parked: reported when the first candidate of its key is decided
                if isinstance(claim, GateVerdict):
                    claim.seconds = time.monotonic() - begun
                    self.report(claim)
                    return
                owner = True
                verdict = keeper.gates(verdict, changes, until)
            except _Rejected as rejected:
                verdict = rejected.verdict
            except (TestRunError, WorkspaceError, OSError) as error:
                verdict = GateVerdict(candidate.id, False, "edit", message=f"could not be validated: {error}")
        except Exception as error:  # a bug in a gate must not take the other candidates down
            verdict = GateVerdict(
                candidate.id, False, "edit", message=f"internal error while validating: {type(error).__name__}: {error}"
            )
        verdict.seconds = time.monotonic() - begun
        self.report(verdict)
        if owner:
            for copy in self.dedupe.finish(verdict):
                self.report(copy)

    def worker(self) -> None:
        tree = None
        try:
            while not self.stop.is_set():
                candidate = self.next_candidate()
                if candidate is None:
                    return
                if self.settings.deadline is not None and time.monotonic() >= self.settings.deadline:
                    self.report(_skipped(candidate, self.time_limit))
                    continue
                if tree is None:
                    tree = self.pool.acquire()
                try:
                    self.one(candidate, tree)
                finally:
                    if not self.stop.is_set():
                        self.pool.reset(tree)
        except WorkspaceError as error:
            if not self.stop.is_set():
                self.errors.append(error)
        finally:
            if tree is not None and not self.stop.is_set() and not self.pool.closed:
                self.pool.release(tree)


def _skipped(candidate: Candidate, time_limit: float | None) -> GateVerdict:
    return GateVerdict(
        candidate.id, False, "skipped", message=f"not validated: the overall time limit of {time_limit:g} s was reached."
    )


def _stop_workers(threads: list[threading.Thread], token: str, patience: float = 15.0) -> None:
    """Kill the tests the workers run (wherever they went) until every worker has returned."""
    deadline = time.monotonic() + patience
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        kill_token_holders(token)
        for thread in threads:
            thread.join(0.1)
