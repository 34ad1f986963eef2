"""A `suture check` run's page (issue 23): check keeps a small run record where fix keeps its own
(.suture/runs/, git-excluded), and `suture report` draws it; `check --report FILE` writes the page at
once, and a check on a terminal that found something or stopped early says where its page is.

Real check runs in tmp git repos (a commit with a broken test and a broken contract, a clean commit,
a check the time cap cuts short), every one through the CLI; the pages then in headless chromium
when it is installed (tests/headless.py). No timing is asserted.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from conftest import git, init_repo, last_json, suture
from warm_cli import suture as warm_suture  # short commands in a fork with the CLI loaded; the runs' checks are real
from headless import browser, load
from test_check import BROKEN_ADD, CALC, GOOD_SCALE, stage
from test_cli import run_with_terminal_stderr

pytestmark = pytest.mark.slow

DOC = '<script>alert("doc")</script>'
TEST_ID = '<script>alert("test")</script>'

# CALC with markup in a docstring and in a test id; and a function with a contract the commit breaks.
MARKED = {
    **CALC,
    "calc/ops.py": f'''
        def add(a, b):
            """Add two numbers {DOC}."""
            return a + b


        def scale(values, factor):
            return [v * factor for v in values]
    ''',
    "tests/test_ops.py": f"""
        import pytest

        from calc.ops import add, scale


        @pytest.mark.parametrize("a", [2], ids=['{TEST_ID}'])
        def test_add(a):
            assert add(a, 3) == 5


        def test_scale():
            assert scale([1, 2], 3) == [3, 6]
    """,
    "calc/clamp.py": '''
        def clamp(x: int, lo: int, hi: int) -> int:
            """
            pre: lo <= hi
            post: lo <= __return__ <= hi
            """
            return max(lo, min(x, hi))
    ''',
}
BROKEN = {
    "calc/ops.py": f'''
        def add(a, b):
            """Add two numbers {DOC}."""
            return a - b


        def scale(values, factor):
            return [v * factor for v in values]
    ''',
    "calc/clamp.py": '''
        def clamp(x: int, lo: int, hi: int) -> int:
            """
            pre: lo <= hi
            post: lo <= __return__ <= hi
            """
            if x < lo:
                return lo
            return x
    ''',
}


def _status(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--untracked-files=all")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{kind: (repo, the check's JSON report, git status before, after, stderr)}. The incomplete check runs
    as a person runs it, on a terminal, where a check that did not finish says where its page is.
    The caps of the other two only stop a check that hangs: this is no timing test."""
    base = tmp_path_factory.mktemp("check-runs")
    made = {}
    for kind, files, staged, args in (
        ("findings", MARKED, BROKEN, ["--time-cap", "600"]),
        ("clean", CALC, {"calc/ops.py": GOOD_SCALE}, ["--time-cap", "600", "--report", str(base / "clean.html")]),
        ("incomplete", CALC, {"calc/ops.py": BROKEN_ADD}, ["--time-cap", "0.2"]),
    ):
        repo = init_repo(base / kind, files)
        stage(repo, staged)
        before = _status(repo)
        if kind == "incomplete":
            done, stderr = run_with_terminal_stderr(["check", "--json", *args], repo)
        else:
            done = suture("check", "--json", *args, cwd=repo, timeout=900)
            stderr = done.stderr
        assert done.returncode in (0, 1), stderr
        made[kind] = (repo, last_json(done), before, _status(repo), stderr)
    return made


def _page(repo: Path, report: dict) -> str:
    done = warm_suture("report", Path(report["run_dir"]).name, cwd=repo)
    assert done.returncode == 0, done.stderr
    written = Path(done.stdout.strip())
    assert written == Path(report["run_dir"]) / "report.html"
    return written.read_text(encoding="utf-8")


