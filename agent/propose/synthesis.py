"""Repair beyond templates: angelic values, then expression synthesis (SemFix / Angelix adapted to Python).

At the suspicious expressions of the top functions (returned values, `if`/`while` conditions,
right-hand sides of assignments), in a scratch tree:

1. Record: each expression is wrapped in a probe (tools/testing/angelic.py) and the failing tests,
   with the passing tests that run the function, are run once; every time a test reaches a probe
   it records the locals and the value.
2. Synthesise: small expressions over those values (agent/propose/expressions.py) that give what
   the code gave on every passing test and something else on a failing test, smallest first;
   expressions in the same role from nearby code (agent/propose/ingredients.py) join them, and so do
   parses of a string the site reads (agent/propose/conversions.py), which change the code's type, and a
   repeated element `[x] * n` rebuilt per index (agent/propose/elementwise.py), a comprehension.
3. Angelic values and tries, in one more run: each failing test is re-run in place, once per
   constant the site might have to hold (True/False at a condition; values the site and its
   operands took) and once per candidate expression substituted at the site. A constant that
   makes a failing test pass is an angelic value: expressions that give it come first.
4. Expressions that make every failing test that reaches the site pass become candidates
   (template "synthesis" or "ingredient"), and go through every gate like any other.
0. Before 2: single template edits inside the probed expressions, tried in place (agent/propose/pairs.py).
5. Two template edits at two probed expressions that only work together, tried in place on the
   failing and then the passing tests (agent/propose/pairs.py), in what is left of the time.

Never instrumented: expressions that call anything but a few pure builtins (a call may write or
do I/O), that hold a lambda, comprehension, `await`, `yield` or `:=`, and the insides of
generators and async functions (said once in the notes, with the reason). Synthesis runs inside
its own deadline, a share of the run's time limit.
"""

from __future__ import annotations

import ast
import itertools
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.agent.propose.conversions import conversions
from suture.agent.propose.elementwise import elementwise
from suture.agent.propose.expressions import Expr, Hit, decode_hit, enumerate_fixes, key, terminals
from suture.agent.propose.ingredients import _has_scope, _invariant_loop, expression_ingredients, role, \
    statement_ingredients
from suture.agent.propose.pairs import screened_singles, site_variants, two_edits
from suture.agent.propose.rules import RuleCandidate, _edit, _parse_ok
from suture.agent.propose.templates import SourceFile, Span
from suture.agent.propose.templates.source import _walk_own
from suture.retrieval.files import decode_source
from suture.retrieval.testfiles import is_test_path
from suture.tools.testing.angelic import Site, instrument

# Probe(files, nodeids, plan, timeout) -> the plugin's records (tools/testing/angelic.probe_run in a pool tree).
Probe = Callable[[dict[str, str], list[str], dict[str, Any], float], list[dict[str, Any]]]

# Synthesis and ingredients are opt-in (SUTURE_SYNTHESIS=on) until an idle-machine benchmark shows
# they keep the precision of `fixed` claims (issue 17's measure) and gain correct fixes: their first,
# loaded runs overran the time limit by up to 15% (the warm server's start was not counted: fixed),
# and the 2026-12-07 run (bench/RESULTS.md), at load 45-54, had 25 of 30 runs at the limit, no
# correct fix gained, and one wrong claim of a constant in disguise (luhn: fixed since). The 2026-12-07
# 11:41 run (load 7-11, eight hard cases off/on) gained two correct fixes with no wrong claim, but the cases
# correct today were not re-run and in-place screening reorders every run's candidates. Off, fix
# proposes from the templates alone, as before issue 18. Stop 35 (synthesis only while nothing has passed,
# loop-invariant ingredients before the loop, no dead-store expressions): 10 cases off/on, 0 lost, 0 wrong,
# +2 correct; the all-51 run with it on is what the switch still waits for.
ENV_SWITCH = "SUTURE_SYNTHESIS"
PURE_CALLS = frozenset({"len", "min", "max", "abs", "int", "float", "str", "bool", "list", "tuple", "sorted",
                        "sum", "range", "round", "reversed", "set", "frozenset", "dict", "any", "all"})
