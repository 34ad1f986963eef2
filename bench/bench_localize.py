"""Fault-localisation benchmark over the seeded-fault corpus (bench/faults/faults.jsonl).

For every fault: a fresh git worktree of the library's prepared repo, the fault applied and
committed (HEAD is buggy), then suture's localize (ochiai; the same run's spectra and frames
re-ranked by localize's own ranking step for tarantula and dstar) and, from that run's per-test
coverage data file, the plain baseline: Ochiai per line over the per-test contexts, lifted to
the innermost function (max over its lines), no boosting, no import-time crediting.
For the faults with an issue text (bench/faults/issues/<fault id, non-word characters as _>.md,
written as a user would report the symptom), the same run is ranked once more with the issue's
signals (code search on its words, its traceback frames; tools/testing/combine.py): method
"ochiai + issue" (`--with-issues` keeps only those faults).
The true location is the fault's innermost function. Reported: function-level top-1/3/5 and
mean EXAM per method, and the overhead of `suture localize` over a plain pytest run of the
same suite, per library, in the same run.

Ranks count ties at their middle: a fault tied with t-1 other functions after b better ones
has rank b + (t+1)/2 (a method that cannot separate two functions gets no credit for luck).
Functions no method scored share the last places. EXAM = rank / functions in the library.

    python bench/bench_localize.py [--limit N] [--library NAME]... [--jobs 2] [--with-issues] [--no-results]
                                   [--batch] [--mutation] [--fault ID]... [--fault-file FILE] [--rows-out F]

--mutation localises each fault once with mutation evidence and, when the fault has one, its issue
text: "suture + mutation" is that run's ranking, "suture default" the same run ranked without the
mutation signal (what `suture localize [--issue-file F]` ranks); a table per library and group (train,
held out) sets the two side by side, with the faults where the mutation step ran at all.

--batch runs the faults through one `suture batch --workers JOBS` (the product path): per fault one
`suture localize --json` task per method (ochiai, tarantula, dstar; with --issue-file when the fault
has an issue text; with --mutation on under --mutation), each rank read from that task's report, and
the plain baseline from the ochiai task's coverage data file. One at a time, those methods are the
same run re-ranked in-process; the batch path costs a run per method.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "faults"))
from common import append_results, busy_cpu_seconds, median, run_batch  # noqa: E402

import corpus  # noqa: E402
import mutate  # noqa: E402
from suture.retrieval.testfiles import is_test_path  # noqa: E402

FORMULAS = ("ochiai", "tarantula", "dstar")
BASELINE = "plain ochiai (baseline)"
WITH_ISSUE = "ochiai + issue"
# `--mutation`: one localize run per fault with the issue text when the fault has one and mutation evidence
# (tools/testing/mutation.py); DEFAULT is the same run ranked without the mutation signal, which is what a
# plain `suture localize [--issue-file F]` ranks (the hand-set combination).
WITH_MUTATION = "suture + mutation"
DEFAULT = "suture default"
ISSUES = HERE / "faults" / "issues"


def issue_path(fault: dict) -> Path:
    """Where the issue text of a fault lives (it may not exist)."""
    return ISSUES / (re.sub(r"[^A-Za-z0-9._-]+", "_", fault["id"]) + ".md")


# -- the repo's units: functions, classes, modules -------------------------------------------

def units_of(source: str) -> list[tuple[str, int, int]]:
    """(qualname, first line incl. decorators, last line) of every function and class, outermost first."""
    found = []

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                found.append((name, start, child.end_lineno))
                walk(child, name + ".")
            else:
                walk(child, prefix)

    walk(ast.parse(source), "")
    return found


class UnitMap:
    """Line -> innermost function or class (or "<module>") of one file."""

    def __init__(self, source: str) -> None:
        self.units = units_of(source)

    def at(self, line: int) -> str:
        best = None
        for name, start, end in self.units:
            if start <= line <= end and (best is None or start >= best[1]):
                best = (name, start)
        return best[0] if best else "<module>"


def count_units(repo: Path) -> int:
    """Functions, classes and modules of the repo's non-test Python source: the EXAM denominator."""
    total = 0
    for path in repo.rglob("*.py"):
        rel = path.relative_to(repo).as_posix()
        if rel.startswith(".") or is_test_path(rel):
            continue
        try:
            total += 1 + len(units_of(path.read_text()))
        except SyntaxError:
            continue
    return total


