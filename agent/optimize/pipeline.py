"""The `suture optimize` pipeline: baseline -> profile -> propose -> gate -> measure -> stack -> deliver.

Like `fix`, everything runs in scratch worktrees of the base commit and the user's tree is
only written on --apply / --commit (agent/fix/deliver.py). Two trees: `best` holds the accepted
edits stacked so far (each round's baseline), `candidate` is `best` plus the one edit being
judged, restored after every candidate.

A candidate passes, in order: parse -> the repo's tests (the ones passing at the base must
still pass) -> replay of inputs recorded from the workload (results and argument mutations,
tools/perf/harness.py) -> bounded equivalence (tools/verifier.verify, a `counterexample` rejects)
-> timing (tools/timing.compare, interleaved fresh processes; the CI's lower bound must clear
the threshold) -> callgrind's instruction ratio when valgrind is there (a disagreement with
the wall clock is flagged, not fatal). An edit that changes output on any input it was shown
is never applied. Accepted edits stack; the next round re-profiles the stacked tree.

Over 600 lines as one concept for now: the stages of optimize (profile, propose, gate,
measure, stack) still share one state object; they become separate modules when optimize
runs on fix's GateRunner (issue 15).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import math
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture import prompts
from suture.agent import runs
from suture.agent.fix.deliver import DeliveryRefused, check_repo_state, deliver
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.options import OptimizeOptions  # noqa: F401 (its home moved; callers import it here)
from suture.agent.gates.validate import Candidate
from suture.tools.git import gitstate
from suture.tools.git.diffs import text_diff
from suture.tools.llm.client import BudgetExceeded, LLMError, head_tail, python_blocks
from suture.tools.testing.pytest_shim import harness_command
from suture.tools.git.worktree import WorkspaceError, scratch_worktree
from suture.tools.git import cmd as gitcmd

MIN_WORKLOAD_SECONDS = 0.05  # the floor: no timing on unit-test-sized inputs
MAX_HOTSPOTS = 5  # functions per round the rules (and the model) look at
DELIVERY_RESERVE_SECONDS = 3.0
HARNESS = [sys.executable, "-m", "suture.tools.perf.harness"]


OptimizeProgress = runs.RunProgress  # the live status of an optimize run (agent/runs.py)


@dataclass
class OptimizeOutcome:
    report: dict[str, Any]
    exit_code: ExitCode


@dataclass
class Judged:
    # The shared Candidate (agent/gates/validate.py): `source` is the rewrite rule's id or "model", `files`
    # the whole-file texts after the change, `functions` the (path, qualname) pairs it changes.
    proposal: Candidate
    stage: str  # the gate it stopped at, "measured" when it got through every equivalence gate
    reason: str
    accepted: bool = False
    equivalence: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, Any] | None = None
    instructions_ratio: float | None = None
    callgrind_disagrees: bool = False
    diff: str = ""
    seconds: float = 0.0
    guidance: str = ""

    def summary(self) -> dict[str, Any]:
        out = {"id": self.proposal.id, "source": self.proposal.source, "description": self.proposal.description,
               "functions": [f"{p}::{q}" for p, q in self.proposal.functions], "stage": self.stage,
               "reason": self.reason, "accepted": self.accepted, "equivalence": self.equivalence,
               "seconds": round(self.seconds, 2)}
        if self.timing:
            out.update(speedup=self.timing["speedup"], ci_low=self.timing["ci_low"], ci_high=self.timing["ci_high"],
                       significant=self.timing["significant"])
        return out


# ---------------------------------------------------------------- the bench: what is timed


@dataclass
class Bench:
    """How one measured run is started, in any tree: a function on its workload, or a command."""

    kind: str  # "function" | "script" | "pytest" | "command"
    label: str
    spec: str | None = None  # function targets: the harness's spec
    path: str | None = None  # function targets: tree-relative file and qualname
    function: str | None = None
    workload: str | None = None
    scale: int = 1
    argv: list[str] = field(default_factory=list)  # script: [script, args...]; pytest: args; command: argv
    harness: list[str] = field(default_factory=lambda: list(HARNESS))  # under the project's Python

    def harness_args(self, tree: Path) -> list[str]:
        if self.kind == "function":
            return ["--root", str(tree), "--target", self.spec, "--workload", self.workload, "--scale", str(self.scale)]
        if self.kind == "script":
            return ["--root", str(tree), "--script", self.argv[0], *[f"--script-arg={a}" for a in self.argv[1:]]]
        return ["--root", str(tree), "--pytest", shlex.join(self.argv)]

    def runner(self, tree: Path):
        from suture.tools.perf.timing import Runner

        env = {**os.environ, "PYTHONHASHSEED": "0"}
        if self.kind == "command":
            return Runner(list(self.argv), tree, env)
        return Runner([*self.harness, "time", *self.harness_args(tree)], tree, env)

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "target": self.label}
        if self.kind == "function":
            out.update(path=self.path, function=self.function, scale=self.scale, workload=self.workload)
        return out


def _harness(mode: str, args: list[str], tree: Path, timeout: float,
             harness: Sequence[str] = HARNESS) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([*harness, mode, *args], cwd=tree, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONHASHSEED": "0"}, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess([], 124, "", f"the {mode} run took longer than {timeout:.0f} s.")


def _last_json(stdout: str, key: str) -> Any:
    for line in reversed(stdout.strip().splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and key in data:
            return data[key]
    return None


def _sentence(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (done.stderr or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"it exited with {done.returncode}"


# ---------------------------------------------------------------- the pipeline


def run_optimize(repo: Path, options: OptimizeOptions, on_progress: Callable[[OptimizeProgress], None] | None = None,
                 ask: Callable[[str], str | None] | None = None) -> OptimizeOutcome:
    """Speed up `repo` on its bench or target functions; deliver per `options.mode`.

    Raises SutureExit for bad input: no target, a target that is not there, a bench that
    fails or is non-deterministic, a workload too fast to time, a repo state `mode` cannot
    write to. `ask` answers --interactive questions (default: a line from stdin).
    """
    started = time.monotonic()
    deadline = started + options.time_limit
    targets = list(options.targets) or ([options.target] if options.target else [])
    if bool(targets) == bool(options.bench_cmd):
        raise SutureExit("give exactly one of --bench-cmd CMD or --target MOD:FUNC.")
    if options.rounds < 3:
        raise SutureExit("--rounds must be at least 3: a confidence interval needs several timing rounds.")
    check_repo_state(repo, options.mode)
    base = gitstate.head_commit(repo)
    if base is None:
        raise SutureExit(f"the repository at {repo} has no commit yet; commit once so suture can measure HEAD.")
    run_dir = runs.new_run_dir(repo, "optimize")
    log = runs.Trajectory(run_dir / "trajectory.jsonl").log
    log("start", command="optimize", repo=str(repo), base=base, options=options.to_record())
    client = _client(options)
    progress = runs.ProgressReporter(on_progress, started)
    if options.resume_from is not None:  # an --interactive run's recorded answers first, then the user's
        from suture.agent.playback import recorded_answers

        ask = recorded_answers(options.resume_from, then=ask or _ask_stdin)
    state = _State(options=options, client=client, log=log, progress=progress, deadline=deadline, run_dir=run_dir,
                   ask=ask or _ask_stdin)
    benches, summary, patch, budget_hit = _search(repo, state, base, targets)
    return _deliver_and_report(repo, state, base, started, benches, summary, patch, budget_hit)


def _search(repo: Path, state: _State, base: str, targets: list[str]) -> tuple[list[Bench], Any, str, bool]:
    """Measure the benches at the base, then stack accepted edits round by round:
    (benches, the PIE-style summary when several, the patch of everything stacked, whether the budget ran out)."""
    options, log = state.options, state.log
    budget_hit = False
    try:
        with ExitStack() as stack:
            best = stack.enter_context(scratch_worktree(repo, base))
            scratch = stack.enter_context(scratch_worktree(repo, base))
            state.best, state.scratch = best, scratch
            benches = [_bench_for_target(state, t, _workload_for(options, i)) for i, t in enumerate(targets)] \
                if targets else [_bench_for_command(state, options.bench_cmd)]
            _baseline_tests(state)
            for bench in benches:
                try:
                    _optimize_bench(state, bench)
                except BudgetExceeded as spent:
                    log("budget", message=spent.message)
                    state.notes.append(spent.message)
                    budget_hit = True
                    break
            summary = _pie_summary(state, benches, base) if len(benches) > 1 else None
            patch = _patch(state)
    except WorkspaceError as error:
        raise SutureExit(str(error)) from None
    except LLMError as error:
        log("error", message=error.message, kind=error.kind)
        raise SutureExit(f"the model provider failed: {error.message}", ExitCode.PROVIDER_ERROR) from None
    return benches, summary, patch, budget_hit


def _deliver_and_report(repo: Path, state: _State, base: str, started: float, benches: list[Bench], summary: Any,
                        patch: str, budget_hit: bool) -> OptimizeOutcome:
    options = state.options
    accepted = [j for j in state.judged if j.accepted]
    delivery = None
    if accepted and patch:
        state.progress.stage("delivering")
        try:
            delivery = deliver(repo, patch, state.run_dir, mode=options.mode, message=_commit_message(accepted),
                               base=base)
        except DeliveryRefused as refused:  # the patch is saved and reported all the same
            delivery = refused.delivery
    status = "optimized" if accepted and patch else "no_significant_speedup"
    report = {
        "status": status,
        "patch": patch if accepted else "",
        "edits": [_edit_report(j) for j in accepted],
        "candidates_tried": len(state.judged),
        "candidates": [j.summary() for j in state.judged],
        "benches": [b.to_dict() for b in benches],
        "hotspots": state.hotspots,
        "tests": state.tests_summary(),
        "cost": runs.cost_summary(state.client),
        "seconds": round(time.monotonic() - started, 2),
        "run_dir": str(state.run_dir),
        "delivery": delivery.to_dict() if delivery else None,
        "notes": state.notes,
        "stopped_because": state.stopped_because or ("cost budget spent" if budget_hit else ""),
    }
    if options.environment is not None:
        report["environment"] = options.environment
    if summary is not None:
        report["summary"] = summary
    runs.write_report(state.run_dir, report)
    state.log("end", status=status)
    if delivery is not None and delivery.refused:
        return OptimizeOutcome(report, ExitCode.BAD_INPUT)
    if accepted:
        return OptimizeOutcome(report, ExitCode.DONE)
    return OptimizeOutcome(report, ExitCode.BUDGET_EXHAUSTED if budget_hit else ExitCode.NOTHING_FOUND)


@dataclass
class _State:
    options: OptimizeOptions
    client: Any
    log: Callable[..., None]
    progress: Any
    deadline: float
    run_dir: Path
    ask: Callable[[str], str | None]
    best: Path = Path()
    scratch: Path = Path()
    test_cmd: str | None = None
    passing: list[str] | None = None  # tests passing at the base; None when the repo has none
    tests_note: str = ""
    judged: list[Judged] = field(default_factory=list)
    hotspots: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recordings: dict[tuple[str, str], Path] = field(default_factory=dict)  # (bench label, spec) -> inputs file
    changed: set[str] = field(default_factory=set)  # paths `best` differs from the base in
    guidance: list[str] = field(default_factory=list)
    stopped_because: str = ""

    def left(self) -> float:
        return self.deadline - time.monotonic() - DELIVERY_RESERVE_SECONDS

    def tests_summary(self) -> dict[str, Any]:
        return {"command": self.test_cmd, "passing_before": len(self.passing or []),
                "ran": self.passing is not None, "note": self.tests_note}


def _workload_for(options: OptimizeOptions, index: int) -> str | None:
    if index < len(options.workloads):
        return options.workloads[index]
    return options.workload


# ---------------------------------------------------------------- targets


def locate(tree: Path, spec: str) -> tuple[str, str]:
    """(tree-relative path, qualname) of a "pkg.mod:func" or "path.py::func" target; SutureExit when absent."""
    from suture.tools.verify.verifier import find_function

    if "::" in spec:
        where, _, qualname = spec.partition("::")
        candidates = [where]
    else:
        where, sep, qualname = spec.rpartition(":")
        if not sep or not where or not qualname:
            raise SutureExit(f"--target {spec!r} is neither MODULE:FUNC nor path/to/file.py::func.")
        if where.endswith(".py"):
            candidates = [where]
        else:
            stem = where.replace(".", "/")
            candidates = [f"{prefix}{stem}{suffix}" for prefix in ("", "src/") for suffix in (".py", "/__init__.py")]
    for rel in candidates:
        file = tree / rel
        if file.is_file():
            try:
                module = ast.parse(file.read_text(encoding="utf-8", errors="replace"))
            except SyntaxError:
                raise SutureExit(f"the target file {rel} does not parse at the base commit.") from None
            if find_function(module, qualname) is None:
                raise SutureExit(f"the target {spec} was not found: {rel} defines no function {qualname}.")
            return Path(rel).as_posix(), qualname
    raise SutureExit(f"the target {spec} was not found: no file {candidates[0]} in the base commit.")


def _bench_for_target(state: _State, spec: str, workload: str | None) -> Bench:
    path, qualname = locate(state.best, spec)
    bench = Bench("function", spec, spec=f"{path}::{qualname}", path=path, function=qualname,
                  harness=harness_command(state.options.python))
    if workload is None:
        if state.client is None:
            raise SutureExit(f"--target {spec} needs --workload FILE (a python file defining make_input(scale)), "
                             "or a model (--model) to write one.")
        workload = _model_workload(state, bench)
    else:
        workload = str(Path(workload).expanduser().resolve())
        if not Path(workload).is_file():
            raise SutureExit(f"the workload file {workload} does not exist.")
    bench.workload = workload
    state.progress.stage(f"sizing the workload of {spec}")
    done = _harness("scale", ["--root", str(state.best), "--target", bench.spec, "--workload", workload,
                              "--min-seconds", str(MIN_WORKLOAD_SECONDS)], state.best, max(10.0, min(state.left(), 120.0)),
                    bench.harness)
    scale = _last_json(done.stdout, "suture_scale")
    if done.returncode != 0 or scale is None:
        raise SutureExit(f"cannot time {spec}: {_sentence(done)}")
    bench.scale = int(scale)
    state.log("workload", target=spec, scale=bench.scale, seconds=_last_json(done.stdout, "seconds"))
    _check_deterministic(state, bench)
    return bench


def _bench_for_command(state: _State, command: str) -> Bench:
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise SutureExit(f"the bench command {command!r} cannot be parsed: {error}.") from None
    if not argv:
        raise SutureExit("the bench command is empty.")
    names = [Path(a).name for a in argv[:3]]
    if argv[0].endswith(".py"):
        bench = Bench("script", command, argv=argv)
    elif names[0].startswith("python") and len(argv) > 1 and argv[1].endswith(".py"):
        bench = Bench("script", command, argv=argv[1:])
    elif names[0] == "pytest":
        bench = Bench("pytest", command, argv=argv[1:])
    elif names[0].startswith("python") and argv[1:3] == ["-m", "pytest"]:
        bench = Bench("pytest", command, argv=argv[3:])
    else:
        bench = Bench("command", command, argv=argv)
    bench.harness = harness_command(state.options.python)
    if bench.kind == "script" and not (state.best / bench.argv[0]).is_file():
        raise SutureExit(f"the bench script {bench.argv[0]} is not in the base commit (commit it first).")
    _check_deterministic(state, bench)
    return bench


def _run_once(bench: Bench, tree: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    runner = bench.runner(tree)
    try:
        return subprocess.run(runner.argv, cwd=runner.cwd, env=runner.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        return subprocess.CompletedProcess(runner.argv, 127, "", f"the command {runner.argv[0]} was not found.")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(runner.argv, 124, "", f"it took longer than {timeout:.0f} s.")


def _output(stdout: str) -> str:
    """stdout without the timing protocol line."""
    return "\n".join(line for line in stdout.splitlines() if not line.startswith('{"suture_timing"'))


def _check_deterministic(state: _State, bench: Bench) -> None:
    state.progress.stage(f"checking that {bench.label} runs and repeats")
    outputs = []
    for _ in range(2):
        done = _run_once(bench, state.best, max(10.0, min(state.left(), 300.0)))
        if done.returncode != 0:
            raise SutureExit(f"the bench {bench.label} fails at the base commit: {_sentence(done)}")
        outputs.append(_output(done.stdout))
    if outputs[0] != outputs[1]:
        first = next((a for a, b in zip(outputs[0].splitlines(), outputs[1].splitlines()) if a != b), "")
        raise SutureExit(f"the bench {bench.label} is not deterministic: two runs at the base commit printed "
                         f"different output ({head_tail(first, 120)!r}); fix its seeds or drop timing from its output.")


# ---------------------------------------------------------------- tests at the base


def _baseline_tests(state: _State) -> None:
    from suture.tools.testing.testrun import TestRunError, run_tests

    state.progress.stage("running the tests at the base commit")
    state.test_cmd = state.options.test_cmd
    try:
        run = run_tests(state.best, test_cmd=state.test_cmd, timeout=max(10.0, min(state.left(), 600.0)))
    except TestRunError as error:
        if state.options.test_cmd:
            raise SutureExit(str(error)) from None
        state.tests_note = str(error)
        return
    if run.status not in ("ok",) and not run.outcomes:
        state.tests_note = f"no test ran at the base ({run.status})"
        return
    state.passing = run.passed
    failing = run.failed
    if failing:
        state.tests_note = f"{len(failing)} test(s) already fail at the base and are not held against candidates"
    state.log("tests", passing=len(run.passed), failing=failing)


def _tests_gate(state: _State, tree: Path) -> tuple[str, str]:
    """(verdict, reason): passed | regressions | no_tests."""
    from suture.tools.testing.testrun import TestRunError, run_tests

    if not state.passing:
        return "no_tests", state.tests_note or "the repository has no passing tests"
    try:
        run = run_tests(tree, test_cmd=state.test_cmd, timeout=max(5.0, min(state.left(), 600.0)))
    except TestRunError as error:
        return "regressions", str(error)
    broken = [n for n in state.passing if run.outcomes.get(n) is None or run.outcomes[n].outcome != "passed"]
    if broken:
        return "regressions", f"{len(broken)} test(s) passing at the base fail: {', '.join(broken[:3])}"
    return "passed", f"{len(state.passing)} test(s) still pass"


# ---------------------------------------------------------------- the rounds


def _optimize_bench(state: _State, bench: Bench) -> None:
    for round_number in range(1, state.options.max_rounds + 1):
        if state.left() <= 5:
            state.stopped_because = "time limit reached"
            return
        state.progress.stage(f"profiling {bench.label} (round {round_number})")
        hot = _hotspots(state, bench)
        state.hotspots.append({"bench": bench.label, "round": round_number, "hotspots": hot})
        state.log("hotspots", bench=bench.label, round=round_number, hotspots=hot)
        places = _places(bench, hot)
        if not places:
            state.stopped_because = "the profile shows no function of the repository worth rewriting"
            return
        accepted = False
        for proposal in _rule_proposals(state, places):
            if state.left() <= 5:
                break
            if _judge_and_maybe_accept(state, bench, proposal):
                accepted = True
                break
            if state.guidance and state.client is not None:
                break  # the expert asked for something else: the model hears it now
        if not accepted and state.client is not None and state.left() > 5:
            try:
                for proposal in _model_proposals(state, bench, places, hot):
                    if _judge_and_maybe_accept(state, bench, proposal):
                        accepted = True
                        break
            except LLMError as error:
                if not any(j.accepted for j in state.judged):
                    raise
                # The edits already measured stand; a provider failing later only ends the search.
                state.log("error", message=error.message, kind=error.kind)
                state.notes.append(f"the model provider failed, so the search stopped: {error.message}")
                state.stopped_because = "the model provider failed"
                return
        if not accepted:
            if state.guidance and state.client is not None and state.left() > 5:
                continue  # the user's guidance goes to the model in the next round
            state.stopped_because = state.stopped_because or "no candidate of the last round was a significant speed-up"
            return
    state.stopped_because = f"{state.options.max_rounds} rounds done"


def _hotspots(state: _State, bench: Bench) -> list[dict[str, Any]]:
    from suture.retrieval.index import SymbolIndex
    from suture.tools.perf.profile import ProfileError, hotspots, profile

    try:
        stats = profile(bench.runner(state.best), time_limit=max(10.0, min(state.left(), 120.0)))
        index = SymbolIndex.build(state.best, workers=1, use_cache=False)
        found = hotspots(stats, state.best, index, limit=MAX_HOTSPOTS)
    except ProfileError as error:
        state.notes.append(f"profiling failed: {error}")
        found = []
    return [h.to_dict() for h in found]


def _places(bench: Bench, hot: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(path, qualname) to rewrite, best first: the target function, then the hot spots."""
    places: list[tuple[str, str]] = []
    if bench.kind == "function":
        places.append((bench.path, bench.function))
    for spot in hot:
        place = (spot["path"], spot["function"])
        if place not in places:
            places.append(place)
    return places[:MAX_HOTSPOTS + 1]