# Methods of str that only read their object (`text[i].isalpha()`, `name.strip()`): a condition that calls
# them is no riskier to probe than one that calls len(). Names a class of its own would rarely give a
# method that writes (not `replace`: `Path.replace` moves a file); anything else called (`.append`, `.pop`, a function of the project) keeps a site out.
PURE_METHODS = frozenset({"isalpha", "isalnum", "isdigit", "isdecimal", "isnumeric", "isspace", "isupper", "islower",
                          "istitle", "isidentifier", "lower", "upper", "casefold", "strip", "lstrip", "rstrip",
                          "startswith", "endswith", "count", "find", "rfind", "split", "rsplit", "splitlines",
                          "partition", "rpartition", "title", "capitalize", "zfill", "removeprefix",
                          "removesuffix"})
MAX_SITES = 8
MAX_FUNCTIONS = 3
MAX_PASSING = 60  # passing tests recorded beside the failing ones
EXPRESSIONS_PER_SITE = 150  # tried in place, a few milliseconds each
CONSTANTS_PER_SITE = 12
# Failing tests that try angelic constants: the constants only rank the expressions (each test needs its own
# run of every constant), and a library's fault can fail 150 tests (inflection's pluralize), whose constants
# alone took the whole try run before any expression had run on the last tests.
ANGELIC_TESTS = 8
TRY_SECONDS = 1.0
# A try of a test that hangs at HEAD: a try that does not fix it runs this long (the test is a loop
# waiting for the right answer; the right one ends it at once).
HANGING_TRY_SECONDS = 0.3
# Offered to the gates, best first: the likeliest and a few rivals (see _offered), not every expression
# the weak tests let through. Each costs one gate run forked from a warm pytest.
MAX_CANDIDATES = 4
RIVAL_COST_MARGIN = 2


@dataclass
class ProbeSite:
    site: Site
    src: SourceFile
    node: ast.expr
    function: ast.AST
    symbol: str
    role: str
    weight: float
    hits: list[Hit] = field(default_factory=list)

    @property
    def condition(self) -> bool:
        return self.role == "condition"

    @property
    def text(self) -> str:
        return self.src.segment(self.node)


def beyond_templates(tree: Path, suspects: Sequence[Any], line_scores: dict[tuple[str, int], float | None],
                     failing: Sequence[str], covering: Callable[[str, int, int], set[str]], probe: Probe | None,
                     seconds: float, notes: list[str], hanging: Sequence[str] = (),
                     settled: Callable[[], bool] = lambda: False) -> Iterator[RuleCandidate]:
    """Synthesised expressions (tried in place first), then statements from nearby code; lazily, so the
    `seconds` of synthesis start counting only when the rule engine reaches them.

    `settled()` says a candidate has passed every gate already. From then on nothing more is proposed
    here: a template fix in hand is what the run would deliver with synthesis off, and synthesis would only
    take its time and add rivals the trust stage cannot always tell from it (stop 34: three correct template
    fixes shown as plausible beside a synthesised rival, `return max(items, [best])[0]` for `>=` -> `>`)."""
    if not enabled() or settled():
        return
    # A statement that steps the name a loop's condition waits on, where the body never changes it, is
    # the likeliest missing statement and costs no probe: gated before synthesis's expressions, so that
    # beside one that passes the weak tests too (`left += right` for a missing `right -= 1`) the
    # smaller behaviour change is there to be chosen.
    yield from _statement_candidates(tree, suspects, line_scores, stepping=True)
    if settled():
        return
    if probe is not None:
        yield from synthesise(tree, suspects, line_scores, failing, covering, probe, time.monotonic() + seconds, notes,
                              hanging, settled)
    else:
        notes.append("synthesis needs pytest (its probes are a pytest plugin); skipped for this test command.")
    if not settled():
        yield from _statement_candidates(tree, suspects, line_scores, stepping=False)


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "").strip().lower() in ("on", "1", "yes", "true")


