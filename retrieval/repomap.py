"""A token-budgeted map of a repository's most relevant definitions, after Aider's repo map.

Files are nodes; every identifier a file references (calls, attribute uses,
imports) that another file defines adds an edge referencer -> definer. The edge
weight says how telling the identifier is: long snake/camel names are specific,
_private names and names defined in many files are not, and names or files the
caller focuses on count much more. Personalised PageRank over that graph ranks
the files; each file's rank then flows along its out-edges to the definitions
it points at. The best definitions are rendered per file as their signature
lines, nested under their classes, with "⋮" where code is left out, and as many
as fit the budget (estimated as characters / 4: no tokenizer download) are kept.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from suture.retrieval.model import IMPORT, Symbol
from suture.retrieval.pagerank import pagerank
from suture.retrieval.testfiles import is_test_path

CHARS_PER_TOKEN = 4
ELISION = "⋮"

# Edge weight factors (Aider's, which work well in practice).
SPECIFIC_NAME = 10.0  # snake_case / camelCase names of 8+ characters rarely collide
PRIVATE_NAME = 0.1  # _helpers are internal plumbing, not what a map reader needs
COMMON_NAME = 0.1  # defined in more than COMMON_DEFINERS files: says little about which one is meant
COMMON_DEFINERS = 5
TEST_DEFINER = 0.1  # a name a test file defines (assertEqual, setUp) is test plumbing
FOCUS_IDENT = 10.0
# The referencer imports the module defining the name: the reference surely means
# this definition, unlike `obj.startswith(...)` matching any `startswith` anywhere.
IMPORTED = 10.0
FOCUS_REFERENCER = 50.0
# Part of a file's own rank that goes to its definitions directly, split evenly: all
# of it for focused files (their definitions are what the caller asked about), a
# little for the others so that definitions nothing references still get an order.
FOCUS_SELF_SHARE = 1.0
OTHER_SELF_SHARE = 0.1

_SNAKE_OR_CAMEL = re.compile(r"[a-z0-9]_[a-z0-9]|[a-z][A-Z]", re.IGNORECASE)


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def identifier_weight(ident: str, definers: int) -> float:
    weight = 1.0
    if len(ident) >= 8 and (_SNAKE_OR_CAMEL.search(ident) or "_" in ident.strip("_")):
        weight *= SPECIFIC_NAME
    if ident.startswith("_"):
        weight *= PRIVATE_NAME
    if definers > COMMON_DEFINERS:
        weight *= COMMON_NAME
    return weight


def _in_focus(path: str, focus_paths: tuple[str, ...]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in focus_paths)


def _module_paths(paths) -> dict[str, set[str]]:
    """Dotted module name -> paths, under every suffix of the name ("pkg.sub.mod",
    "sub.mod", "mod") so that src/ layouts and relative imports still match."""
    modules: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        parts = path.rsplit(".", 1)[0].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for i in range(len(parts)):
            modules[".".join(parts[i:])].add(path)
    return modules


def rank_definitions(index, focus_paths=(), focus_idents=()) -> list[tuple[str, str, float]]:
    """(path, name, rank) of every defined name, best first; ties by path then name."""
    focus_paths = tuple(focus_paths)
    focus_idents = frozenset(focus_idents)
    defined_in: dict[str, set[str]] = defaultdict(set)  # name -> paths defining it
    names_in: dict[str, set[str]] = defaultdict(set)  # path -> names it defines
    for sym in index.symbols():
        defined_in[sym.name].add(sym.path)
        names_in[sym.path].add(sym.name)
    ref_counts: dict[str, Counter] = defaultdict(Counter)  # name -> referencing path -> count
    modules = _module_paths(names_in)
    imported: dict[str, set[str]] = defaultdict(set)  # path -> paths of the modules it imports
    for ref in index.references():
        if ref.name in defined_in:
            ref_counts[ref.name][ref.path] += 1
        if ref.kind == IMPORT:
            for module in (ref.module, f"{ref.module}.{ref.name}"):
                imported[ref.path].update(modules.get(module.lstrip("."), ()))

    test_paths = {p for p in names_in if is_test_path(p)}
    edges: dict[str, dict[str, float]] = defaultdict(dict)
    labelled: list[tuple[str, str, str, float]] = []  # (referencer, definer, name, weight)
    for name in sorted(ref_counts):
        definers = sorted(defined_in[name])
        base = identifier_weight(name, len(definers)) * (FOCUS_IDENT if name in focus_idents else 1.0)
        for referencer, count in sorted(ref_counts[name].items()):
            weight = base * math.sqrt(count)  # many uses count, but with diminishing returns
            if _in_focus(referencer, focus_paths):
                weight *= FOCUS_REFERENCER
            # A name the file defines itself most likely means that definition.
            imports = imported.get(referencer, ())
            for definer in [referencer] if referencer in defined_in[name] else definers:
                w = weight * TEST_DEFINER if definer in test_paths else weight
                if definer in imports:
                    w *= IMPORTED
                edges[referencer][definer] = edges[referencer].get(definer, 0.0) + w
                labelled.append((referencer, definer, name, w))

    paths = sorted(names_in)
    personal = {p: 1.0 for p in paths if _in_focus(p, focus_paths)}
    for name in sorted(focus_idents):
        for p in sorted(defined_in.get(name, ())):
            personal[p] = personal.get(p, 0.0) + 1.0
    graph = {p: edges.get(p, {}) for p in paths}  # every file is a node, referenced or not
    for p in sorted(edges):
        graph.setdefault(p, edges[p])
    file_rank = pagerank(graph, personal or None)

    out_weight: dict[str, float] = defaultdict(float)
    for referencer, _, _, weight in labelled:
        out_weight[referencer] += weight
    def_rank: dict[tuple[str, str], float] = defaultdict(float)
    for referencer, definer, name, weight in labelled:
        def_rank[(definer, name)] += file_rank[referencer] * weight / out_weight[referencer]
    for p in paths:
        share = FOCUS_SELF_SHARE if _in_focus(p, focus_paths) else OTHER_SELF_SHARE
        weights = {name: PRIVATE_NAME if name.startswith("_") else 1.0 for name in names_in[p]}
        total = sum(weights.values())
        for name, weight in weights.items():
            def_rank[(p, name)] += share * file_rank[p] * weight / total
            if name in focus_idents:
                def_rank[(p, name)] += file_rank[p]
    ranked = sorted(def_rank.items(), key=lambda item: (-item[1], item[0]))
    return [(path, name, rank) for (path, name), rank in ranked]


def render_map(index, chosen: list[tuple[str, str]], line_counts: dict[str, int] | None = None) -> str:
    """The map text for the chosen (path, name) definitions; files in order of first choice.
    `line_counts` caches each file's line count across calls."""
    line_counts = {} if line_counts is None else line_counts
    wanted: dict[str, set[str]] = {}
    for path, name in chosen:
        wanted.setdefault(path, set()).add(name)
    blocks = []
    for path, names in wanted.items():
        symbols = index.symbols_in(path)
        by_qualname = {s.qualname: s for s in symbols}
        shown: dict[str, Symbol] = {}
        for sym in symbols:
            if sym.name in names:
                shown[sym.qualname] = sym
                parent = by_qualname.get(sym.parent) if sym.parent else None
                while parent is not None:  # enclosing classes/functions give the context
                    shown.setdefault(parent.qualname, parent)
                    parent = by_qualname.get(parent.parent) if parent.parent else None
        lines = [f"{path}:"]
        last_line = 0
        for sym in sorted(shown.values(), key=lambda s: (s.start_line, s.qualname)):
            if sym.start_line > last_line + 1:
                lines.append(ELISION)
            lines.append("    " * sym.qualname.count(".") + sym.signature)
            last_line = sym.start_line
        if path not in line_counts:
            file = index.file(path)
            line_counts[path] = file.line_count if file is not None else 0
        if last_line < line_counts[path]:
            lines.append(ELISION)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def repo_map(index, tokens: int = 1024, focus_paths=(), focus_idents=()) -> str:
    """The most relevant definitions of `index` that fit in `tokens` (chars / 4), as text."""
    if tokens <= 0:
        return ""
    ranked = [(path, name) for path, name, _ in rank_definitions(index, focus_paths, focus_idents)]
    # The text only grows with the number of definitions, so binary search for the
    # largest prefix of the ranking that still fits.
    # Each chosen definition adds at least one line of two or more characters.
    lo, hi, best = 1, min(len(ranked), tokens * CHARS_PER_TOKEN // 2), ""
    line_counts: dict[str, int] = {}
    while lo <= hi:
        mid = (lo + hi) // 2
        text = render_map(index, ranked[:mid], line_counts)
        if estimate_tokens(text) <= tokens:
            best, lo = text, mid + 1
        else:
            hi = mid - 1
    return best
