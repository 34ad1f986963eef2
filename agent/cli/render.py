"""How the CLI shows results: rich tables for people, one JSON line for programs.

Data from the repository (signatures, paths) is wrapped in `Text` so that rich
never reads brackets in it as markup. rich is imported where a console or table is
made: a `--json` run or a one-sentence error never loads it (~35 ms of CPU a start).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def stdout_console() -> Console:
    from rich.console import Console

    # Piped output keeps whole rows instead of rich's default 80 columns.
    return Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 160)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False)


def print_json(obj: dict[str, Any]) -> None:
    """The one JSON object of a `--json` run, on a single line of stdout."""
    from suture.agent.runs import json_text

    sys.stdout.write(json_text(obj) + "\n")
    sys.stdout.flush()


def print_error(message: str, where: str = "suture") -> None:
    """One sentence on stderr, led by the command that failed (`suture fix: ...`)."""
    sys.stderr.write(f"{where}: {message}\n")
    sys.stderr.flush()


# The key a command's JSON object already uses for its outcome, set to "error" when it fails.
ERROR_STATUS_KEY = {"fix": "status", "optimize": "status", "check": "status", "verify": "verdict"}


def json_error(where: str, message: str, code: int) -> dict[str, Any]:
    """The one JSON object of a `--json` run that failed (bad input, config error, refusal):
    `{"error", "exit_code"}`, plus `"status": "error"` (fix, optimize, check) or
    `"verdict": "error"` (verify) so that scripts reading those keys see the failure."""
    command = where.split()[1] if len(where.split()) > 1 else ""
    report: dict[str, Any] = {"error": message, "exit_code": int(code)}
    if command in ERROR_STATUS_KEY:
        report = {ERROR_STATUS_KEY[command]: "error", **report}
    if command in ("fix", "optimize"):
        report["patch"] = ""
    return report


def print_warning(message: str) -> None:
    sys.stderr.write(f"suture: warning: {message}\n")
    sys.stderr.flush()


def search_table(hits: Iterable[dict[str, Any]]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("kind")
    table.add_column("symbol", no_wrap=True)
    table.add_column("location", no_wrap=True)
    table.add_column("signature", overflow="fold")
    for rank, hit in enumerate(hits, 1):
        table.add_row(
            str(rank),
            f"{hit['score']:.2f}",
            hit["kind"],
            Text(hit["symbol"] or "-", style="bold"),
            Text(f"{hit['path']}:{hit['start_line']}-{hit['end_line']}"),
            Text(hit["signature"]),
        )
    return table


def ranking_table(ranking: Iterable[dict[str, Any]]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("location", no_wrap=True)
    table.add_column("symbol")
    for rank, suspect in enumerate(ranking, 1):
        table.add_row(
            str(rank),
            f"{suspect['score']:.3f}",
            Text(f"{suspect['path']}:{suspect['start_line']}-{suspect['end_line']}"),
            Text(suspect["symbol"], style="bold"),
        )
    return table


def explain_lines(ranking: Iterable[dict[str, Any]], formula: str) -> list[str]:
    """`localize --explain`: per suspect, the signals that put it there (tools/testing/combine.py)."""
    lines = ["why each suspect is there:"]
    for rank, suspect in enumerate(ranking, 1):
        signals = suspect.get("signals") or {}
        lines.append(f"{rank:>3}. {suspect['path']}::{suspect['symbol']}  score {suspect['score']:.3f}")
        sbfl = signals.get("sbfl") or {}
        said = f"{formula} {sbfl.get('score', 0.0):.3f}"
        if sbfl.get("failure_evidence"):
            said += f", x{1 + sbfl['failure_evidence']:.2f} from the failing tests' own failures (tracebacks, names)"
        lines.append(f"       sbfl: {said}" if sbfl.get("score") else "       sbfl: no failing test ran it")
        bm25 = signals.get("issue_bm25")
        if bm25:
            lines.append(f"       issue text search: BM25 {bm25['score']:g}, rank {bm25['rank']} of {bm25['of']} "
                         f"functions, weight {bm25['weight']:g}")
        frame = signals.get("issue_traceback")
        if frame:
            lines.append(f"       issue traceback: {frame['frame']} ({'where it raised' if frame['innermost'] else 'a caller'}), "
                         f"weight {frame['weight']:g}")
        lines += _mutation_lines(signals.get("mutation"), suspect)
        combination = signals.get("combination")
        if combination:
            lines.append("       " + fitted_terms(combination.get("terms") or {}))
    return lines


def _mutation_lines(mutation: dict[str, Any] | None, suspect: dict[str, Any]) -> list[str]:
    """The mutation evidence and the most suspicious lines of one suspect, for `localize --explain`."""
    lines = []
    if mutation:
        if mutation["fixed"]:
            what = f"made {mutation['fixed']} failing test(s) pass"
        elif mutation["changed"]:
            what = f"changed how {mutation['changed']} failing test(s) fail"
        else:
            what = "left the failing tests as they were"
        broke = f", broke {mutation['broken']} passing" if mutation["broken"] else ""
        lines.append(f"       mutation: best of {mutation['mutants']} mutant(s), line {mutation['line']} "
                     f"({mutation['best']}) {what}{broke}: value {mutation['value']:g}, weight {mutation['weight']:g}")
    statements = suspect.get("lines") or []
    if statements:
        lines.append("       lines: " + ", ".join(
            f"{s['line']} ({s['score']:.3f}{', mutation ' + format(s['mutation'], 'g') if 'mutation' in s else ''})"
            for s in statements[:3]))
    return lines


def fitted_terms(terms: dict[str, dict[str, float]]) -> str:
    """The fitted combination's terms of one suspect, largest first: `feature weight x value = product`."""
    if not terms:
        return "fitted weights: no feature of it has a weight"
    ordered = sorted(terms.items(), key=lambda item: -abs(item[1]["product"]))
    return "fitted weights: " + ", ".join(f"{name} {t['weight']:+.3g} x {t['value']:.3g} = {t['product']:+.3g}"
                                          for name, t in ordered)


