"""What the behaviour evidence decides and what it may not (issue 17), through the real CLI offline
(rule engine), real pytest and git, on bench/bugs programs: a comparison that never reached the
repair is no agreement; a disagreement on which the chosen patch keeps HEAD's result does not cap;
the repair itself, at an input the passing tests' shapes only resemble, is not a change "like the
passing tests"."""

from __future__ import annotations

from pathlib import Path

import pytest

from suture.agent.fix.calibration import FEATURES, calibrated, load_weights
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
# The comparison runs convert() on the tests' own calls and their mutations: "EUR" mutated is no
# currency, so the convert() patch changes no result there and "agrees" with HEAD on inputs that
# never reach the repair. The program is bench/bugs/currency as the repair bench runs it.
CURRENCY = _bench_program("currency")


@pytest.mark.slow  # a whole suture run
def test_a_chosen_patch_that_changes_nothing_on_any_input_run_is_not_compared(make_repo):
    done, report = _fix(make_repo, CURRENCY)
    evidence = {e["candidate_id"]: e for e in report["evidence"]}
    chosen = evidence[report["choice"]["chosen"]]
    # The case: the chosen patch (in convert) changes HEAD's result on none of the inputs run, while
    # a rival passes too (the larger swap in price_in, which a smaller change would otherwise beat).
    assert report["choice"]["distinct_passing"] >= 2, report["evidence"]
    assert chosen["status"] == "known" and chosen["footprint"]["changed"] == 0, chosen
    assert done.returncode == 1 and report["status"] != "fixed", done.stdout + done.stderr
    assert report["confidence"]["weak"] and report["plausible"]["patch"]
    assert "never reach the repair" in " ".join(report["confidence"]["reasons"])


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
