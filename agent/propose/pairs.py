"""Two coordinated edits, tried in place before any is gated (Angelix's multi-location search, over the templates' edits).

Some bugs need two edits that only work together: month arithmetic done on 1-based months needs
both `index = d.month - 1 + months` and `month = index % 12 + 1`; either alone breaks a test that
passes today. Gating pairs of template edits one by one costs a test run each, so the rule engine's
own pairs (agent/propose/rules.py) come from a pool of a few dozen edits and come last. Here, at
the expressions synthesis instruments (agent/propose/synthesis.py), every template edit that stays
inside such an expression is a *variant* of it, and pairs of variants at two sites are tried in
place, in two more probe runs of the instrumented tree:

1. each failing test is re-run once per single variant and once per pair (milliseconds each);
2. each passing test that reached either site is re-run once per pair (and single) that made every
   failing test pass.

A single edit that passes both goes to the gates first (it is a template edit the rule engine would
reach only after every likelier one had been gated, a test run each: here the failing ones cost
milliseconds), and then no pair: a pair beside it would only be a larger patch. Else a pair that
makes every failing test pass and keeps every passing test it touched passing goes to the gates
(engine "synthesis").
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from suture.agent.gates.antipatterns import anti_patterns
from suture.agent.propose.rules import RuleCandidate, _edit, template_priors
from suture.agent.propose.templates import TEMPLATES, Mutation, SourceFile, Span, scope_nodes

MAX_VARIANTS = 10  # template edits per site combined into pairs, likeliest first
# Template edits per site tried alone in place: a re-run of a failing test each (milliseconds), against a
# gate run each when the rule engine reaches them in its order (grid_paths' `c + dr` -> `c + dc` is the
# 24th of 44 edits inside its expression, and the 130th or so candidate of the whole stream).
MAX_SINGLES = 60
MAX_PAIRS = 500  # pairs tried per failing test (each a re-run of the test in place)
MAX_OFFERED = 3  # pairs that pass everything in place, offered to the gates (rivals for the trust stage)
SITE_FLOOR = 0.05  # weight of a site no failing test's line score reaches
FLAGGED_FACTOR = 0.1


@dataclass(frozen=True)
class Variant:
    """A site's expression with one template edit inside it."""

    site: Any  # synthesis.ProbeSite
    text: str
    weight: float
    description: str
    risks: tuple[str, ...] = ()
    template: str = ""
    flagged: bool = False  # alone, it brings a static anti-pattern into its function (see _flagged_alone)

    @property
    def edit(self) -> list[Any]:
        return [self.site.site.id, "expr", self.text]


def variants(site: Any, mutations: Sequence[Mutation], prior: dict[str, float], limit: int = MAX_VARIANTS) -> list[Variant]:
    """The template edits whose spans all lie inside the site's expression, as the site's new text."""
    start, end, original = site.site.start, site.site.end, site.text
    found: dict[str, Variant] = {}
    for m in mutations:
        if not m.spans or not all(start <= s.start and s.end <= end for s in m.spans):
            continue
        text = original
        for span in sorted(m.spans, key=lambda s: s.start, reverse=True):
            text = text[: span.start - start] + span.text + text[span.end - start :]
        if text == original or text in found or not _expression(text):
            continue
        found[text] = Variant(site, text, prior.get(m.template, 0.5) * m.weight, m.description, tuple(m.risks),
                              m.template)
    kept = sorted(found.values(), key=lambda v: -v.weight)[:limit]
    return [dataclasses.replace(v, flagged=_flagged_alone(v)) for v in kept]


def _flagged_alone(v: Variant) -> bool:
    """Does the edit alone bring a static anti-pattern into its function (`min(a[-1], b[0])` in a function that
    read `a` and `b` alike)? Checked on the function's own text, so a long file costs no parse per edit."""
    src, function = v.site.src, v.site.function
    start, end = src.line_start(function.lineno), src.line_end(function.end_lineno)
    if not (start <= v.site.site.start and v.site.site.end <= end):
        return False
    before = src.text[start:end]
    after = before[: v.site.site.start - start] + _wrapped(v.text) + before[v.site.site.end - start :]
    return bool(anti_patterns(textwrap.dedent(before), textwrap.dedent(after)))


