"""Run records: every suture run that produces evidence keeps it in `.suture/runs/<id>/`.

The first run also adds `.suture/` to the repository's `.git/info/exclude`, so
suture's files never show in `git status` and never reach a commit, without
touching the user's own `.gitignore`.
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

from suture.tools import gitcmd

EXCLUDE_LINE = ".suture/"


def new_run_dir(repo: Path, command: str) -> Path:
    """Create and return `<repo>/.suture/runs/<id>/`; ids sort by time.

    Every run starts here, so this is also where the scratch worktrees of an earlier
    suture that was killed (SIGKILL, power loss) are removed.
    """
    from suture.tools.workspace import remove_stale_pools

    remove_stale_pools(repo)
    exclude_suture(repo)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    run_dir = repo / ".suture" / "runs" / f"{stamp}-{command}-{secrets.token_hex(3)}"
    run_dir.mkdir(parents=True)
    return run_dir


def json_text(obj: Any, indent: int | None = None) -> str:
    """`obj` as JSON that encodes as UTF-8: a patch of a file that is not UTF-8 (a latin-1 source)
    carries its bytes as surrogates (surrogateescape); they become `\\udcXX` escapes, which
    Python's json.loads turns back into the same surrogates (`.encode("utf-8", "surrogateescape")`
    then gives the exact bytes)."""
    text = json.dumps(obj, indent=indent, ensure_ascii=False)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


EXACT_KEYS = frozenset({"patch", "diff"})


def _scratch_pattern(repo_name: str | None) -> re.Pattern[str]:
    from suture.tools.workspace import POOL_PREFIX
    from suture.tools.worktree import SCRATCH_PREFIX

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