def _rule_proposals(state: _State, places: list[tuple[str, str]]):
    from suture.agent.optimize.perf_rules import rewrites

    seen: set[str] = set()
    for path, function in places:
        try:
            text = (state.best / path).read_text(encoding="utf-8")
        except OSError:
            continue
        for rewrite in rewrites(path, text, function):
            if rewrite.new_source in seen:
                continue
            seen.add(rewrite.new_source)
            yield Candidate(f"c{len(state.judged) + 1}", source=rewrite.rule, description=rewrite.description,
                            files={path: rewrite.new_source}, functions=[(path, rewrite.function)], path=path,
                            symbol=rewrite.function)


# ---------------------------------------------------------------- judging one candidate


def _judge_and_maybe_accept(state: _State, bench: Bench, proposal: Candidate) -> bool:
    started = time.monotonic()
    state.progress.stage(f"judging {proposal.source} on {', '.join(q for _, q in proposal.functions)}")
    try:
        judged = _judge(state, bench, proposal)
        if judged.stage == "measured" and state.options.interactive:
            _ask_user(state, judged)
        if judged.accepted:
            _callgrind(state, bench, judged)
    finally:
        _restore(state, proposal)
    judged.seconds = time.monotonic() - started
    state.judged.append(judged)
    state.log("candidate", **judged.summary(), diff=judged.diff)
    state.progress.update(len(state.judged), _best_text(state))
    if judged.accepted:
        for path, text in proposal.files.items():
            (state.best / path).write_text(text, encoding="utf-8")
            state.changed.add(path)
    return judged.accepted


