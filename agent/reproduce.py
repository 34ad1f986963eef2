"""Reproduce an issue as a failing test when the repository has none (issue text + a model).

The model writes a pytest file from the issue, the code the issue's words find, and how the
existing tests import things. It runs at HEAD in a scratch worktree and counts only if a
test in it fails there (not a collection error, not a pass); the model gets one retry with
the run's output. A reproduction is evidence, never shipped: it is committed on top of HEAD
as a private commit (kept alive by a ref under refs/suture/ until the run ends), and the
whole pipeline (localisation, gates) runs at that commit, so every candidate is judged
against it, while the patch that comes out touches only source files and applies at HEAD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture import prompts
from suture.tools import gitcmd
from suture.tools.llm import head_tail
from suture.tools.testrun import TestRunError, run_tests
from suture.tools.worktree import scratch_worktree

REPRO_FILE = "test_suture_reproduction.py"
REF_PREFIX = "refs/suture/repro/"
ATTEMPTS = 2
_IDENTITY = ("-c", "user.name=suture", "-c", "user.email=suture@localhost", "-c", "commit.gpgsign=false")


@dataclass
class Reproduction:
    commit: str  # HEAD plus the reproduction test
    ref: str  # keeps `commit` from garbage collection until released
    path: str  # the test file, repo-relative
    source: str
    failing: list[str]  # its node ids that fail at HEAD
    attempts: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "failing": self.failing, "source": self.source, "attempts": self.attempts,
                "shipped": False}


def reproduce(client: Any, repo: Path, base: str, issue: str, *, test_cmd: Any = None, run_id: str,
              cache_dir: Path | None = None, timeout: float = 120,
              map_tokens: int = 1024, log: Any = lambda event, **data: None) -> tuple[Reproduction | None, list[str]]:
    """A committed reproduction test that fails at `base`, or None and what went wrong each time."""
    from suture.agent.planner import reply_record
    from suture.retrieval.api import Retriever
    from suture.retrieval.index import SymbolIndex
    from suture.retrieval.repomap import repo_map

    notes: list[str] = []
    with scratch_worktree(repo, base) as tree:
        index = SymbolIndex.build(tree, cache_dir=cache_dir)
        retriever = Retriever(index, cache_dir=cache_dir)
        path = _repro_path(tree)
        messages = [{"role": "user", "content": prompts.render(
            "reproduce", issue=head_tail(issue, 12000), code=related_code(retriever, issue), imports=test_imports(tree, _test_paths(index)) or "(no existing tests)",
            repo_map=repo_map(index, tokens=map_tokens) or "(empty)")}]
        for attempt in range(1, ATTEMPTS + 1):
            reply = client.complete(messages, None, temperature=0.0)
            log("model", stage="reproduce", **reply_record(reply))  # replay and resume play these back
            messages.append({"role": "assistant", "content": reply.text or ""})
            source = _python_block(reply.text or "")
            if source is None:
                problem, output = "the answer held no ```python block.", ""
            else:
                (tree / path).parent.mkdir(parents=True, exist_ok=True)
                (tree / path).write_text(source, encoding="utf-8")
                try:
                    run = run_tests(tree, test_cmd=test_cmd, nodeids=[path], timeout=timeout, per_test_timeout=30)
                except TestRunError as error:
                    return None, [*notes, f"the reproduction could not be run: {error}"]
                failing = [n for n, o in run.outcomes.items() if o.outcome in ("failed", "error")]
                if run.collection_errors:
                    problem = f"it could not be collected: {run.collection_errors[0]}"
                elif not run.outcomes:
                    problem = "it holds no test pytest collected."
                elif not failing:
                    problem = "every test in it passes at HEAD, so it does not show the issue."
                else:
                    ref = REF_PREFIX + run_id
                    try:
                        commit = _commit(tree, path)
                        _git(repo, "update-ref", ref, commit)
                    except RuntimeError as error:
                        return None, [*notes, f"the reproduction could not be committed: {error}"]
                    notes.append(f"reproduced on attempt {attempt}: {len(failing)} test(s) fail at HEAD.")
                    return Reproduction(commit, ref, path, source, failing, attempt, notes), notes
                output = head_tail(run.output_tail, 3000)
            notes.append(f"attempt {attempt}: {problem}")
            messages.append({"role": "user", "content": prompts.render("reproduce_retry", problem=problem,
                                                                       output=output or "(none)")})
    return None, notes


def release_reproductions(repo: Path, run_id: str) -> None:
    """Drop the ref that kept a run's reproduction commit alive (the commit itself is then garbage)."""
    try:
        gitcmd.run(repo, "update-ref", "-d", REF_PREFIX + run_id)
    except gitcmd.GitError:
        pass  # the repository went away: nothing is kept alive


def _test_paths(index: Any, limit: int = 5) -> list[str]:
    # From the index, not a walk of the tree: a checkout may hold a virtualenv or node_modules.
    return [p for p in index.paths() if p.rsplit("/", 1)[-1].startswith("test_") and p.endswith(".py")][:limit]


def _repro_path(tree: Path) -> str:
    return f"tests/{REPRO_FILE}" if (tree / "tests").is_dir() else REPRO_FILE


def _commit(tree: Path, path: str) -> str:
    _git(tree, "add", "--", path)
    # tools/gitcmd switches every hook off (--no-verify alone leaves prepare-commit-msg and post-commit on).
    _git(tree, *_IDENTITY, "commit", "-q", "--no-verify", "-m", "suture: reproduction test (evidence, never shipped)")
    return _git(tree, "rev-parse", "HEAD").strip()


def _git(cwd: Path, *args: str) -> str:
    try:
        done = gitcmd.run(cwd, *args, text=True)
    except gitcmd.GitError as error:
        raise RuntimeError(str(error)) from None
    if done.returncode != 0:
        raise RuntimeError(f"git {args[0]} failed: {done.stderr.strip()[-300:]}")
    return done.stdout


def _python_block(text: str) -> str | None:
    match = re.search(r"```(?:python|py)?\n(.*?)```", text, re.DOTALL)
    return match.group(1) if match else None


def related_code(retriever: Any, issue: str, limit: int = 4, chars: int = 5000) -> str:
    from suture.retrieval.api import symbol_code

    words = " ".join(re.findall(r"[A-Za-z_][A-Za-z0-9_]{2,}", issue))[:400]
    if not words:
        return "(nothing found)"
    try:
        hits = retriever.search.search(words, limit=limit)
    except Exception:  # an empty or odd issue: the model still has the repo map
        return "(nothing found)"
    parts = []
    for hit in hits:
        found = [s for s in retriever.index.symbols_in(hit.path) if s.qualname == hit.symbol]
        if found:
            parts.append(f"{hit.path}:{found[0].start_line}\n{symbol_code(retriever, found[0])}")
    return head_tail("\n\n".join(parts), chars) or "(nothing found)"


def test_imports(tree: Path, paths: list[str], limit: int = 12) -> str:
    """The distinct import lines of these test files: how the project's tests reach its code."""
    lines: list[str] = []
    for path in paths:
        try:
            text = (tree / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(("import ", "from ")) and line not in lines:
                lines.append(line)
    return "\n".join(lines[:limit])