# -- the plain baseline ---------------------------------------------------------------------

def per_test_lines(spectra) -> dict[tuple[str, int], set[str]]:
    """(path, line) -> tests whose context executed it: the raw per-test contexts of the run's data file.

    localize's Spectra also credits import-time lines to the tests of their file; the plain
    baseline does without, so those lines are left out here.
    """
    return {key: tests for key, tests in spectra.lines.items() if key not in spectra.import_lines}


def plain_ochiai(lines: dict[tuple[str, int], set[str]], failing: set[str], root: Path) -> dict[tuple[str, str], float]:
    """Ochiai per line lifted to the innermost unit by max; nothing else."""
    maps: dict[str, UnitMap] = {}
    scores: dict[tuple[str, str], float] = {}
    for (path, line), tests in lines.items():
        if is_test_path(path):
            continue
        ef = len(tests & failing)
        if not ef:
            continue
        ep = len(tests) - ef
        score = ef / math.sqrt(len(failing) * (ef + ep))
        if path not in maps:
            maps[path] = UnitMap((root / path).read_text())
        key = (path, maps[path].at(line))
        scores[key] = max(scores.get(key, 0.0), score)
    return scores


def mid_rank(scores: dict[tuple[str, str], float], truth: tuple[str, str], total: int) -> float:
    """Rank of `truth` with ties at their middle; unscored units tie at zero over the remaining places."""
    s = scores.get(truth, 0.0)
    if s <= 0:
        scored = sum(1 for v in scores.values() if v > 0)
        return scored + (max(total, scored + 1) - scored + 1) / 2
    better = sum(1 for v in scores.values() if v > s)
    ties = sum(1 for v in scores.values() if v == s)
    return better + (ties + 1) / 2


# -- one fault (runs in its own process: `--one-fault ID`) ----------------------------------

def seeded_worktree(repo: Path, fault: dict, into: Path) -> Path:
    """A worktree of the library repo at `into` with the fault committed at HEAD."""
    corpus.git(repo, "worktree", "add", "-q", "--detach", str(into), "HEAD")
    target = into / fault["path"]
    target.write_text(mutate.apply(target.read_text(), fault))
    corpus.git(into, "commit", "-q", "-am", f"seeded fault {fault['id']}")
    return into


def remove_worktree(repo: Path, tree: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=repo, capture_output=True)
    subprocess.run(["git", "worktree", "prune"], cwd=repo, capture_output=True)


def rerank(loc, tree: Path, formula: str, issue_text: str | None = None) -> list:
    """The same run's spectra, failing tests and traceback frames ranked under another formula (and
    with an issue text's signals) by localize's own ranking step (a second localize() would rerun
    the suite for the same data)."""
    from suture.tools.testing import localize as localize_module
    from suture.tools.testing import suspects as suspects_module

    passing = [n for n, o in loc.spectra.tests.items() if o == "passed" and n not in loc.flaky]
    line_scores = loc.spectra.scores(loc.failing, passing, formula)
    frames = {n: loc.run.outcomes[n].frames for n in loc.failing}
    messages = {n: loc.run.outcomes[n].message for n in loc.failing}
    symbols_of = localize_module._symbol_source(tree, None)
    issue = localize_module._issue_evidence(tree, issue_text, None, None)
    return suspects_module.rank(line_scores, loc.spectra, symbols_of, frames, list(loc.failing),
                                localize_module._reader(tree), messages, issue.signals, issue.weights_off)


def mutation_plan(on: bool):
    """localize's mutation step as `suture localize --mutation on` sets it up (None when off)."""
    if not on:
        return None
    from suture.agent.cli.fix_commands import _mutation_plan
    from suture.agent.config import SPECS

    return _mutation_plan(SPECS["mutation_share"].default)


