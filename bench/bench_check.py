"""`suture check` on small staged commits to real libraries, against running the covering tests alone.

The libraries are those of the seeded-fault corpus (bench/faults: pure-Python sdists with
their own pytest suites, unpacked into git repos). Each library's prepared repo is cloned
into a temp dir; then, per sampled fault (seeded, `--per-library` per library), two commits
are staged and checked one after the other:

- **breaking**: the seeded fault (its library tests catch it): `suture check` should exit 1;
- **benign**: a no-op statement (`pass`) added at the top of the same function's body, so
  the same covering tests run and pass: `suture check` should exit 0.

Timed: the whole `suture check --json` CLI run (default 20 s cap), and as the reference the
covering tests alone on the same staged tree (`python -m pytest -p no:cacheprovider <the
ids the check selected>`), both fresh processes, one after the other. The coverage map is
built once per library before the timed cases (its cost, one suite run with per-test
coverage, is reported separately: a check pays it after a commit that changes the tests).

    python bench/bench_check.py [--per-library 5] [--library NAME]... [--seed S] [--no-results]

`--big-module MB` measures instead one staged one-line change to a generated module of that many
megabytes (many small functions, one test module calling two of them): the whole CLI run's wall
time against the default 20 s cap and the peak RSS of the largest process it started (the check
or a test run under it). `--reference-path DIR` runs the same check a second time, in the same
job, with DIR first on PYTHONPATH (a `suture` package of an earlier commit) as the reference.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "faults"))
from big_module import small_functions_module  # noqa: E402
from common import append_results, median, percentile  # noqa: E402

import corpus  # noqa: E402
import mutate  # noqa: E402

TARGET_MEDIAN, TARGET_P95 = 5.0, 20.0


def git(repo: Path, *args: str) -> str:
    return corpus.git(repo, *args)


def library_repo(lib: corpus.Library, work: Path) -> Path:
    """A private clone of the library's prepared corpus repo (prepared from its sdist when missing)."""
    prepared = corpus.DEFAULT_WORK_DIR / lib.name / "repo"
    if not (prepared / ".git").is_dir():
        prepared = corpus.prepare(lib)
    clone = work / lib.name
    subprocess.run(["git", "clone", "-q", str(prepared), str(clone)], check=True)
    return clone


def benign_edit(source: str, qualname: str) -> str | None:
    """`source` with `pass` added as the first statement of the function's body (after its docstring)."""
    tree = ast.parse(source)
    node: ast.AST = tree
    for part in qualname.split("."):
        node = next((n for n in ast.iter_child_nodes(node)
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part), None)
        if node is None:
            return None
    body = node.body
    first = body[1] if ast.get_docstring(node) is not None and len(body) > 1 else body[0]
    if first.lineno == node.lineno:
        return None  # a one-line def: no room for a statement of its own
    lines = source.splitlines(keepends=True)
    indent = lines[first.lineno - 1][: first.col_offset]
    lines.insert(first.lineno - 1, f"{indent}pass  # bench: a no-op edit\n")
    return "".join(lines)


def suture_check(repo: Path, *args: str) -> tuple[float, int, dict]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "suture.agent.cli.main", "check", "--json", *args], cwd=repo,
                          capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"suture check printed no JSON (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, done.returncode, report


def covering_tests_alone(repo: Path, nodeids: list[str]) -> float | None:
    if not nodeids:
        return None
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *nodeids], cwd=repo,
                   capture_output=True, text=True, timeout=900)
    return time.perf_counter() - started


def stage(repo: Path, path: str, text: str) -> None:
    (repo / path).write_text(text)
    git(repo, "add", path)


def unstage(repo: Path, path: str) -> None:
    git(repo, "reset", "-q", "--", path)
    git(repo, "checkout", "--", path)


def timed_check(repo: Path, pythonpath: str | None) -> tuple[float, int, dict, float]:
    """(wall seconds, exit code, report, peak RSS MB of the largest process of the run) of `suture check --json`."""
    import os

    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "suture.agent.cli.main", "check", "--json"], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    report = json.loads(out.decode().strip().splitlines()[-1])
    return seconds, proc.returncode, report, usage.ru_maxrss / 1024


