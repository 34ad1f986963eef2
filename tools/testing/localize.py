"""Spectrum-based fault localisation: which functions the failing tests point at.

One run of the suite at HEAD, in a scratch worktree, with `coverage_plugin` recording
per-test line coverage (split by test file over two processes where the machine and the suite allow:
tools/testing/shards.py): the same run gives the outcomes and the spectra. Tests that
fail are re-run `reruns` times to set flaky ones apart: in the same pytest session,
right after the failure (pytest_results_plugin's SUTURE_RERUNS, under a coverage
context the spectra ignore), so the flake check costs no extra process. A test that
passes any rerun is flaky, reported and left out. Since the rerun shares the process,
a failure caused by state an earlier test left behind repeats and counts as real (the
suite as run at HEAD does fail it); a test without in-session reruns (xdist workers, a
process killed during it) is re-run in a separate pytest process, as before. The
failing set is what really fails at HEAD, never taken from elsewhere; `failing_tests`
only narrows it.

Line scores (Ochiai by default) are lifted to the innermost function or method that
holds the line; lines in a class body outside its methods go to the class, module-level
lines to the file's "<module>", so no scored line is dropped. A symbol's score is the
max over its lines, raised by what the failing tests' failures say (see tools/testing/suspects.py), with
ties broken by how much of the symbol is suspicious:

- traceback frames inside the repo's own source: the innermost (the code that raised)
  most, the callers less; a function counts once per test;
- a failure that *used* a None ('NoneType' errors, `assert None == ...`) points away
  from where it blew up, to what made the None: the innermost frame gets only a
  caller's share, and the functions named on the failing line (or in pytest's report
  of it, "where None = obj.median") are raised;
- functions named on the failing line get a small lift (a tie-breaker: the failing
  expression calls them directly);
- a `__repr__` run only by failing tests that never ask for a repr before their failing
  line is lowered: pytest's report of a failed assert calls repr() on its operands.

Every signal above comes from the run at HEAD (coverage, outcomes, messages, frames) and the
tree's own code. An issue text, when given, adds two signals of its own beside them (code
search on its words, the frames of a traceback it quotes: tools/testing/issue_signals.py),
combined with the above as tools/testing/combine.py says; without one the ranking is the
spectra's alone.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suture.retrieval.model import CLASS, Symbol
from suture.retrieval.testfiles import is_test_path
from suture.tools.testing import pytest_shim
from suture.tools.testing.plugin_env import ENV_FILE, ENV_ROOT
from suture.tools.testing.combine import WEIGHTS, effective_weights, fitted_weight, load_fitted, weights_path
from suture.tools.testing.features import FEATURES, SBFL_FEATURES
from suture.tools.testing.issue_signals import IssueEvidence, issue_evidence
from suture.tools.testing.shards import run_sharded, shard_count
from suture.tools.testing.setup_errors import SetupErrorGroup, group_setup_errors, setup_error_ids, summary
from suture.tools.testing.spectra import FORMULAS, Line, Spectra
from suture.tools.testing.statements import raised_line_scores, statement_ranking
from suture.tools.testing.suspects import Fitted, Suspect, identifiers, line_text, message_names, outside_source, rank
from suture.tools.testing.testrun import (
    NoTestsFound,
    TestRun,
    TestRunError,
    detect_test_command,
    is_pytest_command,
    prestart_warm,
    pytest_interpreter,
    run_tests,
    shorten_after_hang_env,
)
from suture.tools.git.worktree import WorkspaceError, scratch_worktree

if TYPE_CHECKING:  # imported when mutation evidence is asked for: the rule engine's edits come with it
    from suture.tools.testing.mutation import MutationEvidence, MutationPlan

COVERAGE_PLUGIN = "suture.tools.testing.coverage_plugin"
COVERAGE_FILE_NAME = "coverage.db"
class LocalizeError(Exception):
    """Localisation cannot run on this input; the message is one sentence for the user."""


class NoFailingTestError(LocalizeError):
    """Every test passes (or fails only flakily) at HEAD: there is nothing to localise from."""


class NoTestsCollected(LocalizeError):
    """The test command finds no test at all (no configuration, no test files, nothing collected)."""


@dataclass
class Localization:
    ranking: list[Suspect]
    failing: list[str]
    flaky: list[str]
    coverage_file: Path
    line_scores: dict[Line, float]
    formula: str = "ochiai"
    spectra: Spectra | None = field(default=None, repr=False)
    run: TestRun | None = field(default=None, repr=False)
    setup_errors: list[SetupErrorGroup] = field(default_factory=list)  # not targets (tools/testing/setup_errors.py)
    notes: list[str] = field(default_factory=list)  # what the user should know about this ranking
    weights: dict[str, float] = field(default_factory=dict)  # the weight each signal beside SBFL had (0: left out)
    statements: list[dict[str, Any]] = field(default_factory=list)  # the top suspects' lines (tools/testing/statements.py)
    mutation: MutationEvidence | None = None  # when asked for (tools/testing/mutation.py)
    combination: str = "hand"  # "fitted": a fitted weights file ranked (tools/testing/combine.py); "hand": combine.WEIGHTS

    def to_dict(self, explain: bool = False) -> dict[str, Any]:
        return {**({"weights": self.weights, "combination": self.combination} if explain else {}),
            "ranking": self.explained() if explain else [s.to_dict() for s in self.ranking],
            "statements": self.statements,
            **({"mutation": self.mutation.to_dict()} if self.mutation is not None else {}),
            "failing": self.failing,
            "flaky": self.flaky,
            "setup_errors": [g.to_dict() for g in self.setup_errors],
            "formula": self.formula,
            "coverage_file": str(self.coverage_file),
            "notes": self.notes,
        }


    def explained(self) -> list[dict[str, Any]]:
        """The ranking with each suspect's signals and, for the top ones, its most suspicious lines."""
        lines = {(s["path"], s["symbol"]): s["lines"] for s in self.statements}
        return [{**s.to_dict(True), **({"lines": lines[(s.path, s.symbol)]} if (s.path, s.symbol) in lines else {})}
                for s in self.ranking]


