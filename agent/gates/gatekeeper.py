"""The gates of one candidate in one scratch tree: apply its edits, the named risks, the selected tests,
the whole suite, the verifier; and the test judgement they share (regressions confirmed as the
baseline ran them, flaky and renamed tests left out). agent/gates/validate.py schedules them.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.agent.gates import antipatterns, tamper
from suture.agent.gates.patches import FileChange, changed_lines, diff_line_count, symbols_of, touched
from suture.agent.gates.verdict import Candidate, GateVerdict
from suture.retrieval.model import Symbol
from suture.tools.edits import EditStatus, apply_edits, diff_worktree, normalized_key
from suture.tools.git import cmd as gitcmd
from suture.tools.git.diffs import worktree_location
from suture.tools.testing.localize import select_tests
from suture.tools.testing.plugin_env import STOP_AT_HANG_ENV
from suture.tools.testing.spectra import Spectra
from suture.tools.testing.testrun import FAILING, TestRun, is_pytest_command, run_tests

__all__ = ["COUNTEREXAMPLE", "GateSettings", "Gatekeeper", "Rejected", "Verifier"]

# verifier(tree, changed_symbols) -> (verdict_name, details) or (verdict_name, details, data): `data`
# (a JSON-able dict) lands in GateVerdict.verification. A verifier that takes the keyword
# arguments `deadline` (time.monotonic() of the candidate's limit) or `candidate_id` gets them.
Verifier = Callable[..., tuple]

COUNTEREXAMPLE = "counterexample"
MAX_NAMED = 3  # tests named in one message



@dataclass
class GateSettings:
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
    # False: no test gate runs (optimize on a repository without passing tests); the edits, the named
    # risks and the verifier still do.
    run_tests: bool = True
    # False: every gate run starts a fresh pytest (one run per candidate, no warm pytest to start and
    # no fresh confirmation after it): cheaper for a run that gates only a few candidates.
    warm_runs: bool = True
    # Each selection's outcomes at the base commit (see Gatekeeper.base_run), by (selection,
    # warm); shared by the worker threads.
    base_selection: dict[tuple[tuple[str, ...], bool], tuple[dict[str, str], bool]] = field(default_factory=dict)
    base_lock: threading.Lock = field(default_factory=threading.Lock)
    # Files of the base commit and their symbols, by (commit, path): every candidate of a run reads the
    # same few base files (its changed functions, the named risks, the selection's base run), and a
    # `git show` per read cost a process each. Kept for the whole run (not reset per call): a commit's
    # files never change. Filled by the worker threads; a lost race only reads a file twice.
    base_files: dict[tuple[str, str], bytes | None] = field(default_factory=dict)
    base_symbols: dict[tuple[str, str], list[Symbol]] = field(default_factory=dict)
    # Each scratch tree's (top, index file), asked of git once per tree rather than once per candidate
    # (a `git rev-parse` process each): the pool resets a tree to the same commit and never moves it.
    tree_locations: dict[Path, tuple[Path, Path]] = field(default_factory=dict)


class Rejected(Exception):
    def __init__(self, verdict: GateVerdict) -> None:
        self.verdict = verdict


class Gatekeeper:
    """Runs the gates for one candidate in one scratch tree."""

    def __init__(self, settings: GateSettings, tree: Path, repo_inside: Path, commit: str = "HEAD") -> None:
        self.s = settings
        self.tree = tree
        self.commit = commit  # the base commit the tree is a checkout of (its HEAD)
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
            raise Rejected(verdict)
        if not candidate.edits:
            verdict.message = "the candidate has no edits."
            raise Rejected(verdict)
        where = self.s.tree_locations.get(self.tree)
        if where is None:
            where = self.s.tree_locations.setdefault(self.tree, worktree_location(self.tree))
        verdict.patch = diff_worktree(self.tree, where=where)
        if not verdict.patch.strip():
            # Every edit applied, so something should differ: ask again hashing every file rather
            # than trusting git's stat cache (a same-size edit right after a reset was once read
            # as "no change" under heavy load; cause not pinned down).
            verdict.patch = diff_worktree(self.tree, trust_stat_cache=False, where=where)
        verdict.diff_lines = diff_line_count(verdict.patch)
        if not verdict.patch.strip():
            verdict.message = "the edits leave every file as it was."
            raise Rejected(verdict)
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
                    symbols = self._base_symbols(change.old_path)
                before += touched(symbols, change.old_lines)
            if change.new_path is not None:
                path = self.rel(change.new_path)
                try:
                    source = (self.tree / path).read_bytes()
                except OSError:
                    source = None
                after += touched(symbols_of(path, source), change.new_lines)
        return before, after

    def _base_bytes(self, git_path: str) -> bytes | None:
        """The file at the base commit (None when it has none), read once per run."""
        key = (self.commit, git_path)
        if key not in self.s.base_files:
            self.s.base_files[key] = gitcmd.file_at(self.tree, self.commit, git_path)
        return self.s.base_files[key]

    def _base_symbols(self, git_path: str) -> list[Symbol]:
        """The symbols of the file at the base commit, parsed once per run (callers only filter them)."""
        key = (self.commit, git_path)
        if key not in self.s.base_symbols:
            self.s.base_symbols[key] = symbols_of(self.rel(git_path), self._base_bytes(git_path))
        return self.s.base_symbols[key]

    def run(self, nodeids: Sequence[str], until: float, warm: bool = True, stop_at_hang: bool = False) -> TestRun:
        """`stop_at_hang`: the run ends after the first test that runs past its limit (the selected gate)."""
        left = until - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return run_tests(
            self.tree,
            test_cmd=self.s.test_cmd,
            nodeids=nodeids,
            timeout=left,
            per_test_timeout=self.s.per_test_timeout,
            extra_env={**self.s.env, STOP_AT_HANG_ENV: "1"} if stop_at_hang else self.s.env,
            warm=warm,
            deselect=self.s.hanging,
            sentinel=True,  # a test that must fail: if it passes, the candidate rewrote the results
        )

    def judge(
        self, run: TestRun, failing: Sequence[str], passing: Sequence[str], until: float, nodeids: Sequence[str] = (),
        selection: bool = False,
    ) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
        """(fixed, still_failing, regressions, newly_flaky, overturned) of a run against the base outcomes.

        A test counts as a regression only if it also fails as the baseline ran it: after a warm
        run, in a fresh process (the baseline never runs warm), by its node id, unless its
        traceback runs through the changed files, or (`selection`: the selected gate) it passed at
        the base in this same selection forked from the same warm pytest, where the conditions are
        the run's and only the patch differs; a test the run did not report at all (no collection
        error to explain it) in a fresh run of the same selection, which is how the baseline met it.
        `overturned` names the tests such a re-run found passing.
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
        if selection and any(outcome.get(n) == "timeout" for n in (*failing, *passing)):
            # A hang rejects (never re-run); the run stopped at it: the tests after it are no regressions.
            return fixed, still, [n for n in broken if n in outcome], newly_flaky, renamed
        # A candidate that leaves a failing test failing is rejected whatever a re-run says: skip it.
        # Hangs are not re-run (they would only cost the time again).
        if still or not (self.s.test_cmd is None or is_pytest_command(self.s.test_cmd)) or not broken:
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
        if run.warm and unexplained and selection:
            # Passing at the base in this selection under the same conditions (a fork of the same warm
            # pytest): failing twice with the patch is the patch's doing, and a fresh process would only
            # say so again. The base run is the one the selected gate makes for regressions anyway
            # (failing_at_base, kept for this call's candidates), so a rejected candidate costs no fresh pytest.
            try:
                at_base, forked = self.base_run(nodeids, until, warm=True)
            except TimeoutError:
                at_base, forked = {}, False
            if forked:  # not when the warm pytest was gone and the base ran fresh
                unexplained = [n for n in unexplained if at_base.get(n) != "passed"]
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
        did.
        """
        return {n for n, outcome in self.base_run(nodeids, until, warm)[0].items() if outcome in FAILING}

    def base_run(self, nodeids: Sequence[str], until: float, warm: bool) -> tuple[dict[str, str], bool]:
        """({node id: outcome}, forked from the warm pytest) of this selection run at the base commit.
        Measured once per selection: the candidate's files are set back to the base in this private
        tree for the run and restored after it."""
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
            done = self.run(nodeids, until, warm)
            measured = ({n: o.outcome for n, o in done.outcomes.items()}, done.warm)
        finally:
            for path, data in candidate.items():
                file = self.tree / self.rel(path)
                if data is None:
                    file.unlink(missing_ok=True)
                else:
                    file.write_bytes(data)
        with self.s.base_lock:
            self.s.base_selection[key] = measured
        return measured

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
            raise Rejected(verdict)
        before, after = self.changed_symbols(changes)
        verdict.changed_symbols = [f"{sym.path}::{sym.qualname}" for sym in before]
        verdict.flaky = sorted(s.flaky)
        if s.run_tests:
            self._test_gates(verdict, before, until)
        if s.verifier is not None:
            self._verifier_gate(verdict, after, until)
        verdict.accepted = True
        verdict.message = _accepted_message(verdict, len(s.baseline_passing))
        return verdict

    def _test_gates(self, verdict: GateVerdict, before: list[Symbol], until: float) -> None:
        """The selected tests, then the whole suite (confirmed in a fresh process after warm runs)."""
        s = self.s
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
            self._gate(verdict, by_function, failing, passing, until, warm=s.warm_runs)

        # Gate: the whole suite (unless the selected run already was the whole suite).
        verdict.stage = "suite"
        everything = (set(s.baseline_failing) | set(s.baseline_passing)) - set(s.flaky)
        if not selected or not everything <= set(selected):
            self._gate(verdict, (), s.baseline_failing, s.baseline_passing, until, warm=s.warm_runs)
        # When the gates above ran in children forked from a warm pytest (ten times cheaper to
        # start), a verdict that lets a candidate through is confirmed in a fresh process.
        if self.used_warm:
            self._gate(verdict, (), s.baseline_failing, s.baseline_passing, until, warm=False)

    def _verifier_gate(self, verdict: GateVerdict, after: list[Symbol], until: float) -> None:
        verifier = self.s.verifier
        verdict.stage = "verifier"
        try:
            name, details, *data = verifier(self.tree, after, **_verifier_extras(verifier, until, verdict))
        except Exception as error:  # a verifier that breaks says nothing about the patch
            name, details, data = "unsupported", f"the verifier failed: {type(error).__name__}: {error}", []
        verdict.verifier, verdict.verifier_details = name, details
        verdict.verification = data[0] if data else None
        if name == COUNTEREXAMPLE:
            verdict.message = f"the verifier found a counterexample: {details}".strip()
            raise Rejected(verdict)

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
            # The selected tests stop at their first hang: it rejects the candidate (judge), and each
            # further test a looping candidate hangs would cost a whole per-test limit.
            run = self.run(nodeids, until, warm, stop_at_hang=verdict.stage == "selected")
            self.used_warm = self.used_warm or run.warm
        except TimeoutError:
            verdict.message = f"the candidate's time limit ran out before the {verdict.stage} tests could run."
            raise Rejected(verdict) from None
        if run.sentinel in ("passed", "exit0"):
            verdict.message = tamper.sentinel_message(run.sentinel)
            raise Rejected(verdict)
        verdict.hung = sorted(n for n, o in run.outcomes.items() if o.outcome == "timeout")
        fixed, still, regressions, newly_flaky, overturned = self.judge(run, failing, passing, until, nodeids,
                                                                        selection=verdict.stage == "selected")
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
            raise Rejected(verdict)
        if still or regressions:
            verdict.message = _problems(run, verdict)
            raise Rejected(verdict)


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
            stopped = any(o.outcome == "timeout" for o in run.outcomes.values()) and "stopped at a hang"
            shown.append(f"{nodeid} (not run: {'; '.join(run.collection_errors[:1]) or stopped or 'not collected'})")
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

