"""Run records: every suture run that produces evidence keeps it in `.suture/runs/<id>/`.

The first run also adds `.suture/` to the repository's `.git/info/exclude`, so
suture's files never show in `git status` and never reach a commit, without
touching the user's own `.gitignore`.

A `.suture/` is suture's only when suture made it on this machine: one that is a
symbolic link (it would send records anywhere) or that git tracks (someone committed
it, e.g. a `last_delivery.json` for `suture undo` to act on) is refused before anything
reads or writes there (`check_suture_dir`). Records suture reads back carry a stamp of
the directory they were written in (`dir_stamp`), the rule the index cache follows: a
copy that came out of a clone or an archive sits in a directory its author could not know.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from suture.tools.git import cmd as gitcmd

EXCLUDE_LINE = ".suture/"
SUTURE_DIR = ".suture"


def check_suture_dir(repo: Path, *inside: str) -> Path:
    """`<repo>/.suture` when suture may use it; SutureExit (exit 3) when it is a symbolic link, leads
    through one (`inside` names the sub-directories about to be used), or is tracked by git."""
    from suture.agent.exitcodes import ExitCode, SutureExit

    path = Path(repo) / SUTURE_DIR
    for step in [path, *(path.joinpath(*inside[: n + 1]) for n in range(len(inside)))]:
        if step.is_symlink():
            raise SutureExit(f"{step} is a symbolic link, so suture refuses to keep its records there "
                             "(a committed or planted link would send them elsewhere); remove the link.",
                             ExitCode.REFUSED)
    done = gitcmd.run(repo, "ls-files", "-z", "--", SUTURE_DIR)
    tracked = [name for name in done.stdout.decode("utf-8", "replace").split("\0") if name]
    if done.returncode == 0 and tracked:
        raise SutureExit(f"{path} is tracked by git ({tracked[0]}{' ...' if len(tracked) > 1 else ''}), so it is not "
                         "suture's own and suture does not trust it; remove it from the repository "
                         "(git rm -r --cached .suture).", ExitCode.REFUSED)
    return path


def dir_stamp(directory: Path) -> str:
    """The device and inode of `directory`: a record written there names them, so a copy of it found in
    another directory (a clone, an unpacked archive) is told apart (see the index cache)."""
    info = os.stat(directory)
    return f"{info.st_dev}:{info.st_ino}"


def new_run_dir(repo: Path, command: str, tidy: bool = True) -> Path:
    """Create and return `<repo>/.suture/runs/<id>/`; ids sort by time.

    Every run starts here, so this is also where the scratch worktrees of an earlier
    suture that was killed (SIGKILL, power loss) are removed; `tidy=False` leaves that to the
    next run that makes scratch worktrees itself (`check`, a pre-commit hook, must stay quick).
    """
    from suture.tools.git.workspace import remove_stale_pools

    check_suture_dir(repo, "runs")
    if tidy:
        remove_stale_pools(repo)
    exclude_suture(repo)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    run_dir = repo / ".suture" / "runs" / f"{stamp}-{command}-{secrets.token_hex(3)}"
    try:
        run_dir.mkdir(parents=True)
        (run_dir / RUN_STAMP).write_text(dir_stamp(run_dir) + "\n")
    except OSError as error:  # a read-only file system, a directory the user may not write
        from suture.agent.exitcodes import SutureExit

        raise SutureExit(f"cannot write suture's run records under {repo / SUTURE_DIR}: "
                         f"{error.strerror or error}; suture keeps every run's evidence there, so run it on a "
                         "writable checkout of the repository (a clone or `git worktree add`).") from None
    return run_dir


RUN_STAMP = "stamp"


def prune_runs(repo: Path, command: str, keep: int) -> list[Path]:
    """Remove all but the newest `keep` run records of `command` (a pre-commit hook's `check` runs at
    every commit; its records would otherwise pile up); returns the removed directories. Only
    directories named as `new_run_dir` names them are touched, never a symbolic link."""
    import shutil

    runs_dir = repo / SUTURE_DIR / "runs"
    named = re.compile(rf"\d{{8}}-\d{{6}}-{re.escape(command)}-[0-9a-f]{{6}}")
    try:
        found = sorted(p for p in runs_dir.iterdir() if named.fullmatch(p.name) and p.is_dir() and not p.is_symlink())
    except OSError:
        return []
    removed = found[: max(0, len(found) - keep)]
    for old in removed:
        shutil.rmtree(old, ignore_errors=True)
    return removed


def check_run_dir(run_dir: Path) -> None:
    """SutureExit (exit 3) unless the run record in a repository's `.suture/runs/` was made there by
    suture (its stamp names this directory): a record planted by a clone or an archive must not hand
    `replay` or `--resume` its test command, options or model turns. A run directory elsewhere (an
    artifact the user downloaded and names by path) is the user's own choice."""
    from suture.agent.exitcodes import ExitCode, SutureExit

    run_dir = Path(run_dir)
    if not (run_dir.parent.name == "runs" and run_dir.parent.parent.name == SUTURE_DIR):
        return
    check_suture_dir(run_dir.parent.parent.parent, "runs")
    try:
        stamp = (run_dir / RUN_STAMP).read_text().strip()
    except OSError:
        stamp = ""
    if run_dir.is_symlink() or stamp != dir_stamp(run_dir):
        raise SutureExit(f"the run record {run_dir} was not made by suture in this directory (it came with a clone, "
                         "a copy or an archive, or from an older suture), so suture does not act on it; "
                         "name a copy outside .suture/ by its path to replay it anyway.", ExitCode.REFUSED)


