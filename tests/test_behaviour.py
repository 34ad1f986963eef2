"""Behaviour outside the tests (tools/verify/behaviour.py, agent/fix/evidence.py): real child
interpreters running a small module's function at the base and in patched versions."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest
from conftest import git

from suture.agent.cli.render import evidence_lines
from suture.agent.fix.evidence import NO_TIME, Disagreement, Evidence, cap_confidence, gather_evidence, order_by_evidence
from suture.agent.fix.select import CONFIDENCE_THRESHOLD, confidence
from suture.agent.gates.validate import GateVerdict
from suture.tools.git.workspace import WorktreePool
from suture.tools.verify.arg_types import collect_calls
from suture.tools.verify.behaviour import compare_versions

# Generous: the suite runs on loaded machines; what is compared does not depend on it (bounded inputs).
LIMIT = 60.0

PRICES = """\
BULK = 10


def unit_price(cents, quantity):
    if quantity > BULK:
        return cents * 9 // 10
    return cents
"""

# Passes the three tests (they all buy at 100 cents) and answers 90 for every bulk order.
BLUNT = PRICES.replace("quantity > BULK", "quantity >= BULK").replace("return cents * 9 // 10", "return 90")

SEEDS = [
    {"args": ["100", "5"], "kwargs": {}, "label": "passing"},
    {"args": ["100", "20"], "kwargs": {}, "label": "passing"},
    {"args": ["100", "10"], "kwargs": {}, "label": "failing"},
]


def write(tmp_path, text, name="prices.py"):
    (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def test_footprint_counts_where_a_version_changes_the_base_result(tmp_path):
    root = write(tmp_path, PRICES)
    right = PRICES.replace("quantity > BULK", "quantity >= BULK")
    blunt = BLUNT
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    run = compare_versions(root, "prices.py", "unit_price", {"right": right, "blunt": blunt}, seeds=SEEDS,
                           param_types={"cents": "int", "quantity": "int"}, time_limit=LIMIT, max_inputs=60)
    assert not run.unknown and run.classified and len(run.inputs) > 30  # the three calls and their mutations
    changed = {vid: [r for r in run.inputs if r.same("base", vid) is False] for vid in ("right", "blunt")}
    # >= changes the result only at quantity 10 (with a price that a tenth off changes).
    assert changed["right"] and all("10)" in r.call or ", 10" in r.call for r in changed["right"])
    assert len(changed["blunt"]) > len(changed["right"])
    # A constant 90 changes results on inputs like the passing test unit_price(100, 20): same path, same shape.
    assert any(r.like == "passing" for r in changed["blunt"])
    assert not any(r.like == "passing" for r in changed["right"])
    # The tests' own calls come first; the failing one takes the same path as unit_price(100, 5): "both".
    assert [(r.call, r.like) for r in run.inputs[:3]] == [
        ("unit_price(100, 5)", "both"), ("unit_price(100, 20)", "passing"), ("unit_price(100, 10)", "both")]
    assert run.inputs[2].outcomes == {"base": "returns 100", "right": "returns 90", "blunt": "returns 90"}
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # nothing written beside the code


def test_rivals_disagree_on_an_input_and_each_result_is_named(tmp_path):
    root = write(tmp_path, """\
        def median(values):
            if not values:
                return None
            ordered = sorted(values)
            return ordered[len(ordered) // 2]
        """, "middle.py")
    base = (root / "middle.py").read_text()
    mean = base.replace("    ordered = sorted(values)\n", "    return sum(values) / len(values)\n    ordered = sorted(values)\n")
    lower = base.replace("return ordered[len(ordered) // 2]",
                         "mid = len(ordered) // 2\n    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2")
    seeds = [{"args": ["[3, 1, 2]"], "kwargs": {}, "label": "passing"},
             {"args": ["[1, 2, 3, 4]"], "kwargs": {}, "label": "failing"}]
    run = compare_versions(root, "middle.py", "median", {"mean": mean, "median": lower}, seeds=seeds,
                           param_types={"values": "list[int]"}, time_limit=LIMIT, max_inputs=40)
    apart = [r for r in run.inputs if r.same("mean", "median") is False]
    assert apart, [r.call for r in run.inputs]
    smallest = min(apart, key=lambda r: len(r.call))
    assert smallest.outcomes["mean"] != smallest.outcomes["median"]
    # Both give 2.5 on the failing test's own input: the tests cannot tell them apart there.
    assert run.inputs[1].call == "median([1, 2, 3, 4])" and run.inputs[1].same("mean", "median")


@pytest.mark.parametrize("source, qualname, reason", [
    ("import random\n\ndef pick(x: int):\n    return x + random.random()\n", "pick", "randomness"),
    ("def read(path: str):\n    with open(path) as f:\n        return f.read()\n", "read", "touches files"),
    ("class Box:\n    def get(self, x: int):\n        return x\n", "Box.get", "needs an object"),
    ("SEEN = [0]\n\ndef count(x: int):\n    SEEN[0] += 1\n    return x + SEEN[0]\n", "count", "different results for the same input"),
])
def test_what_cannot_be_compared_is_unknown_with_its_reason(tmp_path, source, qualname, reason):
    root = write(tmp_path, source, "mod.py")
    run = compare_versions(root, "mod.py", qualname, {"c1": source + "\n# patched\n"}, time_limit=LIMIT, max_inputs=20)
    assert reason in run.unknown


def test_uncomparable_results_are_never_counted_as_agreement(tmp_path):
    source = "def make(x: int):\n    return object()\n"
    root = write(tmp_path, source, "mod.py")
    run = compare_versions(root, "mod.py", "make", {"c1": source + "\n"}, time_limit=LIMIT, max_inputs=10)
    assert run.inputs and all(r.same("base", "c1") is None for r in run.inputs)
    item = Evidence("c1")
    from suture.agent.fix.evidence import _summarise

    _summarise(item, [("mod.py::make", run)], [])
    assert item.status == "unknown" and "cannot be compared" in item.reason and item.inputs == 0


def test_a_hanging_call_is_cut_at_the_per_call_limit(tmp_path):
    source = "def step(x: int):\n    return x + 1\n"
    hangs = "def step(x: int):\n    while x > 3:\n        pass\n    return x + 1\n"
    root = write(tmp_path, source, "mod.py")
    seeds = [{"args": [str(n)], "kwargs": {}, "label": "passing"} for n in (1, 2, 7, 8, 9, 10)]
    run = compare_versions(root, "mod.py", "step", {"c1": hangs}, seeds=seeds, time_limit=LIMIT, per_call=0.2,
                           max_inputs=12)
    assert [r.outcomes.get("c1") for r in run.inputs[:2]] == ["returns 2", "returns 3"]
    assert [r.outcomes.get("c1") for r in run.inputs[2:5]] == ["hangs"] * 3
    # A hang is never "same" as HEAD's result, and a version past its allowance of hangs is not run
    # again (unknown, never "same").
    assert all(r.same("base", "c1") is not True for r in run.inputs if int(r.call[5:-1]) > 3)
    assert len(run.inputs) == 12


LOWER_BOUND = """\
def lower_bound(items, target):
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] < target:
            lo = mid
        else:
            hi = mid
    return lo
