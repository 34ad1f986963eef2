"""Repair benchmark: `suture fix` over the hand-written bug corpus (bench/bugs) and, with
--faults, the seeded faults in real libraries (bench/faults).

For every case the repair tool gets a fresh git repo whose HEAD is the buggy program: for a
corpus bug, the program WITHOUT heldout/, fix.diff and bug.toml; for a seeded fault, a clone of
the library's prepared repo with the fault committed. The real CLI runs in a subprocess:

    suture fix --repo DIR --json --time-limit T

(stdout's last line is the JSON report: status, patch, engine, candidates_tried, seconds,
run_dir; exit 0 fixed, 1 not fixed, 5 budget exhausted). The returned patch is then applied to a
fresh copy and judged by the bench itself, never by the tool's word:

- fixed: every visible test passes (corpus bug: tests/; seeded fault: the library's whole suite);
- correct: fixed, and for a corpus bug the held-back suite passes too; for a seeded fault, which
  has no held-back tests, the patched files are AST-identical to the library's original (the
  fault undone; a stricter proxy that counts an equivalent rewrite as not correct).

Reported: fixed / correct counts, median and p90 wall seconds per case, candidates per fix,
runs that overran their time limit by more than 10%, per bug kind. Targets (issue 5): correct
>= 60% of the own corpus and >= 85% of the seeded faults, median time to fix < 30 s.

--dry-run checks the bench's own machinery without suture: every case is prepared as for a real
run, its visible suite must fail at HEAD, and the known answer (fix.diff, or the fault undone)
is judged as if the tool had returned it; every case must come out fixed and correct.

    python bench/bench_fix.py [--limit N] [--only NAME]... [--time-limit 60] [--jobs 1]
                              [--faults] [--dry-run] [--no-results] [--batch]
                              [--evidence on|off|both] [--synthesis on|off|both] [--mutation on|off|both]
                              [--rows-out ROWS.jsonl]

--batch runs every case through one `suture batch --workers JOBS` (the product path: each case a
task of the batch, its report read from results.jsonl) instead of one `suture fix` per case.

Every returned patch's confidence is recorded, and the report ends with bench/calibration.py's
trust and reliability tables (precision of `fixed`, claimed-but-wrong, correct patches demoted to
plausible, confidence bins against the share correct, and with --evidence both the evidence
stage's cost as a ratio of median times to fix).

--synthesis both runs every case with SUTURE_SYNTHESIS off and on back to back (issue 18: synthesis
and ingredients beyond the templates) and adds a per-kind table of the two side by side: fixed,
correct, runs over their limit, wrong claims. --mutation both does the same for `fix --mutation off|on`
(issue 19: localisation's mutation evidence, the mutants that made every failing test pass gated first).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import calibration  # noqa: E402
from common import append_results, last_json_object, median, percentile, run_batch, suture_exe  # noqa: E402


def _load(name: str, path: Path):
    # bench/bugs and bench/faults both have a corpus.py: load each under its own name.
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bugs_corpus = _load("bench_bugs_corpus", HERE / "bugs" / "corpus.py")
faults_corpus = _load("bench_faults_corpus", HERE / "faults" / "corpus.py")
mutate = _load("bench_faults_mutate", HERE / "faults" / "mutate.py")

EXIT_STATUS = {0: "fixed", 1: "not_fixed", 5: "budget_exhausted"}
OVERRUN = 1.10  # a run may take at most 10% more than its time limit
TARGETS = {"bug": 0.60, "fault": 0.85}
MEDIAN_TARGET_SECONDS = 30.0


# -- cases ----------------------------------------------------------------------------------

@dataclass
class Verdict:
    fixed: bool
    correct: bool
    note: str = ""


@dataclass
class Case:
    source: str  # "bug" (own corpus) or "fault" (seeded fault in a library)
    name: str
    kind: str

    def prepare(self, dest: Path) -> Path:
        """The repo the repair tool sees, HEAD buggy."""
        raise NotImplementedError

    def visible_fails_at_head(self, repo: Path) -> bool:
        raise NotImplementedError

    def answer(self) -> str:
        """The known correct patch at the buggy HEAD (for --dry-run)."""
        raise NotImplementedError

    def judge(self, patch: str, scratch: Path) -> Verdict:
        raise NotImplementedError


@dataclass
class BugCase(Case):
    bug: object = None

    def prepare(self, dest: Path) -> Path:
        return bugs_corpus.copy_program(self.bug, dest)

    def visible_fails_at_head(self, repo: Path) -> bool:
        return bool(bugs_corpus.run_suites(repo, [bugs_corpus.VISIBLE_SUITE]).failed())

    def answer(self) -> str:
        return self.bug.fix_diff

    def judge(self, patch: str, scratch: Path) -> Verdict:
        repo = bugs_corpus.copy_program(self.bug, scratch / "judge", heldout=True)
        complaint = bugs_corpus.apply_patch(repo, patch)
        if complaint:
            return Verdict(False, False, f"patch does not apply: {complaint[:120]}")
        run = bugs_corpus.run_suites(repo, [bugs_corpus.VISIBLE_SUITE, bugs_corpus.HELDOUT_SUITE])
        visible = [n for n in run.outcomes if n.startswith(bugs_corpus.VISIBLE_SUITE + "/")]
        failed_visible = run.failed(bugs_corpus.VISIBLE_SUITE)
        fixed = bool(visible) and not failed_visible and not run.timed_out
        failed_heldout = run.failed(bugs_corpus.HELDOUT_SUITE)
        correct = fixed and not failed_heldout
        note = "" if correct else (
            "timed out" if run.timed_out else
            f"visible failing: {len(failed_visible)}" if not fixed else
            f"held-back failing: {', '.join(n.split('::')[-1] for n in failed_heldout[:3])}")
        return Verdict(fixed, correct, note)


@dataclass
class FaultCase(Case):
    fault: dict = field(default_factory=dict)
    library_repo: Path = Path()
    suite_timeout: float = 120.0

    def prepare(self, dest: Path) -> Path:
        faults_corpus.git(self.library_repo.parent, "clone", "-q", "--no-hardlinks", str(self.library_repo), str(dest))
        target = dest / self.fault["path"]
        target.write_text(mutate.apply(target.read_text(), self.fault))
        faults_corpus.git(dest, "commit", "-q", "-am", "seeded fault")
        return dest

    def visible_fails_at_head(self, repo: Path) -> bool:
        run = faults_corpus.run_pytest(repo, self.fault["killing_tests"], timeout=self.suite_timeout)
        return bool(run.failed)

    def answer(self) -> str:
        original = (self.library_repo / self.fault["path"]).read_text()
        mutated = mutate.apply(original, self.fault)
        path = self.fault["path"]
        return "".join(difflib.unified_diff(mutated.splitlines(keepends=True), original.splitlines(keepends=True),
                                            f"a/{path}", f"b/{path}"))

    def judge(self, patch: str, scratch: Path) -> Verdict:
        repo = self.prepare(scratch / "judge")
        complaint = bugs_corpus.apply_patch(repo, patch)
        if complaint:
            return Verdict(False, False, f"patch does not apply: {complaint[:120]}")
        run = faults_corpus.run_pytest(repo, timeout=self.suite_timeout)
        fixed = bool(run.outcomes) and not run.failed and not run.timed_out
        changed = faults_corpus.git(repo, "diff", "--name-only", "HEAD").split()
        restored = all(_same_ast(self.library_repo / rel, repo / rel) for rel in set(changed) | {self.fault["path"]})
        note = "" if fixed and restored else (
            "suite timed out" if run.timed_out else
            f"suite failing: {len(run.failed)}" if not fixed else "passes, but is not the original code")
        return Verdict(fixed, fixed and restored, note)


def _same_ast(original: Path, patched: Path) -> bool:
    if not original.exists() or not patched.exists():
        return original.exists() == patched.exists()
    if original.suffix != ".py":
        return original.read_bytes() == patched.read_bytes()
    try:
        return ast.dump(ast.parse(original.read_text())) == ast.dump(ast.parse(patched.read_text()))
    except SyntaxError:
        return False


def bug_cases(only: list[str] | None) -> list[Case]:
    return [BugCase("bug", b.name, b.kind, bug=b) for b in bugs_corpus.load_bugs(only or None)]


def fault_cases(work_dir: Path, only: list[str] | None) -> list[Case]:
    faults = [json.loads(line) for line in faults_corpus.FAULTS.read_text().splitlines()]
    if only:
        faults = [f for f in faults if f["id"] in only or f["library"] in only]
    recorded = faults_corpus.load_baseline()
    repos = {}
    for lib in faults_corpus.load_libraries(sorted({f["library"] for f in faults}) or None):
        repo = work_dir / lib.name / "repo"
        want = recorded.get(lib.name, {}).get("commit_tree")
        have = faults_corpus.git(repo, "rev-parse", "HEAD^{tree}").strip() if (repo / ".git").exists() else None
        if have is None or (want and have != want):
            repo = faults_corpus.prepare(lib, work_dir)  # downloads the pinned sdist once, via pip
        repos[lib.name] = (repo, recorded.get(lib.name, {}).get("suite_seconds", 30.0))
    ordered = _round_robin(faults)
    # The judge's limit for the library's whole suite: at load 9 on 2 cores, boltons' 6.8 s suite ran past
    # 10 + 3x (30 s) and a correct patch was judged "suite timed out". A patch that passed suture's gates ran
    # the whole suite to its end there already, so past the old limit it is the load that shows, not a hang.
    return [FaultCase("fault", f["id"], f["operator"], fault=f, library_repo=repos[f["library"]][0],
                      suite_timeout=60 + 10 * repos[f["library"]][1]) for f in ordered]


def _round_robin(faults: list[dict]) -> list[dict]:
    """Faults interleaved library by library, so a --limit covers every library."""
    by_lib: dict[str, list[dict]] = defaultdict(list)
    for f in faults:
        by_lib[f["library"]].append(f)
    queues, out = list(by_lib.values()), []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


# -- running suture fix ---------------------------------------------------------------------

def fix_command_available() -> bool:
    probe = subprocess.run([suture_exe(), "fix", "--help"], capture_output=True, text=True)
    return probe.returncode == 0


def run_suture_fix(repo: Path, time_limit: float, evidence: str = "on", synthesis: str | None = None,
                   mutation: str | None = None) -> dict:
    """Run the CLI in its own session; the JSON report plus the bench's own wall time and exit code.
    `evidence` "off" sets SUTURE_EVIDENCE=off (agent/fix/evidence.py), to measure what the stage costs;
    `synthesis` sets SUTURE_SYNTHESIS (agent/propose/synthesis.py) when given; `mutation` is `fix --mutation`
    (localisation's mutation evidence, its fixing mutants gated first) when given."""
    cmd = [suture_exe(), "fix", "--repo", str(repo), "--json", "--time-limit", f"{time_limit:g}",
           *(["--mutation", mutation] if mutation else [])]
    env = {**os.environ, "SUTURE_EVIDENCE": evidence, **({"SUTURE_SYNTHESIS": synthesis} if synthesis else {})}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=env)
    killed = False
    try:
        out, err = proc.communicate(timeout=time_limit * 1.5 + 30)
    except subprocess.TimeoutExpired:
        killed = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    wall = time.perf_counter() - start
    report = last_json_object(out)
    if not isinstance(report, dict) or "status" not in report:
        report = {"status": "error", "error": (err.strip() or out.strip())[-300:] or "no JSON report"}
    report["exit_code"] = proc.returncode
    report["wall"] = wall
    report["killed"] = killed
    return report