def localize_fault(fault: dict, repo: Path, total_units: int, mutation: bool = False) -> dict:
    from suture.tools.testing.localize import LocalizeError, localize

    truth = (fault["path"], fault["symbol"])
    result = {"id": fault["id"], "library": fault["library"], "ranks": {}, "listed": {}}
    with tempfile.TemporaryDirectory(prefix="suture-bench-") as tmp:
        tree = seeded_worktree(repo, fault, Path(tmp) / "tree")
        try:
            start = time.perf_counter()
            text = issue_path(fault).read_text() if mutation and issue_path(fault).is_file() else None
            try:
                loc = localize(tree, formula="ochiai", run_dir=Path(tmp) / "run", mutation=mutation_plan(mutation),
                               issue_text=text)
            except LocalizeError as error:
                result["error"] = str(error)
                return result
            result["seconds"] = round(time.perf_counter() - start, 2)
            result["failing"] = len(loc.failing)
            result["flaky"] = len(loc.flaky)
            for formula in FORMULAS:
                ranking = loc.ranking if formula == "ochiai" and not mutation else rerank(loc, tree, formula)
                scores = {(s.path, s.symbol): s.score for s in ranking}
                result["ranks"][formula] = mid_rank(scores, truth, total_units)
                listed = [(s.path, s.symbol) for s in ranking]
                result["listed"][formula] = listed.index(truth) + 1 if truth in listed else total_units
            if issue_path(fault).is_file():
                ranking = rerank(loc, tree, "ochiai", issue_path(fault).read_text())
                result["ranks"][WITH_ISSUE] = mid_rank({(s.path, s.symbol): s.score for s in ranking}, truth, total_units)
            if mutation:
                result["ranks"][WITH_MUTATION] = mid_rank({(s.path, s.symbol): s.score for s in loc.ranking}, truth,
                                                          total_units)
                plain = rerank(loc, tree, "ochiai", text)
                result["ranks"][DEFAULT] = mid_rank({(s.path, s.symbol): s.score for s in plain}, truth, total_units)
                evidence = loc.mutation
                result["mutation"] = {"mutants": len(evidence.results) if evidence else 0,
                                      "seconds": round(evidence.seconds, 2) if evidence else 0.0,
                                      "fixing": len(evidence.candidates) if evidence else 0,
                                      "targets": len({r.mutant.key for r in evidence.results}) if evidence else 0,
                                      "notes": [n for n in loc.notes if n.startswith("mutation evidence")]}
                result["mutants"] = result["mutation"]["mutants"]
            lines = per_test_lines(loc.spectra)
            result["ranks"][BASELINE] = mid_rank(plain_ochiai(lines, set(loc.failing), tree), truth, total_units)
            result["top_suspect"] = [loc.ranking[0].path, loc.ranking[0].symbol] if loc.ranking else None
        finally:
            remove_worktree(repo, tree)
    return result


# -- the faults through `suture batch` (--batch) -----------------------------------------------

BATCH_TOP = 100000  # every suspect in the report: a rank needs the whole ranking


def task_methods(fault: dict, mutation: bool) -> dict[str, dict]:
    """Each method's `suture localize` options for one fault, as a TASKS line names them."""
    plain = {"top": BATCH_TOP, "mutation": "off"}
    methods = {formula: {**plain, "formula": formula} for formula in FORMULAS}
    if issue_path(fault).is_file():
        methods[WITH_ISSUE] = {**plain, "formula": "ochiai", "issue_file": str(issue_path(fault))}
    if mutation:
        with_issue = {"issue_file": str(issue_path(fault))} if issue_path(fault).is_file() else {}
        methods[WITH_MUTATION] = {**plain, "formula": "ochiai", "mutation": "on", **with_issue}
    return methods


def task_id(fault: dict, method: str) -> str:
    return re.sub(r"[^\w.@+-]+", "_", fault["id"])[:80] + "@" + re.sub(r"\W+", "_", method)


def coverage_root(data_file: Path, tree: Path) -> Path:
    """The directory the run's coverage data names its files under (localize's scratch checkout of
    `tree`, gone now): the prefix of a measured file whose rest is a file of `tree`."""
    import coverage

    # a run split over processes (tools/testing/shards.py) has its data in `coverage.db.s0`, ... beside it
    data_file = next((p for p in [data_file, *sorted(data_file.parent.glob(data_file.name + ".*"))] if p.is_file()),
                     data_file)
    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    for measured in map(Path, sorted(data.measured_files())):
        for root in measured.parents:
            if (tree / measured.relative_to(root)).is_file():
                return root
    return tree