def _statement_candidates(tree: Path, suspects: Sequence[Any], line_scores: dict,
                          stepping: bool) -> Iterator[RuleCandidate]:
    files: dict[str, SourceFile | None] = {}
    made = 0 if not stepping else 100  # distinct ids for the two passes
    for suspect in list(suspects)[:MAX_FUNCTIONS]:
        path, symbol = str(suspect.path), str(suspect.symbol)
        src = None if is_test_path(path) or not path.endswith(".py") else _source(tree, path, files)
        function = src.qualnames.get(symbol) if src else None
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or _skip_reason(function):
            continue
        top = max([line_scores.get((path, n)) or 0.0 for n in range(function.lineno, function.end_lineno + 1)] + [0.0])

        def weight(line: int, path: str = path, top: float = top) -> float:
            return (line_scores.get((path, line)) or 0.0) / top if top > 0 else 0.5

        for mutation in statement_ingredients(src, function, weight, stepping=stepping):
            new_text = src.apply(mutation.spans)
            if not _parse_ok(new_text):
                continue
            made += 1
            yield RuleCandidate(f"i{made}", [_edit(src, mutation.spans)], "ingredient", mutation.description, (),
                                mutation.weight, path, mutation.line, symbol, {"engine": "ingredient"})


def synthesise(tree: Path, suspects: Sequence[Any], line_scores: dict[tuple[str, int], float | None],
               failing: Sequence[str], covering: Callable[[str, int, int], set[str]], probe: Probe,
               deadline: float, notes: list[str], hanging: Sequence[str] = (),
               settled: Callable[[], bool] = lambda: False) -> Iterator[RuleCandidate]:
    """Synthesised and ingredient candidates for the top suspects, best first (see the module doc); each
    stage only while `settled()` says no candidate has passed every gate yet.

    `tree` is a clean checkout to read the code from; `covering(path, start, end)` names the tests
    that ran those lines; `probe` runs instrumented files in a scratch tree.
    """
    sites = _sites(tree, suspects, line_scores, notes)
    if not sites or not failing:
        return
    passing: list[str] = []
    for s in {(p.src.path, p.function.lineno, p.function.end_lineno) for p in sites}:
        passing += [t for t in sorted(covering(*s)) if t not in failing and t not in passing]
    files = _instrumented(sites)
    left = deadline - time.monotonic()
    if left <= 2:
        return
    records = probe(files, [*failing, *passing[:MAX_PASSING]], {"mode": "record", "max_hits": 20}, left / 2)
    _attach(sites, records, set(failing))
    hit = [s for s in sites if s.hits]
    per_site = site_variants(hit)
    ran_out: set[tuple] = set()
    # First the template edits inside the probed expressions, alone, in place (agent/propose/pairs.py): the
    # rule engine's own candidates, found for a re-run of the failing tests each instead of a gate run each.
    # A third of the time at most: most bugs a template fixes are found there.
    single_deadline = time.monotonic() + (deadline - time.monotonic()) / 3
    found_single = False
    for candidate in screened_singles(hit, per_site, files, failing, probe, single_deadline, hanging, TRY_SECONDS,
                                      HANGING_TRY_SECONDS, ran_out):
        found_single = True
        yield candidate
    if settled():  # a screened template edit passed the gates: what follows would only be its rivals
        return
    reached = [s for s in sites if s.hits and {h.test for h in s.hits if h.failing} == set(failing)]
    if reached:
        yield from _single_expressions(reached, files, failing, probe, deadline, hanging)
    else:
        notes.append("synthesis: no probed expression is reached by every failing test; nothing synthesised.")
    # Two template edits that only work together, at two of the probed expressions: in what is left of
    # synthesis's time, and only where no single template edit passed (a pair beside it is only a larger patch).
    if per_site and not found_single and not settled():
        yield from two_edits(hit, per_site, files, failing, probe, deadline, hanging, TRY_SECONDS,
                             HANGING_TRY_SECONDS, ran_out)


def _single_expressions(reached: list[ProbeSite], files: dict[str, str], failing: Sequence[str], probe: Probe,
                        deadline: float, hanging: Sequence[str]) -> Iterator[RuleCandidate]:
    """Synthesised and ingredient expressions at one site, tried in place on the failing tests, then offered."""
    plans = [(s, *_proposals(s, deadline)) for s in reached]
    tries = _tries(plans, failing, set(hanging))
    left = deadline - time.monotonic()
    if left <= 1 or not any(tries.values()):
        return
    # Half of what is left at most: two-edit pairs come after (agent/propose/pairs.py).
    results = probe(files, list(failing), {"mode": "try", "tries": tries, "seconds": left * 0.5,
                                           "try_seconds": TRY_SECONDS, "all_must_pass": True,
                                           "try_limits": {t: HANGING_TRY_SECONDS for t in hanging if t in tries}},
                    left * 0.6)
    yield from _candidates(plans, tries, results, failing)


