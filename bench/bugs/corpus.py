"""The hand-written bug corpus (bench/bugs/<name>/): loading the bugs, preparing the repo the
repair tool sees (no held-back tests, no answer), applying a patch, and running the suites.

Shared by tests/test_bench_bugs.py (validates the corpus), bench/bench_fix.py (runs `suture fix`
over it) and author.py (turns a correct program plus its bug edits into the committed buggy one).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BUGS_DIR = Path(__file__).resolve().parent
# Never shown to the repair tool: the held-back suite, the answer and the bug's description.
HIDDEN = ("heldout", "fix.diff", "bug.toml")
JUNK = ("__pycache__", ".pytest_cache", ".suture", ".hypothesis", ".coverage")
VISIBLE_SUITE = "tests"
HELDOUT_SUITE = "heldout"
SUITE_TIMEOUT = 60.0

GIT_ENV = {
    "GIT_AUTHOR_NAME": "suture bench",
    "GIT_AUTHOR_EMAIL": "bench@suture.invalid",
    "GIT_COMMITTER_NAME": "suture bench",
    "GIT_COMMITTER_EMAIL": "bench@suture.invalid",
}


class BugCorpusError(Exception):
    """A bug of the corpus is malformed or could not be prepared; the message is one sentence."""


@dataclass(frozen=True)
class Bug:
    name: str
    root: Path
    kind: str
    description: str
    heldout_fails_on_buggy: bool | None  # recorded by author.py; None until recorded

    @property
    def fix_diff(self) -> str:
        return (self.root / "fix.diff").read_text()

    def source_files(self) -> list[str]:
        """Repo-relative paths of the program's own modules (not tests, not config)."""
        found = []
        for path in sorted(self.root.rglob("*.py")):
            rel = path.relative_to(self.root).as_posix()
            if rel.split("/")[0] in (VISIBLE_SUITE, HELDOUT_SUITE) or any(j in rel for j in JUNK):
                continue
            if path.name != "conftest.py":
                found.append(rel)
        return found


def load_bug(root: Path) -> Bug:
    meta_path = root / "bug.toml"
    if not meta_path.is_file():
        raise BugCorpusError(f"{root.name} has no bug.toml")
    meta = tomllib.loads(meta_path.read_text())
    return Bug(root.name, root, meta["kind"], meta["description"].strip(), meta.get("heldout_fails_on_buggy"))


def load_bugs(names: list[str] | None = None) -> list[Bug]:
    roots = sorted(p.parent for p in BUGS_DIR.glob("*/bug.toml"))
    bugs = [load_bug(r) for r in roots]
    if names:
        unknown = set(names) - {b.name for b in bugs}
        if unknown:
            raise BugCorpusError(f"unknown bug {sorted(unknown)}; see bench/bugs/")
        bugs = [b for b in bugs if b.name in names]
    return bugs


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, input=stdin,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BugCorpusError(f"git {' '.join(args[:2])} failed in {repo}: {done.stderr.strip()[:300]}")
    return done.stdout


def _ignore(directory: str, names: list[str], *, top: Path, hide: tuple[str, ...]) -> set[str]:
    skipped = {n for n in names if n in JUNK or n.endswith(".pyc")}
    if Path(directory).resolve() == top:
        skipped |= {n for n in names if n in hide}
    return skipped


def copy_program(bug: Bug, dest: Path, *, heldout: bool = False) -> Path:
    """Copy the buggy program to `dest` as a git repo whose one commit (HEAD) is the buggy version.

    The copy for the repair tool (heldout=False) leaves out heldout/, fix.diff and bug.toml.
    """
    hide = tuple(h for h in HIDDEN if heldout is False or h != HELDOUT_SUITE)
    shutil.copytree(bug.root, dest, ignore=lambda d, n: _ignore(d, n, top=bug.root.resolve(), hide=hide))
    (dest / ".gitignore").write_text("__pycache__/\n*.pyc\n.pytest_cache/\n.suture/\n")
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", f"{bug.name} (buggy)")
    return dest


def apply_patch(repo: Path, patch: str) -> str | None:
    """Apply a unified diff with `git apply`; None on success, else git's complaint."""
    if not patch.strip():
        return "empty patch"
    done = subprocess.run(["git", "apply", "--whitespace=nowarn", "-"], cwd=repo, input=patch,
                          capture_output=True, text=True)
    return None if done.returncode == 0 else (done.stderr.strip() or "git apply failed")