"""


def test_inputs_on_which_head_hangs_are_cut_short_and_the_comparison_goes_on(tmp_path):
    # HEAD's loop never ends on most inputs (the bug): each of its hangs after the first is cut at a short
    # CPU limit, so its hangs neither use up the comparison nor stop HEAD from being run on the inputs after
    # three of them (then nothing beyond the tests' calls was compared and a right fix went unclaimed).
    root = write(tmp_path, LOWER_BOUND, "search.py")
    seeds = [{"args": ["[1, 3, 5, 7]", "5"], "kwargs": {}, "label": "failing"},
             {"args": ["[1, 2, 3, 4, 5, 6, 7, 8]", "7"], "kwargs": {}, "label": "failing"},
             {"args": ["[]", "3"], "kwargs": {}, "label": "passing"},
             {"args": ["[5, 6, 7]", "1"], "kwargs": {}, "label": "passing"}]
    fixed = LOWER_BOUND.replace("lo = mid\n", "lo = mid + 1\n")
    run = compare_versions(root, "search.py", "lower_bound", {"c1": fixed}, seeds=seeds, time_limit=LIMIT,
                           per_call=0.5, max_inputs=60)
    beyond = [r for r in run.inputs if not r.seed]
    assert sum(r.outcomes.get("base") == "hangs" for r in beyond) > 3
    changed = [r for r in beyond if r.same("base", "c1") is False]
    assert changed and all(r.outcomes["base"] == "hangs" for r in changed)
    assert all(r.outcomes["c1"] != "hangs" for r in run.inputs if "c1" in r.outcomes)


def test_collect_calls_names_the_test_each_call_is_in(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_p.py").write_text(textwrap.dedent("""\
        from prices import unit_price

        HELPER = unit_price(1, 1)

        def test_small():
            assert unit_price(100, 5) == 100

        class TestBulk:
            def test_at(self):
                assert unit_price(100, 10) == 90
        """))
    calls = collect_calls(tmp_path)["unit_price"]
    assert [(c["args"], c["test"]) for c in calls] == [
        ([1, 1], ""), ([100, 5], "tests/test_p.py::test_small"), ([100, 10], "tests/test_p.py::TestBulk::test_at")]


def _verdict(cid, patch):
    return GateVerdict(cid, True, "suite", patch=patch, changed_symbols=["prices.py::unit_price"], diff_lines=2)


def test_gather_evidence_in_scratch_trees_and_the_choice_it_drives(make_repo):
    repo = make_repo({"prices.py": PRICES, "tests/test_prices.py": """\
        from prices import unit_price

        def test_small():
            assert unit_price(100, 5) == 100

        def test_big():
            assert unit_price(100, 20) == 90

        def test_at_threshold():
            assert unit_price(100, 10) == 90
        """})
    patches = {}
    for cid, text in (("right", PRICES.replace("quantity > BULK", "quantity >= BULK")), ("blunt", BLUNT)):
        (repo / "prices.py").write_text(text)
        patches[cid] = git(repo, "diff")
        git(repo, "checkout", "--", "prices.py")
    heads = [_verdict("blunt", patches["blunt"]), _verdict("right", patches["right"])]
    base = git(repo, "rev-parse", "HEAD").strip()
    with WorktreePool(repo, base=base, size=2) as pool, pool.tree() as tree:  # one tree is the base checkout
        found = gather_evidence(tree, heads, pool, failing=["tests/test_prices.py::test_at_threshold"],
                                passing=["tests/test_prices.py::test_small", "tests/test_prices.py::test_big"],
                                seconds=LIMIT)
    assert git(repo, "status", "--porcelain") == ""
    right, blunt = found["right"], found["blunt"]
    assert right.known and blunt.known and right.classified
    assert blunt.outside and not right.outside  # the constant changes unit_price(200, 20) and its like
    assert blunt.example["like"] == "passing" and blunt.example["candidate"] == "returns 90"
    assert right.disagreements and right.disagreements[0].other == "blunt"
    # The smallest behaviour change wins, whatever the ranking said.
    assert [v.candidate_id for v in order_by_evidence(heads, found)] == ["right", "blunt"]
    rating = confidence(3, "not_run", None)
    # The rival that changes what the passing tests pin down is no credible alternative: no cap.
    assert cap_confidence(rating, heads[1], heads, found).value == rating.value
    capped = cap_confidence(rating, heads[0], heads, found)
    assert capped.weak and any("like the passing tests" in r for r in capped.reasons)


def test_an_unresolved_disagreement_caps_the_confidence_unless_b4_told_them_apart():
    heads = [_verdict("a", ""), _verdict("b", "")]
    found = {"a": Evidence("a", "known", inputs=50, changed=5, classified=True,
                           disagreements=[Disagreement("b", "f([1, 2, 10])", "returns 2", "returns 4.33333", 7)]),
             "b": Evidence("b", "known", inputs=50, changed=9, classified=True)}
    rating = confidence(3, "not_run", None)
    capped = cap_confidence(rating, heads[0], heads, found)
    assert capped.value < CONFIDENCE_THRESHOLD
    assert "the tests cannot decide: a and b disagree on `f([1, 2, 10])`: 2 vs 4.33333" in " ".join(capped.reasons)
    assert cap_confidence(rating, heads[0], heads, found, {"a": [True], "b": [False]}).value == rating.value
    unknown = {"a": Evidence("a", "unknown", "a is a method: it needs an object")}
    kept = cap_confidence(rating, heads[0], heads, unknown)
    assert kept.value == rating.value and any("unknown" in r for r in kept.reasons)


def test_a_rival_that_breaks_the_special_methods_contract_wherever_the_two_part_does_not_cap():
    heads = [_verdict("a", ""), _verdict("b", "")]
    why = "`__eq__` returns datetime.timedelta(0), which Python's data model does not allow it"
    parted = Disagreement("b", "__eq__(<Tz UTC>, 'spa')", "returns NotImplemented", "returns datetime.timedelta(0)", 3,
                          rival_breaks=why)
    found = {"a": Evidence("a", "known", inputs=9, changed=9, disagreements=[parted]),
             "b": Evidence("b", "known", inputs=9, changed=9)}
    rating = confidence(3, "not_run", None)
    kept = cap_confidence(rating, heads[0], heads, found)
    assert kept.value == rating.value and parted.weighed == "discounted"
    assert f"discounted: a and b disagree on `__eq__(<Tz UTC>, 'spa')`: NotImplemented vs datetime.timedelta(0); b's {why}" \
        in kept.reasons
    # Where the rival keeps the contract somewhere they part, the question stays open.
    found["a"].disagreements = [Disagreement("b", "__eq__(<Tz UTC>, 'spa')", "returns NotImplemented", "returns False", 3)]
    assert cap_confidence(rating, heads[0], heads, found).weak


def test_a_lone_patch_whose_behaviour_is_unknown_is_capped_unless_the_verifier_exhausted_it():
    # toolz's seeded `funcs[-1]` -> `funcs[1]` in `Compose.__signature__`: the lone patch `funcs[0]` passed
    # (the same element for the tests' compositions), its comparison said "not a function", and it was claimed.
    lone = [_verdict("a", "")]
    why = "prices.py::unit_price: the results cannot be compared (a lock)"
    rating = confidence(3, "not_run", None)
    capped = cap_confidence(rating, lone[0], lone, {"a": Evidence("a", "unknown", why, tried=True)})
    assert capped.weak and f"unresolved: its behaviour outside the tests is unknown ({why})" in " ".join(capped.reasons)
    proved = confidence(3, "exhausted", None)
    assert cap_confidence(proved, lone[0], lone, {"a": Evidence("a", "unknown", why, tried=True)}).value == proved.value
    # Nothing to compare (a C file, a module-level line) is not an unknown comparison.
    untried = cap_confidence(rating, lone[0], lone, {"a": Evidence("a", "unknown", "no Python function is changed")})
    assert untried.value == rating.value


def test_a_risky_rival_neither_caps_the_confidence_nor_wins_the_order():
    heads = [_verdict("inverted", ""), _verdict("narrow", "")]
    found = {"narrow": Evidence("narrow", "known", inputs=50, changed=9, classified=True,
                                disagreements=[Disagreement("inverted", "luhn('79')", "returns True", "returns False", 30)]),
             "inverted": Evidence("inverted", "known", inputs=50, changed=4, classified=True)}
    risks = {"inverted": ("inverts_result",)}
    assert [v.candidate_id for v in order_by_evidence(heads, found, risks)] == ["narrow", "inverted"]
    assert [v.candidate_id for v in order_by_evidence(heads, found)] == ["inverted", "narrow"]  # fewer changes
    rating = confidence(3, "not_run", None)
    assert cap_confidence(rating, heads[1], heads, found, None, risks).value == rating.value
    assert cap_confidence(rating, heads[1], heads, found).weak


LEAP = """\
def is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 and year % 400 == 0)
"""


def test_the_codes_own_constants_find_the_input_two_rivals_part_on(tmp_path):
    # Two patches pass tests at 2023, 1900 and 2024 and differ only at multiples of 400, which the
    # tests' values, their mutations (+-1, doubled, negated) and a handful of random draws miss;
    # the constant 400 in the code, put into a test's call, is the deciding input.
    root = write(tmp_path, LEAP, "cal.py")
    right = LEAP.replace("!= 0 and year % 400", "!= 0 or year % 400")
    wrong = LEAP.replace("year % 400 == 0", "year % 400 != 0")
    seeds = [{"args": ["2023"], "kwargs": {}, "label": "passing"}, {"args": ["1900"], "kwargs": {}, "label": "passing"},
             {"args": ["2024"], "kwargs": {}, "label": "failing"}]
    run = compare_versions(root, "cal.py", "is_leap", {"right": right, "wrong": wrong}, seeds=seeds,
                           param_types={"year": "int"}, time_limit=LIMIT, max_inputs=40)
    assert not run.unknown
    parted = [r.call for r in run.inputs if r.same("right", "wrong") is False]
    assert "is_leap(400)" in parted


def test_constants_of_every_version_with_integer_neighbours(tmp_path):
    import importlib.util

    from suture.tools.verify.behaviour_child import constants_of

    write(tmp_path, "def f(x, s):\n    if s == 'end' or x > 10:\n        return 2.5\n"
                    "    raise ValueError('a message far longer than a value')\n", "consts.py")
    write(tmp_path, "def f(x, s):\n    return x % 400 == 0 or True\n", "other.py")
    loaded = []
    for name in ("consts", "other"):
        spec = importlib.util.spec_from_file_location(name, tmp_path / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loaded.append(module.f)
    values = constants_of(loaded)
    # Booleans and long messages left out; each value once (the 1 of `% 400 == 0`'s neighbours is no True).
    assert sorted(map(repr, values)) == sorted(map(repr, ["end", 10, 9, 11, 2.5, 400, 399, 401, 0, -1, 1]))
    # A module constant the code reads counts with its value; modules, functions and flags do not.
    write(tmp_path, "import math\nBULK = 12\nDEBUG = True\n\ndef h(q):\n"
                    "    return q > BULK and DEBUG and math.isfinite(q) and h is not None\n", "named.py")
    spec = importlib.util.spec_from_file_location("named", tmp_path / "named.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert constants_of([module.h]) == [12, 11, 13]
    namespace: dict = {}
    exec("def g():\n    return 3\n", namespace)
    assert constants_of([namespace["g"]]) == []  # no source file: no constants, never an error


def test_a_rival_that_could_not_be_compared_is_no_agreement():
    # Two different passing patches of a method (no strategy builds its object): nothing ran them
    # side by side, so the tests may not decide between them, as when they were seen to disagree.
    heads = [_verdict("a", ""), _verdict("b", "")]
    method = "C.m is a method: it needs an object of its class, which no strategy builds"
    found = {"a": Evidence("a", "unknown", method), "b": Evidence("b", "unknown", method)}
    rating = confidence(3, "not_run", None)
    capped = cap_confidence(rating, heads[0], heads, found)
    assert capped.weak
    assert any("a and b both pass and their behaviour outside the tests could not be compared (C.m is a method"
               in r for r in capped.reasons), capped.reasons
    # Compared, both changing HEAD's result alike, agreeing on every input: decided (agreeing while
    # changing nothing is no comparison: see the vacuous case below). The only passing patch: nothing to decide.
    agreeing = {"a": Evidence("a", "known", inputs=40, changed=3), "b": Evidence("b", "known", inputs=40, changed=3)}
    assert cap_confidence(rating, heads[0], heads, agreeing).value == rating.value
    assert cap_confidence(rating, heads[0], heads[:1], {"a": found["a"]}).value == rating.value
    # The chosen patch compared, the rival not (it also changes another file): still open.
    half = {"a": Evidence("a", "known", inputs=40, changed=3), "b": Evidence("b", "unknown", "it also changes b.py")}
    assert cap_confidence(rating, heads[0], heads, half).weak
    # Not credible rivals leave it closed: a larger one, a risky one, one B4's tests told apart,
    # one ranked below the candidates compared.
    bigger = [heads[0], dataclasses.replace(heads[1], diff_lines=6)]
    assert cap_confidence(rating, heads[0], bigger, found).value == rating.value
    assert cap_confidence(rating, heads[0], heads, found, None, {"b": ("inverts_result",)}).value == rating.value
    assert cap_confidence(rating, heads[0], heads, found, {"a": [True], "b": [False]}).value == rating.value
    ranked_out = {"a": found["a"], "b": Evidence("b", "not_run", "more passing candidates than compared")}
    assert cap_confidence(rating, heads[0], heads, ranked_out).value == rating.value
    # The only passing patch, never compared because the run's limit was spent: not claimed either.
    starved = cap_confidence(rating, heads[0], heads[:1], {"a": Evidence("a", "not_run", NO_TIME)})
    assert starved.weak and any("not compared outside the tests (no time left" in r for r in starved.reasons), starved.reasons


def test_the_rival_search_leaves_the_comparison_its_share():
    """After the first fix the rivals' gates end while the comparison's planned seconds (a share of the
    run's time, 10 s at most), its set-up and the delivery reserve are left: a patch the comparison
    never ran on is not claimed (above), so rivals must not eat its time."""
    from suture.agent.fix.evidence import EVIDENCE_SECONDS, MIN_SECONDS, planned_seconds
    from suture.agent.fix.pipeline import EVIDENCE_SETUP_SECONDS, rival_seconds

    assert planned_seconds(0) == MIN_SECONDS and planned_seconds(1000) == EVIDENCE_SECONDS
    # The hanging binary search under load: its fix at 45 s of 60, 12 s left after the delivery reserve.
    allowed = rival_seconds(12.0, 45.0)
    assert allowed == 12.0 - planned_seconds(57.0) - EVIDENCE_SETUP_SECONDS and 0 < allowed < 12.0 - 6.8
    assert rival_seconds(5.0, 50.0) < 0  # too little left: no rival is gated
    assert rival_seconds(100.0, 20.0) == 100.0 - EVIDENCE_SECONDS - EVIDENCE_SETUP_SECONDS


def test_a_disagreement_where_the_chosen_patch_keeps_heads_result_decides_and_the_reverse_caps():
    heads = [_verdict("fix", ""), _verdict("broad", "")]
    kept = Disagreement("broad", "merge([(1, 2), (5, 6)])", "returns [(1, 2), (5, 6)]", "returns [(1, 6)]", 4,
                        base="returns [(1, 2), (5, 6)]", keeps_head=True)
    found = {"fix": Evidence("fix", "known", inputs=90, changed=5, classified=True, disagreements=[kept]),
             "broad": Evidence("broad", "known", inputs=90, changed=9, classified=True,
                               disagreements=[dataclasses.replace(kept, other="fix", mine=kept.theirs,
                                                                  theirs=kept.mine, keeps_head=False)])}
    rating = confidence(3, "not_run", None)
    decided = cap_confidence(rating, heads[0], heads, found)
    assert decided.value == rating.value
    assert any(r.startswith("decided:") and "fix keeps HEAD's result" in r for r in decided.reasons), decided.reasons
    # The reverse, the chosen patch being the one that changes HEAD's result there, still caps.
    assert cap_confidence(rating, heads[1], heads, found).weak
    # Ranked second by the gates yet the smaller change: it comes first.
    assert [v.candidate_id for v in order_by_evidence(heads[::-1], found)] == ["fix", "broad"]


def test_patches_that_change_nothing_on_any_input_run_are_not_compared():
    heads = [_verdict("a", ""), _verdict("b", "")]
    found = {"a": Evidence("a", "known", inputs=183), "b": Evidence("b", "known", inputs=183)}
    rating = confidence(4, "not_run", None)
    capped = cap_confidence(rating, heads[0], heads, found)
    assert capped.weak and any("never reach the repair" in r for r in capped.reasons), capped.reasons
    # The chosen one vacuous, a larger rival that changes something: nothing shows the chosen is the
    # smaller change, so the choice stays open.
    bigger = [heads[0], dataclasses.replace(heads[1], diff_lines=4)]
    seen = {**found, "b": Evidence("b", "known", inputs=183, changed=1)}
    assert cap_confidence(rating, heads[0], bigger, seen).weak
    # One vacuous patch alone has no rival to be undecided against.
    assert cap_confidence(rating, heads[0], heads[:1], {"a": found["a"]}).value == rating.value


def test_an_inputs_shape_holds_how_its_lengths_stand_to_its_integers():
    from suture.tools.verify.behaviour_child import relations_of

    assert relations_of([[1, 2], 3]) == ("<",)
    assert relations_of([[1, 2], 2]) == ("=",)
    assert relations_of([[1, 2, 3, 4], 2, True]) == (">",)  # a bool is no integer here
    assert relations_of([[3, 1, 2]]) == ()


ACCOUNT = """\
class Account:
    def __init__(self, owner, limit):
        self.owner = owner
        self.limit = limit

    def allows(self, amount):
        return amount < self.limit
"""

ACCOUNT_TESTS = """\
from bank import Account


def test_small():
    assert Account("ann", 100).allows(20)


def test_at_the_limit():
    assert Account("bob", 50).allows(50)
"""


def test_a_methods_objects_are_recorded_from_the_tests_and_compared_beyond_them(tmp_path):
    """No strategy builds an Account; the tests do. Their calls of the method, `self` included,
    are recorded at entry (tools/verify/receivers.py) and every version runs on those objects and
    on the arguments' mutations: the method is compared like a function."""
    from suture.tools.verify.receivers import record_receivers
    from suture.tools.verify.verifier_core import child_env

    write(tmp_path, ACCOUNT, "bank.py")
    (tmp_path / "test_bank.py").write_text(ACCOUNT_TESTS)
    before = sorted(p.name for p in tmp_path.iterdir())
    records = record_receivers(tmp_path, "bank", "Account.allows",
                               ["test_bank.py::test_small", "test_bank.py::test_at_the_limit"],
                               time_limit=LIMIT, env=child_env(tmp_path))
    assert [test for test, _ in records] == ["test_bank.py::test_small", "test_bank.py::test_at_the_limit"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == before  # nothing written
    receivers = [{"pickle": data, "label": "failing" if "limit" in test else "passing"} for test, data in records]
    right = ACCOUNT.replace("amount < self.limit", "amount <= self.limit")
    run = compare_versions(tmp_path, "bank.py", "Account.allows", {"right": right}, receivers=receivers,
                           time_limit=LIMIT, max_inputs=40)
    assert not run.unknown, run.unknown
    assert [r.seed for r in run.inputs[:2]] == [True, True] and any(not r.seed for r in run.inputs)
    changed = [r for r in run.inputs if r.same("base", "right") is False]
    assert changed and all(r.same("base", "right") is not None for r in run.inputs)
    # Without the records the method cannot be compared at all.
    bare = compare_versions(tmp_path, "bank.py", "Account.allows", {"right": right}, time_limit=LIMIT, max_inputs=10)
    assert "needs an object" in bare.unknown


def test_a_comparison_only_on_the_tests_own_calls_is_no_evidence_and_caps():
    """Every input compared was a test's own call (an object no mutation reaches): nothing outside
    the tests was seen, so the chosen patch is capped, whatever rival there is or is not."""
    from suture.agent.fix.evidence import _summarise
    from suture.tools.verify.behaviour import BehaviourRun, InputResult

    seeds = [InputResult(f"overlaps(Slot({n}, 10), Slot(10, 11))", "failing", {"base": "returns True", "c1": "returns False"},
                         [["base"], ["c1"]], seed=True) for n in (8, 9)]
    item = Evidence("c1")
    _summarise(item, [("slots.py::Slot.overlaps", BehaviourRun(seeds))], [])
    assert item.status == "unknown" and item.unbuilt and "the tests' own 2 call(s)" in item.reason
    verdict = GateVerdict("c1", True, "suite", patch="", changed_symbols=["slots.py::Slot.overlaps"], diff_lines=1)
    rating = confidence(3, "not_run", None)
    capped = cap_confidence(rating, verdict, [verdict], {"c1": item})
    assert capped.value < CONFIDENCE_THRESHOLD and "not compared is not agreement" in " ".join(capped.reasons)


RATES = """\
PER_EUR = {"EUR": 1.0, "USD": 1.10, "GBP": 0.85}


def convert(amount, frm, to):
    return round(amount / PER_EUR[frm] * PER_EUR[to], 2)
"""

CATALOG = """\
from shop.rates import convert

PRODUCTS = {"mug": (12.0, "EUR"), "cap": (22.0, "USD")}


def price_in(product, currency):
    amount, native = PRODUCTS[product]
    return convert(amount, currency, native)
"""


def test_a_callers_comparison_loads_the_versions_change_to_another_module(tmp_path):
    """price_in's file is the same in both versions; one changes convert() in shop/rates.py. Loaded
    beside it, that change is seen from price_in; and the tables the code reads (PRODUCTS' keys)
    give the inputs ('cap') beyond the tests' 'mug'."""
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "rates.py").write_text(RATES)
    (tmp_path / "shop" / "catalog.py").write_text(CATALOG)
    times = RATES.replace("amount / PER_EUR[frm]", "amount * PER_EUR[frm]")
    seeds = [{"args": ["'mug'", "'USD'"], "kwargs": {}, "label": "failing"}]
    run = compare_versions(tmp_path, "shop/catalog.py", "price_in", {"times": CATALOG, "alone": CATALOG},
                           seeds=seeds, companions={"times": {"shop/rates.py": times}}, time_limit=LIMIT, max_inputs=30)
    assert not run.unknown, run.unknown
    first = run.inputs[0]
    assert first.call == "price_in('mug', 'USD')" and first.outcomes == {
        "base": "returns 10.91", "times": "returns 13.2", "alone": "returns 10.91"}
    assert any("'cap'" in r.call for r in run.inputs), [r.call for r in run.inputs]
    # Nothing of the version stays behind: the base module is the one other versions see.
    assert (tmp_path / "shop" / "rates.py").read_text() == RATES


MONEY = '''\
from decimal import ROUND_HALF_UP, Decimal


def to_cents(amount):
    """Round half up to whole cents: 0.125 -> 0.13, 2.675 -> 2.68."""
    return Decimal(str(round(float(amount), 2))).quantize(Decimal("0.01"))
'''


def test_the_docstrings_examples_are_run_on_every_version_and_a_contradiction_caps(tmp_path):
    """A lone patch has no rival to disagree with; the docstring's own `0.125 -> 0.13` is an answer
    beyond the tests. Dropping the float round passes the test of 2.675 and still rounds 0.125 half to
    even: it contradicts the docstring, HEAD contradicts it too, the real half-up fix keeps both."""
    root = write(tmp_path, MONEY, "money.py")
    even = MONEY.replace("Decimal(str(round(float(amount), 2)))", "Decimal(str(amount))")
    up = even.replace('quantize(Decimal("0.01"))', 'quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)')
    seeds = [{"args": ["'2.675'"], "kwargs": {}, "label": "failing"}, {"args": ["3"], "kwargs": {}, "label": "passing"}]
    run = compare_versions(root, "money.py", "to_cents", {"even": even, "up": up}, seeds=seeds, time_limit=LIMIT,
                           max_inputs=20)
    assert not run.unknown, run.unknown
    by_call = {check["call"]: check for check in run.doc}
    assert set(by_call) == {"to_cents(0.125)", "to_cents(2.675)"}
    assert by_call["to_cents(0.125)"]["holds"] == {"base": False, "even": False, "up": True}
    assert by_call["to_cents(0.125)"]["outcomes"]["even"] == "returns Decimal('0.12')"
    assert by_call["to_cents(2.675)"]["holds"] == {"base": False, "even": True, "up": True}
    heads = [GateVerdict(cid, True, "suite", patch="", changed_symbols=["money.py::to_cents"], diff_lines=2)
             for cid in ("even", "up")]
    found = {cid: Evidence(cid) for cid in ("even", "up")}
    from suture.agent.fix.evidence import _summarise
    for cid in found:
        _summarise(found[cid], [("money.py::to_cents", run)], [c for c in found if c != cid])
    assert found["up"].doc_checked == 2 and not found["up"].doc_broken
    assert [b["call"] for b in found["even"].doc_broken] == ["to_cents(0.125)"]
    rating = confidence(3, "not_run", None)
    capped = cap_confidence(rating, heads[0], heads[:1], {"even": found["even"]})
    reasons = " ".join(capped.reasons)
    assert capped.weak and "contradicts its docstring's example `to_cents(0.125)` -> 0.13" in reasons
    assert "Decimal('0.12') patched" in reasons
    # Beside a rival that keeps the docstring, the contradicting patch goes last.
    assert [v.candidate_id for v in order_by_evidence(heads, found)] == ["up", "even"]


def test_docstring_examples_are_whole_literals_and_arrows_only_for_one_argument():
    from suture.tools.verify.doc_examples import doc_examples, matches

    def initials(name, sep="."):
        """"ada  king lovelace" -> "A.K.L." (extra spaces are ignored); x: -3 -> 3, but 7 - 3 -> 4 is sums."""

    def add(a, b):
        """Two arguments: 1 -> 2 is no example of this.

        >>> add(1, 2)
        3
        >>> add(1, 2) + 1
        4
        """

    found = [(e.call, e.args, e.expected) for e in doc_examples(initials, "initials")]
    assert found == [('initials("ada  king lovelace")', ("ada  king lovelace",), "A.K.L."), ("initials(-3)", (-3,), 3)]
    assert [(e.call, e.expected) for e in doc_examples(add, "add")] == [("add(1, 2)", 3)]
    assert doc_examples(lambda x: x, "f") == []
    (three,) = doc_examples(add, "add")
    assert matches(3, three) and matches(3.0, three) and not matches(True, three) and not matches("4", three)


def test_keeping_heads_result_where_a_failing_test_runs_alike_decides_nothing():
    """is_leap's one line runs alike for every year: each input is "both" (a failing and a passing
    test share its path and shape). `% 400 != 0` keeps HEAD's False for year 0 where the real fix
    (`or`) changes it, but HEAD's result there may be the bug: the disagreement stays unresolved."""
    from suture.agent.fix.evidence import _summarise
    from suture.tools.verify.behaviour import BehaviourRun, InputResult

    def year(call, like, base, narrow, wide):
        groups = [[v for v, r in (("base", base), ("narrow", narrow), ("wide", wide)) if r == value]
                  for value in dict.fromkeys((base, narrow, wide))]
        return InputResult(call, like, {"base": base, "narrow": narrow, "wide": wide}, groups)

    inputs = [year("is_leap(4)", "both", "returns False", "returns True", "returns True"),
              year("is_leap(0)", "both", "returns False", "returns False", "returns True"),
              year("is_leap(2023)", "both", "returns False", "returns False", "returns False")]
    run = BehaviourRun(inputs, classified=True)
    found = {cid: Evidence(cid) for cid in ("narrow", "wide")}
    for cid in found:
        _summarise(found[cid], [("calendar_util.py::is_leap", run)], [c for c in found if c != cid])
    (disagreement,) = found["narrow"].disagreements
    assert disagreement.call == "is_leap(0)" and not disagreement.keeps_head
    heads = [GateVerdict(cid, True, "suite", patch="", changed_symbols=["calendar_util.py::is_leap"], diff_lines=2)
             for cid in ("narrow", "wide")]
    capped = cap_confidence(confidence(3, "not_run", None), heads[0], heads, found)
    assert capped.weak and "the tests cannot decide: narrow and wide disagree on `is_leap(0)`" in " ".join(capped.reasons)
    # The real `and` -> `or` carries its template's `weakens_condition`: a risk that names the swapped
    # operator, not code taken away. Of no greater size and seen to disagree, it still keeps the claim
    # back (bench/bugs leap_years claimed the wrong `!= 0` at 0.774 when it did not); a rival that
    # deletes code to pass does not.
    rating = confidence(3, "not_run", None)
    swapped = cap_confidence(rating, heads[0], heads, found, None, {"wide": ("weakens_condition",)})
    assert swapped.weak and "narrow and wide disagree on `is_leap(0)`: False vs True" in " ".join(swapped.reasons)
    assert disagreement.weighed == "unresolved"
    assert cap_confidence(rating, heads[0], heads, found, None, {"wide": ("deletes_code",)}).value == rating.value
    assert disagreement.weighed == "discounted"
    bigger = [heads[0], dataclasses.replace(heads[1], diff_lines=4)]
    assert cap_confidence(rating, heads[0], bigger, found, None, {"wide": ("weakens_condition",)}).value == rating.value
    # More AST nodes on as many lines is no larger patch (`range(1, last + 1)` beside `range(1, total)`).
    wordier = [dataclasses.replace(heads[0], ast_change=1), dataclasses.replace(heads[1], ast_change=3)]
    assert cap_confidence(rating, wordier[0], wordier, found, None, {"wide": ("weakens_condition",)}).weak
    # The terminal's Rivals line shows the disagreement that kept the claim back, before one that did not.
    cap_confidence(rating, heads[0], heads, found, None, {"wide": ("weakens_condition",)})
    found["narrow"].disagreements.insert(0, Disagreement("other", "is_leap(1)", "returns False", "returns True", 1,
                                                         weighed="discounted"))
    lines = evidence_lines({"choice": {"chosen": "narrow"}, "evidence": [found["narrow"].to_dict()]})
    assert lines[1] == ("Rivals: narrow and wide disagree on `is_leap(0)`: False vs True (the tests cannot decide: "
                        "this input would) (and 1 more rival(s))."), lines
    # The same inputs like the passing tests only: keeping HEAD's result there is the smaller change.
    passing = BehaviourRun([dataclasses.replace(r, like="passing") for r in inputs], classified=True)
    kept = Evidence("narrow")
    _summarise(kept, [("calendar_util.py::is_leap", passing)], ["wide"])
    assert kept.disagreements[0].keeps_head



def test_changes_like_passing_tests_that_accept_either_result_do_not_count_as_changes_like_the_passing_tests():
    """A passing test whose own call the patch changes (in value) and which still passes does not tell
    HEAD's result from the patch's there: inputs like it are no sign of a change the tests pin down
    (jmespath's seeded `_token_led_dot`: its restoration nests what HEAD appended, which the passing
    tests' queries read alike). A test that took a change of type only (2.0 for 2), one of its calls
    the patch leaves alone, or a failing test on the same path and shape, still pin it."""
    from suture.agent.fix.evidence import _summarise
    from suture.tools.verify.behaviour import BehaviourRun, InputResult

    def call(text, key, base, patched, like="passing", label="", loose=False):
        groups = [["base", "fix"]] if base == patched else [["base"], ["fix"]]
        return InputResult(text, like, {"base": base, "fix": patched}, groups, loose=["fix"] if loose else [],
                           seed=bool(label), key=key, label=label)

    def footprint(*inputs):
        item = Evidence("fix")
        _summarise(item, [("nodes.py::dotted", BehaviourRun(list(inputs), classified=True))], [])
        return item

    like_passing = [call(f"dotted(p{n})", "k", "returns nested", "returns flat") for n in range(3)]
    untold = footprint(call("dotted(p)", "k", "returns nested", "returns flat", label="passing"),
                       call("dotted(q)", "k", "returns nested", "returns flat", label="passing"),
                       call("dotted(a)", "f", "returns a", "returns ab", like="failing", label="failing"),
                       *like_passing)
    assert untold.known and not untold.outside
    assert (untold.changed_like_passing, untold.changed_like_untold, untold.changed_like_failing) == (0, 5, 1)
    assert "5 like passing tests whose own calls it changes too without failing them" in untold.footprint_sentence()
    assert untold.to_dict()["footprint"]["changed_like_untold"] == 5
    pinned = [call("dotted(p)", "k", "returns 2", "returns 2.0", label="passing", loose=True),  # type only
              call("dotted(p)", "k", "returns nested", "returns nested", label="passing"),  # left alone
              call("dotted(p)", "k", "returns nested", "returns flat", like="both", label="failing")]  # a failing test's
    for seed in pinned:
        changed = call("dotted(r)", "k", "returns nested", "returns flat", label="passing")
        item = footprint(seed, changed, *like_passing)
        assert item.outside and item.changed_like_untold == 0, seed


LEDGER = """\
class Refused(Exception):
    pass


def withdraw(history, balance, cents):
    history.append(cents)
    if cents > balance:
        raise Refused(cents)
    return balance - cents
"""


def test_what_a_call_did_before_it_raised_is_behaviour(tmp_path):
    # HEAD logs a refused withdrawal, then raises; the fix raises the same exception without logging.
    # Same exception type, different arguments after the call: a change (it once counted as none, so the
    # fix looked vacuous and any rival kept it from being claimed).
    root = write(tmp_path, LEDGER, "ledger.py")
    fixed = LEDGER.replace("    history.append(cents)\n    if cents > balance:\n        raise Refused(cents)\n",
                           "    if cents > balance:\n        raise Refused(cents)\n    history.append(cents)\n")
    seeds = [{"args": ["[]", "100", "500"], "kwargs": {}, "label": "failing"},
             {"args": ["[]", "1000", "300"], "kwargs": {}, "label": "passing"}]
    run = compare_versions(root, "ledger.py", "withdraw", {"fixed": fixed}, seeds=seeds, time_limit=LIMIT, max_inputs=30)
    first = run.inputs[0]
    assert first.same("base", "fixed") is False, first.outcomes
    assert first.outcomes["fixed"] == "raises Refused" and "leaves history as [500]" in first.outcomes["base"]
    assert run.inputs[1].same("base", "fixed") is True


GRAPH = """\
def distances(graph, start):
    dist = {start: 0}
    visited = set()
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in graph.get(node, ()):
            if nxt not in visited:
                visited.add(nxt)
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return dist
"""


def test_the_calls_own_values_are_shared_between_positions(tmp_path):
    # Two patches pass a chain and a cycle back to the start; they part only where two paths lead to one
    # node, which no mutation of the tests' graphs (values changed one by one, shapes kept) builds. Growing
    # a node's list by another node the call names does: {'a': ['b', 'c'], 'b': ['c']}.
    root = write(tmp_path, GRAPH, "graph.py")
    wrong = GRAPH.replace("visited.add(nxt)", "visited.add(node)")
    right = GRAPH.replace("if nxt not in visited", "if nxt not in dist")
    seeds = [{"args": ["{'a': ['b'], 'b': ['a']}", "'a'"], "kwargs": {}, "label": "failing"},
             {"args": ["{'a': ['b'], 'b': ['c']}", "'a'"], "kwargs": {}, "label": "passing"}]
    run = compare_versions(root, "graph.py", "distances", {"wrong": wrong, "right": right}, seeds=seeds,
                           time_limit=LIMIT, max_inputs=60)
    parted = {r.call: r for r in run.inputs if r.same("wrong", "right") is False}
    two_paths = parted["distances({'a': ['b', 'c'], 'b': ['c']}, 'a')"]
    assert two_paths.same("base", "right") is True and two_paths.same("base", "wrong") is False


RETRY = """\
def retry(operation, attempts=3, retry_on=(ConnectionError,), sleep=print):
    for attempt in range(attempts):
        try:
            return operation()
        except retry_on:
            if attempt != attempts - 1:
                raise
            sleep(attempt)
"""


def test_a_function_the_tests_pass_is_stood_in_for_by_recording_callables(tmp_path):
    # The tests pass local functions (no literal): the calls are kept with callables that return, or raise
    # the exception the function names a few times first, and record how they were called.
    from suture.agent.fix.evidence import _seeds

    root = write(tmp_path, RETRY, "retry.py")
    (tmp_path / "test_retry.py").write_text(textwrap.dedent("""\
        from retry import retry


        def test_flaky():
            calls = []

            def flaky():
                calls.append(1)
                if len(calls) < 3:
                    raise ConnectionError()
                return "ok"
            assert retry(flaky, attempts=3, sleep=calls.append) == "ok"
        """))
    seeds = _seeds(collect_calls(root)["retry"], ["test_retry.py::test_flaky"], [])
    eq = RETRY.replace("attempt != attempts - 1", "attempt == attempts - 1")
    ge = RETRY.replace("attempt != attempts - 1", "attempt >= attempts - 1")
    gt = RETRY.replace("attempt != attempts - 1", "attempt > attempts - 1")
    run = compare_versions(root, "retry.py", "retry", {"eq": eq, "ge": ge, "gt": gt}, seeds=seeds,
                           time_limit=LIMIT, max_inputs=40)
    assert not run.unknown and run.inputs and not any(r.seed for r in run.inputs)  # stand-ins: not the tests' calls
    assert all(r.same("eq", "ge") is True for r in run.inputs)  # alike wherever attempt can be
    assert any(r.same("eq", "base") is False for r in run.inputs)
    # Called one time too many: `>` gives up past the last attempt.
    assert any(r.same("eq", "gt") is False and "ConnectionError x10" in r.call for r in run.inputs)


def test_two_patches_raising_different_exceptions_where_head_raises_too_do_not_disagree():
    """HEAD and both patches raise on an input (a stand-in where a number is wanted): which exception
    each raises there is no question about the repair. The same exception with the arguments left
    otherwise still is one."""
    from suture.agent.fix.evidence import _summarise
    from suture.tools.verify.behaviour import BehaviourRun, InputResult

    def result(call, base, one, two):
        groups = [[v for v, r in (("base", base), ("one", one), ("two", two)) if r == value]
                  for value in dict.fromkeys((base, one, two))]
        return InputResult(call, "novel", {"base": base, "one": one, "two": two}, groups)

    garbage = result("f(<fn -> 0>)", "raises TypeError", "raises TypeError", "raises AttributeError")
    logged = result("f([], 5)", "raises Refused, leaves log as [5]", "raises Refused", "raises Refused, leaves log as [5]")
    found = {cid: Evidence(cid) for cid in ("one", "two")}
    _summarise(found["one"], [("m.py::f", BehaviourRun([garbage]))], ["two"])
    assert found["one"].disagreements == []
    _summarise(found["two"], [("m.py::f", BehaviourRun([garbage, logged]))], ["one"])
    assert [d.call for d in found["two"].disagreements] == ["f([], 5)"]


def test_a_functions_calls_with_built_arguments_are_recorded_from_the_tests(tmp_path):
    """`width(parse("..#"))` passes no literal: the tests that make such calls are run once with the
    function wrapped wherever it is bound (tools/verify/receivers.py), and every version runs on the
    recorded arguments and their mutations."""
    from suture.agent.fix.evidence import _receivers

    write(tmp_path, """\
        def parse(text):
            return [list(line) for line in text.split("/")]


        def width(grid):
            return len(grid[0]) - 1
        """, "grid.py")
    (tmp_path / "test_grid.py").write_text(textwrap.dedent("""\
        from grid import parse, width


        def test_one_row():
            assert width(parse("..#")) == 3


        def test_two_rows():
            assert width(parse("./.")) == 1
        """))
    base = (tmp_path / "grid.py").read_text()
    right = base.replace("len(grid[0]) - 1", "len(grid[0])")
    calls = collect_calls(tmp_path)
    records = _receivers(tmp_path, "grid.py", "width", base, ["test_grid.py::test_one_row"],
                         ["test_grid.py::test_two_rows"], calls["width"])
    assert [r["label"] for r in records] == ["failing", "passing"]
    run = compare_versions(tmp_path, "grid.py", "width", {"right": right}, receivers=records, time_limit=LIMIT,
                           max_inputs=30)
    assert run.classified and run.inputs[0].call == "width([['.', '.', '#']])" and run.inputs[0].seed
    assert any(not r.seed and r.same("base", "right") is False for r in run.inputs)


ZONES = """\
from datetime import timedelta, tzinfo


class instanceproperty(property):
    def __init__(self, fget=None, classval=None):
        self.classval = classval
        property.__init__(self, fget)

    def __get__(self, obj, type=None):
        return self.classval if obj is None else property.__get__(self, obj, type)


class Offset(tzinfo):
    def __init__(self, minutes, name):
        self._offset = timedelta(minutes=minutes)
        self._name = name
        self._chars = (c for c in name)
        self._length = len(list(self._chars))

    def utcoffset(self, dt):
        return self._offset

    @instanceproperty
    def label(self):
        return self._name if self._length < 4 else self._name[:3]
"""

ZONES_TESTS = """\
from zones import Offset


def test_short():
    assert Offset(60, "CET").label == "CET"


def test_long():
    assert Offset(0, "UTC+0").label == "UTC+0"
"""


def test_a_property_of_an_object_that_pickles_but_does_not_unpickle_is_compared_on_the_tests_objects(tmp_path):
    # Three things kept such objects out of the comparison (a seeded fault each in parse, jmespath and
    # toolz): a tzinfo subclass pickles, but tzinfo's __reduce__ rebuilds it by calling the class with no
    # arguments; an object holding a used-up generator does not pickle; a property (here an
    # `instanceproperty`, as toolz's `Compose.__signature__`) is no function to call. Now the property is
    # recorded and compared through its getter, and the object rebuilt from its bare __new__ and state.
    from suture.tools.verify.receivers import record_receivers
    from suture.tools.verify.verifier_core import child_env

    write(tmp_path, ZONES, "zones.py")
    (tmp_path / "test_zones.py").write_text(ZONES_TESTS)
    records = record_receivers(tmp_path, "zones", "Offset.label", ["test_zones.py::test_short", "test_zones.py::test_long"],
                               time_limit=LIMIT, env=child_env(tmp_path))
    assert [test for test, _ in records] == ["test_zones.py::test_short", "test_zones.py::test_long"]
    receivers = [{"pickle": data, "label": "failing" if "long" in test else "passing"} for test, data in records]
    right = ZONES.replace("self._name if self._length < 4 else self._name[:3]", "self._name")
    run = compare_versions(tmp_path, "zones.py", "Offset.label", {"right": right}, receivers=receivers,
                           time_limit=LIMIT, max_inputs=20)
    assert not run.unknown, run.unknown
    assert [(r.outcomes["base"], r.outcomes["right"]) for r in run.inputs[:2]] == [
        ("returns 'CET'", "returns 'CET'"), ("returns 'UTC'", "returns 'UTC+0'")]


def test_a_nested_function_is_compared_through_the_function_it_is_defined_in_and_packed_markers_are_no_input():
    import ast

    from suture.agent.fix.evidence import _callable_owner
    from suture.tools.verify.behaviour_child import _seeds
    from suture.tools.verify.stand_ins import MARKER

    module = ast.parse(textwrap.dedent("""\
        def thread_last(val, *forms):
            def evalform_back(val, form):
                return form(val)
            return val
        class Box:
            def get(self):
                def inner():
                    return 1
                return inner()
            class Lid:
                def open(self):
                    return True
        """))
    assert _callable_owner(module, "thread_last.evalform_back") == "thread_last"
    assert _callable_owner(module, "Box.get.inner") == "Box.get"
    assert _callable_owner(module, "Box.Lid.open") == "Box.Lid.open"
    assert _callable_owner(module, "missing.name") == "missing.name"

    def thread_last(val, *forms):
        return val

    calls = [{"args": ["[1, 2]", MARKER, MARKER], "kwargs": {}}, {"args": ["[1, 2]", "(1, 2)"], "kwargs": {}}]
    seeds = [bound.arguments for bound, _ in _seeds(thread_last, calls)]
    assert seeds == [{"val": [1, 2], "forms": ((1, 2),)}], seeds  # the marker text is never run as a value


def test_passing_candidates_that_are_the_same_code_in_their_exact_idiomatic_form_are_marked_so():
    from suture.agent.fix.evidence import _mark_same_code

    fault = "def add(d, k):\n    if not (k not in d):\n        d[k] = set()\n    return d\n"
    texts = {"r1": fault.replace("not (k not in d)", "not (k in d)"), "r2": fault.replace("not (k not in d)", "k not in d"),
             "r3": fault.replace("not (k not in d)", "k in d")}
    evidence = {cid: Evidence(cid) for cid in texts}
    _mark_same_code(evidence, {cid: {"m.py": text} for cid, text in texts.items()}, {"m.py": fault})
    assert evidence["r1"].same_code == ["r2"] and evidence["r2"].same_code == ["r1"] and evidence["r3"].same_code == []


def test_a_patch_raising_heads_domain_exception_keeps_it_where_a_rival_runs_into_an_index_error():
    """retry() with an operation that always fails: HEAD gives up after the first attempt, `==` after
    the last (both re-raise the ConnectionError), `>` runs past the last delay into an IndexError. HEAD
    raises an exception of the function's own domain there, so the input is inside it: the two patches
    disagree, `==` keeps HEAD's exception and wins, and `>` chosen alone would be left unresolved. A
    generic TypeError at HEAD (a stand-in where a number is wanted) still says nothing."""
    from suture.agent.fix.evidence import _summarise
    from suture.tools.verify.behaviour import BehaviourRun, InputResult

    def result(call, base, eq, gt):
        groups = [[v for v, r in (("base", base), ("eq", eq), ("gt", gt)) if r == value]
                  for value in dict.fromkeys((base, eq, gt))]
        return InputResult(call, "novel", {"base": base, "eq": eq, "gt": gt}, groups)

    gives_up = result("retry(<fn raises ConnectionError x10>)", "raises ConnectionError, leaves op as <called x1>",
                      "raises ConnectionError, leaves op as <called x3>", "raises IndexError, leaves op as <called x3>")
    garbage = result("retry(0)", "raises TypeError", "raises TypeError", "raises AttributeError")
    found = {cid: Evidence(cid) for cid in ("eq", "gt")}
    _summarise(found["eq"], [("retry.py::retry", BehaviourRun([gives_up, garbage]))], ["gt"])
    _summarise(found["gt"], [("retry.py::retry", BehaviourRun([gives_up, garbage]))], ["eq"])
    (kept,) = found["eq"].disagreements
    assert kept.other == "gt" and kept.keeps_head and kept.call.startswith("retry(<fn")
    assert "keeps HEAD's exception (raises ConnectionError)" in kept.kept_sentence("eq")
    (lost,) = found["gt"].disagreements
    assert lost.other == "eq" and not lost.keeps_head
    # What the confidence makes of it: `==` chosen is decided, `>` chosen (a loaded run once claimed it
    # at 0.9) is held back with the input that decides.
    heads = [_verdict("eq", ""), _verdict("gt", "")]
    rating = confidence(3, "not_run", None)
    assert cap_confidence(rating, heads[0], heads, found).value == rating.value
    capped = cap_confidence(rating, heads[1], heads, found)
    assert capped.value < CONFIDENCE_THRESHOLD and lost.weighed == "unresolved"
    assert "gt and eq disagree on `retry(<fn raises ConnectionError x10>)`" in " ".join(capped.reasons)
