"""What optimize times: a function on its workload or a bench command, located, sized and checked to repeat."""

from __future__ import annotations

import ast
import json
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture import prompts
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.optimize.propose import ask_model, callers_of, code_block, function_source
from suture.agent.optimize.state import OptimizeState
from suture.agent.options import OptimizeOptions
from suture.tools.childenv import project_env
from suture.tools.llm.client import BudgetExceeded, head_tail
from suture.tools.testing.pytest_shim import harness_command

MIN_WORKLOAD_SECONDS = 0.05  # the floor: no timing on unit-test-sized inputs
# A run on the base commit (sizing, the repeat check) gets what is left of --time-limit up to its
# own cap, never more: a floor above the remainder overran `--time-limit 5` to 12 s. A run stopped
# at a limit that was the remainder of --time-limit says nothing about the bench: it ends the run as
# a spent budget (exit 5), never as a bench that "fails at the base commit" (on a loaded machine
# that wrongly rejected every real workload).
STAGE_FLOOR_SECONDS = 0.1  # a positive timeout when nothing is left: the run stops at once, exit 5
SCALE_CAP_SECONDS = 120.0
CHECK_CAP_SECONDS = 300.0

HARNESS = [sys.executable, "-m", "suture.tools.perf.harness"]


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

        env = {"PYTHONHASHSEED": "0"}  # laid over the environment minus the secrets (tools/perf/timing.py)
        if self.kind == "command":
            return Runner(list(self.argv), tree, env)
        return Runner([*self.harness, "time", *self.harness_args(tree)], tree, env, harness=tuple(self.harness))

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "target": self.label}
        if self.kind == "function":
            out.update(path=self.path, function=self.function, scale=self.scale, workload=self.workload)
        return out


def run_harness(mode: str, args: list[str], tree: Path, timeout: float, harness: Sequence[str] = HARNESS,
                writable: Sequence[Path] = ()) -> subprocess.CompletedProcess[str]:
    """One run of the harness (scale, record, replay) on project code: confined like the timed runs
    (tools/perf/timing.run_process), writing only `tree`, its temp dir and `writable`."""
    return _confined([*harness, mode, *args], tree, timeout, f"the {mode} run", writable)


class TimedOut(subprocess.CompletedProcess):
    """A run suture stopped at its timeout (not one that exited 124 by itself)."""


def _confined(argv: list[str], tree: Path, timeout: float, what: str,
              writable: Sequence[Path] = ()) -> subprocess.CompletedProcess[str]:
    from suture.tools.perf.timing import run_process

    try:
        stdout, stderr, code, _ = run_process(argv, tree, {**project_env(), "PYTHONHASHSEED": "0"}, timeout, writable)
    except subprocess.TimeoutExpired:
        return TimedOut(argv, 124, "", f"{what} took longer than {timeout:.0f} s.")
    except FileNotFoundError:
        return subprocess.CompletedProcess(argv, 127, "", f"the command {argv[0]} was not found.")
    except OSError as error:
        return subprocess.CompletedProcess(argv, 126, "", f"{what} cannot be started: {error.strerror or error}.")
    return subprocess.CompletedProcess(argv, code, stdout, stderr)


def stage_limit(state: OptimizeState, cap: float) -> tuple[float, bool]:
    """(timeout of one run on the base commit, whether it is the remainder of --time-limit rather than `cap`)."""
    left = state.left()
    return max(STAGE_FLOOR_SECONDS, min(left, cap)), left < cap


def budget_spent(state: OptimizeState, what: str, done: subprocess.CompletedProcess[str]) -> SutureExit:
    """The time limit ran out while `what` ran on the base commit: a spent budget (exit 5), not bad input."""
    return SutureExit(f"time limit reached: the {state.options.time_limit:g} s of --time-limit ran out while "
                      f"{what} ({sentence(done).rstrip('.')}); raise --time-limit.", ExitCode.BUDGET_EXHAUSTED)


