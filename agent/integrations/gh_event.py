"""`suture gh-event`: answer a GitHub issue with a draft pull request (the Action's entry point).

Reads the event GitHub Actions hands every job (GITHUB_EVENT_PATH, GITHUB_EVENT_NAME,
GITHUB_REPOSITORY, GITHUB_WORKSPACE) and acts on two triggers only:
- `issues` / `labeled` with the configured label (default `suture`), on an issue opened
  by an OWNER, MEMBER or COLLABORATOR;
- `issue_comment` / `created` on an issue (not a pull request) whose body starts with
  `/suture fix` (or `/suture optimize`), written by an OWNER, MEMBER or COLLABORATOR.
Anything else is ignored with one log line and exit 0, before any request is made.

The issue's title, body and comment are data: they reach `run_fix` as its issue text and
never a shell. `/suture optimize --target pkg.mod:func --workload path.py` runs `run_optimize`
on names and repository files only (a bench command, being a shell command, is refused).
Either pipeline runs in print mode on the checkout; a patch that passed every gate
is committed with git plumbing on the base commit and force-pushed to `suture/issue-<N>`,
then a draft pull request is opened, or the open one from that branch is updated, so
re-runs never pile up pull requests. Otherwise the issue gets a comment saying what was
tried and why nothing passed.

The push goes to the URL origin had when the event arrived (read before any candidate or test
ran, pushed to as an explicit URL, not by the remote's name), so nothing that ran meanwhile can
send the branch, or the token the credential helper hands git, somewhere else.

The token never leaves memory except as an HTTP header (tools/github_api.py) and as the
environment of `git push`, whose credential helper reads it there at push time; it is
taken out of this process's environment while the fix runs, so the repository's tests
(code suture is changing) never see it.

Over 600 lines as one concept: the Action's whole conversation with one event (read it,
decide, run fix, push, open or update the pull request, comment) is one protocol.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.agent.exitcodes import ExitCode, SutureExit
from suture.tools.git import gitstate
from suture.tools.git.cmd import run as run_git
from suture.tools.github_api import GitHubClient, GitHubError

TRUSTED_ASSOCIATIONS = ("OWNER", "MEMBER", "COLLABORATOR")
DEFAULT_LABEL = "suture"
BRANCH_TEMPLATE = "suture/issue-{number}"
REMOTE = "origin"
COMMAND = re.compile(r"\A\s*/suture[ \t]+(fix|optimize)\b(.*)", re.S)
DEFAULT_GIT_NAME = "suture[bot]"
DEFAULT_GIT_EMAIL = "suture-bot@users.noreply.github.com"
# The credential helper answers with the token from its own environment, so the token is in
# no argv, no URL and no config file. The empty helper first drops any configured ones.
CREDENTIAL_HELPER = '!f() { echo username=x-access-token; echo "password=${GITHUB_TOKEN}"; }; f'
# Secrets of the runner that the repository's tests (run on code suture is changing) have no use for.
HIDDEN_WHILE_FIXING = ("GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters
PATCH_SHOWN = 20_000


@dataclass(frozen=True)
class ActionInputs:
    """The Action's inputs, passed by action.yml as INPUT_* variables ("" means not given)."""

    label: str = DEFAULT_LABEL
    model: str | None = None
    max_cost: str | None = None
    test_cmd: str | None = None
    time_limit: str | None = None
    allowed_paths: tuple[str, ...] = ()
    git_name: str = DEFAULT_GIT_NAME
    git_email: str = DEFAULT_GIT_EMAIL
    pass_env: str | None = None  # names the project's tests get although withheld (tools/childenv.py)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "ActionInputs":
        def given(name: str) -> str | None:
            value = env.get(f"INPUT_{name}", "").strip()
            return value or None

        paths = re.split(r"[\n,]", env.get("INPUT_ALLOWED_PATHS", ""))
        return cls(
            label=given("LABEL") or DEFAULT_LABEL,
            model=given("MODEL"), max_cost=given("MAX_COST"), test_cmd=given("TEST_CMD"),
            time_limit=given("TIME_LIMIT"),
            allowed_paths=tuple(p.strip() for p in paths if p.strip()),
            git_name=given("GIT_USER_NAME") or DEFAULT_GIT_NAME,
            git_email=given("GIT_USER_EMAIL") or DEFAULT_GIT_EMAIL,
            pass_env=given("PASS_ENV"),
        )


