"""One suspect's feature vector for the fitted combination (tools/testing/combine.py).

Every feature is a number in [0, 1] where 0 means "no evidence", so a signal a run cannot
give (no issue text, mutation evidence that did not run) is a clean 0 and the fitted model
needs no special case for it:

- `ochiai`, `dstar`, `tarantula`: the formula's function score (its best line, times the
  failing tests' own evidence, tools/testing/suspects.py) over the best such score of the run;
- `ochiai_rank`: 1 / the function's place under Ochiai (ties at their middle): SBFL's
  order, whatever the gaps between the scores;
- `issue_bm25`, `issue_traceback`: the issue text's signals (tools/testing/issue_signals.py);
- `mutation`: the mutation-evidence signal's value, when a run supplies one;
- `size`: the function's lines on a log scale, 1 at SIZE_SCALE lines or more;
- `churn`: the commits that touched the function (one `git log` pass, CHURN_COMMITS at most)
  over the most any function of the repo had, on a log scale.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from suture.tools.git.cmd import GitError, run

__all__ = ["FEATURES", "SBFL_FEATURES", "change_counts", "churn_value", "rank_values", "size_value"]

SBFL_FEATURES = ("ochiai", "dstar", "tarantula")
FEATURES = (*SBFL_FEATURES, "ochiai_rank", "issue_bm25", "issue_traceback", "mutation", "size", "churn")
SIZE_SCALE = 200  # lines: a function this long or longer has size 1
CHURN_COMMITS = 2000  # the history read for churn: the newest this many commits

# git's built-in Python diff driver names the enclosing def/class in each hunk header.
_HUNK = re.compile(r"^@@ [^@]* @@ ?(?P<context>.*)$")
_DEF = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+(?P<name>\w+)")


def size_value(start_line: int, end_line: int) -> float:
    lines = max(1, end_line - start_line + 1)
    return min(1.0, math.log1p(lines) / math.log1p(SIZE_SCALE))


def rank_values(scores: Mapping[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """1 / place of each key by score, best first, ties sharing their middle place."""
    ordered = sorted(scores.values(), reverse=True)
    first: dict[float, int] = {}
    count: dict[float, int] = defaultdict(int)
    for place, value in enumerate(ordered, 1):
        first.setdefault(value, place)
        count[value] += 1
    return {key: 1.0 / (first[v] + (count[v] - 1) / 2) for key, v in scores.items()}


def change_counts(tree: Path, rev: str = "HEAD", max_commits: int = CHURN_COMMITS) -> dict[tuple[str, str], int]:
    """(path, function or class name) -> how many commits of `rev`'s history changed it, from one
    `git log -p -U0` pass: each hunk is credited to the def its header names (git's Python diff
    driver), each function once per commit. Names, not qualnames: the header gives only the
    innermost def's name. {} when git cannot read the history (a shallow or odd repository)."""
    with tempfile.NamedTemporaryFile("w", suffix=".gitattributes", prefix="suture-churn-") as attributes:
        attributes.write("*.py diff=python\n")
        attributes.flush()
        try:
            done = run(tree, "-c", f"core.attributesFile={attributes.name}", "log", rev, f"--max-count={max_commits}",
                       "-p", "-U0", "--no-color", "--no-ext-diff", "--format=%x00commit", "--", "*.py", text=True)
        except GitError:
            return {}
    if done.returncode != 0:
        return {}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    seen: set[tuple[str, str]] = set()
    path = ""
    for line in done.stdout.splitlines():
        if line.startswith("\x00commit"):
            seen = set()
        elif line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else ""
        elif line.startswith("@@") and path:
            header = _HUNK.match(line)
            found = _DEF.match(header["context"]) if header else None
            if found and (path, found["name"]) not in seen:
                seen.add((path, found["name"]))
                counts[(path, found["name"])] += 1
    return dict(counts)


def churn_value(counts: Mapping[tuple[str, str], int], path: str, qualname: str) -> float:
    """The churn feature of one function from `change_counts`' table."""
    most = max(counts.values(), default=0)
    if most == 0:
        return 0.0
    mine = counts.get((path, qualname.rsplit(".", 1)[-1]), 0)
    return math.log1p(mine) / math.log1p(most)
