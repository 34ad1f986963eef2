"""The fault corpus's libraries: the pinned manifest, preparing a library's git repo from
its sdist, and running its tests (plain or with per-test coverage contexts).

Shared by build.py (which writes faults.jsonl) and bench/bench_localize.py (which replays it).
Downloading happens only here, at bench set-up, through pip; nothing of suture downloads.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "libraries.toml"
BASELINE = HERE / "baseline.json"
FAULTS = HERE / "faults.jsonl"
PLUGIN_DIR = HERE / "plugin"
DEFAULT_WORK_DIR = Path(os.environ.get("SUTURE_FAULTS_DIR", Path(tempfile.gettempdir()) / "suture-faults"))

GIT_ENV = {
    "GIT_AUTHOR_NAME": "suture bench",
    "GIT_AUTHOR_EMAIL": "bench@suture.invalid",
    "GIT_COMMITTER_NAME": "suture bench",
    "GIT_COMMITTER_EMAIL": "bench@suture.invalid",
}
GITIGNORE = "__pycache__/\n*.pyc\n.pytest_cache/\n.hypothesis/\n.coverage*\n.suture/\n"
CONFTEST = '''\
# Added by suture's bench/faults/build.py, not part of the {name} sdist.
# Puts the repo root on sys.path (a bare `pytest` then imports the library from here)
# and leaves out the tests the corpus manifest deselects, each with its reason.
DESELECTED = {deselected!r}


def pytest_collection_modifyitems(config, items):
    dropped = [item for item in items if item.nodeid in DESELECTED]
    if dropped:
        items[:] = [item for item in items if item.nodeid not in DESELECTED]
        config.hook.pytest_deselected(items=dropped)
'''


class CorpusError(Exception):
    """Set-up of a corpus library failed; the message is one sentence."""


@dataclass
class Library:
    name: str
    version: str
    sdist: str
    sha256: str
    source: list[str]
    exclude: list[str] = field(default_factory=list)
    deselect: list[dict] = field(default_factory=list)  # [{test, reason}]
    per_function: int | None = None  # overrides the builder's cap for libraries with few functions
    # "train": fits localisation's weights (bench/fit_localize.py, cross-validated by library);
    # "heldout": never fitted on, scored only by weights fitted on the train group.
    group: str = "train"

    def mutable_files(self, root: Path) -> list[str]:
        """Repo-relative paths of the library's own .py files that may be mutated."""
        found = []
        for folder in self.source:
            top = root / folder
            # A single-module library (parse.py) names its one file.
            for path in [top] if top.is_file() else sorted(top.rglob("*.py")):
                rel = path.relative_to(root).as_posix()
                if not any(fnmatch.fnmatch(rel, pattern) for pattern in self.exclude):
                    found.append(rel)
        return found


def load_libraries(names: list[str] | None = None) -> list[Library]:
    data = tomllib.loads(MANIFEST.read_text())
    libraries = [Library(**entry) for entry in data["library"]]
    if names:
        unknown = set(names) - {lib.name for lib in libraries}
        if unknown:
            raise CorpusError(f"unknown library {sorted(unknown)}; the manifest has {[l.name for l in libraries]}")
        libraries = [lib for lib in libraries if lib.name in names]
    return libraries


def load_baseline() -> dict:
    return json.loads(BASELINE.read_text()) if BASELINE.exists() else {}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV},
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise CorpusError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip()}")
    return done.stdout


def fetch_sdist(lib: Library, cache: Path) -> Path:
    """The pinned sdist, downloaded with pip once, its sha256 checked every time."""
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / lib.sdist
    if not target.exists():
        cmd = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", "-q", "-d", str(cache), f"{lib.name}=={lib.version}"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not target.exists():
            raise CorpusError(f"pip could not download {lib.name}=={lib.version}: {done.stderr.strip()[-300:]}")
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != lib.sha256:
        raise CorpusError(f"{target.name} has sha256 {digest}, the manifest pins {lib.sha256}")
    return target


def write_conftest(repo: Path, lib: Library, deselected: list[str]) -> None:
    (repo / "conftest.py").write_text(CONFTEST.format(name=lib.name, deselected=sorted(set(deselected))))


