"""Real-library benchmark: suture on real PyPI projects, set up as their contributors have them.

For every library of bench/real/libraries.toml: the pinned sdist (downloaded by pip once, its
sha256 checked every run) is unpacked into a git repo (the upstream .gitignore, one commit, a
version tag), given its own `.venv` (pinned, hash-checked wheels, excluded through
.git/info/exclude) and the set-up its README names (an editable install that writes a
setuptools-scm version file, a C extension built in place, generated tables...). Its suite must
pass there. Prepared repos are cached in the work dir, keyed by the manifest entry, and checked by
tree hash before reuse. Then the one seeded fault is applied and committed, and suture runs as a
new user runs it: the tools venv's `suture` (not activated in the project), on the repo, with
only the test command the project documents:

    suture localize --repo R --json [--test-cmd CMD]
    suture fix      --repo R --json --time-limit 300 [--test-cmd CMD]

Reported per library: the rank of the true function in the localisation, fix status, whether
the rule engine generated the correct patch (the fault's inverse, recognised by its description
in the run's trajectory, `.suture/runs/<id>/trajectory.jsonl`), whether that candidate was
accepted, and when it was rejected, the gate and the tests that rejected it (a rejection of the
correct patch is a false regression: the original code passes the whole suite at baseline),
whether the delivered patch is the original code, and seconds.

    python bench/bench_real.py [--only NAME]... [--work DIR] [--time-limit 300]
                               [--held-out | --tuning] [--activate | --explicit-python]
                               [--check] [--no-results] [--from-results JSON]

--check prepares every library and proves the manifest without suture: the suite passes at the
base commit and fails with the fault. The work dir defaults to $SUTURE_REAL_DIR or
~/.cache/suture-bench/real; nothing is written inside the suture repository except RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_fix import _same_ast, faults_corpus, mutate  # noqa: E402  (one home for sdists, mutations, AST equality)
from common import append_results, last_json_object, median  # noqa: E402

MANIFEST = HERE / "real" / "libraries.toml"
DEFAULT_WORK = Path(os.environ.get("SUTURE_REAL_DIR", Path.home() / ".cache" / "suture-bench" / "real"))
REQUIRED_LAYOUTS = ("src", "setuptools-scm", "generated-module", "tox", "nox", "conftest",
                    "unittest", "doctest", "c-extension")
TIME_LIMIT = 300.0
PREPARE_VERSION = "1"  # bump when the preparation steps change: every cached repo is rebuilt
BASE_TAG = "bench-base"


class BenchError(Exception):
    """A library could not be prepared or checked; the message is one sentence."""


# -- the manifest ---------------------------------------------------------------------------

@dataclass
class Fault:
    path: str
    line: int
    col: int
    original: str
    mutated: str
    symbol: str

    def mutation(self) -> dict:
        """The span in bench/faults/mutate.py's terms (a one-line edit)."""
        return {"start_line": self.line, "start_col": self.col, "end_line": self.line,
                "end_col": self.col + len(self.original), "original": self.original, "mutated": self.mutated}


@dataclass
class RealLibrary:
    name: str
    version: str
    sdist: str
    sha256: str
    held_out: bool
    layouts: list[str]
    requires: list[str]
    setup: list[str]
    readme_cmd: str
    test_cmd: str
    fault: Fault
    gitignore: str = ""
    entry: dict = field(default_factory=dict, repr=False)  # the raw manifest entry: the cache key

    def suite_command(self) -> str:
        """The command the bench runs the suite with in the activated .venv (suture's default when none is given)."""
        return self.test_cmd or "python -m pytest"


@dataclass
class Manifest:
    libraries: list[RealLibrary]
    pins: dict[str, str]
    groups: dict[str, list[str]]

    def requirements(self, lib: RealLibrary) -> list[str]:
        """`name==version --hash=sha256:...` lines for the library's groups, each pin once."""
        pins = dict.fromkeys(p for group in lib.requires for p in self.groups[group])
        return [f"{pin} --hash=sha256:{self.pins[pin]}" for pin in pins]


