"""What the behaviour evidence decides and what it may not (issue 17), through the real CLI offline
(rule engine), real pytest and git: a comparison that never reached the repair is no agreement; a
disagreement on which the chosen patch keeps HEAD's result does not cap; the repair itself, at an
input the passing tests' shapes only resemble, is not a change "like the passing tests"."""

from __future__ import annotations

import json

import pytest

from conftest import repo_snapshot, suture


def _fix(make_repo, files):
    """`suture fix` offline on a new repo of `files`: the finished process and its report.json."""
    repo = make_repo(files)
    before = repo_snapshot(repo)
    done = suture("fix", "--time-limit", "300", cwd=repo, timeout=420)
    assert repo_snapshot(repo) == before, "suture changed the user's tree"
    (run_dir,) = (repo / ".suture" / "runs").iterdir()
    return done, json.loads((run_dir / "report.json").read_text())


# price_in passes its two currencies to convert() the wrong way round; the visible tests only
# convert from EUR (rate 1.0), so `amount / rate` and `amount * rate` in convert() pass alike.
# The comparison runs convert() on the tests' own calls and their mutations: "EUR" mutated is no
# currency, so neither patch changes any result there and the two "agree" on inputs that never
# reach the repair.
CURRENCY = {
    "shop/__init__.py": "",
    "shop/rates.py": """\
        # Units of each currency per 1 EUR.
        PER_EUR = {"EUR": 1.0, "USD": 1.10, "GBP": 0.85, "JPY": 160.0}


        def convert(amount, from_currency, to_currency):
            if from_currency not in PER_EUR or to_currency not in PER_EUR:
                raise KeyError(f"unknown currency {from_currency} or {to_currency}")
            return round(amount / PER_EUR[from_currency] * PER_EUR[to_currency], 2)
        """,
    "shop/catalog.py": """\
        from shop.rates import convert

        PRODUCTS = {"mug": (12.0, "EUR"), "cap": (22.0, "USD")}


        def price_in(product, currency):
            amount, native = PRODUCTS[product]
            return convert(amount, currency, native)
        """,
    "tests/test_shop.py": """\
        import pytest

        from shop.catalog import price_in
        from shop.rates import convert


        def test_convert():
            assert convert(10, "EUR", "USD") == 11.0


        def test_unknown():
            with pytest.raises(KeyError):
                convert(1, "EUR", "XXX")


        def test_native_price():
            assert price_in("mug", "EUR") == 12.0


        def test_foreign_price():
            assert price_in("mug", "USD") == 13.2
        """,
}


@pytest.mark.slow  # a whole suture run
def test_two_patches_that_change_nothing_on_any_input_run_are_not_compared(make_repo):
    done, report = _fix(make_repo, CURRENCY)
    evidence = {e["candidate_id"]: e for e in report["evidence"]}
    chosen = evidence[report["choice"]["chosen"]]
    vacuous = [e for e in evidence.values() if e["status"] == "known" and e["footprint"]["changed"] == 0]
    assert report["choice"]["distinct_passing"] >= 2 and len(vacuous) >= 2, report["evidence"]
    assert chosen in vacuous, chosen
    assert done.returncode == 1 and report["status"] != "fixed", done.stdout + done.stderr
    assert report["confidence"]["weak"] and report["plausible"]["patch"]
    assert "never reach the repair" in " ".join(report["confidence"]["reasons"])


# `start < last_end` does not merge touching intervals. `<` -> `<=` (the fix) and a same-size rival
# both pass; they part on disjoint intervals, where the fix keeps HEAD's result and the rival
# merges what should stay apart.
INTERVALS = {
    "intervals.py": """\
        def merge(intervals):
            \"\"\"Merge overlapping or touching closed intervals [start, end]; result sorted by start.\"\"\"
            merged = []
            for start, end in sorted(intervals):
                if merged and start < merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            return [tuple(pair) for pair in merged]
        """,
    "tests/test_intervals.py": """\
        from intervals import merge


        def test_disjoint_stay_apart():
            assert merge([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]


        def test_overlap():
            assert merge([(1, 4), (2, 6)]) == [(1, 6)]


        def test_contained():
            assert merge([(1, 10), (3, 4)]) == [(1, 10)]


        def test_touching_merge():
            assert merge([(1, 3), (3, 5)]) == [(1, 5)]


        def test_empty():
            assert merge([]) == []
        """,
}


@pytest.mark.slow  # a whole suture run
def test_a_disagreement_where_the_chosen_patch_keeps_heads_result_does_not_cap(make_repo):
    done, report = _fix(make_repo, INTERVALS)
    chosen_id = report["choice"]["chosen"]
    evidence = {e["candidate_id"]: e for e in report["evidence"]}
    kept = [d for d in evidence[chosen_id]["disagreements"] if d["keeps_head"]]
    assert kept, evidence[chosen_id]  # the case this test is about: a rival that changes more
    assert done.returncode == 0 and report["status"] == "fixed", done.stdout + done.stderr
    assert "start <= merged[-1][1]" in report["patch"], report["patch"]
    reasons = " ".join(report["confidence"]["reasons"])
    assert "keeps HEAD's result" in reasons and "unresolved" not in reasons, reasons
    assert not report["confidence"]["weak"]


# The loop stops one window early. The fix changes moving_average([1, 2], 2) from [] to [1.5]:
# the same types and lengths as a passing test's call (a window longer than the list), but a
# window exactly as long as the list, the failing case's off-by-one, is the repair itself.
WINDOW = {
    "window.py": """\
        def moving_average(values, k):
            \"\"\"Mean of every window of `k` consecutive values, in order.\"\"\"
            if k < 1:
                raise ValueError("window must be at least 1")
            out = []
            for i in range(len(values) - k):
                window = values[i:i + k]
                out.append(sum(window) / k)
            return out
        """,
    "tests/test_window.py": """\
        import pytest

        from window import moving_average


        def test_bad_window():
            with pytest.raises(ValueError):
                moving_average([1, 2], 0)


        def test_too_short():
            assert moving_average([1, 2], 3) == []


        def test_windows():
            assert moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]
        """,
}


@pytest.mark.slow  # a whole suture run
def test_the_repair_at_a_passing_tests_lengths_is_not_a_change_like_the_passing_tests(make_repo):
    done, report = _fix(make_repo, WINDOW)
    assert done.returncode == 0 and report["status"] == "fixed", done.stdout + done.stderr
    assert "range(len(values) - k + 1)" in report["patch"], report["patch"]
    chosen = {e["candidate_id"]: e for e in report["evidence"]}[report["choice"]["chosen"]]
    assert chosen["status"] == "known" and chosen["footprint"]["changed"] > 0, chosen
    assert not chosen["changes_like_passing_tests"], chosen["footprint"]
    assert not report["confidence"]["weak"]
