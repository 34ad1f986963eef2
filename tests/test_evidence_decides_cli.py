"""What the behaviour evidence decides and what it may not (issue 17), through the real CLI offline
(rule engine), real pytest and git, on bench/bugs programs: a patch in another module is seen
from its caller; a disagreement on which the chosen patch keeps HEAD's result does not cap;
the repair itself, at an input the passing tests' shapes only resemble, is not a change "like the
passing tests"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from suture.agent.fix.calibration import FEATURES, calibrated, held_back, load_weights
from test_evidence_cli import _fix  # `suture fix` offline on a new repo, the tree checked unchanged


BUGS = Path(__file__).resolve().parents[1] / "bench" / "bugs"
HIDDEN = {"heldout", "bug.toml", "fix.diff", "__pycache__"}


def _bench_program(name: str) -> dict[str, str]:
    """bench/bugs/NAME as suture sees it there (its held-back tests and answer left out)."""
    root = BUGS / name
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file() and not HIDDEN & set(p.relative_to(root).parts)}


# price_in passes its two currencies to convert() the wrong way round; the visible tests only
# convert from EUR (rate 1.0), so `amount / rate` and `amount * rate` in convert() pass alike.
# Two things let the comparison see the convert() patch's change: convert() is also run with
# the keys of the PER_EUR table it reads (so from "GBP", "USD", not only the tests' "EUR"), and
# price_in() is run with each version's other changed module loaded beside it (so a convert()
# patch is seen from its caller). The program is bench/bugs/currency as the repair bench runs it.
CURRENCY = _bench_program("currency")


@pytest.mark.slow  # a whole suture run
def test_a_patch_in_another_module_is_seen_from_its_caller_and_never_claimed_unseen(make_repo):
    done, report = _fix(make_repo, CURRENCY)
    evidence = {e["candidate_id"]: e for e in report["evidence"]}
    assert report["choice"]["distinct_passing"] >= 2, report["evidence"]
    known = [e for e in evidence.values() if e["status"] == "known"]
    # Every compared patch now changes HEAD's result somewhere: none was compared only on inputs
    # that never reach its change (last stop, the convert() patch changed none of 183 inputs).
    assert len(known) >= 2 and all(e["footprint"]["changed"] > 0 for e in known), known
    assert any(e["disagreements"] for e in known), known
    # The wrong patch (in convert) is never delivered as a fix; the right one (in price_in) may be.
    if report["status"] == "fixed":
        assert done.returncode == 0 and "shop/catalog.py" in report["patch"], report["patch"]
    else:
        assert done.returncode == 1 and report["confidence"]["weak"] and report["plausible"]["patch"]


# wrap() starts a new line one character early: `len(line) + 1 + len(word) < width` (bench/bugs/
# text_wrap). `<` -> `<=` (the fix) and a same-size rival pass the visible tests; they part on inputs
# such as `wrap('aaa bbb cc', 5)`, where the fix keeps HEAD's result and the rival changes it.
TEXT_WRAP = _bench_program("text_wrap")


@pytest.mark.slow  # a whole suture run
def test_a_disagreement_where_the_chosen_patch_keeps_heads_result_does_not_cap(make_repo):
    done, report = _fix(make_repo, TEXT_WRAP)
    chosen_id = report["choice"]["chosen"]
    evidence = {e["candidate_id"]: e for e in report["evidence"]}
    kept = [d for d in evidence[chosen_id]["disagreements"] if d["keeps_head"]]
    assert report["choice"]["distinct_passing"] >= 2 and kept, evidence[chosen_id]  # rivals that change more
    assert done.returncode == 0 and report["status"] == "fixed", done.stdout + done.stderr
    assert "+        elif len(line) + 1 + len(word) <= width:" in report["patch"], report["patch"]
    reasons = " ".join(report["confidence"]["reasons"])
    assert "keeps HEAD's result" in reasons and "unresolved" not in reasons, reasons
    assert not report["confidence"]["weak"]


# The loop stops one window early (bench/bugs/moving_average). The fix changes
# moving_average([1, 2], 2) from [] to [1.5]: the same types and lengths as a passing test's call
# (a window longer than the list), but a window exactly as long as the list, the failing case's
# off-by-one, is the repair itself.
WINDOW = _bench_program("moving_average")


@pytest.mark.slow  # a whole suture run
def test_the_repair_at_a_passing_tests_lengths_is_not_a_change_like_the_passing_tests(make_repo):
    done, report = _fix(make_repo, WINDOW)
    assert done.returncode == 0 and report["status"] == "fixed", done.stdout + done.stderr
    assert "range(len(values) - k + 1)" in report["patch"], report["patch"]
    chosen = {e["candidate_id"]: e for e in report["evidence"]}[report["choice"]["chosen"]]
    assert chosen["status"] == "known" and chosen["footprint"]["changed"] > 0, chosen
    assert not chosen["changes_like_passing_tests"], chosen["footprint"]
    assert not report["confidence"]["weak"]
    # The value is the shipped model's probability for the patch's features (agent/fix/calibration.py).
    rated = report["confidence"]
    assert set(rated["features"]) == set(FEATURES) and rated["features"]["uncompared"] == 0.0, rated
    assert abs(rated["value"] - calibrated(rated["features"], load_weights())) < 1e-3
    assert any(r.startswith("calibrated on the repair bench") for r in rated["reasons"])


# The century exception is joined with `and` (bench/bugs leap_years). `== 0` -> `!= 0` on `year % 400`
# (wrong for 2000) and `and` -> `or` (the fix) both pass the visible tests and change one AST node each;
# the second carries its template's `weakens_condition` risk, a name for what the swapped operator
# does, which once made it "no credible rival" and the wrong patch was claimed at 0.774.
LEAP_YEARS = _bench_program("leap_years")


@pytest.mark.slow  # a whole suture run
def test_a_same_size_rival_whose_template_names_a_risk_still_keeps_the_claim_back(make_repo):
    done, report = _fix(make_repo, LEAP_YEARS)
    if report["status"] == "fixed":  # the right patch alone, or chosen, is welcome; the `!= 0` never is
        assert "or year % 400 == 0" in report["patch"], report["patch"]
        return
    assert done.returncode == 1 and "year % 400 != 0" in report["plausible"]["patch"], done.stdout + done.stderr
    chosen = {e["candidate_id"]: e for e in report["evidence"]}[report["choice"]["chosen"]]
    (unresolved,) = [d for d in chosen["disagreements"] if d["weighed"] == "unresolved"]
    reasons = " ".join(report["confidence"]["reasons"])
    # Held back by the disagreement (a cap just under 0.5), it shows the bench's share of right held-back
    # patches instead (agent/fix/calibration.json), and says so.
    share = held_back(load_weights())
    assert share is not None and report["confidence"]["value"] == pytest.approx(min(share, 0.45), abs=1e-3)
    assert (f"held back: {share:.0%} of the patches the repair bench held back were right" in reasons) == (share < 0.45)
    assert f"the tests cannot decide: {unresolved['sentence']}" in reasons and "is_leap(" in unresolved["call"]
    # The terminal names the deciding input on the Rivals line.
    shown = " ".join(done.stdout.split())
    assert f"Rivals: {unresolved['sentence']} (the tests cannot decide: this input would)" in shown, done.stdout


# withdraw() logs a withdrawal before refusing it. The tests build their Account objects (no literal to
# seed from), so the calls of the tests that build them are recorded (tools/verify/receivers.py), and
# the fix, moving the log after the check, raises the same `Refused` as HEAD: what the call leaves the
# account as is the difference. It once counted as none (the same exception), so the fix looked as if it
# changed nothing, and any rival kept its claim back (bench/bugs bank_ledger, a method, the same).
LEDGER = {
    "ledger/__init__.py": "",
    "ledger/account.py": """\
        class Refused(Exception):
            pass


        class Account:
            def __init__(self, owner, cents=0):
                self.owner = owner
                self.cents = cents
                self.history = []


        def withdraw(account, cents):
            if cents <= 0:
                raise ValueError("a withdrawal must be positive")
            account.history.append(cents)
            if cents > account.cents:
                raise Refused(account.owner)
            account.cents -= cents
        """,
    "tests/test_account.py": """\
        import pytest

        from ledger.account import Account, Refused, withdraw


        def test_withdraw():
            a = Account("ann", 100)
            withdraw(a, 30)
            assert a.cents == 70 and a.history == [30]


        def test_refused_withdrawal_is_not_logged():
            a = Account("ann", 10)
            with pytest.raises(Refused):
                withdraw(a, 50)
            assert a.history == []


        def test_positive_only():
            with pytest.raises(ValueError):
                withdraw(Account("bob"), 0)
        """,
}


@pytest.mark.slow  # a whole suture run
def test_built_arguments_are_recorded_and_what_a_raising_call_leaves_behind_is_compared(make_repo):
    done, report = _fix(make_repo, LEDGER)
    chosen = {e["candidate_id"]: e for e in report["evidence"]}[report["choice"]["chosen"]]
    assert chosen["status"] == "known" and chosen["footprint"]["changed"] > 0, chosen
    example = chosen["footprint"]["example"]
    assert example["call"].startswith("withdraw(Account(") and example["base"].startswith("raises Refused, leaves account")
    assert example["candidate"] == "raises Refused", example
    assert done.returncode == 0 and report["status"] == "fixed", done.stdout + done.stderr
    assert "+    account.history.append(cents)" in report["patch"], report["patch"]


# retry() re-raises the first failure (`!=` for `==`, bench/bugs retry_backoff). The tests pass it local
# functions: no literal, so it had no input at all and two passing patches (`==`, `>=`) were never held
# side by side. Recording callables stand in for them (tools/verify/stand_ins.py): `>=` and `==` agree
# wherever an attempt number can be.
RETRY = _bench_program("retry_backoff")


@pytest.mark.slow  # a whole suture run
def test_functions_the_tests_pass_are_stood_in_for_by_recording_callables(make_repo):
    done, report = _fix(make_repo, RETRY)
    chosen = {e["candidate_id"]: e for e in report["evidence"]}[report["choice"]["chosen"]]
    assert chosen["status"] == "known" and chosen["footprint"]["changed"] > 0, chosen
    assert "<fn raises ConnectionError" in chosen["footprint"]["example"]["call"], chosen["footprint"]
    assert not [d for d in chosen["disagreements"] if d["weighed"] == "unresolved"], chosen["disagreements"]
    assert done.returncode == 0 and report["status"] == "fixed", done.stdout + done.stderr
    assert "if attempt == attempts - 1:" in report["patch"] or "if attempt >= attempts - 1:" in report["patch"]
    # `>` passes the tests too and runs past the last delay when every attempt fails: HEAD and the fix
    # re-raise the ConnectionError there, `>` raises IndexError. Decided for the fix, never claimed itself.
    assert any(d["weighed"] == "decided" and d["theirs"].startswith("raises IndexError") for d in chosen["disagreements"])


# dotted() appends `right` to a name node's own parts when it should nest the two in a path (a negated
# condition, like bench/faults' jmespath parser.py:249). The restoration also changes what dotted()
# returns for a path on the left: HEAD nests it, the fix appends to it, and texts() reads both alike,
# so the two passing tests, which call dotted() on paths they build, pass either way. Inputs like theirs
# are then no change the passing tests pin down: the fix was once held back as "changes HEAD's result
# on 28 inputs like the passing tests".
DOTTED = {
    "paths/__init__.py": "",
    "paths/nodes.py": """\
        def name(text):
            return {"kind": "name", "parts": [], "text": text}


        def dotted(left, right):
            "The node of `left.right`: a path whose parts are read in order."
            if left["kind"] != "path":
                left["parts"].append(right)
                return left
            return {"kind": "path", "parts": [left, right]}


        def texts(node):
            "The names a node reads, in order (a path's nested paths flattened)."
            if node["kind"] == "name":
                return [node["text"]]
            out = []
            for part in node["parts"]:
                out += texts(part)
            return out
        """,
    "tests/test_nodes.py": """\
        from paths.nodes import dotted, name, texts


        def test_two_names():
            assert dotted(name("a"), name("b")) == {"kind": "path", "parts": [name("a"), name("b")]}


        def test_two_names_read():
            assert texts(dotted(name("x"), name("y"))) == ["x", "y"]


        def test_longer_path():
            path = {"kind": "path", "parts": [name("a"), name("b")]}
            assert texts(dotted(path, name("c"))) == ["a", "b", "c"]


        def test_longer_path_again():
            path = {"kind": "path", "parts": [name("q"), name("r"), name("s")]}
            assert texts(dotted(path, name("t"))) == ["q", "r", "s", "t"]
        """,
}


@pytest.mark.slow  # a whole suture run
def test_a_change_on_inputs_like_passing_tests_that_accept_either_result_does_not_hold_the_fix_back(make_repo):
    done, report = _fix(make_repo, DOTTED)
    chosen = {e["candidate_id"]: e for e in report["evidence"]}[report["choice"]["chosen"]]
    footprint = chosen["footprint"]
    assert chosen["status"] == "known" and footprint["changed_like_untold"] > 0, footprint
    assert footprint["changed_like_passing"] < 2 and not chosen["changes_like_passing_tests"], footprint
    assert done.returncode == 0 and report["status"] == "fixed", done.stdout + done.stderr
    assert '+    if left["kind"] == "path":' in report["patch"], report["patch"]
    reasons = " ".join(report["confidence"]["reasons"])
    assert "like passing tests whose own calls it changes too without failing them" in reasons, reasons
    assert "unresolved" not in reasons, reasons


# A method on an object holding a lock, run by one test: `total` subtracts the base where it should
# add it. The tests' `Tally` holds an `RLock`, so it neither pickled nor deep-copied and the
# comparison had no object ("none could be built"). Now a lock is recorded and copied as a new one
# (tools/verify/record_pickle.py), `total` is run on the recorded object with its `extra` argument
# varied, and that comparison beyond the one test's call, with nothing against the patch and no
# rival, lifts the one-covering-test cap.
TALLY = {
    "tally.py": """\
        import threading


        class Tally:
            \"\"\"Counts of named things on top of a base, safe to share between threads.\"\"\"

            def __init__(self, base):
                self._lock = threading.RLock()
                self._counts = {}
                self._base = base

            def add(self, name, n=1):
                with self._lock:
                    self._counts[name] = self._counts.get(name, 0) + n

            def total(self, extra=0):
                with self._lock:
                    return self._base - sum(self._counts.values()) + extra
        """,
    "test_tally.py": """\
        from tally import Tally


        def test_add_counts_each_name():
            tally = Tally(0)
            tally.add("a")
            tally.add("a", 2)
            assert tally._counts == {"a": 3}


        def test_total_counts_the_base_too():
            tally = Tally(1)
            tally.add("a", 2)
            tally.add("b", 3)
            assert tally.total(extra=0) == 6
        """,
}


@pytest.mark.slow  # a whole suture run
def test_a_method_on_an_object_holding_a_lock_is_compared_beyond_its_one_test_and_claimed(make_repo):
    done, report = _fix(make_repo, TALLY)
    chosen = {e["candidate_id"]: e for e in report["evidence"]}[report["choice"]["chosen"]]
    footprint = chosen["footprint"]
    # Compared on the recorded Tally with `extra` varied, not capped as unbuilt.
    assert chosen["status"] == "known" and not chosen["unbuilt"], chosen
    assert footprint["beyond"] >= 3 and footprint["changed"] >= 3, footprint
    assert done.returncode == 0 and report["status"] == "fixed", done.stdout + done.stderr
    assert "+            return self._base + sum(self._counts.values()) + extra" in report["patch"], report["patch"]
    reasons = " ".join(report["confidence"]["reasons"])
    assert "1 test(s) run the changed code" in reasons and "not capped: compared with HEAD" in reasons, reasons
    assert "unresolved" not in reasons, reasons


# `values` returns None where its siblings `keys` and `items` return the list of their iterator. One test
# runs it, on an object the tests build, so the comparison has only that call and twins of the object
# (HEAD returns None on all of them): the form the two siblings state is the evidence beyond the test.
SIBLING_VIEWS = {
    "tally.py": '''
        """A small counter of keys."""


        class Tally:
            def __init__(self):
                self._counts = {}

            def add(self, key):
                self._counts[key] = self._counts.get(key, 0) + 1

            def iterkeys(self):
                return iter(self._counts)

            def keys(self):
                return list(self.iterkeys())

            def itervalues(self):
                for key in self._counts:
                    yield self._counts[key]

            def values(self):
                return None

            def iteritems(self):
                for key in self._counts:
                    yield key, self._counts[key]

            def items(self):
                return list(self.iteritems())
        ''',
    "tests/test_tally.py": '''
        from tally import Tally


        def test_counts():
            tally = Tally()
            for key in "abracadabra":
                tally.add(key)
            assert sorted(tally.keys()) == ["a", "b", "c", "d", "r"]
            assert sorted(tally.values()) == [1, 1, 2, 2, 5]
            assert dict(tally.items())["a"] == 5


        def test_empty():
            assert Tally().keys() == []
        ''',
}


@pytest.mark.slow  # a whole suture run
def test_a_lone_patch_completing_a_convention_its_siblings_state_is_claimed_beyond_its_one_test(make_repo):
    done, report = _fix(make_repo, SIBLING_VIEWS)
    assert done.returncode == 0 and report["status"] == "fixed", done.stdout + done.stderr
    assert "+        return list(self.itervalues())" in report["patch"], report["patch"]
    (item,) = [e for e in report["evidence"] if e["candidate_id"] == report["choice"]["chosen"]]
    # The comparison could run nothing beyond the test's own call: the convention is what speaks.
    assert item["status"] == "unknown" and "compared only on the tests' own" in item["reason"], item
    assert item["convention"].startswith("`values` now reads as its siblings `keys`, `items`"), item
    reasons = " ".join(report["confidence"]["reasons"])
    assert "not capped: it completes a convention its module states" in reasons and "unresolved" not in reasons
    # ... and the terminal says so in its behaviour line.
    assert "it completes a convention its module states" in done.stdout, done.stdout


# `value_projection` returns None. Two namesakes hold its value: `projection`'s `[left, right]` and
# `filter_projection`'s `[left, right, comparator]`, whose `comparator` is its parameter; copied here it
# would be the module's function `comparator`, data in the tree that the evaluator never reads. Both
# pass and disagree on every input, so the right patch was held back for a rival no maintainer writes.
NODES = {
    "nodes.py": '''
        """Constructors of a query's syntax tree and a small evaluator."""


        def field(name):
            return {'type': 'field', 'children': [], 'value': name}


        def comparator(name, first, second):
            return {'type': 'comparator', 'children': [first, second], 'value': name}


        def filter_projection(left, right, comparator):
            return {'type': 'filter_projection', 'children': [left, right, comparator]}


        def projection(left, right):
            return {'type': 'projection', 'children': [left, right]}


        def value_projection(left, right):
            return None


        def evaluate(node, data):
            kind = node['type']
            if kind == 'field':
                return data.get(node['value']) if isinstance(data, dict) else None
            base = evaluate(node['children'][0], data)
            if kind == 'value_projection':
                return [evaluate(node['children'][1], v) for v in base.values()] if isinstance(base, dict) else None
            if kind == 'projection':
                return [evaluate(node['children'][1], v) for v in base] if isinstance(base, list) else None
            raise ValueError(kind)
        ''',
    "tests/test_nodes.py": '''
        from nodes import evaluate, field, projection, value_projection


        def test_a_projection_over_a_list():
            assert evaluate(projection(field('xs'), field('a')), {'xs': [{'a': 1}, {'a': 2}]}) == [1, 2]


        def test_a_projection_over_the_values_of_an_object():
            assert evaluate(value_projection(field('m'), field('a')), {'m': {'k': {'a': 1}, 'j': {'a': 2}}}) == [1, 2]


        def test_a_value_projection_of_nothing_is_nothing():
            assert evaluate(value_projection(field('m'), field('a')), {'m': 3}) is None


        def test_a_field():
            assert evaluate(field('a'), {'a': 5}) == 5
        ''',
}


@pytest.mark.slow  # a whole suture run
def test_a_namesakes_parameter_copied_as_a_module_name_is_no_rival_and_the_repair_is_claimed(make_repo):
    done, report = _fix(make_repo, NODES)
    assert done.returncode == 0 and report["status"] == "fixed", done.stdout + done.stderr
    assert "+    return {'type': 'value_projection', 'children': [left, right]}" in report["patch"], report["patch"]
    lines = (Path(report["run_dir"]) / "trajectory.jsonl").read_text().splitlines()
    verdicts = [e for e in map(json.loads, lines) if e.get("event") == "verdict"]
    assert verdicts and not [v for v in verdicts if "comparator]" in v.get("diff", "")], verdicts
    assert "unresolved" not in " ".join(report["confidence"]["reasons"])


# `__eq__` answers NotImplemented for the type it should compare (a dropped `not`). Restoring the `not`
# passes, and so does `return self._offset`: `timedelta(0)` is falsy, which `assert not zone == "UTC"`
# accepts. The two part on every string compared, where the rival answers a timedelta, which `__eq__`'s
# contract (a bool, or NotImplemented) rules out: no question the tests leave open.
ZONES = {
    "tz.py": '''
        """Fixed-offset time zones."""
        from datetime import timedelta, tzinfo


        class FixedOffset(tzinfo):
            ZERO = timedelta(0)

            def __init__(self, offset, name):
                self._offset = timedelta(minutes=offset)
                self._name = name

            def utcoffset(self, dt):
                return self._offset

            def tzname(self, dt):
                return self._name

            def dst(self, dt):
                return self.ZERO

            def __eq__(self, other):
                if isinstance(other, FixedOffset):
                    return NotImplemented
                return self._name == other._name and self._offset == other._offset
        ''',
    "tests/test_tz.py": '''
        from tz import FixedOffset


        def test_a_zone_is_not_its_name():
            assert not FixedOffset(0, "UTC") == "UTC"


        def test_a_zone_equals_itself():
            zone = FixedOffset(60, "CET")
            assert zone == zone


        def test_a_zone_has_no_daylight_saving():
            assert FixedOffset(60, "CET").dst(None).total_seconds() == 0
        ''',
}


@pytest.mark.slow  # a whole suture run
def test_a_rival_whose_result_breaks_the_special_methods_contract_leaves_no_question_open(make_repo):
    done, report = _fix(make_repo, ZONES)
    chosen = report["choice"]["chosen"]
    (item,) = [e for e in report["evidence"] if e["candidate_id"] == chosen]
    broken = [d for d in item["disagreements"] if d["rival_breaks"]]
    # The rule engine gates a count of rivals after the first pass, not seconds: `return self._offset` is one.
    assert broken, item
    assert broken[0]["weighed"] == "discounted" and "Python's data model does not allow" in broken[0]["rival_breaks"]
    assert done.returncode == 0 and report["status"] == "fixed", done.stdout + done.stderr
    assert "+        if not isinstance(other, FixedOffset):" in report["patch"], report["patch"]
    assert "unresolved" not in " ".join(report["confidence"]["reasons"])
    terminal = " ".join(done.stdout.split())  # the terminal wraps long lines at spaces
    assert "(no open question: " in terminal and "which Python's data model does not allow it)" in terminal, terminal