def load_manifest(path: Path = MANIFEST) -> Manifest:
    data = tomllib.loads(path.read_text())
    pins, groups = data.get("pins", {}), data.get("groups", {})
    libraries = []
    for entry in data.get("library", []):
        fields = {k: v for k, v in entry.items() if k != "fault"}
        try:
            lib = RealLibrary(**fields, fault=Fault(**entry["fault"]), entry=entry)
        except (TypeError, KeyError) as error:
            raise BenchError(f"manifest entry {entry.get('name', '?')!r} is malformed: {error}") from None
        for group in lib.requires:
            if group not in groups:
                raise BenchError(f"{lib.name} requires group {group!r}, which [groups] does not define")
            missing = [p for p in groups[group] if p not in pins]
            if missing:
                raise BenchError(f"group {group!r} names {missing}, which [pins] does not pin")
        libraries.append(lib)
    names = [lib.name for lib in libraries]
    if len(set(names)) != len(names):
        raise BenchError(f"the manifest names a library twice: {names}")
    return Manifest(libraries, pins, groups)


def select(manifest: Manifest, only: list[str] | None, held_out: bool | None) -> list[RealLibrary]:
    chosen = manifest.libraries
    if only:
        unknown = set(only) - {lib.name for lib in chosen}
        if unknown:
            raise BenchError(f"unknown library {sorted(unknown)}; the manifest has {[lib.name for lib in chosen]}")
        chosen = [lib for lib in chosen if lib.name in only]
    if held_out is not None:
        chosen = [lib for lib in chosen if lib.held_out == held_out]
    return chosen


# -- preparing a library ---------------------------------------------------------------------

def venv_env(repo: Path) -> dict[str, str]:
    """The environment of a shell in which `source .venv/bin/activate` ran."""
    env = outside_env()
    env["VIRTUAL_ENV"] = str(repo / ".venv")
    env["PATH"] = f"{repo / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    return env


def outside_env() -> dict[str, str]:
    """This process's environment with no virtualenv active (a user's login shell)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    keep = [p for p in env.get("PATH", "").split(os.pathsep)
            if p and not (Path(p).parent / "pyvenv.cfg").exists()]
    env["PATH"] = os.pathsep.join(keep) or "/usr/bin:/bin"
    return env


def shell(line: str, cwd: Path, env: dict[str, str], timeout: float = 900.0) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def cache_key(lib: RealLibrary, manifest: Manifest) -> str:
    material = {"entry": {k: v for k, v in lib.entry.items() if k not in ("fault", "held_out")},
                "requirements": manifest.requirements(lib), "version": PREPARE_VERSION,
                "python": sys.version.split()[0]}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:16]


def base_python() -> str:
    """The interpreter a contributor would make the project's venv with (not suture's venv)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def prepare(lib: RealLibrary, manifest: Manifest, work: Path, log=print) -> Path:
    """The library's prepared repo at work/<name>/repo, HEAD at the base tag; built once, then reused."""
    home = work / lib.name
    repo, state_file = home / "repo", home / "state.json"
    key = cache_key(lib, manifest)
    if state_file.exists() and (repo / ".git").exists() and (repo / ".venv" / "bin" / "python").exists():
        state = json.loads(state_file.read_text())
        tree = _git_out(repo, "rev-parse", f"{BASE_TAG}^{{tree}}")
        if state.get("key") == key and tree and tree == state.get("tree"):
            reset_to_base(repo)
            return repo
    log(f"{lib.name}: preparing in {repo}")
    started = time.perf_counter()
    sdist = faults_corpus.fetch_sdist(
        faults_corpus.Library(lib.name, lib.version, lib.sdist, lib.sha256, source=[]), work / "sdists")
    if repo.exists():
        shutil.rmtree(repo)
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home) as tmp, tarfile.open(sdist) as tar:
        tar.extractall(tmp, filter="data")
        (top,) = Path(tmp).iterdir()
        top.rename(repo)
    if lib.gitignore and not (repo / ".gitignore").exists():
        (repo / ".gitignore").write_text(lib.gitignore.lstrip("\n"))
    faults_corpus.git(repo, "init", "-q", "-b", "main")
    # The project's venv lives in the repo as contributors keep it, excluded locally like a
    # global gitignore would: the tracked tree stays the upstream one.
    with (repo / ".git" / "info" / "exclude").open("a") as f:
        f.write(".venv/\n")
    commit = faults_corpus.commit_all(repo, f"{lib.name} {lib.version} from its sdist")
    faults_corpus.git(repo, "tag", lib.version)  # setuptools-scm and hatch-vcs read the version from it

    made = subprocess.run([base_python(), "-m", "venv", str(repo / ".venv")], capture_output=True, text=True)
    if made.returncode != 0:
        raise BenchError(f"{lib.name}: python -m venv failed: {made.stderr.strip()[-300:]}")
    requirements = home / "requirements.txt"
    requirements.write_text("\n".join(manifest.requirements(lib)) + "\n")
    env = venv_env(repo)
    steps = [f"python -m pip install -q --disable-pip-version-check --require-hashes --no-deps "
             f"--only-binary :all: -r {requirements}", *lib.setup]
    for step in steps:
        done = shell(step, repo, env)
        if done.returncode != 0:
            raise BenchError(f"{lib.name}: set-up step `{step}` failed: {(done.stderr or done.stdout).strip()[-500:]}")
    if _git_out(repo, "status", "--porcelain"):
        raise BenchError(f"{lib.name}: set-up left tracked or unignored changes: {_git_out(repo, 'status', '--porcelain')[:300]}")
    suite = run_suite(lib, repo)
    if suite["returncode"] != 0:
        raise BenchError(f"{lib.name}: the suite fails at the base commit: {suite['tail']}")
    faults_corpus.git(repo, "tag", "-f", BASE_TAG, commit)
    state = {"key": key, "tree": _git_out(repo, "rev-parse", f"{commit}^{{tree}}"), "commit": commit,
             "suite_seconds": suite["seconds"], "suite_summary": suite["summary"],
             "prepare_seconds": round(time.perf_counter() - started, 1)}
    state_file.write_text(json.dumps(state, indent=2) + "\n")
    log(f"{lib.name}: prepared in {state['prepare_seconds']} s; suite {suite['summary']} in {suite['seconds']} s")
    return repo


