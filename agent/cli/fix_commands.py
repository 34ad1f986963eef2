"""The repair commands: `fix`, `replay`, `localize`, `undo`, `verify`."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from suture.agent import guard
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.cli.issue_input import issue_text
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
    for_user,
    sandbox_report,
    settings_for,
)


FORMULAS = ("ochiai", "tarantula", "dstar")
# `localize --mutation`'s default, by measured overhead (bench/RESULTS.md, issue 19: <= 3x a plain pytest run).
MUTATION_DEFAULT = "off"
IssueFileOption = typer.Option(None, "--issue-file", metavar="F", help="Read the issue text from a file (- for stdin).")


@app.command()
@handled
def fix(
    repo: Optional[str] = RepoOption,
    issue: Optional[str] = typer.Option(None, "--issue", metavar="TEXT", help="What is wrong, in words (kept with the run)."),
    issue_file: Optional[Path] = IssueFileOption,
    test_cmd: Optional[str] = typer.Option(None, "--test-cmd", metavar="CMD", help="Command that runs the tests (default: the test_cmd setting, else pytest)."),
    failing_test: list[str] = typer.Option([], "--failing-test", metavar="NODEID", help="Only these failing tests (a node id or a prefix of one); repeatable."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", metavar="S", help="Wall-time budget in seconds (default: the time_limit setting)."),
    max_candidates: int = typer.Option(500, "--max-candidates", min=0, metavar="N", help="Most rule-engine candidates to gate (0: straight to the model)."),
    apply: bool = typer.Option(False, "--apply", help="Write the fix into the working tree (only if it applies cleanly)."),
    commit: bool = typer.Option(False, "--commit", help="Commit the fix on a new branch suture/<run-id>; your checkout is not changed."),
    model: Optional[str] = typer.Option(None, "--model", metavar="NAME", help="litellm model name (or scripted:PATH to play back a script); default: the model setting, else the rule engine alone."),
    api_base: Optional[str] = typer.Option(None, "--api-base", metavar="URL", help="OpenAI-compatible server for the model (vLLM, llama.cpp)."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", metavar="USD", help="Most US dollars of model calls per run (default: the max_cost setting)."),
    max_steps: int = typer.Option(30, "--max-steps", min=1, metavar="N", help="Most model rounds."),
    samples: int = typer.Option(1, "--samples", min=1, max=8, metavar="N", help="Patches sampled per plan's first proposal (at rising temperatures); at most 8."),
    text_tools: bool = typer.Option(False, "--text-tools", help="Describe the tools in the prompt and read calls from the answer's text (models without native tool calls)."),
    allow_path: list[str] = typer.Option([], "--allow-path", metavar="GLOB", help="Let the model edit these paths too (beyond the localised files); repeatable."),
    target: list[str] = typer.Option([], "--target", metavar="FILE.c[::FUNC]", help="Repair C code with ESBMC as the oracle (no tests needed): every function of FILE.c, or FUNC alone; repeatable."),
    resume: Optional[str] = typer.Option(None, "--resume", metavar="RUN", help="Continue an interrupted run (an id under .suture/runs, or its directory) with its recorded options: its model turns are played back, then the model (--model, else the recorded one) goes on."),
    python: Optional[str] = PythonOption,
    pass_env: list[str] = PassEnvOption,
    hook: bool = typer.Option(False, "--hook", help="For git hooks (pre-push): exit 0 when no test fails at HEAD; when tests fail, print the fix if one is found and exit 1 so the push stops."),
    sandbox: Optional[str] = SandboxOption,
    memory_limit: Optional[str] = MemoryOption,
    allow_risk: list[str] = typer.Option([], "--allow-risk", metavar="NAME", help="Deliver a patch despite this named risk (pytest_internals, sys_modules, builtins, os_environ, subprocess, git, or all); repeatable."),
    mutation: str = typer.Option(MUTATION_DEFAULT, "--mutation", metavar="on|off", help="Localise with mutation evidence (as `localize --mutation on`); a mutant that makes every failing test pass is gated first, like any candidate."),
    as_json: bool = JsonOption,
) -> None:
    """Find and repair the bug the failing tests show; print the verified patch (or apply/commit it)."""
    from suture.agent.cli.app import launch_time
    from suture.agent.gates import tamper

    launched = launch_time()
    try:
        allow_risks = tamper.check_names(allow_risk)
    except ValueError as error:
        raise SutureExit(str(error)) from None
    from suture.agent.cli import render

    if apply and commit:
        raise SutureExit("--apply and --commit exclude each other; pick one.")
    if hook and (apply or commit):
        raise SutureExit("--hook only prints: a git hook must not change your tree or branches (leave out --apply/--commit).")
    root, options = _fix_options(
        repo, mode="apply" if apply else "commit" if commit else "print", issue=issue, issue_file=issue_file, test_cmd=test_cmd, failing_test=failing_test,
        time_limit=time_limit, max_candidates=max_candidates, model=model, api_base=api_base, max_cost=max_cost,
        max_steps=max_steps, samples=samples, text_tools=text_tools, allow_path=allow_path, target=target,
        resume=resume, python=python, sandbox=sandbox, memory_limit=memory_limit, pass_env=pass_env,
        allow_risks=allow_risks, mutation=mutation)
    from suture.agent.fix.pipeline import NoFailingTest, run_fix  # here: bad input leaves without its imports
    if not options.model:
        render.print_warning("no model set: repairing with the built-in rule engine alone (offline).")
    else:
        guard.check_model_name(options.model)
    try:
        status = render.live_status(enabled=True) if sys.stderr.isatty() else render.plain_progress()
        with status as show:
            outcome = run_fix(root, options, on_progress=show, started=launched)
    except NoFailingTest as clear:
        if not hook:
            raise
        render.print_warning(f"{clear.message.rstrip('.')}: nothing to fix.")
        if as_json:
            render.print_json({"status": "nothing_to_fix", "patch": "", "message": clear.message})
        raise typer.Exit(int(ExitCode.DONE)) from None
    report = sandbox_report(outcome.report)
    _warn_about_fix_run(report)
    if as_json:
        render.print_json(report)
    else:
        render.print_fix_report(report)
        from suture.agent.cli.report_commands import announce_page  # here: `report` is listed after these in --help
        announce_page(report.get("run_dir"))
    if hook:
        # Tests fail at HEAD: the push stops whatever was found; the fix is shown, never applied.
        if report.get("status") == "fixed":
            render.print_warning("tests fail at HEAD; the patch above passes every gate: "
                                 "apply it with `suture fix --apply` (or by hand) and push again.")
        raise typer.Exit(int(ExitCode.NOTHING_FOUND))
    raise typer.Exit(int(outcome.exit_code))


def _warn_about_fix_run(report: dict[str, Any]) -> None:
    """What the user should know about how a fix run's tests ran (on stderr)."""
    from suture.agent.cli import render

    setup_errors = (report.get("tests") or {}).get("setup_errors")
    if setup_errors:
        from suture.tools.testing.setup_errors import SetupErrorGroup, summary

        render.print_warning(summary([SetupErrorGroup(**g) for g in setup_errors]))
    copied = report.get("copied_untracked") or []
    if copied:
        render.print_warning(f"the scratch checkouts got copies of {len(copied)} git-ignored generated file(s) "
                             f"from your tree: {', '.join(copied[:5])}" + (" ..." if len(copied) > 5 else "") + ".")
    for note in report.get("checkout_notes") or []:
        render.print_warning(note + ".")
    refused = (report.get("delivery") or {}).get("refused")
    if refused:  # the verified patch is printed and saved, but not written where asked
        render.print_error(refused, "suture fix")
    hanging = (report.get("tests") or {}).get("hanging_left_out") or []
    if hanging:
        render.print_warning(f"{len(hanging)} test(s) hang at HEAD (past test_timeout) and were left out of every "
                             f"candidate run: {', '.join(hanging[:3])}" + (" ..." if len(hanging) > 3 else "") + ".")


