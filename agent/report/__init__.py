"""`suture report RUN`: one self-contained HTML page of a run, for people reviewing what suture did.

A fix page answers a reviewer's questions in order: what was wrong, where suture looked (the
localisation ranking and the top suspects' source shaded by suspiciousness), what it tried (every
candidate with its engine, diff and the gate that stopped it), why this patch (covering tests,
verifier, the rivals and the inputs that would decide between them, risks, confidence), and what
the model did and cost. An optimize page shows the hot spots, the candidates and their gates, and
for each kept edit a plot of its per-round speed-ups with the bootstrap interval. A check page shows
what the pre-commit check looked at, each finding beside the changed function's source, and what
went unchecked and why. Other runs (localize, replay) get their ranking or their summary; a
`suture batch` output directory gets the summary table with a link to each task's page.

Modules: record (reading a run directory), page (the frame, escaping, shading), fix_page,
optimize_page and check_page (their sections), batch_page (a batch's index of its tasks' pages), plot (the speed-up SVG), source (the suspects' source, captured
while a fix run localises).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from suture.agent.report.page import esc, facts, number, page, status_badge
from suture.agent.report.record import RunView, find_run_dir, read_view

__all__ = ["RunView", "find_run_dir", "read_view", "render", "write_page", "REPORT_NAME"]

REPORT_NAME = "report.html"
GOOD = {"fixed", "optimized", "reproduced", "ok", "done", "clean", "nothing_to_check"}
HALF = {"not_fixed", "no_significant_speedup", "interrupted", "incomplete"}


def render(view: RunView) -> str:
    """The page of the run `view` reads, as one HTML string."""
    from suture.agent.report.check_page import check_sections
    from suture.agent.report.fix_page import fix_sections, localisation_section, notes_section
    from suture.agent.report.optimize_page import optimize_sections

    command = view.command
    if command == "fix":
        sections = fix_sections(view)
    elif command == "optimize":
        sections = optimize_sections(view)
    elif command == "check":
        sections = check_sections(view)
    elif command == "localize":
        sections = [("localisation", "Where suture looked", localisation_section(view)),
                    ("notes", "Notes", notes_section(view))]
    else:
        sections = [("summary", "Summary", _summary(view.report))]
    title = f"suture {command} run {view.run_id}: {view.status.replace('_', ' ')}"
    return page(title, _header(view), sections,
                f"Made by <code>suture report</code> from {esc(view.run_dir)}. Every string from the repository "
                "or a model is shown as text; the page runs no script and loads nothing.")


def _header(view: RunView) -> str:
    report, status = view.report, view.status
    plausible = bool((report.get("plausible") or {}).get("patch"))
    badge = status_badge("plausible, not claimed" if plausible and status == "not_fixed" else status,
                         status in GOOD, warn=status in HALF)
    cost = report.get("cost") or {}
    return (f"<h1>suture {esc(view.command)} <small>{esc(view.run_id)}</small></h1><p>{badge}</p>"
            + facts([("Base commit", f"<code>{esc(str(view.start.get('base') or '')[:12])}</code>"
                                     if view.start.get("base") else ""),
                     ("Engine", esc(report.get("engine"))),
                     ("Candidates tried", esc(report.get("candidates_tried"))),
                     ("Time", number(report.get("seconds"), 1, " s")),
                     ("Model cost", f"{number(cost.get('usd'), 4)} USD, {esc(cost.get('tokens'))} tokens"
                                    if cost.get("calls") else ""),
                     ("Stopped because", esc(report.get("stopped_because")))]))


def _summary(report: dict[str, Any]) -> str:
    """A run this page has no sections for: its report's plain fields."""
    plain = [(k.replace("_", " "), esc(v)) for k, v in report.items() if isinstance(v, (str, int, float, bool))]
    return facts(plain) or "<p>The run recorded no report.</p>"


def write_page(run_dir: Path, out: Path | None = None) -> Path:
    """Render `run_dir` and write the page (default: report.html inside it) atomically; returns its path.
    A `suture batch` output directory gets its index page, and every task's own page beside its run."""
    from suture.agent.report.batch_page import is_batch_dir, render_batch

    target = out if out is not None else run_dir / REPORT_NAME
    if is_batch_dir(run_dir):
        text = render_batch(run_dir, target.absolute(), write_page)
    else:
        text = render(read_view(run_dir))
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8", errors="replace")  # a latin-1 patch's stray bytes: shown as U+FFFD
    os.replace(tmp, target)
    return target
