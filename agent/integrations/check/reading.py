"""One staged .py file as the check reads it: each side compiled and parsed at most once, a large
file only by the top-level statements around its changes."""

from __future__ import annotations

import ast
import re
import subprocess
from dataclasses import dataclass, replace

from suture.agent.integrations.check.clock import STOP_RESERVE, Clock, OutOfTime
from suture.retrieval.model import Symbol
from suture.retrieval.parse import parse_source
from suture.tools.git.staged import StagedChange
from suture.tools.pysyntax import syntax_error, syntax_error_in_child

__all__ = ["LARGE_FILE", "Reading", "parse_symbols"]

LARGE_FILE = 1_000_000  # bytes: a larger staged file is read by the top-level statements around its changes
# Column-0 lines that continue a compound statement rather than start one.
_CONTINUATIONS = (b"else", b"elif", b"except", b"finally")


def parse_symbols(path: str, data: bytes | None) -> list[Symbol]:
    if data is None:
        return []
    return parse_source(path, "python", data)[0]


@dataclass
class _Window:
    """Whole top-level statements around changed lines: `start` is the first line's number."""

    old_start: int
    old_text: bytes
    new_start: int
    new_text: bytes


class Reading:
    """One staged .py file as the check reads it: each side compiled and parsed at most once.

    A file larger than LARGE_FILE (a generated module of megabytes) is not compiled or parsed
    whole: outside its hunks both sides are the same bytes, so reading the top-level statements
    around the changes (its windows) decides the same questions at a cost that follows the change,
    not the file. The staged file compiles exactly when the HEAD file does, once each staged
    window compiles on its own and the HEAD windows did (which also shows their edges are real
    statement boundaries). When the windows cannot be trusted (a `from __future__` import or a
    module-level `global` inside, a window edge inside a string), the file is compiled whole in a
    subprocess the cap can stop, and its changes are counted at module level.
    """

    def __init__(self, change: StagedChange, old: bytes | None, new: bytes | None) -> None:
        self.change, self.old, self.new = change, old, new
        self.old_rows = old.split(b"\n") if old is not None else []
        self.new_rows = new.split(b"\n") if new is not None else []
        self.large = max(len(old or b""), len(new or b"")) > LARGE_FILE
        self.windows = _windows(change, self.old_rows, self.new_rows) if self.large and old and new else None
        self._symbols: tuple[list[Symbol], list[Symbol]] | None = None
        self._trees: dict[str, ast.Module | None] = {}

    def syntax_problem(self, clock: Clock) -> tuple[tuple[int, str] | None, bool]:
        """(the staged file's syntax error, whether it is blamed on the commit: the HEAD file
        compiled or there was none), within the cap."""
        path = self.change.path
        if self.windows is not None:
            for window in self.windows:
                problem = syntax_error(window.new_text, path)
                if problem is not None:
                    return (problem[0] + window.new_start - 1, problem[1]), True  # the HEAD windows compiled
            return None, True
        check = syntax_error if not self.large else lambda data, name: _syntax_error_bounded(data, name, clock)
        problem = check(self.new or b"", path)
        if problem is None:
            return None, True
        return problem, self.old is None or check(self.old, path) is None  # a new file has no excuse

    def symbols(self) -> tuple[list[Symbol], list[Symbol]]:
        """The functions and classes of both sides (of the windows of a large file; none when a
        large file's windows cannot be trusted: its changes then count at module level)."""
        if self._symbols is None:
            path = self.change.path
            if not self.large:
                self._symbols = (parse_symbols(path, self.old), parse_symbols(path, self.new))
            elif self.windows is None:
                self._symbols = ([], [])
            else:
                self._symbols = (
                    [s for w in self.windows for s in _shifted(parse_symbols(path, w.old_text), w.old_start)],
                    [s for w in self.windows for s in _shifted(parse_symbols(path, w.new_text), w.new_start)],
                )
        return self._symbols

    def new_tree(self) -> ast.Module | None:
        """The staged side's AST, parsed once, holding every changed function: of the file, or of a
        large file's windows (None: it does not parse)."""
        return self._tree("new")

    def old_tree(self) -> ast.Module | None:
        """The same of the HEAD side."""
        return self._tree("old")

    def _tree(self, side: str) -> ast.Module | None:
        if side not in self._trees:
            whole = self.new if side == "new" else self.old
            source = whole if self.windows is None else b"\n".join(
                w.new_text if side == "new" else w.old_text for w in self.windows)
            try:
                self._trees[side] = ast.parse(source) if source is not None and (not self.large or self.windows) else None
            except (SyntaxError, ValueError):
                self._trees[side] = None
        return self._trees[side]


def _shifted(symbols: list[Symbol], start: int) -> list[Symbol]:
    return [replace(s, start_line=s.start_line + start - 1, end_line=s.end_line + start - 1) for s in symbols]


def _starts_statement(lines: list[bytes], i: int) -> bool:
    """Does line i (0-based) look like the start of a top-level statement? Checked afterwards by
    compiling: a window whose HEAD text does not compile on its own is not used."""
    text = lines[i]
    if not text or text[:1] in b" \t#)]}'\"\r" or text.startswith(_CONTINUATIONS):
        return False
    if i > 0 and (lines[i - 1].startswith(b"@") or lines[i - 1].rstrip().endswith(b"\\")):
        return False  # a decorated definition starts at its first decorator; a continued line goes on
    return True


def _windows(change: StagedChange, old_lines: list[bytes], new_lines: list[bytes]) -> list[_Window] | None:
    """The changed top-level statements of both sides of a large file (given as lines), or None when
    they cannot be trusted. Only for a file on both sides: a new one has no unchanged rest to lean on."""
    if not change.hunks:
        return None
    spans: list[list[int]] = []  # [start, end) in HEAD's lines, 1-based
    for old_start, old_count, _, _ in sorted(change.hunks):
        first = old_start if old_count else old_start + 1  # an insertion goes after line old_start
        last = old_start + old_count - 1 if old_count else old_start
        start = first
        while start > 1 and not _starts_statement(old_lines, start - 1):
            start -= 1
        end = last + 1
        while end <= len(old_lines) and not _starts_statement(old_lines, end - 1):
            end += 1
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])

    def shift(line: int) -> int:
        """A HEAD line number outside the hunks, in the staged file."""
        return line + sum(nc - oc for os_, oc, _, nc in change.hunks if (os_ + oc if oc else os_ + 1) <= line)

    windows = []
    for start, end in spans:
        old_text = b"\n".join(old_lines[start - 1 : end - 1])
        new_start, new_end = shift(start), shift(end)
        new_text = b"\n".join(new_lines[new_start - 1 : new_end - 1])
        if b"__future__" in old_text + new_text or re.search(rb"^global ", old_text + b"\n" + new_text, re.M):
            return None  # statements whose meaning depends on the rest of the module
        if syntax_error(old_text, change.path) is not None:
            return None  # an edge fell inside a string or a bracket
        windows.append(_Window(start, old_text, new_start, new_text))
    return windows


def _syntax_error_bounded(data: bytes, path: str, clock: Clock) -> tuple[int, str] | None:
    """syntax_error in a subprocess the cap can stop (compile() of a huge file cannot be interrupted)."""
    left = clock.need(1.0, f"compiling {path} (a file too large to read around its changes)")
    try:
        return syntax_error_in_child(data, path, timeout=max(0.5, left - STOP_RESERVE / 2))
    except subprocess.TimeoutExpired:
        raise OutOfTime(f"compiling {path} (too large to read around its changes within the cap)") from None