def _fix_options(repo: Optional[str], *, mode: str, issue: Optional[str], issue_file: Optional[Path],
                 test_cmd: Optional[str], failing_test: list[str], time_limit: Optional[float], max_candidates: int,
                 model: Optional[str], api_base: Optional[str], max_cost: Optional[float], max_steps: int,
                 samples: int, text_tools: bool, allow_path: list[str], target: list[str], resume: Optional[str],
                 python: Optional[str], sandbox: Optional[str], memory_limit: Optional[str],
                 pass_env: list[str], allow_risks: tuple[str, ...], mutation: str = "off") -> tuple[Path, Any]:
    """The repository and the FixOptions record of one `suture fix` (a resumed run's: its recorded ones)."""
    from suture.agent.options import FixOptions

    if mutation not in ("on", "off"):
        raise SutureExit(f"unknown --mutation {mutation!r}; use on or off.")
    if resume is not None:
        from suture.agent.fix.replay import resume_options

        given = [flag for flag, value in (("--issue", issue), ("--issue-file", issue_file), ("--test-cmd", test_cmd),
                                          ("--python", python),
                                          ("--failing-test", failing_test), ("--allow-path", allow_path)) if value]
        if given:
            raise SutureExit(f"--resume continues run {resume} with its recorded options; leave out {', '.join(given)}.")
        root, options = resume_options(resume, guard.resolve_repo(repo) if repo is not None else None, model=model,
                                       api_base=api_base, max_cost=max_cost, time_limit=time_limit, mode=mode)
        if allow_risks:  # given again: it replaces the recorded ones
            options = dataclasses.replace(options, allow_risks=allow_risks)
        apply_sandbox(settings_for(root, sandbox=sandbox, memory_limit=memory_limit))
        return root, options
    issue = issue_text(issue, issue_file)
    root = guard.resolve_repo(repo)
    settings = settings_for(root, test_cmd=test_cmd, time_limit=time_limit, model=model, api_base=api_base,
                         max_cost=max_cost, python=python, sandbox=sandbox, memory_limit=memory_limit,
                         pass_env=",".join(pass_env) or None)
    apply_sandbox(settings)
    environment, command = None, settings.test_cmd
    if not target:  # C targets run no Python
        from suture.agent.environment import project_environment

        environment, command = project_environment(root, settings, settings.test_cmd)
    return root, FixOptions(
        test_cmd=command, environment=environment.to_dict() if environment else None,
        failing_tests=failing_test, issue_text=issue,
        time_limit=settings.time_limit, max_candidates=max_candidates, mode=mode, test_timeout=settings.test_timeout,
        model=settings.model, api_base=settings.api_base, max_cost=settings.max_cost, max_steps=max_steps,
        allow_paths=allow_path, map_tokens=settings.map_tokens, samples=samples, text_tools=text_tools,
        allow_risks=allow_risks,
        targets=tuple(target), mutation_share=settings.mutation_share if mutation == "on" else None,
    )


