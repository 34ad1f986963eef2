"""The source of a fix run's top suspects, captured when the run localises: `suture report` shows
it with each line shaded by its suspiciousness, from the run directory alone (a CI artifact opened
on another machine has no repository beside it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from suture.retrieval.files import decode_source
from suture.tools.git import cmd as gitcmd

TOP_SUSPECTS = 5
MAX_LINES = 80  # of one suspect's source: a long function is cut, its first lines are where it starts


def suspect_sources(repo: Path, base: str, ranking: list[Any], line_scores: dict[tuple[str, int], float],
                    top: int = TOP_SUSPECTS) -> list[dict[str, Any]]:
    """For the first `top` suspects: their lines at `base` with each covered line's score
    ({"path", "symbol", "start_line", "lines": [[number, text, score or None], ...]})."""
    texts: dict[str, list[str] | None] = {}
    found = []
    for suspect in ranking[:top]:
        path = suspect.path
        if path not in texts:  # "./": the path is relative to `repo`, which may be below the work tree's top
            data = gitcmd.file_at(repo, base, "./" + path)
            texts[path] = decode_source(data, path).splitlines() if data is not None else None
        lines = texts[path]
        if lines is None:
            continue
        first, last = max(1, suspect.start_line), min(len(lines), suspect.end_line, suspect.start_line + MAX_LINES - 1)
        found.append({"path": path, "symbol": suspect.symbol, "start_line": first,
                      "lines": [[n, lines[n - 1], _score(line_scores.get((path, n)))] for n in range(first, last + 1)]})
    return found


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