def evidence_runs(cases: list[Case], evidence: str) -> list[tuple[Case, str]]:
    """(case, evidence setting) in run order; with "both" each case runs off and on back to back,
    alternating which goes first so neither setting always meets a warmer cache."""
    if evidence != "both":
        return [(case, evidence) for case in cases]
    return [(case, mode) for i, case in enumerate(cases) for mode in (("off", "on") if i % 2 == 0 else ("on", "off"))]


def both_ways(runs: list[tuple], setting: str | None) -> list[tuple]:
    """`runs` each with one more setting (SUTURE_SYNTHESIS, `--mutation`); with "both" each runs off and on
    back to back, alternating which goes first (as evidence_runs does)."""
    if setting != "both":
        return [(*run, setting) for run in runs]
    return [(*run, mode) for i, run in enumerate(runs) for mode in (("off", "on") if i % 2 == 0 else ("on", "off"))]


def run_case(case: Case, args, evidence: str = "on", synthesis: str | None = None, mutation: str | None = None) -> dict:
    row = {"source": case.source, "name": case.name, "kind": case.kind, "evidence": evidence, "synthesis": synthesis,
           "mutation": mutation}
    with tempfile.TemporaryDirectory(prefix="suture-fixbench-") as tmp:
        tmp = Path(tmp)
        try:
            repo = case.prepare(tmp / "repo")
            if args.dry_run:
                if not case.visible_fails_at_head(repo):
                    return {**row, "status": "error", "note": "no visible test fails at HEAD", "fixed": False, "correct": False}
                report = {"status": "fixed", "patch": case.answer(), "engine": "answer", "candidates_tried": 1,
                          "exit_code": 0, "wall": 0.0, "killed": False}
            else:
                # `mutation` only when set: a stand-in run_suture_fix (tests) need not take it.
                report = run_suture_fix(repo, args.time_limit, evidence, synthesis,
                                        **({"mutation": mutation} if mutation else {}))
            return {**judged_row(case, report, tmp, args), "evidence": evidence, "synthesis": synthesis,
                    "mutation": mutation, "produced_by": report.get("produced_by")}
        except (bugs_corpus.BugCorpusError, faults_corpus.CorpusError, ValueError) as error:
            return {**row, "status": "error", "note": str(error)[:200], "fixed": False, "correct": False}


