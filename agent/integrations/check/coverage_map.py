"""The coverage map: which tests at HEAD ran the body of which function, kept on disk between checks.

Entries are keyed by function name, not line, so they survive edits around them at HEAD.
How the map is brought up to date with HEAD's tests under the cap is mapping.py's job.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from suture.agent.integrations.check.reading import parse_symbols
from suture.agent.integrations.check.suite import module_of
from suture.agent.integrations.check.units import MODULE, owner
from suture.retrieval.model import Symbol
from suture.retrieval.testfiles import is_test_module, is_test_path
from suture.tools.testing.spectra import Spectra
from suture.tools.testing.testrun import TestRun

__all__ = ["CoverageMap", "MAP_VERSION", "build_map", "test_side"]

MAP_VERSION = 2
# Files whose change can change which tests exist or how they run (besides test files).
_TEST_CONFIG = {"pytest.ini", ".pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini"}


def test_side(head_blobs: dict[str, str], test_cmd: Sequence[str]) -> tuple[str, dict[str, str]]:
    """(digest of the test set-up, {test module: blob}) at HEAD.

    The set-up is everything that can change how *any* test runs: the test command, pytest
    configuration, conftest.py and helper files of the test tree. A change there rebuilds the
    whole map; a change to a test module re-runs only that module's tests.
    """
    digest = hashlib.sha256(f"v{MAP_VERSION}\0{json.dumps(list(test_cmd))}\0".encode())
    modules = {}
    for path in sorted(head_blobs):
        if is_test_module(path):  # other test-side files (conftest, helpers) change how every test runs
            modules[path] = head_blobs[path]
        elif path.endswith(".py") and is_test_path(path) or PurePosixPath(path).name in _TEST_CONFIG:
            digest.update(f"{path}\0{head_blobs[path]}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest(), modules


@dataclass
class CoverageMap:
    """Which tests ran the body of which function: (path, qualname) -> node ids; (path) -> node ids for
    any line of the file. Kept on disk with test indexes instead of ids (a tenth of the size)."""

    outcomes: dict[str, str]  # node id -> outcome at HEAD when it last ran
    functions: dict[str, dict[str, set[str]]]
    anywhere: dict[str, set[str]]
    setup_key: str
    modules: dict[str, str]  # test module -> its blob when all its tests last ran
    seconds: float = 0.0
    # A test module the cap cut off mid-way -> its blob: the tests it finished are mapped, the next
    # check runs the rest of it (its node ids not in `outcomes`).
    partial: dict[str, str] = field(default_factory=dict)
    # A test the cap killed while it ran -> [times it was killed, seconds its last run had]. Not mapped.
    # Killed once, it may just have started late: the run that goes on with its module runs it again.
    # Killed twice, it is slow: those runs skip it, and once nothing else is left it is tried again
    # alone when more than twice that time is left (a larger cap).
    cut: dict[str, list[float]] = field(default_factory=dict)

    @property
    def tests(self) -> list[str]:
        return sorted(self.outcomes)

    def covering(self, path: str, symbol: str) -> set[str]:
        if symbol == MODULE:
            return set(self.anywhere.get(path, ()))
        found: set[str] = set()
        for name, ids in self.functions.get(path, {}).items():
            if name == symbol or name.startswith(symbol + "."):
                found |= ids
        return found

    def drop(self, modules: set[str]) -> None:
        """Forget these test modules: their tests, whether they were mapped, their cut tests."""
        self.forget({n for n in set(self.outcomes) | set(self.cut) if module_of(n) in modules})
        for path in modules:
            self.modules.pop(path, None)
            self.partial.pop(path, None)

    def forget(self, gone: set[str]) -> None:
        """Forget these tests (node ids)."""
        for nodeid in gone:
            self.outcomes.pop(nodeid, None)
            self.cut.pop(nodeid, None)
        for by_name in self.functions.values():
            for ids in by_name.values():
                ids -= gone
        for ids in self.anywhere.values():
            ids -= gone

    def merge(self, other: "CoverageMap") -> None:
        for nodeid in other.outcomes:
            self.cut.pop(nodeid, None)  # a cut test that has now run to its end
        self.outcomes.update(other.outcomes)
        for path, by_name in other.functions.items():
            for name, ids in by_name.items():
                self.functions.setdefault(path, {}).setdefault(name, set()).update(ids)
        for path, ids in other.anywhere.items():
            self.anywhere.setdefault(path, set()).update(ids)

    def to_json(self) -> dict[str, Any]:
        tests = self.tests
        number = {n: i for i, n in enumerate(tests)}

        def ids(found: set[str]) -> list[int]:
            return sorted(number[n] for n in found if n in number)

        files = {path: {"any": ids(self.anywhere.get(path, set())),
                        "functions": {name: ids(found) for name, found in sorted(self.functions.get(path, {}).items())}}
                 for path in sorted(set(self.functions) | set(self.anywhere))}
        return {"version": MAP_VERSION, "setup_key": self.setup_key, "modules": self.modules,
                "partial": self.partial, "cut": self.cut,
                "seconds": round(self.seconds, 3), "tests": tests, "outcomes": [self.outcomes[n] for n in tests],
                "files": files}

    @classmethod
    def load(cls, path: Path) -> "CoverageMap | None":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != MAP_VERSION:
                return None
            tests = list(data["tests"])
            functions = {p: {name: {tests[i] for i in found} for name, found in entry["functions"].items()}
                         for p, entry in data["files"].items()}
            anywhere = {p: {tests[i] for i in entry["any"]} for p, entry in data["files"].items()}
            return cls(dict(zip(tests, data["outcomes"])), functions, anywhere, str(data["setup_key"]),
                       dict(data["modules"]), float(data["seconds"]), dict(data.get("partial", {})),
                       {str(n): [int(times), float(had)] for n, (times, had) in data.get("cut", {}).items()})
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None  # missing, from another version, or damaged: rebuilt

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)


def build_map(tree: Path, run: TestRun, coverage_file: Path, setup_key: str, modules: dict[str, str]) -> CoverageMap:
    """Per-test line coverage lifted to functions: (file, qualname) -> the tests that ran its body."""
    spectra = Spectra.from_coverage(coverage_file, tree, {n: o.outcome for n, o in run.outcomes.items()})
    functions: dict[str, dict[str, set[str]]] = {}
    anywhere: dict[str, set[str]] = {}
    symbols_of: dict[str, list[Symbol]] = {}
    for (path, line), covering in spectra.lines.items():
        if (path, line) in spectra.import_lines:
            continue  # module and class bodies, def lines: every importer ran them
        covering = {n for n in covering if n in run.outcomes}
        anywhere.setdefault(path, set()).update(covering)
        if path not in symbols_of:
            try:
                symbols_of[path] = parse_symbols(path, (tree / path).read_bytes()) if path.endswith(".py") else []
            except OSError:
                symbols_of[path] = []
        found = owner(symbols_of[path], line)
        if found is not None:
            functions.setdefault(path, {}).setdefault(found.qualname, set()).update(covering)
    outcomes = {n: o.outcome for n, o in run.outcomes.items()}
    return CoverageMap(outcomes, functions, anywhere, setup_key, modules, run.seconds)