@dataclass
class SuiteRun:
    outcomes: dict[str, str]  # "suite/test_file.py::test_name" -> passed / failed / skipped
    returncode: int
    timed_out: bool
    output: str

    def failed(self, suite: str | None = None) -> list[str]:
        return sorted(n for n, o in self.outcomes.items()
                      if o == "failed" and (suite is None or n.startswith(suite + "/")))

    def passed(self, suite: str | None = None) -> list[str]:
        return sorted(n for n, o in self.outcomes.items()
                      if o == "passed" and (suite is None or n.startswith(suite + "/")))


def run_suites(repo: Path, suites: list[str], *, timeout: float = SUITE_TIMEOUT) -> SuiteRun:
    """Run pytest on `suites` (folders of `repo`) in its own session, killed whole on timeout;
    per-test outcomes come from pytest's junit XML (errors count as failed)."""
    with tempfile.TemporaryDirectory(prefix="suture-bugs-") as tmp:
        report = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               f"--junitxml={report}", "-o", "junit_family=xunit1", *suites]
        # The programs need no third-party plugin; not importing every installed one (hypothesis,
        # xdist, ...) makes a run about five times cheaper.
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        env.pop("PYTEST_ADDOPTS", None)
        env.pop("PYTEST_XDIST_WORKER", None)
        if _warm is not None:
            returncode, timed_out, output = _warm.run(cmd[3:], repo, env, timeout)
        else:
            proc = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, start_new_session=True)
            timed_out = False
            try:
                output, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                output, _ = proc.communicate()
            returncode = proc.returncode
        outcomes = _junit_outcomes(report) if report.exists() else {}
    return SuiteRun(outcomes, returncode, timed_out, output[-3000:])


_warm = None  # a warm_pytest.WarmPytest while warm_suites() is active


@contextmanager
def warm_suites():
    """run_suites inside the block forks a process that imported pytest once instead of starting an
    interpreter per run (~0.05 instead of ~0.3 CPU-s a run; bench/bugs/warm_pytest.py): the corpus
    test's hundred-odd runs. The sessions are pytest's own either way."""
    global _warm
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_bugs_warm_pytest", BUGS_DIR / "warm_pytest.py")
    warm_pytest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(warm_pytest)
    _warm = warm_pytest.WarmPytest()
    try:
        yield
    finally:
        server, _warm = _warm, None
        server.close()


def _junit_outcomes(report: Path) -> dict[str, str]:
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        file = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
        name = f"{file}::{case.get('name')}"
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            outcomes[name] = "failed"
        elif "skipped" in tags:
            outcomes[name] = "skipped"
        else:
            outcomes[name] = "passed"
    return outcomes


# -- validation: what every bug must satisfy ------------------------------------------------

@dataclass
class BugCheck:
    name: str
    visible_failed_buggy: list[str]
    visible_passed_buggy: list[str]
    heldout_failed_buggy: list[str]
    fixed_failures: list[str]  # any test failing with fix.diff applied (must be empty)
    fix_applies: str | None  # git apply's complaint, None when fix.diff applies
    heldout_tests: int

    @property
    def problems(self) -> list[str]:
        found = []
        if not self.visible_failed_buggy:
            found.append("no visible test fails on the buggy version")
        if len(self.visible_passed_buggy) < 2:
            found.append("fewer than two visible tests pass on the buggy version")
        if self.fix_applies is not None:
            found.append(f"fix.diff does not apply: {self.fix_applies}")
        if self.fixed_failures:
            found.append(f"tests fail on the fixed version: {self.fixed_failures}")
        if self.heldout_tests < 1:
            found.append("no held-back tests")
        return found


def check_bug(bug: Bug) -> BugCheck:
    """Run the visible and held-back suites on the buggy version and with fix.diff applied."""
    with tempfile.TemporaryDirectory(prefix="suture-bugs-") as tmp:
        buggy = copy_program(bug, Path(tmp) / "buggy", heldout=True)
        before = run_suites(buggy, [VISIBLE_SUITE, HELDOUT_SUITE])
        fixed = copy_program(bug, Path(tmp) / "fixed", heldout=True)
        complaint = apply_patch(fixed, bug.fix_diff)
        after = run_suites(fixed, [VISIBLE_SUITE, HELDOUT_SUITE]) if complaint is None else None
    heldout_total = sum(1 for n in before.outcomes if n.startswith(HELDOUT_SUITE + "/"))
    fixed_failures = (after.failed() + ([] if after.outcomes else ["<no outcomes>"])) if after else []
    return BugCheck(bug.name, before.failed(VISIBLE_SUITE), before.passed(VISIBLE_SUITE),
                    before.failed(HELDOUT_SUITE), fixed_failures, complaint, heldout_total)