def big_module(megabytes: float, reference: str | None, record: bool) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="suture-bench-big-") as work:
        repo = Path(work) / "repo"
        (repo / "gen").mkdir(parents=True)
        (repo / "tests").mkdir()
        source = small_functions_module(megabytes)
        (repo / "gen" / "__init__.py").write_text("")
        (repo / "gen" / "big.py").write_text(source)
        (repo / "tests" / "test_big.py").write_text(
            "from gen.big import func_1, func_500\n\n\ndef test_func_1():\n    assert func_1(2, 3) == 4\n\n\n"
            "def test_func_500():\n    assert func_500(1, 1) == 19\n")
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "generated")
        stage(repo, "gen/big.py", source.replace("    total = x * 1 + y", "    total = x * 1 - y", 1))
        for name, path in (("this commit", None), ("reference", reference)):
            if name == "reference" and not reference:
                continue
            shutil.rmtree(repo / ".suture" / "check", ignore_errors=True)  # each starts without a coverage map
            seconds, code, report, rss = timed_check(repo, path)
            print(f"{name}: {seconds:.1f} s wall ({report.get('seconds')} s reported), exit {code}, "
                  f"status {report['status']}, peak RSS {rss:.0f} MB", flush=True)
            rows.append((name, seconds, report, code, rss))
    table = ["| code | wall s (CLI) | s inside the check | cap | status | exit | peak RSS MB (largest process) |",
             "|---|---:|---:|---:|---|---:|---:|"]
    for name, seconds, report, code, rss in rows:
        table.append(f"| {name} | {seconds:.1f} | {report.get('seconds', 0):.1f} | {report.get('time_cap', 20):g} | "
                     f"{report['status']} | {code} | {rss:.0f} |")
    ratio = f" This commit / reference wall time: {rows[0][1] / rows[1][1]:.2f}." if len(rows) == 2 else ""
    body = "\n".join([
        f"`suture check --json` (default cap) on a one-line staged change to a generated {megabytes:g} MB module "
        f"({source.count('def func_')} functions) whose one test module imports it; no coverage map yet.{ratio}",
        "", *table])
    print(body)
    if record:
        append_results(f"pre-commit check on a {megabytes:g} MB module (`suture check`)", body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-library", type=int, default=5, help="faults sampled per library (each gives two commits)")
    parser.add_argument("--library", action="append", default=[], help="only these libraries (repeatable)")
    parser.add_argument("--seed", default="suture-check-1")
    parser.add_argument("--no-results", action="store_true", help="print only, do not append to bench/RESULTS.md")
    parser.add_argument("--big-module", type=float, metavar="MB", help="measure one change to a generated module instead")
    parser.add_argument("--reference-path", metavar="DIR", help="with --big-module: PYTHONPATH of the reference suture")
    args = parser.parse_args()
    if args.big_module:
        big_module(args.big_module, args.reference_path, not args.no_results)
        return

    faults = [json.loads(line) for line in corpus.FAULTS.read_text().splitlines() if line.strip()]
    libraries = corpus.load_libraries(args.library or None)
    rng = random.Random(args.seed)
    rows, all_check, all_alone, cases = [], [], [], []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="suture-bench-check-") as work:
        for lib in libraries:
            repo = library_repo(lib, Path(work))
            mine = [f for f in faults if f["library"] == lib.name]
            rng.shuffle(mine)
            # The map once, with a cap it cannot hit: a staged no-op in the first case's function.
            first = next(f for f in mine if benign_edit((repo / f["path"]).read_text(), f["symbol"]))
            stage(repo, first["path"], benign_edit((repo / first["path"]).read_text(), first["symbol"]))
            map_seconds, _, report = suture_check(repo, "--time-cap", "900")
            assert report["tests"].get("coverage_map") == "refreshed", report
            unstage(repo, first["path"])
            per_lib = defaultdict(list)
            taken = 0
            for fault in mine:
                if taken >= args.per_library:
                    break
                original = (repo / fault["path"]).read_text()
                benign = benign_edit(original, fault["symbol"])
                if benign is None:
                    continue
                taken += 1
                for kind, text, expected in (("breaking", mutate.apply(original, fault), 1), ("benign", benign, 0)):
                    stage(repo, fault["path"], text)
                    seconds, code, report = suture_check(repo)
                    alone = covering_tests_alone(repo, report["tests"].get("selected_ids", []))
                    unstage(repo, fault["path"])
                    case = {"library": lib.name, "fault": fault["id"], "kind": kind, "seconds": seconds, "exit": code,
                            "expected": expected, "alone": alone, "selected": report["tests"].get("selected", 0),
                            "incomplete": report["incomplete"], "map": report["tests"].get("coverage_map")}
                    cases.append(case)
                    per_lib[kind].append(case)
                    print(f"{lib.name:15} {kind:8} exit {code} (want {expected}) {seconds:5.2f} s, "
                          f"covering tests alone {alone if alone is None else round(alone, 2)} s, "
                          f"{case['selected']} tests{', INCOMPLETE' if case['incomplete'] else ''}  {fault['id']}",
                          flush=True)
            lib_cases = per_lib["breaking"] + per_lib["benign"]
            checks = [c["seconds"] for c in lib_cases]
            alones = [c["alone"] for c in lib_cases if c["alone"] is not None]
            all_check += checks
            all_alone += alones
            rows.append((lib.name, len(lib_cases), checks, alones,
                         sum(c["exit"] == 1 for c in per_lib["breaking"]), len(per_lib["breaking"]),
                         sum(c["exit"] == 0 for c in per_lib["benign"]), len(per_lib["benign"]),
                         sum(c["incomplete"] for c in lib_cases), map_seconds))

    def stats(values: list[float]) -> str:
        return f"{median(values):.2f} / {percentile(values, 0.95):.2f}" if values else "-"

    table = ["| library | commits | check s median / p95 | covering tests alone s median / p95 | check / alone (medians) "
             "| breaking blocked | benign passed | incomplete (cap hit) | coverage map build s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, n, checks, alones, blocked, breaking, passed, benign, incomplete, map_seconds in rows:
        ratio = f"{median(checks) / median(alones):.1f}x" if alones else "-"
        table.append(f"| {name} | {n} | {stats(checks)} | {stats(alones)} | {ratio} | {blocked}/{breaking} | "
                     f"{passed}/{benign} | {incomplete} | {map_seconds:.1f} |")
    ratio = f"{median(all_check) / median(all_alone):.1f}x" if all_alone else "-"
    table.append(f"| **all** | {len(all_check)} | {stats(all_check)} | {stats(all_alone)} | {ratio} | "
                 f"{sum(r[4] for r in rows)}/{sum(r[5] for r in rows)} | {sum(r[6] for r in rows)}/{sum(r[7] for r in rows)} | "
                 f"{sum(r[8] for r in rows)} | |")
    met = (median(all_check) < TARGET_MEDIAN and percentile(all_check, 0.95) < TARGET_P95) if all_check else False
    missed = [f"{c['kind']} {c['fault']} (exit {c['exit']})" for c in cases if c["exit"] != c["expected"]]
    body = "\n".join([
        f"`suture check --json` (default 20 s cap) on staged one-line commits to the seeded-fault libraries: "
        f"per sampled fault a breaking commit (the fault) and a benign one (`pass` added to the same function); "
        f"{args.per_library} faults per library, seed `{args.seed}`, {time.perf_counter() - started:.0f} s in all. "
        "Reference: the tests the check selected, run alone (`python -m pytest <ids>`, fresh process) on the same tree. "
        "The coverage map is built once per library first (its build time in the last column) and reused by every timed check.",
        "",
        *table,
        "",
        f"Target: median < {TARGET_MEDIAN:g} s and p95 < {TARGET_P95:g} s per check: {'met' if met else 'missed'}.",
        f"Commits judged wrongly: {len(missed)}" + (f" ({'; '.join(missed)})" if missed else "") + ".",
    ])
    print(body)
    if not args.no_results:
        append_results("pre-commit check (`suture check`)", body)


if __name__ == "__main__":
    main()