def unpack(lib: Library, sdist: Path, repo: Path, deselected: list[str]) -> Path:
    """Unpack the sdist into `repo` (replacing it) with the root conftest and a .gitignore; no commit yet."""
    if repo.exists():
        shutil.rmtree(repo)
    repo.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=repo.parent) as tmp, tarfile.open(sdist) as tar:
        tar.extractall(tmp, filter="data")
        (top,) = Path(tmp).iterdir()
        top.rename(repo)
    if (repo / "conftest.py").exists():
        raise CorpusError(f"{lib.name}'s sdist has its own root conftest.py; the builder would overwrite it")
    write_conftest(repo, lib, deselected)
    (repo / ".gitignore").write_text(GITIGNORE)
    return repo


def commit_all(repo: Path, message: str) -> str:
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def prepare(lib: Library, work_dir: Path = DEFAULT_WORK_DIR, deselected: list[str] | None = None) -> Path:
    """A fresh git repo of the library at work_dir/<name>/repo, with the recorded deselections committed."""
    if deselected is None:
        recorded = load_baseline().get(lib.name, {})
        deselected = [d["test"] for d in recorded.get("deselected", lib.deselect)]
    sdist = fetch_sdist(lib, work_dir / "sdists")
    repo = unpack(lib, sdist, work_dir / lib.name / "repo", deselected)
    commit_all(repo, f"{lib.name} {lib.version} from its sdist")
    return repo


# -- running tests -------------------------------------------------------------------------

@dataclass
class PytestRun:
    outcomes: dict[str, str]  # nodeid -> passed / failed / skipped
    returncode: int
    seconds: float
    timed_out: bool
    output: str

    @property
    def failed(self) -> list[str]:
        return sorted(n for n, o in self.outcomes.items() if o == "failed")


def run_pytest(workdir: Path, nodeids: list[str] = (), *, timeout: float = 600.0,
               coverage_file: Path | None = None, source: list[str] = ()) -> PytestRun:
    """Run the suite (or `nodeids`) with the builder's plugin in its own session, killed whole on timeout.

    With `coverage_file`, runs under `coverage run` restricted to `source` with one context per test.
    """
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.jsonl"
        args = ["-q", "-p", "no:cacheprovider", "-p", "faults_pytest_plugin"]
        if nodeids:
            argfile = Path(tmp) / "nodeids.txt"
            argfile.write_text("\n".join(nodeids) + "\n")
            args.append(f"@{argfile}")  # pytest >= 8.2 reads arguments from a file; node ids can be many
        if coverage_file is not None:
            cmd = [sys.executable, "-m", "coverage", "run", f"--data-file={coverage_file}",
                   f"--source={','.join(_coverage_source(workdir, s) for s in source)}", "-m", "pytest", *args]
        else:
            cmd = [sys.executable, "-m", "pytest", *args]
        env = {**os.environ, "FAULTS_RESULTS": str(results), "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONPATH": str(PLUGIN_DIR)}
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        timed_out = False
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        seconds = time.perf_counter() - start
        outcomes = {}
        if results.exists():
            for line in results.read_text().splitlines():
                row = json.loads(line)
                outcomes[row["nodeid"]] = row["outcome"]
        return PytestRun(outcomes, proc.returncode, seconds, timed_out, output[-3000:])


def _coverage_source(workdir: Path, source: str) -> str:
    """coverage's --source for a package folder (its path) or a single-module library (its module name:
    coverage takes a path only for a directory)."""
    path = workdir / source
    return path.stem if path.is_file() else str(path)


def line_contexts(coverage_file: Path, root: Path) -> dict[str, dict[int, set[str]]]:
    """{repo-relative path: {line: node ids of the tests that executed it}} from a per-test-context data file."""
    import coverage

    data = coverage.CoverageData(basename=str(coverage_file))
    data.read()
    found: dict[str, dict[int, set[str]]] = {}
    for measured in data.measured_files():
        rel = Path(measured).resolve().relative_to(root.resolve()).as_posix()
        by_line = data.contexts_by_lineno(measured)
        found[rel] = {line: {c for c in ctxs if c} for line, ctxs in by_line.items() if any(ctxs)}
    return found
