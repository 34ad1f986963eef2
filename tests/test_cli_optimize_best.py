"""`suture optimize` keeps the best candidate of a round, not the first; shows per-edit bars and the
hot lines; gives the hot lines to the model. Real CLI, rules, harness, tests, verifier and timing;
only the model is scripted. No assertion depends on a timing: the two rewrites differ by a factor
of several at the workload's scale, and the test reads which one was kept and what was printed.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import suture
from test_cli_optimize import VERIFY  # a short verifier bound: not what these tests are about

# Two quadratic spots: the stop-word membership in `content` (most of the time: 120 stop words per
# scale unit, none of which occurs) and a hand-written search in `dedupe` that no rule matches (24
# distinct words per scale unit). The membership rule fixes the first (about 8x, measured in
# process); the model's edit, generated after it in the same round, fixes both (thousands of x).
# Two candidates in the round keep the run short.
TWO_SPOTS = {
    "words/__init__.py": "",
    "words/filter.py": """
        def dedupe(items: list[str]) -> list[str]:
            \"\"\"Items in first-seen order, without repeats.\"\"\"
            seen = []
            for item in items:
                for other in seen:
                    if other == item:
                        break
                else:
                    seen[len(seen):] = [item]
            return seen


        def content(words: list[str], stop: list[str]) -> list[str]:
            \"\"\"The distinct words that are not stop words, in first-seen order.\"\"\"
            return dedupe([w for w in words if w not in stop])
    """,
    "tests/test_filter.py": """
        from words.filter import content, dedupe


        def test_order():
            assert content(["a", "the", "b", "a"], ["the"]) == ["a", "b"]


        def test_dedupe():
            assert dedupe(["b", "a", "b"]) == ["b", "a"]
            assert content([], ["x"]) == []
    """,
}
TWO_SPOTS_WORKLOAD = """
def make_input(scale):
    return ([f"w{(i * 7919) % (scale * 24)}" for i in range(scale * 120)], [f"s{i}" for i in range(scale * 120)])
"""
BOTH_AT_ONCE = (
    "Use a set for the stop words and dict.fromkeys for the order-keeping dedupe.\n\nwords/filter.py\n"
    "<<<<<<< SEARCH\n    return dedupe([w for w in words if w not in stop])\n=======\n"
    "    stop_set = set(stop)\n    return list(dict.fromkeys(w for w in words if w not in stop_set))\n"
    ">>>>>>> REPLACE\n"
)


def _report(repo) -> dict:
    [record] = (repo / ".suture" / "runs").glob("*-optimize-*/report.json")
    return json.loads(record.read_text())


@pytest.mark.slow  # a whole suture run with several candidates: scheduled first (conftest.py)
def test_the_fastest_significant_candidate_of_a_round_is_kept_not_the_first(make_repo, tmp_path):
    repo = make_repo(TWO_SPOTS)
    workload = tmp_path / "workload.py"
    workload.write_text(TWO_SPOTS_WORKLOAD)
    model = tmp_path / "model.jsonl"
    model.write_text(json.dumps({"text": BOTH_AT_ONCE}) + "\n" + json.dumps({"text": "No further idea."}) + "\n")
    # The minimum three timing rounds: a median of three has one loaded-machine outlier as its CI bound,
    # but an interval that straddles the bar gets three more rounds (tools/perf/timing.py extend_to).
    done = suture("optimize", "--target", "words.filter:content", "--workload", str(workload), "--rounds", "3",
                  "--model", f"scripted:{model}", *VERIFY, cwd=repo, timeout=600)
    assert done.returncode == 0, done.stderr
    report = _report(repo)
    candidates = report["candidates"]
    membership = next(c for c in candidates if c["source"] == "list-membership-to-set")
    [edit] = [c for c in candidates if c["source"] == "model"]
    # The rule's candidate came first, passed the gates and the clock and was significant -- and was not kept:
    # the model's, generated after it in the same round, was faster. The bounded verifier ran on the one kept
    # only (agent/optimize/measure.py settle): the slower one's verdict is not_run.
    assert candidates.index(membership) < candidates.index(edit)
    assert membership["stage"] == "measured" and membership["significant"], membership["reason"]
    assert not membership["accepted"] and f"but {edit['id']} was faster" in membership["reason"]
    assert edit["accepted"] and edit["speedup"] > membership["speedup"]
    assert membership["equivalence"]["verifier"] == "not_run" and edit["equivalence"]["verifier"] != "not_run"
    assert report["edits"][0]["rule"] == "model" and "dict.fromkeys" in report["patch"]
    # Every measured candidate's record carries its per-round ratios, for a plot to be redrawn.
    assert len(membership["ratios"]) in (3, 6) and len(report["edits"][0]["ratios"]) in (3, 6)
    # The terminal shows one plain-text bar per kept edit, with its interval, and the hot lines.
    bars = [line for line in done.stderr.splitlines() if re.match(r"^words/filter\.py::\w+ +\|[ =#:\[\]]+\| ", line)]
    assert len(bars) == len(report["edits"]), done.stderr
    assert all("[" in b and "]" in b and "#" in b and "95% CI" in b for b in bars)
    assert "speed-up per kept edit" in done.stderr and "\x1b[" not in done.stderr
    [spot] = [s for s in report["hotspots"][0]["hotspots"] if s["function"] == "content"]
    top = spot["lines"][0]
    assert top["text"] == "return dedupe([w for w in words if w not in stop])" and top["share"] > 0.5
    assert f"words/filter.py:{top['line']}" in done.stderr and "hot lines of words/filter.py::content" in done.stderr
    # The model was told the same hot lines.
    first = json.loads(model.with_suffix(".transcript.jsonl").read_text().splitlines()[0])
    assert f"line {top['line']}: " in first["messages"][-1]["content"]


RANKS = {
    "ranking/__init__.py": "",
    "ranking/ranks.py": """
        def ranks(names: list[str], order: list[str]) -> list[int]:
            \"\"\"The position of each name in `order` (its first one).\"\"\"
            out = []
            for n in names:
                out.append(order.index(n))
            return out


        def pair_labels(orders, customers):
            # One label per order and customer with the same id (unannotated: only the run shows the types).
            out = []
            for order in orders:
                for customer in customers:
                    if order[0] == customer[0]:
                        out.append(customer[1] + ": " + order[1])
            return out
    """,
    "tests/test_ranks.py": """
        import pytest

        from ranking.ranks import pair_labels, ranks


        def test_labels_join_on_the_id():
            assert pair_labels([("1", "tea"), ("2", "cup")], [("2", "Bo"), ("1", "Al"), ("1", "Ann")]) == [
                "Al: tea", "Ann: tea", "Bo: cup"]


        def test_first_positions():
            assert ranks(["b", "a", "b"], ["a", "b", "a", "b"]) == [1, 0, 1]


        def test_a_missing_name_raises():
            with pytest.raises(ValueError):
                ranks(["z"], ["a"])
    """,
}
RANKS_WORKLOAD = """
def make_input(scale):
    order = [f"n{i}" for i in range(scale * 200)]
    return ([order[(i * 7919) % len(order)] for i in range(scale * 200)], order)
