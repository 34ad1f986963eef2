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
from suture.retrieval.testfiles import is_test_module
from suture.tools.git import cmd as gitcmd
from suture.tools.llm.client import head_tail, python_blocks
from suture.tools.testing.testrun import TestRunError, run_tests
from suture.tools.git.worktree import scratch_worktree

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
    from suture.agent.propose.planner import reply_record
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
                        commit = _commit(repo, base, path, source)
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
    return [p for p in index.paths() if is_test_module(p)][:limit]


def _repro_path(tree: Path) -> str:
    return f"tests/{REPRO_FILE}" if (tree / "tests").is_dir() else REPRO_FILE


def _commit(repo: Path, base: str, path: str, source: str) -> str:
    """`base` plus the test file, committed in the user's repository with plumbing on a temporary
    index (the checkout, index and refs are not touched). Made here and not in the scratch
    checkout: that one has a git directory of its own, so its commits are not in the user's."""
    import tempfile

    top = Path(_git(repo, "rev-parse", "--show-toplevel").strip())
    rel = (Path(repo).resolve().relative_to(top.resolve()) / path).as_posix()
    with tempfile.TemporaryDirectory(prefix="suture-repro-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        blob = _git(top, "hash-object", "-w", "--stdin", input=source).strip()
        _git(top, "read-tree", base, env=env)
        _git(top, "update-index", "--add", "--cacheinfo", f"100644,{blob},{rel}", env=env)
        tree = _git(top, "write-tree", env=env).strip()
    return _git(top, *_IDENTITY, "commit-tree", tree, "-p", base, "-m",
                "suture: reproduction test (evidence, never shipped)").strip()


def _git(cwd: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> str:
    try:  # tools/gitcmd switches every hook off (commit-tree runs none anyway; update-ref's would)
        done = gitcmd.run(cwd, *args, input=input.encode() if input is not None else None, env=env, text=True)
    except gitcmd.GitError as error:
        raise RuntimeError(str(error)) from None
    if done.returncode != 0:
        raise RuntimeError(f"git {args[0]} failed: {done.stderr.strip()[-300:]}")
    return done.stdout


def _python_block(text: str) -> str | None:
    blocks = python_blocks(text)
    return blocks[0] if blocks else None


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
