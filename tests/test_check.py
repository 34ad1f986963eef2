"""`suture check`: the staged changes only, through the real CLI on real git repos with real pytest."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import git, last_json, repo_snapshot, suture
from warm_cli import suture as warm_suture

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from big_module import small_functions_module  # noqa: E402  (the module check is measured on too)

CALC = {
    "calc/__init__.py": "",
    "calc/ops.py": """
        def add(a, b):
            return a + b


        def scale(values, factor):
            return [v * factor for v in values]
    """,
    "tests/test_ops.py": """
        from calc.ops import add, scale


        def test_add():
            assert add(2, 3) == 5


        def test_scale():
            assert scale([1, 2], 3) == [3, 6]
    """,
}

BROKEN_ADD = """
def add(a, b):
    return a - b


def scale(values, factor):
    return [v * factor for v in values]
"""

GOOD_SCALE = """
def add(a, b):
    return a + b


def scale(values, factor):
    # a list comprehension, spelled out
    result = []
    for v in values:
        result.append(v * factor)
    return result
"""


def stage(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (repo / rel).write_text(textwrap.dedent(text).lstrip("\n"))
    git(repo, "add", *files)


def check(repo: Path, *args: str, real: bool = False):
    """`suture check --json ARGS` in `repo`: in a fork of this process with the CLI loaded (tests/warm_cli.py),
    or with `real` as its own process, whose interpreter start-up counts against a tight --time-cap."""
    if real:
        return suture("check", "--json", *args, cwd=repo, timeout=120)
    return warm_suture("check", "--json", *args, cwd=repo, timeout=120)


def test_a_staged_change_that_breaks_a_covering_test_is_blocked_with_file_line(make_repo):
    repo = make_repo(CALC)
    stage(repo, {"calc/ops.py": BROKEN_ADD})
    done = check(repo)
    assert done.returncode == 1, done.stderr
    report = last_json(done)
    assert report["status"] == "findings"
    [finding] = report["findings"]
    assert finding["kind"] == "test"
    assert (finding["path"], finding["line"], finding["symbol"]) == ("calc/ops.py", 1, "add")
    assert finding["test"] == "tests/test_ops.py::test_add"
    assert finding["test_location"] == "tests/test_ops.py:6"  # the assertion that failed (the file opens with a blank line)
    assert "assert -1 == 5" in finding["message"]
    # Only the tests covering the changed function ran.
    assert report["tests"]["selected"] == 1

    plain = suture("check", cwd=repo, timeout=120)
    assert plain.returncode == 1
    assert "calc/ops.py:1: add (changed) breaks tests/test_ops.py::test_add" in plain.stdout
    assert "tests/test_ops.py:6: AssertionError" in plain.stdout


def test_a_good_staged_change_passes(make_repo):
    repo = make_repo(CALC)
    stage(repo, {"calc/ops.py": GOOD_SCALE})
    done = check(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    report = last_json(done)
    assert report["status"] == "clean" and report["findings"] == []
    assert report["tests"]["ran"] == 1 and report["tests"]["failed_staged"] == []


def test_a_staged_syntax_error_is_blocked_and_an_already_broken_file_is_not_blamed(make_repo):
    repo = make_repo({**CALC, "fixtures/broken.py": "def nope(:\n    pass\n"})
    stage(repo, {"calc/ops.py": "def add(a, b):\n    return a +\n"})
    done = check(repo)
    assert done.returncode == 1
    [finding] = last_json(done)["findings"]
    assert (finding["kind"], finding["path"], finding["line"]) == ("parse", "calc/ops.py", 2)

    git(repo, "reset", "-q")
    (repo / "calc/ops.py").write_text(textwrap.dedent(CALC["calc/ops.py"]))
    stage(repo, {"fixtures/broken.py": "def nope(:\n    pass  # still broken\n"})
    done = check(repo)
    assert done.returncode == 0, done.stdout
    assert any("did not compile at HEAD either" in note for note in last_json(done)["notes"])


def test_only_the_staged_changes_count_and_nothing_of_the_user_is_touched(make_repo):
    repo = make_repo(CALC)
    stage(repo, {"calc/ops.py": GOOD_SCALE})
    # An unstaged edit that breaks add, and an untracked file: neither is part of the commit.
    (repo / "calc/ops.py").write_text(BROKEN_ADD.lstrip("\n"))
    (repo / "notes.txt").write_text("scratch\n")
    before = repo_snapshot(repo)
    index_bytes = (repo / ".git/index").read_bytes()
    done = check(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert repo_snapshot(repo) == before
    assert (repo / ".git/index").read_bytes() == index_bytes

    # The other way round: the staged content is broken, the working tree is fine.
    stage(repo, {"calc/ops.py": BROKEN_ADD})
    (repo / "calc/ops.py").write_text(GOOD_SCALE.lstrip("\n"))
    before = repo_snapshot(repo)
    done = check(repo)
    assert done.returncode == 1
    assert last_json(done)["findings"][0]["test"] == "tests/test_ops.py::test_add"
    assert repo_snapshot(repo) == before


def test_a_contract_violation_is_caught_by_the_verifier(make_repo):
    repo = make_repo({
        "shapes/__init__.py": "",
        "shapes/clamp.py": '''
            def clamp(x: int, lo: int, hi: int) -> int:
                """
                pre: lo <= hi
                post: lo <= __return__ <= hi
                """
                return max(lo, min(x, hi))
        ''',
        "tests/test_clamp.py": """
            from shapes.clamp import clamp

            def test_inside():
                assert clamp(5, 0, 10) == 5
        """,
    })
    # The one test still passes; only the verifier sees that x > hi now comes back unclamped.
    stage(repo, {"shapes/clamp.py": '''
        def clamp(x: int, lo: int, hi: int) -> int:
            """
            pre: lo <= hi
            post: lo <= __return__ <= hi
            """
            if x < lo:
                return lo
            return x
    '''})
    done = check(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    report = last_json(done)
    [finding] = report["findings"]
    assert finding["kind"] == "contract" and finding["path"] == "shapes/clamp.py" and finding["symbol"] == "clamp"
    assert "postcondition" in finding["message"]
    x, hi = int(finding["inputs"]["x"]), int(finding["inputs"]["hi"])
    assert x > hi  # the counterexample is a real one
    assert report["tests"]["failed_staged"] == []


def test_the_time_cap_passes_with_a_warning(make_repo):
    repo = make_repo(CALC)
    stage(repo, {"calc/ops.py": BROKEN_ADD})
    done = check(repo, "--time-cap", "0.2", real=True)
    assert done.returncode == 0, done.stdout
    report = last_json(done)
    assert report["status"] == "incomplete" and report["incomplete"]
    assert "time cap" in done.stderr and "unchecked" in done.stderr


def test_the_coverage_map_is_reused_updated_for_a_changed_test_module_and_rebuilt_for_a_new_conftest(make_repo):
    repo = make_repo(CALC)
    stage(repo, {"calc/ops.py": GOOD_SCALE})
    first = last_json(check(repo))
    assert first["tests"]["coverage_map"] == "refreshed"
    cache = repo / ".suture/check/coverage-map.json"
    tests = json.loads(cache.read_text())["tests"]
    assert tests == ["tests/test_ops.py::test_add", "tests/test_ops.py::test_scale"]
    assert last_json(check(repo))["tests"]["coverage_map"] == "reused"

    # A commit that adds a test module: only that module's tests run again, and the map knows them.
    git(repo, "reset", "-q")
    (repo / "tests/test_more.py").write_text("from calc.ops import add\n\ndef test_add_zero():\n    assert add(0, 4) == 4\n")
    git(repo, "add", "tests/test_more.py")
    git(repo, "commit", "-q", "-m", "more tests")
    stage(repo, {"calc/ops.py": BROKEN_ADD})
    done = check(repo)
    report = last_json(done)
    assert report["tests"]["coverage_map"] == "updated"
    assert done.returncode == 1
    assert {f["test"] for f in report["findings"]} == {"tests/test_ops.py::test_add", "tests/test_more.py::test_add_zero"}
    assert json.loads(cache.read_text())["tests"] == sorted([*tests, "tests/test_more.py::test_add_zero"])

    # A commit to the test set-up (a conftest.py): the whole map is rebuilt.
    git(repo, "reset", "-q")
    (repo / "calc/ops.py").write_text(textwrap.dedent(CALC["calc/ops.py"]))
    (repo / "tests/conftest.py").write_text("# shared fixtures\n")
    git(repo, "add", "tests/conftest.py")
    git(repo, "commit", "-q", "-m", "conftest")
    stage(repo, {"calc/ops.py": GOOD_SCALE})
    assert last_json(check(repo))["tests"]["coverage_map"] == "rebuilt"
    # .suture/ stays out of `git status`.
    assert ".suture" not in git(repo, "status", "--porcelain", "--untracked-files=all")


def test_a_test_already_failing_at_head_is_not_blamed(make_repo):
    files = dict(CALC)
    files["tests/test_ops.py"] = textwrap.dedent(CALC["tests/test_ops.py"]) + "\n\ndef test_add_wrong():\n    assert add(1, 1) == 3\n"
    repo = make_repo(files)
    stage(repo, {"calc/ops.py": GOOD_SCALE.replace("return a + b", "return b + a")})
    done = check(repo)
    assert done.returncode == 0, done.stdout
    notes = last_json(done)["notes"]
    assert any("test_add_wrong fails at HEAD too" in note for note in notes)


def test_a_staged_test_change_that_fails_is_blocked(make_repo):
    repo = make_repo(CALC)
    stage(repo, {"tests/test_ops.py": CALC["tests/test_ops.py"].replace("== [3, 6]", "== [3, 7]")})
    done = check(repo)
    assert done.returncode == 1
    [finding] = last_json(done)["findings"]
    assert finding["test"] == "tests/test_ops.py::test_scale" and finding["path"] == "tests/test_ops.py"


def test_paths_restrict_the_check_to_those_staged_files(make_repo):
    repo = make_repo({**CALC, "calc/other.py": "X = 1\n"})
    stage(repo, {"calc/ops.py": BROKEN_ADD, "calc/other.py": "X = 2\n"})
    assert check(repo, "calc/other.py").returncode == 0
    assert check(repo, "calc/ops.py").returncode == 1


def test_nothing_staged_or_nothing_python_exits_0_and_bad_input_exits_2(make_repo, tmp_path):
    repo = make_repo({**CALC, "README.md": "hi\n"})
    done = check(repo)
    assert done.returncode == 0 and last_json(done)["status"] == "nothing_to_check"
    stage(repo, {"README.md": "hello\n"})
    assert check(repo).returncode == 0

    outside = tmp_path / "plain"
    outside.mkdir()
    done = suture("check", cwd=outside)
    assert done.returncode == 2
    assert "not inside a git work tree" in done.stderr and "Traceback" not in done.stderr
    for cap in ("0", "-1", "-0.5", "nan", "inf"):
        done = suture("check", f"--time-cap={cap}", cwd=repo)
        assert done.returncode == 2, (cap, done.stdout, done.stderr)
        assert done.stderr.strip() == "suture check: --time-cap must be a positive number of seconds.", cap


def test_a_real_git_commit_with_the_hook_is_blocked_then_goes_through(make_repo):
    """git runs the hook with its own index for `git commit <path>` (GIT_INDEX_FILE): the check reads that one."""
    repo = make_repo(CALC)
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text(f"#!/bin/sh\nexec {sys.executable} -m suture.agent.cli.main check\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.invalid"}

    def commit(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "commit", "-q", "-m", "change", *args], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=120)

    stage(repo, {"calc/ops.py": BROKEN_ADD})
    blocked = commit()
    assert blocked.returncode != 0
    assert "calc/ops.py:1: add (changed) breaks tests/test_ops.py::test_add" in blocked.stdout + blocked.stderr
    head = git(repo, "rev-parse", "HEAD")

    # `git commit <path>` commits the working tree's file through a temporary index: good here,
    # while the real index still holds the broken version.
    (repo / "calc/ops.py").write_text(GOOD_SCALE.lstrip("\n"))
    done = commit("calc/ops.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(repo, "rev-parse", "HEAD") != head


def test_the_first_commit_of_a_repo_gets_the_parse_gate(make_repo):
    repo = make_repo(CALC, commit=False)
    stage(repo, {"calc/ops.py": "def add(a, b):\n    return a +\n"})
    git(repo, "add", "-A")
    done = check(repo)
    assert done.returncode == 1
    assert last_json(done)["findings"][0]["path"] == "calc/ops.py"
    stage(repo, {"calc/ops.py": BROKEN_ADD})
    done = check(repo)
    assert done.returncode == 0  # no HEAD: nothing to compare the tests with, said in a note
    assert any("no commit yet" in note for note in last_json(done)["notes"])


def test_a_map_cut_off_by_the_cap_keeps_the_finished_test_modules_and_the_next_check_goes_on(make_repo):
    repo = make_repo({
        **CALC,
        "tests/test_slow.py": """
            import time

            from calc.ops import add


            def test_add_slowly():
                time.sleep(120)
                assert add(1, 1) == 2
        """,
    })
    stage(repo, {"calc/ops.py": BROKEN_ADD})
    done = check(repo, "--time-cap", "10", real=True)
    assert done.returncode == 0 and last_json(done)["incomplete"]
    assert "each check maps more of them" in done.stderr
    saved = json.loads((repo / ".suture/check/coverage-map.json").read_text())
    assert saved["tests"] == ["tests/test_ops.py::test_add", "tests/test_ops.py::test_scale"]
    assert list(saved["modules"]) == ["tests/test_ops.py"]

    # The slow module gets fast in the next commit: the next check maps only that module and blocks.
    git(repo, "reset", "-q")
    (repo / "tests/test_slow.py").write_text("from calc.ops import add\n\ndef test_add_slowly():\n    assert add(1, 1) == 2\n")
    git(repo, "add", "tests/test_slow.py")
    git(repo, "commit", "-q", "-m", "faster")
    stage(repo, {"calc/ops.py": BROKEN_ADD})
    done = check(repo)
    report = last_json(done)
    assert report["tests"]["coverage_map"] == "updated"
    assert done.returncode == 1
    assert {f["test"] for f in report["findings"]} == {"tests/test_ops.py::test_add", "tests/test_slow.py::test_add_slowly"}


# 7.5 s of sleep (was 9): a 6 s cap leaves a mapping run ~3.5 s after start-up and its stop reserve, so an idle
# machine maps it over three checks -- two that say it is incomplete (JSON, then text), one that completes it.
SLEEPY = 5
SLEEPY_TESTS = "import time\n\nfrom calc.ops import scale\n" + "".join(
    f"\n\ndef test_sleepy_{i}():\n    time.sleep(1.5)\n    assert scale([{i}], 2) == [{2 * i}]\n" for i in range(SLEEPY))


@pytest.mark.slow  # among the longest in a -n 2 run (see the suitetime measurements): scheduled first
def test_a_test_module_slower_than_the_cap_is_mapped_test_by_test_over_successive_checks(make_repo):
    """One test module (five tests of 1.5 s each, 7.5 s) takes longer than the whole cap: each check maps
    the tests it finishes, the next goes on with the rest of that module, and once the map is complete
    the changed function is checked. Until then text and JSON both say it went unchecked."""
    repo = make_repo({**CALC, "tests/test_sleepy.py": SLEEPY_TESTS})
    stage(repo, {"calc/ops.py": BROKEN_ADD})
    cache = repo / ".suture/check/coverage-map.json"
    mapped, saw_partial, texts = [], False, []
    for attempt in range(16):
        as_json = attempt % 2 == 0
        done = suture("check", *(["--json"] if as_json else []), "--time-cap", "6", cwd=repo, timeout=120)
        assert "Traceback" not in done.stderr
        saved = json.loads(cache.read_text()) if cache.exists() else {"tests": [], "partial": {}, "modules": {}}
        mapped.append(len(saved["tests"]))
        saw_partial = saw_partial or "tests/test_sleepy.py" in saved["partial"]
        if "tests/test_sleepy.py" in saved["modules"]:
            # The check that completed the map may have had time left to run the covering tests too.
            assert done.returncode in (0, 1), done.stdout + done.stderr
            break
        assert done.returncode == 0, done.stdout + done.stderr  # a check cut by the cap never blocks
        # The map is not complete: the changed function went unchecked, and both outputs say so.
        if as_json:
            report = last_json(done)
            assert report["status"] == "incomplete" and report["unchecked"] == ["calc/ops.py::add"]
            assert report["tests"]["unmapped_modules"] == ["tests/test_sleepy.py"]
        else:
            texts.append(done.stdout)
            assert "no findings, but the check is incomplete" in done.stdout
            assert "1 test module of 2 not mapped yet: tests/test_sleepy.py" in done.stdout
            assert "went unchecked: calc/ops.py::add" in done.stdout
    else:
        raise AssertionError(f"16 checks did not complete the map: tests mapped after each {mapped}")
    assert mapped == sorted(mapped), mapped  # no check loses what an earlier one mapped
    assert len(mapped) >= 2 and saw_partial, mapped  # the module was mapped in parts, kept between checks
    assert texts, "no check printed text while the map was incomplete"

    # The map is complete: the next check (a cap the covering tests fit in on a busy machine) uses it
    # without mapping anything again (a test the small cap cut twice is retried alone) and blocks the bug.
    done = suture("check", "--time-cap", "90", cwd=repo, timeout=200)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "calc/ops.py:1: add (changed) breaks tests/test_ops.py::test_add" in done.stdout
    saved = json.loads(cache.read_text())
    assert sorted(saved["tests"]) == sorted(["tests/test_ops.py::test_add", "tests/test_ops.py::test_scale"]
                                            + [f"tests/test_sleepy.py::test_sleepy_{i}" for i in range(SLEEPY)])
    assert saved["cut"] == {} and saved["partial"] == {}


def big_repo(make_repo) -> tuple[Path, str]:
    source = small_functions_module(1.5)  # over the size from which check reads a file around its changes
    repo = make_repo({
        "gen/__init__.py": "",
        "gen/big.py": source,
        "tests/test_big.py": "from gen.big import func_1, func_2\n\n\ndef test_func_1():\n    assert func_1(2, 3) == 4\n\n\n"
                             "def test_func_2():\n    assert func_2(2, 3) == 7\n",
    })
    return repo, source


def test_a_multi_megabyte_module_is_read_around_its_change_with_the_right_lines(make_repo):
    repo, source = big_repo(make_repo)
    line = source.splitlines().index("    total = x * 1 + y") + 1
    stage(repo, {"gen/big.py": source.replace("    total = x * 1 + y", "    total = x * 1 - y", 1)})
    done = check(repo, "--time-cap", "120")
    assert done.returncode == 1, done.stdout + done.stderr
    report = last_json(done)
    [finding] = report["findings"]
    assert (finding["path"], finding["symbol"], finding["line"]) == ("gen/big.py", "func_1", line - 2)
    assert finding["test"] == "tests/test_big.py::test_func_1"
    assert any("gen/big.py is large" in note and "around its changes" in note for note in report["notes"])

    # A syntax error staged far down the file: found, at its own line.
    lines = source.splitlines(keepends=True)
    broken_at = max(i for i, text in enumerate(lines) if "if total >" in text) + 1
    lines[broken_at - 1] = lines[broken_at - 1].replace("if total >", "if total >>> ")
    stage(repo, {"gen/big.py": "".join(lines)})
    done = check(repo, "--time-cap", "120")
    assert done.returncode == 1, done.stdout + done.stderr
    [finding] = last_json(done)["findings"]
    assert (finding["kind"], finding["path"], finding["line"]) == ("parse", "gen/big.py", broken_at)


def test_a_multi_megabyte_module_under_a_tiny_cap_says_what_went_unchecked(make_repo):
    repo, source = big_repo(make_repo)
    stage(repo, {"gen/big.py": source.replace("    total = x * 2 + y", "    total = x * 2 - y", 1)})
    done = suture("check", "--time-cap", "1.5", cwd=repo, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr  # slow is never a reason to block
    assert "Traceback" not in done.stderr
    assert "no findings, but the check is incomplete" in done.stdout
    assert "went unchecked: gen/big.py::func_2" in done.stdout
    report = last_json(check(repo, "--time-cap", "1.5", real=True))
    assert report["status"] == "incomplete" and report["unchecked"] == ["gen/big.py::func_2"]
    assert report["changed"] == [{"path": "gen/big.py", "symbol": "func_2", "line": source.splitlines().index("def func_2(x, y):") + 1}]


def test_a_multi_megabyte_module_changed_inside_a_string_falls_back_to_a_whole_compile(make_repo):
    """A change inside a module-level string whose lines look like statements: the window around it
    does not compile on its own, so the file is compiled whole (in a subprocess) and the change counts
    at module level, said in a note."""
    source = small_functions_module(1.2) + '\n\nTEMPLATE = """\ndef not_code(:\n    pass\nsize = 1\n"""\n'
    repo = make_repo({"gen/__init__.py": "", "gen/big.py": source})
    stage(repo, {"gen/big.py": source.replace("size = 1", "size = 2")})
    done = check(repo, "--time-cap", "120")
    assert done.returncode == 0, done.stdout + done.stderr
    report = last_json(done)
    assert report["changed"] == [{"path": "gen/big.py", "symbol": "<module>", "line": source.splitlines().index("size = 1") + 1}]
    assert any("could not be placed in their functions" in note for note in report["notes"])
