"""`suture replay RUN` and `suture fix --resume RUN`, end to end through the CLI.

The model is the one thing faked (scripted providers); baselines, the rule engine, the
planner's tools and the gates all run for real, in the original run and in its replay.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import git

from suture.agent.fix.replay import describe
from test_cli_fix_model import (
    CALC_BUG,
    CSV_BUG,
    GOOD_EDIT,
    PLANS,
    WRONG_EDIT,
    last_json,
    second_attempt_run,
    straight_to_model_run,
    suture,
    transcript,
    turn,
    write_script,
)

EXPLORE = [turn(("localize", {})), turn(("read_code", {"path": "contacts/records.py"})), turn(("state_plans", PLANS))]


def fix(repo, script):
    return suture("fix", "--json", "--time-limit", "240", "--max-candidates", "2", "--model", f"scripted:{script}",
                  cwd=repo)


def trajectory(run_dir):
    return [json.loads(line) for line in (run_dir / "trajectory.jsonl").read_text().splitlines()]


def run_id(report):
    return report["run_dir"].rsplit("/", 1)[-1]


@pytest.mark.slow  # a whole suture run (shared with tests/test_cli_fix_model.py) and its replays: scheduled first
def test_a_planner_run_fixed_on_its_second_proposal_replays_to_the_same_patch(tmp_path_factory, tmp_path):
    # The run of test_cli_fix_model's test_fix_found_on_the_second_attempt_after_gate_feedback: the model
    # proposes a wrong patch, then the right one, each tool call with a provider's own id. Its replays add
    # run records beside it in .suture/, which that test never reads.
    done = second_attempt_run(tmp_path_factory)
    repo, script = done.repo, done.place / "model.jsonl"
    assert done.returncode == 0, done.stderr
    original = last_json(done)
    assert original["engine"] == "model" and "csv.reader" in original["patch"]

    replayed = suture("replay", run_id(original), "--json", cwd=repo)
    assert replayed.returncode == 0, replayed.stderr
    report = last_json(replayed)
    assert report["reproduced"] is True and report["patch"] == original["patch"]
    assert report["status"] == "fixed" and report["model_calls"] == {"recorded": 5, "replayed": 5}
    # The replay's model was sent exactly the conversation the recorded model was sent.
    replay_script = Path(report["replay_dir"]) / "script.jsonl"
    assert [c["messages"] for c in transcript(replay_script)] == [c["messages"] for c in transcript(script)]
    start = trajectory(Path(report["run_dir"]))[0]
    assert start["options"]["mode"] == "print" and start["options"]["max_candidates"] == 2

    # A record whose model turn is not the one that happened: the replay says so, with both patches.
    tampered = tmp_path / "tampered"
    shutil.copytree(original["run_dir"], tampered)
    events = trajectory(tampered)
    last_turn = [e for e in events if e["event"] == "model"][-1]
    call = last_turn["tool_calls"][0]["function"]
    arguments = json.loads(call["arguments"])
    arguments["edits"][0]["replace"] = "    return list(csv.reader([line]))[0]"
    call["arguments"] = json.dumps(arguments)
    (tampered / "trajectory.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    different = suture("replay", str(tampered), "--repo", str(repo), "--json", cwd=tmp_path)
    assert different.returncode == 1, different.stderr
    report = last_json(different)
    assert report["reproduced"] is False and "patch" not in report
    assert report["recorded"]["patch"] == original["patch"]
    assert "list(csv.reader([line]))[0]" in report["replayed"]["patch"] and report["replayed"]["status"] == "fixed"
    assert report["first_difference"]["event"] == "tool" and report["first_difference"]["at"] == 5
    text = describe(report)  # what `suture replay` prints without --json
    assert text.startswith(f"NOT reproduced: run {tampered.name}") and "a different patch" in text
    assert "first difference: tool 5" in text
    recorded_part = text[text.index("--- recorded patch ---"):text.index("--- replayed patch ---")]
    assert "+    return next(csv.reader([line]))" in recorded_part
    assert "+    return list(csv.reader([line]))[0]" in text[text.index("--- replayed patch ---"):]

    # A record missing its last model turn: the replayed planner asks for one more and the replay says so.
    (tampered / "trajectory.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events if e is not last_turn))
    short = suture("replay", str(tampered), "--repo", str(repo), "--json", cwd=tmp_path)
    assert short.returncode == 1, short.stderr
    report = last_json(short)
    assert report["reproduced"] is False and "has no turn left for call 5" in report["error"]
    assert report["model_calls"] == {"recorded": 4, "replayed": 5} and report["replayed"]["patch"] == ""


@pytest.mark.slow  # a whole suture run or two: scheduled first (conftest.py)
def test_a_rule_engine_run_replays_and_a_moved_head_is_refused(make_repo):
    repo = make_repo(CALC_BUG)
    done = suture("fix", "--json", "--max-candidates", "4", cwd=repo)
    assert done.returncode == 0, done.stderr
    original = last_json(done)
    assert original["engine"] == "rules"

    replayed = suture("replay", run_id(original), cwd=repo)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.startswith(f"reproduced: run {run_id(original)}")
    assert "-    return a - b" in replayed.stdout

    base = git(repo, "rev-parse", "HEAD").strip()
    (repo / "README").write_text("calc\n")
    git(repo, "add", "README")
    git(repo, "commit", "-qm", "readme")
    moved = suture("replay", run_id(original), "--json", cwd=repo)
    assert moved.returncode == 2 and json.loads(moved.stdout)["exit_code"] == 2
    assert f"made at commit {base}" in moved.stderr and "Traceback" not in moved.stderr
    assert len(moved.stderr.strip().splitlines()) == 1


def test_unknown_runs_are_one_sentence(make_repo, tmp_path):
    repo = make_repo(CALC_BUG)
    unknown = suture("replay", "20990101-000000-fix-abcdef", cwd=repo)
    assert unknown.returncode == 2 and "there is no run 20990101-000000-fix-abcdef" in unknown.stderr
    not_a_run = suture("replay", str(tmp_path), "--repo", str(repo), cwd=repo)
    assert not_a_run.returncode == 2 and "no trajectory.jsonl" in not_a_run.stderr
    resume = suture("fix", "--resume", "nope", cwd=repo)
    assert resume.returncode == 2 and "there is no run nope" in resume.stderr
    for done in (unknown, not_a_run, resume):
        assert "Traceback" not in done.stderr


@pytest.mark.slow  # a whole suture run or two: scheduled first (conftest.py)
def test_an_interrupted_run_resumes_without_asking_the_new_model_for_the_recorded_turns(make_repo, tmp_path):
    repo = make_repo(CSV_BUG)
    wrong = turn(("propose_edit", {"plan": 2, "edits": [WRONG_EDIT]}))
    first = write_script(tmp_path / "first.jsonl", EXPLORE + [wrong])
    interrupted = fix(repo, first)
    assert interrupted.returncode == 4 and "has no turn left for call 5" in interrupted.stderr
    runs = sorted((repo / ".suture" / "runs").glob("*-fix-*"))
    assert len(runs) == 1 and not any(e["event"] == "end" for e in trajectory(runs[0]))
    run = runs[0].name

    no_patch_yet = suture("replay", run, cwd=repo)
    assert no_patch_yet.returncode == 2 and f"suture fix --resume {run}" in no_patch_yet.stderr
    conflicting = suture("fix", "--resume", run, "--test-cmd", "pytest", cwd=repo)
    assert conflicting.returncode == 2 and "leave out --test-cmd" in conflicting.stderr

    rest = write_script(tmp_path / "rest.jsonl", [turn(("propose_edit", {"plan": 1, "edits": [GOOD_EDIT]}))])
    resumed = suture("fix", "--resume", run, "--model", f"scripted:{rest}", "--json", cwd=repo)
    assert resumed.returncode == 0, resumed.stderr
    report = last_json(resumed)
    assert report["status"] == "fixed" and "csv.reader" in report["patch"]
    assert report["planner"]["steps"] == 5 and report["cost"]["calls"] == 5  # 4 played back + 1 new
    # The new model was asked once, with the whole conversation so far, recorded turns included.
    sent = transcript(rest)
    assert len(sent) == 1
    history = sent[0]["messages"]
    asked = [c["function"]["name"] for m in history if m["role"] == "assistant" for c in m.get("tool_calls", [])]
    assert asked == ["localize", "read_code", "state_plans", "propose_edit"]
    assert "model-1 REJECTED" in history[-1]["content"]
    assert len(transcript(first)) == 5  # the first model's transcript is untouched by the resume
    start = trajectory(Path(report["run_dir"]))[0]
    assert start["options"]["resumed_from"] == run

    # A record the repository no longer agrees with (here: a read_code output that differs): playback
    # stops there and the model answers from that step on, seeing what the tools really say now.
    stale = tmp_path / "stale-run"
    shutil.copytree(runs[0], stale)
    events = trajectory(stale)
    for event in events:
        if event["event"] == "tool" and event["name"] == "read_code":
            event["output"] = event["output"].replace('line.split(",")', 'line.split(";")')
    (stale / "trajectory.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    takeover = write_script(tmp_path / "takeover.jsonl", [
        turn(("state_plans", PLANS)), turn(("propose_edit", {"plan": 1, "edits": [GOOD_EDIT]}))])
    diverged = suture("fix", "--resume", str(stale), "--repo", str(repo), "--model", f"scripted:{takeover}",
                      "--json", cwd=tmp_path)
    assert diverged.returncode == 0, diverged.stderr
    assert "differ from the record" in diverged.stderr and last_json(diverged)["planner"]["steps"] == 4
    sent = transcript(takeover)
    assert len(sent) == 2
    assert [m.get("tool_calls", [{}])[0].get("function", {}).get("name") for m in sent[0]["messages"]
            if m["role"] == "assistant"] == ["localize", "read_code"]
    assert 'line.split(",")' in sent[0]["messages"][-1]["content"]

    finished = suture("fix", "--resume", run_id(report), cwd=repo)
    assert finished.returncode == 2 and "already finished (status fixed)" in finished.stderr
    # The resumed run is a whole record: it replays to the same patch from its five turns.
    replayed = suture("replay", run_id(report), "--json", cwd=repo)
    assert replayed.returncode == 0, replayed.stderr
    assert last_json(replayed)["patch"] == report["patch"]


@pytest.mark.slow  # a whole suture run (shared with tests/test_cli_fix_model.py) and its replay: scheduled first
def test_a_max_candidates_0_run_replays_to_the_models_patch_not_the_rule_engines(tmp_path_factory):
    # The rule engine would repair this bug as `a + b`; with --max-candidates 0 the model's `b + a`
    # is the patch, and the replay must keep the rule engine out exactly as the recorded run did.
    done = straight_to_model_run(tmp_path_factory)
    repo = done.repo
    assert done.returncode == 0, done.stderr
    original = last_json(done)
    assert original["engine"] == "model" and "+    return b + a" in original["patch"]

    replayed = suture("replay", run_id(original), "--json", cwd=repo)
    assert replayed.returncode == 0, replayed.stderr
    report = last_json(replayed)
    assert report["reproduced"] is True and report["patch"] == original["patch"]
    start = trajectory(Path(report["run_dir"]))[0]
    assert start["options"]["max_candidates"] == 0 and start["options"]["mode"] == "print"
    assert not any(e["event"] == "candidate" and e.get("template") for e in trajectory(Path(report["run_dir"])))