# -- sites ------------------------------------------------------------------------------------


def _sites(tree: Path, suspects: Sequence[Any], line_scores: dict, notes: list[str]) -> list[ProbeSite]:
    out: list[ProbeSite] = []
    files: dict[str, SourceFile | None] = {}
    taken = 0
    for suspect in suspects:
        if taken >= MAX_FUNCTIONS:
            break
        path, symbol = str(suspect.path), str(suspect.symbol)
        if is_test_path(path) or not path.endswith(".py"):
            continue
        src = _source(tree, path, files)
        function = src.qualnames.get(symbol) if src else None
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        taken += 1
        reason = _skip_reason(function)
        if reason:
            notes.append(f"synthesis skipped {path}::{symbol}: {reason}.")
            continue
        for node, parent in _expressions(function):
            why = _unsafe(node)
            if why:
                continue
            weight = line_scores.get((path, node.lineno)) or 0.0
            site = Site(len(out) + 1, path, src.start(node), src.end(node))
            out.append(ProbeSite(site, src, node, function, symbol, role(node, parent), weight))
    out.sort(key=lambda s: -s.weight)
    kept = out[:MAX_SITES]
    return [ProbeSite(Site(i + 1, s.site.path, s.site.start, s.site.end), s.src, s.node, s.function, s.symbol,
                      s.role, s.weight) for i, s in enumerate(kept)]


def _source(tree: Path, path: str, files: dict[str, SourceFile | None]) -> SourceFile | None:
    if path not in files:
        try:
            files[path] = SourceFile(path, decode_source((tree / path).read_bytes(), path))
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError, RecursionError):
            files[path] = None
    return files[path]


def _skip_reason(function: ast.AST) -> str:
    if isinstance(function, ast.AsyncFunctionDef):
        return "an async function (its expressions run in an event loop the probes do not follow)"
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _walk_own(function)):
        return "a generator (a probe's lambda would not suspend with it)"
    if any(isinstance(n, (ast.Global, ast.Nonlocal)) for n in ast.walk(function)):
        return "it declares global or nonlocal names"
    return ""


def _expressions(function: ast.AST) -> Iterator[tuple[ast.expr, ast.AST]]:
    for node in _walk_own(function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr) and role(child, node) is not None:
                yield child, node


def _unsafe(node: ast.expr) -> str:
    """Why `node` may not be wrapped in a probe ("" when it may)."""
    if _has_scope(node):
        return "it holds a lambda, comprehension, await, yield or :="
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and not (isinstance(n.func, ast.Name) and n.func.id in PURE_CALLS) \
                and not (isinstance(n.func, ast.Attribute) and n.func.attr in PURE_METHODS):
            return "it calls code that may have side effects"
        if isinstance(n, ast.Starred):
            return "it unpacks with *"
    return ""


def _instrumented(sites: list[ProbeSite]) -> dict[str, str]:
    by_path: dict[str, list[ProbeSite]] = {}
    for s in sites:
        by_path.setdefault(s.site.path, []).append(s)
    return {path: instrument(group[0].src.text, [s.site for s in group]) for path, group in by_path.items()}


def _attach(sites: list[ProbeSite], records: list[dict[str, Any]], failing: set[str]) -> None:
    by_id = {s.site.id: s for s in sites}
    for record in records:
        site = by_id.get(record.get("s"))
        if site is not None:
            site.hits.append(decode_hit(record, record.get("t") in failing))


# -- proposals and tries ----------------------------------------------------------------------


def _literals(site: ProbeSite) -> list[str]:
    found = ["0", "1"]
    for n in ast.walk(site.function):
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, str)) and not isinstance(n.value, bool) \
                and len(repr(n.value)) <= 20:
            found.append(repr(n.value))
    return list(dict.fromkeys(found))[:12]


def _parts(node: ast.expr, src: SourceFile) -> list[str]:
    return list(dict.fromkeys(src.segment(n) for n in ast.walk(node) if isinstance(n, ast.expr)
                              and not isinstance(n, ast.Constant)))[:8]


