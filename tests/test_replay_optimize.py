"""`suture replay RUN` and `suture optimize --resume RUN` for optimize runs, through the CLI.

The model is the one thing faked (scripted provider); the harness, tests, verifier and timing run
for real. The speed-up on offer is quadratic -> linear, so the timing gate's call is never close.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import QUADRATIC_DEDUPE, last_json, suture
from test_cli_optimize import VERIFY  # a short verifier bound: not what this test is about

# A hand-written inner loop the rewrite rules do not match (no method call in a loop either, so no
# rule's near-1.0x candidate can pass the timing gate by luck): only the model's edit is on offer.
INNER_LOOP = {**QUADRATIC_DEDUPE, "uniq/core.py": """
    def dedupe(items: list[int]) -> list[int]:
        out = []
        for item in items:
            found = False
            for other in out:
                if other == item:
                    found = True
                    break
            if not found:
                out[len(out):] = [item]
        return out
"""}
WORKLOAD_ANSWER = ("Here is a workload.\n```python\ndef make_input(scale):\n"
                   "    return ([(i * 7919) % (scale * 60) for i in range(scale * 100)],)\n```\n")
GOOD_EDIT = (
    "Remember what was seen in a set.\n\nuniq/core.py\n<<<<<<< SEARCH\n"
    "        found = False\n        for other in out:\n            if other == item:\n"
    "                found = True\n                break\n        if not found:\n            out[len(out):] = [item]\n"
    "=======\n        if item not in seen:\n            seen |= {item}\n            out[len(out):] = [item]\n"
    ">>>>>>> REPLACE\n\nuniq/core.py\n<<<<<<< SEARCH\n    out = []\n=======\n    out = []\n    seen = set()\n"
    ">>>>>>> REPLACE\n"
)


def _script(path: Path, *texts: str) -> Path:
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    return path


def _events(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "trajectory.jsonl").read_text().splitlines()]


@pytest.mark.slow  # a whole suture run or two: scheduled first (conftest.py)
def test_an_interrupted_optimize_run_resumes_and_its_record_replays(make_repo, tmp_path):
    repo = make_repo(INNER_LOOP)
    # The model writes the workload, then the script runs out when the edit is asked for: exit 4, no "end".
    first = _script(tmp_path / "first.jsonl", WORKLOAD_ANSWER)
    interrupted = suture("optimize", "--target", "uniq.core:dedupe", "--model", f"scripted:{first}",
                         "--rounds", "4", "--json", *VERIFY, cwd=repo)
    assert interrupted.returncode == 4, interrupted.stdout[-2000:] + interrupted.stderr
    [run_dir] = (repo / ".suture" / "runs").glob("*-optimize-*")
    assert not any(e["event"] == "end" for e in _events(run_dir))
    run = run_dir.name
    wrong_command = suture("fix", "--resume", run, cwd=repo)
    assert wrong_command.returncode == 2 and f"suture optimize --resume {run}" in wrong_command.stderr
    conflicting = suture("optimize", "--resume", run, "--target", "uniq.core:dedupe", cwd=repo)
    assert conflicting.returncode == 2 and "leave out --target" in conflicting.stderr

    # The resumed run plays the recorded workload answer back and asks the new model only for the edit.
    rest = _script(tmp_path / "rest.jsonl", GOOD_EDIT)
    resumed = suture("optimize", "--resume", run, "--model", f"scripted:{rest}", "--json", cwd=repo)
    assert resumed.returncode == 0, resumed.stderr
    report = last_json(resumed)
    assert report["status"] == "optimized" and "seen = set()" in report["patch"]
    sent = [json.loads(line) for line in rest.with_suffix(".transcript.jsonl").read_text().splitlines()]
    assert "make_input" not in sent[0]["messages"][-1]["content"].split("\n")[0]  # the edit prompt, not the workload's
    assert "SEARCH/REPLACE" in json.dumps(sent[0]["messages"]) or "speed up" in json.dumps(sent[0]["messages"])
    start = _events(Path(report["run_dir"]))[0]
    assert start["command"] == "optimize" and start["options"]["resumed_from"] == run
    assert start["options"]["rounds"] == 4 and start["options"]["target"] == "uniq.core:dedupe"
    assert start["options"]["verify_seconds"] == 3  # recorded, and the resumed run bounds its verifier by it

    # The resumed run's record replays: same options, its model answers played back, the same patch.
    replayed = suture("replay", Path(report["run_dir"]).name, "--json", cwd=repo)
    assert replayed.returncode == 0, replayed.stderr
    again = last_json(replayed)
    assert again["reproduced"] is True and again["patch"] == report["patch"]
    assert again["command"] == "optimize" and again["model_calls"]["recorded"] == 2
    assert (repo / "uniq/core.py").read_text().count("found = False") == 1  # replay and print mode wrote nothing
