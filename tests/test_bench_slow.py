"""The slow-code corpus (bench/slow) is sound: every case's visible tests and held-back differential
test pass on the original, the held-back test catches a behaviour change the visible tests miss,
the workload builds inputs the target accepts, and the offline rule the case expects applies to its
target with the held-back test still passing afterwards.

All own cases run in ONE pytest process (each case folder is a root on sys.path, importlib import
mode), once as written and once with each target's first rewrite applied."""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from suture.agent.optimize.perf_rules import RULES, rewrites


def _load_corpus():
    path = Path(__file__).resolve().parents[1] / "bench" / "slow" / "corpus.py"
    spec = importlib.util.spec_from_file_location("bench_slow_corpus", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()
CASES = corpus.load_cases(libraries=False)
LIBRARY_CASES = [c for c in corpus.load_cases() if c.library]


def _package(case) -> str:
    return case.module.split(".")[0]


def test_corpus_size_and_spread():
    assert len(CASES) >= 25
    kinds = Counter(c.kind for c in CASES)
    assert set(kinds) <= corpus.KINDS and len(kinds) >= 8
    assert all(c.expected_rule in RULES or c.expected_rule == "none" for c in CASES)
    beyond = sum(c.expected_rule == "none" for c in CASES)
    assert 0.15 <= beyond / len(CASES) <= 0.35  # some cases need memoisation or a new algorithm
    assert len({c.expected_rule for c in CASES} - {"none"}) >= 9
    packages = [_package(c) for c in CASES]
    assert len(packages) == len(set(packages))  # the combined run puts every case on sys.path


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_layout(case):
    source = (case.root / case.path).read_text()
    names = {n.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)}
    assert case.function in names
    assert case.description and (case.root / "heldback" / "test_heldback.py").is_file()
    assert list((case.root / "tests").glob("test_*.py"))
    workload = (case.root / "workload.py").read_text()
    assert f'TARGET = "{case.target}"' in workload and "def make_input(scale)" in workload
    assert "REFERENCE_SOURCE" in (case.root / "heldback" / "test_heldback.py").read_text()