def judged_row(case: Case, report: dict, tmp: Path, args) -> dict:
    """The bench's row for one case: the tool's report judged on fresh copies in `tmp`."""
    row = {"source": case.source, "name": case.name, "kind": case.kind}
    patch = report.get("patch") or ""
    verdict = case.judge(patch, tmp) if patch.strip() else Verdict(False, False, "no patch")
    # A patch that passed every gate but was shown as plausible (weak evidence) is not
    # claimed, so it is not counted as fixed; it is judged on its own, to see whether
    # abstaining was right.
    shown = (report.get("plausible") or {}).get("patch") or ""
    plausible = case.judge(shown, tmp / "plausible") if shown.strip() else None
    return {
        **row,
        "status": report.get("status"),
        "exit_code": report.get("exit_code"),
        "engine": report.get("engine"),
        "candidates": report.get("candidates_tried"),
        "seconds": round(report["wall"], 2),
        "reported_seconds": report.get("seconds"),
        "over_limit": report["wall"] > args.time_limit * OVERRUN,
        "killed": report.get("killed", False),
        "claimed_fixed": report.get("status") == "fixed",
        "fixed": verdict.fixed,
        "correct": verdict.correct,
        "plausible": plausible is not None,
        "plausible_correct": bool(plausible and plausible.correct),
        # The chosen patch's confidence (claimed or plausible), for bench/calibration.py's reliability table.
        "confidence": (report.get("confidence") or {}).get("value"),
        # What was returned and why it was rated so, for reading a wrong claim afterwards (rows file only).
        "patch": patch or shown,
        "reasons": (report.get("confidence") or {}).get("reasons", []),
        "distinct_passing": (report.get("choice") or {}).get("distinct_passing"),
        "features": (report.get("confidence") or {}).get("features"),  # the calibration model's inputs
        # What localisation's mutation step did (`--mutation on`): whether it ran, stopped, ran out of time.
        "mutation_notes": [n for n in report.get("notes") or [] if isinstance(n, str) and "mutation evidence" in n],
        "note": (("plausible, weakly evidenced: " + plausible.note) if plausible is not None else verdict.note)
        if report.get("status") != "error" else report.get("error", "")[:200],
    }


