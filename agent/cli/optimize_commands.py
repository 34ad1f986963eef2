"""`suture optimize`: its options, resumption and report."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from suture.agent import guard
from suture.agent.exitcodes import SutureExit
from suture.agent.cli.app import (
    JsonOption,
    MemoryOption,
    PassEnvOption,
    PythonOption,
    RepoOption,
    SandboxOption,
    app,
    handled,
    apply_sandbox,
    sandbox_report,
    settings_for,
)


@app.command()
@handled
def optimize(
    repo: Optional[str] = RepoOption,
    bench_cmd: Optional[str] = typer.Option(None, "--bench-cmd", metavar="CMD", help="What to speed up: a python script (python bench.py ...) or a pytest command, run in the repo."),
    target: list[str] = typer.Option([], "--target", metavar="MOD:FUNC", help="What to speed up: a function (pkg.mod:func or path.py::func) timed on --workload; repeatable (a PIE-style summary follows)."),
    workload: list[str] = typer.Option([], "--workload", metavar="FILE", help="A python file defining make_input(scale) -> the target's arguments; one for all targets or one per --target (default with a model: the model writes it)."),
    test_cmd: Optional[str] = typer.Option(None, "--test-cmd", metavar="CMD", help="Command that runs the tests (default: the test_cmd setting, else pytest when the repo has tests)."),
    model: Optional[str] = typer.Option(None, "--model", metavar="NAME", help="litellm model name (or scripted:PATH); default: the model setting, else the offline rewrite rules alone."),
    api_base: Optional[str] = typer.Option(None, "--api-base", metavar="URL", help="OpenAI-compatible server for the model (vLLM, llama.cpp)."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", metavar="USD", help="Most US dollars of model calls per run (default: the max_cost setting)."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", metavar="S", help="Wall-time budget in seconds (default: the time_limit setting)."),
    rounds: int = typer.Option(12, "--rounds", min=3, metavar="N", help="Interleaved timing rounds per comparison (baseline and candidate once each per round)."),
    verify_seconds: Optional[float] = typer.Option(None, "--verify-seconds", min=1.0, metavar="S", help="Bounded verifier's wall seconds per changed function of an edit worth keeping: Hypothesis, then CrossHair (default 10)."),
    python: Optional[str] = PythonOption,
    pass_env: list[str] = PassEnvOption,
    sandbox: Optional[str] = SandboxOption,
    memory_limit: Optional[str] = MemoryOption,
    interactive: bool = typer.Option(False, "--interactive", help="Show each measured candidate and read a: accept, r: reject, or guidance for the model from stdin."),
    apply: bool = typer.Option(False, "--apply", help="Write the edits into the working tree (only if they apply cleanly)."),
    commit: bool = typer.Option(False, "--commit", help="Commit the edits on a new branch suture/<run-id>; your checkout is not changed."),
    allow_risk: list[str] = typer.Option([], "--allow-risk", metavar="NAME", help="Keep an edit despite this named risk (pytest_internals, sys_modules, builtins, os_environ, subprocess, git, or all); repeatable."),
    resume: Optional[str] = typer.Option(None, "--resume", metavar="RUN", help="Continue an interrupted optimize run (an id under .suture/runs, or its directory) with its recorded options: its model answers are played back, then the model (--model, else the recorded one) goes on."),
    as_json: bool = JsonOption,
) -> None:
    """Make a function or a bench faster: profile, propose rewrites, keep only equivalent edits with a significant speed-up.

    Exit 0: optimized; 1: no significant speed-up; 2: bad input; 4: provider error; 5: budget spent.
    """
    from suture.agent.cli import render
    from suture.agent.cli.app import launch_time
    from suture.agent.gates import tamper

    launched = launch_time()
    try:
        allow_risks = tamper.check_names(allow_risk)
    except ValueError as error:
        raise SutureExit(str(error)) from None
    if apply and commit:
        raise SutureExit("--apply and --commit exclude each other; pick one.")
    mode = "apply" if apply else "commit" if commit else "print"
    if resume is not None:
        root, options = _resume_optimize(resume, repo, mode=mode, model=model, api_base=api_base, max_cost=max_cost,
                                         time_limit=time_limit, given=(("--bench-cmd", bench_cmd), ("--target", target),
                                                                       ("--workload", workload), ("--test-cmd", test_cmd),
                                                                       ("--python", python), ("--verify-seconds", verify_seconds)))
        interactive = options.interactive
        if allow_risks:  # given again: it replaces the recorded ones
            options = dataclasses.replace(options, allow_risks=allow_risks)
    else:
        root, options = _optimize_options(repo, mode=mode, bench_cmd=bench_cmd, target=target, workload=workload,
                                          test_cmd=test_cmd, model=model, api_base=api_base, max_cost=max_cost,
                                          time_limit=time_limit, rounds=rounds, python=python, interactive=interactive,
                                          pass_env=pass_env)
        options = dataclasses.replace(options, allow_risks=allow_risks, **({} if verify_seconds is None else
                                                                            {"verify_seconds": verify_seconds}))
    apply_sandbox(settings_for(root, sandbox=sandbox, memory_limit=memory_limit))
    # After the options are checked: bad input leaves without the pipeline's imports.
    from suture.agent.optimize.pipeline import run_optimize

    if not options.model:
        render.print_warning("no model set: optimizing with the built-in rewrite rules alone (offline).")
    else:
        guard.check_model_name(options.model)
    with render.live_status(enabled=sys.stderr.isatty() and not interactive) as show:
        outcome = run_optimize(root, options, on_progress=show, started=launched)
    report = sandbox_report(outcome.report)
    if as_json:
        render.print_json(report)
    else:
        _print_optimize_report(report)
        from suture.agent.cli.report_commands import announce_page  # here: `report` is listed after these in --help
        announce_page(report.get("run_dir"))
    raise typer.Exit(int(outcome.exit_code))


def _optimize_options(repo: Optional[str], *, mode: str, bench_cmd: Optional[str], target: list[str],
                      workload: list[str], test_cmd: Optional[str], model: Optional[str], api_base: Optional[str],
                      max_cost: Optional[float], time_limit: Optional[float], rounds: int, python: Optional[str],
                      interactive: bool, pass_env: list[str]) -> tuple[Path, Any]:
    """The repository and the OptimizeOptions record of one `suture optimize`."""
    from suture.agent.options import OptimizeOptions

    if bool(bench_cmd) == bool(target):
        raise SutureExit("give exactly one of --bench-cmd CMD or --target MOD:FUNC.")
    if workload and bench_cmd:
        raise SutureExit("--workload goes with --target; a --bench-cmd is its own workload.")
    if len(workload) > 1 and len(workload) != len(target):
        raise SutureExit(f"give one --workload for all targets or one per --target ({len(target)}), not {len(workload)}.")
    root = guard.resolve_repo(repo)
    settings = settings_for(root, test_cmd=test_cmd, time_limit=time_limit, model=model, api_base=api_base,
                         max_cost=max_cost, python=python, pass_env=",".join(pass_env) or None)
    from suture.agent.config import callgrind_on

    callgrind = callgrind_on(settings)
    from suture.agent.environment import project_environment

    environment, command = project_environment(root, settings, settings.test_cmd)
    # Absolute, so that `suture replay` and `--resume` find them from any directory.
    workload = [str(Path(w).expanduser().resolve()) for w in workload]
    return root, OptimizeOptions(
        bench_cmd=bench_cmd, target=target[0] if target else None, workload=workload[0] if workload else None,
        test_cmd=command, environment=environment.to_dict(), python=None if environment.own else environment.python, model=settings.model, max_cost=settings.max_cost,
        time_limit=settings.time_limit, rounds=rounds, mode=mode,
        interactive=interactive, targets=tuple(target), workloads=tuple(workload), api_base=settings.api_base,
        callgrind=callgrind,
    )


def _resume_optimize(resume: str, repo: Optional[str], *, mode: str, model: Optional[str], api_base: Optional[str],
                     max_cost: Optional[float], time_limit: Optional[float],
                     given: tuple[tuple[str, Any], ...]) -> tuple[Path, Any]:
    """The repository and the recorded OptimizeOptions that continue the interrupted run `resume`."""
    from suture.agent.fix.replay import resume_options

    named = [flag for flag, value in given if value]
    if named:
        raise SutureExit(f"--resume continues run {resume} with its recorded options; leave out {', '.join(named)}.")
    return resume_options(resume, guard.resolve_repo(repo) if repo is not None else None, model=model,
                          api_base=api_base, max_cost=max_cost, time_limit=time_limit, mode=mode, command="optimize")


def _print_optimize_report(report: dict[str, Any]) -> None:
    from suture.agent.cli import render

    if report["patch"]:
        render.print_patch(report["patch"])
    for edit in report["edits"]:
        ratio = f", {edit['instructions_ratio']:.2f}x fewer instructions" if edit.get("instructions_ratio") else ""
        verdicts = ", ".join(f"{k} {v}" for k, v in edit["equivalence"].items() if v)
        sys.stderr.write(f"{edit['path']}::{edit['function']} ({edit['rule']}): {edit['speedup']:.2f}x faster, "
                         f"95% CI {edit['ci_low']:.2f}-{edit['ci_high']:.2f}{ratio}; {verdicts}\n")
        for fact in edit.get("evidence") or ():
            sys.stderr.write(f"  relied on: {fact}\n")
    from suture.agent.cli.bars import hot_line_lines, speedup_bars

    for line in hot_line_lines(report.get("hotspots") or []) + speedup_bars(report["edits"]):
        sys.stderr.write(line + "\n")
    for line in render.rejected_lines(report.get("candidates", ())):
        sys.stderr.write(line + "\n")
    summary = report.get("summary")
    if summary:
        sys.stderr.write(f"{summary['optimized_share'] * 100:.0f}% of targets optimized, "
                         f"mean speed-up {summary['mean_speedup']:.2f}x (failures count as 1.0x)\n")
    several = len(report.get("benches") or ()) > 1
    for check in report.get("workload_checks") or ():  # processes, threads, hot code in C (agent/optimize/unsuitable.py)
        sys.stderr.write((f"{check['bench']}: " if several else "") + check["sentence"] + "\n")
    for note in report.get("notes") or ():
        sys.stderr.write(f"note: {note}\n")
    if report["status"] != "optimized":
        sys.stderr.write(f"no significant speed-up ({report.get('stopped_because') or 'nothing to try'}); "
                         f"{report['candidates_tried']} candidate(s) tried, see {report['run_dir']}\n")
