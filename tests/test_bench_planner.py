"""bench/bench_planner.py: the planner with a scripted oracle model, run for real on corpus bugs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_planner.py"


def _bench():
    name = "bench_planner_under_test"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCH)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is made
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_oracle_fixes_two_bugs_in_four_calls_without_repeats(tmp_path):
    # money_split needs an expression the program lacks; paged_api two edits in one file.
    rows_file = tmp_path / "rows.json"
    done = subprocess.run([sys.executable, str(BENCH), "--only", "money_split", "--only", "paged_api",
                           "--no-results", "--rows", str(rows_file)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    rows = json.loads(rows_file.read_text())
    assert sorted(r["name"] for r in rows) == ["money_split", "paged_api"]
    for row in rows:
        _fixed_by_the_oracle_first_time(row)
    assert "Oracle patch passes every gate: 2/2" in done.stdout
    assert "At most 1 call per tool round: 0 violation(s)" in done.stdout


def _fixed_by_the_oracle_first_time(row: dict) -> None:
    assert row["planner_ran"] and row["gates_passed"], row
    assert row["fixed"] and row["correct"], row
    # Fixed on the first proposal: localize, read_code, state_plans, propose_edit; the planner stops
    # at the accepted patch, so the script's finish turn is never asked for.
    assert row["calls"] == row["rounds"] == row["requests"] == 4
    assert row["tools"] == ["localize", "read_code", "state_plans", "propose_edit"]
    assert row["repeated_calls"] == 0 and row["round_problems"] == []
    assert row["estimated"] and row["prompt_tokens"] > 1000 and row["completion_tokens"] > 0
    assert len(row["step_seconds"]) == 3 and len(row["propose_seconds"]) == 1
    assert 0 < row["gate_seconds"][0] <= row["propose_seconds"][0]


def test_the_batch_path_runs_the_oracle_through_suture_batch_with_the_same_row(tmp_path):
    """--batch (issue 22): the bug as one task of `suture batch`, its row made from results.jsonl and the
    task's own run record, as the one-at-a-time path makes it."""
    rows_file = tmp_path / "rows.json"
    keep = tmp_path / "keep"
    done = subprocess.run([sys.executable, str(BENCH), "--only", "money_split", "--batch", "--workers", "1",
                           "--no-results", "--rows", str(rows_file), "--keep", str(keep)],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    [row] = json.loads(rows_file.read_text())
    assert row["name"] == "money_split"
    _fixed_by_the_oracle_first_time(row)
    results = [json.loads(line) for line in (keep / "batch" / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in results] == ["money_split"] and results[0]["outcome"] == "fixed"
    assert row["run_dir"] == results[0]["report"]["run_dir"]
    assert "through `suture batch --workers 1`" in done.stdout


def test_ambiguous_buggy_text_is_widened_to_the_right_occurrence():
    bench = _bench()
    text = "def a(x):\n    return x % 10 == 0\n\n\ndef b(x):\n    return x % 10 == 0\n"
    correct = "def a(x):\n    return x % 10 == 0\n\n\ndef b(x):\n    return x % 11 == 0\n"
    search, replace = bench.search_replace(text, "x % 10 == 0", "x % 11 == 0", correct)
    assert text.count(search) == 1
    assert text.replace(search, replace) == correct
    assert bench.search_replace("y = 1\n", "y = 1", "y = 2", "y = 2\n") == ("y = 1", "y = 2")
    with pytest.raises(bench.OracleError):
        bench.search_replace("y = 1\n", "z = 1", "z = 2", "z = 2\n")


def test_round_check_flags_an_unanswered_call_and_an_extra_request():
    bench = _bench()
    call = {"id": "c1", "type": "function", "function": {"name": "localize", "arguments": "{}"}}
    models = [{"tool_calls": [call]}, {"tool_calls": []}]
    asked = {"role": "assistant", "content": "", "tool_calls": [call]}
    answered = [{"messages": [{"role": "user"}]},
                {"messages": [{"role": "user"}, asked, {"role": "tool", "tool_call_id": "c1", "content": "x"}]}]
    assert bench._round_violations(models, answered) == []
    unanswered = [answered[0], {"messages": [{"role": "user"}, asked]}]
    assert "before tool call(s) c1 were answered" in bench._round_violations(models, unanswered)[0]
    retried = [answered[0], answered[0], answered[1]]
    assert "3 model requests for 2 rounds" in bench._round_violations(models, retried)[0]