@dataclass(frozen=True)
class Trigger:
    command: str  # "fix" | "optimize"
    issue: int
    title: str
    body: str
    instructions: str = ""  # the comment's text after `/suture fix`
    actor: str = ""
    base_branch: str = ""  # the repository's default branch, the pull request's base
    source: str = "comment"  # "label" | "comment": what started it, for the log


@dataclass
class GhEventOutcome:
    exit_code: ExitCode
    report: dict[str, Any] = field(default_factory=dict)


def classify(event_name: str, event: dict[str, Any], label: str = DEFAULT_LABEL) -> Trigger | str:
    """The trigger in `event`, or the reason (one clause) it is not one."""
    issue = event.get("issue") if isinstance(event.get("issue"), dict) else None
    action = event.get("action")
    if issue is None or not isinstance(issue.get("number"), int):
        return f"a {event_name} event without an issue"
    number = issue["number"]
    base = str((event.get("repository") or {}).get("default_branch") or "")
    title, body = str(issue.get("title") or ""), str(issue.get("body") or "")
    if event_name == "issues":
        if action != "labeled":
            return f"issue #{number} was {action}, not labelled"
        name = str((event.get("label") or {}).get("name") or "")
        if name.casefold() != label.casefold():
            return f"issue #{number} got the label {name!r}, not {label!r}"
        association = str(issue.get("author_association") or "NONE")
        if association not in TRUSTED_ASSOCIATIONS:
            return (f"issue #{number} was opened by a {association}, and labels act only on issues of "
                    f"{'/'.join(TRUSTED_ASSOCIATIONS)}; a maintainer may comment `/suture fix` on it instead")
        return Trigger("fix", number, title, body, actor=str((event.get("sender") or {}).get("login") or ""),
                       base_branch=base, source="label")
    if event_name == "issue_comment":
        comment = event.get("comment") if isinstance(event.get("comment"), dict) else {}
        if issue.get("pull_request"):
            return f"#{number} is a pull request, and suture answers issues only"
        if action != "created":
            return f"a comment on issue #{number} was {action}, and only new comments count"
        match = COMMAND.match(str(comment.get("body") or ""))
        if match is None:
            return f"the comment on issue #{number} is not a /suture command"
        association = str(comment.get("author_association") or "NONE")
        login = str((comment.get("user") or {}).get("login") or "")
        if association not in TRUSTED_ASSOCIATIONS:
            return (f"/suture {match.group(1)} on issue #{number} came from {login or 'someone'} ({association}), "
                    f"and only {'/'.join(TRUSTED_ASSOCIATIONS)} may run suture")
        return Trigger(match.group(1), number, title, body, instructions=match.group(2).strip(), actor=login,
                       base_branch=base)
    return f"a {event_name} event, which suture does not answer"


def run_gh_event(environ: Mapping[str, str] | None = None, *,
                 log: Callable[[str], None] | None = None, pass_env: tuple[str, ...] = ()) -> GhEventOutcome:
    """Handle the GitHub event described by `environ` (default: this process's environment)."""
    env = dict(os.environ if environ is None else environ)
    say = log or _log
    event_name, event = _read_event(env)
    inputs = ActionInputs.from_env(env)
    if pass_env:
        inputs = dataclasses.replace(inputs, pass_env=",".join(pass_env))
    found = classify(event_name, event, inputs.label)
    if isinstance(found, str):
        say(f"ignored: {found}.")
        return GhEventOutcome(ExitCode.DONE, {"action": "ignored", "reason": found})
    repo = _workspace(env)
    token = env.get("GITHUB_TOKEN") or ""
    if not token:
        raise SutureExit("GITHUB_TOKEN is not set; the Action passes its `token` input (default: github.token) "
                         "as GITHUB_TOKEN.", ExitCode.REFUSED)
    try:
        github = GitHubClient.from_env(env)
        return _answer(found, repo, github, token, inputs, env, say)
    except GitHubError as error:
        raise SutureExit(error.message, ExitCode.REFUSED) from None


