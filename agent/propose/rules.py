"""The rule engine's candidate generator: repair templates applied to suspicious code, best bets first.

`generate_candidates` turns fault-localisation output (suspicious functions and
per-line scores) into a lazy, ranked stream of `RuleCandidate`s, each a list of
SEARCH/REPLACE `Edit`s for `apply_edits`. The consumer (the fix pipeline) stops
pulling at the first candidate that passes every gate, so the order is the whole
game:

    priority = suspect weight x line weight x template prior x variant weight

- suspect weight: the function's score over the top score (its rank when all are 0);
- line weight: the line's score over the function's best line score; lines no
  failing test ran get a small floor (a missing line can still belong there);
- template prior (`template_priors`: fitted on the bench corpora, priors.json; the hand
  `HAND_PRIORS` as fallback): how often that kind of edit is the fix, and how cheap and safe it is to try;
- variant weight: a template's own preference (`<` -> `<=` before `<` -> `>`).

Single edits come first; pairs of single edits in one function start only after
every single edit of the top functions was offered. Identical resulting files are
offered once, edits that would not parse are never offered, test files are never
edited, and a file that does not parse is skipped with a note.
"""

from __future__ import annotations

import ast
import hashlib
import heapq
import itertools
import json
import math
import os
import warnings
from functools import lru_cache
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.agent.propose.templates import TEMPLATES, Mutation, SourceFile, Span, class_fields, scope_nodes
from suture.tools.edits import Edit
from suture.retrieval.files import decode_source, source_encoding
from suture.retrieval.testfiles import is_test_path

# The hand priors: the documented prior of the fit and the fallback. Reasoning, in short:
# - Single-token operator slips (comparison, off-by-one, arithmetic, boolean, a flipped
#   condition) are the commonest one-line bugs in the repair benchmarks (Defects4J one-liners,
#   QuixBugs, ManyBugs), the cheapest to test and the least likely to overfit: they go first.
# - Value-level fixes (a `return None` that should return a value, a missing `return`, a wrong
#   variable, swapped arguments, a similar call) are frequent but have many variants per site.
# - Adding a None/empty guard is a real pattern (TBar's null check) but also a classic way to
#   make a test pass without fixing anything, so it comes after the value fixes.
# - Deleting, dropping a condition, moving and inserting statements (GenProg's operators) repair
#   the fewest bugs per candidate and overfit the most (deletion passes weak tests): last.
HAND_PRIORS: dict[str, float] = {
    "comparison": 1.0,
    "off_by_one": 0.9,
    "negate_condition": 0.85,
    "arithmetic": 0.8,
    "boolean": 0.8,
    "return_value": 0.75,
    "constant": 0.7,
    "missing_return": 0.7,
    "return_analogy": 0.6,  # a namesake's returned value, translated by the names (templates/analogy.py)
    "swap_args": 0.5,
    "replace_variable": 0.45,
    "similar_call": 0.45,
    "guard": 0.35,
    "drop_condition": 0.25,
    "move_statement": 0.2,
    "delete_statement": 0.15,
    "insert_statement": 0.12,
}
assert set(HAND_PRIORS) == set(TEMPLATES), "every template needs a prior"

# The priors the engine orders by: fitted on bench/bugs and bench/faults by bench/fit_priors.py (the
# correct candidate's queue position, cross-validated by library and bug kind, pulled toward the hand
# priors where a template has few examples) and shipped as data. $SUTURE_RULE_PRIORS names another
# file (one fitted on your own bugs, or the hand priors for an A/B run). A template the file lacks, or
# a file that cannot be read, gets the hand priors.
PRIORS_FILE = Path(__file__).with_name("priors.json")
PRIORS_ENV = "SUTURE_RULE_PRIORS"

# Templates that swap one token or one whole operand for another of the same kind: the result
# always parses, so the parse check (the costliest step per candidate) is skipped for them.
TOKEN_TEMPLATES = frozenset({"comparison", "arithmetic", "boolean", "constant", "off_by_one", "replace_variable",
                             "similar_call", "swap_args", "return_value"})

