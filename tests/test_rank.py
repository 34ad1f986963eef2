"""rank(): the order of validated candidates and their dedupe by normalized key."""

from __future__ import annotations

import random

from suture.agent.fix.rank import rank
from suture.agent.gates.validate import GateVerdict


def verdict(cid, accepted=True, stage="suite", regressions=0, still=0, verifier=None, diff=2, key=None, ast=0):
    return GateVerdict(
        candidate_id=cid,
        accepted=accepted,
        stage=stage,
        regressions=[f"t::r{i}" for i in range(regressions)],
        still_failing=[f"t::s{i}" for i in range(still)],
        verifier=verifier,
        diff_lines=diff,
        normalized_key=key if key is not None else f"key-{cid}",
        ast_change=ast,
    )


def ids(verdicts):
    return [v.candidate_id for v in verdicts]


def test_accepted_first_then_regressions_then_verifier_class_then_diff_then_strength_then_id():
    verdicts = [
        verdict("rej-1reg", accepted=False, regressions=1),
        verdict("rej-2reg", accepted=False, regressions=2),
        verdict("big", diff=10),
        verdict("small", diff=2),
        verdict("big-exhausted", diff=8, verifier="exhausted", stage="verifier"),
        verdict("bounded", diff=8, verifier="no_counterexample_within_bound", stage="verifier"),
        verdict("small-bounded", diff=4, verifier="no_counterexample_within_bound", stage="verifier"),
        verdict("unsupported", diff=1, verifier="unsupported", stage="verifier"),
        verdict("c10", diff=3),
        verdict("c2", diff=3),
        verdict("parse", accepted=False, stage="parse", key=""),
        verdict("cex", accepted=False, stage="verifier", verifier="counterexample", diff=1),
    ]
    expected = [
        "small-bounded",  # the verifier found nothing: one class, the smaller diff first
        "big-exhausted",  # same diff: the stronger verdict breaks the tie
        "bounded",
        "unsupported",  # unsupported ranks with "no verifier": then the smallest diff wins
        "small",
        "c2",  # natural order of ids on a full tie
        "c10",
        "big",
        "cex",  # rejected: no regressions, but a counterexample
        "rej-1reg",
        "rej-2reg",
        "parse",  # never reached the tests
    ]
    assert ids(rank(verdicts)) == expected
    shuffled = verdicts[:]
    random.Random(4).shuffle(shuffled)
    assert ids(rank(shuffled)) == expected  # independent of the order verdicts arrived in


def test_a_needless_extra_edit_the_verifier_exhausted_loses_to_the_minimal_fix_searched_within_bound():
    # A stray `not (value is None)`: the single fix `is` -> `is not` got "no counterexample within
    # bound"; the pair that also turns `str(value)` into `repr(value)` was exhausted by CrossHair. Both
    # passed the tests (none shows a string), so the smaller change must come first.
    single = verdict("r1", verifier="no_counterexample_within_bound", stage="verifier", diff=2, ast=1)
    pair = verdict("r7", verifier="exhausted", stage="verifier", diff=4, ast=2)
    assert ids(rank([pair, single])) == ids(rank([single, pair])) == ["r1", "r7"]
    # Equally small otherwise: fewer AST nodes changed, and only then the stronger verdict.
    same_lines = verdict("r9", verifier="exhausted", stage="verifier", diff=2, ast=2)
    assert ids(rank([same_lines, single])) == ["r1", "r9"]
    twin = verdict("r10", verifier="exhausted", stage="verifier", diff=2, ast=1)
    assert ids(rank([single, twin])) == ["r10", "r1"]


def test_rejected_with_fewer_still_failing_ranks_higher():
    assert ids(rank([verdict("a", False, "selected", still=2), verdict("b", False, "selected", still=1)])) == ["b", "a"]


def test_same_normalized_key_keeps_only_the_best():
    verdicts = [
        verdict("long-comment", diff=6, key="k"),
        verdict("plain", diff=2, key="k"),
        verdict("other", diff=4, key="k2"),
        verdict("edit-failed-1", accepted=False, stage="edit", key=""),
        verdict("edit-failed-2", accepted=False, stage="edit", key=""),
    ]
    assert ids(rank(verdicts)) == ["plain", "other", "edit-failed-1", "edit-failed-2"]


def test_empty():
    assert rank([]) == []