def _fresh_coverage_file(run_dir: Path | None) -> Path:
    """The coverage data file in `run_dir` (a fresh temp dir when None), no stale data beside it."""
    run_dir = Path(run_dir) if run_dir is not None else Path(tempfile.mkdtemp(prefix="suture-localize-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    coverage_file = (run_dir / COVERAGE_FILE_NAME).resolve()
    for stale in [coverage_file, *coverage_file.parent.glob(coverage_file.name + ".*")]:
        stale.unlink(missing_ok=True)
    return coverage_file


def localize(
    repo: Path,
    *,
    index: Any | None = None,
    test_cmd: str | Sequence[str] | None = None,
    failing_tests: Sequence[str] = (),
    formula: str = "ochiai",
    run_dir: Path | None = None,
    top: int | None = None,
    reruns: int = 2,
    timeout: float = 600,
    per_test_timeout: float | None = 60,
    rev: str = "HEAD",
    issue_text: str | None = None,
    index_cache: Path | None = None,
    shorten_after_hang: bool = False,
    mutation: MutationPlan | None = None,
) -> Localization:
    """Rank the repo's functions by how strongly HEAD's failing tests point at them.

    `rev` tests another commit instead of HEAD (e.g. HEAD plus a reproduction test).
    `issue_text` adds the issue's signals (code search on its words, the frames of a traceback
    it quotes; tools/testing/issue_signals.py) beside the spectra, combined as
    tools/testing/combine.py says; `index_cache` is where the index they need is cached (a
    temporary directory when None).
    `index` (a SymbolIndex of the tree at HEAD) is optional: without it only the files
    holding suspicious lines are parsed. The coverage data stays in `run_dir`
    (a fresh temp dir when None) for test selection and later stages. `shorten_after_hang` gives the
    tests after a first hang a short limit (testrun.shorten_after_hang_env), for a budgeted run.
    `mutation` adds mutation evidence on the top suspects (tools/testing/mutation.py) as the signal
    `mutation`, and raises the mutated lines' scores by it.
    """
    if formula not in FORMULAS:
        raise LocalizeError(f"unknown formula {formula!r}; choose one of {', '.join(FORMULAS)}.")
    if test_cmd is not None and not is_pytest_command(test_cmd):
        raise LocalizeError(f"localisation needs per-test results, which only a pytest command gives, not {test_cmd!r}.")
    coverage_file = _fresh_coverage_file(run_dir)
    started = time.monotonic()  # `timeout` covers the run and its reruns
    try:
        with scratch_worktree(repo, rev) as tree:
            command = test_cmd if test_cmd is not None else detect_test_command(tree)
            common = dict(test_cmd=command, timeout=max(1.0, started + timeout - time.monotonic()),
                          per_test_timeout=per_test_timeout)
            notes = _coverage_notes(command)
            covered = not notes  # else no covering tests to mutate against
            # the mutation step's warm pytest loads during the coverage run, on a core that run leaves idle
            warm = (lambda: prestart_warm(tree, command)) if mutation is not None and covered and mutation.prestart \
                else None
            run = _coverage_run(tree, coverage_file, reruns, common, shorten_after_hang, warm, covered)
            _check_run(run)
            notes += _cut_run_note(run, timeout)
            setup_errors = group_setup_errors(run)
            candidates = _narrow(run, failing_tests)
            failing, flaky = _split_flaky(tree, run, candidates, reruns, common, started + timeout)
            if not failing:
                raise NoFailingTestError(_no_failure_message(run, flaky, setup_errors))
            spectra = Spectra.from_coverage(coverage_file, tree, {n: o.outcome for n, o in run.outcomes.items()})
            issue = _issue_evidence(tree, issue_text, index, index_cache)
            notes += issue.notes
            passing = [n for n in run.passed if n not in flaky]
            found = _Ranked(tree, run, spectra, failing, passing, _symbol_source(tree, index), formula, covered, issue,
                            _fitted(spectra, failing, passing, notes) if covered and formula == "ochiai" else None)
            if mutation is not None and covered:  # without coverage there are no covering tests to run
                notes += found.add_mutation(mutation, command, started + timeout)
            weights = _weights_used([*found.signals, *issue.weights_off], issue.weights_off, found.fitted)
            ranking, line_scores, evidence, statements = found.ranking, found.line_scores, found.evidence, found.lines()
    except NoTestsFound as error:
        raise NoTestsCollected(str(error)) from None
    except (WorkspaceError, TestRunError) as error:
        raise LocalizeError(str(error)) from None
    if top is not None:
        ranking = ranking[:top]
    if setup_errors and not failing_tests:
        notes.append(summary(setup_errors))
    return Localization(ranking, failing, flaky, coverage_file, line_scores, formula, spectra, run, setup_errors, notes,
                        weights, statements, evidence, "fitted" if found.fitted is not None else "hand")


def _coverage_run(tree: Path, coverage_file: Path, reruns: int, common: dict, shorten_after_hang: bool,
                  warm: Callable[[], Any] | None = None, covered: bool = True) -> TestRun:
    """HEAD's run with per-test coverage: split by test file over the machine's cores where it can be
    (tools/testing/shards.py), else one process (always without coverage: the shards are the coverage
    plugin's). `warm` (starting the mutation step's warm pytest) is called where a core is free: at
    once beside one process, when the first shard ends beside two."""
    extra_env = {ENV_FILE: str(coverage_file), ENV_ROOT: str(tree),
                 **(shorten_after_hang_env() if shorten_after_hang else {})}
    shards = shard_count(tree, common["test_cmd"]) if covered else 1
    if shards > 1:
        return run_sharded(tree, shards, coverage_file, extra_env, pytest_plugins=[COVERAGE_PLUGIN], reruns=reruns,
                           first_done=warm, **common)
    if warm is not None:
        warm()
    return run_tests(tree, pytest_plugins=[COVERAGE_PLUGIN], reruns=reruns, **common, extra_env=extra_env)


class _Ranked:
    """The ranking of one run's evidence, and the same again once mutation evidence joins it."""

    def __init__(self, tree: Path, run: TestRun, spectra: Spectra, failing: list[str], passing: list[str],
                 symbols_of: Callable[[str], list[Symbol]], formula: str, covered: bool, issue: IssueEvidence,
                 fitted: Fitted | None = None):
        self.tree, self.run, self.spectra, self.failing, self.symbols_of = tree, run, spectra, failing, symbols_of
        self.frames = {n: run.outcomes[n].frames for n in failing}
        self.messages = {n: run.outcomes[n].message for n in failing}
        if covered:
            self.line_scores = spectra.scores(failing, passing, formula)
        else:  # no coverage for that Python: what the failures name stands in for the spectra
            self.line_scores = _failure_scores(tree, failing, self.frames, self.messages, symbols_of, _reader(tree))
        self.base_scores = self.line_scores  # what the functions are ranked by (mutation raises only lines)
        self.signals: dict[str, Any] = dict(issue.signals)
        self.weights_off = issue.weights_off
        self.fitted = fitted  # a fitted weights file's combination, or None for combine.WEIGHTS
        self.evidence: MutationEvidence | None = None
        self.ranking = self._rank()

    def _rank(self) -> list[Suspect]:
        return rank(self.base_scores, self.spectra, self.symbols_of, self.frames, self.failing, _reader(self.tree),
                    self.messages, self.signals, self.weights_off, self.fitted)

    def lines(self) -> list[dict[str, Any]]:
        """The top suspects' lines, best first (tools/testing/statements.py)."""
        return statement_ranking(self.ranking, self.line_scores, _line_reader(self.tree),
                                 self.evidence.line_values if self.evidence else None)

    def add_mutation(self, plan: MutationPlan, command: Any, end: float) -> list[str]:
        """Mutation evidence on the current ranking's top, ranked in; returns its notes."""
        from suture.tools.testing.mutation import mutation_evidence

        self.evidence = mutation_evidence(self.tree, self.ranking, self.spectra, self.run, self.failing,
                                          self.line_scores, plan, test_cmd=command, budget_end=end)
        self.signals["mutation"] = self.evidence.signals
        self.ranking = self._rank()
        self.line_scores = raised_line_scores(self.line_scores, self.ranking, self.evidence.line_values,
                                              WEIGHTS["mutation"])
        return self.evidence.notes


def _weights_used(names: list[str], weights_off: list[str], fitted: Fitted | None) -> dict[str, float]:
    """The weight each signal had (0: left out): every feature's fitted weight, else the hand-set ones."""
    if fitted is None:
        return effective_weights(names, weights_off)
    return {name: 0.0 if name in weights_off else fitted_weight(fitted.weights, name) for name in FEATURES}


def _fitted(spectra: Spectra, failing: list[str], passing: list[str], notes: list[str]) -> Fitted | None:
    """The fitted combination's inputs (tools/testing/combine.py) when a weights file is asked for, or
    None (with a note when that file cannot be read): the hand-set combination then ranks."""
    path = weights_path()
    if path is None:
        return None
    weights, problem = load_fitted(path)
    if weights is None:
        notes.append(problem)
        return None
    formula_scores = {f: spectra.scores(failing, passing, f) for f in SBFL_FEATURES}  # ochiai's: `ochiai_plain`
    return Fitted(weights, formula_scores)


def _issue_evidence(tree: Path, text: str | None, index: Any | None, cache: Path | None) -> IssueEvidence:
    """The issue text's signals over the tree (none without a text)."""
    if not text or not text.strip():
        return IssueEvidence()
    from suture.retrieval.index import SymbolIndex
    from suture.retrieval.search import CodeSearch

    with tempfile.TemporaryDirectory(prefix="suture-issue-index-") as scratch:
        cache_dir = Path(cache) if cache is not None else Path(scratch)
        if index is None:
            index = SymbolIndex.build(tree, cache_dir=cache_dir, workers=1)
        return issue_evidence(text, index, CodeSearch(index, cache_dir=cache_dir))


def _coverage_notes(command: Any) -> list[str]:
    """[a note] when the tests' interpreter can have no per-test coverage (tools/testing/pytest_shim.py), else []."""
    python = pytest_interpreter(command)
    if python is None or python == sys.executable or pytest_shim.coverage_path(python) is not None:
        return []
    return [f"per-test coverage was not recorded: {python} has no coverage.py and suture's cannot run on its "
            "Python version; the ranking comes from the failing tests' tracebacks and the functions their failing "
            "lines call (install coverage there for spectra)."]


def _failure_scores(tree: Path, failing: list[str], frames: dict[str, list[Any]], messages: dict[str, str],
                    symbols_of: Callable[[str], list[Symbol]], read_text: Callable[[str], str]) -> dict[Line, float]:
    """Line scores without coverage, from what each failure names: the innermost in-repo frame of
    its traceback (1), the callers (0.5), and the functions called on the test's failing line or
    named in its message (0.5; a wrong value fails in the test, not where it was made). Each score
    is the share of failing tests that point there."""
    scores: dict[Line, float] = defaultdict(float)
    by_name: dict[str, list[Symbol]] | None = None
    for nodeid in failing:
        test_frames = list(frames.get(nodeid, ()))
        seen: dict[Line, float] = {}
        for depth, frame in enumerate(reversed([f for f in test_frames if not outside_source(f.path)])):
            seen[(frame.path, frame.line)] = max(seen.get((frame.path, frame.line), 0.0), 1.0 if depth == 0 else 0.5)
        in_tree = [f for f in test_frames if not Path(f.path).is_absolute()]
        if in_tree:
            if by_name is None:
                by_name = defaultdict(list)
                for path in _source_files(tree):
                    for symbol in symbols_of(path):
                        if symbol.kind != CLASS:
                            by_name[symbol.name].append(symbol)
            crash = in_tree[-1]
            named = identifiers(line_text(read_text, crash.path, crash.line)) | message_names(messages.get(nodeid, ""))
            for name in named:
                for symbol in by_name.get(name, ()):
                    key = (symbol.path, symbol.start_line)
                    seen[key] = max(seen.get(key, 0.0), 0.5)
        for key, value in seen.items():
            scores[key] += value / len(failing)
    return dict(scores)


def _source_files(tree: Path) -> list[str]:
    """The tree's non-test Python files, repo-relative (virtualenvs and hidden directories left out)."""
    found = []
    for root, dirs, files in os.walk(tree):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("venv", "env", "node_modules", "__pycache__")]
        for name in files:
            rel = (Path(root) / name).relative_to(tree).as_posix()
            if name.endswith(".py") and not is_test_path(rel):
                found.append(rel)
    return sorted(found)


def select_tests(spectra: Spectra, changed: Sequence[tuple[str, int, int]]) -> list[str]:
    """Node ids of the tests that ran any line of the changed (path, start_line, end_line) spans, sorted."""
    selected: set[str] = set()
    for path, start, end in changed:
        selected |= spectra.tests_covering(path, start, end)
    return sorted(selected)


# -- the run ---------------------------------------------------------------------------------


def _check_run(run: TestRun) -> None:
    if run.outcomes:
        return  # partial results (a timeout, a broken module) still localise what they can
    if run.status == "no_tests":
        raise NoTestsCollected("no tests were collected at HEAD; there is nothing to localise from.")
    if run.collection_errors:
        raise LocalizeError(f"the tests could not be collected at HEAD: {run.collection_errors[0]}")
    if run.status == "timeout":
        raise LocalizeError("the test run hit its time limit before any test finished.")
    said = _last_words(run.output_tail)
    raise LocalizeError(f"the test run ended ({run.status}, exit {run.returncode}) without a single test result"
                        + (f"; it said: {said}" if said else "."))


def _cut_run_note(run: TestRun, timeout: float) -> list[str]:
    """Tests that never ran implicate nothing: a run cut by its limit is ranked from the rest, and says so."""
    if run.status != "timeout":
        return []
    return [f"the test run hit its {timeout:g} s limit after {len(run.outcomes)} test(s); "
            "the ranking comes from those alone."]


def _last_words(output: str) -> str:
    """The last line of a run's output that says something (an error, a usage message), shortened."""
    lines = [line.strip() for line in output.splitlines() if line.strip() and not set(line.strip()) <= set("=-_ ")]
    errors = [line for line in lines if "error" in line.lower()]
    line = (errors or lines or [""])[-1]
    return line if len(line) <= 300 else line[:297] + "..."


def _narrow(run: TestRun, failing_tests: Sequence[str]) -> list[str]:
    """The failing tests of `run`, restricted to those `failing_tests` names (a node id, or a
    prefix of node ids such as a file, a class or a test without its parameters)."""
    failed = run.failed
    if not failing_tests:
        # A test that errors at set-up (a service, an unset variable) shows no bug in the code.
        not_run = set(setup_error_ids(run))
        return [n for n in failed if n not in not_run]
    chosen: list[str] = []
    for wanted in failing_tests:
        matches = [n for n in run.outcomes if _names(wanted, n)]
        if not matches:
            raise LocalizeError(f"--failing-test {wanted} names no test of this suite at HEAD.")
        failing = [n for n in matches if n in failed]
        if not failing:
            raise LocalizeError(f"--failing-test {wanted} does not fail at HEAD (it {run.outcomes[matches[0]].outcome}).")
        chosen += [n for n in failing if n not in chosen]
    return chosen


def _names(wanted: str, nodeid: str) -> bool:
    wanted = wanted.rstrip("/")
    return nodeid == wanted or nodeid.startswith((wanted + "::", wanted + "[", wanted + "/"))


def _split_flaky(
    tree: Path, run: TestRun, candidates: list[str], reruns: int, common: dict, deadline: float
) -> tuple[list[str], list[str]]:
    """(failing, flaky): one pass, in the session's reruns or in a re-run process, makes a test flaky.

    Tests the session re-ran `reruns` times are settled there; the rest (no in-session
    reruns: xdist workers, a process killed mid-test) are re-run in separate processes
    (without coverage) as many times, while `deadline` (time.monotonic()) allows."""
    reruns = max(0, reruns)
    flaky = [n for n in candidates if "passed" in run.outcomes[n].reruns]
    # A test that timed out is not re-run: a hang would only cost its limit again.
    unsettled = [n for n in candidates if n not in flaky and run.outcomes[n].outcome != "timeout"
                 and len(run.outcomes[n].reruns) < reruns]
    for _ in range(reruns):
        if not unsettled or time.monotonic() >= deadline - 1:
            break
        again = run_tests(tree, nodeids=unsettled, **{**common, "timeout": deadline - time.monotonic()})
        recovered = [n for n in unsettled if n in again.outcomes and again.outcomes[n].outcome == "passed"]
        flaky += recovered
        unsettled = [n for n in unsettled if n not in recovered]
    return [n for n in candidates if n not in flaky], [n for n in candidates if n in flaky]


def _no_failure_message(run: TestRun, flaky: list[str], setup_errors: list[SetupErrorGroup] = ()) -> str:
    if setup_errors and not flaky:
        return f"no test fails at HEAD ({len(run.passed)} passed); {summary(list(setup_errors))}"
    if flaky:
        return (
            f"no test fails reliably at HEAD ({len(flaky)} flaky: {', '.join(flaky[:3])}); "
            "pass --failing-test NODEID or an issue text."
        )
    extra = f" ({len(run.collection_errors)} collection errors)" if run.collection_errors else ""
    return f"no test fails at HEAD ({len(run.passed)} passed{extra}); pass --failing-test NODEID or an issue text."


# -- symbols ---------------------------------------------------------------------------------


def _symbol_source(tree: Path, index: Any | None) -> Callable[[str], list[Symbol]]:
    """path -> its symbols: from the caller's index, else parsed on demand from the worktree."""
    if index is not None:
        return index.symbols_in
    from suture.retrieval.languages import language_for_path
    from suture.retrieval.parse import parse_source

    cache: dict[str, list[Symbol]] = {}

    def symbols_of(path: str) -> list[Symbol]:
        if path not in cache:
            language = language_for_path(path)
            try:
                source = (tree / path).read_bytes()
            except OSError:
                source = None
            cache[path] = parse_source(path, language, source)[0] if language and source is not None else []
        return cache[path]

    return symbols_of


def _line_reader(tree: Path) -> Callable[[str, int], str]:
    """(repo-relative path, 1-based line) -> that line's text."""
    read = _reader(tree)
    return lambda path, number: line_text(read, path, number)


def _reader(tree: Path) -> Callable[[str], str]:
    """Repo-relative path -> text, each file read once."""
    cache: dict[str, str] = {}

    def read_text(path: str) -> str:
        if path not in cache:
            cache[path] = _read(tree / path)
        return cache[path]

    return read_text


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


__all__ = ["LocalizeError", "Localization", "Suspect", "localize", "select_tests"]
