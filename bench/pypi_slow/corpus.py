"""The PyPI slow-function corpus (bench/pypi_slow/): slow functions in real, pinned PyPI libraries,
each judged by the library's own tests, with a workload written for suture.

A case is a folder `<case>/` holding only `case.toml` and `workload.py`; the library code comes from
its pinned sdist (libraries.toml: version + sha256), unpacked by bench/faults' builder into a git repo
whose one commit is the pristine library plus the workload. Nothing of the libraries is copied here.

    python bench/pypi_slow/corpus.py --fetch    # download every pinned sdist (pip) and check its hash
    python bench/pypi_slow/corpus.py --check    # every case: its repo builds, its suite passes, its workload runs

Shared by bench/bench_pypi_slow.py and tests/test_pypi_slow_corpus.py (the latter on a synthetic
library, offline).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
BENCH_DIR = HERE.parent
DIFFERENTIAL = HERE / "differential.py"
DEFAULT_CACHE = Path(os.environ.get("SUTURE_PYPI_SLOW_CACHE", "/tmp/suture-pypi-slow"))
CASE_FILES = ("case.toml", "workload.py")
PYTEST_INI = "# Added by suture's bench/pypi_slow, not part of the sdist: the library's own tests this case runs.\n" \
             "[pytest]\ntestpaths = {paths}\npython_files = {files}\n"


def _load_sibling(rel: str, name: str) -> ModuleType:
    """bench/ is not a package: load bench/faults/corpus.py under a unique module name."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / rel)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


faults = _load_sibling("faults/corpus.py", "bench_faults_corpus_for_pypi_slow")


class PypiSlowError(Exception):
    """A case or library of the corpus is malformed or could not be prepared; one sentence."""


@dataclass(frozen=True)
class PypiLibrary:
    name: str
    version: str
    sdist: str
    sha256: str
    tests: tuple[str, ...]
    held_out: bool = False
    deselect: tuple[dict, ...] = ()
    conftest_extra: str = ""  # appended to the builder's root conftest (a shim the suite needs)

    def as_faults_library(self):
        """bench/faults' Library (its fetch/unpack helpers take one)."""
        return faults.Library(self.name, self.version, self.sdist, self.sha256, source=[],
                              deselect=list(self.deselect))


@dataclass(frozen=True)
class PypiCase:
    name: str
    root: Path
    library: PypiLibrary
    target: str          # "pkg.mod:func" or "pkg.mod:Class.method"
    kind: str            # what makes it slow (bench/slow/README.md's kinds)
    expected_rule: str   # a perf_rules rule id that should apply, or "none"
    description: str

    @property
    def held_out(self) -> bool:
        return self.library.held_out


@dataclass
class Corpus:
    libraries: dict[str, PypiLibrary]
    cases: list[PypiCase] = field(default_factory=list)


def load_libraries(manifest: Path) -> dict[str, PypiLibrary]:
    data = tomllib.loads(manifest.read_text())
    found = {}
    for entry in data.get("library", []):
        try:
            lib = PypiLibrary(entry["name"], entry["version"], entry["sdist"], entry["sha256"],
                              tuple(entry["tests"]), bool(entry.get("held_out", False)),
                              tuple(entry.get("deselect", ())), entry.get("conftest_extra", ""))
        except KeyError as missing:
            raise PypiSlowError(f"a library of {manifest} has no {missing.args[0]}") from None
        found[lib.name] = lib
    return found


def load_case(root: Path, libraries: dict[str, PypiLibrary]) -> PypiCase:
    for name in CASE_FILES:
        if not (root / name).is_file():
            raise PypiSlowError(f"case {root.name} has no {name}")
    meta = tomllib.loads((root / "case.toml").read_text())
    lib = libraries.get(meta.get("library", ""))
    if lib is None:
        raise PypiSlowError(f"case {root.name} names library {meta.get('library')!r}, not in libraries.toml")
    target = meta.get("target", "")
    if ":" not in target:
        raise PypiSlowError(f"case {root.name} has target {target!r}, not MODULE:FUNC")
    declared = _workload_target(root / "workload.py")
    if declared != target:
        raise PypiSlowError(f"case {root.name}: workload.py's TARGET {declared!r} is not case.toml's {target!r}")
    return PypiCase(root.name, root, lib, target, meta["kind"], meta["expected_rule"], meta["description"].strip())