@app.command()
@handled
def replay(
    run: str = typer.Argument(..., metavar="RUN", help="A fix or optimize run: its id under .suture/runs, or its directory."),
    repo: Optional[str] = RepoOption,
    as_json: bool = JsonOption,
) -> None:
    """Re-run a recorded fix or optimize run at its commit, its model turns played back, and check the same patch comes out.

    Exit 0: reproduced; 1: a different result (both patches shown); 2: unknown run, or HEAD moved since.
    """
    from suture.agent.cli import render
    from suture.agent.fix.replay import describe, replay_run

    root = guard.resolve_repo(repo) if repo is not None else None
    with render.live_status(enabled=sys.stderr.isatty()) as show:
        outcome = replay_run(run, root, on_progress=show)
    if as_json:
        render.print_json(outcome.report)
    else:
        sys.stdout.write(describe(outcome.report))
    raise typer.Exit(int(outcome.exit_code))


@app.command()
@handled
def localize(
    repo: Optional[str] = RepoOption,
    test_cmd: Optional[str] = typer.Option(None, "--test-cmd", metavar="CMD", help="Command that runs the tests (default: the test_cmd setting, else pytest)."),
    failing_test: list[str] = typer.Option([], "--failing-test", metavar="NODEID", help="Only these failing tests (a node id or a prefix of one); repeatable."),
    top: int = typer.Option(10, "--top", min=1, metavar="N", help="How many suspects to show."),
    formula: str = typer.Option("ochiai", "--formula", metavar="NAME", help="Suspiciousness formula: ochiai, tarantula or dstar."),
    issue: Optional[str] = typer.Option(None, "--issue", metavar="TEXT", help="What is wrong, in words: its words are searched in the code and a traceback it quotes is followed, beside the spectra."),
    issue_file: Optional[Path] = IssueFileOption,
    explain: bool = typer.Option(False, "--explain", help="Show which signals put each suspect where it is (SBFL score, issue-text search rank, traceback frame, mutation evidence) and its most suspicious lines; in --json a `signals` object per suspect."),
    mutation: str = typer.Option(MUTATION_DEFAULT, "--mutation", metavar="on|off", help="Mutate the top suspects and rerun the tests that cover them: a function whose mutants change the failing tests' outcome rises (costs up to about 0.5x the test run more; not run when no other suspect is close to the first)."),
    python: Optional[str] = PythonOption,
    pass_env: list[str] = PassEnvOption,
    sandbox: Optional[str] = SandboxOption,
    memory_limit: Optional[str] = MemoryOption,
    as_json: bool = JsonOption,
) -> None:
    """Rank the functions most likely to hold the bug, from the spectra of the tests that fail at HEAD."""
    from suture.agent import runs
    from suture.agent.cli import render

    if formula not in FORMULAS:
        raise SutureExit(f"unknown --formula {formula!r}; use one of: {', '.join(FORMULAS)}.")
    if mutation not in ("on", "off"):
        raise SutureExit(f"unknown --mutation {mutation!r}; use on or off.")
    text = issue_text(issue, issue_file)
    root = guard.resolve_repo(repo)
    settings = settings_for(root, test_cmd=test_cmd, python=python, sandbox=sandbox, memory_limit=memory_limit,
                         pass_env=",".join(pass_env) or None)
    apply_sandbox(settings)
    from suture.agent.environment import project_environment
    from suture.tools.testing.localize import LocalizeError, localize as run_localize

    environment, command = project_environment(root, settings, settings.test_cmd)

    run_dir = runs.new_run_dir(root, "localize")
    with render.status("running the tests with per-test coverage", enabled=sys.stderr.isatty()):
        try:
            found = run_localize(root, test_cmd=command, failing_tests=failing_test,
                                 formula=formula, run_dir=run_dir, top=top, issue_text=text,
                                 index_cache=root / ".suture" / "cache" / "base-index",
                                 per_test_timeout=settings.test_timeout, shorten_after_hang=True,
                                 mutation=_mutation_plan(settings.mutation_share) if mutation == "on" else None)
        except LocalizeError as error:
            runs.write_report(run_dir, {"command": "localize", "status": "error", "error": str(error)})
            raise SutureExit(str(error)) from None
    report = sandbox_report({**found.to_dict(explain), "environment": environment.to_dict(), "run_dir": str(run_dir)})
    runs.write_report(run_dir, {"command": "localize", **report})
    if as_json:
        render.print_json(report)
    else:
        render.stdout_console().print(render.ranking_table(report["ranking"]))
        if explain:
            sys.stdout.write("\n".join(render.explain_lines(found.explained(), formula)) + "\n")
        sys.stderr.write(f"{len(found.failing)} failing test(s) at HEAD")
        sys.stderr.write(f", {len(found.flaky)} flaky and left out: {', '.join(found.flaky)}\n" if found.flaky else "\n")
    for note in found.notes:  # set-up errors left out, coverage that could not be recorded
        render.print_warning(note)
    if not found.ranking:
        render.print_error("the failing tests covered no code of the repository outside its tests.")
        raise typer.Exit(int(ExitCode.NOTHING_FOUND))


