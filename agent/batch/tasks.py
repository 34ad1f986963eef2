"""A TASKS.jsonl file read into Task records, every line checked before anything runs.

One line is one task: `{"id", "repo", "rev"?, "command", "args"?, "issue"?}`. Its `args` are the
command's own options, named as on the command line (`test_cmd` or `test-cmd`; the options
record's plural names, `failing_tests`, are taken too), and are turned into the argv of the single
command, then parsed by that command's own option parser: a task runs with exactly the options
record the single command would build, and a bad value is caught here, with its line number, the
way the command itself would word it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from suture.tools.git.cmd import commit_of, head_commit, work_tree_top

COMMANDS = ("fix", "optimize", "localize")
LINE_KEYS = {"id", "repo", "rev", "command", "args", "issue"}
# Options a batch sets itself (--repo, --json) or that make no sense unattended or in a private clone.
NOT_IN_A_BATCH = {
    "repo": "the task's repo is its \"repo\" key",
    "as_json": "a batch always reads the JSON report",
    "resume": "the batch resumes with `suture batch --resume`",
    "apply": "a batch only prints patches (they are in results.jsonl; apply one yourself)",
    "commit": "a batch only prints patches (they are in results.jsonl; apply one yourself)",
    "hook": "it is for git hooks",
    "interactive": "a batch runs unattended",
}
# Options whose value is a file: a relative one is relative to the TASKS file, not to the repo.
PATH_OPTIONS = {"issue_file", "workload", "python"}
URL = re.compile(r"^([a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.IGNORECASE)


class BadTasks(Exception):
    """TASKS lines that cannot run; each message starts with its line number."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Task:
    id: str
    line: int
    command: str
    repo: str  # as the line gave it
    url: str | None  # a repo given as a URL: cloned
    path: Path | None  # a repo given as a path: its directory
    top: Path | None  # ... and the top of its work tree
    rev: str | None  # the commit to run at (a path's HEAD is read when the batch starts)
    argv: list[str] = field(default_factory=list)  # the command's options, --repo and --json left out
    clone: bool = False  # run in a private clone (set by `plan_clones`)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "line": self.line, "command": self.command, "repo": self.repo, "url": self.url,
                "path": str(self.path) if self.path else None, "top": str(self.top) if self.top else None,
                "rev": self.rev, "argv": list(self.argv), "clone": self.clone}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Task":
        return cls(**{**data, "path": Path(data["path"]) if data.get("path") else None,
                      "top": Path(data["top"]) if data.get("top") else None})


def read_tasks(tasks_file: Path, command_of: Callable[[str], Any]) -> list[Task]:
    """Every task of `tasks_file`, or BadTasks naming every bad line. `command_of(name)` is the
    click command of `suture NAME`, whose parser checks each task's options."""
    try:
        text = tasks_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadTasks([f"cannot read {tasks_file}: {error.strerror if isinstance(error, OSError) else error}"]) from None
    tasks: list[Task] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        try:
            task = _task(raw, number, tasks_file.parent, command_of)
        except ValueError as error:
            problems.append(f"line {number}: {error}")
            continue
        if task.id in seen:
            problems.append(f"line {number}: id {task.id!r} is already used on line {seen[task.id]}")
            continue
        seen[task.id] = number
        tasks.append(task)
    if problems:
        raise BadTasks(problems)
    if not tasks:
        raise BadTasks([f"{tasks_file} holds no task (one JSON object per line)"])
    plan_clones(tasks)
    return tasks


def _task(raw: str, number: int, base: Path, command_of: Callable[[str], Any]) -> Task:
    try:
        line = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(line, dict):
        raise ValueError("a task is a JSON object")
    unknown = sorted(set(line) - LINE_KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (a task has: {', '.join(sorted(LINE_KEYS))})")
    command = line.get("command", "fix")
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r} (use one of: {', '.join(COMMANDS)})")
    task_id = str(line.get("id", f"line-{number}"))
    if not re.fullmatch(r"[\w.@+-]{1,100}", task_id):
        raise ValueError(f"id {task_id!r} must be letters, digits and . _ - @ + (at most 100)")
    if not isinstance(line.get("repo"), str) or not line["repo"]:
        raise ValueError('no "repo" (a path or a git URL)')
    rev = line.get("rev")
    if rev is not None and (not isinstance(rev, str) or not rev or rev.startswith("-")):
        raise ValueError('"rev" must be a commit, branch or tag name')
    args = line.get("args", {})
    if not isinstance(args, dict):
        raise ValueError('"args" must be an object of the command\'s options')
    if "issue" in line:
        if command == "optimize":
            raise ValueError('"issue" goes with fix or localize, not optimize')
        args = {**args, "issue": line["issue"]}
    argv = command_argv(command_of(command), command, args, base)
    task = Task(id=task_id, line=number, command=command, repo=line["repo"], url=None, path=None, top=None,
                rev=rev, argv=argv)
    _locate_repo(task, base)
    return task