# -- the corpus through `suture batch` ------------------------------------------------------

def batch_reports(repos: dict[str, Path], work: Path, time_limit: float, workers: int) -> tuple[dict[str, dict], float]:
    """One `suture batch --workers N` over the prepared repos: each case's report as run_suture_fix
    gives it (plus wall, exit_code, killed), by case name; and the batch's wall seconds."""
    tasks = [{"id": name, "repo": str(repo), "command": "fix", "args": {"time_limit": time_limit}}
             for name, repo in repos.items()]
    return run_batch(tasks, work, workers, time_limit * 1.5 + 30)


def run_cases_batch(cases: list[Case], args) -> list[dict]:
    """Every case prepared first, then all of them through one `suture batch`, then judged."""
    with tempfile.TemporaryDirectory(prefix="suture-fixbench-batch-") as tmp:
        tmp = Path(tmp)
        repos, rows = {}, {}
        for case in cases:
            try:
                repos[case.name] = case.prepare(tmp / "repos" / case.name)
            except (bugs_corpus.BugCorpusError, faults_corpus.CorpusError, ValueError) as error:
                rows[case.name] = {"source": case.source, "name": case.name, "kind": case.kind, "status": "error",
                                   "note": str(error)[:200], "fixed": False, "correct": False}
        reports, _ = batch_reports(repos, tmp, args.time_limit, args.jobs)
        for case in cases:
            if case.name not in rows:
                report = reports.get(case.name) or {"status": "error", "error": "not in results.jsonl", "wall": 0.0}
                rows[case.name] = judged_row(case, report, tmp / "judge" / case.name, args)
        return [rows[case.name] for case in cases]