PAIR_FACTOR = 0.5  # a pair is tried only when it beats remaining singles by this margin
PAIR_POOL = 30  # singles per function combined into pairs (30 -> at most 435 pairs)
PAIR_PER_TEMPLATE = 6
# `beyond` (synthesis, ingredients) comes after this many of the top functions' single edits: the likeliest
# template edits are cheaper, but a long tail of them must not starve synthesis of its time.
BEYOND_AFTER = 12
UNSCORED_LINE = 0.1  # weight of a function line no failing test ran
ZERO_LINE = 0.05  # weight of a line only passing tests ran


@dataclass
class RuleCandidate:
    id: str
    edits: list[Edit]
    template: str  # "comparison", or "comparison+off_by_one" for a pair
    description: str
    risks: tuple[str, ...]
    priority: float
    path: str
    line: int
    symbol: str
    meta: dict[str, Any] = field(default_factory=dict)

    def to_candidate(self) -> Any:
        """The validation gate's Candidate for this rule candidate."""
        from suture.agent.gates.validate import Candidate

        meta = {"template": self.template, "risks": list(self.risks), "priority": self.priority,
                "path": self.path, "line": self.line, "symbol": self.symbol, **self.meta}
        return Candidate(self.id, list(self.edits), "rules", self.description, meta, path=self.path, line=self.line,
                         symbol=self.symbol, risks=tuple(self.risks), template=self.template)


@dataclass
class _Suspect:
    path: str
    symbol: str
    start_line: int
    end_line: int
    score: float


@dataclass(order=True)
class _Entry:
    """One proposed candidate before its text is built: a single mutation or a pair in one file."""

    key: tuple  # sort key: (-priority, sequence)
    priority: float = field(compare=False)
    rank: int = field(compare=False)  # the suspect's rank
    src: SourceFile = field(compare=False)
    parts: tuple[Mutation, ...] = field(compare=False)
    symbol: str = field(compare=False)


def generate_candidates(
    repo_root: Path,
    suspects: Sequence[Any],
    line_scores: dict[tuple[str, int], float | None],
    *,
    max_candidates: int,
    pairs: bool = True,
    notes: list[str] | None = None,
    max_suspects: int = 20,
    top_functions: int = 3,
    beyond: Iterable[RuleCandidate] = (),
    priors: Mapping[str, float] | None = None,
) -> Iterator[RuleCandidate]:
    """Candidate edit sets for the suspects, best first, lazily, at most `max_candidates` of them.

    `suspects` are (path, symbol qualname, start_line, end_line, score) tuples or objects with
    those attributes (tools.localize.Suspect), best first; `line_scores` maps (path, line) to a
    suspiciousness score. `beyond` (synthesis and ingredients, agent/propose/synthesis.py) is pulled
    after the first BEYOND_AFTER of the top functions' single edits, before the rest and the pairs; it is lazy, so its probe
    runs cost nothing when a template fixed the bug first. Files that cannot be read or parsed, and test files, are skipped with a
    sentence appended to `notes`. `priors` (template -> prior) replaces `template_priors()` (bench/fit_priors.py).
    """
    notes = notes if notes is not None else []
    prior = {**HAND_PRIORS, **priors} if priors is not None else template_priors(notes)
    if max_candidates <= 0:
        return
    root = Path(repo_root)
    wanted = [_as_suspect(s) for s in suspects][:max_suspects]
    files: dict[str, SourceFile | None] = {}
    top_score = max((s.score for s in wanted), default=0.0)

    singles: list[_Entry] = []
    counter = itertools.count()
    for rank, suspect in enumerate(wanted):
        if is_test_path(suspect.path):
            _note(notes, f"{suspect.path} is a test file; the rule engine never edits tests.")
            continue
        src = _load(root, suspect.path, files, notes)
        if src is None:
            continue
        nodes = _scope_nodes(src, suspect)
        suspect_weight = suspect.score / top_score if top_score > 0 else 1.0 / (1 + rank)
        line_weight = _line_weights(suspect, line_scores)
        for mutation in _mutations_of(src, nodes, notes):
            weight = suspect_weight * line_weight(mutation.line) * prior[mutation.template] * mutation.weight
            singles.append(_Entry((-weight, next(counter)), weight, rank, src, (mutation,), suspect.symbol))
    singles.sort()

    emitted = 0
    seen: set[bytes] = set()
    parse_cache: dict[tuple[int, int], bool] = {}
    top_ranks = sorted({e.rank for e in singles})[:top_functions]
    last_top = max((i for i, e in enumerate(singles) if e.rank in top_ranks), default=-1)

    def stream() -> Iterator[_Entry | RuleCandidate]:
        head = min(last_top + 1, BEYOND_AFTER)
        yield from singles[:head]
        yield from beyond
        yield from singles[head : last_top + 1]
        rest = singles[last_top + 1 :]
        if not pairs:
            yield from rest
            return
        yield from heapq.merge(rest, _pairs(singles, top_ranks, counter))

    for entry in stream():
        if emitted >= max_candidates:
            return
        candidate = entry if isinstance(entry, RuleCandidate) else _build(entry, seen, parse_cache, f"r{emitted + 1}")
        if candidate is not None:
            emitted += 1
            yield candidate


