"""Fit the rule engine's template priors on bench/bugs and bench/faults (issue 18), cross-validated.

The rule engine orders its candidates by suspect weight x line weight x template prior x variant
weight (agent/propose/rules.py); the template priors were set by hand. This script learns them from
the two corpora, WITHOUT running a test (cheap in CPU, fine under load):

- For every bug of bench/bugs (the buggy program; the correct version is fix.diff applied) and every
  seeded fault of bench/faults (the library file with the fault; the correct version is the original),
  the rule engine runs on the TRUE location: the function(s) the fix changes (bench/faults: the
  fault's `symbol`) as the only suspects, score 1 each, with no line scores (every line weighs the
  same, as in a run whose coverage cannot tell the lines apart). So the position measured is the
  one the template order alone decides, not localisation's.
- Every candidate the engine can make there (single edits, then pairs in one function, the engine's
  own dedupe and parse check) is compared with the correct version (the edited file's AST against the
  correct file's); the correct candidate's template(s) and its queue position are recorded. A case
  whose correct version no candidate equals is out of reach of any order (listed in the report).
- The priors are fitted to minimise the sum over cases of log2(the correct candidate's position)
  plus L2 x sum over templates of log2(fitted / hand)^2: the hand priors are the prior, so a template
  with few examples stays near its hand value. Coordinate descent over a grid of factors 2^(k/4),
  k in [-12, 12], from the hand priors; deterministic. For speed the fit ranks on a table of every
  candidate's prior-free weight (mid-rank for ties, pairs after all singles as the engine does with
  one suspect); the positions REPORTED are those of the real generator under each set of priors.
- Cross-validation: one fold per fault library (its faults placed by priors fitted on everything
  else) and one fold per bug kind (leave-one-kind-out, as bench/fitting.py does: kinds are near one
  template each, so the question is whether the order carries over to a kind of bug it was not
  fitted on, the hard case; a random split would let a kind's other bugs vouch for it).

    python bench/fit_priors.py [--write] [--results] [--l2 2] [--only NAME]... [--no-faults] [--out FILE]

--write rewrites agent/propose/priors.json (or --out) with the priors fitted on every case.
"""

from __future__ import annotations

import argparse
import ast
import bisect
import difflib
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bench_fix  # noqa: E402  (loads bench/bugs/corpus.py and bench/faults/corpus.py under their own names)
from bench_localize import UnitMap  # noqa: E402
from suture.agent.propose import rules  # noqa: E402
from suture.agent.propose.templates import TEMPLATES  # noqa: E402

PRIORS_OUT = ROOT / "agent" / "propose" / "priors.json"
L2 = 8.0  # doubling a prior away from its hand value costs what 8 cases doubling their position cost (chosen of 0.5, 2, 8 by the cross-validation below: a mild optimism)
GRID = [2 ** (k / 4) for k in range(-12, 13)]  # factors of the hand prior: 1/8 .. 8
SWEEPS = 8
CAP = 2000  # candidates looked at per case (the product gates at most --max-candidates, 500 by default)
PRODUCT_CAP = 500
TOPS = (1, 5, 10, 25)
EPS = 1e-9


# -- cases ------------------------------------------------------------------------------------------

@dataclass
class Case:
    id: str
    corpus: str  # "bug" | "fault"
    fold: str  # "kind:<bug kind>" | "library:<name>"
    kind: str
    root: Path  # the tree the engine reads (bench/bugs/<name>, or a library copy)
    suspects: list[tuple[str, str, int, int, float]]
    fixed: dict[str, str]  # path -> the correct text of every file the fix changes
    buggy: dict[str, str] = field(default_factory=dict)  # path -> text to write at `root` first (faults)