def json_text(obj: Any, indent: int | None = None) -> str:
    """`obj` as JSON that encodes as UTF-8: a patch of a file that is not UTF-8 (a latin-1 source)
    carries its bytes as surrogates (surrogateescape); they become `\\udcXX` escapes, which
    Python's json.loads turns back into the same surrogates (`.encode("utf-8", "surrogateescape")`
    then gives the exact bytes)."""
    text = json.dumps(obj, indent=indent, ensure_ascii=False)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


EXACT_KEYS = frozenset({"patch", "diff"})


def _scratch_pattern(repo_name: str | None) -> re.Pattern[str]:
    from suture.tools.git.workspace import POOL_PREFIX
    from suture.tools.git.worktree import SCRATCH_PREFIX

    temps = {tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir())}
    name = r"[^/\s'\"]+"
    checkout = re.escape(repo_name) if repo_name else r"[\w.-]*[\w-]"  # not a sentence's last "." or ":"
    # A single scratch tree is <tmp>/suture-wt-*/<repo name>, a pool's is <tmp>/suture-pool-*/w*/<repo name>.
    trees = rf"(?:{re.escape(SCRATCH_PREFIX)}{name}|{re.escape(POOL_PREFIX)}{name}/w{name})/{checkout}"
    return re.compile(rf"(?:{'|'.join(re.escape(t) for t in sorted(temps))})/{trees}(/?)")


def user_paths(value: Any, top: Path | None) -> Any:
    """`value` (a string, or the strings inside dicts and lists) with every path into one of suture's
    scratch checkouts made the user's: under `top` (the user's work-tree top), or repo-relative when
    `top` is not known. Tracebacks, test messages and verifier messages come from the scratch trees;
    what the user sees must name their repository."""
    pattern = _scratch_pattern(top.name if top is not None else None)

    def mapped(text: str) -> str:
        if top is not None:
            return pattern.sub(lambda m: str(top) + m[1], text)
        return pattern.sub(lambda m: "" if m[1] else ".", text)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return mapped(item) if "suture-" in item else item
        if isinstance(item, dict):  # a patch stays byte for byte what `git apply` takes
            return {walk(k): v if k in EXACT_KEYS else walk(v) for k, v in item.items()}
        if isinstance(item, list) or type(item) is tuple:
            return type(item)(walk(v) for v in item)
        return item

    return walk(value)


def write_report(run_dir: Path, report: dict[str, Any]) -> Path:
    """Save the run's report (its scratch-tree paths made the user's, in place: what is printed
    afterwards is the same)."""
    repo = run_dir.parent.parent.parent  # <repo>/.suture/runs/<id>
    from suture.agent.guard import git_toplevel

    mapped = user_paths(report, git_toplevel(repo) or repo)
    report.clear()
    report.update(mapped)
    path = run_dir / "report.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json_text(report, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def exclude_suture(repo: Path) -> None:
    """Add `.suture/` to the repository's info/exclude once (works from worktrees and sub-directories)."""
    exclude = gitcmd.git_path(repo, "info/exclude")
    if exclude is None:
        return  # not a git repository: nothing to keep clean
    try:
        lines = exclude.read_text().splitlines() if exclude.exists() else []
        if EXCLUDE_LINE in lines:
            return
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a") as f:
            if lines and lines[-1] != "":
                f.write("\n")
            f.write(f"# suture's run records and caches\n{EXCLUDE_LINE}\n")
    except OSError:
        pass  # a read-only .git: the run still works, .suture/ just shows as untracked


class Trajectory:
    """Append-only JSONL of what a run did, as it happens (for `suture replay` and for people)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._top: Path | None = None

    def log(self, event: str, **data: Any) -> None:
        if self._top is None:  # <repo>/.suture/runs/<id>/trajectory.jsonl
            from suture.agent.guard import git_toplevel

            repo = self.path.parent.parent.parent.parent
            self._top = git_toplevel(repo) or repo
        data = user_paths(data, self._top)  # test messages and tracebacks name the user's files
        with self.path.open("a") as f:
            f.write(json.dumps({"t": round(time.time(), 3), "event": event, **data}, default=str) + "\n")


@dataclass
class RunProgress:
    """What a long run (fix, optimize) is doing now, for the live status line."""

    stage: str
    candidates_tried: int = 0
    best: str = ""
    seconds: float = 0.0


class ProgressReporter:
    """Keeps a RunProgress current and hands it to the caller's callback at each change."""

    def __init__(self, callback: Callable[[RunProgress], None] | None, started: float) -> None:
        self.callback = callback
        self.started = started
        self.state = RunProgress("starting")

    def stage(self, name: str) -> None:
        self.state.stage = name
        self._emit()

    def update(self, tried: int, best: str) -> None:
        self.state.candidates_tried, self.state.best = tried, best
        self._emit()

    def _emit(self) -> None:
        self.state.seconds = time.monotonic() - self.started
        if self.callback is not None:
            self.callback(self.state)


def cost_summary(client: Any) -> dict[str, Any]:
    """The report's `cost` (the README's keys): the model client's running totals, all zero without a model."""
    if client is None:
        return {"tokens": 0, "usd": 0.0, "calls": 0, "unpriced_calls": 0}
    totals = client.totals.as_dict()
    return {"tokens": totals["tokens"], "usd": totals["usd"], "calls": totals["calls"],
            "unpriced_calls": totals["unpriced_calls"]}