# ------------------------------------------------------------------ inputs


def template_priors(notes: list[str] | None = None) -> dict[str, float]:
    """The prior of every template: $SUTURE_RULE_PRIORS's file when set, else the shipped fit (priors.json);
    the hand priors for what the file lacks. A file the user named that cannot be used is said in `notes`."""
    chosen = os.environ.get(PRIORS_ENV)
    path = Path(chosen) if chosen else PRIORS_FILE
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    priors, problem = _priors_of(str(path), stamp)
    if problem and chosen and notes is not None:
        _note(notes, problem)
    return dict(priors)


@lru_cache(maxsize=8)
def _priors_of(path: str, stamp: int | None) -> tuple[dict[str, float], str | None]:
    """(priors, None), or (the hand priors, a sentence) when `path` is not a JSON object whose `priors`
    maps template names to positive numbers. `stamp` (the file's mtime) keys the cache."""
    fallback = "; the rule engine used its hand priors instead."
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return dict(HAND_PRIORS), f"the rule priors file {path} could not be read ({type(error).__name__})" + fallback
    given = data.get("priors") if isinstance(data, dict) else None
    if not isinstance(given, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0 for v in given.values()):
        return dict(HAND_PRIORS), f"the rule priors file {path} has no `priors` object of positive numbers" + fallback
    return {name: float(given.get(name, hand)) for name, hand in HAND_PRIORS.items()}, None


def _as_suspect(item: Any) -> _Suspect:
    if isinstance(item, (tuple, list)):
        path, symbol, start, end, score = item[:5]
    else:
        path, symbol, start, end, score = item.path, item.symbol, item.start_line, item.end_line, item.score
    return _Suspect(str(path).replace("\\", "/"), str(symbol), int(start), int(end), float(score or 0.0))


def _note(notes: list[str], text: str) -> None:
    if text not in notes:
        notes.append(text)


def _load(root: Path, path: str, files: dict[str, SourceFile | None], notes: list[str]) -> SourceFile | None:
    if path in files:
        return files[path]
    files[path] = None
    if not path.endswith(".py"):
        _note(notes, f"{path} is not a Python file; the rule engine only has Python templates.")
        return None
    if not (root / path).resolve().is_relative_to(root.resolve()):
        _note(notes, f"{path} is outside the repository; the rule engine only edits files inside it.")
        return None
    try:
        data = (root / path).read_bytes()
    except OSError as error:
        _note(notes, f"{path} could not be read ({error.strerror or error}); skipped.")
        return None
    encoding = source_encoding(data, path)  # PEP 263: a `# coding: latin-1` file is read as latin-1
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        _note(notes, f"{path} is not valid {'UTF-8' if encoding == 'utf-8' else encoding}; skipped.")
        return None
    text = text.removeprefix("\ufeff")
    # The edits layer matches a CRLF file on LF text, so the templates see it that way too.
    newlines = text.count("\n")
    if newlines and text.count("\r\n") == newlines:
        text = text.replace("\r\n", "\n")
    try:
        files[path] = SourceFile(path, text)
        files[path].outside_fields = lambda: _sibling_fields(root, path)
    except SyntaxError as error:
        _note(notes, f"{path} does not parse (line {error.lineno}: {error.msg}); the rule engine skipped it.")
    except (ValueError, RecursionError, MemoryError) as error:
        _note(notes, f"{path} could not be parsed ({error}); the rule engine skipped it.")
    return files[path]