def bug_cases(only: list[str] | None, scratch: Path) -> list[Case]:
    cases = []
    for bug in bench_fix.bugs_corpus.load_bugs(None):
        if only is not None and bug.name not in only:
            continue
        repo = bench_fix.bugs_corpus.copy_program(bug, scratch / bug.name)
        complaint = bench_fix.bugs_corpus.apply_patch(repo, bug.fix_diff)
        if complaint:
            raise SystemExit(f"fit_priors: fix.diff of {bug.name} does not apply: {complaint}")
        paths = re.findall(r"^\+\+\+ b/(\S+)", bug.fix_diff, flags=re.M)
        fixed = {p: (repo / p).read_text() for p in paths}
        suspects = []
        for path in paths:
            before = (bug.root / path).read_text()
            units = UnitMap(before)
            for line in changed_lines(before, fixed[path]):
                name = units.at(line)
                span = next(((s, e) for n, s, e in units.units if n == name), (line, line))
                if (path, name) not in [(p, n) for p, n, *_ in suspects]:
                    suspects.append((path, name, span[0], span[1], 1.0))
        cases.append(Case(bug.name, "bug", f"kind:{bug.kind}", bug.kind, bug.root, suspects, fixed))
    return cases


def changed_lines(before: str, after: str) -> list[int]:
    """1-based lines of `before` the change touches (an insertion: the line it goes after, or the first)."""
    lines = []
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    for op, i1, i2, _, _ in matcher.get_opcodes():
        if op != "equal":
            lines += list(range(i1 + 1, i2 + 1)) if i2 > i1 else [max(i1, 1)]
    return lines


def fault_cases(only: list[str] | None, scratch: Path, work_dir: Path) -> list[Case]:
    faults = [json.loads(line) for line in bench_fix.faults_corpus.FAULTS.read_text().splitlines() if line.strip()]
    if only:
        faults = [f for f in faults if f["id"] in only or f["library"] in only]
    trees: dict[str, Path] = {}
    cases = []
    for fault in faults:
        lib = fault["library"]
        if lib not in trees:
            repo = work_dir / lib / "repo"
            if not (repo / ".git").exists():
                raise SystemExit(f"fit_priors: {repo} is missing; build it with bench/faults/build.py --library {lib} "
                                 "(or run bench/bench_fix.py --faults once), or pass --no-faults.")
            trees[lib] = scratch / "libraries" / lib
            shutil.copytree(repo, trees[lib], ignore=shutil.ignore_patterns(".git", "__pycache__"))
        original = (trees[lib] / fault["path"]).read_text()
        buggy = bench_fix.mutate.apply(original, fault)
        suspect = (fault["path"], fault["symbol"], fault["symbol_start"], fault["symbol_end"], 1.0)
        cases.append(Case(fault["id"], "fault", f"library:{lib}", fault["operator"], trees[lib], [suspect],
                          {fault["path"]: original}, {fault["path"]: buggy}))
    return cases


@contextmanager
def buggy_tree(case: Case) -> Iterator[Path]:
    """The case's tree with its buggy files written (and the originals put back after)."""
    saved = {p: (case.root / p).read_bytes() for p in case.buggy}
    try:
        for path, text in case.buggy.items():
            (case.root / path).write_text(text)
        yield case.root
    finally:
        for path, data in saved.items():
            (case.root / path).write_bytes(data)


# -- is a candidate the correct version? ------------------------------------------------------------

class Judge:
    """Compares a candidate's file with the correct version: the same text, or the same AST."""

    def __init__(self, case: Case) -> None:
        self.fixed = case.fixed
        self.dumps: dict[str, str] = {}

    def correct(self, path: str, text: str) -> bool:
        if len(self.fixed) != 1 or path not in self.fixed:
            return False  # one candidate edits one file: a fix over two files is out of reach
        want = self.fixed[path]
        if text == want:
            return True
        a, b = _middle(text, want)
        if _tokens(a) != _tokens(b):  # cheap filter: AST-equal code differs only in spacing, brackets, quotes
            return False
        if path not in self.dumps:
            self.dumps[path] = ast.dump(ast.parse(want))
        try:
            return ast.dump(ast.parse(text)) == self.dumps[path]
        except (SyntaxError, ValueError):
            return False


