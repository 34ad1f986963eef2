"""The source of what a check looked at, kept in its run record so `suture report` can show each
changed function (and a file that does not compile, around its error) with the changed lines
marked, from the record alone: a page opened later, or on another machine, has no index to read.

Only the staged bytes the check already holds are used (no git call), and only a bounded amount
of them: a commit touching hundreds of functions keeps the first ones whole and counts the rest.
"""

from __future__ import annotations

import codecs
from typing import Any

from suture.agent.integrations.check.findings import Finding
from suture.agent.integrations.check.reading import Reading
from suture.agent.integrations.check.units import MODULE, Unit
from suture.retrieval.files import source_encoding

__all__ = ["MAX_LINES", "MAX_SOURCES", "changed_sources"]

MAX_SOURCES = 12  # changed functions (or error sites) whose source the record keeps
MAX_LINES = 80  # of one of them: a long function is cut, its first lines are where it starts
CONTEXT = 3  # lines around a module-level change or a syntax error


def changed_sources(readings: dict[str, Reading], units: list[Unit] | None,
                    findings: list[Finding]) -> list[dict[str, Any]]:
    """{"path", "symbol", "side" ("staged" | "head"), "start_line", "lines": [[number, text, changed], ...],
    "finding_lines": [...]}, the functions with a finding first, then the other changed functions in order."""
    flagged = {(f.path, f.symbol) for f in findings}
    spots: list[tuple[str, str, int]] = [(f.path, "", f.line) for f in findings if f.kind == "parse"]
    ordered = sorted(units or [], key=lambda u: (u.path, u.symbol) not in flagged)
    spots += [(u.path, u.symbol, u.line) for u in ordered]
    kept = []
    for path, symbol, line in spots[:MAX_SOURCES]:
        reading = readings.get(path)
        if reading is None:
            continue
        source = _source(reading, symbol, line)
        if source is not None:
            # The line a syntax error or a counterexample names (a test finding names the function's first line).
            source["finding_lines"] = sorted({f.line for f in findings
                                              if f.path == path and f.symbol == symbol and f.kind != "test"})
            kept.append(source)
    return kept


def _source(reading: Reading, symbol: str, line: int) -> dict[str, Any] | None:
    staged = bool(reading.new_rows) and (symbol in ("", MODULE) or not reading.old_rows
                                         or any(s.qualname == symbol for s in reading.symbols()[1]))
    rows = reading.new_rows if staged else reading.old_rows
    changed = reading.change.new_lines if staged else reading.change.old_lines
    found = next((s for s in reading.symbols()[1 if staged else 0] if s.qualname == symbol), None)
    if found is not None:
        first, last = found.start_line, min(found.end_line, found.start_line + MAX_LINES - 1)
    else:  # module level, or an error site: the changed lines near `line`, with a little context
        near = sorted(n for n in changed if abs(n - line) <= MAX_LINES) or [line]
        first, last = max(1, min(near[0], line) - CONTEXT), max(near[-1], line) + CONTEXT
        last = min(last, first + MAX_LINES - 1)
    last = min(last, len(rows))
    if first > last:
        return None
    encoding = source_encoding(b"\n".join(rows[:2]), reading.change.path)
    lines = [[n, _text(rows[n - 1], encoding, n), n in changed] for n in range(first, last + 1)]
    return {"path": reading.change.path, "symbol": symbol or "(file)", "side": "staged" if staged else "head",
            "start_line": first, "lines": lines}


def _text(row: bytes, encoding: str, number: int) -> str:
    if number == 1 and encoding == "utf-8" and row.startswith(codecs.BOM_UTF8):
        row = row[len(codecs.BOM_UTF8):]
    try:
        return row.decode(encoding, "surrogateescape").rstrip("\r")
    except LookupError:
        return row.decode("utf-8", "replace").rstrip("\r")
