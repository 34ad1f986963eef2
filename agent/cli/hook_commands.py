"""The commands other tools call: `check` (pre-commit) and `gh-event` (the GitHub Action)."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from suture.agent import guard
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


@app.command(name="gh-event")
@handled
def gh_event(
    pass_env: list[str] = PassEnvOption,
    as_json: bool = JsonOption,
) -> None:
    """Answer the GitHub event of this Actions job: a labelled issue or a `/suture fix` comment gets a draft PR.

    Reads GITHUB_EVENT_PATH, GITHUB_EVENT_NAME, GITHUB_REPOSITORY, GITHUB_WORKSPACE, GITHUB_TOKEN and the
    Action's inputs as INPUT_* variables (see action.yml). Events it does not answer exit 0 with one log line.
    """
    from suture.agent.cli import render
    from suture.agent.integrations.gh_event import run_gh_event

    outcome = run_gh_event(pass_env=tuple(pass_env))
    if as_json:
        render.print_json(outcome.report)
    raise typer.Exit(int(outcome.exit_code))


@app.command()
@handled
def check(
    paths: list[str] = typer.Argument(None, metavar="[PATH]...", help="Check only these staged files (default: every staged file)."),
    repo: Optional[str] = RepoOption,
    time_cap: float = typer.Option(20.0, "--time-cap", metavar="S", help="Hard limit in seconds; when reached the check stops, warns and passes (exit 0)."),
    python: Optional[str] = PythonOption,
    pass_env: list[str] = PassEnvOption,
    sandbox: Optional[str] = SandboxOption,
    memory_limit: Optional[str] = MemoryOption,
    as_json: bool = JsonOption,
) -> None:
    """Check the staged changes before a commit (the pre-commit hook): parse, covering tests, bounded verifier.

    Offline, never changes a file. Exit 0: nothing wrong (or the time cap was hit: a warning says
    what went unchecked); 1: a finding, each with file:line; 2: not a git work tree or bad input.
    """
    from suture.agent.cli import render
    from suture.agent.integrations.check import run_check, summary

    root = guard.resolve_repo(repo)
    apply_sandbox(settings_for(root, sandbox=sandbox, memory_limit=memory_limit))
    with render.status("checking the staged changes", enabled=sys.stderr.isatty()):
        outcome = run_check(root, time_cap=time_cap, paths=paths or (), interpreter=python, pass_env=tuple(pass_env))
    report = for_user(sandbox_report(outcome.report), root)
    for warning in report["warnings"]:
        render.print_warning(warning)
    if as_json:
        render.print_json(report)
    else:
        sys.stdout.write(for_user(summary(outcome), root) + "\n")
    raise typer.Exit(int(outcome.exit_code))
