"""Program spectra: which tests ran which lines, and the suspiciousness formulas over them.

The data comes from coverage.py files written by `coverage_plugin` (one dynamic
context per test). Counts follow the usual notation for a line:
ef / ep = failing / passing tests that ran it, nf / np = failing / passing tests that did not.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from suture.retrieval.testfiles import is_test_path
from suture.tools.testing.plugin_env import RERUN_CONTEXT

Line = tuple[str, int]  # (repo-relative posix path, 1-based line)


def ochiai(ef: int, ep: int, nf: int, np: int) -> float:
    denominator = math.sqrt((ef + nf) * (ef + ep))
    return ef / denominator if denominator else 0.0


def tarantula(ef: int, ep: int, nf: int, np: int) -> float:
    failed = ef / (ef + nf) if ef + nf else 0.0
    passed = ep / (ep + np) if ep + np else 0.0
    return failed / (failed + passed) if failed + passed else 0.0


def dstar(ef: int, ep: int, nf: int, np: int, star: int = 2) -> float:
    """ef**star / (ep + nf). A line run by every failing test and no passing one has a zero
    denominator; it gets ef**star + 1, above any finite score the same tests can give."""
    if ef == 0:
        return 0.0
    denominator = ep + nf
    return ef**star / denominator if denominator else float(ef**star + 1)


FORMULAS: dict[str, Callable[[int, int, int, int], float]] = {
    "ochiai": ochiai,
    "tarantula": tarantula,
    "dstar": dstar,
}


@dataclass
class Spectra:
    """For every executed (path, line) of the repo's non-test source, the tests that ran it.

    Contexts of in-session reruns (coverage_plugin.RERUN_CONTEXT) are left out.
    `import_lines` are lines that no test ran but that ran at import or collection time
    (module and class bodies, `def` lines, decorators, default values): they are recorded
    under no test, so they are credited to every test that ran any line of the same file,
    since those tests depend on the module having been set up by them.
    """

    lines: dict[Line, set[str]]
    tests: dict[str, str] = field(default_factory=dict)  # nodeid -> outcome ("passed", "failed", ...)
    import_lines: set[Line] = field(default_factory=set)

    @classmethod
    def from_coverage(cls, data_file: Path, root: Path, tests: dict[str, str] | None = None) -> Spectra:
        """Read `data_file` (and the `.gwN` files of xdist workers beside it) for the tree at `root`."""
        import coverage

        root_real = os.path.realpath(root)
        data_file = Path(data_file)
        files = [data_file, *sorted(data_file.parent.glob(data_file.name + ".*"))]
        lines: dict[Line, set[str]] = defaultdict(set)
        at_import: set[Line] = set()
        for path in files:
            if not path.is_file():
                continue
            data = coverage.CoverageData(basename=str(path))
            try:
                data.read()
            except coverage.exceptions.CoverageException:
                # A run killed by its time limit while writing (check's cap, a hung worker) leaves a
                # file coverage cannot read: its tests count as not covered, as if they never ran.
                continue
            for measured in data.measured_files():
                rel = _relative(measured, root_real)
                if rel is None or is_test_path(rel):
                    continue
                for line, contexts in data.contexts_by_lineno(measured).items():
                    named = {c for c in contexts if c and not c.startswith(RERUN_CONTEXT)}
                    if named:
                        lines[(rel, line)] |= named
                    elif "" in contexts or not contexts:
                        at_import.add((rel, line))
                    # else: run only by reruns of failed tests, which count once, with their first run
        import_only = {key for key in at_import if key not in lines}
        if import_only:
            by_file: dict[str, set[str]] = defaultdict(set)
            for (rel, _), covering in lines.items():
                by_file[rel] |= covering
            for key in import_only:
                lines[key] = set(by_file.get(key[0], ()))
        return cls(lines=dict(lines), tests=dict(tests or {}), import_lines=import_only)

    def covering(self, path: str, line: int) -> set[str]:
        return self.lines.get((path, line), set())

    def scores(
        self, failing: Iterable[str], passing: Iterable[str], formula: str = "ochiai"
    ) -> dict[Line, float]:
        """Score of every line run by at least one failing test (the others score 0 by every formula)."""
        if formula not in FORMULAS:
            raise ValueError(f"unknown formula {formula!r}; choose one of {', '.join(FORMULAS)}")
        score = FORMULAS[formula]
        failing, passing = set(failing), set(passing) - set(failing)
        total_failed, total_passed = len(failing), len(passing)
        result: dict[Line, float] = {}
        for key, covering in self.lines.items():
            ef = len(covering & failing)
            if not ef:
                continue
            ep = len(covering & passing)
            result[key] = score(ef, ep, total_failed - ef, total_passed - ep)
        return result

    def tests_covering(self, path: str, start: int, end: int) -> set[str]:
        """Tests that ran any line of `path` in [start, end] (import-time lines excluded: every user of
        the module would match them)."""
        found: set[str] = set()
        for (rel, line), covering in self.lines.items():
            if rel == path and start <= line <= end and (rel, line) not in self.import_lines:
                found |= covering
        return found


def _relative(measured: str, root_real: str) -> str | None:
    real = os.path.realpath(measured) if os.path.isabs(measured) else measured
    if not os.path.isabs(real):
        return Path(real).as_posix()
    try:
        rel = os.path.relpath(real, root_real)
    except ValueError:
        return None
    if rel.startswith(".."):
        return None
    return Path(rel).as_posix()
