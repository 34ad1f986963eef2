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
ran it in (a fresh process; the gates' first runs fork from a warm pytest), or, in the
selected gate, passed at the base in that same selection forked the same way (then only the
patch differs, and no fresh process is started for it): one that fails warm but passes fresh
is "overturned", one that fails fresh and then passes is flaky, and neither counts against
the candidate. A test the gate's run did not report at all, with no
collection error to explain it, is looked for in a fresh run of the same selection.

Candidates run side by side, one worker thread per scratch worktree of a WorktreePool; the
tests themselves are subprocesses under wall-clock limits, so a patch that makes a test loop
forever ends as a rejected verdict, never a hang. Candidates whose changed files have the
same normalized key (they differ only in whitespace or comments) are validated once.

`GateRunner` is the entry point: it holds one run's workspace, test command, baseline and
settings, and `.run(candidate)` gives the verdict. This module schedules candidates; the gates
themselves are agent/gates/gatekeeper.py, the patch reading agent/gates/patches.py, the candidate
and verdict types agent/gates/verdict.py.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from suture.agent.gates.gatekeeper import GateSettings, Gatekeeper, Rejected, Verifier
from suture.agent.gates.patches import changed_lines, diff_line_count
from suture.agent.gates.verdict import Candidate, GateVerdict
from suture.tools.testing.spectra import Spectra
from suture.tools.testing.testrun import TestRunError
from suture.tools.git.workspace import WorktreePool, kill_token_holders
from suture.tools.git.worktree import WorkspaceError

__all__ = ["Candidate", "GateRunner", "GateVerdict", "validate", "changed_lines", "diff_line_count"]

DEFAULT_CANDIDATE_SECONDS = 600.0


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
    return dataclasses.replace(
        original, candidate_id=own.candidate_id, edit_results=own.edit_results, fixed=list(original.fixed),
        still_failing=list(original.still_failing), regressions=list(original.regressions),
        flaky=list(original.flaky), patch=own.patch, diff_lines=own.diff_lines, normalized_key=own.normalized_key,
        message=f"same code as candidate {original.candidate_id} (only whitespace or comments differ); "
                f"its verdict is copied: {original.message}",
        seconds=own.seconds, duplicate_of=original.candidate_id, changed_symbols=list(original.changed_symbols),
        selected_tests=list(original.selected_tests), overturned=list(original.overturned),
        anti_patterns=list(original.anti_patterns),
    )


class GateRunner:
    """The gates of one run: its workspace (repo, base commit, worktree pool), its test command,
    its baseline (what failed, passed, was flaky or hung at the base) and its settings.

    `run(candidate)` gates one candidate and returns its verdict; `run_all(candidates)` gates a
    batch side by side. Every call gets a fresh time limit, the rest is fixed for the run.

    `pool` reuses the caller's WorktreePool (its base must be the baseline's commit); otherwise each
    call makes one of `workers` trees of `base` and removes it before returning. `hanging` names
    tests that ran past their limit at the baseline: no run includes them (they can be neither fixed
    nor broken, and each would cost the limit again). `allow_paths` are the user's --allow-path
    globs: protected files (tools.edits.PROTECTED) they name may be edited.

    `fix` gives its spectra and failing tests (the "selected" gate) and its bounded verifier;
    `optimize` gives neither spectra nor failing tests (only the suite gate runs: what passed at
    the base must still pass), its equivalence checks as the verifier, `run_tests=False` when
    the repository has no passing test, and `warm_runs=False` (its few candidates each get one fresh
    run rather than a warm pytest started for them and a fresh confirmation).
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
        run_tests: bool = True,
        warm_runs: bool = True,
    ) -> None:
        self.repo, self.base, self.pool, self.workers = repo, base, pool, workers
        self.settings = GateSettings(
            baseline_failing=list(baseline_failing), baseline_passing=list(baseline_passing), flaky=list(flaky),
            spectra=spectra, test_cmd=test_cmd, per_test_timeout=per_test_timeout,
            candidate_seconds=DEFAULT_CANDIDATE_SECONDS, verifier=verifier, index=index,
            allow_test_edits=allow_test_edits, confirm_reruns=confirm_reruns, env={}, deadline=None,
            hanging=list(hanging), allow_paths=list(allow_paths), run_tests=run_tests,
            warm_runs=warm_runs,
        )

    def run(self, candidate: Candidate, *, time_limit: float | None = None,
            candidate_time_limit: float | None = None) -> GateVerdict:
        """The verdict on one candidate (one worker)."""
        return self.run_all([candidate], time_limit=time_limit, candidate_time_limit=candidate_time_limit,
                            workers=1)[0]

    def run_all(self, candidates: Sequence[Candidate], *, time_limit: float | None = None,
                candidate_time_limit: float | None = None, workers: int | None = None,
                on_verdict: Callable[[GateVerdict], None] | None = None) -> list[GateVerdict]:
        """One verdict per candidate, in the candidates' order.

        `time_limit` bounds the whole call (candidates not started by then get stage "skipped"),
        `candidate_time_limit` each candidate (default 600 s). `on_verdict` is called once per
        verdict as it is decided (from worker threads, one call at a time). Raises WorkspaceError
        when no scratch worktree can be made.
        """
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


def validate(candidates: Sequence[Candidate], *, repo: Path, time_limit: float | None = None,
             candidate_time_limit: float | None = None, workers: int = 2,
             on_verdict: Callable[[GateVerdict], None] | None = None, **settings: Any) -> list[GateVerdict]:
    """Gate every candidate with a GateRunner made for this one call (`settings` are its keyword
    arguments); one verdict per candidate, in the candidates' order (see GateRunner.run_all).
    Raises WorkspaceError when no scratch worktree can be made."""
    return GateRunner(repo, workers=workers, **settings).run_all(
        candidates, time_limit=time_limit, candidate_time_limit=candidate_time_limit, on_verdict=on_verdict)


class _Batch:
    """One run_all call: worker threads, one scratch tree each, take candidates off a shared queue."""

    def __init__(self, settings: GateSettings, pool: WorktreePool, candidates: list[Candidate],
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
        keeper = Gatekeeper(self.settings, tree, self.pool.inside, self.pool.commit)
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
            except Rejected as rejected:
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
                else:  # the previous candidate's changes; the last candidate's are reset by release
                    self.pool.reset(tree)
                self.one(candidate, tree)
        except WorkspaceError as error:
            if not self.stop.is_set():
                self.errors.append(error)
        except Exception:
            if not self.stop.is_set():
                raise
            # Stopped (Ctrl-C, SIGTERM) and not back within _stop_workers' patience: the pool's trees
            # may be gone under this thread (a loaded run printed "validate-0: .git/config missing").
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