def _proposals(site: ProbeSite, deadline: float) -> tuple[list[Expr], list[str], dict[str, list[str]], set[str]]:
    """(synthesised expressions, texts tried in place only, angelic constants to try, those of the texts built
    from the tests' values rather than taken from the code) for one site."""
    hits = site.hits
    base = terminals(hits, _parts(site.node, site.src), _literals(site))
    slice_end = min(deadline, time.monotonic() + 1.0)
    found = enumerate_fixes(hits, base, condition=site.condition, original=site.text,
                            limit=EXPRESSIONS_PER_SITE, deadline=slice_end)
    # The original's own names rearranged, no larger than it (`name + prefix` -> `prefix + name`,
    # `n == 0` -> `n <= 1`: the smallest edit), then smallest first; among equals, those reusing more
    # of the original's names (a clamp of it).
    used = {n.id for n in ast.walk(site.node) if isinstance(n, ast.Name)}
    size = _size(site.node)
    dead = _dead(site)
    found.sort(key=lambda e: (not (used and e.names == used and _size(ast.parse(e.text, mode="eval")) <= size),
                              e.cost, not (e.names & dead), -len(e.names & used)))
    # Then what changes the type the code gave (agent/propose/conversions.py): tried in place only, since the
    # values of the passing tests cannot vouch for them.
    # And a repeated element rebuilt per index (agent/propose/elementwise.py): a comprehension, which no
    # expression of the enumerator is.
    built = elementwise(site.node, site.src.segment, site.role, hits, _literals(site), deadline)
    ingredients = [t for t in [*expression_ingredients(site.src, site.function, site.node, site.role),
                               *conversions(site.src, site.node, site.role, hits), *built]
                   if t not in {e.text for e in found}]
    return found, ingredients, _constants(site, base), set(built)


def _size(node: ast.AST) -> int:
    """Expression nodes in `node` (the original's parts count in full, unlike an Expr's size)."""
    return sum(isinstance(n, ast.expr) for n in ast.walk(node))


