"""The real-library bench (bench/bench_real.py, bench/real/libraries.toml) without a network:
the manifest's schema and layout coverage, the seeded fault applied and undone on small files,
the correct patch recognised in a fix run's trajectory, and the script's usage error."""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
import textwrap
import tomllib
from argparse import Namespace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import bench_real  # noqa: E402
from bench_real import BASE_TAG, Fault, RealLibrary  # noqa: E402

from conftest import git, init_repo  # noqa: E402

# Libraries other corpora already use: the real set must be new ground.
USED_ELSEWHERE = {"boltons", "toolz", "more-itertools", "inflection"}


@pytest.fixture(scope="module")
def manifest():
    return bench_real.load_manifest()


def test_manifest_has_ten_libraries_with_a_held_out_split(manifest):
    names = [lib.name for lib in manifest.libraries]
    assert len(names) >= 10 and len(set(names)) == len(names)
    held_out = [lib for lib in manifest.libraries if lib.held_out]
    assert 3 <= len(held_out) < len(names) - 6
    faults_toml = tomllib.loads((ROOT / "bench" / "faults" / "libraries.toml").read_text())
    assert not set(names) & ({lib["name"] for lib in faults_toml["library"]} | USED_ELSEWHERE)


def test_manifest_covers_every_required_layout(manifest):
    covered = {layout for lib in manifest.libraries for layout in lib.layouts}
    assert set(bench_real.REQUIRED_LAYOUTS) <= covered
    # Each required feature is held by a tuning library (the held-out split must not be the only witness).
    tuning = {layout for lib in manifest.libraries if not lib.held_out for layout in lib.layouts}
    assert set(bench_real.REQUIRED_LAYOUTS) <= tuning


def test_every_library_is_pinned(manifest):
    for lib in manifest.libraries:
        assert re.fullmatch(r"[0-9a-f]{64}", lib.sha256), lib.name
        assert lib.sdist.endswith(".tar.gz") and lib.version in lib.sdist, lib.name
        requirements = manifest.requirements(lib)
        assert any(line.startswith("pytest==") for line in requirements), lib.name
        for line in requirements:
            assert re.fullmatch(r"[A-Za-z0-9_.-]+==[^ ]+ --hash=sha256:[0-9a-f]{64}", line), line
        assert lib.readme_cmd, lib.name


def test_every_fault_is_a_one_line_edit_outside_the_tests(manifest):
    for lib in manifest.libraries:
        f = lib.fault
        assert f.line > 0 and f.col >= 0 and f.symbol, lib.name
        assert f.original and f.mutated and f.original != f.mutated, lib.name
        assert "\n" not in f.original + f.mutated, lib.name
        assert f.path.endswith(".py") and not re.search(r"(^|/)(tests?/|test_)", f.path), lib.name


def test_a_malformed_manifest_is_one_sentence(tmp_path):
    bad = tmp_path / "libraries.toml"
    bad.write_text('[pins]\n[groups]\npytest = ["pytest==1"]\n[[library]]\nname = "x"\n')
    with pytest.raises(bench_real.BenchError, match="malformed"):
        bench_real.load_manifest(bad)
    text = (bench_real.MANIFEST).read_text().replace('requires = ["pytest"]\n', 'requires = ["nosuch"]\n', 1)
    bad.write_text(text)
    with pytest.raises(bench_real.BenchError, match="nosuch"):
        bench_real.load_manifest(bad)


SOURCE = textwrap.dedent('''\
    def clamp(x, lo, hi):
        """Keep x in [lo, hi]."""
        if x < lo:
            return lo
        return min(x, hi)


    class Grid:
        def cell(self, row, col):
            return row * 10 + col
    ''')


@pytest.mark.parametrize("fault, faulted_line", [
    (Fault("m.py", 3, 9, "<", "<=", "clamp"), "    if x <= lo:\n"),
    (Fault("m.py", 10, 21, "10", "11", "Grid.cell"), "        return row * 11 + col\n"),
    (Fault("m.py", 10, 19, "*", "//", "Grid.cell"), "        return row // 10 + col\n"),
])
def test_fault_applies_and_the_rule_engine_can_undo_it(fault, faulted_line):
    faulted = bench_real.mutate.apply(SOURCE, fault.mutation())
    assert faulted.splitlines(True)[fault.line - 1] == faulted_line
    inverse = bench_real.inverse_descriptions(SOURCE, faulted, fault)
    assert inverse and all(f"in line {fault.line}" in d for d in inverse)
    with pytest.raises(ValueError, match="does not match"):
        bench_real.mutate.apply(faulted, Fault("m.py", 3, 9, ">", "<", "clamp").mutation())


def _library(fault: Fault) -> RealLibrary:
    return RealLibrary(name="toy", version="1.0", sdist="toy-1.0.tar.gz", sha256="0" * 64, held_out=False,
                       layouts=[], requires=[], setup=[], readme_cmd="pytest", test_cmd="", fault=fault)


