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
        root_real = os.path.realpath(root)
        data_file = Path(data_file)
        files = [data_file, *sorted(data_file.parent.glob(data_file.name + ".*"))]
        lines: dict[Line, set[str]] = defaultdict(set)
        at_import: set[Line] = set()
        for path in files:
            if not path.is_file():
                continue
            rows = _line_rows(path)
            if rows is None:
                rows = _coverage_rows(path)
            for measured, context, numbers in rows:
                rel = _relative(measured, root_real)
                if rel is None or is_test_path(rel):
                    continue
                if context and not context.startswith(RERUN_CONTEXT):
                    for line in numbers:
                        lines[(rel, line)].add(context)
                elif not context:
                    at_import.update((rel, line) for line in numbers)
                # else: run only by reruns of failed tests, which count once, with their first run
        # A line some test ran is that test's; one only the empty context (import, collection) ran is an
        # import line.
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


# coverage.py's data file, as its sqldata.py writes it (schema 7, coverage 7.x): one row of line_bits per
# file and context, its line numbers as "numbits" (bit n of the blob set: line n ran).
_SCHEMA_VERSION = 7
_BITS = [tuple(bit for bit in range(8) if byte & (1 << bit)) for byte in range(256)]


def _line_rows(path: Path) -> Iterable[tuple[str, str, list[int]]] | None:
    """(file, context, line numbers) of each line_bits row of a coverage data file, read with sqlite3 alone
    (coverage.py's import is tens of milliseconds of every localisation, its reading no faster); None
    where only coverage.py can say (another schema, arcs recorded): _coverage_rows reads it then. A file
    sqlite cannot read (a run killed while writing) or that holds no data yet gives no rows, as
    coverage.py's reader did."""
    import sqlite3

    try:
        con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        version = con.execute("select version from coverage_schema").fetchone()
        arcs = con.execute("select value from meta where key = 'has_arcs'").fetchone()
        if version is None or version[0] != _SCHEMA_VERSION or (arcs is not None and int(arcs[0])):
            return None
        found = con.execute("select f.path, c.context, l.numbits from line_bits l, file f, context c "
                            "where l.file_id = f.id and l.context_id = c.id").fetchall()
    except sqlite3.DatabaseError:  # an empty file (the run never wrote its schema) or a broken one: no data
        return []
    except sqlite3.Error:
        return None
    finally:
        con.close()
    return [(measured, context or "", _numbers(bits)) for measured, context, bits in found]


def _numbers(numbits: bytes) -> list[int]:
    """The line numbers a numbits blob holds (coverage.numbits.numbits_to_nums)."""
    return [index * 8 + bit for index, byte in enumerate(numbits) if byte for bit in _BITS[byte]]


def _coverage_rows(path: Path) -> Iterable[tuple[str, str, list[int]]]:
    """The same rows through coverage.py's CoverageData, for data _line_rows does not read."""
    import coverage

    data = coverage.CoverageData(basename=str(path))
    try:
        data.read()
    except coverage.exceptions.CoverageException:
        # A run killed by its time limit while writing (check's cap, a hung worker) leaves a
        # file coverage cannot read: its tests count as not covered, as if they never ran.
        return []
    rows: dict[tuple[str, str], list[int]] = defaultdict(list)
    for measured in data.measured_files():
        for line, contexts in data.contexts_by_lineno(measured).items():
            for context in contexts or [""]:
                rows[(measured, context or "")].append(line)
    return [(measured, context, numbers) for (measured, context), numbers in rows.items()]


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
