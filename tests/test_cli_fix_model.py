"""`suture fix --model scripted:PATH`: the planner driven end to end through the real CLI.

The model is the one thing faked: a script of turns played back by the scripted provider.
Everything else is real: the baseline and coverage, the rule engine going first, the
tools the model calls, the gates judging each proposed patch in scratch worktrees.
"""

from __future__ import annotations

import json

from conftest import CSV_BUG, git, last_json, suture
from shared_runs import shared_run

# A bug no repair template reaches: a quoted field needs a real CSV reader.

GOOD_EDIT = {"path": "contacts/records.py", "search": '    return line.split(",")',
             "replace": "    return next(csv.reader([line]))"}
WRONG_EDIT = {"path": "contacts/records.py", "search": '    return line.split(",")',
              "replace": '    return line.split(", ")'}
PLANS = {"plans": [
    {"hypothesis": "split on every comma breaks quoted fields", "location": "contacts/records.py:parse_line",
     "repair": "parse the line with the csv module"},
    {"hypothesis": "the separator is comma-space", "location": "contacts/records.py:parse_line",
     "repair": "split on ', '"},
]}


def turn(*calls, text=""):
    return {"text": text, "tool_calls": [{"name": n, "arguments": a} for n, a in calls],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 50}, "cost_usd": 0.01}


def write_script(path, turns):
    path.write_text("".join(json.dumps(t) + "\n" for t in turns))
    return path




def transcript(script):
    return [json.loads(line) for line in script.with_suffix(".transcript.jsonl").read_text().splitlines()]


def fix(repo, script, *extra):
    """The planner's turn comes after the rule engine's: two of its candidates (none repairs CSV_BUG) are
    enough to go that way, as in tests/test_replay.py; each more was one more gated test run."""
    return suture("fix", "--json", "--time-limit", "240", "--max-candidates", "2",
                  "--model", f"scripted:{script}", *extra, cwd=repo)


def script_beside(turns):
    """A shared run's `prepare` (tests/shared_runs.py): the model's script beside the repo, no transcript yet."""
    def prepare(repo):
        (repo.parent / "model.transcript.jsonl").unlink(missing_ok=True)  # a worker's failed attempt before
        write_script(repo.parent / "model.jsonl", turns)
        return {}

    return prepare


# The planner's way to a fix through the gates' feedback: tests/test_replay.py replays this same run.
SECOND_ATTEMPT = [
    turn(("localize", {})),
    turn(("read_code", {"path": "contacts/records.py"})),
    turn(("state_plans", PLANS)),
    turn(("propose_edit", {"plan": 2, "edits": [WRONG_EDIT]})),
    turn(("propose_edit", {"plan": 1, "edits": [GOOD_EDIT]})),
    turn(("finish", {"summary": "never reached: the run stops at the first accepted patch"})),
]
for number, each in enumerate(SECOND_ATTEMPT):  # a provider's own call ids, which a replay must keep
    each["tool_calls"][0]["id"] = f"toolu_{number:02d}x"
SECOND_ATTEMPT_ISSUE = "parse_line breaks a quoted field that holds a comma"


def second_attempt_run(tmp_path_factory):
    """`suture fix --json --time-limit 240 --max-candidates 2 --model scripted:SECOND_ATTEMPT --issue ...` on
    CSV_BUG, made once per session (tests/shared_runs.py): the model's script and its transcript lie beside
    the repo (`place`). tests/test_replay.py replays it."""
    return shared_run(tmp_path_factory, "csv-second-attempt", CSV_BUG,
                      ["fix", "--json", "--time-limit", "240", "--max-candidates", "2",
                       "--model", "scripted:{place}/model.jsonl", "--issue", SECOND_ATTEMPT_ISSUE],
                      prepare=script_beside(SECOND_ATTEMPT))