def _constants(site: ProbeSite, base: list[Expr]) -> dict[str, list[str]]:
    """Per failing test, values to force at the site (angelic candidates): True/False at a condition;
    else, from the test's first hit, what the site's operands and the names there held, each also
    as a one-element list and +/-1 for a number, and the values the site took for passing tests."""
    out: dict[str, list[str]] = {}
    observed = [repr(h.value) for h in site.hits if not h.failing and h.known]
    for index, hit in enumerate(site.hits):
        if not hit.failing or hit.test in out:
            continue
        if site.condition:
            out[hit.test] = ["True", "False"]
            continue
        values: list[Any] = []
        for expr in base:
            value = expr.values[index]
            values.append(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values += [value + 1, value - 1]
            if isinstance(value, (int, float, str)) and isinstance(hit.value, list):
                values.append([value])
        texts = [repr(v) for v in values if key(v) != key(hit.value)] + observed
        out[hit.test] = [t for t in dict.fromkeys(texts) if len(t) < 200 and _roundtrips(t)][:CONSTANTS_PER_SITE]
    return out


def _roundtrips(text: str) -> bool:
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _tries(plans: list[tuple], failing: Sequence[str], hanging: set[str] = frozenset()) -> dict[str, list[list[Any]]]:
    """Per failing test, the [site, kind, text] tries: its angelic constants first, then the expressions.
    A test that hangs at HEAD spends a whole try limit on every try that does not fix it: the expressions
    (the candidates) go first there, the constants (which only rank them) after."""
    tries: dict[str, list[list[Any]]] = {}
    angelic = set(list(failing)[:ANGELIC_TESTS])
    for test in failing:
        per_site = []
        for site, found, ingredients, constants, _built in plans:
            items = [[site.site.id, "expr", e.text] for e in found] + [[site.site.id, "expr", t] for t in ingredients]
            forced = [[site.site.id, "const", c] for c in constants.get(test, [])] if test in angelic else []
            per_site.append(items + forced if test in hanging else forced + items)
        # Round robin over the sites: the time may end before the last site's turn, and the likeliest
        # expression of the second site must not wait behind the hundredth of the first.
        tries[test] = [t for group in itertools.zip_longest(*per_site) for t in group if t is not None]
    return tries


def _candidates(plans: list[tuple], tries: dict[str, list[list[Any]]], results: list[dict[str, Any]],
                failing: Sequence[str]) -> Iterator[RuleCandidate]:
    """The expressions that made every failing test pass in place, best first: the likeliest, then its
    rivals (see _offered)."""
    passed: dict[tuple[int, str, str], set[str]] = {}
    for record in results:
        test, index = record.get("t"), record.get("i")
        if record.get("ok") and test in tries and isinstance(index, int) and index < len(tries[test]):
            site, kind, text = tries[test][index]
            passed.setdefault((site, kind, text), set()).add(test)
    everyone = set(failing)
    ranked: list[tuple[tuple, ProbeSite, str, str, list[str], tuple]] = []
    for order, (site, found, ingredients, constants, built) in enumerate(plans):
        found = [e for e in found if not _orphans(site, e.text) and not _frozen_in_loop(site, e.text)]
        ingredients = [t for t in ingredients if not _orphans(site, t) and not _frozen_in_loop(site, t)]
        angelic = {t: {c for c in constants.get(t, []) if _passed_for(passed, site, "const", c, t)}
                   for t in list(failing)[:ANGELIC_TESTS]}
        used = {n.id for n in ast.walk(site.node) if isinstance(n, ast.Name)}
        dead = _dead(site)
        for rank, expr in enumerate(found):
            if passed.get((site.site.id, "expr", expr.text), set()) >= everyone:
                agrees = _agrees(site, expr, angelic)
                ranked.append(((not agrees, expr.cost, not (expr.names & dead), -len(expr.names & used), -site.weight,
                                order, rank), site,
                               expr.text, "synthesis", sorted({c for cs in angelic.values() for c in cs}),
                               (site.site.id, tuple(key(v) for v in expr.values))))
        for rank, text in enumerate(ingredients):
            if passed.get((site.site.id, "expr", text), set()) >= everyone:
                ranked.append(((True, 9, True, 0, -site.weight, order, rank), site, text,
                               "synthesis" if text in built else "ingredient", [],
                               (site.site.id, text)))
    ranked.sort(key=lambda r: r[0])
    for n, (_, site, text, engine, angelic, _signature) in enumerate(_offered(ranked)):
        yield _candidate(site, text, engine, angelic, f"s{n + 1}")


def _offered(ranked: list[tuple]) -> list[tuple]:
    """The best expression and, after it, up to MAX_CANDIDATES - 1 rivals the tests also let through
    that behave differently on the probed values. The rivals are what lets the trust stage
    (agent/fix/choose.py, evidence.py) see that the tests cannot decide: a lone synthesised expression
    that passes weak tests (`running = best + x` for a clamp) looks like the only fix; beside the rival
    that also passes (`max(0, running + x)`) the evidence compares them outside the tests, keeps the
    smaller behaviour change, and claims nothing while the two disagree and neither is the smaller."""
    if not ranked:
        return []
    # Rivals as small as the best, or nearly: a much odder one the tests also let through (`not (n // 2)`
    # beside `n <= 1`) would only be chosen where it keeps HEAD's result on inputs no one asked about.
    limit = ranked[0][0][1] + RIVAL_COST_MARGIN
    # One per behaviour on the probed values: a rival the hits cannot tell from the best (`[[n]][-1]` for
    # `[n]`, `abs(n) < 2` for `n <= 1`) is the same patch to the tests, and an uglier one that can win
    # the ranking on a verifier's time-out or on inputs no test asked about.
    seen: set[tuple] = set()
    distinct = []
    for item in (r for r in ranked if r[0][1] <= limit):
        if item[5] not in seen:
            distinct.append(item)
        seen.add(item[5])
    return distinct[:MAX_CANDIDATES]


def _orphans(site: ProbeSite, text: str) -> set[str]:
    """Locals the function writes whose last real read is the site, when `text` (in its place) reads none of
    them: after such a patch the function keeps filling a variable nothing looks at (`if node < nxt:` for
    `if nxt not in visited:` leaves `visited.add(nxt)` writing a set no line reads), a dead store that
    says the synthesised expression bypasses what the code was built around. The tests cannot tell it
    from a repair, so it is never offered. The price: a right expression that makes the variable redundant
    (`nxt not in dist` there, `dist` holding the start from the outset) is not offered either; a patch
    that leaves dead code is one a reviewer would not take as it is. A read as the receiver of a statement call (`seen.add(x)`),
    or of an item assignment (`seen[k] = v`), is a write, not a read."""
    try:
        new_names = {n.id for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()
    written, read_elsewhere = _uses(site)
    at_site = {n.id for n in ast.walk(site.node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return (at_site & written) - read_elsewhere - new_names


def _frozen_in_loop(site: ProbeSite, text: str) -> bool:
    """Does `text` read only names no loop around the site rebinds, where the original read one the loop
    does? Then it gives one answer on every turn of the loop, a constant in disguise the tests cannot tell
    (`if '.' < (default or '.'):` for `if current is None:` in a walk down a path: the walk's step no longer
    matters). A condition that really holds for the whole loop belongs before it; no such rewrite is offered.
    A `return` ends the loop at once, so what its value reads says nothing of the turns: not judged."""
    stmt = site.src.parent.get(site.node)
    if site.role == "return" or not isinstance(stmt, ast.stmt) or _invariant_loop(site.src, site.function, stmt, site.text) is not None:
        return False
    return _invariant_loop(site.src, site.function, stmt, text) is not None


def _uses(site: ProbeSite) -> tuple[set[str], set[str]]:
    """(names the function writes, names it really reads outside the site) — see _orphans."""
    inside = set(ast.walk(site.node))
    written: set[str] = set()
    read_elsewhere: set[str] = set()
    for node in ast.walk(site.function):
        if not isinstance(node, ast.Name):
            continue
        if isinstance(node.ctx, ast.Store) or _written_through(site.src, node):
            written.add(node.id)
        elif node not in inside:
            read_elsewhere.add(node.id)
    return written, read_elsewhere


def _dead(site: ProbeSite) -> set[str]:
    """Locals the function writes and never reads, the site included (`result` before a seeded `return None`,
    `extra` of `base, extra = divmod(...)`): the likeliest names a missing expression reads. Among
    expressions of one cost, those that read one come first."""
    written, read_elsewhere = _uses(site)
    at_site = {n.id for n in ast.walk(site.node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return written - read_elsewhere - at_site - {"_"}


def _written_through(src: SourceFile, name: ast.Name) -> bool:
    """Is `name` the object of a method call made as a statement, or of an item assignment?"""
    parent = src.parent.get(name)
    if isinstance(parent, ast.Subscript) and parent.value is name and isinstance(parent.ctx, (ast.Store, ast.Del)):
        return True
    if isinstance(parent, ast.Attribute) and parent.value is name:
        call = src.parent.get(parent)
        return isinstance(call, ast.Call) and call.func is parent and isinstance(src.parent.get(call), ast.Expr)
    return False


def _passed_for(passed: dict, site: ProbeSite, kind: str, text: str, test: str) -> bool:
    return test in passed.get((site.site.id, kind, text), set())


def _agrees(site: ProbeSite, expr: Expr, angelic: dict[str, set[str]]) -> bool:
    """Does the expression give, at each failing test's first hit, a value forcing showed makes it pass?"""
    for test, values in angelic.items():
        index = next((i for i, h in enumerate(site.hits) if h.test == test), None)
        if index is None or not values:
            return False
        value = expr.values[index]
        if not any(key(value) == key(ast.literal_eval(v)) for v in values):
            return False
    return True


def _candidate(site: ProbeSite, text: str, engine: str, angelic: list[str], ident: str) -> RuleCandidate:
    src, node = site.src, site.node
    replacement = text if _atomic_or_safe(text, site) else f"({text})"
    edit = _edit(src, (Span(src.start(node), src.end(node), replacement),))
    how = "synthesised from the tests' values" if engine == "synthesis" else "taken from nearby code"
    description = f"`{_short(replacement)}` in place of `{_short(site.text)}` ({how}) in line {node.lineno}"
    meta = {"engine": engine, "angelic_values": angelic[:5]}
    return RuleCandidate(ident, [edit], engine, description, (), 1.0, src.path, node.lineno, site.symbol, meta)


def _atomic_or_safe(text: str, site: ProbeSite) -> bool:
    """Parentheses are needed only where the site sits inside a larger expression; roles are whole
    expressions of a statement, so only a bare tuple needs them."""
    try:
        return not isinstance(ast.parse(text, mode="eval").body, ast.Tuple) or text.startswith("(")
    except SyntaxError:
        return False


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
