"""The commands other tools call: `check` (pre-commit) and `gh-event` (the GitHub Action)."""

from __future__ import annotations

import sys
from pathlib import Path
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
    page: Optional[Path] = typer.Option(None, "--report", metavar="FILE.html", help="Also write the check's HTML page (what was checked, each finding with its evidence, what went unchecked) to this file."),
    as_json: bool = JsonOption,
) -> None:
    """Check the staged changes before a commit (the pre-commit hook): parse, covering tests, bounded verifier.

    Offline, never changes a tracked file: the run record goes to .suture/runs/ (git-excluded, the newest 20
    kept) for `suture report`. Exit 0: nothing wrong (or the time cap was hit: a warning says what went
    unchecked); 1: a finding, each with file:line; 2: not a git work tree or bad input.
    """
    from suture.agent.cli import render
    from suture.agent.integrations.check import run_check, summary

    root = guard.resolve_repo(repo)
    target = _page_target(page)
    apply_sandbox(settings_for(root, sandbox=sandbox, memory_limit=memory_limit))
    with render.status("checking the staged changes", enabled=sys.stderr.isatty()):
        outcome = run_check(root, time_cap=time_cap, paths=paths or (), interpreter=python, pass_env=tuple(pass_env))
    report = for_user(sandbox_report(outcome.report), root)
    for warning in report["warnings"]:
        render.print_warning(warning)
    run_dir = _keep_record(root, report, outcome.sources, wanted=target is not None)
    if as_json:
        render.print_json(report)
    else:
        sys.stdout.write(for_user(summary(outcome), root) + "\n")
    _show_page(run_dir, target, report["status"])
    raise typer.Exit(int(outcome.exit_code))


def _page_target(page: Optional[Path]) -> Optional[Path]:
    """--report's file, checked before the check runs (a typo must not cost the check)."""
    from suture.agent.exitcodes import SutureExit

    if page is None:
        return None
    target = page.expanduser().absolute()
    if target.is_dir():
        raise SutureExit(f"--report {page} is a directory; name the HTML file to write.")
    if not target.parent.is_dir():
        raise SutureExit(f"cannot write {target}: the directory {target.parent} does not exist.")
    return target


def _keep_record(root: Path, report: dict, sources: list, wanted: bool) -> Optional[Path]:
    """The check's run record (agent/integrations/check/record.py), or None: nothing was checked and no
    page asked for, or it could not be kept (said once; the check's outcome stands)."""
    from suture.agent.cli import render
    from suture.agent.exitcodes import SutureExit
    from suture.agent.integrations.check.record import keep_record

    if report["status"] == "nothing_to_check" and not wanted:
        return None
    try:
        return keep_record(guard.git_toplevel(root) or root, report, sources)
    except (OSError, SutureExit) as error:
        render.print_warning(f"the check's run record could not be kept: {getattr(error, 'message', error)}")
        return None


def _show_page(run_dir: Optional[Path], target: Optional[Path], status: str) -> None:
    """--report's page; on a terminal, the page of a check that found something or stopped early."""
    from suture.agent.cli.report_commands import announce_page, write_page_or_warn

    if run_dir is None:
        return
    if target is not None:
        write_page_or_warn(run_dir, target)
    elif status in ("findings", "incomplete"):
        announce_page(str(run_dir))