def test_fix_found_on_the_second_attempt_after_gate_feedback(tmp_path_factory):
    done = second_attempt_run(tmp_path_factory)
    script = done.place / "model.jsonl"
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["status"] == "fixed" and report["engine"] == "model"
    assert "csv.reader" in report["patch"]
    assert report["tests"]["after"]["fixed"] == ["tests/test_records.py::test_quoted_comma"]
    assert report["planner"]["stopped_because"] == "accepted" and report["planner"]["steps"] == 5
    assert report["cost"]["calls"] == 5 and report["cost"]["tokens"] == 5 * 1050
    assert abs(report["cost"]["usd"] - 0.05) < 1e-9
    assert done.tree_unchanged  # printed, not applied

    sent = transcript(script)
    assert len(sent) == 5
    task = sent[0]["messages"][1]["content"]
    assert "tests/test_records.py::test_quoted_comma" in task and "parse_line" in task
    # Beside the spectra, the task carries what the issue's words find in the code.
    assert "def parse_line" in task.split("# Code the issue's words find")[1]
    names = {t["function"]["name"] for t in sent[0]["tools"]}
    assert {"search", "read_code", "localize", "propose_edit", "finish", "state_plans"} <= names
    # The model saw the first patch rejected, with the gate's reason and the plan to revise.
    feedback = sent[4]["messages"][-1]["content"]
    assert "REJECTED" in feedback and "test_quoted_comma" in feedback
    assert "plan" in feedback.lower() and "separator is comma-space" in feedback
    # The read tool showed the base commit's code with line numbers.
    assert 'return line.split(",")' in sent[2]["messages"][-1]["content"]


