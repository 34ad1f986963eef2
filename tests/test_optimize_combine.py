"""agent/optimize/propose.combined_proposal: a round's near misses stacked into one candidate, each rule
re-applied to the text the earlier ones left; real rules on a real module text, the result run."""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

from suture.agent.gates.verdict import Candidate
from suture.agent.optimize.perf_rules import rewrites
from suture.agent.optimize.propose import combined_proposal
from suture.agent.optimize.state import Judged

NATURAL = textwrap.dedent("""
    import re


    def natural_sort(lst):
        def convert(text):
            return int(text) if text.isdigit() else text.lower()

        def alphanum_key(key):
            return [convert(c) for c in re.split('([0-9]+)', key)]
        return sorted(lst, key=alphanum_key)
""")
PLACE = ("nat.py", "natural_sort.alphanum_key")


def measured(rule: str, speedup: float, low: float, high: float, text: str = NATURAL) -> Judged:
    [rewrite] = [r for r in rewrites(PLACE[0], text, PLACE[1], {}) if r.rule == rule]
    proposal = Candidate(rule, source=rule, files={PLACE[0]: rewrite.new_source}, functions=[PLACE])
    return Judged(proposal, "measured", "", timing={"speedup": speedup, "ci_low": low, "ci_high": high,
                                                    "threshold": 1.05})


def run(text: str, keys: list[str]) -> list[str]:
    space: dict = {}
    exec(compile(text, "nat.py", "exec"), space)
    return space["natural_sort"](keys)


def test_two_near_misses_stack_into_one_candidate_that_behaves_the_same():
    state = SimpleNamespace(types={}, judged=[1, 2])
    regex = measured("regex-compile-to-module", 1.05, 1.00, 1.17)
    inline = measured("inline-nested-helper", 1.01, 0.97, 1.07)
    slower = measured("inline-nested-helper", 0.98, 0.95, 1.01)
    stacked = combined_proposal(state, [inline, regex])
    assert stacked.source == "regex-compile-to-module+inline-nested-helper" and stacked.id == "c3"
    text = stacked.files["nat.py"]
    assert "_ALPHANUM_KEY_RE.split(key)" in text and "(int(c) if c.isdigit() else c.lower())" in text
    keys = ["a10", "a9", "B2", "b10x", "", "007", "x1y22z3"]
    assert run(text, keys) == run(NATURAL, keys)
    # Not two that gain: nothing to stack (one alone, or one slower than the base).
    assert combined_proposal(state, [regex]) is None
    assert combined_proposal(state, [regex, slower]) is None
