"""What a GitHub event asks suture for: the Action's inputs, the trigger (a labelled issue or a
`/suture fix|optimize` comment by a trusted author), and an optimize request's names and files.
Nothing here makes a request or runs anything: the issue's text is data."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suture.agent.exitcodes import SutureExit

__all__ = ["ActionInputs", "DEFAULT_LABEL", "OPTIMIZE_USAGE", "Trigger", "classify", "issue_text",
           "optimize_request", "read_event", "workspace"]

TRUSTED_ASSOCIATIONS = ("OWNER", "MEMBER", "COLLABORATOR")
DEFAULT_LABEL = "suture"
COMMAND = re.compile(r"\A\s*/suture[ \t]+(fix|optimize)\b(.*)", re.S)
DEFAULT_GIT_NAME = "suture[bot]"
DEFAULT_GIT_EMAIL = "suture-bot@users.noreply.github.com"


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


def read_event(env: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
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


def workspace(env: Mapping[str, str]) -> Path:
    from suture.agent import guard

    return guard.resolve_repo(env.get("GITHUB_WORKSPACE") or None)