def baseline_rank(report: dict, tree: Path, truth: tuple[str, str], total_units: int) -> float:
    """The plain baseline's rank from the run's coverage data file (the ochiai task's)."""
    from suture.tools.testing.spectra import Spectra

    data_file = Path(report["coverage_file"])
    spectra = Spectra.from_coverage(data_file, coverage_root(data_file, tree))
    return mid_rank(plain_ochiai(per_test_lines(spectra), set(report["failing"]), tree), truth, total_units)


def batch_result(fault: dict, reports: dict[str, dict], methods: list[str], tree: Path, total_units: int) -> dict:
    """One fault's result, as localize_fault makes it, from its tasks' reports."""
    truth = (fault["path"], fault["symbol"])
    result: dict = {"id": fault["id"], "library": fault["library"], "ranks": {}, "listed": {}}
    for method in methods:
        report = reports.get(task_id(fault, method)) or {"status": "error", "error": "not in results.jsonl"}
        if "ranking" not in report:
            result["error"] = f"{method}: {report.get('error') or 'no ranking'}"
            result["ranks"] = {}
            return result
        scores = {(s["path"], s["symbol"]): s["score"] for s in report["ranking"]}
        result["ranks"][method] = mid_rank(scores, truth, total_units)
        if method in FORMULAS:
            listed = [(s["path"], s["symbol"]) for s in report["ranking"]]
            result["listed"][method] = listed.index(truth) + 1 if truth in listed else total_units
    ochiai = reports[task_id(fault, "ochiai")]
    result.update(seconds=ochiai["wall"], failing=len(ochiai["failing"]), flaky=len(ochiai["flaky"]),
                  top_suspect=[ochiai["ranking"][0]["path"], ochiai["ranking"][0]["symbol"]] if ochiai["ranking"] else None)
    result["ranks"][BASELINE] = baseline_rank(ochiai, tree, truth, total_units)
    return result


def localize_batch(chosen: list[dict], repos: dict[str, Path], totals: dict[str, int], workers: int,
                   mutation: bool, work: Path) -> list[dict]:
    """Every chosen fault's result through one `suture batch --workers N`: each fault seeded in its own
    worktree, its methods tasks on it (each task runs in a private clone of that worktree)."""
    trees = {f["id"]: seeded_worktree(repos[f["library"]], f, work / "trees" / task_id(f, "tree")) for f in chosen}
    try:
        tasks = [{"id": task_id(f, method), "repo": str(trees[f["id"]]), "command": "localize", "args": args}
                 for f in chosen for method, args in task_methods(f, mutation).items()]
        reports, _ = run_batch(tasks, work / "batch", workers, task_time_limit=3600)
        return [batch_result(f, reports, list(task_methods(f, mutation)), trees[f["id"]], totals[f["library"]])
                for f in chosen]
    finally:
        for fault in chosen:
            remove_worktree(repos[fault["library"]], trees[fault["id"]])


# -- overhead -------------------------------------------------------------------------------

def suture_localize_cmd(tree: Path) -> list[str]:
    """The CLI when it has `localize`, else the same function called from a fresh interpreter."""
    exe = Path(sys.executable).with_name("suture")
    probe = subprocess.run([str(exe), "localize", "--help"], capture_output=True, text=True)
    if probe.returncode == 0:
        return [str(exe), "localize", "--repo", str(tree), "--json"]
    code = ("import sys; from pathlib import Path; from suture.tools.testing.localize import localize; "
            "localize(Path(sys.argv[1]))")
    return [sys.executable, "-c", code, str(tree)]


CPU: list[float] = []  # the busy CPU-seconds of each `timed` run, in order


def timed(cmd: list[str], cwd: Path) -> float:
    start, busy = time.perf_counter(), busy_cpu_seconds()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    seconds = time.perf_counter() - start
    CPU.append(busy_cpu_seconds() - busy)
    if done.returncode not in (0, 1):  # pytest exits 1 on the seeded failures; localize 0
        raise SystemExit(f"overhead run failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-1500:]}")
    return seconds