def _middle(a: str, b: str) -> tuple[str, str]:
    """The lines where `a` and `b` differ (common leading and trailing lines cut)."""
    x, y = a.splitlines(), b.splitlines()
    lo = 0
    while lo < min(len(x), len(y)) and x[lo] == y[lo]:
        lo += 1
    hi = 0
    while hi < min(len(x), len(y)) - lo and x[-1 - hi] == y[-1 - hi]:
        hi += 1
    return "\n".join(x[lo:len(x) - hi]), "\n".join(y[lo:len(y) - hi])


def _tokens(text: str) -> str:
    return re.sub(r"[\s()\\]", "", text).replace("'", '"')


# -- the table the fit ranks on ---------------------------------------------------------------------

@dataclass
class Row:
    """One case's candidates as (templates, prior-free log weight) groups: everything the fit needs."""
    case: Case
    correct: list[tuple[tuple[str, ...], float]] | None  # the correct text's makers; None: out of reach
    pair: bool = False  # the correct candidate is a pair (ranked after every single)
    singles: list[list[tuple[tuple[str, ...], float]]] = field(default_factory=list)  # other texts
    pairs: list[list[tuple[tuple[str, ...], float]]] = field(default_factory=list)
    by_key: dict = field(default_factory=dict)  # (templates) -> sorted log weights of one-maker texts
    multi: list = field(default_factory=list)  # texts several templates make

    def index(self) -> None:
        """Group the competitors of the correct candidate for fast counting."""
        rivals = self.pairs if self.pair else self.singles
        groups: dict[tuple[str, ...], list[float]] = defaultdict(list)
        for makers in rivals:
            if len(makers) == 1:
                groups[makers[0][0]].append(makers[0][1])
            else:
                self.multi.append(makers)
        self.by_key = {k: sorted(v) for k, v in groups.items()}


def collect(case: Case) -> Row:
    """Every candidate of the engine at the case's true location, without running anything."""
    notes: list[str] = []
    files: dict = {}
    judge = Judge(case)
    texts: dict[bytes, list] = {}  # a text -> its makers: (templates, prior-free log weight)
    correct_key = None
    entries = []
    counter = itertools.count()
    parse_cache: dict = {}
    with buggy_tree(case) as root:
        for rank, suspect in enumerate(rules._as_suspect(s) for s in case.suspects):
            src = rules._load(root, suspect.path, files, notes)
            if src is None:
                continue
            line_weight = rules._line_weights(suspect, {})
            for m in rules._mutations_of(src, rules._scope_nodes(src, suspect), notes):
                base = line_weight(m.line) * m.weight
                made = _made(src, (m,), texts, parse_cache)
                if made is None:
                    continue
                key, new_text = made
                if key not in texts:
                    texts[key] = []
                    if correct_key is None and judge.correct(src.path, new_text):
                        correct_key = key
                texts[key].append(((m.template,), math.log(base)))
                weight = base * rules.HAND_PRIORS[m.template]
                entries.append(rules._Entry((-weight, next(counter)), weight, rank, src, (m,), suspect.symbol))
        if correct_key is not None:
            return _row(case, texts, correct_key, pair=False)
        return _pair_row(case, judge, texts, sorted(entries), counter, parse_cache)


def _made(src, parts, known: dict, parse_cache: dict) -> tuple[bytes, str] | None:
    """(key, text) of the text `parts` make; None when it is no change, or a new text that does not parse."""
    spans = tuple(span for m in parts for span in m.spans)
    new_text = src.apply(spans)
    if new_text == src.text:
        return None
    key = hashlib.blake2b(f"{src.path}\0{new_text}".encode("utf-8", "surrogatepass"), digest_size=16).digest()
    if key not in known and any(m.template not in rules.TOKEN_TEMPLATES for m in parts) and \
            not rules._parses(src, spans, new_text, parse_cache):
        return None
    return key, new_text


