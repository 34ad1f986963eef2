"""The options records (agent/options.py): what a run writes into its start event comes back the same."""

from __future__ import annotations

import json

import pytest

from suture.agent.options import FixOptions, OptimizeOptions


def test_zero_false_and_empty_values_come_back_as_recorded():
    options = FixOptions(test_cmd="pytest -x", failing_tests=("tests/t.py::a",), max_candidates=0, verify=False,
                         max_cost=0.0, samples=3, text_tools=True, targets=("a.c::f",), test_timeout=7.5)
    record = json.loads(json.dumps(options.to_record()))  # as the trajectory stores it
    back = FixOptions.from_record(record)
    assert back.max_candidates == 0 and back.verify is False and back.max_cost == 0.0
    assert back.failing_tests == ("tests/t.py::a",) and back.targets == ("a.c::f",) and back.test_timeout == 7.5
    assert back.to_record() == options.to_record()


def test_overrides_unknown_keys_and_old_records():
    record = {"test_cmd": "pytest", "max_candidates": 4, "resumed_from": "x", "a_field_from_the_future": 1}
    back = FixOptions.from_record(record, mode="print", model="scripted:/s.jsonl")
    assert (back.max_candidates, back.mode, back.model, back.resume_from) == (4, "print", "scripted:/s.jsonl", None)
    assert back.time_limit == FixOptions().time_limit  # missing: the default


@pytest.mark.parametrize("options", [
    OptimizeOptions(target="m:f", targets=("m:f", "m:g"), workloads=("/w1.py", "/w2.py"), rounds=3,
                    interactive=True, verify_seconds=2.5, max_rounds=1, python="/usr/bin/python3"),
    OptimizeOptions(bench_cmd="python bench.py", max_cost=0.5),
])
def test_optimize_options_round_trip(options):
    back = OptimizeOptions.from_record(json.loads(json.dumps(options.to_record())))
    assert back == options
    assert "resume_from" not in options.to_record() and options.to_record()["resumed_from"] is None


def test_the_risks_a_run_lets_through_are_recorded_for_its_resumption():
    from suture.agent.options import FixOptions

    options = FixOptions(test_cmd="pytest", allow_risks=("subprocess", "os_environ"))
    record = options.to_record()
    assert record["allow_risks"] == ["subprocess", "os_environ"]
    assert tuple(FixOptions.from_record(record).allow_risks) == ("subprocess", "os_environ")