def overhead(lib: corpus.Library, repo: Path, fault: dict, reps: int, extra: tuple[str, ...] = (),
             before: Path | None = None) -> dict:
    """Median wall time of `suture localize` and of plain `python -m pytest`, alternated, on one buggy HEAD;
    with `before` (another install's `suture`), that one's `localize` too, in the same alternation."""
    with tempfile.TemporaryDirectory(prefix="suture-bench-") as tmp:
        tree = seeded_worktree(repo, fault, Path(tmp) / "tree")
        try:
            cmd = suture_localize_cmd(tree) + list(extra)
            old = [str(before), *cmd[1:]] if before is not None else None
            plain, suture, earlier, cpu_plain, cpu_suture = [], [], [], [], []
            for _ in range(reps):
                plain.append(timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], tree))
                cpu_plain.append(CPU[-1])
                if old is not None:
                    earlier.append(timed(old, tree))
                    subprocess.run(["git", "clean", "-fdxq"], cwd=tree, capture_output=True)
                suture.append(timed(cmd, tree))
                cpu_suture.append(CPU[-1])
                subprocess.run(["git", "clean", "-fdxq"], cwd=tree, capture_output=True)
        finally:
            remove_worktree(repo, tree)
    return {"pytest": median(plain), "suture": median(suture), "command": cmd[1] if "-c" in cmd else "suture localize",
            "pytest_cpu": median(cpu_plain), "suture_cpu": median(cpu_suture),
            **({"before": median(earlier)} if earlier else {})}


# -- driver ---------------------------------------------------------------------------------

def select(faults: list[dict], libraries: list[str], limit: int | None) -> list[dict]:
    """Faults of the chosen libraries; with a limit, taken round-robin so each library is represented."""
    by_lib: dict[str, list[dict]] = defaultdict(list)
    for f in faults:
        if f["library"] in libraries:
            by_lib[f["library"]].append(f)
    chosen: list[dict] = []
    queues = [list(v) for v in by_lib.values()]
    while queues and (limit is None or len(chosen) < limit):
        for q in list(queues):
            if q and (limit is None or len(chosen) < limit):
                chosen.append(q.pop(0))
            if not q:
                queues.remove(q)
    return chosen


def summarize(results: list[dict], methods: list[str], totals: dict[str, int]) -> list[str]:
    rows = ["| method | faults | top-1 | top-3 | top-5 | mean EXAM |", "|---|---:|---:|---:|---:|---:|"]
    for method in methods:
        ranks = [(r["ranks"][method], totals[r["library"]]) for r in results if method in r["ranks"]]
        if not ranks:
            continue
        n = len(ranks)

        def pct(k):
            return f"{100 * sum(rank <= k for rank, _ in ranks) / n:.1f}%"

        exam = sum(rank / total for rank, total in ranks) / n
        rows.append(f"| {method} | {n} | {pct(1)} | {pct(3)} | {pct(5)} | {exam:.4f} |")
    return rows


