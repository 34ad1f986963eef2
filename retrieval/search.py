"""Ranked code search over a SymbolIndex: exact-name hits first, then BM25.

One document per symbol, made of its name (counted NAME_WEIGHT times), its
qualified name, signature, docstring and path, all run through
`tokens.tokenize`. `kind="code"` is a different thing: a literal substring
search over the file texts, like AutoCodeRover's search_code.

Why a BM25 of our own rather than bm25s: measured on the stdlib index (1791
files, 72,038 symbols), both fed the same tokens, 197 queries (the labelled
set in bench/data plus 111 more), best of 3, on a 2-core machine that was
busy with other jobs (load ~8), bm25s 0.3.16 with numpy 2.4:

                         own BM25          bm25s
  build (tokens given)   2.0 s             1.9 s
  load from disk cache   55-90 ms          27-46 ms
  query median / p95     0.18 / 4.1 ms     4.0 / 10.4 ms with retrieve();
                                           0.09 / 0.11 ms with get_scores + argpartition
  import                 13 ms             192 ms (bm25s with numpy)

Both are far inside the targets (median < 30 ms, p95 < 100 ms) and build
equally fast, but bm25s' import alone would cost every `suture search` more
than the whole cached load of ours, and it brings numpy. So the inverted index
below (per-posting BM25 weights precomputed at build time; a query just adds
them up) is the one used. Tokenising the documents (~2 s here) is shared by both.

The built model is cached in `<cache_dir>/search.bin`, keyed by the index's
fingerprint, in a small format of our own (a JSON header plus raw arrays): no
pickle, because the cache directory lives inside a repository that may not be
trusted.
"""

from __future__ import annotations

import heapq
import json
import math
import os
import sys
from array import array
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from suture.retrieval.model import CLASS, FUNCTION, METHOD, RetrievalError, Symbol, innermost_symbol
from suture.retrieval.testfiles import is_test_path
from suture.retrieval.tokens import tokenize

SEARCH_KINDS = (CLASS, FUNCTION, METHOD, "code")
CODE = "code"

NAME_WEIGHT = 3  # a symbol's own name says more about it than its docstring does
DOCSTRING_CHARS = 2000  # the summary matters; a 5 kB docstring should not dilute it
K1 = 1.2
B = 0.75
# A query usually means the code under test rather than its tests, and public API
# rather than helpers: tests and _private symbols keep only part of their score
# (tuned on bench/data/stdlib_queries.jsonl).
TEST_PRIOR = 0.6
PRIVATE_PRIOR = 0.8
# A .pyi stub is a short document (a signature, no body, rarely a docstring), so BM25's
# length normalisation would rank it above the code it describes: stubs keep part of their
# score, and never more than this share of the best implementation of the same qualified name.
STUB_PRIOR = 0.5

# Header words of a signature that every symbol of a language carries: they cost
# postings and tell nothing apart.
_SIGNATURE_NOISE = frozenset({"def", "class", "self", "cls", "async", "fn", "func", "pub"})

