"""B4-style selection over a candidate x generated-test pass matrix, and the confidence score."""

from __future__ import annotations

import pytest

from suture.agent.fix.select import b4_select, confidence


def test_a_small_group_backed_by_tests_the_others_fail_beats_a_larger_agreeing_group():
    # Three wrong patches agree with each other (they pass test 0 only); the right patch
    # passes tests 0-3. Plain voting would pick the trio; B4 weighs what the trio fails.
    passes = {
        "wrong-a": [True, False, False, False],
        "wrong-b": [True, False, False, False],
        "wrong-c": [True, False, False, False],
        "right": [True, True, True, True],
    }
    chosen = b4_select(list(passes), passes)
    assert chosen.chosen == "right" and chosen.group == ["right"]
    assert chosen.agreement == 0.25


def test_agreement_wins_when_the_tests_do_not_separate():
    passes = {"a": [True, False], "b": [True, False], "c": [False, True]}
    chosen = b4_select(list(passes), passes)
    assert chosen.group == ["a", "b"] and chosen.chosen == "a"


def test_a_wrong_generated_test_does_not_sink_the_right_patch():
    # Test 2 is wrong: no candidate can pass it. The right patch still passes more right tests.
    passes = {"right": [True, True, False], "wrong": [True, False, False], "wrong2": [False, False, False]}
    assert b4_select(list(passes), passes).chosen == "right"


def test_no_generated_tests_keeps_the_callers_order():
    passes = {"first": [], "second": []}
    chosen = b4_select(["first", "second"], passes)
    assert chosen.chosen == "first" and chosen.agreement == 1.0


def test_bad_matrices_are_refused():
    with pytest.raises(ValueError):
        b4_select([], {})
    with pytest.raises(ValueError):
        b4_select(["a", "b"], {"a": [True], "b": [True, False]})


def test_confidence_grows_with_evidence_and_falls_with_risks():
    thin = confidence(covering_tests=1, verifier="not_run", agreement=None)
    solid = confidence(covering_tests=6, verifier="not_run", agreement=1.0)
    verified = confidence(covering_tests=1, verifier="exhausted", agreement=1.0)
    risky = confidence(covering_tests=6, verifier="not_run", agreement=1.0, risks=["removes_check", "deletes_code"])
    assert thin.weak and not solid.weak
    assert verified.value > confidence(1, "no_counterexample_within_bound", 1.0).value
    assert risky.value < solid.value and "risk: removes_check" in risky.reasons
    assert 0.0 <= thin.value <= 1.0 and solid.value == pytest.approx(1.0)
    assert solid.to_dict()["weak"] is False


def test_agreement_counts_only_where_it_is_evidence():
    # Two tests run the change; no verifier evidence; the rule engine's variants say nothing.
    rules_only = confidence(covering_tests=2, verifier="not_run", agreement=None)
    assert not rules_only.weak and rules_only.agreement == 1.0
    assert not any("agree" in r for r in rules_only.reasons)
    # The same patch chosen among a model's samples that disagree is weaker.
    split = confidence(covering_tests=2, verifier="not_run", agreement=0.25)
    assert split.value < rules_only.value and "25% of the passing candidates agree" in split.reasons


def test_the_thin_cap_holds_unless_a_comparison_beyond_the_tests_vouches_for_the_patch():
    from suture.agent.fix.evidence import Evidence, vouches

    seen = Evidence("r1", "known", inputs=9, beyond=8, changed=9)
    assert vouches(seen).startswith("compared with HEAD on 8 input(s) beyond")
    # Nothing beyond the tests' own calls, nothing changed, a risk, an anti-pattern, a change like the
    # passing tests' or an unknown comparison: the one test is all there is, and the cap stays.
    for item, risks in [(Evidence("r1", "known", inputs=1, beyond=0, changed=1), ()),
                        (Evidence("r1", "known", inputs=9, beyond=8, changed=0), ()),
                        (seen, ("removes_check",)),
                        (Evidence("r1", "known", inputs=9, beyond=8, changed=9, anti_patterns=["x"]), ()),
                        (Evidence("r1", "known", inputs=9, beyond=8, changed=9, classified=True,
                                  changed_like_passing=3), ()),
                        (Evidence("r1", "unknown", reason="a nested function"), ()), (None, ())]:
        assert vouches(item, risks) == ""
    # A rival the comparison never saw differ from it leaves the choice open (toolz functoolz:113's wrong
    # `isinstance(val, ...)` agreed with the right repair on every input); one seen to differ does not.
    from suture.agent.fix.evidence import Disagreement

    assert vouches(seen, rivals=["r1", "r2"]) == ""
    parted = Evidence("r1", "known", inputs=9, beyond=8, changed=9,
                      disagreements=[Disagreement("r2", "f(1)", "returns 1", "returns 2", 1)])
    assert vouches(parted, rivals=["r1", "r2"]) and vouches(parted, rivals=["r1", "r2", "r3"]) == ""
    twin = Evidence("r1", "known", inputs=9, beyond=8, changed=9, same_code=["r2"])  # `not (k in d)` beside `k not in d`
    assert vouches(twin, rivals=["r1", "r2"])
    capped = confidence(1, "not_run", None, probability=0.92)
    lifted = confidence(1, "not_run", None, probability=0.92, vouched=vouches(seen))
    assert capped.weak and not lifted.weak and lifted.value == pytest.approx(0.92)
    assert any(r.startswith("thin:") and "not capped" in r for r in lifted.reasons)