def _sibling_fields(root: Path, path: str) -> set[str]:
    """Attribute names the classes of the Python files next to `path` define (a dataclass in items.py
    used by restock.py): the pool for `obj.a` -> `obj.b` beyond the file itself."""
    fields: set[str] = set()
    folder = (root / path).parent
    for sibling in sorted(folder.glob("*.py"))[:50]:
        rel = sibling.relative_to(root).as_posix()
        if rel == path or is_test_path(rel) or sibling.stat().st_size > 300_000:
            continue
        try:
            fields |= class_fields(SourceFile(rel, decode_source(sibling.read_bytes(), rel)))
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError, RecursionError):
            continue
    return fields


def _scope_nodes(src: SourceFile, suspect: _Suspect) -> list[ast.AST]:
    """The nodes edits may touch: the suspect's function or class (by qualname, checked against its
    lines); for module lines or a stale qualname, the module's nodes on the suspect's lines."""
    node = src.qualnames.get(suspect.symbol)
    if node is not None and node.end_lineno >= suspect.start_line and node.lineno <= suspect.end_line:
        return scope_nodes(src, node)
    return [n for n in scope_nodes(src, src.tree) if suspect.start_line <= getattr(n, "lineno", 0) <= suspect.end_line]


def _line_weights(suspect: _Suspect, line_scores: dict[tuple[str, int], float | None]):
    scores = {line: line_scores.get((suspect.path, line)) for line in range(suspect.start_line, suspect.end_line + 1)}
    known = [s for s in scores.values() if s is not None]
    best = max(known, default=0.0)
    if best <= 0:
        return lambda line: 0.5  # nothing to tell the lines apart: let the priors decide

    def weight(line: int) -> float:
        score = scores.get(line)
        if score is None:
            return UNSCORED_LINE
        return max(score / best, ZERO_LINE)

    return weight


def _mutations_of(src: SourceFile, nodes: list[ast.AST], notes: list[str]) -> list[Mutation]:
    found: list[Mutation] = []
    for name, template in TEMPLATES.items():
        made: list[Mutation] = []
        try:
            made.extend(template(src, nodes))
        except Exception as error:  # noqa: BLE001 - one template's blind spot on odd code must not cost the others
            _note(notes, f"the {name} template failed on {src.path} ({type(error).__name__}: {error}); "
                  "its edits there were skipped.")
            continue
        found.extend(made)
    return found


# ------------------------------------------------------------------ pairs


def _overlap(a: Mutation, b: Mutation) -> bool:
    return not (a.end < b.start or b.end < a.start)


def _pairs(singles: list[_Entry], ranks: list[int], counter: Iterator[int]) -> Iterator[_Entry]:
    """Two single edits in the same function, best products first."""
    found: list[_Entry] = []
    for rank in ranks:
        # The best variant per (site, template), a few sites per template: a pool of different
        # edits, not thirty variants of the likeliest one.
        pool, kinds, per_template = [], set(), Counter()
        for e in singles:
            m = e.parts[0]
            if e.rank != rank or (m.start, m.template) in kinds or per_template[m.template] >= PAIR_PER_TEMPLATE:
                continue
            kinds.add((m.start, m.template))
            per_template[m.template] += 1
            pool.append(e)
            if len(pool) == PAIR_POOL:
                break
        for a, b in itertools.combinations(pool, 2):
            ma, mb = a.parts[0], b.parts[0]
            if _overlap(ma, mb):  # two variants of one site, or edits that touch
                continue
            weight = a.priority * b.priority * PAIR_FACTOR
            first, second = sorted((ma, mb), key=lambda m: m.start)
            found.append(_Entry((-weight, next(counter)), weight, rank, a.src, (first, second), a.symbol))
    found.sort()
    yield from found


# ------------------------------------------------------------------ building a candidate