def test_rule_engine_goes_first_and_spends_no_tokens(make_repo, tmp_path):
    repo = make_repo({
        "calc.py": "def add(a, b):\n    return a - b\n",
        "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n\n"
                        "def test_add_zero():\n    assert add(4, 0) == 4\n",
    })
    script = write_script(tmp_path / "model.jsonl", [turn(("finish", {}))])
    done = suture("fix", "--json", "--model", f"scripted:{script}", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["engine"] == "rules" and report["cost"]["calls"] == 0
    assert transcript(script) == []


def test_cost_budget_stops_the_planner_with_no_patch(make_repo, tmp_path):
    repo = make_repo(CSV_BUG)
    script = write_script(tmp_path / "model.jsonl", [turn(("search", {"query": f"q{i}"})) for i in range(10)])
    done = fix(repo, script, "--max-cost", "0.025")
    assert done.returncode == 5, done.stderr
    report = last_json(done)
    assert report["status"] == "not_fixed" and report["patch"] == ""
    assert report["planner"]["stopped_because"] == "cost"
    assert report["stopped_because"].startswith("no verified patch")
    assert len(transcript(script)) == 3  # $0.01 a call: the fourth would pass the budget


def test_a_repeating_model_is_steered_then_stopped(make_repo, tmp_path):
    repo = make_repo(CSV_BUG)
    script = write_script(tmp_path / "model.jsonl", [turn(("search", {"query": "parse line"}))] * 10)
    done = fix(repo, script)
    assert done.returncode == 1, done.stderr
    report = last_json(done)
    assert report["planner"]["stopped_because"] == "loop"
    sent = transcript(script)
    assert len(sent) == 3
    assert "repeated the same action" in sent[2]["messages"][-1]["content"]


def test_answers_without_tool_calls_end_the_run(make_repo, tmp_path):
    repo = make_repo(CSV_BUG)
    script = write_script(tmp_path / "model.jsonl", [{"text": "I think the bug is in parse_line."}] * 5)
    done = fix(repo, script)
    assert done.returncode == 1, done.stderr
    report = last_json(done)
    assert report["planner"]["stopped_because"] == "format_errors"
    assert "Call one of the tools" in transcript(script)[1]["messages"][-1]["content"]


def test_edits_to_ci_files_and_unlocalised_code_are_refused(make_repo, tmp_path):
    files = dict(CSV_BUG)
    files[".github/workflows/ci.yml"] = "on: push\n"
    files["contacts/unused.py"] = "def helper():\n    return 1\n"
    repo = make_repo(files)
    script = write_script(tmp_path / "model.jsonl", [
        turn(("propose_edit", {"edits": [{"path": ".github/workflows/ci.yml", "search": "on: push",
                                          "replace": "on: push\n# leak: ${{ secrets.TOKEN }}"}]})),
        turn(("propose_edit", {"edits": [{"path": "contacts/unused.py", "search": "return 1",
                                          "replace": "return 2"}]})),
        turn(("finish", {})),
    ])
    done = fix(repo, script)
    assert done.returncode == 1, done.stderr
    sent = transcript(script)
    assert "CI, build, test-configuration or secrets file" in sent[1]["messages"][-1]["content"]
    assert "outside the localised code" in sent[2]["messages"][-1]["content"]
    assert last_json(done)["candidates_tried"] <= 2  # only the rule engine's: refused edits are never gated


def test_provider_errors_and_missing_scripts_are_one_sentence(make_repo, tmp_path):
    repo = make_repo(CSV_BUG)
    script = write_script(tmp_path / "model.jsonl", [{"error": "auth"}])
    done = fix(repo, script)
    assert done.returncode == 4
    assert "Traceback" not in done.stderr and "model provider failed" in done.stderr
    missing = fix(repo, tmp_path / "nope.jsonl")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


LEAP = {
    "leap.py": "def is_leap(y):\n    return y % 4 == 0 and (y % 100 != 0 and y % 400 == 0)\n",
    "test_leap.py": "from leap import is_leap\n\n"
                    "def test_2024():\n    assert is_leap(2024)\n\n"
                    "def test_1900():\n    assert not is_leap(1900)\n\n"
                    "def test_2023():\n    assert not is_leap(2023)\n",
}
LEAP_TESTS = ("```python\nfrom leap import is_leap\n\n"
              "def test_2000_is_leap():\n    assert is_leap(2000)\n\n"
              "def test_2024_is_leap():\n    assert is_leap(2024)\n\n"
              "def test_2100_is_not():\n    assert not is_leap(2100)\n```")


def test_several_passing_patches_are_told_apart_by_model_written_tests(make_repo, tmp_path):
    # `and` -> `or` (right) and `== 0` -> `!= 0` (wrong for 2000) both pass the repository's tests.
    repo = make_repo(LEAP)
    script = write_script(tmp_path / "model.jsonl", [{"text": LEAP_TESTS}])
    done = suture("fix", "--json", "--model", f"scripted:{script}", cwd=repo)
    report = last_json(done)
    assert report["choice"]["distinct_passing"] >= 2, report["choice"]
    assert report["choice"]["method"] == "b4"
    assert "or y % 400 == 0" in (report["patch"] or report["plausible"]["patch"])
    sent = transcript(script)
    assert len(sent) == 1 and "cannot tell which patch" in sent[0]["messages"][0]["content"]
    assert "def is_leap" in sent[0]["messages"][0]["content"]  # the code, not the patches


# One test, and nothing beyond it can be seen: the function reads the clock, so the comparison
# outside the tests cannot run it (issue 17: a patch one test runs is claimed only when that
# comparison vouches for it, tests/test_evidence_decides_cli.py's lock-holding `Tally`).
CLOCK = "import time\n\n\ndef elapsed(start, now=None):\n    now = time.time() if now is None else now\n    return start - now\n"


def test_a_weakly_evidenced_patch_is_shown_not_claimed(make_repo):
    repo = make_repo({
        "clock.py": CLOCK,
        "test_clock.py": "from clock import elapsed\n\ndef test_elapsed():\n    assert elapsed(2, 5) == 3\n",
    })
    done = suture("fix", "--json", "--apply", cwd=repo)
    assert done.returncode == 1, done.stderr
    report = last_json(done)
    assert report["status"] == "not_fixed" and report["patch"] == "" and report["delivery"] is None
    assert report["plausible"]["passes_all_gates"] and "now - start" in report["plausible"]["patch"]
    assert report["confidence"]["weak"] and report["confidence"]["covering_tests"] == 1
    assert "weakly evidenced" in report["explanation"]
    assert (repo / "clock.py").read_text() == CLOCK  # --apply did nothing


ISSUE = "Totals are wrong: order_total([2, 3]) returns -1 but it should return 5 (the sum of the prices)."
REPRO = ("```python\nfrom shop import order_total\n\n"
         "def test_total_is_the_sum():\n    assert order_total([2, 3]) == 5\n```")


def test_an_issue_without_a_failing_test_is_reproduced_first(make_repo, tmp_path):
    repo = make_repo({
        "shop.py": "def order_total(prices):\n    total = 0\n    for p in prices:\n        total -= p\n    return total\n",
        "test_shop.py": "from shop import order_total\n\ndef test_empty():\n    assert order_total([]) == 0\n",
    })
    script = write_script(tmp_path / "model.jsonl", [
        {"text": "```python\nfrom shop import order_total\n\ndef test_total():\n    assert order_total([]) == 0\n```"},
        {"text": REPRO},
        turn(("propose_edit", {"edits": [{"path": "shop.py", "search": "total -= p", "replace": "total += p"}]})),
    ])
    done = suture("fix", "--json", "--issue", ISSUE, "--model", f"scripted:{script}", "--max-candidates", "1",
                  cwd=repo)
    report = last_json(done)
    repro = report["tests"]["reproduction"]
    assert repro["shipped"] is False and repro["attempts"] == 2  # the first test passed at HEAD: retried
    assert repro["failing"] == ["test_suture_reproduction.py::test_total_is_the_sum"]
    assert report["tests"]["failing_before"] == repro["failing"]
    patch = report["patch"] or report["plausible"]["patch"]
    assert "total += p" in patch and "test_suture_reproduction" not in patch
    sent = transcript(script)
    assert "does not show the issue" in sent[1]["messages"][-1]["content"]

    assert git(repo, "for-each-ref", "refs/suture/") == ""  # the private commit's ref is gone
    assert not (repo / "test_suture_reproduction.py").exists()


def test_samples_for_a_plan_are_gated_until_one_passes(make_repo, tmp_path):
    repo = make_repo(CSV_BUG)
    script = write_script(tmp_path / "model.jsonl", [
        turn(("state_plans", PLANS)),
        turn(("propose_edit", {"plan": 1, "edits": [WRONG_EDIT]})),
        turn(("propose_edit", {"edits": [WRONG_EDIT]})),  # sample 1 repeats the rejected patch
        turn(("propose_edit", {"edits": [GOOD_EDIT]})),  # sample 2 passes
    ])
    done = fix(repo, script, "--samples", "3")
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["status"] == "fixed" and "csv.reader" in report["patch"]
    assert report["planner"]["stopped_because"] == "accepted" and report["planner"]["steps"] == 2
    sent = transcript(script)
    assert [r["params"].get("temperature") for r in sent] == [0.0, 0.0, 0.4, 0.8]
    assert [t["function"]["name"] for t in sent[2]["tools"]] == ["propose_edit"]
    assert "an independent" in sent[2]["messages"][-1]["content"]


def test_a_context_overflow_is_shrunk_and_the_run_goes_on(make_repo, tmp_path):
    repo = make_repo(CSV_BUG)
    script = write_script(tmp_path / "model.jsonl", [
        turn(("localize", {})),
        turn(("search", {"query": "parse line"})),
        turn(("read_code", {"path": "contacts/records.py"})),
        {"error": "context_window"},
        turn(("propose_edit", {"edits": [GOOD_EDIT]})),
    ])
    done = fix(repo, script)
    assert done.returncode == 0, done.stderr
    assert last_json(done)["status"] == "fixed"
    sent = transcript(script)
    assert len(sent) == 5
    # The retry after the overflow dropped the oldest turn (the localize call and its result).
    assert len(sent[4]["messages"]) < len(sent[3]["messages"])
    assert not any("localize" in json.dumps(m.get("tool_calls", "")) for m in sent[4]["messages"])


def test_models_without_tool_calls_use_the_text_format(make_repo, tmp_path):
    repo = make_repo(CSV_BUG)
    block = "```tool\n" + json.dumps({"name": "propose_edit", "arguments": {"edits": [GOOD_EDIT]}}) + "\n```"
    script = write_script(tmp_path / "model.jsonl", [{"text": "The split breaks quoted fields.\n" + block}])
    done = fix(repo, script, "--text-tools")
    assert done.returncode == 0, done.stderr
    assert "csv.reader" in last_json(done)["patch"]
    sent = transcript(script)
    assert not sent[0]["tools"] and "propose_edit" in sent[0]["messages"][0]["content"]


def test_run_tests_shows_the_model_how_a_test_fails_at_the_base(make_repo, tmp_path):
    repo = make_repo(CSV_BUG)
    script = write_script(tmp_path / "model.jsonl", [
        turn(("run_tests", {"tests": ["tests/test_records.py::test_quoted_comma", "tests/test_records.py::test_plain"]})),
        turn(("propose_edit", {"edits": [GOOD_EDIT]})),
    ])
    done = fix(repo, script)
    assert done.returncode == 0, done.stderr
    shown = transcript(script)[1]["messages"][-1]["content"]
    assert "tests/test_records.py::test_quoted_comma: failed" in shown and "lovelace" in shown
    assert "tests/test_records.py::test_plain: passed" in shown


def test_proposing_a_rejected_patch_again_is_steered_then_stopped(make_repo, tmp_path):
    repo = make_repo(CSV_BUG)
    again = turn(("propose_edit", {"edits": [WRONG_EDIT]}))
    script = write_script(tmp_path / "model.jsonl", [again, again, again, turn(("finish", {}))])
    done = fix(repo, script)
    assert done.returncode == 1, done.stderr
    report = last_json(done)
    assert report["planner"]["stopped_because"] == "loop"
    assert "rejected patch" in report["planner"]["message"]
    sent = transcript(script)
    assert len(sent) == 3 and "same code as model-1" in sent[2]["messages"][-2]["content"]


CALC_BUG = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n\n"
                    "def test_add_zero():\n    assert add(4, 0) == 4\n",
}
# The rule engine would repair CALC_BUG as `a + b`; the model's patch is `b + a`.
STRAIGHT_TO_MODEL = [
    turn(("state_plans", {"plans": [{"hypothesis": "add subtracts", "location": "calc.py:add",
                                     "repair": "add the operands"}]})),
    turn(("propose_edit", {"plan": 1, "edits": [{"path": "calc.py", "search": "    return a - b",
                                                 "replace": "    return b + a"}]})),
]