def _judge(state: _State, bench: Bench, proposal: Candidate) -> Judged:
    best, cand = state.best, state.scratch
    diff = "".join(_file_diff(best, path, text) for path, text in proposal.files.items())
    judged = Judged(proposal, "parse", "", diff=diff)
    if not diff:
        judged.reason = "the edit changes nothing"
        return judged
    for path, text in proposal.files.items():
        if path.endswith(".py"):
            try:
                ast.parse(text)
            except SyntaxError as error:
                judged.reason = f"{path} does not parse after the edit: {error.msg} (line {error.lineno})"
                return judged
        (cand / path).parent.mkdir(parents=True, exist_ok=True)
        (cand / path).write_text(text, encoding="utf-8")

    judged.stage = "tests"
    verdict, reason = _tests_gate(state, cand)
    judged.equivalence["tests"] = verdict
    if verdict == "regressions":
        judged.reason = reason
        return judged

    judged.stage = "replay"
    verdict, reason = _replay_gate(state, bench, proposal)
    judged.equivalence["replay"] = verdict
    if verdict == "mismatch":
        judged.reason = reason
        return judged

    judged.stage = "verifier"
    verdict, reason = _verifier_gate(state, proposal)
    judged.equivalence["verifier"] = verdict
    if verdict == "counterexample":
        judged.reason = reason
        return judged

    judged.stage = "timing"
    from suture.tools.perf.timing import TimingError, compare

    if state.left() < 5:
        judged.reason = "no time left to measure it"
        return judged
    try:
        result = compare(bench.runner(best), bench.runner(cand), rounds=state.options.rounds,
                         time_limit=max(10.0, state.left()))
    except TimingError as error:
        judged.reason = f"timing failed: {error}"
        return judged
    judged.timing = result.to_dict()
    if result.outputs_differ:
        judged.equivalence["output"] = "differs"
        judged.reason = "the bench printed different output with the edit"
        return judged
    judged.stage = "measured"
    judged.accepted = bool(result.significant)
    judged.reason = (f"{result.speedup:.2f}x (95% CI {result.ci_low:.2f}-{result.ci_high:.2f})"
                     + ("" if result.significant else f", not significant (needs a CI above {result.threshold:.2f}x)"))
    return judged


