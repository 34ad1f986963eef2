"""Reading a candidate's `git diff`: the lines it touches per file and the functions that hold them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from suture.retrieval.languages import language_for_path
from suture.retrieval.model import CLASS, Symbol, innermost_symbol

__all__ = ["FileChange", "changed_lines", "diff_line_count", "symbols_of", "touched"]



@dataclass
class FileChange:
    old_path: str | None  # None for a new file
    new_path: str | None  # None for a deleted file
    old_lines: set[int] = field(default_factory=set)  # base lines removed, or next to an insertion
    new_lines: set[int] = field(default_factory=set)  # lines added in the new file, or next to a removal
    binary: bool = False


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _diff_path(raw: str) -> str | None:
    raw = raw.rstrip("\n").split("\t", 1)[0]
    if raw.startswith('"'):
        # git quotes unusual names C-style (octal escapes of the utf-8 bytes).
        raw = raw[1:-1].encode("latin-1").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
    if raw == "/dev/null":
        return None
    return raw[2:] if raw[:2] in ("a/", "b/") else raw


def changed_lines(patch: str) -> list[FileChange]:
    """Per file of a `git diff`: the base lines it touches and the new lines it adds."""
    files: list[FileChange] = []
    current: FileChange | None = None
    old = new = 0
    removed = added = False
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            current = FileChange(None, None)
            files.append(current)
            # Fallback names for changes without ---/+++ lines (mode-only, binary).
            parts = line[len("diff --git ") :].split(" b/", 1)
            if len(parts) == 2:
                current.old_path = _diff_path(parts[0])
                current.new_path = parts[1]
            continue
        if current is None:
            continue
        if line.startswith("new file mode"):
            current.old_path = None
        elif line.startswith("deleted file mode"):
            current.new_path = None
        elif line.startswith("Binary files") or line.startswith("GIT binary patch"):
            current.binary = True
        elif line.startswith("--- "):
            current.old_path = _diff_path(line[4:])
        elif line.startswith("+++ "):
            current.new_path = _diff_path(line[4:])
        elif (hunk := _HUNK.match(line)) is not None:
            old, new = int(hunk[1]), int(hunk[3])
            # "-a,0" is an insertion after base line a, "+c,0" a removal after new line c.
            old += hunk[2] == "0"
            new += hunk[4] == "0"
        elif line.startswith("-"):
            current.old_lines.add(old)
            if not added:  # a pure removal: the new lines around the gap name the function
                current.new_lines.update(n for n in (new - 1, new) if n >= 1)
            removed = True
            old += 1
        elif line.startswith("+"):
            current.new_lines.add(new)
            if not removed:  # a pure insertion: the base lines around it name the function it joins
                current.old_lines.update(n for n in (old - 1, old) if n >= 1)
            added = True
            new += 1
        elif line.startswith(" "):
            old += 1
            new += 1
        if not line.startswith(("-", "+")) or line.startswith(("--- ", "+++ ")):
            removed = added = False  # a change block ends at a context line or a header
    return files


def diff_line_count(patch: str) -> int:
    return sum(
        1
        for line in patch.splitlines()
        if (line.startswith("+") and not line.startswith("+++ ")) or (line.startswith("-") and not line.startswith("--- "))
    )


def symbols_of(path: str, source: bytes | None) -> list[Symbol]:
    language = language_for_path(path)
    if language is None or source is None:
        return []
    from suture.retrieval.parse import parse_source

    try:
        return parse_source(path, language, source)[0]
    except Exception:  # a grammar failure only loses test selection, never the verdict
        return []


def touched(symbols: list[Symbol], lines: set[int]) -> list[Symbol]:
    """The innermost function or method holding each line (lines in a class body outside its
    methods, or at module level, have none: the whole suite covers them)."""
    found: dict[str, Symbol] = {}
    for line in sorted(lines):
        symbol = innermost_symbol(symbols, line)
        if symbol is not None and symbol.kind != CLASS:
            found.setdefault(symbol.qualname, symbol)
    return list(found.values())

