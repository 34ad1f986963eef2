"""One expensive CLI run shared by tests in different files, made once per test session.

Some tests assert different facts about the very same `suture` run (the same fixture repo, the
same arguments): a whole fix run costs tens of seconds on a loaded machine, so it is made once and
every test reads it. Under `pytest -n 2` the tests may land on both xdist workers, each with its own
session fixtures: the run is keyed by name in a directory both workers see, behind a file lock, so
the second worker waits for the first's run and reads it. Tests only read the shared repo (a test
that would change it works on a clone).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from conftest import init_repo, repo_snapshot, suture


def shared_dir(tmp_path_factory) -> Path:
    """A directory every xdist worker of this session sees (each worker's own basetemp otherwise).

    The workers' basetemps share a parent that belongs to this session only.
    """
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def locked(path: Path):
    """An exclusive lock on `path` across the workers' processes (released when they exit too)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class SharedRun:
    repo: Path
    returncode: int
    stdout: str
    stderr: str
    report: dict  # the run record's report.json: the object `--json` prints (agent/runs.py write_report)
    tree_unchanged: bool  # the user's tree, index, refs and stash were as before the run
    place: Path = Path()  # the run's own directory (the repo's parent), for files a fixture's tests wrote
    prepared: dict = field(default_factory=dict)  # what `prepare` returned before the run


def shared_run(tmp_path_factory, key: str, files: dict | Callable[[Path], dict], args: list[str],
               timeout: float = 420, prepare: Callable[[Path], dict] | None = None) -> SharedRun:
    """`suture *args` in a fresh repo of `files`, run once per session under `key`.

    An argument "{repo}" stands for the repo's path: the run is then made from outside it, as
    `suture fix --repo DIR` is; otherwise from inside it. "{place}" in an argument stands for the run's
    own directory (the repo's parent: a model's script, a workload). `files` may be a function of that
    directory (for a test file that writes beside the repo), and `prepare(repo)` does what a commit of
    files cannot (a submodule, an untracked file, a script beside the repo) before the run; what it
    returns is kept for the tests."""
    place = shared_dir(tmp_path_factory) / f"suture-shared-{key}"
    place.mkdir(exist_ok=True)
    outcome = place / "outcome.json"
    with locked(place / "lock"):
        if not outcome.exists():
            repo = place / "repo"
            shutil.rmtree(repo, ignore_errors=True)  # a worker's failed attempt before
            init_repo(repo, files(place) if callable(files) else files)
            prepared = prepare(repo) if prepare is not None else {}
            before = repo_snapshot(repo)
            outside = "{repo}" in args
            argv = [str(repo) if a == "{repo}" else a.replace("{place}", str(place)) for a in args]
            done = suture(*argv, cwd=place if outside else repo, timeout=timeout)
            runs = sorted(p.name for p in (repo / ".suture" / "runs").iterdir()) \
                if (repo / ".suture" / "runs").is_dir() else []
            saved = {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr, "runs": runs,
                     "tree_unchanged": repo_snapshot(repo) == before, "prepared": prepared}
            tmp = outcome.with_suffix(".tmp")
            tmp.write_text(json.dumps(saved))
            os.replace(tmp, outcome)
    saved = json.loads(outcome.read_text())
    assert len(saved["runs"]) == 1, (saved["runs"], saved["stderr"][-2000:])
    repo = place / "repo"
    report = json.loads((repo / ".suture" / "runs" / saved["runs"][0] / "report.json").read_text(encoding="utf-8"))
    return SharedRun(repo, saved["returncode"], saved["stdout"], saved["stderr"], report, saved["tree_unchanged"],
                     place, saved["prepared"])
