"""Run-time type evidence (tools/perf/typeprobe.py, agent/optimize/perf_rules/evidence.py and calls.py):
the recorder run for real on a small script, and the rules that take their preconditions from what it
recorded, with the cases where they must step back (unhashable items, types that vary between calls,
a list mutated in the loop, a helper that mutates what it is given or hands out a shared list)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from suture.agent.optimize.perf_rules import rewrites
from suture.agent.optimize.perf_rules.evidence import function_evidence
from suture.tools.perf.profile import ProfileError
from suture.tools.perf.timing import Runner
from suture.tools.perf.typeprobe import record_types

from test_perf_rules import assert_same

WORDS = """\
def unique_words(text):
    seen = []
    for word in text.split():
        w = word.strip(".,;:!?").lower()
        if w and w not in seen:
            seen.append(w)
    return seen


def shared_words(a, b):
    words_b = unique_words(b)
    return sum(1 for w in unique_words(a) if w in words_b)
"""


def record(**names) -> dict:
    """A typeprobe record in which each name had the given descriptors (one sample each)."""
    return {"calls": 4, "samples": 4, "names": {
        n: {"types": {json.dumps(d): 1 for d in (ds if isinstance(ds, list) and ds and isinstance(ds[0], list)
                                                 else [ds])}, "max_len": 3} for n, ds in names.items()}}


SHARED = {"shared_words": record(a="str", b="str", w="str", words_b=["list", "str"]),
          "unique_words": record(text="str", seen=["list", "str"], word="str", w="str")}


def rules_of(source: str, function: str, evidence: dict | None) -> dict[str, object]:
    return {r.rule: r for r in rewrites("pkg/words.py", textwrap.dedent(source), function, evidence)}


def test_the_word_statistics_functions_get_their_rewrites_only_with_evidence():
    assert "list-membership-to-set" not in rules_of(WORDS, "shared_words", None)
    assert "seen-list-to-set" not in rules_of(WORDS, "unique_words", None)
    shared = rules_of(WORDS, "shared_words", SHARED)["list-membership-to-set"]
    assert any("`words_b` was list[str]" in e for e in shared.evidence), shared.evidence
    assert any("`w` was str" in e for e in shared.evidence)
    assert any("`unique_words` changes nothing" in e for e in shared.evidence)
    assert_same(WORDS, shared, "shared_words", [("the cat sat", "The dog sat."), ("", "a"), ("a a b", "b; B! c")])
    unique = rules_of(WORDS, "unique_words", SHARED)["seen-list-to-set"]
    assert any("`text` was str" in e for e in unique.evidence), unique.evidence
    assert_same(WORDS, unique, "unique_words", [("b a, B c! a",), ("",), ("x. x, X",)])


def test_unhashable_or_varying_recorded_types_make_the_rule_step_back():
    lists = {**SHARED, "shared_words": record(a="str", b="str", w=["list", "str"], words_b=["list", ["list", "str"]])}
    assert "list-membership-to-set" not in rules_of(WORDS, "shared_words", lists)
    varying = {**SHARED, "shared_words": record(a="str", b="str", w=[["str"], ["int"]], words_b=["list", "str"])}
    assert "list-membership-to-set" not in rules_of(WORDS, "shared_words", varying)
    assert function_evidence(varying["shared_words"])[2] == ["w"]
    mixed = {**SHARED, "shared_words": record(a="str", b="str", w="str", words_b=["list", "mixed"])}
    assert "list-membership-to-set" not in rules_of(WORDS, "shared_words", mixed)
    # An empty list agrees with any element type: `seen` is [] on a first call and full later.
    assert function_evidence(record(seen=[["list", None], ["list", "str"]]))[0] == {"seen": ("list", "str")}


def test_a_helper_that_mutates_or_shares_its_list_is_not_transparent():
    mutating = WORDS.replace("    seen = []\n", "    seen = []\n    CACHE.append(text)\n").replace(
        "def unique_words", "CACHE = []\n\n\ndef unique_words")
    assert "list-membership-to-set" not in rules_of(mutating, "shared_words", SHARED)
    # Hands out one list shared by every call, so a later call can change words_b inside the loop.
    shared_list = WORDS.replace("    seen = []\n", "    seen = SEEN\n").replace(
        "def unique_words", "SEEN = []\n\n\ndef unique_words")
    assert "list-membership-to-set" not in rules_of(shared_list, "shared_words", SHARED)
    mutates_argument = WORDS.replace("    seen = []\n", "    seen = []\n    text.append(1)\n")
    assert "list-membership-to-set" not in rules_of(mutates_argument, "shared_words", SHARED)


def test_a_list_mutated_in_the_loop_keeps_its_membership_test():
    source = """\
    def grow(a, b):
        words_b = list(b)
        out = 0
        for w in a:
            if w in words_b:
                out += 1
            words_b.append(w)
        return out
    """
    evidence = {"grow": record(a=["list", "str"], b=["list", "str"], w="str")}
    assert "list-membership-to-set" not in rules_of(source, "grow", evidence)


def test_the_recorder_samples_locals_arguments_returns_and_comprehensions(tmp_path):
    (tmp_path / "mod.py").write_text(textwrap.dedent("""\
        def pick(items, wanted):
            chosen = [x for x in items if x in wanted]
            return chosen

        def other(n):
            return n + 1
        """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""\
        from mod import other, pick
        for i in range(300):
            pick([str(j) for j in range(20)], ("1", "2") if i % 2 else ["30"])
            other(i)
        """))
    runner = Runner([sys.executable, "main.py"], tmp_path, {})
    found = record_types(runner, tmp_path, [("mod.py", "pick"), ("mod.py", "missing")])
    assert set(found) == {("mod.py", "pick")}  # other() is not watched; missing() never ran
    pick = found[("mod.py", "pick")]
    assert pick["calls"] >= 300 and 0 < pick["samples"] < pick["calls"]  # sampled, not every call
    names = pick["names"]
    assert set(names["items"]["types"]) == {json.dumps(["list", "str"])}
    assert names["items"]["max_len"] == 20
    assert set(names["wanted"]["types"]) == {json.dumps(["tuple", "str"]), json.dumps(["list", "str"])}
    assert json.dumps("str") in names["x"]["types"]  # from the list comprehension's own frame (3.11)
    assert set(names["<return>"]["types"]) == {json.dumps(["list", "str"]), json.dumps(["list", None])}
    types, sentences, varying = function_evidence(pick)
    assert types["items"] == ("list", "str") and "wanted" in varying and "`items` was list[str]" in sentences["items"]


def test_a_recording_run_that_fails_is_one_sentence(tmp_path):
    (tmp_path / "main.py").write_text("raise SystemExit(3)\n")
    with pytest.raises(ProfileError, match="exit code 3"):
        record_types(Runner([sys.executable, "main.py"], tmp_path, {}), tmp_path, [("main.py", "f")])