# -- the answer ------------------------------------------------------------------------------


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
    push_url = push_target(repo)  # before anything runs: see the module's docstring
    _warn_persisted_credentials(repo, say)
    pipeline = _fix_pipeline(repo, trigger, inputs) if trigger.command == "fix" else \
        _optimize_pipeline(repo, trigger, inputs)
    if isinstance(pipeline, _Refusal):
        github.create_comment(n, pipeline.message)
        say(pipeline.message)
        return GhEventOutcome(pipeline.code, {"action": "commented", "issue": n, "status": "refused",
                                              "reason": pipeline.message})
    github.create_comment(n, pipeline.ack + _run_link(env, " Progress: {}.") + "\n\nIt opens a draft pull request "
                          "only if a change passes every gate; otherwise it says here what it tried.")
    started = time.time()
    try:
        with _hidden(HIDDEN_WHILE_FIXING):
            outcome = pipeline.run(repo, pipeline.options)
    except SutureExit as stop:
        run_dir = _latest_run_dir(repo, started)
        _write_output(env, run_dir=run_dir)
        github.create_comment(n, f"suture could not run {pipeline.name} on this issue: {stop.message}"
                              + _run_link(env, "\n\nLog: {}."))
        say(f"no {pipeline.name}: {stop.message}")
        return GhEventOutcome(stop.code, {"action": "commented", "issue": n, "status": "error",
                                          "reason": stop.message, "run_dir": str(run_dir or "")})
    except Exception:
        github.create_comment(n, "suture hit an internal error while working on this issue (a bug in suture)"
                              + _run_link(env, "; the log is at {}") + ".")
        raise
    report = outcome.report
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
                     _commit_message(trigger, report), inputs)
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


OPTIMIZE_USAGE = "`/suture optimize --target pkg.mod:func --workload path/in/the/repo.py` (--target repeatable)"
OPTIMIZE_TARGET = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*|[\w./-]+\.py::[A-Za-z_][\w.]*")


def optimize_request(instructions: str, repo: Path) -> tuple[list[str], list[str]] | str:
    """(targets, workload paths) from the first line after `/suture optimize`, or why it is not one.

    Names and repository paths only: a `--bench-cmd` is a shell command, which never comes from a comment.
    """
    import shlex

    try:
        words = shlex.split(instructions.splitlines()[0] if instructions else "")
    except ValueError:
        return "its quoting is unbalanced"
    targets: list[str] = []
    workloads: list[str] = []
    remaining = iter(words)
    for word in remaining:
        flag, _, inline = word.partition("=")
        if flag == "--bench-cmd":
            return "a --bench-cmd is a shell command, and suture never runs commands written in a comment"
        if flag not in ("--target", "--workload"):
            return f"it does not know {word!r}"
        value = inline or next(remaining, "")
        if not value:
            return f"{flag} needs a value"
        if flag == "--target":
            if not OPTIMIZE_TARGET.fullmatch(value) or ".." in value.split("::")[0].split("/"):
                return f"{value!r} is not a target (pkg.mod:func or path.py::func)"
            targets.append(value)
        else:
            path = Path(value)
            if path.is_absolute() or ".." in path.parts or not (repo / path).is_file():
                return f"the workload {value!r} is not a file of the repository"
            workloads.append(str((repo / path).resolve()))
    if not targets:
        return "it names no --target"
    if len(workloads) > 1 and len(workloads) != len(targets):
        return "it needs one --workload for all targets or one per --target"
    return targets, workloads


def issue_text(trigger: Trigger) -> str:
    """What the fix pipeline reads about the issue (data for the model, never for a shell)."""
    text = f"{trigger.title}\n\n{trigger.body}".strip()
    if trigger.instructions:
        text += f"\n\nFrom the /suture {trigger.command} comment: {trigger.instructions}"
    return text


# -- git: commit on the base, push with a credential helper ------------------------------------