_CACHE_FILE = "search.bin"
_CACHE_MAGIC = b"suture-search-bm25 v2\n"  # v2: stubs keep STUB_PRIOR of their weight


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result; its fields are exactly the `search --json` result object."""

    path: str
    symbol: str  # qualified name ("Class.method"); for code hits the enclosing symbol or ""
    kind: str  # class | function | method | code
    start_line: int
    end_line: int
    score: float
    signature: str  # for code hits: the first matching line, stripped

    def to_dict(self) -> dict:
        return asdict(self)


def symbol_document(symbol: Symbol) -> list[str]:
    """The search tokens of one symbol."""
    name = tokenize(symbol.name)
    doc = name * NAME_WEIGHT
    if symbol.parent:
        doc += tokenize(symbol.parent)
    doc += [t for t in tokenize(symbol.signature) if t not in _SIGNATURE_NOISE]
    if symbol.docstring:
        doc += tokenize(symbol.docstring[:DOCSTRING_CHARS])
    doc += [t for t in tokenize(symbol.path.rsplit(".", 1)[0])]
    return doc


class Bm25:
    """Okapi BM25 as an inverted index whose postings carry their final weight.

    weight(term, doc) = idf(term) * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(doc) / avg_len)),
    with the non-negative idf of Lucene: log(1 + (N - df + 0.5) / (df + 0.5)).
    """

    def __init__(self, vocab: list[str], offsets: array, doc_ids: array, weights: array, doc_count: int):
        self.vocab = vocab
        self.term_ids = {term: i for i, term in enumerate(vocab)}
        self.offsets = offsets  # postings of term i: doc_ids/weights[offsets[i]:offsets[i+1]]
        self.doc_ids = doc_ids
        self.weights = weights
        self.doc_count = doc_count

    @classmethod
    def build(cls, documents: list[list[str]], priors: list[float] | None = None) -> "Bm25":
        """`priors[i]` scales every weight of document i (1.0 when not given)."""
        n = len(documents)
        lengths = [len(d) for d in documents]
        avg_len = (sum(lengths) / n) if n and any(lengths) else 1.0  # documents may all be empty
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc_id, doc in enumerate(documents):
            for term, tf in Counter(doc).items():
                postings[term].append((doc_id, tf))
        vocab = sorted(postings)
        # K1 * (1 - B + B * len / avg_len) per document, computed once rather than per posting.
        norms = [K1 * (1.0 - B + B * length / avg_len) for length in lengths]
        scale = priors if priors is not None else [1.0] * n
        offsets = array("q", [0])
        doc_ids = array("i")
        weights = array("f")
        for term in vocab:
            plist = postings[term]
            df = len(plist)
            idf_k1 = math.log(1.0 + (n - df + 0.5) / (df + 0.5)) * (K1 + 1.0)
            doc_ids.extend([doc_id for doc_id, _ in plist])
            weights.extend([scale[doc_id] * idf_k1 * tf / (tf + norms[doc_id]) for doc_id, tf in plist])
            offsets.append(len(doc_ids))
        return cls(vocab, offsets, doc_ids, weights, n)

    def scores(self, query_tokens: list[str]) -> dict[int, float]:
        """doc id -> BM25 score, for every document sharing a term with the query."""
        acc: dict[int, float] = {}
        get = acc.get
        for term in dict.fromkeys(query_tokens):  # each distinct term once, in order
            i = self.term_ids.get(term)
            if i is None:
                continue
            lo, hi = self.offsets[i], self.offsets[i + 1]
            for doc_id, w in zip(self.doc_ids[lo:hi], self.weights[lo:hi]):
                acc[doc_id] = get(doc_id, 0.0) + w
        return acc

    # -- cache format: magic line, JSON header line, then the three arrays' raw bytes.

    def dump(self, fingerprint: str) -> bytes:
        header = {
            "fingerprint": fingerprint,
            "doc_count": self.doc_count,
            "byteorder": sys.byteorder,
            "vocab": self.vocab,
            "lengths": [len(self.offsets), len(self.doc_ids), len(self.weights)],
        }
        return b"".join(
            [
                _CACHE_MAGIC,
                json.dumps(header, separators=(",", ":")).encode() + b"\n",
                self.offsets.tobytes(),
                self.doc_ids.tobytes(),
                self.weights.tobytes(),
            ]
        )

    @classmethod
    def load(cls, data: bytes, fingerprint: str, doc_count: int) -> "Bm25 | None":
        """The model in `data`, or None when it is for another index or damaged."""
        try:
            if not data.startswith(_CACHE_MAGIC):
                return None
            end = data.index(b"\n", len(_CACHE_MAGIC))
            header = json.loads(data[len(_CACHE_MAGIC) : end])
            if (
                header["fingerprint"] != fingerprint
                or header["doc_count"] != doc_count
                or header["byteorder"] != sys.byteorder
            ):
                return None
            pos = end + 1
            arrays = []
            for typecode, length in zip("qif", header["lengths"]):
                arr = array(typecode)
                size = arr.itemsize * length
                arr.frombytes(data[pos : pos + size])
                if len(arr) != length:
                    return None
                arrays.append(arr)
                pos += size
            offsets, doc_ids, weights = arrays
            vocab = header["vocab"]
            if pos != len(data) or len(offsets) != len(vocab) + 1 or offsets[-1] != len(doc_ids):
                return None
            if len(doc_ids) and (min(doc_ids) < 0 or max(doc_ids) >= doc_count):
                return None
            return cls(vocab, offsets, doc_ids, weights, doc_count)
        except (ValueError, KeyError, TypeError):
            return None


class CodeSearch:
    """Search over one SymbolIndex. Builds (or loads from cache) its BM25 model on creation."""

    def __init__(self, index, cache_dir: Path | None = None):
        self.index = index
        self.cache_dir = Path(cache_dir) if cache_dir is not None else Path(index.root) / ".suture" / "index"
        self.symbols: list[Symbol] = list(index.symbols())
        self.built = False  # True when this instance built the model instead of loading it
        self.model = self._load_or_build()
        # lower-cased bare name -> doc ids: every exact match (by name, qualname or
        # qualname suffix) ends in the symbol's bare name.
        self._by_lower_name: dict[str, list[int]] = {}
        for doc_id, sym in enumerate(self.symbols):
            self._by_lower_name.setdefault(sym.name.lower(), []).append(doc_id)
        self._texts: dict[str, str] = {}

    @property
    def cache_path(self) -> Path:
        return self.cache_dir / _CACHE_FILE

    def _load_or_build(self) -> Bm25:
        fingerprint = self.index.fingerprint()
        try:
            model = Bm25.load(self.cache_path.read_bytes(), fingerprint, len(self.symbols))
        except OSError:
            model = None
        if model is not None:
            return model
        model = Bm25.build(
            [symbol_document(s) for s in self.symbols],
            [document_prior(s) for s in self.symbols],
        )
        self.built = True
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_path.with_name(f"{_CACHE_FILE}.{os.getpid()}.tmp")
            tmp.write_bytes(model.dump(fingerprint))
            os.replace(tmp, self.cache_path)
        except OSError:
            pass  # a read-only checkout still searches; it just rebuilds next time
        return model

    # -- symbol search

    def search(self, query: str, kind: str | None = None, limit: int = 10) -> list[SearchHit]:
        """The best `limit` hits for `query`, best first. kind: class | function | method | code."""
        query = query.strip()
        if not query:
            raise RetrievalError("The search query is empty.")
        if kind is not None and kind not in SEARCH_KINDS:
            raise RetrievalError(f"Unknown kind {kind!r}; use one of: {', '.join(SEARCH_KINDS)}.")
        if limit < 1:
            return []
        if kind == CODE:
            return self.search_code(query, limit=limit)

        wanted = (lambda i: True) if kind is None else (lambda i: self.symbols[i].kind == kind)
        scores = self._stubs_below_implementations(self.model.scores(tokenize(query)))
        exact = {i: tier for i, tier in self.exact_matches(query).items() if wanted(i)}
        # Exact hits outrank every BM25 hit; their reported score is lifted past the best
        # BM25 score (and clamped below) so that scores never rise down the list.
        lift = max(scores.values(), default=0.0) + 1.0
        ranked = sorted(
            exact,
            key=lambda i: (
                -exact[i],
                is_test_path(self.symbols[i].path),
                is_stub_path(self.symbols[i].path),
                -scores.get(i, 0.0),
                self.symbols[i].path,
                self.symbols[i].start_line,
            ),
        )
        hits: list[SearchHit] = []
        for i in ranked[:limit]:
            score = scores.get(i, 0.0) + lift * exact[i]
            hits.append(self._hit(i, min(score, hits[-1].score) if hits else score))
        if len(hits) < limit:
            rest = ((s, i) for i, s in scores.items() if i not in exact and wanted(i))
            best = heapq.nlargest(limit - len(hits), rest, key=lambda si: (si[0], -si[1]))
            hits += [self._hit(i, s) for s, i in best]
        return hits

    def _stubs_below_implementations(self, scores: dict[int, float]) -> dict[int, float]:
        """Cap each stub's score under the best-scoring implementation (.py) of the same qualified name."""
        for i, score in list(scores.items()):
            stub = self.symbols[i]
            if not is_stub_path(stub.path):
                continue
            implementations = [scores[j] for j in self._by_lower_name.get(stub.name.lower(), ())
                               if j in scores and not is_stub_path(self.symbols[j].path)
                               and self.symbols[j].qualname == stub.qualname]
            if implementations:
                scores[i] = min(score, max(implementations) * STUB_PRIOR)
        return scores

    def exact_matches(self, query: str) -> dict[int, int]:
        """doc id -> tier for symbols whose name or qualified name is `query`:
        2 when the case matches, 1 when it matches only ignoring case.
        A dotted query ("Class.method") also matches a qualname ending in it."""
        tiers: dict[int, int] = {}
        last = query.rsplit(".", 1)[-1]
        for i in self._by_lower_name.get(last.lower(), ()):
            sym = self.symbols[i]
            for tier, q, name, qualname in (
                (2, query, sym.name, sym.qualname),
                (1, query.lower(), sym.name.lower(), sym.qualname.lower()),
            ):
                if q == name or q == qualname or ("." in q and qualname.endswith("." + q)):
                    tiers[i] = max(tiers.get(i, 0), tier)
                    break
        return tiers

    def _hit(self, doc_id: int, score: float) -> SearchHit:
        s = self.symbols[doc_id]
        return SearchHit(s.path, s.qualname, s.kind, s.start_line, s.end_line, round(score, 4), s.signature)

    # -- literal code search

    def text(self, path: str) -> str:
        """The text of an indexed file, read once per CodeSearch."""
        text = self._texts.get(path)
        if text is None:
            text = self._texts[path] = self.index.read_text(path)
        return text

    def search_code(self, snippet: str, limit: int | None = None, paths: list[str] | None = None) -> list[SearchHit]:
        return find_code(self.index, snippet, self.text, limit=limit, paths=paths)


