"""Python `ast` positions (1-based line, UTF-8 byte column) as offsets into the source string.

The one home for that conversion: the repair templates (agent/propose/templates.py) and the
performance rules (agent/optimize/perf_rules.py) both cut and splice source text at node positions.

Lines are counted the way the tokenizer counts them: a line ends at "\\n" only (a "\\r\\n"
pair ends there too). `str.splitlines` also splits at form feeds, vertical tabs, "\\x1c".."\\x1e",
"\\x85" and the Unicode line separators, which Python code may hold (a form feed is a
legal page break between functions, PEP 8); counting those as lines shifted every offset after
them, and the performance rules then found each rewrite's text changed under it and dropped
it without a word.
"""

from __future__ import annotations

__all__ = ["LineTable", "source_lines"]


def source_lines(text: str) -> list[str]:
    """`text` split after each "\\n" (each line keeps its end; a last line without one stays)."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


class LineTable:
    """String offsets of the lines of one source text, and of `ast` positions in it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = source_lines(text)
        self.starts = [0]  # starts[i]: offset of line i + 1; the last entry is len(text)
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self._ascii = [line.isascii() for line in self.lines]

    def offset(self, lineno: int, col: int) -> int:
        """String offset of an `ast` position (1-based line, UTF-8 byte column)."""
        if lineno > len(self.lines):
            return len(self.text)
        if not self._ascii[lineno - 1]:
            col = len(self.lines[lineno - 1].encode("utf-8")[:col].decode("utf-8", "replace"))
        return self.starts[lineno - 1] + col

    def line_start(self, lineno: int) -> int:
        """Offset of the first character of line `lineno` (the end of the text past the last line)."""
        return self.starts[min(lineno - 1, len(self.starts) - 1)]

    def line_end(self, lineno: int) -> int:
        """Offset just after line `lineno`'s newline (or the end of the text)."""
        return self.starts[min(lineno, len(self.starts) - 1)]

    def line_of(self, offset: int) -> int:
        """1-based line holding string offset `offset`."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return min(lo + 1, max(len(self.lines), 1))
