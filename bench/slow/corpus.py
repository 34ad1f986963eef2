"""The slow-code corpus (bench/slow/<case>/): loading cases, copying a case into a git repo,
running its suites, loading its workload, and (for library cases) preparing the pinned library.

Shared by tests/test_bench_slow.py (validates the corpus) and the optimize bench.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

SLOW_DIR = Path(__file__).resolve().parent
BENCH_DIR = SLOW_DIR.parent
# Never shown to the optimiser: the held-back differential test and the case's metadata.
HIDDEN = ("heldback", "case.toml")
JUNK = ("__pycache__", ".pytest_cache", ".suture", ".hypothesis", ".coverage")
KINDS = {"quadratic-membership", "quadratic-counting", "naive-string-building", "recomputation", "eager-evaluation",
         "wrong-data-structure", "repeated-regex-compile", "sort-for-extreme", "repeated-lookup",
         "needs-memoisation", "needs-algorithm-change", "nested-loop-join", "quadratic-removal", "quadratic-lookup"}


def _load_sibling(rel: str, name: str) -> ModuleType:
    """bench/ is not a package: load bench/bugs/corpus.py etc. under a unique module name."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / rel)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_bugs = _load_sibling("bugs/corpus.py", "bench_bugs_corpus_for_slow")
run_suites = _bugs.run_suites  # pytest in its own session, per-test outcomes from junit XML
SuiteRun = _bugs.SuiteRun
git = _bugs.git


class SlowCorpusError(Exception):
    """A case of the corpus is malformed or could not be prepared; the message is one sentence."""


@dataclass(frozen=True)
class SlowCase:
    name: str
    root: Path
    kind: str
    target: str           # "pkg.mod:func"
    expected_rule: str    # a perf_rules rule id, or "none" when no offline rule should fix it
    description: str
    library: str | None   # a library of bench/faults/libraries.toml (library cases), else None
    path: str             # repo-relative file of the target function
    visible_tests: tuple[str, ...] = ("tests",)  # the suites the optimiser may run

    @property
    def function(self) -> str:
        return self.target.split(":", 1)[1]

    @property
    def module(self) -> str:
        return self.target.split(":", 1)[0]


def load_case(root: Path) -> SlowCase:
    meta_path = root / "case.toml"
    if not meta_path.is_file():
        raise SlowCorpusError(f"{root.name} has no case.toml")
    meta = tomllib.loads(meta_path.read_text())
    target = meta["target"]
    module = target.split(":", 1)[0]
    path = meta.get("path") or module.replace(".", "/") + ".py"
    return SlowCase(root.name, root, meta["kind"], target, meta["expected_rule"], meta["description"].strip(),
                    meta.get("library"), path, tuple(meta.get("visible_tests", ["tests"])))


def load_cases(names: list[str] | None = None, *, libraries: bool = True) -> list[SlowCase]:
    cases = [load_case(p.parent) for p in sorted(SLOW_DIR.glob("*/case.toml"))]
    if not libraries:
        cases = [c for c in cases if c.library is None]
    if names:
        unknown = set(names) - {c.name for c in cases}
        if unknown:
            raise SlowCorpusError(f"unknown case {sorted(unknown)}; see bench/slow/")
        cases = [c for c in cases if c.name in names]
    return cases


def _ignore(directory: str, names: list[str], *, top: Path, hide: tuple[str, ...]) -> set[str]:
    skipped = {n for n in names if n in JUNK or n.endswith(".pyc")}
    if Path(directory).resolve() == top:
        skipped |= {n for n in names if n in hide}
    return skipped


def copy_case(case: SlowCase, dest: Path, *, heldback: bool = False, work_dir: Path | None = None) -> Path:
    """A git repo at `dest` whose one commit (HEAD) is the slow program.

    Own cases: the case folder without heldback/ and case.toml (heldback=True copies heldback/ too,
    uncommitted). Library cases: the pinned sdist unpacked (bench/faults' builder), plus the case's
    workload.py and, when asked, its heldback/ folder.
    """
    if case.library is None:
        hide = tuple(h for h in HIDDEN if not (heldback and h == "heldback"))
        shutil.copytree(case.root, dest, ignore=lambda d, n: _ignore(d, n, top=case.root.resolve(), hide=hide))
        (dest / ".gitignore").write_text("__pycache__/\n*.pyc\n.pytest_cache/\n.suture/\n")
        git(dest, "init", "-q", "-b", "main")
        git(dest, "add", "-A", "--", ".", ":!heldback")
        git(dest, "commit", "-q", "-m", f"{case.name} (slow)")
        return dest
    faults = _load_sibling("faults/corpus.py", "bench_faults_corpus_for_slow")
    (lib,) = faults.load_libraries([case.library])
    work = Path(work_dir or faults.DEFAULT_WORK_DIR)
    sdist = faults.fetch_sdist(lib, work / "sdists")
    recorded = faults.load_baseline().get(lib.name, {})
    deselected = [d["test"] for d in recorded.get("deselected", lib.deselect)]
    repo = faults.unpack(lib, sdist, dest, deselected)
    shutil.copy2(case.root / "workload.py", repo / "workload.py")
    faults.commit_all(repo, f"{lib.name} {lib.version} from its sdist (slow case {case.name})")
    if heldback:
        shutil.copytree(case.root / "heldback", repo / "heldback")
    return repo


def sdist_cached(case: SlowCase, work_dir: Path | None = None) -> bool:
    """Whether a library case can be prepared without the network (its pinned sdist is cached)."""
    if case.library is None:
        return True
    faults = _load_sibling("faults/corpus.py", "bench_faults_corpus_for_slow")
    (lib,) = faults.load_libraries([case.library])
    return (Path(work_dir or faults.DEFAULT_WORK_DIR) / "sdists" / lib.sdist).is_file()


def load_workload(case: SlowCase, repo: Path) -> ModuleType:
    """The case's workload.py, imported with `repo` first on sys.path (callers restore sys.path)."""
    sys.path.insert(0, str(repo))
    spec = importlib.util.spec_from_file_location(f"slow_workload_{case.name}", repo / "workload.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_target(repo: Path, scale: int, *, repeats: int = 3, timeout: float = 120.0) -> float:
    """Best-of-`repeats` seconds of one call TARGET(*make_input(scale)) in a fresh interpreter in `repo`."""
    code = (
        "import importlib, time, workload\n"
        "mod, func = workload.TARGET.split(':')\n"
        "fn = getattr(importlib.import_module(mod), func)\n"
        "best = None\n"
        f"for _ in range({repeats}):\n"
        f"    args = workload.make_input({scale})\n"
        "    start = time.perf_counter()\n"
        "    fn(*args)\n"
        "    took = time.perf_counter() - start\n"
        "    best = took if best is None else min(best, took)\n"
        "print(best)\n"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(repo)}
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise SlowCorpusError(f"the workload of {repo.name} failed: {done.stderr.strip()[-300:]}")
    return float(done.stdout.strip().splitlines()[-1])