"""
JOIN_WORKLOAD = """
def make_input(scale):
    n = 60 * scale
    return ([(str(i * 7 % n), f"sku{i}") for i in range(n)], [(str(i), f"name{i}") for i in range(n)])
"""


@pytest.mark.slow  # a whole suture run: scheduled first (conftest.py)
def test_list_index_and_a_nested_loop_join_are_rewritten_to_dicts(make_repo, tmp_path):
    # One run, two targets (each with its workload): list.index in a loop, and a nested-loop join that
    # only the recorded types (tuples of str) let the rule index.
    repo = make_repo(RANKS)
    workload, join = tmp_path / "workload.py", tmp_path / "join.py"
    workload.write_text(RANKS_WORKLOAD)
    join.write_text(JOIN_WORKLOAD)
    # The minimum three timing rounds: both rewrites are hundreds of times faster at their workloads'
    # scale (quadratic against linear), far past any loaded-machine outlier, and no other candidate of
    # the round comes near them; each round is a process per side for every candidate of the run.
    done = suture("optimize", "--target", "ranking.ranks:ranks", "--workload", str(workload),
                  "--target", "ranking.ranks:pair_labels", "--workload", str(join), "--rounds", "3",
                  "--json", *VERIFY, cwd=repo, timeout=900)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # Keyed by function and rule: a later round may stack a second, small edit on the same function (a
    # method alias that the clock calls significant on a loaded machine), after the rewrite was kept.
    kept = {(e["function"], e["rule"]): e for e in report["edits"]}
    summary = [(c["id"], c["source"], c.get("reason")) for c in report["candidates"]]
    assert ("ranks", "list-index-to-dict") in kept, summary
    assert "if n in _order_index else order.index(n)" in report["patch"]
    assert kept["ranks", "list-index-to-dict"]["equivalence"]["replay"] == "passed"
    joined = kept.get(("pair_labels", "nested-loop-join-to-dict"))
    assert joined is not None and joined["significant"] is True, summary
    assert joined["equivalence"]["replay"] == "passed"
    assert any("`customers` was list[tuple[str, str]]" in e for e in joined["evidence"]), joined["evidence"]
    assert "for customer in (_customers_by_key.get(order[0], ()) if _customers_by_key else customers):" \
        in report["patch"]