def _combined(tmp: Path, *, first_rewrite: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Copy every case under tmp, optionally with its target's first rewrite applied, and run all
    visible and held-back suites in one pytest process. Returns outcomes and the rule applied per case."""
    applied = {}
    for case in CASES:
        dest = tmp / case.name
        shutil.copytree(case.root, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        if first_rewrite:
            found = rewrites(case.path, (case.root / case.path).read_text(), case.function)
            if found:
                (dest / case.path).write_text(found[0].new_source)
                applied[case.name] = found[0].rule
    (tmp / "conftest.py").write_text(textwrap.dedent(f"""
        import sys
        for name in {[c.name for c in CASES]!r}:
            sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), name))
    """))
    (tmp / "pytest.ini").write_text("[pytest]\naddopts = --import-mode=importlib\n")
    run = corpus.run_suites(tmp, [c.name for c in CASES], timeout=300)
    assert run.outcomes, run.output
    return run.outcomes, applied


@pytest.fixture(scope="module")
def original_run(tmp_path_factory):
    return _combined(tmp_path_factory.mktemp("slow-original"), first_rewrite=False)[0]


@pytest.fixture(scope="module")
def rewritten_run(tmp_path_factory):
    return _combined(tmp_path_factory.mktemp("slow-rewritten"), first_rewrite=True)


def _of(outcomes: dict[str, str], case, suite: str) -> dict[str, str]:
    prefix = f"{case.name}/{suite}/"
    return {k: v for k, v in outcomes.items() if k.startswith(prefix)}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_suites_pass_on_the_original(case, original_run):
    visible, held = _of(original_run, case, "tests"), _of(original_run, case, "heldback")
    assert len(visible) >= 2 and set(visible.values()) == {"passed"}, visible
    assert len(held) == 1 and set(held.values()) == {"passed"}, held


@pytest.mark.parametrize("case", [c for c in CASES if c.expected_rule != "none"], ids=lambda c: c.name)
def test_expected_rule_applies_and_first_rewrite_keeps_behaviour(case, rewritten_run):
    outcomes, applied = rewritten_run
    found = [r.rule for r in rewrites(case.path, (case.root / case.path).read_text(), case.function)]
    assert case.expected_rule in found
    assert case.name in applied
    everything = {**_of(outcomes, case, "tests"), **_of(outcomes, case, "heldback")}
    assert everything and set(everything.values()) == {"passed"}, (applied[case.name], everything)


def test_first_rewrites_of_the_beyond_rule_cases_keep_behaviour(rewritten_run):
    outcomes, applied = rewritten_run
    # No rule gives these cases their speed-up, but some rule still rewrites most of them a little.
    rewritten = [c for c in CASES if c.expected_rule == "none" and c.name in applied]
    assert rewritten
    for case in rewritten:
        everything = {**_of(outcomes, case, "tests"), **_of(outcomes, case, "heldback")}
        assert everything and set(everything.values()) == {"passed"}, (case.name, applied[case.name])


def test_heldback_catches_what_the_visible_tests_miss(tmp_path):
    (case,) = corpus.load_cases(["first_seen_skus"])
    repo = corpus.copy_case(case, tmp_path / "repo", heldback=True)
    target = repo / case.path
    # A "faster" version that is wrong: sorted instead of first-seen order (the visible example is sorted anyway).
    text = target.read_text()
    assert "    return order\n" in text
    target.write_text(text.replace("    return order\n", "    return sorted(set(order))\n"))
    run = corpus.run_suites(repo, ["tests", "heldback"])
    assert run.failed("tests") == [] and len(run.passed("tests")) >= 2
    assert run.failed("heldback") == ["heldback/test_heldback.py::test_matches_reference_on_many_inputs"]


def test_tool_copy_hides_the_heldback_test(tmp_path):
    case = CASES[0]
    repo = corpus.copy_case(case, tmp_path / "repo")
    names = {p.name for p in repo.iterdir()}
    assert not names & set(corpus.HIDDEN)
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout == ""


def test_workloads_build_inputs_the_target_accepts():
    # One subprocess for every case: the packages' names must not leak into this test process.
    script = textwrap.dedent("""
        import importlib, importlib.util, json, sys
        results = {}
        for root in sys.argv[1:]:
            sys.path.insert(0, root)
            spec = importlib.util.spec_from_file_location("workload", root + "/workload.py")
            workload = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(workload)
            mod, func = workload.TARGET.split(":")
            fn = getattr(importlib.import_module(mod), func)
            args = workload.make_input(2)
            same = repr(args) == repr(workload.make_input(2))  # before the call: a target may change its arguments
            fn(*args)
            results[root] = [isinstance(args, tuple), same, isinstance(workload.SCALE, int)]
            sys.path.remove(root)
        print(json.dumps(results))
    """)
    done = subprocess.run([sys.executable, "-c", script, *[str(c.root) for c in CASES]],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.splitlines()[-1])
    assert len(results) == len(CASES)
    assert all(ok == [True, True, True] for ok in results.values()), results


@pytest.mark.parametrize("case", LIBRARY_CASES, ids=lambda c: c.name)
def test_library_case(case, tmp_path):
    if not corpus.sdist_cached(case):
        pytest.skip(f"{case.library}'s pinned sdist is not cached (bench/faults/build.py downloads it)")
    repo = corpus.copy_case(case, tmp_path / "repo", heldback=True)
    run = corpus.run_suites(repo, [*case.visible_tests, "heldback"], timeout=120)
    assert run.failed() == [] and run.passed("heldback")
    source = (repo / case.path).read_text()
    found = rewrites(case.path, source, case.function)
    assert case.expected_rule in [r.rule for r in found]
    (repo / case.path).write_text(found[0].new_source)
    assert corpus.run_suites(repo, ["heldback"]).failed() == []
