"""When the mutation step may stop early (issue 19's overhead bound): only once no mutant still to run
could change which suspect comes first, as tools/testing/combine.py ranks. Pure arithmetic on the
ranking's own records; the runs themselves are covered by tests/test_cli_localize_mutation.py."""

from __future__ import annotations

from suture.tools.testing.mutation import Mutant, MutantResult, _FirstPlace
from suture.tools.testing.suspects import Suspect

WEIGHT = 0.3


def _suspect(name: str, sbfl: float, issue: float = 0.0) -> Suspect:
    signals = {"sbfl": {"value": sbfl}}
    if issue:
        signals["issue_bm25"] = {"value": issue, "weight": 0.2}
    return Suspect("m.py", name, 1, 5, sbfl, "function", signals)


def _result(name: str, fixed: int, broken: int = 0) -> MutantResult:
    mutant = Mutant(("m.py", name), 2, "t", "d", [])
    return MutantResult(mutant, ["t"] * fixed, [], ["p"] * broken, 0.0, 0.1)


def test_a_fixing_mutant_of_the_leader_decides_once_no_rival_can_catch_up():
    ranking = [_suspect("lead", 1.0), _suspect("close", 0.9), _suspect("far", 0.5)]
    first = _FirstPlace(ranking, WEIGHT, total_failing=1)
    # Before any evidence every suspect within reach could still come first.
    assert not first.decided([], {("m.py", "lead"), ("m.py", "close")})
    # The leader's mutant makes the failing test pass: 1.0 + 0.3 beats 0.9 + 0.3 even if `close` got a fix.
    assert first.decided([_result("lead", fixed=1)], {("m.py", "close")})


def test_a_tie_is_not_decided_while_the_rival_has_mutants_left():
    ranking = [_suspect("a", 1.0), _suspect("b", 1.0)]
    first = _FirstPlace(ranking, WEIGHT, total_failing=1)
    results = [_result("a", fixed=1)]
    assert not first.decided(results, {("m.py", "b")})  # b's next mutant could fix too: a tie again
    assert first.decided(results + [_result("b", fixed=0)], set())  # b's mutants are spent, none changed anything


def test_other_signals_count_in_the_base_and_a_weak_mutant_does_not_decide():
    # `b` trails on SBFL but the issue text lifts it past `a`: 0.8 + 0.95 (the top SBFL) x 0.2 x 1.0 = 0.99.
    ranking = [_suspect("b", 0.8, issue=1.0), _suspect("a", 0.95)]
    first = _FirstPlace(ranking, WEIGHT, total_failing=4)
    assert abs(first.base[("m.py", "b")] - 0.99) < 1e-9
    # a's mutant fixes one of four failing tests and breaks one passing test: a small value, b can still win.
    assert not first.decided([_result("a", fixed=1, broken=1)], {("m.py", "b")})
    # With no weight for the signal nothing it does can move the order: never worth deciding on.
    assert not _FirstPlace(ranking, 0.0, 4).decided([_result("a", fixed=4)], set())