def _restore(state: _State, proposal: Candidate) -> None:
    for path in proposal.files:
        source = state.best / path
        target = state.scratch / path
        if source.exists():
            target.write_bytes(source.read_bytes())
        elif target.exists():
            target.unlink()


def _file_diff(tree: Path, path: str, text: str) -> str:
    old = (tree / path).read_text(encoding="utf-8") if (tree / path).exists() else ""
    return text_diff(path, old, text)


def _specs(bench: Bench, proposal: Candidate) -> list[str]:
    specs = [bench.spec] if bench.spec else []
    for path, function in proposal.functions:
        spec = f"{path}::{function}"
        if spec not in specs:
            specs.append(spec)
    return specs


def _replay_gate(state: _State, bench: Bench, proposal: Candidate) -> tuple[str, str]:
    """(verdict, reason): passed | mismatch | no_inputs | unsupported."""
    if bench.kind == "command":
        return "unsupported", "a bench command that is not python or pytest cannot be recorded"
    inputs = []
    for spec in _specs(bench, proposal):
        key = (bench.label, spec)
        if key not in state.recordings:
            path = state.run_dir / "inputs" / f"{len(state.recordings)}.pkl"
            path.parent.mkdir(exist_ok=True)
            done = _harness("record", [*bench.harness_args(state.best), "--watch", spec, "--out", str(path)],
                            state.best, max(10.0, min(state.left(), 300.0)), bench.harness)
            recorded = _last_json(done.stdout, "suture_record")
            state.log("recorded", spec=spec, result=recorded, error=None if done.returncode == 0 else _sentence(done))
            state.recordings[key] = path if done.returncode == 0 and recorded and recorded["recorded"].get(spec) else None
        if state.recordings[key] is not None:
            inputs.append(state.recordings[key])
    if not inputs:
        return "no_inputs", "no call of the changed functions could be recorded from the workload"
    checked = 0
    for path in inputs:
        done = _harness("replay", ["--root", str(state.scratch), "--inputs", str(path)], state.scratch,
                        max(10.0, min(state.left(), 300.0)), bench.harness)
        result = _last_json(done.stdout, "suture_replay")
        if done.returncode != 0 or result is None:
            return "mismatch", f"replaying the recorded inputs failed: {_sentence(done)}"
        if result["mismatches"]:
            first = result["mismatches"][0]
            return "mismatch", (f"{first['function']} on recorded input {head_tail(first['inputs'], 200)} gave "
                                f"{head_tail(first['actual'], 200)}, the base gave {head_tail(first['expected'], 200)}")
        checked += result["checked"]
    return ("passed", f"{checked} recorded call(s) give the same results") if checked else \
        ("no_inputs", "no recorded call could be replayed")


