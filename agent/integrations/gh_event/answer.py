"""The Action's answer to one event: acknowledge, run fix or optimize with the secrets withheld,
then either commit, push and open (or update) the draft pull request, or comment why not.

The push goes to the URL origin had when the event arrived (read before any candidate or test
ran), so nothing that ran meanwhile can send the branch, or the token, somewhere else.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.integrations.gh_event.event import (OPTIMIZE_USAGE, ActionInputs, Trigger, classify, issue_text,
                                                      optimize_request, read_event, workspace)
from suture.agent.integrations.gh_event.texts import (commit_message, failure_comment, optimize_failure_comment,
                                                      optimize_pull_body, pull_body, run_link)
from suture.tools.git import gitstate, publish
from suture.tools.git.cmd import GitError
from suture.tools.github_api import GitHubClient, GitHubError

__all__ = ["GhEventOutcome", "run_gh_event"]

BRANCH_TEMPLATE = "suture/issue-{number}"
REMOTE = "origin"
# Secrets of the runner that the repository's tests (run on code suture is changing) have no use for.
HIDDEN_WHILE_FIXING = ("GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")


@dataclass
class GhEventOutcome:
    exit_code: ExitCode
    report: dict[str, Any] = field(default_factory=dict)


def run_gh_event(environ: Mapping[str, str] | None = None, *,
                 log: Callable[[str], None] | None = None, pass_env: tuple[str, ...] = ()) -> GhEventOutcome:
    """Handle the GitHub event described by `environ` (default: this process's environment)."""
    env = dict(os.environ if environ is None else environ)
    say = log or _log
    event_name, event = read_event(env)
    inputs = ActionInputs.from_env(env)
    if pass_env:
        inputs = dataclasses.replace(inputs, pass_env=",".join(pass_env))
    found = classify(event_name, event, inputs.label)
    if isinstance(found, str):
        say(f"ignored: {found}.")
        return GhEventOutcome(ExitCode.DONE, {"action": "ignored", "reason": found})
    repo = workspace(env)
    token = env.get("GITHUB_TOKEN") or ""
    if not token:
        raise SutureExit("GITHUB_TOKEN is not set; the Action passes its `token` input (default: github.token) "
                         "as GITHUB_TOKEN.", ExitCode.REFUSED)
    try:
        github = GitHubClient.from_env(env)
        return _answer(found, repo, github, token, inputs, env, say)
    except GitHubError as error:
        raise SutureExit(error.message, ExitCode.REFUSED) from None


@dataclass
class _Pipeline:
    """One of the two jobs an issue can ask for, as the shared answer flow needs it."""

    name: str  # how messages name the job: "a fix" | "optimize"
    options: Any
    run: Callable[[Path, Any], Any]  # run_fix / run_optimize
    succeeded: Callable[[Any], bool]
    pull_body: Callable[[Trigger, dict[str, Any], Mapping[str, str]], str]
    failure_comment: Callable[[dict[str, Any], Mapping[str, str]], str]
    ack: str  # what the acknowledgement says suture is doing


@dataclass(frozen=True)
class _Refusal:
    """A request suture answers with one comment and no run."""

    message: str
    code: ExitCode = ExitCode.BAD_INPUT


def _answer(trigger: Trigger, repo: Path, github: GitHubClient, token: str, inputs: ActionInputs,
            env: dict[str, str], say: Callable[[str], None]) -> GhEventOutcome:
    n = trigger.issue
    started_by = "the label" if trigger.source == "label" else f"/suture {trigger.command}"
    say(f"{started_by} on issue #{n}" + (f" by {trigger.actor}" if trigger.actor else "") + ".")
    push_url = publish.push_url(repo, REMOTE)  # before anything runs: see the module's docstring
    _warn_persisted_credentials(repo, say)
    pipeline = _fix_pipeline(repo, trigger, inputs) if trigger.command == "fix" else \
        _optimize_pipeline(repo, trigger, inputs)
    if isinstance(pipeline, _Refusal):
        github.create_comment(n, pipeline.message)
        say(pipeline.message)
        return GhEventOutcome(pipeline.code, {"action": "commented", "issue": n, "status": "refused",
                                              "reason": pipeline.message})
    github.create_comment(n, pipeline.ack + run_link(env, " Progress: {}.") + "\n\nIt opens a draft pull request "
                          "only if a change passes every gate; otherwise it says here what it tried.")
    started = time.time()
    try:
        with _hidden(HIDDEN_WHILE_FIXING):
            outcome = pipeline.run(repo, pipeline.options)
    except SutureExit as stop:
        run_dir = _latest_run_dir(repo, started)
        _write_page(run_dir, say)
        _write_output(env, run_dir=run_dir)
        github.create_comment(n, f"suture could not run {pipeline.name} on this issue: {stop.message}"
                              + run_link(env, "\n\nLog: {}."))
        say(f"no {pipeline.name}: {stop.message}")
        return GhEventOutcome(stop.code, {"action": "commented", "issue": n, "status": "error",
                                          "reason": stop.message, "run_dir": str(run_dir or "")})
    except Exception:
        github.create_comment(n, "suture hit an internal error while working on this issue (a bug in suture)"
                              + run_link(env, "; the log is at {}") + ".")
        raise
    report = outcome.report
    _write_page(report.get("run_dir"), say)
    _write_output(env, run_dir=report.get("run_dir"))
    if pipeline.succeeded(outcome):
        return _propose(trigger, report, pipeline.pull_body(trigger, report, env), repo, github, token, inputs, env, say,
                        push_url)
    github.create_comment(n, pipeline.failure_comment(report, env))
    say(f"nothing passed every gate: {report.get('stopped_because') or report.get('status')}.")
    return GhEventOutcome(outcome.exit_code, {"action": "commented", "issue": n, "status": report.get("status"),
                                              "reason": report.get("stopped_because", ""),
                                              "run_dir": report.get("run_dir", "")})


def _propose(trigger: Trigger, report: dict[str, Any], body: str, repo: Path, github: GitHubClient, token: str,
             inputs: ActionInputs, env: dict[str, str], say: Callable[[str], None],
             push_url: str | None) -> GhEventOutcome:
    """Commit the gated patch on the base, force-push suture/issue-<N>, open or update its draft PR."""
    n = trigger.issue
    branch = BRANCH_TEMPLATE.format(number=n)
    commit = _commit(repo, report["patch"], gitstate.head_commit(repo) or "HEAD",
                     commit_message(trigger, report), inputs)
    _push(repo, push_url, commit, branch, token, env)
    say(f"pushed {commit[:12]} to {branch}.")
    verb = "fix" if trigger.command == "fix" else "speed up"
    title = f"suture: {verb} #{n}: {trigger.title}"[:200]
    existing = github.find_open_pull(branch)
    if existing is not None:
        pull = github.update_pull(existing["number"], title=title, body=body)
    else:
        base = trigger.base_branch or env.get("GITHUB_REF_NAME") or "main"
        pull = github.create_pull(title=title, head=branch, base=base, body=body, draft=True)
    url = str(pull.get("html_url") or "")
    _write_output(env, pull_request=url)
    say(f"{'updated' if existing else 'opened'} draft pull request {url or pull.get('number')}.")
    return GhEventOutcome(ExitCode.DONE, {"action": "pull_request_updated" if existing else "pull_request_created",
                                          "issue": n, "status": report.get("status"), "branch": branch,
                                          "commit": commit, "pull_request": url, "run_dir": report.get("run_dir", "")})


def _settings(repo: Path, inputs: ActionInputs):
    import warnings

    from suture.agent import config, guard

    cli = {"model": inputs.model, "max_cost": inputs.max_cost, "test_cmd": inputs.test_cmd,
           "time_limit": inputs.time_limit, "pass_env": inputs.pass_env}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", config.ConfigWarning)
        settings = config.load_settings(repo, cli)
    if settings.model:
        guard.check_model_name(settings.model)
    return settings


def _engine_words(settings: Any) -> str:
    return (f"the model `{settings.model}` (budget ${settings.max_cost:g})" if settings.model
            else "the offline rule engine")


def _fix_pipeline(repo: Path, trigger: Trigger, inputs: ActionInputs) -> _Pipeline | _Refusal:
    from suture.agent.environment import project_environment
    from suture.agent.fix.pipeline import FixOptions, run_fix

    settings = _settings(repo, inputs)
    try:  # the project's own Python when the workflow made one (a .venv from `uv sync`, ...): tools/testing/pyenv.py
        environment, command = project_environment(repo, settings, settings.test_cmd)
    except SutureExit as stop:
        return _Refusal(f"suture cannot run its tests here: {stop.message}", stop.code)
    options = FixOptions(test_cmd=command, environment=environment.to_dict(), issue_text=issue_text(trigger),
                         time_limit=settings.time_limit, mode="print", model=settings.model, api_base=settings.api_base, max_cost=settings.max_cost,
                         allow_paths=inputs.allowed_paths, map_tokens=settings.map_tokens)
    return _Pipeline(
        "a fix", options, run_fix,
        succeeded=lambda outcome: (outcome.report.get("status") == "fixed" and outcome.chosen is not None
                                   and outcome.chosen.accepted),
        pull_body=pull_body, failure_comment=failure_comment,
        ack=f"suture is working on this issue with {_engine_words(settings)}: it runs `suture fix` with the "
            "issue's title and body (the gates: the failing tests pass, no passing test breaks, the bounded "
            "verifier finds no new failure).")


def _optimize_pipeline(repo: Path, trigger: Trigger, inputs: ActionInputs) -> _Pipeline | _Refusal:
    """The `/suture optimize` hook, or the one comment to answer with instead of a run."""
    try:
        from suture.agent.optimize.pipeline import OptimizeOptions, run_optimize
    except ImportError:
        return _Refusal("`/suture optimize` is not available in this version of suture yet; `/suture fix` is.",
                        ExitCode.DONE)
    request = optimize_request(trigger.instructions, repo)
    if isinstance(request, str):
        return _Refusal(f"suture cannot run this `/suture optimize`: {request}. Write it as {OPTIMIZE_USAGE}.")
    targets, workloads = request
    from suture.agent.config import callgrind_on

    settings = _settings(repo, inputs)
    if not workloads and not settings.model:
        return _Refusal(f"suture cannot run this `/suture optimize`: without a model it needs a --workload. "
                        f"Write it as {OPTIMIZE_USAGE}.")
    options = OptimizeOptions(target=targets[0], targets=tuple(targets), workload=workloads[0] if workloads else None,
                              workloads=tuple(workloads), test_cmd=settings.test_cmd, model=settings.model,
                              max_cost=settings.max_cost, time_limit=settings.time_limit, mode="print",
                              api_base=settings.api_base, callgrind=callgrind_on(settings))
    return _Pipeline(
        "optimize", options, run_optimize,
        succeeded=lambda outcome: outcome.report.get("status") == "optimized" and bool(outcome.report.get("patch")),
        pull_body=optimize_pull_body, failure_comment=optimize_failure_comment,
        ack=f"suture is working on this issue with {_engine_words(settings)}: it runs `suture optimize` on "
            + ", ".join(f"`{t}`" for t in targets) + " (the gates: the tests and the equivalence checks pass, "
            "and the speed-up is statistically significant).")


def _push(repo: Path, url: str | None, commit: str, branch: str, token: str, env: Mapping[str, str]) -> None:
    if url is None:
        raise SutureExit(f"the checkout has no remote {REMOTE} to push {branch} to.", ExitCode.REFUSED)
    try:
        publish.push_commit(repo, url, commit, branch, token, env.get("GITHUB_SERVER_URL", ""))
    except GitError as error:
        raise SutureExit(f"git push of {branch} to {REMOTE} failed ({error.stderr or 'no message'}); the token needs "
                         "`contents: write`.", ExitCode.REFUSED) from None


def _commit(repo: Path, patch: str, base: str, message: str, inputs: ActionInputs) -> str:
    try:
        return publish.commit_patch(repo, patch, base, message, inputs.git_name, inputs.git_email)
    except GitError as error:
        what = error.command[0] if error.command else "commit"
        raise SutureExit(f"git {what} failed while making the pull request's commit ({error.stderr or 'no message'}).",
                         ExitCode.INTERNAL_ERROR) from None


def _warn_persisted_credentials(repo: Path, say: Callable[[str], None]) -> None:
    if publish.persisted_extraheader(repo):
        say("warning: the checkout keeps a token in .git/config (actions/checkout's persist-credentials); "
            "the repository's tests could read it, so set `persist-credentials: false`.")


def _latest_run_dir(repo: Path, since: float) -> Path | None:
    runs = repo / ".suture" / "runs"
    found = [d for d in runs.glob("*-fix-*") if d.is_dir() and d.stat().st_mtime >= since - 1] if runs.is_dir() else []
    return max(found, key=lambda d: d.stat().st_mtime, default=None)


def _write_page(run_dir: Path | str | None, say: Callable[[str], None]) -> None:
    """The run's report.html, in the run dir the workflow uploads as an artifact (action.yml)."""
    if not run_dir:
        return
    from suture.agent.report import write_page

    try:
        write_page(Path(run_dir))
    except (OSError, SutureExit) as error:
        say(f"the run's HTML report could not be written: {getattr(error, 'message', error)}")


def _write_output(env: Mapping[str, str], **values: Any) -> None:
    """Step outputs for the workflow (the run dir for the artifact upload)."""
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        for key, value in values.items():
            if value:
                out.write(f"{key.replace('_', '-')}={str(value).splitlines()[0]}\n")


@contextmanager
def _hidden(names: tuple[str, ...]) -> Iterator[None]:
    """Take `names` out of os.environ (what child processes inherit) for the duration."""
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _log(line: str) -> None:
    sys.stderr.write(f"suture gh-event: {line}\n")
    sys.stderr.flush()