def command_argv(command: Any, name: str, args: dict[str, Any], base: Path) -> list[str]:
    """The argv of `suture NAME` that sets `args`, checked by the command's own parser."""
    params = {p.name: p for p in command.params if getattr(p, "opts", None) and p.opts[0].startswith("--")}
    argv: list[str] = []
    for key, value in args.items():
        param = _param_for(str(key), params)
        if param is None:
            raise ValueError(f"unknown option {key!r} for {name} (see `suture {name} --help`)")
        if param.name in NOT_IN_A_BATCH:
            raise ValueError(f"option {key!r} is not for a batch task: {NOT_IN_A_BATCH[param.name]}")
        argv += _option_argv(param, key, value, base)
    try:
        command.make_context(f"suture {name}", list(argv))
    except Exception as error:  # click's UsageError family, from typer's copy of click or click itself
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        raise ValueError(message.rstrip(".")) from None
    return argv


def _param_for(key: str, params: dict[str, Any]) -> Any:
    name = key.lstrip("-").replace("-", "_")
    if name == "json":
        name = "as_json"
    if name in params:
        return params[name]
    for param in params.values():  # by its flag (--formula -> formula), or the options record's plural
        flags = {opt.lstrip("-").replace("-", "_") for opt in param.opts}
        if name in flags or (name.endswith("s") and name[:-1] in flags and param.multiple):
            return param
    return params.get("issue") if name == "issue_text" else None


def _option_argv(param: Any, key: str, value: Any, base: Path) -> list[str]:
    flag = param.opts[0]
    if value is None:
        return []
    if param.is_flag:
        if not isinstance(value, bool):
            raise ValueError(f"option {key!r} is a switch: true or false, got {json.dumps(value)}")
        if value:
            return [flag]
        return [param.secondary_opts[0]] if param.secondary_opts else []
    values = value if isinstance(value, list) else [value]
    if len(values) > 1 and not param.multiple:
        raise ValueError(f"option {key!r} takes one value, got {len(values)}")
    out: list[str] = []
    for item in values:
        if isinstance(item, (dict, list)) or isinstance(item, bool):
            raise ValueError(f"option {key!r} takes a string or a number, got {json.dumps(item)}")
        out += [flag, _resolved(param.name, str(item), base)]
    return out


def _resolved(name: str, value: str, base: Path) -> str:
    """A file named by an option, relative to the TASKS file (a task runs in its repo or a clone)."""
    if name == "model" and value.startswith("scripted:"):
        return "scripted:" + str((base / value[len("scripted:"):]).resolve())
    if name in PATH_OPTIONS and value != "-" and (name != "python" or "/" in value):
        return str((base / value).expanduser().resolve())
    return value


def _locate_repo(task: Task, base: Path) -> None:
    """Fill in where the task's repo is: a URL as given, a path as its directory and work-tree top,
    and the commit it runs at (checked now: a bad path or rev is a bad line)."""
    if URL.match(task.repo) and not (base / task.repo).exists():
        task.url = task.repo
        return
    path = (base / task.repo).expanduser().resolve()
    if not path.is_dir():
        raise ValueError(f"repo {task.repo} is not a directory")
    top = work_tree_top(path)
    if top is None:
        raise ValueError(f"repo {task.repo} is not inside a git work tree")
    task.path, task.top = path, top
    if task.rev is not None:
        commit = commit_of(path, task.rev)
        if commit is None:
            raise ValueError(f"rev {task.rev!r} names no commit of {task.repo}")
        task.rev = commit


def plan_clones(tasks: list[Task]) -> None:
    """Which tasks run in a private clone: a URL, a task at a given rev, and every task on a work
    tree another task also names (no two tasks share a working tree). The others run in the user's
    directory as the single command would, their run records in its .suture/."""
    by_top: dict[Path, list[Task]] = {}
    for task in tasks:
        if task.top is not None:
            by_top.setdefault(task.top, []).append(task)
    for task in tasks:
        shared = task.top is not None and len(by_top[task.top]) > 1
        task.clone = task.url is not None or task.rev is not None or shared
        if task.clone and task.path is not None and task.rev is None:
            task.rev = head_commit(task.path)  # every clone of one tree at the same commit