def _row(case: Case, texts: dict, correct_key: bytes, pair: bool, pair_texts: dict | None = None) -> Row:
    singles = [v for k, v in texts.items() if k != correct_key]
    if not pair:
        row = Row(case, texts[correct_key], False, singles)
    else:
        row = Row(case, pair_texts[correct_key], True, singles, [v for k, v in pair_texts.items() if k != correct_key])
    row.index()
    return row


def _pair_row(case: Case, judge: Judge, texts: dict, singles: list, counter, parse_cache: dict) -> Row:
    """The pairs the engine builds from the singles (its pool chosen under the hand priors); a pair that
    makes a single's text is dropped, as the engine's dedupe drops it."""
    ranks = sorted({e.rank for e in singles})[:3]
    pair_texts: dict[bytes, list] = {}
    correct_key = None
    for entry in rules._pairs(singles, ranks, counter):
        a, b = entry.parts
        made = _made(entry.src, entry.parts, pair_texts, parse_cache)
        if made is None or made[0] in texts:
            continue
        key, new_text = made
        if key not in pair_texts:
            pair_texts[key] = []
            if correct_key is None and judge.correct(entry.src.path, new_text):
                correct_key = key
        base = entry.priority / (rules.HAND_PRIORS[a.template] * rules.HAND_PRIORS[b.template])
        pair_texts[key].append(((a.template, b.template), math.log(base)))
    if correct_key is None:
        row = Row(case, None)
        row.singles = list(texts.values())
        return row
    return _row(case, texts, correct_key, True, pair_texts)


# -- ranking and fitting on the table ---------------------------------------------------------------

def _score(makers, logp: dict[str, float]) -> float:
    return max(lw + sum(logp[t] for t in ts) for ts, lw in makers)


def table_rank(row: Row, logp: dict[str, float]) -> float | None:
    """The correct candidate's position under log priors `logp`, ties at their middle."""
    if row.correct is None:
        return None
    target = _score(row.correct, logp)
    return _position(row, *_counts(row, logp, target))


def _position(row: Row, better: int, ties: int) -> float:
    return (len(row.singles) if row.pair else 0) + better + (ties + 2) / 2


def _counts(row: Row, logp: dict[str, float], target: float, template: str | None = None,
            containing: bool = True) -> tuple[int, int]:
    """(rivals above `target`, rivals tied with it); with `template`, only the rivals it makes (containing)
    or only those it does not make (not containing)."""
    better = ties = 0
    for key, weights in row.by_key.items():
        if template is not None and (template in key) != containing:
            continue
        threshold = target - sum(logp[t] for t in key)
        hi = bisect.bisect_right(weights, threshold + EPS)
        better += len(weights) - hi
        ties += hi - bisect.bisect_left(weights, threshold - EPS)
    for makers in row.multi:
        if template is not None and any(template in ts for ts, _ in makers) != containing:
            continue
        s = _score(makers, logp)
        better += s > target + EPS
        ties += abs(s - target) <= EPS
    return better, ties


def loss(rows: list[Row], logp: dict[str, float], l2: float) -> float:
    fit = sum(math.log2(r) for r in (table_rank(row, logp) for row in rows) if r is not None)
    hand = {t: math.log(p) for t, p in rules.HAND_PRIORS.items()}
    return fit + l2 * sum(((logp[t] - hand[t]) / math.log(2)) ** 2 for t in logp)


