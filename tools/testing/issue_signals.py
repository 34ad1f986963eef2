"""What an issue text says about where the bug is: two localisation signals beside the spectra.

- `issue_bm25`: the issue text as a query of the code search's BM25 (retrieval/search.py: a
  symbol's name, qualified name, signature, docstring and path), over functions and methods
  of the non-test source only. Only the few best matches that stand out from the rest count
  (at most STANDOUT_MAX, ending at a drop of STANDOUT_RATIO): a text naming a class matches its
  methods nearly equally, and their small differences (document lengths) decided against SBFL's
  tie-breakers on the bench. Its value is the score over the best score (1.0 for the best);
  `rank` is its place among the functions the text matched.
- `issue_traceback`: the stack frames quoted in the text, Python's
  `File "pkg/mod.py", line 12, in func` and pytest's `pkg/mod.py:12: in func`, mapped to the
  innermost function holding that line (retrieval/model.py's `innermost_symbol`). The frame
  nearest the raise (the last in-repo one of each traceback) has value 1.0, its callers 0.5.
  A user's path (`/home/me/proj/pkg/mod.py`, a site-packages copy) matches the repo file
  with the longest common tail; a line that moved since the user's version is found again by
  the frame's function name.

Bounds: a text longer than MAX_ISSUE_CHARS is cut to its head and tail (a note says so); the
query is then at most that many characters of distinct terms over the inverted index.

When the words cannot be trusted, their signal is given weight zero and a note says why: a
text that shares no word with the code's names, docstrings and paths, or whose prose is not
English (the search's tokens and docstrings are). Traceback frames do not depend on the
language and always count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from suture.retrieval.model import FUNCTION, METHOD, Symbol, innermost_symbol
from suture.retrieval.testfiles import is_test_path
from suture.retrieval.tokens import STOPWORDS, tokenize

__all__ = ["MAX_ISSUE_CHARS", "IssueEvidence", "SignalValue", "issue_evidence", "parse_frames"]

MAX_ISSUE_CHARS = 100_000  # an issue is a few kB; a pasted log of megabytes is cut, not searched whole
CALLER_FRAME_VALUE = 0.5
# Code search counts only for the few functions the text matches clearly better than the rest:
# the best STANDOUT_MAX at most, ending where the next score is STANDOUT_RATIO times lower.
STANDOUT_RATIO = 1.25
STANDOUT_MAX = 3
# The prose (code, frames and quoted lines left out) is judged not English when at least
# ENGLISH_MIN_WORDS of its words have fewer than ENGLISH_MIN_STOPWORDS glue words among them,
# or when most of its letters are not ASCII.
ENGLISH_MIN_WORDS = 12
ENGLISH_MIN_STOPWORDS = 0.08

_PYTHON_FRAME = re.compile(r'File "(?P<path>[^"\n]+)", line (?P<line>\d+)(?:, in (?P<func>[\w<>.]+))?')
_PYTEST_FRAME = re.compile(r"^\s*(?P<path>[^\s:\"']+\.py):(?P<line>\d+):(?: in (?P<func>[\w<>.]+))?", re.MULTILINE)
_TRACEBACK_START = re.compile(r"^.*Traceback \(most recent call last\):|^_{3,} .* _{3,}$|^={3,} FAILURES", re.MULTILINE)
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_ASCII_WORD = re.compile(r"[A-Za-z]{2,}")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Frame:
    path: str  # as written in the issue
    line: int
    func: str  # "" when the frame does not say
    block: int  # which traceback of the text it belongs to


@dataclass
class SignalValue:
    """One signal's evidence for one function: `value` in [0, 1] goes into the combination,
    `detail` says where it came from (for --explain and the JSON report)."""

    symbol: Symbol
    value: float
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class IssueEvidence:
    """Per signal name, per (path, qualname): its value. `weights_off` names the signals the
    text cannot support (their weight is zero); `notes` says why, for the user."""

    signals: dict[str, dict[tuple[str, str], SignalValue]] = field(default_factory=dict)
    weights_off: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def issue_evidence(text: str, index: Any, search: Any | None = None) -> IssueEvidence:
    """The issue signals of `text` over `index` (a SymbolIndex of the tree localised);
    `search` is a CodeSearch over it (built here when None)."""
    evidence = IssueEvidence()
    if len(text) > MAX_ISSUE_CHARS:
        from suture.tools.llm.base import head_tail  # the LLM client's module: only for a text this long

        evidence.notes.append(f"the issue text is {len(text):,} characters; only its first and last "
                              f"{MAX_ISSUE_CHARS // 2:,} were read.")
        text = head_tail(text, MAX_ISSUE_CHARS)
    sources = [p for p in index.paths() if not is_test_path(p)]
    evidence.signals["issue_traceback"] = _frame_signal(parse_frames(text), index, sources)
    words = _prose(text)
    if not _looks_english(words):
        evidence.weights_off.add("issue_bm25")
        evidence.notes.append("the issue text does not read as English, so its words were not searched in the "
                              "code (weight 0); " + _frames_said(evidence))
        return evidence
    if search is None:
        from suture.retrieval.search import CodeSearch

        search = CodeSearch(index, cache_dir=None)
    evidence.signals["issue_bm25"] = _bm25_signal(text, search)
    if not evidence.signals["issue_bm25"]:
        evidence.weights_off.add("issue_bm25")
        evidence.notes.append("the issue text matches no function's name, docstring or path clearly better than "
                              "the others, so code search on it was left out (weight 0); " + _frames_said(evidence))
    return evidence


def _frames_said(evidence: IssueEvidence) -> str:
    count = len(evidence.signals.get("issue_traceback") or {})
    return f"its traceback frames point at {count} function(s)." if count else "it quotes no traceback into the code."


# -- traceback frames ---------------------------------------------------------------------------


def parse_frames(text: str) -> list[Frame]:
    """The stack frames quoted in `text`, in order, each with the number of its traceback."""
    starts = [m.start() for m in _TRACEBACK_START.finditer(text)]
    found: list[tuple[int, Frame]] = []
    for pattern in (_PYTHON_FRAME, _PYTEST_FRAME):
        for match in pattern.finditer(text):
            block = sum(1 for s in starts if s <= match.start())
            frame = Frame(match["path"].strip(), int(match["line"]), match["func"] or "", block)
            found.append((match.start(), frame))
    return [frame for _, frame in sorted(found, key=lambda item: item[0])]


def _frame_signal(frames: list[Frame], index: Any, sources: list[str]) -> dict[tuple[str, str], SignalValue]:
    """The functions the frames fall in: the innermost in-repo frame of each traceback 1.0, callers 0.5."""
    located: list[tuple[Frame, Symbol]] = []
    for frame in frames:
        symbol = _locate(frame, index, sources)
        if symbol is not None:
            located.append((frame, symbol))
    innermost_of_block = {frame.block: symbol for frame, symbol in located}  # the last one of each block
    signal: dict[tuple[str, str], SignalValue] = {}
    for frame, symbol in located:
        innermost = innermost_of_block[frame.block] == symbol
        value = 1.0 if innermost else CALLER_FRAME_VALUE
        key = (symbol.path, symbol.qualname)
        if key not in signal or signal[key].value < value:
            where = f"{frame.path}:{frame.line}" + (f" in {frame.func}" if frame.func else "")
            signal[key] = SignalValue(symbol, value, {"frame": where, "innermost": innermost})
    return signal


def _locate(frame: Frame, index: Any, sources: list[str]) -> Symbol | None:
    """The repo function a frame is in. Its file: the non-test source file sharing the longest tail
    of path parts with the frame's path (a user's `/home/me/proj/pkg/mod.py`, a site-packages
    copy); of equally good files, the first that has the function the frame names."""
    parts = frame.path.replace("\\", "/").split("/")
    by_tail: dict[int, list[str]] = {}
    for path in sources:
        mine = path.split("/")
        common = 0
        while common < min(len(mine), len(parts)) and mine[-1 - common] == parts[-1 - common]:
            common += 1
        if common:
            by_tail.setdefault(common, []).append(path)
    for common in sorted(by_tail, reverse=True):
        for path in by_tail[common]:
            symbol = _function_at(index.symbols_in(path), frame)
            if symbol is not None:
                return symbol
    return None


def _function_at(symbols: list[Symbol], frame: Frame) -> Symbol | None:
    """The function holding the frame's line; when the frame names another function (the user's
    copy differs, or this is another file of the same name), the one of that name nearest the
    line, and None when the file has no function of that name."""
    functions = [s for s in symbols if s.kind in (FUNCTION, METHOD)]
    holder = innermost_symbol(functions, frame.line)
    if not frame.func or frame.func.startswith("<") or (holder is not None and holder.name == frame.func):
        return holder  # <genexpr>, <lambda>, <listcomp>: code inside the function holding the line
    named = [s for s in functions if s.name == frame.func.rsplit(".", 1)[-1]]
    return min(named, key=lambda s: abs(s.start_line - frame.line)) if named else None


# -- code search --------------------------------------------------------------------------------


def _bm25_signal(text: str, search: Any) -> dict[tuple[str, str], SignalValue]:
    """BM25 of the text over functions and methods outside the tests, kept only for the few that
    stand out (see STANDOUT_RATIO); value = score / best score."""
    scores = search.model.scores(tokenize(text))
    hits = []
    for doc_id, score in scores.items():
        symbol = search.symbols[doc_id]
        if score > 0 and symbol.kind in (FUNCTION, METHOD) and not is_test_path(symbol.path):
            hits.append((score, symbol))
    hits.sort(key=lambda hit: (-hit[0], hit[1].path, hit[1].start_line))
    standing_out = _standing_out([score for score, _ in hits])
    signal: dict[tuple[str, str], SignalValue] = {}
    for rank, (score, symbol) in enumerate(hits[:standing_out], 1):
        key = (symbol.path, symbol.qualname)
        if key not in signal:
            signal[key] = SignalValue(symbol, score / hits[0][0], {"score": round(score, 4), "rank": rank, "of": len(hits)})
    return signal


def _standing_out(scores: list[float]) -> int:
    """How many of the best (sorted) scores stand out: the smallest k <= STANDOUT_MAX after which
    the next score falls below 1 / STANDOUT_RATIO of the k-th; 0 when none does (the text matches
    many functions about equally, as the methods of a class it names: their score differences
    are document lengths, not evidence)."""
    for k in range(1, min(STANDOUT_MAX, len(scores)) + 1):
        if k == len(scores) or scores[k - 1] >= STANDOUT_RATIO * scores[k]:
            return k
    return 0


# -- is the prose English ----------------------------------------------------------------------


def _prose(text: str) -> str:
    """The text without fenced code, quoted frames and indented (code or log) lines."""
    text = _FENCE.sub(" ", text)
    kept = [line for line in text.splitlines()
            if not line.startswith(("    ", "\t", ">>>", "E ")) and not _PYTHON_FRAME.search(line)
            and not _PYTEST_FRAME.search(line)]
    return "\n".join(kept)


def _looks_english(prose: str) -> bool:
    letters = _LETTER.findall(prose)
    if letters and sum(1 for c in letters if not c.isascii()) > len(letters) / 2:
        return False
    words = [w.lower() for w in _ASCII_WORD.findall(prose)]
    if len(words) < ENGLISH_MIN_WORDS:
        return True  # too little prose to judge: a title, a traceback with a line of words
    return sum(1 for w in words if w in STOPWORDS) / len(words) >= ENGLISH_MIN_STOPWORDS