def find_code(index, snippet: str, text_of, *, limit: int | None = None, paths: list[str] | None = None) -> list[SearchHit]:
    """Every occurrence of `snippet` (case-sensitive, may span lines) in the indexed files,
    in path then line order; each hit names its innermost enclosing symbol.
    `text_of(path)` gives a file's text (so callers can keep their own cache)."""
    if not snippet.strip():
        raise RetrievalError("The code snippet is empty.")
    hits: list[SearchHit] = []
    span = snippet.count("\n")
    for path in paths if paths is not None else index.paths():
        try:
            text = text_of(path)
        except (RetrievalError, OSError):
            continue  # deleted or unreadable since indexing: nothing to find there
        start = text.find(snippet)
        if start < 0:
            continue
        symbols = index.symbols_in(path)
        line, line_pos = 1, 0
        while start >= 0:
            line += text.count("\n", line_pos, start)
            line_pos = start
            line_start = text.rfind("\n", 0, start) + 1
            line_end = text.find("\n", start)
            first_line = text[line_start : line_end if line_end >= 0 else len(text)].strip()
            enclosing = innermost_symbol(symbols, line)
            hits.append(SearchHit(path, enclosing.qualname if enclosing else "", CODE, line, line + span, 1.0, first_line))
            if limit is not None and len(hits) >= limit:
                return hits
            start = text.find(snippet, start + max(len(snippet), 1))
    return hits


def document_prior(symbol: Symbol) -> float:
    """How much of its BM25 score a symbol keeps."""
    prior = TEST_PRIOR if is_test_path(symbol.path) else 1.0
    if is_stub_path(symbol.path):
        prior *= STUB_PRIOR
    if symbol.name.startswith("_") and not symbol.name.endswith("__"):
        prior *= PRIVATE_PRIOR
    return prior


def is_stub_path(path: str) -> bool:
    """A Python type stub (.pyi): it declares what a .py (or a compiled module) implements."""
    return path.endswith(".pyi")