def fit(rows: list[Row], l2: float = L2) -> dict[str, float]:
    """The priors minimising `loss`, by coordinate descent over GRID factors of the hand priors."""
    hand = {t: math.log(p) for t, p in rules.HAND_PRIORS.items()}
    logp = dict(hand)
    steps = sorted((math.log(g) for g in GRID), key=abs)  # the smallest move wins a tie
    relevant = [r for r in rows if r.correct is not None]
    for _ in range(SWEEPS):
        moved = False
        for template in TEMPLATES:
            best_value, best_loss = logp[template], None
            for step, value in zip(steps, _coordinate(relevant, logp, template, [hand[template] + s for s in steps])):
                value += l2 * (step / math.log(2)) ** 2
                if best_loss is None or value < best_loss - 1e-12:
                    best_value, best_loss = hand[template] + step, value
            if abs(best_value - logp[template]) > 1e-12:
                logp[template], moved = best_value, True
        if not moved:
            break
    return {t: round(math.exp(v), 4) for t, v in logp.items()}


def _coordinate(rows: list[Row], logp: dict[str, float], template: str, values: list[float]) -> list[float]:
    """sum of log2 positions with `template`'s log prior set to each of `values`, the rest as in `logp`.
    Where the template does not make the correct candidate, only the rivals it makes are recounted."""
    totals = [0.0] * len(values)
    for row in rows:
        if not _touches(row, template):
            continue
        if any(template in ts for ts, _ in row.correct):
            for i, value in enumerate(values):
                totals[i] += math.log2(table_rank(row, {**logp, template: value}))
            continue
        target = _score(row.correct, logp)
        fixed = _counts(row, logp, target, template, containing=False)
        for i, value in enumerate(values):
            moving = _counts(row, {**logp, template: value}, target, template, containing=True)
            totals[i] += math.log2(_position(row, fixed[0] + moving[0], fixed[1] + moving[1]))
    return totals


def _touches(row: Row, template: str) -> bool:
    return any(template in ts for ts, _ in row.correct) or any(template in k for k in row.by_key) or \
        any(template in ts for makers in row.multi for ts, _ in makers)


def n_examples(rows: list[Row]) -> Counter:
    """Per template: the cases whose correct candidate it makes."""
    found: Counter = Counter()
    for row in rows:
        for template in {t for ts, _ in row.correct or () for t in ts}:
            found[template] += 1
    return found


# -- the real generator's positions -----------------------------------------------------------------

def position(case: Case, priors: dict[str, float]) -> int | None:
    """The correct candidate's place in generate_candidates' stream under `priors` (None: not in the first CAP)."""
    judge = Judge(case)
    with buggy_tree(case) as root:
        texts = {p: (root / p).read_text() for p in case.fixed}
        for number, candidate in enumerate(rules.generate_candidates(root, case.suspects, {}, max_candidates=CAP,
                                                                     priors=priors), 1):
            edit = candidate.edits[0]
            after = _applied(texts.get(edit.path), edit.search, edit.replace) if len(candidate.edits) == 1 else None
            if after is not None and judge.correct(edit.path, after):
                return number
    return None


def _applied(text: str | None, search: str, replace: str) -> str | None:
    """`text` with the whole-line block `search` replaced (the engine makes it unique as whole lines)."""
    if text is None:
        return None
    at = ("\n" + text).find("\n" + search)
    return None if at < 0 else text[:at] + replace + text[at + len(search):]


def localized_positions(case: Case, tree: Path, priors: list[dict[str, float]]) -> list[int | None]:
    """The correct candidate's place in the stream `fix` builds from localize's REAL ranking and line scores
    (the visible tests run once under coverage), under each of `priors`: the order with the localisation a
    run has, counted in candidates (no time, so no load in it). bench/bugs only."""
    from suture.tools.testing.localize import localize

    repo = bench_fix.bugs_corpus.copy_program(case_bug(case), tree)
    found = localize(repo, run_dir=tree.parent / f"{tree.name}-run")
    judge = Judge(case)
    texts = {p: (repo / p).read_text() for p in case.fixed}
    places = []
    for chosen in priors:
        place = None
        for number, candidate in enumerate(rules.generate_candidates(repo, found.ranking, found.line_scores,
                                                                     max_candidates=PRODUCT_CAP, priors=chosen), 1):
            edit = candidate.edits[0]
            after = _applied(texts.get(edit.path), edit.search, edit.replace) if len(candidate.edits) == 1 else None
            if after is not None and judge.correct(edit.path, after):
                place = number
                break
        places.append(place)
    return places