def index_table(report: dict[str, Any]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=False, show_edge=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("repository", Text(report["root"]))
    for key in ("files", "parsed", "reused", "removed"):
        table.add_row(key, str(report[key]))
    skipped = report["skipped"]
    if skipped:
        for reason, count in sorted(skipped.items()):
            table.add_row(f"skipped ({reason})", str(count))
    else:
        table.add_row("skipped", "0")
    table.add_row("symbols", str(report["symbols"]))
    table.add_row("seconds", f"{report['seconds']:.2f}")
    return table


def settings_table(settings: dict[str, dict[str, Any]]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, header_style="bold")
    for column in ("setting", "value", "source", "environment variable"):
        table.add_column(column)
    for name, row in settings.items():
        value = "(unset)" if row["value"] is None else str(row["value"])
        table.add_row(name, Text(value), row["source"], row["env"])
    return table


@contextmanager
def status(message: str, enabled: bool) -> Iterator[None]:
    """A spinner with `message` on stderr while a long step runs; nothing when not `enabled`."""
    if not enabled:
        yield
        return
    with stderr_console().status(message):
        yield


@contextmanager
def live_status(enabled: bool) -> Iterator[Callable[[Any], None] | None]:
    """A one-line live view on stderr (stage, candidates tried, best so far, time) fed with
    FixProgress-like objects; None when not `enabled` (not a terminal)."""
    if not enabled:
        yield None
        return
    with stderr_console().status("starting") as shown:

        def update(state: Any) -> None:
            parts = [state.stage, f"{state.candidates_tried} candidates"]
            if state.best:
                parts.append(f"best: {state.best}")
            parts.append(f"{state.seconds:.0f}s")
            shown.update(" · ".join(parts))

        yield update


PLAIN_PROGRESS_SECONDS = 30.0


@contextmanager
def plain_progress(every: float = PLAIN_PROGRESS_SECONDS) -> Iterator[Callable[[Any], None]]:
    """live_status for a stderr that is not a terminal (a CI log, a pipe): a plain line at each new
    stage, and one at least every `every` seconds while a stage lasts, so a long run never looks dead."""
    import threading
    import time

    lock = threading.Lock()
    last: dict[str, Any] = {"state": None, "stage": None, "updated": 0.0, "printed": 0.0}
    done = threading.Event()

    def line(state: Any, seconds: float, still: bool = False) -> None:
        parts = [("still " if still else "") + state.stage, f"{state.candidates_tried} candidates"]
        if state.best:
            parts.append(f"best: {state.best}")
        sys.stderr.write(f"suture: {' · '.join(parts)} · {seconds:.0f}s\n")
        sys.stderr.flush()
        last["printed"] = time.monotonic()

    def update(state: Any) -> None:
        with lock:
            last["state"], last["updated"] = state, time.monotonic()
            if state.stage != last["stage"]:
                last["stage"] = state.stage
                line(state, state.seconds)

    def beat() -> None:
        while not done.wait(min(1.0, every)):
            with lock:
                state, now = last["state"], time.monotonic()
                if state is not None and now - last["printed"] >= every:
                    line(state, state.seconds + now - last["updated"], still=True)

    thread = threading.Thread(target=beat, name="suture-progress", daemon=True)
    thread.start()
    try:
        yield update
    finally:
        done.set()
        thread.join(2.0)


def print_fix_report(report: dict[str, Any]) -> None:
    """The end of a `suture fix` run for people: the diff (highlighted on a terminal) and what it means."""
    from rich.text import Text

    console = stdout_console()
    patch = report.get("patch") or (report.get("best_partial") or {}).get("patch", "")
    if report["status"] != "fixed" and patch:
        console.print(Text("Best partial candidate — it does NOT pass every gate:", style="bold red"))
    if patch:
        print_patch(patch, console)
    if report.get("explanation"):
        console.print(Text(report["explanation"]))
    for line in evidence_lines(report):  # behaviour outside the tests: two lines at most
        console.print(Text(line))
    delivery = report.get("delivery") or {}
    if report["status"] == "fixed":
        if delivery.get("refused"):
            console.print(Text(f"Not {'applied' if delivery.get('asked') == 'apply' else 'committed'}: "
                               f"{delivery['refused']} The patch above is saved in {delivery.get('patch_path')}."))
        elif delivery.get("mode") == "apply":
            console.print(Text("Applied to your working tree; `suture undo` takes it back."))
        elif delivery.get("mode") == "commit":
            console.print(Text(f"Committed on branch {delivery.get('branch')}; your checkout is unchanged "
                               "(`suture undo` deletes the branch)."))
        else:
            console.print(Text("Your tree is untouched: re-run with --apply or --commit, or `git apply` the patch "
                               f"saved in {delivery.get('patch_path') or report['run_dir']}."))
    else:
        console.print(Text(f"Not fixed ({report.get('stopped_because', 'no candidate passed')}); "
                           f"{report['candidates_tried']} candidates tried. Run record: {report['run_dir']}"))


def evidence_lines(report: dict[str, Any]) -> list[str]:
    """At most two lines on the delivered (or plausible) patch's behaviour outside the tests
    (agent/fix/evidence.py): its change footprint, and its disagreement with a rival, the deciding one
    first: one that kept the claim back (the input the user should decide), then one that decided it."""
    chosen = (report.get("choice") or {}).get("chosen")
    item = next((e for e in report.get("evidence") or () if e.get("candidate_id") == chosen), None)
    if item is None:
        return []
    lines = [f"Behaviour outside the tests ({chosen}): {item['summary']}."]
    order = {"unresolved": 0, "decided": 1}
    disagreements = sorted(item.get("disagreements") or [], key=lambda d: order.get(d.get("weighed", ""), 2))
    if disagreements:
        first = disagreements[0]
        more = f" (and {len(disagreements) - 1} more rival(s))" if len(disagreements) > 1 else ""
        why = {"unresolved": " (the tests cannot decide: this input would)",
               "decided": f" ({chosen} keeps HEAD's result there)"}.get(first.get("weighed", ""), "")
        if first.get("weighed") == "discounted" and first.get("rival_breaks"):
            why = f" (no open question: {first['other']}'s {first['rival_breaks']})"
        lines.append(f"Rivals: {first['sentence']}{why}{more}.")
    return lines


def rejected_lines(candidates: Iterable[dict[str, Any]], width: int = 240) -> list[str]:
    """One line per candidate `optimize` turned down: which one, the gate that stopped it and why."""
    lines = []
    for candidate in candidates:
        if candidate.get("accepted"):
            continue
        # "measured" means it got through the tests and the replay and lost on the clock.
        gate = "timing" if candidate["stage"] == "measured" else candidate["stage"]
        what = candidate["source"] + (f": {candidate['description']}" if candidate.get("description") else "")
        where = ", ".join(candidate.get("functions") or ()) or "?"
        reason = " ".join(str(candidate.get("reason") or "no reason recorded").split())
        line = f"rejected {candidate['id']} ({what}; {where}) at the {gate} gate: {reason}"
        lines.append(line if len(line) <= width else line[: width - 3] + "...")
    return lines


def print_patch(patch: str, console: Console | None = None) -> None:
    """A patch on stdout: highlighted on a terminal, else its exact bytes (a latin-1 file's patch
    stays latin-1, so `suture fix > p.diff && git apply p.diff` works)."""
    if not patch.endswith("\n"):
        patch += "\n"
    data = patch.encode("utf-8", "surrogateescape")
    if sys.stdout.isatty():
        from rich.syntax import Syntax

        shown = data.decode("utf-8", "replace")
        (console or stdout_console()).print(Syntax(shown, "diff", theme="ansi_dark", background_color="default"))
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


@contextmanager
def progress_bar(description: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A (done, total) callback driving a rich bar on stderr, or None when not `enabled`."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update