def _workload_target(path: Path) -> str | None:
    """TARGET of a workload file, read without importing it (the library is not on the path here)."""
    import ast

    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "TARGET" for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def load_corpus(corpus_dir: Path = HERE, names: list[str] | None = None) -> Corpus:
    libraries = load_libraries(corpus_dir / "libraries.toml")
    cases = [load_case(p.parent, libraries) for p in sorted(corpus_dir.glob("*/case.toml"))]
    if names:
        unknown = set(names) - {c.name for c in cases}
        if unknown:
            raise PypiSlowError(f"unknown case {sorted(unknown)}; see {corpus_dir}")
        cases = [c for c in cases if c.name in names]
    return Corpus(libraries, cases)


def fetch(lib: PypiLibrary, cache: Path = DEFAULT_CACHE) -> Path:
    """The pinned sdist in `cache` (pip downloads it once), its sha256 checked every time."""
    return faults.fetch_sdist(lib.as_faults_library(), cache / "sdists")


def build_repo(case: PypiCase, sdist: Path, dest: Path) -> Path:
    """A git repo at `dest` whose one commit is the pristine sdist, a pytest.ini naming the library's
    own tests, bench/faults' root conftest (the deselections) and the case's workload.py."""
    lib = case.library
    repo = faults.unpack(lib.as_faults_library(), sdist, dest, [d["test"] for d in lib.deselect])
    if (repo / "pytest.ini").exists():
        raise PypiSlowError(f"{lib.name}'s sdist has its own pytest.ini; the builder would overwrite it")
    if lib.conftest_extra:
        with (repo / "conftest.py").open("a") as conftest:
            conftest.write(f"\n# {lib.name}'s shim from bench/pypi_slow/libraries.toml\n{lib.conftest_extra}")
    files = " ".join(sorted({Path(t).name for t in lib.tests}))
    (repo / "pytest.ini").write_text(PYTEST_INI.format(paths=" ".join(lib.tests), files=files))
    shutil.copy2(case.root / "workload.py", repo / "workload.py")
    faults.commit_all(repo, f"{lib.name} {lib.version} from its sdist (pypi_slow case {case.name})")
    return repo


def copy_case(case: PypiCase, dest: Path, cache: Path = DEFAULT_CACHE) -> Path:
    return build_repo(case, fetch(case.library, cache), dest)


def run_suite(repo: Path, timeout: float = 900.0):
    """The library's own tests (pytest.ini's) in their own session: bench/faults' PytestRun."""
    return faults.run_pytest(repo, timeout=timeout)


def differential(repo: Path, timeout: float = 300.0) -> list[str]:
    """Canonical outcomes of TARGET on the workload's differential inputs, run in `repo` (see differential.py)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, str(DIFFERENTIAL), str(repo)], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise PypiSlowError(f"the differential run in {repo.name} failed: {done.stderr.strip()[-300:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def behaviour_diff(original: list[str], patched: list[str]) -> list[str]:
    """The differential inputs (by index) whose outcome the patch changed; [] when none did."""
    if len(original) != len(patched):
        return [f"{len(original)} outcomes before, {len(patched)} after"]
    return [f"input {i}: {a[:120]} != {b[:120]}" for i, (a, b) in enumerate(zip(original, patched)) if a != b]


def main(argv: list[str] | None = None) -> int:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="Fetch or check the PyPI slow-function corpus.")
    parser.add_argument("--fetch", action="store_true", help="download every pinned sdist and check its hash")
    parser.add_argument("--check", action="store_true", help="build every case; its suite passes; its workload runs")
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    corpus = load_corpus(names=args.cases.split(",") if args.cases else None)
    for lib in corpus.libraries.values():
        if args.fetch:
            print(f"{lib.name} {lib.version}: {fetch(lib, args.cache)}")
    if args.check:
        with tempfile.TemporaryDirectory(prefix="suture-pypi-slow-") as tmp:
            for case in corpus.cases:
                repo = copy_case(case, Path(tmp) / case.name, args.cache)
                run = run_suite(repo)
                outcomes = differential(repo)
                print(f"{case.name}: {len(run.outcomes)} tests, failed {run.failed[:3]}, "
                      f"{len(outcomes)} differential outcomes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