# -- report ---------------------------------------------------------------------------------

def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def summary_rows(rows: list[dict], label: str, target: float | None) -> str:
    n = len(rows)
    fixed = sum(r["fixed"] for r in rows)
    correct = sum(r["correct"] for r in rows)
    secs = [r["seconds"] for r in rows if r.get("seconds") is not None]
    fix_secs = [r["seconds"] for r in rows if r["fixed"]]
    cands = [r["candidates"] for r in rows if r["fixed"] and isinstance(r.get("candidates"), int)]
    over = sum(bool(r.get("over_limit")) for r in rows)
    errors = sum(r.get("status") == "error" for r in rows)
    claimed = sum(bool(r.get("claimed_fixed")) and not r["fixed"] for r in rows)
    shown = sum(bool(r.get("plausible")) for r in rows)
    shown_correct = sum(bool(r.get("plausible_correct")) for r in rows)
    verdict = "" if target is None else ("met" if n and correct / n >= target else "**missed**")
    return (f"| {label} | {n} | {fixed} ({pct(fixed, n)}) | {correct} ({pct(correct, n)}) | "
            f"{'' if target is None else f'>= {target:.0%} {verdict}'} | "
            f"{median(secs) if secs else 0:.1f} / {percentile(secs, 0.9) if secs else 0:.1f} | "
            f"{median(fix_secs) if fix_secs else 0:.1f} | {format(median(cands), 'g') if cands else '-'} | {over} | {errors} | {claimed} | "
            f"{shown} ({shown_correct}) |")


