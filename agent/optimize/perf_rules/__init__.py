"""Offline speed rewrites for `suture optimize`: AST-checked, behaviour-preserving, one rule at one site.

`rewrites(path, source, function)` finds every site in a function (or in the whole file)
where a rule applies and returns, per site, the whole new file text with only that rewrite
applied. Edits are made as precise replacements of source segments located with `ast`,
so the rest of the file (comments, formatting) stays byte-identical.

Each rule states its preconditions in the comment above its finder. They lean on a small
type inference (`_Types`): parameter annotations (`list[str]`, `dict[str, int]`, ...),
literals, comprehensions, builtin calls and str methods. A value counts as hashable only
when it is evidently a str/int/float/bool/bytes/None or a tuple of those: for such values
`x in set(L)` and `x in L` agree (their `__eq__` and `__hash__` are consistent, 1 == 1.0 ==
True included), and building the set cannot raise. Calls of builtins and of methods of
builtin types are assumed not to reach into other objects (no `__eq__`/`__str__` with side
effects on the caller's lists); any other call in a loop counts as opaque and makes a list
that might be aliased outside the function (a parameter) non-stable there.

The optimize pipeline still gates every rewrite on the tests, differential equivalence
and timing; the rules do not rely on that.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from suture.agent.optimize.perf_rules.calls import pure_functions
from suture.agent.optimize.perf_rules.edits import _Module, _apply
from suture.agent.optimize.perf_rules.evidence import function_evidence
from suture.agent.optimize.perf_rules.facts import _Func
from suture.agent.optimize.perf_rules.membership import _const_membership, _list_index, _list_membership, _seen_list
from suture.agent.optimize.perf_rules.recursion import _memoise
from suture.agent.optimize.perf_rules.rescans import _list_remove, _nested_join, _pair_scan
from suture.agent.optimize.perf_rules.loops import _append_comprehension, _hoist_invariant, _mod_to_and, _regex_module, _str_concat
from suture.agent.optimize.perf_rules.hoistcalls import _hoist_module_call
from suture.agent.optimize.perf_rules.ifchain import _if_chain
from suture.agent.optimize.perf_rules.inline import _inline_helper
from suture.agent.optimize.perf_rules.keyed import _keyed_membership
from suture.agent.optimize.perf_rules.matchgroup import _match_group
from suture.agent.optimize.perf_rules.strings import _concat_running_length
from suture.agent.optimize.perf_rules.containers import (
    _any_all,
    _count_counter,
    _dict_keys,
    _insert0_reverse,
    _method_alias,
    _pop0_deque,
    _sorted_index,
)

# Best bets first: rules that remove a factor of n before those that shave a constant.
RULES: tuple[str, ...] = (
    "memoise-pure-recursion",
    "list-membership-to-set",
    "seen-list-to-set",
    "keyed-list-membership-to-set",
    "list-index-to-dict",
    "nested-loop-join-to-dict",
    "pair-scan-to-index",
    "list-remove-to-filter",
    "concat-to-join-running-length",
    "hoist-invariant-call",
    "hoist-invariant-module-call",
    "count-to-counter",
    "str-concat-to-join",
    "pop0-to-deque",
    "insert0-to-append-reverse",
    "sorted-index-to-min-max",
    "any-all-generator",
    "dict-keys-membership",
    "if-chain-to-dict",
    "match-group-to-subscript",
    "regex-compile-to-module",
    "int-mod-to-bit-and",
    "const-list-membership-to-set",
    "append-loop-to-comprehension",
    "inline-nested-helper",
    "method-alias-in-loop",
)


@dataclass(frozen=True)
class PerfRewrite:
    rule: str
    path: str
    function: str
    line: int
    description: str
    new_source: str
    evidence: tuple[str, ...] = ()  # the run-time facts and cross-call facts the rule's preconditions used


def rewrites(path: str, source: str, function: str | None = None,
             evidence: dict[str, dict] | None = None) -> list[PerfRewrite]:
    """Every applicable rewrite in `function` (qualname) or in the whole file; [] when the file does not parse.

    `evidence` (qualname -> a typeprobe record, tools/perf/typeprobe.py) adds the types a run showed
    where the source shows none, and lets calls of the module's functions that change nothing
    (perf_rules/calls.py) count as transparent; each rewrite names the facts it relied on."""
    try:
        tree = ast.parse(source)
        module = _Module(source, tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    typed = {q: function_evidence(record) for q, record in (evidence or {}).items()}
    if evidence is not None:
        try:
            pure_functions(module, {q: t[0] for q, t in typed.items()})
        except RecursionError:
            module.pure_functions = set()
    found: list[tuple[int, int, PerfRewrite]] = []
    seen_sources: set[str] = set()
    for qualname, fn in module.functions:
        if function is not None and qualname != function:
            continue
        types, sentences, _ = typed.get(qualname, ({}, {}, []))
        try:
            ctx = _Func(module, fn, types)
        except RecursionError:  # absurdly deep expressions: no rewrite rather than a crash
            continue
        for finder in _FINDERS:
            try:
                sites = list(_with_facts(finder(ctx), ctx, sentences))
            except RecursionError:
                sites = []
            for site, facts in sites:
                new_source = _apply(source, site.edits)
                if new_source == source or new_source in seen_sources:
                    continue
                try:
                    ast.parse(new_source)
                except (SyntaxError, ValueError):
                    continue
                seen_sources.add(new_source)
                first_line = source.count("\n", 0, min(e.start for e in site.edits)) + 1
                found.append((site.weight, site.line, PerfRewrite(site.rule, path, qualname, first_line, site.description,
                                                                  new_source, facts)))
    found.sort(key=lambda item: (RULES.index(item[2].rule), -item[0], item[1]))
    return [r for _, _, r in found]


def _with_facts(sites, ctx: _Func, sentences: dict[str, str]):
    """(site, the facts its finder read since the previous site): a finder reads a site's
    preconditions just before it yields the site."""
    ctx.evidence_used, ctx.pure_calls_used = set(), set()
    for site in sites:
        used = ctx.evidence_used if site.evidence_names is None else site.evidence_names
        facts = tuple(sentences[n] for n in sorted(used) if n in sentences) + tuple(
            f"`{f}` changes nothing it is given (checked across the call)" for f in sorted(ctx.pure_calls_used))
        yield site, facts
        ctx.evidence_used, ctx.pure_calls_used = set(), set()


# -- source editing ---------------------------------------------------------------------------


_FINDERS = (_memoise, _const_membership, _list_membership, _seen_list, _keyed_membership, _list_index, _nested_join, _pair_scan,
            _list_remove, _str_concat, _concat_running_length, _hoist_invariant, _hoist_module_call, _regex_module, _if_chain,
            _match_group,
            _sorted_index, _pop0_deque, _insert0_reverse, _append_comprehension, _mod_to_and, _inline_helper, _method_alias,
            _dict_keys, _count_counter, _any_all)