def _self_contained(text: str) -> None:
    assert "<script" not in text.lower(), "the page holds a script element"
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", text), "the page loads something"
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_a_check_keeps_its_record_where_fix_does_and_leaves_the_tree_as_it_was(runs):
    for kind in ("findings", "clean", "incomplete"):
        repo, report, before, after, _ = runs[kind]
        run_dir = Path(report["run_dir"])
        assert run_dir.parent == repo / ".suture" / "runs" and "-check-" in run_dir.name, kind
        assert json.loads((run_dir / "report.json").read_text())["status"] == report["status"]
        assert after == before, kind  # the staged change, nothing else: .suture/ is excluded from git
    assert ".suture/" in (runs["clean"][0] / ".git" / "info" / "exclude").read_text().splitlines()


def test_a_findings_page_shows_each_finding_with_its_evidence_and_the_source_marked(runs):
    repo, report, *_ = runs["findings"]
    assert report["status"] == "findings"
    kinds = {f["kind"]: f for f in report["findings"]}
    assert "test" in kinds, report["findings"]
    text = _page(repo, report)
    _self_contained(text)
    # The failing test, its id escaped, where it failed and why.
    test = kinds["test"]
    assert TEST_ID in test["test"]
    assert f"<code>{html.escape(test['test'])}</code> (passes at HEAD)" in text
    assert html.escape(test["test_location"]) in text and html.escape(test["message"]) in text
    # Each changed function's source, the docstring's markup as text, the commit's lines marked (word and shade).
    assert html.escape(DOC) in text and DOC not in text
    assert re.search(r'<td class=heat style="--a:0\.22">changed</td><td class=heat style="--a:0\.22">    return a - b</td>',
                     text)
    assert re.search(r'<td class=heat style="--a:0\.22">changed</td><td class=heat style="--a:0\.22">    return x</td>',
                     text)
    # What was checked: both staged files, the changed functions, the covering test that failed, the verifier.
    assert "<code>calc/ops.py</code>" in text and "<code>calc/clamp.py</code>" in text
    assert '<span class="bad">failed</span>' in text and "Bounded verifier" in text
    [verified] = report["verifier"]
    assert f"<code>calc/clamp.py::clamp</code></td><td>{verified['verdict'].replace('_', ' ')}</td>" in text


def test_a_contract_finding_shows_its_counterexample_beside_the_marked_line(runs):
    repo, report, *_ = runs["findings"]
    contract = next((f for f in report["findings"] if f["kind"] == "contract"), None)
    if contract is None:  # CrossHair has 4 s of wall clock per function in a check; a loaded machine gives it less
        pytest.skip(f"CrossHair found no counterexample in its time this run: {report['verifier']}")
    text = _page(repo, report)
    assert "violates its contract" in text and "The counterexample" in text
    for name, value in contract["inputs"].items():
        assert f"<tr><td><code>{html.escape(name)}</code></td><td><code>{html.escape(str(value))}</code></td></tr>" in text
    assert html.escape(contract["message"]) in text
    # The line the counterexample names is marked as the finding's (word and a darker shade).
    assert re.search(rf'<tr><td class=num>{contract["line"]}</td><td class=heat style="--a:0\.60">finding</td>', text)


def test_a_clean_check_writes_its_page_with_report_and_says_nothing_was_skipped(runs):
    repo, report, _, _, stderr = runs["clean"]
    assert report["status"] == "clean" and report["findings"] == []
    page = repo.parent / "clean.html"
    assert f"Report: {page}" in stderr
    text = page.read_text(encoding="utf-8")
    _self_contained(text)
    assert "No findings: nothing in the staged changes blocks the commit." in text
    assert "Nothing was skipped" in text and "<code>scale</code>" in text
    assert html.escape("result.append(v * factor)") in text
    assert f"{report['tests']['passed']} of {report['tests']['ran']} run" in text


def test_an_incomplete_check_says_what_went_unchecked_and_why(runs):
    repo, report, *_ = runs["incomplete"]
    assert report["status"] == "incomplete" and report["incomplete"], report
    text = _page(repo, report)
    _self_contained(text)
    assert "The check is incomplete" in text and html.escape(report["stopped_before"]) in text
    assert "0.2 s" in text and "--time-cap" in text
    for name in report["unchecked"]:
        assert f"<li><code>{html.escape(name)}</code></li>" in text
    assert "No findings in what was checked before the time cap" in text