TABLE_HEAD = ["| cases | n | fixed | correct | target | s per case median / p90 | s per fix median | "
              "candidates per fix (median) | over limit +10% | errors | claimed fixed but not | "
              "plausible shown, not claimed (correct) |",
              "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]


def _commit() -> str:
    done = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(HERE), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return (done.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty else "")


def report(rows: list[dict], args, seconds: float) -> str:
    by_source = defaultdict(list)
    for r in rows:
        by_source[r["source"]].append(r)
    mode = "DRY RUN (known answers, no suture)" if args.dry_run else f"`suture fix --json --time-limit {args.time_limit:g}`"
    if getattr(args, "batch", False) and not args.dry_run:
        mode += f" through `suture batch --workers {args.jobs}`"
    engines = sorted({str(r.get("engine")) for r in rows if r.get("engine")})
    lines = [f"{mode}; {len(rows)} cases, {args.jobs} at a time, {seconds:.0f} s in all; engines: {', '.join(engines) or '-'}; "
             f"suture at commit {_commit()}.",
             "", *TABLE_HEAD]
    names = {"bug": "own corpus (bench/bugs)", "fault": "seeded faults (bench/faults)"}
    for source, group in by_source.items():
        lines.append(summary_rows(group, names[source], TARGETS[source]))
    fix_secs = [r["seconds"] for r in rows if r["fixed"]]
    if fix_secs and not args.dry_run:
        ok = median(fix_secs) < MEDIAN_TARGET_SECONDS
        lines += ["", f"Median time to fix: {median(fix_secs):.1f} s (target < {MEDIAN_TARGET_SECONDS:.0f} s: "
                  f"{'met' if ok else '**missed**'}); runs over their limit by more than 10%: "
                  f"{sum(bool(r.get('over_limit')) for r in rows)} (target 0)."]
    for source, group in by_source.items():
        lines += ["", f"Per {'bug kind' if source == 'bug' else 'fault operator'} ({names[source]}):", "", *TABLE_HEAD]
        kinds = defaultdict(list)
        for r in group:
            kinds[r["kind"]].append(r)
        for kind in sorted(kinds):
            lines.append(summary_rows(kinds[kind], kind, None))
    misses = [r for r in rows if not r["correct"]]
    if misses:
        lines += ["", "Not correct: " + "; ".join(
            f"{r['name']} ({r.get('status')}{', ' + r['note'] if r.get('note') else ''})" for r in misses[:40])]
    return "\n".join(lines)


def both_table(rows: list[dict], setting: str = "synthesis", produced: tuple[str, ...] = ("synthesis", "ingredient")) -> str:
    """Per kind, `setting` off vs on (rows of --synthesis / --mutation both): fixed, correct, over limit,
    wrong claims, and how many returned patches the setting's own engines (`produced`) made."""
    kinds = defaultdict(lambda: {"off": [], "on": []})
    for r in rows:
        if r.get(setting) in ("on", "off"):
            kinds[r["kind"]][r[setting]].append(r)
            kinds["all"][r[setting]].append(r)

    def cell(group: list[dict], key) -> str:
        return str(sum(1 for r in group if key(r)))

    lines = ["| kind | n | fixed off / on | correct off / on | over limit +10% off / on | claimed but wrong off / on "
             f"| patch returned by {' or '.join(produced)} (on) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for kind in sorted(kinds, key=lambda k: (k == "all", k)):
        off, on = kinds[kind]["off"], kinds[kind]["on"]
        pair = lambda key: f"{cell(off, key)} / {cell(on, key)}"  # noqa: E731
        lines.append(f"| {kind} | {max(len(off), len(on))} | {pair(lambda r: r['fixed'])} | "
                     f"{pair(lambda r: r['correct'])} | {pair(lambda r: r.get('over_limit'))} | "
                     f"{pair(lambda r: r.get('claimed_fixed') and not r['correct'])} | "
                     f"{cell(on, lambda r: r.get('patch') and r.get('produced_by') in produced)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Repair accuracy and time of `suture fix` on the bug corpora.")
    parser.add_argument("--limit", type=int, help="at most N cases of each corpus")
    parser.add_argument("--only", action="append", help="a bug name, fault id or library (repeatable)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds given to each `suture fix`")
    parser.add_argument("--jobs", type=int, default=1, help="cases at a time (two runs compete for 2 cores)")
    parser.add_argument("--faults", action="store_true", help="also the seeded faults of bench/faults")
    parser.add_argument("--no-bugs", action="store_true", help="leave out the own corpus (with --faults)")
    parser.add_argument("--work-dir", type=Path, default=faults_corpus.DEFAULT_WORK_DIR, help="the fault corpus's work dir")
    parser.add_argument("--dry-run", action="store_true", help="check the bench with the known answers; no suture")
    parser.add_argument("--batch", action="store_true", help="run the cases through one `suture batch --workers JOBS`")
    parser.add_argument("--no-results", action="store_true", help="print, do not append to bench/RESULTS.md")
    parser.add_argument("--evidence", choices=("on", "off", "both"), default="on",
                        help="SUTURE_EVIDENCE for the runs; both: every case off and on, back to back, to time the stage")
    parser.add_argument("--synthesis", choices=("on", "off", "both"),
                        help="SUTURE_SYNTHESIS for the runs (default: as the environment says); both: every case off "
                             "and on, back to back, and a table of the two per kind")
    parser.add_argument("--mutation", choices=("on", "off", "both"),
                        help="`fix --mutation` for the runs (default: the CLI's); both: every case off and on, back to "
                             "back, and a table of the two per kind")
    parser.add_argument("--rows-out", type=Path, help="append one JSON line per run (for bench/calibration.py)")
    args = parser.parse_args(argv)

    if not args.dry_run and not fix_command_available():
        raise SystemExit("`suture fix` is not available yet in this environment; use --dry-run to check the corpus.")
    cases: list[Case] = []
    if not args.no_bugs:
        bug_names = [o for o in (args.only or []) if (bugs_corpus.BUGS_DIR / o / "bug.toml").exists()]
        if not args.only or bug_names:
            cases += bug_cases(bug_names)[: args.limit]
    if args.faults:
        fault_only = [o for o in (args.only or []) if not (bugs_corpus.BUGS_DIR / o / "bug.toml").exists()]
        if not args.only or fault_only:
            cases += fault_cases(args.work_dir, fault_only)[: args.limit]
    if not cases:
        raise SystemExit("no cases selected")
    print(f"{len(cases)} cases", file=sys.stderr)

    started = time.perf_counter()
    runs = both_ways(both_ways(evidence_runs(cases, args.evidence), args.synthesis), args.mutation)
    rows = []
    if args.batch and not args.dry_run:
        if "both" in (args.evidence, args.synthesis, args.mutation) or args.mutation:
            parser.error("--batch runs each case once with the default --mutation: use --evidence / --synthesis on "
                         "or off with it")
        if args.synthesis:
            os.environ["SUTURE_SYNTHESIS"] = args.synthesis
        with_evidence = {"SUTURE_EVIDENCE": args.evidence}
        os.environ.update(with_evidence)  # the batch's tasks inherit it
        rows = [{**row, "evidence": args.evidence} for row in run_cases_batch(cases, args)]
        for i, row in enumerate(rows, 1):
            mark = "correct" if row["correct"] else "fixed" if row["fixed"] else row.get("status")
            print(f"[{i}/{len(cases)}] {row['name']}: {mark} {row.get('seconds', '')}s {row.get('note') or ''}",
                  file=sys.stderr)
    else:
        with ThreadPoolExecutor(args.jobs) as pool:
            for i, row in enumerate(pool.map(lambda run: run_case(run[0], args, *run[1:]), runs), 1):
                rows.append(row)
                if args.rows_out:  # as each run ends: a bench stopped early keeps what it measured
                    with args.rows_out.open("a") as out:
                        out.write(json.dumps(row) + "\n")
                mark = "correct" if row["correct"] else "fixed" if row["fixed"] else row.get("status")
                print(f"[{i}/{len(runs)}] {row['name']} (evidence {row['evidence']}, synthesis {row.get('synthesis')}, "
                      f"mutation {row.get('mutation')}): "
                      f"{mark} {row.get('seconds', '')}s "
                      f"conf {row.get('confidence')} {row.get('note') or ''}", file=sys.stderr)
    if args.rows_out and args.batch and not args.dry_run:
        with args.rows_out.open("a") as out:
            for row in rows:
                out.write(json.dumps(row) + "\n")
    main_rows = [r for r in rows if r["evidence"] == ("on" if args.evidence == "both" else args.evidence)
                 and r.get("synthesis") == ("on" if args.synthesis == "both" else args.synthesis)
                 and r.get("mutation") == ("on" if args.mutation == "both" else args.mutation)]
    text = report(main_rows, args, time.perf_counter() - started)
    if args.synthesis == "both":
        text += ("\n\nSynthesis (SUTURE_SYNTHESIS) off vs on, each case back to back (the tables above: on):\n\n"
                 + both_table(rows) + "\n\nSynthesis off:\n\n"
                 + report([r for r in rows if r.get("synthesis") == "off"], args, time.perf_counter() - started))
    if args.mutation == "both":
        text += ("\n\n`fix --mutation` off vs on, each case back to back (the tables above: on):\n\n"
                 + both_table(rows, "mutation", ("mutation",)) + "\n\nMutation off:\n\n"
                 + report([r for r in rows if r.get("mutation") == "off"], args, time.perf_counter() - started))
    if not args.dry_run:
        text += f"\n\nEvidence stage: {args.evidence} (the tables above: {main_rows[0]['evidence'] if main_rows else '-'}).\n\n" \
            + calibration.report([r for r in rows if (args.synthesis != "both" or r.get("synthesis") == "on")
                                and (args.mutation != "both" or r.get("mutation") == "on")])
    print(text)
    if not args.no_results and not args.dry_run:
        append_results("Repair (`suture fix`, rule engine)", text)
    if args.dry_run:
        bad = [r["name"] for r in rows if not r["correct"]]
        if bad:
            print(f"dry run: {len(bad)} cases not fixed and correct with their known answer: {bad}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