def test_seed_commits_the_fault_and_the_inverse_patch_restores_the_base(tmp_path):
    repo = init_repo(tmp_path / "toy", {"m.py": SOURCE, "test_m.py": "from m import clamp\n"})
    git(repo, "tag", BASE_TAG)
    (repo / "generated.py").write_text("VERSION = '1.0'\n")  # untracked files survive re-seeding
    lib = _library(Fault("m.py", 3, 9, "<", "<=", "clamp"))
    bench_real.seed(lib, repo)
    bench_real.seed(lib, repo)  # re-seeding starts from the base again: one fault commit, not two
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "2"
    faulted = (repo / "m.py").read_text()
    assert "if x <= lo:" in faulted and (repo / "generated.py").exists()
    inverse = "".join(difflib.unified_diff(faulted.splitlines(True), SOURCE.splitlines(True), "a/m.py", "b/m.py"))
    assert bench_real.patch_restores(repo, inverse, lib.fault)
    wrong = inverse.replace("+    if x < lo:", "+    if x > lo:")
    assert not bench_real.patch_restores(repo, wrong, lib.fault)
    assert not bench_real.patch_restores(repo, "", lib.fault)
    assert git(repo, "worktree", "list").count("\n") == 1  # the judge's worktrees are gone


def _events(accepted: bool) -> list[dict]:
    return [
        {"event": "candidate", "id": "r1", "description": "`<=` -> `>=` in line 3"},
        {"event": "candidate", "id": "r2", "description": "`<=` -> `<` in line 3"},
        {"event": "verdict", "id": "r1", "accepted": False, "stage": "selected", "still_failing": ["t::a"]},
        {"event": "verdict", "id": "r2", "accepted": accepted, "stage": "verifier" if accepted else "suite",
         "regressions": [] if accepted else ["tests/test_m.py::test_x[1]", "tests/test_m.py::test_x[2]"],
         "message": "" if accepted else "2 regressions"},
    ]


def test_the_correct_candidate_is_found_by_its_description_and_a_rejection_is_a_false_regression():
    inverse = {"`<=` -> `<` in line 3"}
    assert bench_real.correct_candidate(_events(True), inverse)["accepted"]
    rejected = bench_real.correct_candidate(_events(False), inverse)
    assert rejected["judged"] and not rejected["accepted"] and rejected["stage"] == "suite"
    assert len(rejected["regressions"]) == 2
    assert bench_real.correct_candidate(_events(True), {"`<=` -> `<` in line 4"}) is None
    rows = [{"library": "toy", "held_out": False, "rank": 1, "status": "not_fixed", "seconds": 12.0,
             "correct_generated": True, "correct": rejected, "false_regression": True, "patch_correct": False}]
    text = bench_real.report(rows, Namespace(time_limit=300.0, activate=False), 12.0)
    assert "rejected in 1 (false regressions)" in text and "tests/test_m.py::test_x[1]" in text


def test_localization_rank_matches_path_and_qualname():
    fault = Fault("src/p/m.py", 10, 0, "a", "b", "Grid.cell")
    ranking = [{"path": "src/p/m.py", "symbol": "clamp"}, {"path": "src/p/other.py", "symbol": "Grid.cell"},
               {"path": "src/p/m.py", "symbol": "Grid.cell"}]
    assert bench_real.localization_rank(ranking, fault) == 3
    assert bench_real.localization_rank(ranking[:2], fault) is None


def test_an_unknown_library_is_a_usage_error_in_one_sentence():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_real.py"), "--only", "nosuch", "--no-results"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "unknown library ['nosuch']" in done.stderr
    assert "Traceback" not in done.stderr


def test_explicit_python_command_runs_the_projects_pytest_by_absolute_path(tmp_path):
    lib = _library(Fault("m.py", 1, 0, "a", "b", "f"))
    assert bench_real.explicit_python_command(lib, tmp_path) == f"{tmp_path}/.venv/bin/python -m pytest"
    lib.test_cmd = "py.test --cov=toy 'tests/a b.py'"
    assert bench_real.explicit_python_command(lib, tmp_path) == \
        f"{tmp_path}/.venv/bin/python -m pytest --cov=toy 'tests/a b.py'"
    lib.test_cmd = "make test"
    with pytest.raises(bench_real.BenchError, match="not a pytest command"):
        bench_real.explicit_python_command(lib, tmp_path)


def test_an_error_row_shows_the_telling_line():
    tail = ("suture: warning: no model set: repairing with the built-in rule engine alone (offline).\n"
            "tests/test_date.py:9: in <module>\n    from isodate import (\n"
            "E   ModuleNotFoundError: No module named 'isodate.version'")
    row = {"library": "toy", "held_out": True, "rank": None, "ranked": 0, "status": "error", "seconds": 3.0,
           "fix_error": tail, "correct": None, "patch_correct": False}
    cells = bench_real._cell(row)
    assert cells[2] == "- (localize failed)" and cells[1] == "held-out"
    assert cells[-1] == "E   ModuleNotFoundError: No module named 'isodate.version'"
