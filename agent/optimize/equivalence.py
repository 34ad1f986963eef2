"""Optimize's correctness gate, through the GateRunner `fix` uses (agent/gates/validate.py).

A candidate is applied, with the edits accepted so far, in a pooled scratch tree of the base
commit, as SEARCH/REPLACE edits: the shared gates refuse edits of protected paths and oversized
ones, block named risks (agent/gates/tamper.py) and run the whole suite with its sentinel (what
passed at the base must still pass; tests failing at the base are not held against it). Its
verifier is the replay of the workload's recorded calls. The verdict is read back into the
candidate's Judged record with optimize's own stage names and reasons (tests -> replay).

The bounded equivalence verifier against `best` (`bounded_equivalence`) runs after the clock, on the
candidates worth keeping (agent/optimize/measure.py): it is time-bounded (Hypothesis, then CrossHair
until --verify-seconds), most of a candidate's CPU, and most candidates are not significantly faster.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from suture.agent.exitcodes import SutureExit
from suture.agent.gates import tamper
from suture.agent.gates.validate import GateRunner
from suture.agent.gates.verdict import Candidate, GateVerdict
from suture.agent.optimize.bench import (
    CHECK_CAP_SECONDS, Bench, TimedOut, last_json, run_harness, sentence, stage_limit,
)
from suture.agent.optimize.state import Judged, OptimizeState
from suture.tools.edits import CreateFile, edit_between
from suture.tools.llm.client import head_tail


def baseline_tests(state: OptimizeState) -> None:
    from suture.tools.testing.testrun import (
        TestRunError, baseline_test_limit, hang_limits, hang_limits_env, run_tests,
    )

    state.progress.stage("running the tests at the base commit")
    state.test_cmd = state.options.test_cmd
    try:
        run = run_tests(state.best, test_cmd=state.test_cmd, timeout=max(1.0, min(state.left(), 600.0)),
                        per_test_timeout=baseline_test_limit(20.0, state.options.time_limit))
    except TestRunError as error:
        if state.options.test_cmd:
            raise SutureExit(str(error)) from None
        state.tests_note = str(error)
        return
    if run.status not in ("ok",) and not run.outcomes:
        state.tests_note = f"no test ran at the base ({run.status})"
        return
    state.passing = run.passed
    # A test that hung at the base is not held against candidates (it is not among `passing`), and in
    # the gates' trees it gets the short limit fix gives hanging tests (testrun.hang_limits), not the full one.
    state.hanging = [n for n, o in run.outcomes.items() if o.outcome == "timeout"]
    if state.pool is not None and state.hanging:
        state.pool.env.update(hang_limits_env(hang_limits(run, state.hanging)))
    failing = run.failed
    if failing:
        state.tests_note = f"{len(failing)} test(s) already fail at the base and are not held against candidates"
    state.log("tests", passing=len(run.passed), failing=failing)


def _specs(bench: Bench, proposal: Candidate) -> list[str]:
    specs = [bench.spec] if bench.spec else []
    for path, function in proposal.functions:
        spec = f"{path}::{function}"
        if spec not in specs:
            specs.append(spec)
    return specs


def replay_gate(state: OptimizeState, bench: Bench, proposal: Candidate, tree: Path) -> tuple[str, str]:
    """(verdict, reason): passed | mismatch | no_inputs | unsupported; the calls recorded from the
    workload in `best`, replayed in `tree` (the candidate's)."""
    if bench.kind == "command":
        return "unsupported", "a bench command that is not python or pytest cannot be recorded"
    inputs = []
    for spec in _specs(bench, proposal):
        key = (bench.label, spec)
        if key not in state.recordings:
            path = state.run_dir / "inputs" / f"{len(state.recordings)}.pkl"
            path.parent.mkdir(exist_ok=True)
            done = run_harness("record", [*bench.harness_args(state.best), "--watch", spec, "--out", str(path)],
                            state.best, max(10.0, min(state.left(), 300.0)), bench.harness, writable=[path.parent])
            recorded = last_json(done.stdout, "suture_record")
            state.log("recorded", spec=spec, result=recorded, error=None if done.returncode == 0 else sentence(done))
            state.recordings[key] = path if done.returncode == 0 and recorded and recorded["recorded"].get(spec) else None
        if state.recordings[key] is not None:
            inputs.append(state.recordings[key])
    if not inputs:
        return "no_inputs", "no call of the changed functions could be recorded from the workload"
    checked = 0
    for path in inputs:
        limit, cut = stage_limit(state, CHECK_CAP_SECONDS)
        done = _replay(state, bench, ["--root", str(tree), "--inputs", str(path)], tree, limit)
        result = last_json(done.stdout, "suture_replay")
        if isinstance(done, TimedOut) and cut:  # rejected all the same, but not for a behaviour it showed
            return "mismatch", f"the time limit ran out while replaying the recorded inputs ({sentence(done)})"
        if done.returncode != 0 or result is None:
            return "mismatch", f"replaying the recorded inputs failed: {sentence(done)}"
        if result["mismatches"]:
            first = result["mismatches"][0]
            return "mismatch", (f"{first['function']} on recorded input {head_tail(first['inputs'], 200)} gave "
                                f"{head_tail(first['actual'], 200)}, the base gave {head_tail(first['expected'], 200)}")
        checked += result["checked"]
    return ("passed", f"{checked} recorded call(s) give the same results") if checked else \
        ("no_inputs", "no recorded call could be replayed")


def _replay(state: OptimizeState, bench: Bench, args: list[str], tree: Path, limit: float):
    """One replay run of the harness: a child forked from the run's warm harness for `tree` (tools/perf/warm.py,
    as the timed runs are; a replay imports the tree's code afresh all the same), else a fresh process."""
    import subprocess

    from suture.tools.childenv import project_env
    from suture.tools.perf import warm

    argv = ["replay", *args]
    if state.warm is not None and warm.available():
        try:
            server = state.warm.server([*bench.harness, "serve"], tree, {**project_env(), "PYTHONHASHSEED": "0"},
                                       ready_seconds=min(warm.READY_SECONDS, limit))
            stdout, stderr, code, _ = server.run(argv, {}, limit)
            return subprocess.CompletedProcess(argv, code, stdout, stderr)
        except subprocess.TimeoutExpired:
            return TimedOut(argv, 124, "", f"the replay run took longer than {limit:.0f} s.")
        except warm.ServerGone:
            pass  # a fresh process, as before
    return run_harness("replay", args, tree, limit, bench.harness)


def bounded_equivalence(state: OptimizeState, proposal: Candidate, tree: Path) -> tuple[str, str]:
    """(verdict, reason): the weakest verdict of the bounded verifier over the changed functions of
    `tree` against `best`'s; a `counterexample` names the inputs."""
    from suture.tools.verify.verifier import Target, import_root, verify

    verdicts = []
    for path, function in proposal.functions:
        if not path.endswith(".py") or state.left() < 5:
            continue
        file = tree / path
        root = import_root(file)
        rel = file.resolve().relative_to(root.resolve()).as_posix()
        base_source = (state.best / path).read_text(encoding="utf-8")
        verdict = verify(Target(root, rel, function, base_source), "equivalence",
                         time_limit=min(state.options.verify_seconds, state.left()))
        state.log("verifier", function=f"{path}::{function}", **verdict.to_dict())
        if verdict.verdict == "counterexample":
            cx = verdict.counterexample
            shown = ", ".join(f"{k}={v}" for k, v in cx.inputs.items()) if cx else ""
            what = f" ({cx.expected} before, {cx.actual} after)" if cx and cx.expected else ""
            return "counterexample", f"{function} differs from the base on {head_tail(shown, 200)}{what}"
        verdicts.append(verdict.verdict)
    order = ("exhausted", "no_counterexample_within_bound", "unsupported", "error")
    weakest = max(verdicts, key=order.index) if verdicts else "unsupported"
    return weakest, ""


def gate(state: OptimizeState, bench: Bench, proposal: Candidate, judged: Judged) -> bool:
    """Judge `proposal` for correctness in the shared gates; fill `judged` (stage, reason, equivalence)
    and say whether it passed every one."""
    check = _EquivalenceCheck(state, bench, proposal)
    runner = GateRunner(state.pool.repo, baseline_failing=(), baseline_passing=state.passing or (),
                        test_cmd=state.test_cmd, workers=1, pool=state.pool, verifier=check,
                        # A hot spot of a pytest bench may be a test helper: optimize has always rewritten those.
                        allow_test_edits=True, run_tests=bool(state.passing),
                        # A few candidates, each timed for seconds after: one fresh run each, as the baseline ran.
                        warm_runs=False)
    edits = [e for path in sorted({*state.changed, *proposal.files}) for e in _stacked_edits(state, proposal, path)]
    verdict = runner.run(dataclasses.replace(proposal, edits=edits), time_limit=max(5.0, state.left()))
    return _read(state, verdict, judged)


def _stacked_edits(state: OptimizeState, proposal: Candidate, path: str) -> list:
    """The edit that turns `path` at the base into the candidate's text (or `best`'s, for a file only
    earlier accepted edits changed)."""
    new = proposal.files[path] if path in proposal.files else (state.best / path).read_text(encoding="utf-8")
    if path in state.base_texts:
        base = state.base_texts[path]
    else:  # `best` still holds the base's version
        base = (state.best / path).read_text(encoding="utf-8") if (state.best / path).is_file() else None
    if base is None:
        return [CreateFile(path, new)]
    return [edit_between(path, base, new)]


class _EquivalenceCheck:
    """The gates' verifier for one candidate: the replay of the recorded calls, in the gate's tree.

    Returns (verdict, reason, data) as GateRunner's verifiers do: `counterexample` rejects; `data`
    says which check decided ("stage") and its verdict. The bounded verifier comes after the clock.
    """

    def __init__(self, state: OptimizeState, bench: Bench, proposal: Candidate) -> None:
        self.state, self.bench, self.proposal = state, bench, proposal

    def __call__(self, tree: Path, symbols: Any) -> tuple[str, str, dict[str, str]]:
        replay, reason = replay_gate(self.state, self.bench, self.proposal, tree)
        return ("counterexample" if replay == "mismatch" else replay), reason, {"stage": "replay", "replay": replay}


def _read(state: OptimizeState, verdict: GateVerdict, judged: Judged) -> bool:
    """The shared verdict as optimize's Judged record; True when every gate before the clock passed."""
    refused = [r for r in verdict.edit_results if not r.applied]
    if verdict.stage == "risk" or refused:
        judged.stage, judged.reason = verdict.stage, verdict.message
        return False
    if verdict.stage != "verifier":  # the suite gate (or no test could run): the tests decided
        judged.stage = "tests"
        broken = verdict.regressions
        judged.equivalence["tests"] = "tampered" if verdict.message.startswith(tamper.TAMPER_PREFIX) else "regressions"
        judged.reason = f"{len(broken)} test(s) passing at the base fail: {', '.join(broken[:3])}" if broken \
            else verdict.message
        return False
    judged.equivalence["tests"] = "passed" if state.passing else "no_tests"
    data = verdict.verification or {"stage": "replay", "replay": verdict.verifier}  # the hook itself failed
    judged.stage = data["stage"]
    judged.equivalence.update((k, v) for k, v in data.items() if k != "stage")
    if verdict.accepted:
        return True
    judged.reason = verdict.verifier_details
    return False
