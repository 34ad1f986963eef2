"""The rule engine's template priors: the shipped fit (agent/propose/priors.json) orders the candidates,
$SUTURE_RULE_PRIORS replaces it, a broken file falls back to the hand priors with a note, and
bench/fit_priors.py fits the same priors from the same cases every time (issue 18)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from suture.agent.propose.rules import HAND_PRIORS, PRIORS_ENV, PRIORS_FILE, generate_candidates, template_priors
from suture.agent.propose.templates import TEMPLATES

BENCH = Path(__file__).resolve().parents[1] / "bench"

CODE = '''\
def clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x + 0
'''
SUSPECT = ("m.py", "clamp", 1, 6, 1.0)


def _stream(repo, **kwargs):
    notes: list[str] = []
    found = list(generate_candidates(repo, [SUSPECT], {}, max_candidates=10_000, pairs=False, notes=notes, **kwargs))
    return found, notes


def test_the_shipped_priors_load_and_are_what_orders_the_candidates(make_repo, monkeypatch):
    monkeypatch.delenv(PRIORS_ENV, raising=False)
    data = json.loads(PRIORS_FILE.read_text())
    shipped = data["priors"]
    assert set(shipped) == set(TEMPLATES) and all(v > 0 for v in shipped.values())
    assert data["fitted_by"] == "bench/fit_priors.py" and data["hand"] == HAND_PRIORS
    assert template_priors() == shipped
    assert shipped != HAND_PRIORS  # the fit moved something: otherwise this test could not tell them apart

    repo = make_repo({"m.py": CODE})
    fitted, notes = _stream(repo)
    hand, _ = _stream(repo, priors=HAND_PRIORS)
    assert not notes and len(fitted) == len(hand) > 20
    # Same edits, each weighed by the shipped prior where the hand one weighed it before (two templates that
    # make the same text are offered once, under the name of whichever comes first: those are left out).
    by_hand = {(c.template, c.description): c.priority / HAND_PRIORS[c.template] for c in hand}
    both = [c for c in fitted if (c.template, c.description) in by_hand]
    assert len(both) > 0.9 * len(fitted)
    for c in both:
        assert c.priority / shipped[c.template] == pytest.approx(by_hand[(c.template, c.description)])
    assert [c.priority for c in fitted] == sorted((c.priority for c in fitted), reverse=True)


def test_a_priors_file_named_in_the_environment_replaces_the_fit_and_a_broken_one_falls_back(make_repo, monkeypatch,
                                                                                               tmp_path):
    repo = make_repo({"m.py": CODE})
    mine = tmp_path / "priors.json"
    mine.write_text(json.dumps({"priors": {"negate_condition": 50.0}}))  # the rest: hand priors
    monkeypatch.setenv(PRIORS_ENV, str(mine))
    assert template_priors() == {**HAND_PRIORS, "negate_condition": 50.0}
    found, notes = _stream(repo)
    assert found[0].template == "negate_condition" and not notes

    mine.write_text("{not json")
    found, notes = _stream(repo)
    hand, _ = _stream(repo, priors=HAND_PRIORS)
    assert [c.description for c in found] == [c.description for c in hand]
    assert notes == [f"the rule priors file {mine} could not be read (JSONDecodeError); "
                     "the rule engine used its hand priors instead."]
    mine.write_text(json.dumps({"priors": {"constant": -1}}))
    assert _stream(repo)[1] == [f"the rule priors file {mine} has no `priors` object of positive numbers; "
                                "the rule engine used its hand priors instead."]


def _fit_priors():
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_fit_priors", BENCH / "fit_priors.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_fit_priors_is_deterministic_and_writes_a_file_the_engine_reads(tmp_path, monkeypatch, capsys):
    fit_priors = _fit_priors()
    args = ["--no-faults", "--only", "binary_search", "--only", "room_booking", "--only", "add_months", "--no-cv",
            "--write"]
    assert fit_priors.main([*args, "--out", str(tmp_path / "a.json")]) == 0
    assert fit_priors.main([*args, "--out", str(tmp_path / "b.json")]) == 0
    first = (tmp_path / "a.json").read_text()
    assert first == (tmp_path / "b.json").read_text()
    data = json.loads(first)
    # binary_search's fix is a comparison, room_booking's a pair of comparisons; add_months is out of reach.
    assert data["n"]["comparison"] == 2 and data["cases"] == {"bench/bugs": 3, "bench/faults": 0, "in_reach": 2}
    monkeypatch.setenv(PRIORS_ENV, str(tmp_path / "a.json"))
    assert template_priors() == data["priors"]
