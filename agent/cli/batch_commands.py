"""`suture batch`: many fix / optimize / localize tasks, each run as its single command, N at a time."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from typer.core import TyperCommand

from suture.agent.exitcodes import SutureExit
from suture.agent.cli.app import JsonOption, app, handled

# What may follow a bare `--ray` as its ADDRESS; anything else (the TASKS file, an option) is not one.
RAY_ADDRESS = re.compile(r"^(ray://\S+|auto|local|[\w.-]+:\d+|\[[0-9a-fA-F:]+\]:\d+)$")
LOCAL_RAY = "local"


class BatchCommand(TyperCommand):
    """`--ray` takes an optional ADDRESS: a bare `--ray` means a local Ray instance."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        fixed: list[str] = []
        for i, arg in enumerate(args):
            fixed.append(arg)
            if arg == "--ray" and (i + 1 == len(args) or not RAY_ADDRESS.match(args[i + 1])):
                fixed.append(LOCAL_RAY)
        return super().parse_args(ctx, fixed)


@app.command(cls=BatchCommand)
@handled
def batch(
    tasks_file: Path = typer.Argument(..., metavar="TASKS.jsonl", help='One task a line: {"id", "repo": path or git URL, "rev"?, "command": fix|optimize|localize, "args": {the command\'s options}, "issue"?}.'),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, metavar="N", help="Tasks at a time (default: this machine's cores; with --ray, the cluster's CPUs over --task-cpus)."),
    ray: Optional[str] = typer.Option(None, "--ray", metavar="[ADDRESS]", help="Run each task as a Ray task: on the cluster at ADDRESS (ray.init(address=...)), or with no ADDRESS on a local Ray instance (needs suture\\[ray], the optional extra)."),
    task_cpus: float = typer.Option(1.0, "--task-cpus", min=0.01, metavar="N", help="CPUs each task asks Ray for."),
    ship_repos: bool = typer.Option(False, "--ship-repos", help="With --ray: send every repository to the workers as a git bundle, even where a worker sees the same path (nodes that mount it differently)."),
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR", help="Where results.jsonl and each task's files go (default: ./<TASKS name>-batch)."),
    resume: bool = typer.Option(False, "--resume", help="Go on with the batch in DIR: tasks already in results.jsonl are skipped."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", min=0.0, metavar="USD", help="Most US dollars of model calls for the whole batch; each task gets its share as its --max-cost."),
    task_time_limit: Optional[float] = typer.Option(3600.0, "--task-time-limit", min=1.0, metavar="S", help="Wall seconds a task may run before it is stopped and recorded as timed out."),
    as_json: bool = JsonOption,
) -> None:
    """Run many fix / optimize / localize tasks, each exactly as its single command, N at a time; results as they finish.

    Exit 0: every task's command exited 0; 1: some did not (not fixed, error, crashed, timed out);
    2: bad TASKS lines (nothing ran) or usage; 5: the batch's --max-cost ran out; 130: interrupted.
    """
    from suture.agent.batch.progress import Progress
    from suture.agent.batch.results import ResultsFile, summary_table
    from suture.agent.batch.scheduler import LocalExecutor, run_batch
    from suture.agent.batch.tasks import BadTasks, read_tasks
    from suture.agent.cli import render

    if max_cost is not None and max_cost <= 0:
        raise SutureExit("--max-cost must be more than 0 US dollars.")
    try:
        tasks = read_tasks(tasks_file.expanduser(), _command_of)
    except BadTasks as bad:
        for problem in bad.problems:
            render.print_error(f"{tasks_file}: {problem}.", "suture batch")
        raise SutureExit(f"{len(bad.problems)} bad line(s) in {tasks_file}; no task ran.") from None
    out = (out or Path(f"{tasks_file.stem}-batch")).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    earlier = ResultsFile(out / "results.jsonl").read()
    if earlier and not resume:
        raise SutureExit(f"{out / 'results.jsonl'} already holds {len(earlier)} result(s); "
                         "pass --resume to go on with them, or give another --out.")
    if ray is not None:
        from suture.agent.batch.ray_executor import connect

        executor: Any = connect(None if ray == LOCAL_RAY else ray, workers=workers, task_cpus=task_cpus,
                                ship=ship_repos)
    else:
        executor = LocalExecutor(workers or _cores())
    (out / "batch.json").write_text(json.dumps({"tasks_file": str(tasks_file.resolve()), "workers": executor.workers,
                                                "executor": "ray" if ray is not None else "local",
                                                "tasks": [t.to_dict() for t in tasks]}, indent=1))
    try:
        run = run_batch(tasks, out, executor, resume=resume, max_cost=max_cost, task_time_limit=task_time_limit,
                        progress=Progress())
    finally:
        getattr(executor, "close", lambda: None)()
    report = run.to_dict(out)
    (out / "summary.json").write_text(json.dumps(report, indent=1))
    table = summary_table(report) + f"\nwall {run.seconds:.1f} s, {executor.workers} at a time; results: {out / 'results.jsonl'}"
    (sys.stderr if as_json else sys.stdout).write(table + "\n")
    if run.interrupted:
        render.print_error(f"interrupted: {len(run.results)} result(s) kept in {out / 'results.jsonl'}; "
                           f"`suture batch {tasks_file} --out {out} --resume` runs the rest.", "suture batch")
    elif run.not_started:
        render.print_error(f"the batch's --max-cost is spent: {run.not_started} task(s) not started "
                           "(--resume with a larger --max-cost runs them).", "suture batch")
    if as_json:
        render.print_json(report)
    raise typer.Exit(run.exit_code())


@functools.lru_cache(maxsize=None)
def _command_of(name: str) -> Any:
    """The click command of `suture NAME`, whose parser checks a task's options."""
    from typer.main import get_command

    group = get_command(app)
    return group.commands[name]  # type: ignore[attr-defined]


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)