def mutation_table(results: list[dict], libraries: list) -> list[str]:
    """Per library and per group (train / held out): suture's default ranking against the same run with
    mutation evidence, and on how many faults the mutation step ran at all."""
    groups = {lib.name: lib.group for lib in libraries}
    rows = ["| library | group | faults | default top-1 | default top-5 | + mutation top-1 | + mutation top-5 | "
            "step ran | mutants (median where ran) |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    scored = [r for r in results if DEFAULT in r["ranks"] and WITH_MUTATION in r["ranks"]]

    def row(label: str, group: str, mine: list[dict]) -> str:
        def top(method: str, k: int) -> str:
            return f"{sum(r['ranks'][method] <= k for r in mine)}/{len(mine)}"
        ran = [r["mutation"]["mutants"] for r in mine if r.get("mutation", {}).get("mutants")]
        return (f"| {label} | {group} | {len(mine)} | {top(DEFAULT, 1)} | {top(DEFAULT, 5)} | {top(WITH_MUTATION, 1)} | "
                f"{top(WITH_MUTATION, 5)} | {len(ran)} | {median(ran) if ran else '-'} |")

    for lib in libraries:
        mine = [r for r in scored if r["library"] == lib.name]
        if mine:
            rows.append(row(lib.name, lib.group, mine))
    for group in sorted(set(groups.values())):
        mine = [r for r in scored if groups.get(r["library"]) == group]
        if mine:
            rows.append(row(f"**all {group}**", group, mine))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fault localisation accuracy and overhead on the seeded-fault corpus.")
    parser.add_argument("--limit", type=int, help="at most N faults, spread over the libraries")
    parser.add_argument("--library", action="append", help="only this library (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="faults localised at once")
    parser.add_argument("--overhead-reps", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=corpus.DEFAULT_WORK_DIR)
    parser.add_argument("--faults", type=Path, default=corpus.FAULTS, help="the corpus (default bench/faults/faults.jsonl)")
    parser.add_argument("--with-issues", action="store_true", help="only the faults with an issue text in bench/faults/issues")
    parser.add_argument("--fault", action="append", help="only this fault id (repeatable)")
    parser.add_argument("--fault-file", type=Path, help="only the fault ids this file lists, one a line")
    parser.add_argument("--no-results", action="store_true", help="print, do not append to bench/RESULTS.md")
    parser.add_argument("--mutation", action="store_true", help="localize with --mutation on: adds the method "
                        f"{WITH_MUTATION!r} (ochiai is then the same run re-ranked without it) and times it")
    parser.add_argument("--batch", action="store_true", help="run the faults through one `suture batch --workers JOBS`")
    parser.add_argument("--before-exe", type=Path, help="another install's `suture` (e.g. main's venv) timed in the "
                        "overhead's alternation, a 'before' column")
    parser.add_argument("--overhead-only", action="store_true", help="skip the accuracy runs: only the overhead")
    parser.add_argument("--rows-out", type=Path, help="append each fault's result as a JSON line (as it ends)")
    parser.add_argument("--one-fault", help=argparse.SUPPRESS)  # worker mode: one fault, JSON on stdout
    args = parser.parse_args(argv)

    faults = [json.loads(line) for line in args.faults.read_text().splitlines()]
    libraries = corpus.load_libraries(args.library)
    repos = {lib.name: args.work_dir / lib.name / "repo" for lib in libraries}

    if args.one_fault:
        (fault,) = [f for f in faults if f["id"] == args.one_fault]
        repo = repos[fault["library"]]
        print(json.dumps(localize_fault(fault, repo, count_units(repo), args.mutation)))
        return 0

    started = time.perf_counter()
    recorded = corpus.load_baseline()
    totals = {}
    for lib in libraries:
        repo = corpus.prepare(lib, args.work_dir)
        tree = corpus.git(repo, "rev-parse", "HEAD^{tree}").strip()
        if recorded.get(lib.name, {}).get("commit_tree") not in (None, tree):
            raise SystemExit(f"{lib.name}: the prepared repo differs from the one the corpus was built on")
        totals[lib.name] = count_units(repo)
    if args.with_issues:
        faults = [f for f in faults if issue_path(f).is_file()]
    wanted = set(args.fault or []) | (set(args.fault_file.read_text().split("\n")) - {""} if args.fault_file else set())
    if wanted:
        faults = [f for f in faults if f["id"] in wanted]
    chosen = select(faults, [lib.name for lib in libraries], args.limit)
    print(f"{len(chosen)} faults over {len(libraries)} libraries", file=sys.stderr)

    def one(fault: dict) -> dict:
        done = subprocess.run([sys.executable, __file__, "--one-fault", fault["id"], "--work-dir", str(args.work_dir),
                               "--faults", str(args.faults), *(["--mutation"] if args.mutation else [])],
                              capture_output=True, text=True)
        if done.returncode != 0:
            return {"id": fault["id"], "library": fault["library"], "ranks": {}, "error": done.stderr.strip()[-500:]}
        return json.loads(done.stdout.strip().splitlines()[-1])

    results = []
    if args.batch:
        with tempfile.TemporaryDirectory(prefix="suture-bench-batch-") as tmp:
            done = localize_batch(chosen, repos, totals, args.jobs, args.mutation, Path(tmp))
    with ThreadPoolExecutor(args.jobs) as pool:
        accuracy = [] if args.overhead_only else chosen
        for i, result in enumerate(done if args.batch else pool.map(one, accuracy), 1):
            results.append(result)
            if args.rows_out:  # a bench stopped early keeps what it measured
                with args.rows_out.open("a") as out:
                    out.write(json.dumps(result) + "\n")
            ranks = ", ".join(f"{k}={v:g}" for k, v in result["ranks"].items())
            print(f"[{i}/{len(chosen)}] {result['id']}: {ranks or result.get('error')}", file=sys.stderr)
    accuracy_seconds = time.perf_counter() - started

    costs = {}
    for lib in libraries:
        first = next((f for f in chosen if f["library"] == lib.name), None)
        if first is not None:
            costs[lib.name] = overhead(lib, repos[lib.name], first, args.overhead_reps, (), args.before_exe)
            if args.mutation:
                costs[lib.name + " (--mutation on)"] = overhead(lib, repos[lib.name], first, args.overhead_reps,
                                                                ("--mutation", "on"), args.before_exe)
            for name in (lib.name, lib.name + " (--mutation on)"):
                if name in costs:
                    print(f"overhead {name}: {json.dumps(costs[name])} load {os.getloadavg()[0]:.2f}", file=sys.stderr)

    errors = [r for r in results if r.get("error") or not r["ranks"]]
    methods = [BASELINE, *FORMULAS, WITH_ISSUE, DEFAULT, WITH_MUTATION]
    body = [
        f"{len(results)} seeded faults ({', '.join(f'{lib.name} {lib.version}' for lib in libraries)}), "
        f"corpus {args.faults.name}; {len(errors)} without a ranking; {accuracy_seconds:.0f} s, "
        f"{args.jobs} {'tasks of `suture batch`' if args.batch else 'faults'} at a time. Ranks: ties at their middle; EXAM = rank / functions+classes+modules "
        f"of the library ({', '.join(f'{k} {v}' for k, v in totals.items())}).",
        "",
        *summarize(results, methods, totals),
        "",
        "suture ochiai, ranking as listed (ties broken by suture's order):",
        "",
    ]
    listed = [{**r, "ranks": {"ochiai (as listed)": r["listed"]["ochiai"]}} for r in results if "ochiai" in r.get("listed", {})]
    body += summarize(listed, ["ochiai (as listed)"], totals)
    body += ["", "Per library (suture ochiai vs baseline):", "",
             "| library | faults | ochiai top-1 | ochiai top-5 | baseline top-1 | baseline top-5 |",
             "|---|---:|---:|---:|---:|---:|"]
    for lib in libraries:
        mine = [r for r in results if r["library"] == lib.name and "ochiai" in r["ranks"]]
        if mine:
            def pct(method, k):
                return f"{100 * sum(r['ranks'][method] <= k for r in mine) / len(mine):.0f}%"
            body.append(f"| {lib.name} | {len(mine)} | {pct('ochiai', 1)} | {pct('ochiai', 5)} | "
                        f"{pct(BASELINE, 1)} | {pct(BASELINE, 5)} |")
    if args.mutation:
        body += ["", *mutation_table(results, libraries)]
    body += ["", "Overhead: `suture localize` (ochiai, cold index) vs plain `python -m pytest` on the same buggy "
             f"checkout, median of {args.overhead_reps} alternated runs:", "",
             "| library | pytest s | suture localize s | ratio | pytest CPU s | localize CPU s | CPU ratio |"
             + (" before s | before ratio |" if args.before_exe else ""),
             "|---|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if args.before_exe else "")]
    for name, c in costs.items():
        was = (f" {c['before']:.2f} | {c['before'] / c['pytest']:.2f}x |" if "before" in c else
               (" | |" if args.before_exe else ""))
        cpu = f" {c['pytest_cpu']:.2f} | {c['suture_cpu']:.2f} | {c['suture_cpu'] / max(c['pytest_cpu'], 1e-9):.2f}x |"
        body.append(f"| {name} | {c['pytest']:.2f} | {c['suture']:.2f} | {c['suture'] / c['pytest']:.2f}x |{cpu}{was}")
    for label, runs in (("without", [c for n, c in costs.items() if "--mutation" not in n]),
                        ("with --mutation on", [c for n, c in costs.items() if "--mutation" in n])):
        if runs:
            body.append(f"| **median, {label}** | | | **{median([c['suture'] / c['pytest'] for c in runs]):.2f}x** | | | "
                        f"**{median([c['suture_cpu'] / max(c['pytest_cpu'], 1e-9) for c in runs]):.2f}x** |"
                        + (f" | **{median([c['before'] / c['pytest'] for c in runs]):.2f}x** |" if args.before_exe else ""))
    body.append("CPU: the machine's busy CPU-seconds over each run (/proc/stat), its own only when nothing else ran.")
    if errors:
        body += ["", "Faults without a ranking: " + "; ".join(f"{r['id']}: {r.get('error', '')[:160]}" for r in errors[:10])]
    text = "\n".join(body)
    print(text)
    if not args.no_results:
        append_results("Fault localisation (seeded faults)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