def straight_to_model_run(tmp_path_factory):
    """`suture fix --json --time-limit 240 --max-candidates 0 --model scripted:STRAIGHT_TO_MODEL` on CALC_BUG,
    made once per session (tests/shared_runs.py); tests/test_replay.py replays it."""
    return shared_run(tmp_path_factory, "calc-straight-to-model", CALC_BUG,
                      ["fix", "--json", "--time-limit", "240", "--max-candidates", "0",
                       "--model", "scripted:{place}/model.jsonl"], prepare=script_beside(STRAIGHT_TO_MODEL))


def test_max_candidates_zero_goes_straight_to_the_model(tmp_path_factory):
    done = straight_to_model_run(tmp_path_factory)
    assert done.returncode == 0, done.stderr
    report = last_json(done)
    assert report["engine"] == "model" and report["candidates_tried"] == 1


def test_a_budget_spent_while_reproducing_is_exit_5(make_repo, tmp_path):
    repo = make_repo({
        "shop.py": "def order_total(prices):\n    return -sum(prices)\n",
        "test_shop.py": "from shop import order_total\n\ndef test_empty():\n    assert order_total([]) == 0\n",
    })
    passing = "```python\nfrom shop import order_total\n\ndef test_t():\n    assert order_total([]) == 0\n```"
    script = write_script(tmp_path / "model.jsonl", [{"text": passing, "cost_usd": 0.5}] * 3)
    done = suture("fix", "--json", "--issue", ISSUE, "--model", f"scripted:{script}", "--max-cost", "0.4", cwd=repo)
    assert done.returncode == 5 and "budget" in done.stderr and "Traceback" not in done.stderr