def _build(entry: _Entry, seen: set[bytes], parse_cache: dict, ident: str) -> RuleCandidate | None:
    src = entry.src
    spans = tuple(span for m in entry.parts for span in m.spans)
    new_text = src.apply(spans)
    if new_text == src.text:
        return None
    key = hashlib.blake2b(f"{src.path}\0{new_text}".encode("utf-8", "surrogatepass"), digest_size=16).digest()
    if key in seen:
        return None
    seen.add(key)
    if any(m.template not in TOKEN_TEMPLATES for m in entry.parts) and not _parses(src, spans, new_text, parse_cache):
        return None
    edit = _edit(src, spans)
    parts = entry.parts
    risks = tuple(dict.fromkeys(r for m in parts for r in m.risks))
    return RuleCandidate(
        id=ident,
        edits=[edit],
        template="+".join(m.template for m in parts),
        description="; ".join(m.description for m in parts),
        risks=risks,
        priority=entry.priority,
        path=src.path,
        line=parts[0].line,
        symbol=entry.symbol,
    )


def _edit(src: SourceFile, spans: tuple[Span, ...]) -> Edit:
    """SEARCH = the touched lines, widened until they occur once in the file; REPLACE = the same lines changed."""
    start = min(s.start for s in spans)
    end = max(s.end for s in spans)
    lo = src.line_of(start)
    hi = src.line_of(max(start, end - 1))
    n = len(src.lines)
    grow_up = True
    while True:
        block_start, block_end = src.line_start(lo), src.line_end(hi)
        block = src.text[block_start:block_end]
        if block.strip() and "\n" in block and _unique_lines(src.text, block, block_start):
            break
        if (lo == 1 and hi == n) or not src.lines:
            break
        if (grow_up and lo > 1) or hi == n:
            lo -= 1
        else:
            hi += 1
        grow_up = not grow_up
    shifted = [Span(s.start - block_start, s.end - block_start, s.text) for s in spans]
    replaced, at = [], 0
    for span in sorted(shifted, key=lambda s: (s.start, s.end)):
        replaced.append(block[at : span.start])
        replaced.append(span.text)
        at = span.end
    replaced.append(block[at:])
    return Edit(src.path, block, "".join(replaced))


def _unique_lines(text: str, block: str, at: int) -> bool:
    """`block` (whole lines starting at offset `at`) occurs nowhere else in `text` as whole lines,
    the way apply_edits matches a SEARCH that has a newline."""
    needle = block if block.endswith("\n") else block + "\n"
    probe = text if text.endswith("\n") else text + "\n"
    found = probe.find(needle)
    while found != -1:
        if found != at and (found == 0 or probe[found - 1] == "\n"):
            return False
        found = probe.find(needle, found + 1)
    return True


def _parses(src: SourceFile, spans: tuple[Span, ...], new_text: str, cache: dict) -> bool:
    """Does the edited code still compile? Only the enclosing top-level function or class is re-parsed
    (dedented), which keeps this cheap on big files; the whole file when that is not possible."""
    start = min(s.start for s in spans)
    end = max(s.end for s in spans)
    region = _region(src, start, end)
    if region is not None:
        first, last, indent = region
        delta = sum(len(s.text) - (s.end - s.start) for s in spans)
        snippet = new_text[src.line_start(first) : src.line_end(last) + delta]
        if cache.get((id(src), first)) is None:
            cache[(id(src), first)] = _parse_ok(_dedent(src.text[src.line_start(first) : src.line_end(last)], indent))
        if cache[(id(src), first)]:
            return _parse_ok(_dedent(snippet, indent))
    return _parse_ok(new_text)


def _region(src: SourceFile, start: int, end: int) -> tuple[int, int, str] | None:
    """(first line, last line, indent) of the innermost function holding [start, end]."""
    best = None
    for first, last, indent in src.function_lines():
        if src.line_start(first) <= start and end <= src.line_end(last) and (best is None or first >= best[0]):
            best = (first, last, indent)
    return best


def _dedent(text: str, indent: str) -> str:
    if not indent:
        return text
    return "".join(line[len(indent):] if line.startswith(indent) else line for line in text.splitlines(keepends=True))


def _parse_ok(text: str) -> bool:
    """compile(), not ast.parse: it also refuses a `break` outside a loop or an `await` outside
    an async function, which the edits' parse gate would refuse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<candidate>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