def case_bug(case: Case):
    return next(b for b in bench_fix.bugs_corpus.load_bugs([case.id]))


def cross_validated(rows: list[Row], l2: float) -> dict[str, dict[str, float]]:
    """fold -> the priors fitted on every other fold's cases."""
    return {fold: fit([r for r in rows if r.case.fold != fold], l2) for fold in sorted({r.case.fold for r in rows})}


# -- report -----------------------------------------------------------------------------------------

def summary(places: list[int | None]) -> str:
    found = sorted(p for p in places if p is not None)
    n = len(places)
    med = found[len(found) // 2] if len(found) % 2 else (found[len(found) // 2 - 1] + found[len(found) // 2]) / 2 \
        if found else None
    shares = " | ".join(f"{100 * sum(p <= k for p in found) / n:.0f}%" for k in (*TOPS, PRODUCT_CAP)) if n else ""
    mean_log = sum(math.log2(p) for p in found) / len(found) if found else 0.0
    return f"{n} | {med if med is not None else '-'} | {shares} | {mean_log:.2f}"


def report(rows: list[Row], shipped: dict[str, float], cv: dict[str, dict[str, float]], l2: float) -> tuple[str, dict]:
    hand = dict(rules.HAND_PRIORS)
    n = n_examples(rows)
    reach = [r for r in rows if r.correct is not None]
    out = [f"{len(rows)} cases ({sum(r.case.corpus == 'bug' for r in rows)} bench/bugs, "
           f"{sum(r.case.corpus == 'fault' for r in rows)} bench/faults); the correct version is among the engine's "
           f"candidates at the true location for {len(reach)}. L2 {l2}; {len(cv)} folds (one per fault library, "
           "one per bug kind).", "",
           "| template | hand prior | fitted prior (all cases, shipped) | n (cases it makes the correct candidate) |",
           "|---|---:|---:|---:|"]
    out += [f"| {t} | {hand[t]:g} | {shipped[t]:g} | {n[t]} |" for t in TEMPLATES]
    places = {}
    for row in rows:
        if row.correct is None:
            places[row.case.id] = (None, None)
            continue
        places[row.case.id] = (position(row.case, hand), position(row.case, cv[row.case.fold]))
    head = ["| corpus | priors | cases | median position | top-1 | top-5 | top-10 | top-25 | "
            f"within {PRODUCT_CAP} | mean log2 position |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    out += ["", "Held-out position of the correct candidate (the real generator, true location, flat line "
            "weights; each case placed by priors fitted without its fold). Shares are of ALL cases of the corpus, "
            "out-of-reach ones included; the median and mean are over the cases in reach:", "", *head]
    for corpus in ("bug", "fault", None):
        ids = [r.case.id for r in rows if corpus is None or r.case.corpus == corpus]
        label = {"bug": "bench/bugs", "fault": "bench/faults", None: "both"}[corpus]
        for i, name in enumerate(("hand", "fitted (cross-validated)")):
            out.append(f"| {label} | {name} | " + summary([places[c][i] for c in ids]) + " |")
    moved = sorted(((math.log2(b / a), cid) for cid, (a, b) in places.items() if a and b and a != b), reverse=True)
    out += ["", "Largest moves (hand -> fitted held-out position): worse first, then better: " +
            ", ".join(f"{cid} {places[cid][0]}->{places[cid][1]}" for _, cid in moved[:6]) + "; " +
            ", ".join(f"{cid} {places[cid][0]}->{places[cid][1]}" for _, cid in moved[::-1][:8]) + "."]
    lost = [r.case for r in rows if r.correct is None]
    kinds = Counter(c.kind for c in lost)
    out += ["", f"Out of reach of any order ({len(lost)}: no template candidate, single or pair, equals the correct "
            "version at the true location): " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ".", "",
            "; ".join(c.id for c in lost)]
    return "\n".join(out), places


def write_priors(path: Path, priors: dict[str, float], rows: list[Row], l2: float) -> None:
    data = {"priors": priors,
            "hand": dict(rules.HAND_PRIORS),
            "n": {t: n_examples(rows)[t] for t in TEMPLATES},
            "fitted_by": "bench/fit_priors.py",
            "objective": "sum of log2(correct candidate's position) at the true location + l2 * sum log2(prior/hand)^2",
            "l2": l2, "grid": "hand x 2^(k/4), k in [-12, 12]",
            "cases": {"bench/bugs": sum(r.case.corpus == "bug" for r in rows),
                      "bench/faults": sum(r.case.corpus == "fault" for r in rows),
                      "in_reach": sum(r.correct is not None for r in rows)}}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _localized_report(cases: list[Case], scratch: Path) -> int:
    shipped = rules.template_priors()
    places = {}
    for case in (c for c in cases if c.corpus == "bug"):
        places[case.id] = localized_positions(case, scratch / "localized" / case.id, [dict(rules.HAND_PRIORS), shipped])
        print(json.dumps({"id": case.id, "kind": case.kind, "hand": places[case.id][0],
                          "fitted": places[case.id][1]}), flush=True)
    head = ["| priors | cases | median position | top-1 | top-5 | top-10 | top-25 | within 500 | mean log2 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    print("\n".join([*head, *(f"| {name} | " + summary([p[i] for p in places.values()]) + " |"
                                for i, name in enumerate(("hand", "shipped fit")))]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="a bug name, fault id or library (repeatable)")
    parser.add_argument("--no-faults", action="store_true", help="bench/bugs only (no library repos needed)")
    parser.add_argument("--work-dir", type=Path, default=bench_fix.faults_corpus.DEFAULT_WORK_DIR)
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--write", action="store_true", help=f"rewrite {PRIORS_OUT.relative_to(ROOT)} (or --out)")
    parser.add_argument("--out", type=Path, default=PRIORS_OUT)
    parser.add_argument("--no-cv", action="store_true", help="fit and write only: no cross-validation, no report")
    parser.add_argument("--rows-out", type=Path, help="one JSON line per case: its positions under hand and fitted")
    parser.add_argument("--results", action="store_true", help="append the report to bench/RESULTS.md")
    parser.add_argument("--localized", action="store_true",
                        help="bench/bugs only: positions under hand and shipped priors with localize's real ranking")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="suture-fit-priors-") as scratch:
        scratch = Path(scratch)
        cases = bug_cases(None if not args.only else [o for o in args.only if "/" not in o], scratch)
        if not args.no_faults:
            cases += fault_cases(args.only, scratch, args.work_dir)
        if not cases:
            print("fit_priors: no case matches.", file=sys.stderr)
            return 2
        if args.localized:
            return _localized_report(cases, scratch)
        rows = [collect(case) for case in cases]
        shipped = fit(rows, args.l2)
        if args.write:
            write_priors(args.out, shipped, rows, args.l2)
        if args.no_cv:
            print(json.dumps(shipped))
            return 0
        text, places = report(rows, shipped, cross_validated(rows, args.l2), args.l2)
    print(text)
    if args.rows_out:
        with args.rows_out.open("w") as out:
            for row in rows:
                a, b = places[row.case.id]
                out.write(json.dumps({"id": row.case.id, "corpus": row.case.corpus, "kind": row.case.kind,
                                      "hand": a, "fitted": b}) + "\n")
    if args.results:
        from common import append_results

        append_results("Rule engine: template priors fitted on the corpora (bench/fit_priors.py, issue 18)", text)
    return 0


if __name__ == "__main__":
    os.environ.pop(rules.PRIORS_ENV, None)  # the hand/fitted comparison must not read a user's priors file
    sys.exit(main())