def test_a_check_on_a_terminal_that_did_not_finish_says_where_its_page_is(runs):
    _, report, _, _, terminal = runs["incomplete"]
    found = re.search(r"Report: (\S+report\.html) \(`suture report (\S+) --open` opens it\)", terminal)
    assert found, terminal
    assert Path(found.group(1)) == Path(report["run_dir"]) / "report.html" and found.group(2) == Path(report["run_dir"]).name
    assert Path(found.group(1)).is_file()
    # Off a terminal a check writes its record only; the page when asked (--report) or by `suture report`.
    assert "Report:" not in runs["findings"][4]


def test_nothing_staged_leaves_no_record_and_old_check_records_are_pruned(make_repo, tmp_path):
    repo = make_repo(CALC)
    done = warm_suture("check", "--json", cwd=repo)
    assert done.returncode == 0 and last_json(done)["status"] == "nothing_to_check"
    assert "run_dir" not in last_json(done)
    assert not (repo / ".suture" / "runs").exists()
    runs_dir = repo / ".suture" / "runs"
    old = [runs_dir / f"20260101-0000{n:02d}-check-{n:06x}" for n in range(25)]
    for path in old:
        path.mkdir(parents=True)
    fix_run = runs_dir / "20250101-000000-fix-abcdef"
    fix_run.mkdir()
    page = tmp_path / "nothing.html"
    done = warm_suture("check", "--report", str(page), cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "nothing to check" in done.stdout and "nothing is staged" in page.read_text(encoding="utf-8")
    kept = sorted(p.name for p in runs_dir.iterdir() if "-check-" in p.name)
    assert len(kept) == 20 and kept[-1] > old[-1].name  # the newest 19 old ones and this check's own
    assert old[-19].name == kept[0] and fix_run.is_dir()  # other commands' records are never pruned
    assert _status(repo) == ""


def test_a_record_that_cannot_be_kept_is_one_warning_and_the_checks_outcome_stands(make_repo, tmp_path):
    repo = make_repo(CALC)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / ".suture").symlink_to(elsewhere)  # planted: records must not be sent through it
    page = tmp_path / "page.html"
    done = warm_suture("check", "--report", str(page), cwd=repo)
    assert done.returncode == 0 and "nothing to check" in done.stdout, done.stderr
    assert "the check's run record could not be kept" in done.stderr and "symbolic link" in done.stderr
    assert "Traceback" not in done.stderr and not page.exists() and list(elsewhere.iterdir()) == []


def test_a_bad_report_path_is_refused_before_the_check_runs(make_repo, tmp_path):
    repo = make_repo(CALC)
    stage(repo, {"calc/ops.py": BROKEN_ADD})
    done = warm_suture("check", "--report", str(tmp_path / "no" / "such" / "page.html"), cwd=repo)
    assert done.returncode == 2 and "does not exist" in done.stderr and "Traceback" not in done.stderr
    assert not (repo / ".suture").exists()  # refused before anything ran


@pytest.mark.skipif(browser() is None, reason="no chromium installed (Debian: apt-get install chromium)")
@pytest.mark.parametrize("kind", ["findings", "clean", "incomplete"])
def test_a_check_page_loads_in_a_real_browser_with_no_error_and_no_request(runs, kind):
    repo, report, *_ = runs[kind]
    written = Path(report["run_dir"]) / "report.html"
    _page(repo, report)
    shot = Path(report["run_dir"]) / "report.png"
    loaded = load(written, screenshot=shot)
    assert loaded.console_errors == [] and loaded.requests == []
    assert shot.stat().st_size > 1000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if kind == "findings":
        assert TEST_ID in loaded.text and DOC in loaded.text  # shown as text, never run
        assert "<script" not in loaded.html.lower()
        assert "breaks a covering test" in loaded.text and "changed" in loaded.text
    elif kind == "clean":
        assert "Nothing was skipped" in loaded.text
    else:
        assert "The check is incomplete" in loaded.text