def _expression(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        return False
    return True


def function_mutations(src: SourceFile, function: ast.AST) -> list[Mutation]:
    """Every template's edits in `function` (a template that fails on odd code gives none)."""
    nodes = scope_nodes(src, function)
    out: list[Mutation] = []
    for template in TEMPLATES.values():
        try:
            out.extend(template(src, nodes))
        except Exception:  # noqa: BLE001 - the rule engine notes a template's blind spot; here it is only skipped
            continue
    return out


def pair_list(per_site: Sequence[tuple[Any, list[Variant]]], failing_sites: set[int]) -> list[tuple[Variant, Variant]]:
    """Pairs of variants at two sites, at least one of them reached by a failing test, likeliest first."""
    scored = []
    for (a, va), (b, vb) in itertools.combinations(per_site, 2):
        if a.site.id not in failing_sites and b.site.id not in failing_sites:
            continue
        if a.site.path == b.site.path and not (a.site.end <= b.site.start or b.site.end <= a.site.start):
            continue
        sites = max(a.weight, SITE_FLOOR) * max(b.weight, SITE_FLOOR)
        # An edit that alone breaks a stated invariant (a function's symmetry) seldom belongs to the right pair:
        # its pairs go far down, or they fill the MAX_PAIRS tried before the right one (rect_intersection).
        scored += [(-(x.weight * y.weight * sites * (FLAGGED_FACTOR if x.flagged or y.flagged else 1.0)),
                    len(scored) + i, (x, y))
                   for i, (x, y) in enumerate(itertools.product(va, vb))]
    scored.sort(key=lambda s: s[:2])
    return [p for _, _, p in scored[:MAX_PAIRS]]


Probe = Callable[[dict[str, str], list[str], dict[str, Any], float], list[dict[str, Any]]]


def site_variants(sites: Sequence[Any]) -> list[tuple[Any, list[Variant]]]:
    """(site, its template edits, likeliest first, at most MAX_SINGLES) for the sites that have any."""
    prior = template_priors()
    by_function: dict[int, list[Mutation]] = {}
    per_site = []
    for site in sites:
        if id(site.function) not in by_function:
            by_function[id(site.function)] = function_mutations(site.src, site.function)
        found = variants(site, by_function[id(site.function)], prior, MAX_SINGLES)
        if found:
            per_site.append((site, found))
    return per_site


def screened_singles(sites: Sequence[Any], per_site: list[tuple[Any, list[Variant]]], files: dict[str, str],
                     failing: Sequence[str], probe: Probe, deadline: float, hanging: Sequence[str] = (),
                     try_seconds: float = 1.0, hanging_try_seconds: float = 0.3,
                     ran_out: set[tuple] | None = None) -> Iterator[RuleCandidate]:
    """Single template edits that pass every test they touch in place, as the rule engine would order them.
    `ran_out` collects the edits whose try ran past its limit (not paired later)."""
    # Site by site in turn, likeliest first at each: a long tail at one site must not keep the likeliest
    # edits of the others out when the time ends.
    singles = [v for group in itertools.zip_longest(*(vs for _, vs in per_site)) for v in group if v is not None]
    passed = _screen(sites, singles, files, failing, probe, deadline, hanging, try_seconds, hanging_try_seconds,
                     ran_out)
    rank = {id(v): (n, r) for n, (_, vs) in enumerate(per_site) for r, v in enumerate(vs)}
    for n, single in enumerate(sorted(passed, key=lambda v: (_flagged(v), rank[id(v)]))[:MAX_OFFERED]):
        yield _single(single, f"q{n + 1}")


def two_edits(sites: Sequence[Any], per_site: list[tuple[Any, list[Variant]]], files: dict[str, str],
              failing: Sequence[str], probe: Probe, deadline: float, hanging: Sequence[str] = (),
              try_seconds: float = 1.0, hanging_try_seconds: float = 0.3,
              ran_out: set[tuple] = frozenset()) -> Iterator[RuleCandidate]:
    """Pairs that pass every test they touch in place, best first (see the module doc); none with an edit
    that alone ran past its limit (a loop that no longer ends: each such pair would cost the limit again)."""
    failing_sites = {s.site.id for s in sites if any(h.failing for h in s.hits)}
    pairs = [p for p in pair_list([(site, found[:MAX_VARIANTS]) for site, found in per_site], failing_sites)
             if not any(_key(v) in ran_out for v in p)]
    passed = _screen(sites, pairs, files, failing, probe, deadline, hanging, try_seconds, hanging_try_seconds)
    # Only a few go to the gates: those with a static anti-pattern (agent/gates/antipatterns.py) go last, or
    # likelier-looking pairs the tests let through (`min(a[-1], b[0])` with `max(a[2], b[3])`, an
    # intersection no longer symmetric in its two rectangles) keep the right one (both `min`/`max` swapped)
    # out of the offer; the gates would only have shown them as weakly evidenced.
    passed.sort(key=_flagged)
    for n, (x, y) in enumerate(passed[:MAX_OFFERED]):
        yield _candidate(x, y, f"p{n + 1}")


def _screen(sites: Sequence[Any], tried: list[Any], files: dict[str, str], failing: Sequence[str], probe: Probe,
            deadline: float, hanging: Sequence[str], try_seconds: float, hanging_try_seconds: float,
            ran_out: set[tuple] | None = None) -> list[Any]:
    """Of `tried` (variants or pairs), those that make every failing test pass in place and keep passing every
    passing test that reached one of their sites; [] when the time ran out first."""
    left = deadline - time.monotonic()
    if not tried or left <= 2:
        return []
    # 1. The failing tests (a try one of them failed is not run for the others: all_must_pass).
    plan = [_edits(t) for t in tried]
    limits = {t: hanging_try_seconds for t in hanging if t in failing}
    results = probe(files, list(failing), {"mode": "try", "tries": {t: plan for t in failing}, "seconds": left * 0.5,
                                           "try_seconds": try_seconds, "try_limits": limits, "all_must_pass": True},
                    left * 0.6)
    if ran_out is not None:
        ran_out.update(_key(tried[r["i"]]) for r in results if r.get("out") and isinstance(r.get("i"), int)
                       and r["i"] < len(tried))
    fixing = [tried[i] for i in _passed_by_all(results, list(failing), len(tried))]
    if not fixing:
        return []
    # 2. The passing tests that reached a site of what made every failing test pass.
    reached: dict[str, set[int]] = {}
    for site in sites:
        for hit in site.hits:
            if not hit.failing:
                reached.setdefault(hit.test, set()).add(site.site.id)
    chosen = {test: [i for i, t in enumerate(fixing) if _sites(t) & ids] for test, ids in reached.items()}
    chosen = {test: indexes for test, indexes in chosen.items() if indexes}
    left = deadline - time.monotonic()
    if chosen and left <= 1:
        return []
    tries = {test: [_edits(fixing[i]) for i in indexes] for test, indexes in chosen.items()}
    results = probe(files, list(tries), {"mode": "try", "tries": tries, "seconds": left * 0.8,
                                         "try_seconds": try_seconds, "all_must_pass": True}, left) if tries else []
    broke = _broken(results, chosen)
    if broke is None:  # the run was cut short: nothing is known of the passing tests
        return []
    return [t for i, t in enumerate(fixing) if i not in broke]


def _flagged(tried: Any) -> bool:
    """Does the variant's (or pair's) patch bring a static anti-pattern into its functions?"""
    by_path: dict[str, tuple[Any, list[Variant]]] = {}
    for v in (tried if isinstance(tried, tuple) else (tried,)):
        by_path.setdefault(v.site.site.path, (v.site.src, []))[1].append(v)
    for src, found in by_path.values():
        text = src.text
        for v in sorted(found, key=lambda v: v.site.site.start, reverse=True):
            text = text[: v.site.site.start] + _wrapped(v.text) + text[v.site.site.end :]
        if anti_patterns(src.text, text):
            return True
    return False


def _edits(tried: Any) -> list[Any]:
    return [v.edit for v in tried] if isinstance(tried, tuple) else tried.edit


def _sites(tried: Any) -> set[int]:
    return {v.site.site.id for v in (tried if isinstance(tried, tuple) else (tried,))}


def _key(tried: Any) -> tuple:
    """A variant's (or pair's) identity across probe runs."""
    return tuple((v.site.site.id, v.text) for v in (tried if isinstance(tried, tuple) else (tried,)))


def _passed_by_all(results: list[dict[str, Any]], tests: list[str], count: int) -> list[int]:
    """Indexes of the tries every test passed (a test cut short before a try did not pass it)."""
    passed: dict[int, set[str]] = {}
    for record in results:
        if record.get("ok") and isinstance(record.get("i"), int):
            passed.setdefault(record["i"], set()).add(record.get("t"))
    return [i for i in range(count) if passed.get(i, set()) >= set(tests)]


def _broken(results: list[dict[str, Any]], chosen: dict[str, list[int]]) -> set[int] | None:
    """Which of `fixing` (by index) failed a passing test; None when a try was never run (the run was cut short)."""
    outcome = {(r.get("t"), r.get("i")): bool(r.get("ok")) for r in results if "i" in r}
    broke: set[int] = set()
    for test, indexes in chosen.items():
        for position, index in enumerate(indexes):
            if (test, position) not in outcome:
                return None
            if not outcome[(test, position)]:
                broke.add(index)
    return broke


def _candidate(x: Variant, y: Variant, ident: str) -> RuleCandidate:
    first, second = sorted((x, y), key=lambda v: (v.site.site.path, v.site.site.start))
    spans = {}
    for v in (first, second):
        spans.setdefault(v.site.site.path, (v.site.src, []))[1].append(
            Span(v.site.site.start, v.site.site.end, _wrapped(v.text)))
    edits = [_edit(src, tuple(found)) for src, found in spans.values()]
    line = first.site.node.lineno
    description = (f"two edits together: {first.description} (`{_short(first.text)}`); "
                   f"{second.description} (`{_short(second.text)}`), tried in place on the tests")
    risks = tuple(dict.fromkeys(first.risks + second.risks))
    return RuleCandidate(ident, edits, "synthesis", description, risks, first.weight * second.weight,
                         first.site.site.path, line, first.site.symbol, {"engine": "synthesis", "edits_tried": 2})


def _single(v: Variant, ident: str) -> RuleCandidate:
    """A template edit that passed every test it touched in place: the template's own candidate."""
    edit = _edit(v.site.src, (Span(v.site.site.start, v.site.site.end, _wrapped(v.text)),))
    return RuleCandidate(ident, [edit], v.template or "synthesis", f"{v.description} (tried in place on the tests first)",
                         v.risks, v.weight, v.site.site.path, v.site.node.lineno, v.site.symbol,
                         {"engine": "template", "tried_in_place": True})


def _wrapped(text: str) -> str:
    """A site is a whole expression of a statement: only a bare tuple needs parentheses."""
    return f"({text})" if isinstance(ast.parse(text, mode="eval").body, ast.Tuple) and not text.startswith("(") \
        else text


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