def _git_out(repo: Path, *args: str, strip: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        return ""
    return done.stdout.strip() if strip else done.stdout


def reset_to_base(repo: Path) -> None:
    """HEAD and the tracked files back at the base commit; ignored files (.venv, generated) kept; no old runs."""
    faults_corpus.git(repo, "checkout", "-q", "-f", "main")
    faults_corpus.git(repo, "reset", "-q", "--hard", BASE_TAG)
    shutil.rmtree(repo / ".suture", ignore_errors=True)


def run_suite(lib: RealLibrary, repo: Path, timeout: float = 600.0) -> dict:
    """The library's suite in its activated .venv: exit code, seconds, pytest's summary line."""
    started = time.perf_counter()
    try:
        done = shell(lib.suite_command(), repo, venv_env(repo), timeout=timeout)
        code, out = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        code, out = -1, "timed out"
    out = re.sub(r"\x1b\[[0-9;]*m", "", out)  # suites that force --color=yes
    lines = [l for l in out.splitlines() if l.strip()]
    summary = next((l.strip("= ") for l in reversed(lines) if " in " in l and ("passed" in l or "failed" in l)), "")
    return {"returncode": code, "seconds": round(time.perf_counter() - started, 1), "summary": summary,
            "tail": "\n".join(lines[-15:])}


def seed(lib: RealLibrary, repo: Path) -> str:
    """Apply and commit the fault on top of the base commit; the faulted commit's hash."""
    reset_to_base(repo)
    target = repo / lib.fault.path
    try:
        text = mutate.apply(target.read_text(), lib.fault.mutation())
    except (OSError, ValueError) as error:
        raise BenchError(f"{lib.name}: the fault does not apply: {error}") from None
    target.write_text(text)
    faults_corpus.git(repo, "commit", "-q", "-am", f"seeded fault in {lib.fault.symbol}")
    return _git_out(repo, "rev-parse", "HEAD")


# -- running suture --------------------------------------------------------------------------

def suture_exe() -> str:
    return str(Path(sys.executable).with_name("suture"))


def run_suture(argv: list[str], repo: Path, env: dict[str, str], timeout: float) -> dict:
    """One CLI run in its own session: its JSON object (or an error), exit code and wall seconds."""
    started = time.perf_counter()
    proc = subprocess.Popen([suture_exe(), *argv], cwd=repo, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    report = last_json_object(out)
    if not isinstance(report, dict):
        report = {}
    report["exit_code"] = proc.returncode
    report["wall"] = round(time.perf_counter() - started, 1)
    report["stderr_tail"] = err.strip()[-600:]
    return report


def explicit_python_command(lib: RealLibrary, repo: Path) -> str:
    """The library's pytest command run by its own venv's interpreter, named by absolute path.

    What a user does once suture's own interpreter fails on the project: `--test-cmd
    "/path/to/project/.venv/bin/python -m pytest ..."` (suture keeps an explicit path as given).
    """
    words = shlex.split(lib.suite_command())
    if words[:3] == ["python", "-m", "pytest"]:
        words = words[3:]
    elif words[0] in ("pytest", "py.test"):
        words = words[1:]
    else:
        raise BenchError(f"{lib.name}: {lib.suite_command()!r} is not a pytest command")
    return shlex.join([str(repo / ".venv" / "bin" / "python"), "-m", "pytest", *words])


def localization_rank(ranking: list[dict], fault: Fault) -> int | None:
    """1-based position of the fault's function in suture's ranking; None when absent."""
    for i, item in enumerate(ranking, 1):
        if item.get("path") == fault.path and item.get("symbol") == fault.symbol:
            return i
    return None


def read_trajectory(run_dir: str | None) -> list[dict]:
    path = Path(run_dir or "") / "trajectory.jsonl"
    if not run_dir or not path.exists():
        return []
    events = []
    for line in path.read_text().splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def inverse_descriptions(original: str, faulted: str, fault: Fault) -> set[str]:
    """How suture's rule engine names the edits that turn `faulted` back into `original`.

    Every template of agent/propose/templates.py runs over the innermost function holding the fault; an
    edit whose result is the original text is the correct patch. Its description ("`==` -> `!=` in
    line 12") is what a fix run's trajectory records for each candidate. Empty: the rule engine
    cannot generate the correct patch.
    """
    import ast

    from suture.agent.propose.templates import SourceFile, mutations

    src = SourceFile(fault.path, faulted)
    scope: ast.AST = src.tree
    for node in ast.walk(src.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= fault.line <= node.end_lineno:
            if scope is src.tree or node.lineno >= scope.lineno:
                scope = node  # the innermost: ast.walk meets outer functions first
    found = set()
    for m in mutations(src, scope):
        text = faulted
        for span in sorted(m.spans, key=lambda s: s.start, reverse=True):
            text = text[:span.start] + span.text + text[span.end:]
        if text == original:
            found.add(m.description)
    return found


def correct_candidate(events: list[dict], inverse: set[str]) -> dict | None:
    """The correct candidate's record from a fix run: its id, whether accepted, and why not.

    The trajectory names candidates by description only (no path): one whose description is an
    inverse edit of the fault (inverse_descriptions) is the correct patch.
    """
    ids = [e["id"] for e in events if e.get("event") == "candidate" and e.get("description") in inverse]
    if not ids:
        return None
    verdicts = [e for e in events if e.get("event") == "verdict" and e.get("id") in ids]
    accepted = [v for v in verdicts if v.get("accepted")]
    chosen = accepted[0] if accepted else (verdicts[0] if verdicts else {})
    return {"id": chosen.get("id", ids[0]), "judged": bool(verdicts), "accepted": bool(accepted),
            "stage": chosen.get("stage"), "regressions": chosen.get("regressions") or [],
            "still_failing": chosen.get("still_failing") or [], "message": chosen.get("message", "")}


def patch_restores(repo: Path, patch: str, fault: Fault) -> bool:
    """Whether `patch`, applied at the faulted HEAD, gives back the base commit's code (AST-equal)."""
    if not patch.strip():
        return False
    with tempfile.TemporaryDirectory(prefix="suture-real-judge-") as tmp:
        judge, base = Path(tmp) / "judge", Path(tmp) / "base"
        faults_corpus.git(repo, "worktree", "add", "-q", "--detach", str(judge), "HEAD")
        faults_corpus.git(repo, "worktree", "add", "-q", "--detach", str(base), BASE_TAG)
        try:
            applied = subprocess.run(["git", "apply", "-"], cwd=judge, input=patch, capture_output=True, text=True)
            if applied.returncode != 0:
                return False
            changed = set(_git_out(judge, "diff", "--name-only", "HEAD").split()) | {fault.path}
            return all(_same_ast(base / rel, judge / rel) for rel in changed)
        finally:
            for tree in (judge, base):
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=repo, capture_output=True)


def bench_library(lib: RealLibrary, manifest: Manifest, args, log=print) -> dict:
    row = {"library": lib.name, "version": lib.version, "held_out": lib.held_out, "layouts": lib.layouts,
           "test_cmd": lib.test_cmd, "true_function": f"{lib.fault.path}::{lib.fault.symbol}"}
    try:
        repo = prepare(lib, manifest, args.work, log)
        seed(lib, repo)
    except (BenchError, faults_corpus.CorpusError, subprocess.TimeoutExpired) as error:
        return {**row, "error": str(error)[:400]}
    env = venv_env(repo) if args.activate else outside_env()
    test_cmd = explicit_python_command(lib, repo) if args.explicit_python else lib.test_cmd
    row["test_cmd"] = test_cmd
    flags = ["--test-cmd", test_cmd] if test_cmd else []

    found = run_suture(["localize", "--repo", str(repo), "--json", *flags], repo, env, timeout=900)
    ranking = found.get("ranking") or []
    row.update(rank=localization_rank(ranking, lib.fault), ranked=len(ranking),
               top=(f"{ranking[0]['path']}::{ranking[0]['symbol']}" if ranking else None),
               localize_exit=found["exit_code"], localize_seconds=found["wall"],
               localize_error=None if ranking else (found.get("error") or found["stderr_tail"])[-300:])
    shutil.rmtree(repo / ".suture", ignore_errors=True)  # the fix run starts as a new user's would

    fixed = run_suture(["fix", "--repo", str(repo), "--json", "--time-limit", f"{args.time_limit:g}", *flags],
                       repo, env, timeout=args.time_limit * 1.5 + 60)
    if fixed.get("run_dir") and Path(fixed["run_dir"]).is_dir():
        # The repo's .suture/ is cleared on the next seeding: keep this run's records beside the repo.
        kept = args.work / lib.name / "runs" / Path(fixed["run_dir"]).name
        shutil.copytree(fixed["run_dir"], kept, dirs_exist_ok=True)
        fixed["run_dir"] = str(kept)
    events = read_trajectory(fixed.get("run_dir"))
    inverse = inverse_descriptions(_git_out(repo, "show", f"{BASE_TAG}:{lib.fault.path}", strip=False),
                                   (repo / lib.fault.path).read_text(), lib.fault)
    candidate = correct_candidate(events, inverse)
    plausible = (fixed.get("plausible") or {}).get("patch") or ""
    row.update(status=fixed.get("status", "error"), fix_exit=fixed["exit_code"], seconds=fixed["wall"],
               candidates=fixed.get("candidates_tried"),
               patch_correct=patch_restores(repo, fixed.get("patch") or "", lib.fault),
               plausible_correct=patch_restores(repo, plausible, lib.fault) if plausible else None,
               rule_space_has_inverse=bool(inverse), correct_generated=candidate is not None, correct=candidate,
               false_regression=bool(candidate and candidate["judged"] and not candidate["accepted"]),
               failing_before=len((fixed.get("tests") or {}).get("failing_before") or []),
               run_dir=fixed.get("run_dir"),
               fix_error=None if fixed.get("status") in ("fixed", "not_fixed")
               else (fixed.get("error") or fixed.get("message") or fixed["stderr_tail"])[-300:])
    return row


# -- --check: the manifest against the real libraries ------------------------------------------

def check_library(lib: RealLibrary, manifest: Manifest, work: Path, log=print) -> dict:
    repo = prepare(lib, manifest, work, log)
    state = json.loads((work / lib.name / "state.json").read_text())
    seed(lib, repo)
    source = _git_out(repo, "show", f"{BASE_TAG}:{lib.fault.path}", strip=False)
    symbols = {m.symbol for m in mutate.mutations(source) if m.start_line == lib.fault.line}
    inverse = inverse_descriptions(source, (repo / lib.fault.path).read_text(), lib.fault)
    faulty = run_suite(lib, repo)
    reset_to_base(repo)
    return {"library": lib.name, "base": state["suite_summary"], "base_seconds": state["suite_seconds"],
            "fault_killed": faulty["returncode"] != 0, "faulty": faulty["summary"],
            "symbol_ok": lib.fault.symbol in symbols, "symbols_at_line": sorted(symbols),
            "rule_inverse": sorted(inverse)}


# -- report ----------------------------------------------------------------------------------

def _gist(error: str) -> str:
    """The telling line of an error's stderr tail: pytest's `E   ...` line, else suture's own sentence."""
    lines = [l.strip() for l in error.splitlines() if l.strip() and not l.startswith("suture: warning")]
    named = [l for l in lines if re.match(r"^(E\s+)?[\w.]*(Error|Warning|Exception): ", l) or "error:" in l]
    said = [l for l in lines if l.startswith("suture:")]
    return (named[0] if named else said[0] if said else lines[-1] if lines else "")[:200]


def _cell(row: dict) -> list[str]:
    if row.get("error"):
        return [row["library"], "held-out" if row["held_out"] else "tuning", "-", "error", "-", "-", "-", "-",
                row["error"][:120].replace("|", "/")]
    cand = row.get("correct")
    if cand is None:
        generated, accepted = "no", "-"
    else:
        generated = "yes"
        accepted = "yes" if cand["accepted"] else ("not judged" if not cand["judged"] else
                                                   f"**no** ({cand['stage']}; {len(cand['regressions'])} regressions)")
    rank = str(row["rank"]) if row.get("rank") else (f"absent of {row['ranked']}" if row.get("ranked")
                                                     else "- (localize failed)")
    note = _gist(row.get("fix_error") or row.get("localize_error") or "")
    if cand and cand["judged"] and not cand["accepted"]:
        note = (cand["message"] or "")[:160]
    elif row.get("status") != "fixed" and row.get("plausible_correct"):
        note = "the correct patch passed every gate but was shown as plausible (weak evidence), not claimed"
    return [row["library"], "held-out" if row["held_out"] else "tuning", rank, str(row.get("status")),
            generated, accepted, "yes" if row.get("patch_correct") else "no", f"{row.get('seconds', 0):.0f}",
            note.replace("|", "/").replace("\n", " ")[:200]]


def report(rows: list[dict], args, seconds: float) -> str:
    head = ["library", "set", "rank of true function", "fix status", "correct patch generated",
            "correct patch accepted", "delivered patch correct", "fix s", "note"]
    lines = [f"`suture localize --json` and `suture fix --json --time-limit {args.time_limit:g}` as a new user runs "
             f"them (suture from its own venv, the project's `.venv` {'activated' if args.activate else 'not activated'}, "
             + ("`--test-cmd` the project's pytest command run by its `.venv/bin/python` (absolute path)"
                if getattr(args, "explicit_python", False) else
                "`--test-cmd` only where the project documents a pytest command")
             + f"); {len(rows)} libraries, one at a time; "
             f"suture ran {sum((r.get('seconds') or 0) + (r.get('localize_seconds') or 0) for r in rows):.0f} s"
             f"{f' of {seconds:.0f} s in all (set-up included)' if seconds else ''}.", "",
             "| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    lines += ["| " + " | ".join(_cell(r)) + " |" for r in rows]
    lines.append("")
    for label, group in (("tuning", [r for r in rows if not r["held_out"]]),
                         ("held-out", [r for r in rows if r["held_out"]])):
        if not group:
            continue
        ok = [r for r in group if not r.get("error")]
        top1 = sum(r.get("rank") == 1 for r in ok)
        top5 = sum(bool(r.get("rank")) and r["rank"] <= 5 for r in ok)
        generated = [r for r in ok if r.get("correct_generated")]
        false_regressions = [r for r in ok if r.get("false_regression")]
        correct = sum(bool(r.get("patch_correct")) for r in ok)
        fixed = sum(r.get("status") == "fixed" for r in ok)
        stopped = sum(r.get("status") == "error" for r in ok)
        secs = [r["seconds"] for r in ok if r.get("seconds") is not None and r.get("status") != "error"]
        lines.append(f"- {label} ({len(group)} libraries, {len(group) - len(ok)} set-up errors): suture stopped "
                     f"with an error on {stopped}; true function ranked 1st in {top1}, top 5 in {top5}; fixed "
                     f"{fixed}; delivered patch correct {correct}; correct patch generated in {len(generated)}, "
                     f"rejected in {len(false_regressions)} (false regressions); median fix "
                     f"{f'{median(secs):.0f} s' if secs else '-'} (runs that did not stop with an error).")
    rejected = [r for r in rows if r.get("false_regression")]
    if rejected:
        lines += ["", "Correct patches rejected (gate, tests):"]
        for r in rejected:
            c = r["correct"]
            tests = ", ".join(c["regressions"][:4]) or ", ".join(c["still_failing"][:4]) or "-"
            lines.append(f"- {r['library']}: {c['stage']}; {len(c['regressions'])} regressions, e.g. {tests}; "
                         f"{(c['message'] or '')[:240]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="suture on real PyPI libraries with one seeded fault each.")
    parser.add_argument("--only", action="append", help="a library name (repeatable)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="work dir (sdists, prepared repos)")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT, help="seconds given to each `suture fix`")
    split = parser.add_mutually_exclusive_group()
    split.add_argument("--held-out", dest="held_out", action="store_const", const=True, help="only the held-out libraries")
    split.add_argument("--tuning", dest="held_out", action="store_const", const=False, help="only the tuning libraries")
    parser.add_argument("--activate", action="store_true", help="run suture with the project's .venv activated")
    parser.add_argument("--explicit-python", action="store_true",
                        help="give --test-cmd as the project's .venv/bin/python -m pytest ... (absolute path)")
    parser.add_argument("--check", action="store_true", help="prepare and check the manifest; no suture")
    parser.add_argument("--no-results", action="store_true", help="print, do not append to bench/RESULTS.md")
    parser.add_argument("--from-results", type=Path, metavar="JSON",
                        help="render a saved <work>/results-*.json (no run); with --no-results, print only")
    args = parser.parse_args(argv)
    if args.from_results:
        rows = json.loads(args.from_results.read_text())
        text = report(rows, args, 0.0)
        print(text)
        if not args.no_results:
            append_results("Real libraries (`bench/bench_real.py`)", text)
        return 0

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        manifest = load_manifest()
        libraries = select(manifest, args.only, args.held_out)
    except BenchError as error:
        print(f"bench_real: {error}", file=sys.stderr)
        return 2
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = []
    # Written after every library: a long run stopped half-way keeps what it measured.
    partial = args.work / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    for lib in libraries:  # one at a time: the machine is shared
        if args.check:
            try:
                row = check_library(lib, manifest, args.work, log)
            except (BenchError, faults_corpus.CorpusError, subprocess.TimeoutExpired) as error:
                row = {"library": lib.name, "error": str(error)[:400]}
        else:
            row = bench_library(lib, manifest, args, log)
        rows.append(row)
        log(json.dumps(row, default=str))
        if not args.check:
            partial.write_text(json.dumps(rows, indent=2, default=str))
    if args.check:
        bad = [r for r in rows if r.get("error") or not r.get("fault_killed") or not r.get("symbol_ok")
               or not r.get("rule_inverse")]
        print(json.dumps(rows, indent=2))
        return 1 if bad else 0
    text = report(rows, args, time.perf_counter() - started)
    print(text)
    if not args.no_results:
        append_results("Real libraries (`bench/bench_real.py`)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
