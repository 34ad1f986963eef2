"""The page of a `suture batch` output directory: the summary table and one row per task, each linking
to that task's own page (written beside its run record, so the batch page is an index, not a copy)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from suture.agent.batch.results import FAILED, ResultsFile, summary
from suture.agent.report.page import esc, facts, number, page, status_badge, table

RESULTS_NAME = "results.jsonl"
GOOD = {"fixed", "optimized", "found"}


def is_batch_dir(path: Path) -> bool:
    return (path / RESULTS_NAME).is_file()


def render_batch(out_dir: Path, page_path: Path, write_task_page) -> str:
    """The batch page for `out_dir`; `write_task_page(run_dir)` writes a task's page and returns its path
    (a task whose run left no readable record gets no link, only its row)."""
    results = ResultsFile(out_dir / RESULTS_NAME).read()
    found = summary(results)
    rows = [_row(result, page_path.parent, write_task_page) for result in results]
    counts = found.get("outcomes") or {}
    header = (f"<h1>suture batch <small>{esc(out_dir.name)}</small></h1>"
              + facts([("Tasks", esc(len(results))),
                       ("Outcomes", esc(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))),
                       ("Failed tasks", esc(found.get("failed"))),
                       ("Model cost", number(found.get("cost"), 4, " USD") if found.get("cost") else ""),
                       ("Task time, summed", number(found.get("task_seconds"), 1, " s"))]))
    body = table(["task", "command", "outcome", "seconds", "cost (USD)", "worker", "page"], rows, numeric=(3, 4),
                 caption="Every finished task, in the order it finished; a task's page says what it tried and why.")
    if found.get("optimize"):
        pie = found["optimize"]
        body += facts([("Optimize targets", esc(pie["targets"])),
                       ("Sped up significantly", number(100 * pie["optimized_share"], 0, " %")),
                       ("Mean speed-up (a failure as 1.0x)", number(pie["mean_speedup"], 2, "x"))])
    if not results:
        body = "<p>No task has finished yet: results.jsonl holds no result.</p>"
    return page(f"suture batch {out_dir.name}: {len(results)} tasks", header, [("tasks", "Tasks", body)],
                f"Made by <code>suture report</code> from {esc(out_dir)}. Every string from a task is shown "
                "as text; the page runs no script and loads nothing.")


def _row(result: dict[str, Any], here: Path, write_task_page) -> list[str]:
    outcome = str(result.get("outcome") or "unknown")
    report = result.get("report") if isinstance(result.get("report"), dict) else {}
    link = ""
    run_dir = report.get("run_dir")
    if run_dir and Path(run_dir).is_dir():
        try:
            written = write_task_page(Path(run_dir))
        except Exception as error:  # one task's damaged record must not cost the index its other rows
            link = esc(f"no page: {getattr(error, 'message', error)}")
        else:
            link = f'<a href="{esc(Path(os.path.relpath(written, here)).as_posix())}">report</a>'
    return [f"<code>{esc(result.get('id'))}</code>", esc(result.get("command")),
            status_badge(outcome.replace("_", " "), outcome in GOOD, warn=outcome not in GOOD and outcome not in FAILED),
            number(result.get("seconds"), 1), number(result.get("cost"), 4), esc(result.get("worker")), link]