def _verifier_gate(state: _State, proposal: Candidate) -> tuple[str, str]:
    from suture.tools.verify.verifier import Target, import_root, verify

    verdicts = []
    for path, function in proposal.functions:
        if not path.endswith(".py") or state.left() < 5:
            continue
        file = state.scratch / path
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


def _callgrind(state: _State, bench: Bench, judged: Judged) -> None:
    from suture.tools.perf import callgrind

    if not state.options.callgrind or not callgrind.available() or state.left() < 30:
        return
    # valgrind runs ~50x slower: a function target is counted at a quarter of the timed scale
    # (the ratio's direction is what is compared, not its size).
    small = dataclasses.replace(bench, scale=max(1, bench.scale // 4)) if bench.kind == "function" else bench
    limit = min(60.0, state.left() / 4)
    base = callgrind.instruction_count(small.runner(state.best), time_limit=limit)
    cand = callgrind.instruction_count(small.runner(state.scratch), time_limit=limit) if base else None
    if not base or not cand:
        return
    judged.instructions_ratio = round(base / cand, 3)
    # Instructions are deterministic; a wall-clock win the instruction count does not show is suspect.
    judged.callgrind_disagrees = judged.instructions_ratio < 1.0
    if judged.callgrind_disagrees:
        state.notes.append(f"{judged.proposal.id}: the wall clock says {judged.timing['speedup']:.2f}x faster but "
                           f"callgrind counts {1 / judged.instructions_ratio:.2f}x more instructions.")


# ---------------------------------------------------------------- the expert in the loop


def _ask_stdin(question: str) -> str | None:
    sys.stderr.write(question)
    sys.stderr.flush()
    line = sys.stdin.readline()
    return None if line == "" else line.rstrip("\n")


def _ask_user(state: _State, judged: Judged) -> None:
    t = judged.timing or {}
    text = (f"\n--- candidate {judged.proposal.id} ({judged.proposal.source}): {judged.proposal.description}\n"
            f"{judged.diff}"
            f"speed-up {t.get('speedup', 0):.2f}x, 95% CI {t.get('ci_low', 0):.2f}-{t.get('ci_high', 0):.2f}"
            f" ({'significant' if t.get('significant') else 'not significant'}); equivalence: "
            + ", ".join(f"{k} {v}" for k, v in judged.equivalence.items())
            + "\n[a]ccept, [r]eject, or type guidance for the model's next round "
            f"(Enter: {'accept' if judged.accepted else 'reject'}): ")
    answer = state.ask(text)
    state.log("interactive", candidate=judged.proposal.id, answer=answer)
    if answer is None or not answer.strip():
        return
    word = answer.strip().lower()
    if word in ("a", "accept", "y", "yes"):
        judged.accepted = True
        judged.reason += "; accepted by the user"
    elif word in ("r", "reject", "n", "no"):
        judged.accepted = False
        judged.reason += "; rejected by the user"
    else:
        judged.accepted = False
        judged.guidance = answer.strip()
        judged.reason += "; rejected by the user with guidance for the model"
        state.guidance.append(answer.strip())


# ---------------------------------------------------------------- the model


def _client(options: OptimizeOptions):
    if not options.model:
        return None
    from suture.tools.llm.client import make_client

    try:
        client = make_client(options.model, api_base=options.api_base, max_cost=options.max_cost)
    except LLMError as error:
        raise SutureExit(f"the model provider failed: {error.message}", ExitCode.PROVIDER_ERROR) from None
    if options.resume_from is not None:  # `suture optimize --resume`: the recorded answers first
        from suture.agent.playback import PlaybackClient

        client = PlaybackClient(options.resume_from, client, max_cost=options.max_cost)
    return client


def _ask_model(state: _State, user: str) -> str:
    messages = [{"role": "system", "content": prompts.render("optimize_system")}, {"role": "user", "content": user}]
    from suture.agent.propose.planner import reply_record

    reply = state.client.complete(messages, temperature=0.0, timeout=max(5.0, min(state.left(), 300.0)))
    # Logged as every model call of a run is (agent/playback.py plays them back for replay and --resume).
    state.log("model", prompt=user, **reply_record(reply))
    return reply.text or ""


def _model_workload(state: _State, bench: Bench) -> str:
    state.progress.stage(f"asking the model for a workload of {bench.label}")
    source = _function_source(state.best, bench.path, bench.function)
    user = prompts.render("optimize_workload", target=bench.label, path=bench.path, function=bench.function,
                          code=source, usage=_usage(state.best, bench.function))
    try:
        text = _ask_model(state, user)
    except BudgetExceeded as spent:
        raise SutureExit(f"no workload: {spent.message}", ExitCode.BUDGET_EXHAUSTED) from None
    code = _code_block(text)
    if "def make_input" not in code:
        raise SutureExit(f"the model wrote no make_input(scale) for {bench.label}; give one with --workload FILE.")
    path = state.run_dir / "workload.py"
    path.write_text(code, encoding="utf-8")
    state.log("workload_written", path=str(path))
    return str(path)


def _model_proposals(state: _State, bench: Bench, places: list[tuple[str, str]], hot: list[dict[str, Any]]):
    from suture.tools.edits import EditFormatError, apply_edits, parse_edit_blocks

    path, function = places[0]
    rejected = [j for j in state.judged if not j.accepted][-4:]
    user = prompts.render(
        "optimize_edit", path=path, function=function, code=_function_source(state.best, path, function),
        usage=_usage(state.best, function), profile=_profile_lines(hot),
        tried="\n".join(f"- {j.proposal.source} on {', '.join(q for _, q in j.proposal.functions)}: stopped at "
                        f"{j.stage} ({head_tail(j.reason, 300)})" for j in rejected) or "nothing yet",
        guidance="\n".join(f"- {g}" for g in state.guidance) or "none",
    )
    state.guidance.clear()
    state.progress.stage(f"asking the model to speed up {function}")
    text = _ask_model(state, user)
    try:
        edits = parse_edit_blocks(text)
    except EditFormatError as error:
        state.notes.append(f"the model's answer was not SEARCH/REPLACE blocks: {error}")
        return
    if not edits:
        state.notes.append("the model proposed no edit")
        return
    results = apply_edits(state.scratch, edits)
    try:
        if not all(r.applied for r in results):
            state.notes.append("the model's edit did not apply: " + "; ".join(r.message for r in results if not r.applied))
            return
        files = {r.path: (state.scratch / r.path).read_text(encoding="utf-8") for r in results}
    finally:
        for r in results:  # the judge writes the files itself, from `best`
            source, target = state.best / r.path, state.scratch / r.path
            if source.exists():
                target.write_bytes(source.read_bytes())
    functions = [(p, q) for p, text_after in files.items() for q in _changed_functions(
        (state.best / p).read_text(encoding="utf-8") if (state.best / p).exists() else "", text_after)]
    functions = functions or [(path, function)]
    yield Candidate(f"c{len(state.judged) + 1}", source="model", description=_first_line(text) or "the model's edit",
                    files=files, functions=functions, path=functions[0][0], symbol=functions[0][1])


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("```", "<<<<<<<", "=======", ">>>>>>>")) and not line.endswith(".py"):
            return head_tail(line, 160)
    return ""


def _code_block(text: str) -> str:
    blocks = python_blocks(text)  # the longest: a model may show a snippet before the whole file
    return max(blocks, key=len) if blocks else text


def _function_source(tree: Path, path: str, qualname: str) -> str:
    from suture.tools.verify.verifier import find_function

    text = (tree / path).read_text(encoding="utf-8", errors="replace")
    node = find_function(ast.parse(text), qualname)
    return (ast.get_source_segment(text, node, padded=True) or "") if node else text


def _usage(tree: Path, function: str, limit: int = 8) -> str:
    """Lines of the repository that call `function` (by its bare name), for the model's context."""
    done = gitcmd.run(tree, "grep", "-n", "-w", "-F", function.rsplit(".", 1)[-1] + "(", text=True)
    lines = [line for line in done.stdout.splitlines() if " def " not in line and ":def " not in line]
    return "\n".join(head_tail(line, 200) for line in lines[:limit]) or "(no callers found)"


def _profile_lines(hot: list[dict[str, Any]]) -> str:
    return "\n".join(f"{h['path']}::{h['function']}  {h['share'] * 100:.0f}% of the time "
                     f"(own {h['own_seconds']:.3f} s, in C {h['c_share'] * 100:.0f}%)" for h in hot) or "(no profile)"


def _changed_functions(before: str, after: str) -> list[str]:
    def functions(text: str) -> dict[str, str]:
        found: dict[str, str] = {}

        def walk(nodes: list[ast.stmt], prefix: str) -> None:
            for node in nodes:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = prefix + node.name
                    if not isinstance(node, ast.ClassDef):
                        found[name] = ast.dump(node)
                    walk(node.body, name + ".")

        try:
            walk(ast.parse(text).body, "")
        except SyntaxError:
            pass
        return found

    old, new = functions(before), functions(after)
    changed = [name for name, dump in new.items() if old.get(name) != dump]
    # A changed nested function is verified through its outermost changed parent.
    return [n for n in changed if not any(n.startswith(p + ".") for p in changed if p != n)]


# ---------------------------------------------------------------- summary and delivery


def _pie_summary(state: _State, benches: list[Bench], base: str) -> dict[str, Any]:
    """PIE-style: share of targets with a significant speed-up, mean speed-up with failures as 1.0x."""
    from suture.tools.perf.timing import TimingError, compare

    per_target = []
    for path in state.changed:  # the scratch tree back at the base, to compare base vs everything stacked
        shown = gitcmd.file_at(state.scratch, base, _top_relative(state.scratch, path))
        if shown is not None:
            (state.scratch / path).write_bytes(shown)
    for bench in benches:
        speedup, significant = 1.0, False
        if state.changed and state.left() > 10:
            try:
                result = compare(bench.runner(state.scratch), bench.runner(state.best), rounds=state.options.rounds,
                                 time_limit=max(10.0, state.left()))
                significant = result.significant and not result.outputs_differ
                speedup = result.speedup if significant else 1.0
            except TimingError as error:
                state.notes.append(f"final timing of {bench.label} failed: {error}")
        per_target.append({"target": bench.label, "speedup": round(speedup, 3), "optimized": significant})
    optimized = [t for t in per_target if t["optimized"]]
    return {"targets": per_target, "optimized_share": round(len(optimized) / len(per_target), 3),
            "mean_speedup": round(sum(t["speedup"] for t in per_target) / len(per_target), 3)}


def _top_relative(tree: Path, path: str) -> str:
    done = gitcmd.run(tree, "rev-parse", "--show-prefix", text=True)
    return done.stdout.strip() + path


def _patch(state: _State) -> str:
    from suture.tools.git.diffs import diff_worktree

    return diff_worktree(state.best, trust_stat_cache=False) if state.changed else ""


def _edit_report(judged: Judged) -> dict[str, Any]:
    path, function = judged.proposal.functions[0]
    t = judged.timing or {}
    return {"rule": judged.proposal.source, "description": judged.proposal.description, "path": path,
            "function": function, "speedup": t.get("speedup"), "ci_low": t.get("ci_low"), "ci_high": t.get("ci_high"),
            "significant": t.get("significant"), "baseline_seconds": t.get("baseline_seconds"),
            "candidate_seconds": t.get("candidate_seconds"), "instructions_ratio": judged.instructions_ratio,
            "callgrind_disagrees": judged.callgrind_disagrees,
            "equivalence": {"tests": judged.equivalence.get("tests"), "replay": judged.equivalence.get("replay"),
                            "verifier": judged.equivalence.get("verifier")},
            "diff": judged.diff}


def _commit_message(accepted: list[Judged]) -> str:
    lines = []
    for j in accepted:
        t = j.timing or {}
        lines.append(f"- {j.proposal.description} ({', '.join(q for _, q in j.proposal.functions)}): "
                     f"{t.get('speedup', 0):.2f}x, 95% CI {t.get('ci_low', 0):.2f}-{t.get('ci_high', 0):.2f}; "
                     + ", ".join(f"{k} {v}" for k, v in j.equivalence.items()))
    title = f"suture: speed up {accepted[0].proposal.functions[0][1]}" if len(accepted) == 1 \
        else f"suture: {len(accepted)} performance edits"
    return title + "\n\nMeasured in interleaved fresh processes against the base; equivalence checked by\n" \
        "the tests, replayed workload inputs and the bounded verifier.\n\n" + "\n".join(lines) + "\n"


def _best_text(state: _State) -> str:
    accepted = [j for j in state.judged if j.accepted]
    if not accepted:
        return ""
    product = math.prod((j.timing or {}).get("speedup") or 1.0 for j in accepted)
    return f"{len(accepted)} edit(s), about {product:.1f}x"
