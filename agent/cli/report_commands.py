"""`suture report RUN`: a run's record as one self-contained HTML page (agent/report/)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from suture.agent.cli.app import RepoOption, app, handled
from suture.agent.exitcodes import SutureExit


@app.command()
@handled
def report(
    run: str = typer.Argument(..., metavar="RUN", help="A run: its id under .suture/runs, or its directory (an unpacked CI artifact, say), or a `suture batch` output directory."),
    repo: Optional[str] = RepoOption,
    out: Optional[Path] = typer.Option(None, "--out", metavar="FILE.html", help="Where to write the page (default: report.html in the run's directory)."),
    open_page: bool = typer.Option(False, "--open", help="Open the page in the web browser ($BROWSER, else the system's)."),
) -> None:
    """Write one HTML page of a fix or optimize run: where it looked, every candidate and its gates, why this patch, the timings.

    The page is self-contained (inline CSS and SVG, no script, nothing fetched): it reads offline and as a CI artifact.
    Exit 0: written; 2: no such run, or the page cannot be written there.
    """
    from suture.agent import runs
    from suture.agent.report import REPORT_NAME, find_run_dir, write_page

    run_dir = find_run_dir(run, repo)
    if out is None and run_dir.parent.name == "runs" and run_dir.parent.parent.name == runs.SUTURE_DIR:
        runs.check_suture_dir(run_dir.parent.parent.parent, "runs", run_dir.name)  # never written through a link
    target = (out.expanduser() if out is not None else run_dir / REPORT_NAME).absolute()
    if not target.parent.is_dir():
        raise SutureExit(f"cannot write {target}: the directory {target.parent} does not exist.")
    if target.is_dir():
        raise SutureExit(f"--out {out} is a directory; name the HTML file to write.")
    try:
        written = write_page(run_dir, target)
    except OSError as error:
        raise SutureExit(f"cannot write {target}: {error.strerror or error}.") from None
    sys.stdout.write(f"{written}\n")
    if open_page:
        _open(written)


def _open(page: Path) -> None:
    import webbrowser

    from suture.agent.cli import render

    try:
        opened = webbrowser.open(page.as_uri())
    except webbrowser.Error:
        opened = False
    if not opened:
        render.print_warning(f"no web browser could be started here; open {page} yourself.")


def announce_page(run_dir: str | None) -> None:
    """At the end of a fix, optimize or check run on a terminal: write the run's page and say where it is."""
    if not run_dir or not (sys.stdout.isatty() or sys.stderr.isatty()):
        return
    write_page_or_warn(Path(run_dir))


def write_page_or_warn(run_dir: Path, target: Path | None = None) -> Path | None:
    """Write the run's page (to `target`, else into the run directory) and say where on stderr.
    The page is an extra: if it cannot be made, one warning says so and the run's outcome stands."""
    from suture.agent.cli import render
    from suture.agent.report import write_page

    try:
        written = write_page(run_dir, target)
    except (OSError, SutureExit) as error:
        render.print_warning(f"the run's HTML report could not be written: {getattr(error, 'message', error)}")
        return None
    hint = "" if target is not None else f" (`suture report {run_dir.name} --open` opens it)"
    sys.stderr.write(f"Report: {written}{hint}\n")
    return written