def last_json(stdout: str, key: str) -> Any:
    for line in reversed(stdout.strip().splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and key in data:
            return data[key]
    return None


def sentence(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (done.stderr or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"it exited with {done.returncode}"


def workload_for(options: OptimizeOptions, index: int) -> str | None:
    if index < len(options.workloads):
        return options.workloads[index]
    return options.workload


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


def bench_for_target(state: OptimizeState, spec: str, workload: str | None) -> Bench:
    path, qualname = locate(state.best, spec)
    bench = Bench("function", spec, spec=f"{path}::{qualname}", path=path, function=qualname,
                  harness=harness_command(state.options.python))
    if workload is None:
        if state.client is None:
            raise SutureExit(f"--target {spec} needs --workload FILE (a python file defining make_input(scale)), "
                             "or a model (--model) to write one.")
        workload = model_workload(state, bench)
    else:
        workload = str(Path(workload).expanduser().resolve())
        if not Path(workload).is_file():
            raise SutureExit(f"the workload file {workload} does not exist.")
    bench.workload = workload
    state.progress.stage(f"sizing the workload of {spec}")
    limit, cut = stage_limit(state, SCALE_CAP_SECONDS)
    done = run_harness("scale", ["--root", str(state.best), "--target", bench.spec, "--workload", workload,
                              "--min-seconds", str(MIN_WORKLOAD_SECONDS)], state.best, limit, bench.harness)
    scale = last_json(done.stdout, "suture_scale")
    if isinstance(done, TimedOut) and cut:
        raise budget_spent(state, f"sizing the workload of {spec}", done)
    if done.returncode != 0 or scale is None:
        raise SutureExit(f"cannot time {spec}: {sentence(done)}")
    bench.scale = int(scale)
    state.log("workload", target=spec, scale=bench.scale, seconds=last_json(done.stdout, "seconds"))
    check_deterministic(state, bench)
    return bench


def bench_for_command(state: OptimizeState, command: str) -> Bench:
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
    check_deterministic(state, bench)
    return bench


def run_once(bench: Bench, tree: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return _confined(bench.runner(tree).argv, tree, timeout, "it")


def _output(stdout: str) -> str:
    """stdout without the timing protocol line."""
    return "\n".join(line for line in stdout.splitlines() if not line.startswith('{"suture_timing"'))


def check_deterministic(state: OptimizeState, bench: Bench) -> None:
    state.progress.stage(f"checking that {bench.label} runs and repeats")
    outputs = []
    for _ in range(2):
        limit, cut = stage_limit(state, CHECK_CAP_SECONDS)
        done = run_once(bench, state.best, limit)
        if isinstance(done, TimedOut) and cut:
            raise budget_spent(state, f"checking that {bench.label} runs and repeats", done)
        if done.returncode != 0:
            raise SutureExit(f"the bench {bench.label} fails at the base commit: {sentence(done)}")
        outputs.append(_output(done.stdout))
    if outputs[0] != outputs[1]:
        first = next((a for a, b in zip(outputs[0].splitlines(), outputs[1].splitlines()) if a != b), "")
        raise SutureExit(f"the bench {bench.label} is not deterministic: two runs at the base commit printed "
                         f"different output ({head_tail(first, 120)!r}); fix its seeds or drop timing from its output.")


def model_workload(state: OptimizeState, bench: Bench) -> str:
    state.progress.stage(f"asking the model for a workload of {bench.label}")
    source = function_source(state.best, bench.path, bench.function)
    user = prompts.render("optimize_workload", target=bench.label, path=bench.path, function=bench.function,
                          code=source, usage=callers_of(state.best, bench.function))
    try:
        text = ask_model(state, user)
    except BudgetExceeded as spent:
        raise SutureExit(f"no workload: {spent.message}", ExitCode.BUDGET_EXHAUSTED) from None
    code = code_block(text)
    if "def make_input" not in code:
        raise SutureExit(f"the model wrote no make_input(scale) for {bench.label}; give one with --workload FILE.")
    path = state.run_dir / "workload.py"
    path.write_text(code, encoding="utf-8")
    state.log("workload_written", path=str(path))
    return str(path)