def _mutation_plan(share: float):
    """Mutation evidence with the rule engine's templates as its operators (agent/propose/mutants.py)."""
    from suture.agent.propose.mutants import mutation_plan

    return mutation_plan(share)


@app.command()
@handled
def undo(
    repo: Optional[str] = RepoOption,
    as_json: bool = JsonOption,
) -> None:
    """Take back the last `suture fix --apply` (reverse-apply) or `--commit` (delete its suture/<id> branch)."""
    from suture.agent.cli import render
    from suture.agent.fix.deliver import undo as undo_last_delivery

    root = guard.resolve_repo(repo)
    try:
        undone = undo_last_delivery(root)
    except SutureExit as exc:
        if not (as_json and exc.code == ExitCode.NOTHING_FOUND):
            raise
        render.print_error(exc.message, "suture undo")
        render.print_json({"undone": None, "message": exc.message})
        raise typer.Exit(int(exc.code)) from None
    if as_json:
        render.print_json(undone.to_dict())
    else:
        sys.stdout.write(undone.message + "\n")


@app.command()
@handled
def verify(
    target: str = typer.Argument(..., metavar="TARGET", help="path/to/file.py::func (or path.py:func, module:func, Class.method as func), file.c or file.c::func."),
    repo: Optional[str] = RepoOption,
    against: Optional[str] = typer.Option(None, "--against", metavar="REV", help="Compare the function with its version at this commit (equivalence mode)."),
    mode: Optional[str] = typer.Option(None, "--mode", metavar="MODE", help="contracts (asserts, PEP 316, icontract/deal, crashes; C safety) or equivalence (default: equivalence with --against, else contracts)."),
    bound: Optional[int] = typer.Option(None, "--bound", metavar="N", help="Search bound in each backend's unit: CrossHair iterations, Hypothesis examples, ESBMC unwindings."),
    time_limit: float = typer.Option(30.0, "--time-limit", metavar="S", help="Wall-clock seconds for all backends together."),
    float_policy: str = typer.Option("exact", "--floats", metavar="POLICY", help="How equivalence compares floats: exact or isclose."),
    python: Optional[str] = typer.Option(None, "--python", metavar="PATH", help="The project's interpreter, whose packages the verifier imports after suture's own (default: detected as for fix)."),
    pass_env: list[str] = PassEnvOption,
    sandbox: Optional[str] = SandboxOption,
    memory_limit: Optional[str] = MemoryOption,
    as_json: bool = JsonOption,
) -> None:
    """Bounded verification of one function (CrossHair, Hypothesis, ESBMC); every counterexample is replayed (Python in CPython, C compiled with sanitizers).

    Exit 0: no counterexample within the bound (or the search was exhausted); 1: a reproduced
    counterexample; 2: bad input or an unsupported target; 3: a verifier missing or failing.
    """
    from suture.agent.cli import render
    from suture.agent.verify import run_verify

    if float_policy not in ("exact", "isclose"):
        raise SutureExit(f"unknown --floats {float_policy!r}; use exact or isclose.")
    root = guard.resolve_repo(repo)
    from suture.agent.environment import project_environment

    settings = settings_for(root, python=python, sandbox=sandbox, memory_limit=memory_limit,
                            pass_env=",".join(pass_env) or None)
    apply_sandbox(settings)  # the verifier's children run in the tests' sandbox (tools/verify/bounded_run.py)
    environment, _ = project_environment(root, settings, None, tests=False)
    with render.status("verifying", enabled=sys.stderr.isatty()):
        outcome = run_verify(root, target, against=against, mode=mode, bound=bound, time_limit=time_limit,
                             float_policy=float_policy)
    report = for_user(sandbox_report({**outcome.to_dict(), "environment": environment.to_dict()}), root)
    if as_json:
        render.print_json(report)
    else:
        verdict = outcome.verdict
        lines = [f"{report['target']}: {verdict.verdict.replace('_', ' ')} ({verdict.backend}, "
                 f"{verdict.bound_kind or 'bound'} {verdict.bound if verdict.bound is not None else '-'}, {verdict.seconds:.1f} s)",
                 f"  {verdict.message}"]
        if verdict.counterexample:
            cx = verdict.counterexample
            lines.append("  inputs: " + ", ".join(f"{name}={value}" for name, value in cx.inputs.items()))
            lines.append(f"  at {cx.location or '?'}: {cx.message}" + ("" if cx.replayed else " (not replayed)"))
        for artefact in verdict.artefacts:
            lines.append(f"  tool artefact, not a bug: {artefact}")
        sys.stdout.write(for_user("\n".join(lines), root) + "\n")
    raise typer.Exit(int(outcome.exit_code))