def _commit(repo: Path, patch: str, base: str, message: str, inputs: ActionInputs) -> str:
    """One commit, base + patch, made on a temporary index: the checkout is not changed."""
    top = gitstate.toplevel(repo)
    with tempfile.TemporaryDirectory(prefix="suture-gh-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _git(top, "read-tree", base, env=env)
        _git(top, "apply", "--cached", "--whitespace=nowarn", "-", input=patch.encode("utf-8"), env=env)
        tree = _git(top, "write-tree", env=env)
    identity = {"GIT_AUTHOR_NAME": inputs.git_name, "GIT_AUTHOR_EMAIL": inputs.git_email,
                "GIT_COMMITTER_NAME": inputs.git_name, "GIT_COMMITTER_EMAIL": inputs.git_email}
    return _git(top, "commit-tree", tree, "-p", base, "-F", "-", input=message.encode("utf-8"), env=identity)


def push_target(repo: Path) -> str | None:
    """Where origin pushes to (its pushurl, else its url), read from the user's repository; None without one."""
    done = run_git(repo, "remote", "get-url", "--push", REMOTE)
    url = done.stdout.decode("utf-8", errors="replace").strip()
    return url if done.returncode == 0 and url else None


def push_args(server_url: str, url: str, commit: str, branch: str) -> list[str]:
    """`git` arguments that force-push `commit` to `branch` at `url` with the environment's token."""
    server = server_url.rstrip("/") or "https://github.com"
    return ["-c", "credential.helper=", "-c", f"credential.helper={CREDENTIAL_HELPER}",
            # actions/checkout may have persisted its own token as an extra header; it would win over ours.
            "-c", f"http.{server}/.extraheader=", "-c", "http.extraheader=",
            "push", "--force", "--quiet", url, f"{commit}:refs/heads/{branch}"]


def _push(repo: Path, url: str | None, commit: str, branch: str, token: str, env: Mapping[str, str]) -> None:
    if url is None:
        raise SutureExit(f"the checkout has no remote {REMOTE} to push {branch} to.", ExitCode.REFUSED)
    top = gitstate.toplevel(repo)
    done = run_git(top, *push_args(env.get("GITHUB_SERVER_URL", ""), url, commit, branch),
                   env={"GITHUB_TOKEN": token, "GIT_ASKPASS": "", "SSH_ASKPASS": ""})
    if done.returncode != 0:
        reason = _git_reason(done.stderr).replace(token, "***") if token else _git_reason(done.stderr)
        raise SutureExit(f"git push of {branch} to {REMOTE} failed ({reason}); the token needs "
                         "`contents: write`.", ExitCode.REFUSED)


def _git(top: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
    done = run_git(top, *args, input=input, env=env)
    if done.returncode != 0:
        raise SutureExit(f"git {args[0]} failed while making the pull request's commit ({_git_reason(done.stderr)}).",
                         ExitCode.INTERNAL_ERROR)
    return done.stdout.decode("utf-8", errors="replace").strip()


def _warn_persisted_credentials(repo: Path, say: Callable[[str], None]) -> None:
    done = run_git(repo, "config", "--name-only", "--get-regexp", r"^http\..*extraheader$")
    if done.returncode == 0 and done.stdout.strip():
        say("warning: the checkout keeps a token in .git/config (actions/checkout's persist-credentials); "
            "the repository's tests could read it, so set `persist-credentials: false`.")


# -- texts -----------------------------------------------------------------------------------


def pull_body(trigger: Trigger, report: dict[str, Any], env: Mapping[str, str]) -> str:
    tests = report.get("tests") or {}
    after = tests.get("after") or {}
    verification = report.get("verification") or {}
    confidence = report.get("confidence") or {}
    cost = report.get("cost") or {}
    lines = [
        f"Closes #{trigger.issue}",
        "",
        f"suture's patch for #{trigger.issue}, found by the {_engine(report)}. "
        "A draft: review it before you merge.",
        "",
        report.get("explanation", ""),
        "",
        "### Diff summary",
        "",
        *diff_summary(report.get("patch", "")),
        "",
        "### Evidence (every gate passed)",
        "",
        f"- Tests before: {_list(tests.get('failing_before'))} failing, "
        f"{tests.get('passing_before', 0)} passing" + (f", flaky and left out: {_list(tests.get('flaky'))}"
                                                        if tests.get("flaky") else "") + ".",
        f"- Tests after: fixed {_list(after.get('fixed'))}; still failing {_list(after.get('still_failing'))}; "
        f"regressions {_list(after.get('regressions'))}.",
        f"- Bounded verifier: {_verifier(verification)}.",
    ]
    if confidence:
        lines.append(f"- Confidence: {confidence.get('value', 0):.2f}"
                     + (f" ({'; '.join(confidence.get('reasons') or [])})" if confidence.get("reasons") else "") + ".")
    if report.get("risks"):
        lines.append(f"- Overfitting risk: {', '.join(report['risks'])}; review with care.")
    lines.append(f"- Cost: ${float(cost.get('usd') or 0):.4f}, {cost.get('tokens', 0)} tokens; "
                 f"{report.get('candidates_tried', 0)} candidate(s) gated in {report.get('seconds', 0)} s.")
    lines += ["", *_patch_block(report.get("patch", "")), "",
              "Re-running suture on the issue updates this pull request."
              + _run_link(env, " The run record is an artifact of {}.")]
    return _clip("\n".join(lines))


def failure_comment(report: dict[str, Any], env: Mapping[str, str]) -> str:
    tests = report.get("tests") or {}
    verification = report.get("verification") or {}
    lines = [
        "suture found no patch that passes every gate, so it opened no pull request.",
        "",
        f"- Tried: {report.get('candidates_tried', 0)} candidate(s) from the {_engine(report)} "
        f"in {report.get('seconds', 0)} s.",
        f"- Failing tests at the base commit: {_list(tests.get('failing_before'))}.",
        f"- Why it stopped: {report.get('stopped_because') or 'no candidate passed'}.",
        f"- Bounded verifier: {verification.get('reason') or _verifier(verification)}.",
    ]
    partial = report.get("best_partial")
    if partial:
        lines.append(f"- Closest candidate (not passing): {partial.get('description') or 'see the run record'}; "
                     f"fixed {len(partial.get('fixed') or [])}, still failing {len(partial.get('still_failing') or [])}, "
                     f"regressions {len(partial.get('regressions') or [])}.")
    plausible = report.get("plausible")
    if plausible:
        lines += ["", "A patch passed every gate but its evidence is weak, so it is shown, not proposed:", "",
                  *_patch_block(plausible.get("patch", ""))]
    advice = ("A test that fails because of the bug gives suture something to repair against." if not tests.get(
        "failing_before") else "The rule engine's templates did not reach this bug; a model (the `model` input) "
        "can go further." if report.get("engine") == "rules" else "")
    lines += ["", (advice + _run_link(env, " Run record: an artifact of {}.")).strip()]
    return _clip("\n".join(lines))


def optimize_pull_body(trigger: Trigger, report: dict[str, Any], env: Mapping[str, str]) -> str:
    cost = report.get("cost") or {}
    lines = [f"Closes #{trigger.issue}", "",
             f"suture's performance edit(s) for #{trigger.issue}. A draft: review it before you merge.", "",
             "### Diff summary", "", *diff_summary(report.get("patch", "")), "",
             "### Evidence (every gate passed)", ""]
    for edit in report.get("edits") or []:
        equivalence = edit.get("equivalence") or {}
        said = ", ".join(f"{name} {str(verdict).replace('_', ' ')}" for name, verdict in equivalence.items() if verdict)
        lines.append(f"- {edit.get('description') or edit.get('rule')} in `{edit.get('path')}` "
                     f"(`{edit.get('function')}`): {float(edit.get('speedup') or 0):.2f}x faster, median of "
                     f"interleaved fresh-process runs, 95% CI {float(edit.get('ci_low') or 0):.2f}-"
                     f"{float(edit.get('ci_high') or 0):.2f}" + (f"; equivalence: {said}" if said else "") + ".")
    tests = report.get("tests") or {}
    if tests.get("ran"):
        lines.append(f"- Tests: the {tests.get('passing_before', 0)} passing test(s) still pass with every edit.")
    elif tests.get("note"):
        lines.append(f"- Tests: {tests['note']}")
    lines.append(f"- Cost: ${float(cost.get('usd') or 0):.4f}, {cost.get('tokens', 0)} tokens; "
                 f"{report.get('candidates_tried', 0)} candidate(s) judged in {report.get('seconds', 0)} s.")
    lines += ["", *_patch_block(report.get("patch", "")), "",
              "Re-running suture on the issue updates this pull request."
              + _run_link(env, " The run record is an artifact of {}.")]
    return _clip("\n".join(lines))


def optimize_failure_comment(report: dict[str, Any], env: Mapping[str, str]) -> str:
    tried = report.get("candidates") or []
    lines = ["suture found no edit that is both equivalent and significantly faster, so it opened no pull request.", "",
             f"- Tried: {report.get('candidates_tried', 0)} candidate(s) in {report.get('seconds', 0)} s.",
             f"- Why it stopped: {report.get('stopped_because') or report.get('status', '').replace('_', ' ')}."]
    for candidate in tried[:5]:
        if isinstance(candidate, dict):
            lines.append(f"- {candidate.get('description') or candidate.get('id', '?')}: "
                         f"{candidate.get('reason') or ('kept' if candidate.get('accepted') else 'rejected')}.")
    lines += ["", _run_link(env, "Run record: an artifact of {}.")]
    return _clip("\n".join(lines).strip())


def diff_summary(patch: str) -> list[str]:
    """One line per changed file: `path` +added -removed."""
    counts: dict[str, list[int]] = {}
    current = None
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            current = line.split(" b/", 1)[-1]
            counts[current] = [0, 0]
        elif current is None or line.startswith(("+++ ", "--- ")):
            continue
        elif line.startswith("+"):
            counts[current][0] += 1
        elif line.startswith("-"):
            counts[current][1] += 1
    return [f"- `{path}` +{added} -{removed}" for path, (added, removed) in counts.items()] or ["- (no file)"]


def _commit_message(trigger: Trigger, report: dict[str, Any]) -> str:
    what = report.get("explanation") or "\n".join(
        f"- {e.get('description')} ({e.get('function')}): {float(e.get('speedup') or 0):.2f}x"
        for e in report.get("edits") or [])
    verb = "fix" if trigger.command == "fix" else "speed up"
    return (f"suture: {verb} #{trigger.issue}\n\n{what}\n\n"
            f"Issue: #{trigger.issue}\nRun: {Path(str(report.get('run_dir', ''))).name}\n")


def _patch_block(patch: str) -> list[str]:
    shown = patch if len(patch) <= PATCH_SHOWN else patch[:PATCH_SHOWN] + "\n... (cut; the full patch is in the run record)\n"
    fence = "````" if "```" in shown else "```"
    return ["<details><summary>Patch</summary>", "", f"{fence}diff", shown.rstrip("\n"), fence, "", "</details>"]


def _engine(report: dict[str, Any]) -> str:
    engine = str(report.get("engine") or "rules")
    return {"rules": "offline rule engine", "model": "model", "rules+model": "rule engine and the model"}.get(
        engine, engine)


VERDICT_WORDS = {
    "exhausted": "every path of the changed functions explored, no new crash or contract violation",
    "no_counterexample_within_bound": "no new crash or contract violation within its bound (not a proof)",
    "counterexample_in_base": "a failure it found fails the base commit alike (not brought in by the patch)",
    "not_run": "not run",
}


def _verifier(verification: dict[str, Any]) -> str:
    verdict = str(verification.get("verdict") or "not_run")
    words = VERDICT_WORDS.get(verdict, verdict.replace("_", " "))
    detail = verification.get("reason") or "; ".join(
        f"`{f.get('function')}`: {str(f.get('verdict', '')).replace('_', ' ')}"
        for f in verification.get("functions") or [] if isinstance(f, dict) and f.get("function"))
    return words + (f" ({detail})" if detail else "")


def _list(items: Any) -> str:
    items = list(items or [])
    if not items:
        return "none"
    shown = ", ".join(f"`{item}`" for item in items[:10])
    return shown + (f" and {len(items) - 10} more" if len(items) > 10 else "")


def _clip(text: str) -> str:
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + "\n\n(cut at GitHub's size limit)"


def _run_link(env: Mapping[str, str], template: str) -> str:
    server, repository, run_id = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    if not (server and repository and run_id):
        return ""
    return template.format(f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}")


# -- environment -----------------------------------------------------------------------------


def _read_event(env: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    name = env.get("GITHUB_EVENT_NAME", "")
    path = env.get("GITHUB_EVENT_PATH", "")
    if not name or not path:
        raise SutureExit("GITHUB_EVENT_NAME and GITHUB_EVENT_PATH are not set; `suture gh-event` runs inside "
                         "GitHub Actions (see action.yml).")
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise SutureExit(f"cannot read the event file {path}: {error.strerror or error}.") from None
    except ValueError:
        raise SutureExit(f"the event file {path} is not JSON.") from None
    if not isinstance(event, dict):
        raise SutureExit(f"the event file {path} holds no JSON object.")
    return name, event


def _workspace(env: Mapping[str, str]) -> Path:
    from suture.agent import guard

    return guard.resolve_repo(env.get("GITHUB_WORKSPACE") or None)


def _latest_run_dir(repo: Path, since: float) -> Path | None:
    runs = repo / ".suture" / "runs"
    found = [d for d in runs.glob("*-fix-*") if d.is_dir() and d.stat().st_mtime >= since - 1] if runs.is_dir() else []
    return max(found, key=lambda d: d.stat().st_mtime, default=None)


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


def _git_reason(err: bytes) -> str:
    """git's last stderr line: where it says what went wrong (earlier ones are often remote chatter)."""
    text = err.decode("utf-8", errors="replace").strip()
    return text.splitlines()[-1] if text else "no message"


def _log(line: str) -> None:
    sys.stderr.write(f"suture gh-event: {line}\n")
    sys.stderr.flush()
