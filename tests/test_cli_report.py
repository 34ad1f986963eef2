"""`suture report RUN` (issue 23) on real runs of the test fixtures, through the real CLI: a fix with
rivals, a plausible-only fix, an optimize run, a failed fix; then the page in a real headless
chromium when one is installed (tests/headless.py).

Each run is made once per module (two once per session, shared with tests/test_evidence_cli.py
and tests/test_cli_fix.py; they take a minute or two each on a loaded machine) and every
test reads its page. Nothing here asserts a timing: bench/bench_report.py measures the speed.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import stat
from pathlib import Path

import pytest

from conftest import init_repo, suture
from headless import browser, load
from test_cli import run_with_terminal_stderr
from test_cli_fix import PRICES_ISSUE, prices_issue_run
from test_cli_batch import GREETING_BUG, shared_batch
from test_evidence_cli import upper_median_run
from test_one_home import formfeed_optimize_run
from warm_cli import suture as warm_suture  # `suture report` in a fork with the CLI loaded; the batch index's is real

pytestmark = pytest.mark.slow

ISSUE = PRICES_ISSUE  # the rivals run is tests/test_cli_fix.py's, shared (tests/shared_runs.py)

MODEL_SAYS = 'I will change the greeting <script>alert("model")</script>'


def _script(path: Path) -> Path:
    """A scripted model (tools/llm/scripted.py) whose one edit does not pass, and which then gives up."""
    edit = {"path": "hello.py", "search": 'return "Hello " + name + "!"', "replace": 'return "Hi " + name + "!"'}
    turns = [{"text": MODEL_SAYS, "tool_calls": [{"name": "propose_edit", "arguments": {"edits": [edit]}}],
              "usage": {"prompt_tokens": 1000, "completion_tokens": 50}, "cost_usd": 0.01},
             {"text": "No better idea.", "tool_calls": [{"name": "finish", "arguments": {"summary": "gave up"}}],
              "usage": {"prompt_tokens": 1200, "completion_tokens": 20}, "cost_usd": 0.01}]
    path.write_text("".join(json.dumps(t) + "\n" for t in turns))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{kind: (repo, report.json of the run)} for the four runs, made once. The plausible-only fix and the
    fix with rivals are tests/test_evidence_cli.py's and tests/test_cli_fix.py's runs, shared (tests/shared_runs.py):
    made once per session."""
    base = tmp_path_factory.mktemp("report-runs")
    plausible = upper_median_run(tmp_path_factory)
    assert plausible.returncode in (0, 1), plausible.stderr
    rivals = prices_issue_run(tmp_path_factory)
    assert rivals.returncode in (0, 1), rivals.stderr
    made = {"plausible": (plausible.repo, plausible.report), "rivals": (rivals.repo, rivals.report)}
    # As a person runs it: on a terminal, where the run ends with its page's path.
    repo = init_repo(base / "failed", GREETING_BUG)
    done, terminal = run_with_terminal_stderr(["fix", "--time-limit", "180", "--max-candidates", "2",
                                               "--model", f"scripted:{_script(base / 'model.jsonl')}"], repo)
    assert done.returncode == 1, terminal
    (run_dir,) = (repo / ".suture" / "runs").iterdir()
    made["failed"] = (repo, json.loads((run_dir / "report.json").read_text()))
    made["terminal"] = terminal
    # On a terminal too (optimize ends with the page's path as well): tests/test_one_home.py's form-feed run, shared.
    repo, report, terminal, code = formfeed_optimize_run(tmp_path_factory)
    assert code in (0, 1), terminal
    made["optimize"] = (repo, report)
    made["optimize terminal"] = terminal
    return made


def _page(repo: Path, report: dict, *extra: str) -> tuple[Path, str]:
    """`suture report <run id>` in the repo: the page it wrote and its text."""
    run_dir = Path(report["run_dir"])
    done = warm_suture("report", run_dir.name, *extra, cwd=repo)
    assert done.returncode == 0, done.stderr
    written = Path(done.stdout.strip().splitlines()[-1])
    return written, written.read_text(encoding="utf-8")


def _self_contained(text: str) -> None:
    assert "<script" not in text.lower(), "the page holds a script element"
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", text), "the page loads something"
    assert "@import" not in text and "url(" not in text
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_a_fix_with_rivals_shows_the_chosen_patch_its_evidence_and_every_candidate(runs):
    repo, report = runs["rivals"]
    assert report["status"] == "fixed" and report["choice"]["distinct_passing"] >= 2, report.get("choice")
    written, text = _page(repo, report)
    assert written == Path(report["run_dir"]) / "report.html"
    _self_contained(text)
    # The issue text is shown as text: escaped, never markup.
    assert html.escape(ISSUE) in text and "<script>alert" not in text
    # The chosen patch, line by line, and which candidate it is.
    chosen = report["choice"]["chosen"]
    for line in report["patch"].splitlines():
        assert html.escape(line) in text, line
    assert f"<code>{chosen}</code> <strong>(chosen)</strong>" in text
    # Every candidate, in the order gated, with the gate it stopped at.
    events = [json.loads(l) for l in (Path(report["run_dir"]) / "trajectory.jsonl").read_text().splitlines()]
    gated = [e["id"] for e in events if e["event"] == "verdict"]
    assert re.findall(r'<tr id="cand-([^"]+)">', text) == gated and len(gated) == report["candidates_tried"]
    rejected = [e for e in events if e["event"] == "verdict" and not e["accepted"]]
    assert text.count("stopped at: ") >= len(rejected) and text.count("passed every gate") >= 2
    # The localisation: the top suspect's name and its source, shaded lines with their scores.
    assert "<code>unit_price</code>" in text and html.escape("if quantity > BULK:") in text
    assert re.search(r'class="num heat" style="--a:0\.\d\d">\d\.\d{3}</td>', text)
    # The evidence: covering tests, the verifier's verdict, the confidence and the rivals' footprints.
    confidence = report["confidence"]
    assert f"{confidence['value']:.2f} of 1" in text and str(confidence["covering_tests"]) in text
    assert report["verification"]["verdict"].replace("_", " ") in text
    for item in report["evidence"]:
        assert html.escape(item["summary"]) in text
        for rival in item["disagreements"]:  # the inputs that would decide between the rivals
            assert html.escape(rival["call"]) in text


def test_a_plausible_only_run_says_it_is_not_a_fix_and_names_the_deciding_input(runs):
    repo, report = runs["plausible"]
    written, text = _page(repo, report)
    _self_contained(text)
    if report["status"] == "fixed":
        pytest.skip("the rule engine found the right median this time: no plausible-only run to show")
    assert report["plausible"]["patch"]
    assert "Plausible patch" in text and "not claimed as a fix" in text and "plausible, not claimed" in text
    assert html.escape("return sum(values) / len(values)") in text
    chosen = report["choice"]["chosen"]
    mine = next(e for e in report["evidence"] if e["candidate_id"] == chosen)
    assert html.escape(mine["footprint"]["example"]["call"]) in text  # the input on which the patch changes HEAD
    assert "(weak)" in text
    assert "unreachable_code" in text  # the static anti-pattern, named


def test_a_failed_run_shows_why_and_escapes_a_test_name(runs):
    repo, report = runs["failed"]
    assert report["status"] == "not_fixed"
    # Run on a terminal, `fix` wrote the page already and said where.
    page = Path(report["run_dir"]) / "report.html"
    assert f"Report: {page} " in runs["terminal"] and page.is_file()
    written, text = _page(repo, report)
    _self_contained(text)
    assert '<script>alert("test")' not in text
    assert html.escape('tests/test_hello.py::test_greet[<script>alert("test")</script>]') in text
    assert "not fixed" in text and html.escape(report["stopped_because"]) in text
    assert f"Candidates ({report['candidates_tried']})" in text
    # The model's turns and cost, its words escaped; its candidate among the rule engine's.
    assert report["cost"]["calls"] >= 2 and html.escape(MODEL_SAYS) in text and "<script>alert" not in text
    assert "Model turns and cost" in text and f"{report['cost']['usd']:.4f}" in text
    assert re.search(r"<td>model</td><td><span class=\"bad\">stopped at: ", text)


def test_an_optimize_run_plots_the_rounds_with_the_interval_and_the_threshold(runs):
    repo, report = runs["optimize"]
    assert report["status"] == "optimized", report.get("stopped_because")
    # Run on a terminal, `optimize` wrote its page into the run directory and said where.
    own = Path(report["run_dir"]) / "report.html"
    assert f"Report: {own} " in runs["optimize terminal"] and own.is_file()
    before = own.stat().st_mtime_ns
    out = repo.parent / "optimize-page.html"
    written, text = _page(repo, report, "--out", str(out))
    assert written == out and own.stat().st_mtime_ns == before  # --out writes there, not into the run dir
    _self_contained(text)
    edit = report["edits"][0]
    assert len(edit["ratios"]) == 3  # one ratio per timing round, recorded for the plot
    assert f"<strong>{edit['speedup']:.2f}x</strong>" in text
    assert f"{edit['ci_low']:.2f}x to {edit['ci_high']:.2f}x" in text
    svg = re.search(r"<svg .*?</svg>", text, re.S).group(0)
    assert svg.count("<circle") == 3 and "1.05x needed" in svg and "<rect" in svg
    assert "Hot spots" in text and "words/filter.py" in text
    assert "Instruction count" in text


def test_a_run_killed_midway_still_gets_a_page(runs, tmp_path):
    """A run directory copied elsewhere (an artifact) with no report.json and half a last trajectory line."""
    _, report = runs["rivals"]
    copy = tmp_path / "artifact-run"
    shutil.copytree(report["run_dir"], copy)
    (copy / "report.json").unlink()
    (copy / "report.html").unlink(missing_ok=True)
    lines = (copy / "trajectory.jsonl").read_text().splitlines()
    kept = [l for l in lines if json.loads(l)["event"] != "end"][:-2]
    (copy / "trajectory.jsonl").write_text("\n".join(kept) + "\n" + lines[-1][: len(lines[-1]) // 2])
    done = warm_suture("report", str(copy), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (copy / "report.html").read_text()
    assert "interrupted" in text and "<code>unit_price</code>" in text


def test_report_refuses_bad_input_in_one_sentence(runs, tmp_path):
    repo, report = runs["rivals"]
    done = warm_suture("report", "20990101-000000-fix-000000", cwd=repo)
    assert done.returncode == 2 and "there is no run 20990101-000000-fix-000000" in done.stderr
    assert Path(report["run_dir"]).name in done.stderr and "Traceback" not in done.stderr
    done = warm_suture("report", str(tmp_path), cwd=repo)
    assert done.returncode == 2 and "neither report.json nor trajectory.jsonl" in done.stderr
    done = warm_suture("report", report["run_dir"], "--out", str(tmp_path / "no" / "such" / "page.html"), cwd=repo)
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_open_hands_the_page_to_the_browser(runs, tmp_path, monkeypatch):
    repo, report = runs["failed"]
    seen = tmp_path / "opened.txt"
    fake = tmp_path / "fake-browser"
    fake.write_text(f'#!/bin/sh\necho "$1" > "{seen}"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("BROWSER", str(fake))
    written, _ = _page(repo, report, "--open")
    assert seen.read_text().strip() == written.as_uri()


@pytest.mark.skipif(browser() is None, reason="no chromium installed (Debian: apt-get install chromium)")
@pytest.mark.parametrize("kind", ["rivals", "plausible", "optimize", "failed"])
def test_the_page_loads_in_a_real_browser_with_no_error_and_no_request(runs, kind):
    repo, report = runs[kind]
    written, _ = _page(repo, report)
    shot = Path(report["run_dir"]) / "report.png"
    loaded = load(written, screenshot=shot)
    assert loaded.console_errors == [] and loaded.requests == []
    assert shot.stat().st_size > 1000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Key facts are in the DOM as a reader sees them.
    if kind == "rivals":
        assert "passed every gate" in loaded.text and ISSUE in loaded.text
        assert "if quantity >= BULK:" in loaded.text
    elif kind == "plausible" and report["status"] != "fixed":
        chosen = report["choice"]["chosen"]
        mine = next(e for e in report["evidence"] if e["candidate_id"] == chosen)
        assert mine["footprint"]["example"]["call"] in loaded.text
    elif kind == "optimize":
        edit = report["edits"][0]
        assert f"{edit['speedup']:.2f}x" in loaded.text and f"{edit['ci_low']:.2f}x to {edit['ci_high']:.2f}x" in loaded.text
        assert "<svg" in loaded.html
    else:
        assert 'test_greet[<script>alert("test")</script>]' in loaded.text
        assert "<script" not in loaded.html.lower()


def test_a_batch_directory_gets_an_index_linking_each_tasks_page(tmp_path_factory):
    # tests/test_cli_batch.py's batch, shared: a fix that is fixed (prices), a localize (where) and a fix that
    # ends unfixed (greeting: its failing test's id carries markup). The index is written into its directory.
    batch = shared_batch(tmp_path_factory)
    assert batch["returncode"] in (0, 1), batch["stderr"][-2000:]
    out, tmp_path = batch["out"], batch["place"]
    made = suture("report", str(out), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    index = Path(made.stdout.strip())
    assert index == out / "report.html"
    text = index.read_text()
    assert "<script" not in text.lower()  # the greeting run's failing test id carries markup
    by_id = {json.loads(line)["id"]: json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()}
    assert by_id["prices"]["outcome"] == "fixed" and by_id["greeting"]["outcome"] != "fixed"
    for task_id in ("prices", "greeting"):  # the two fix tasks' pages (a localize keeps no run)
        task_page = Path(by_id[task_id]["report"]["run_dir"]) / "report.html"
        assert task_page.is_file(), task_id  # each task's own page, written beside its run
        link = re.search(rf'<code>{task_id}</code>.*?<a href="([^"]+)">report</a>', text, re.S)
        assert link and (index.parent / link.group(1)).resolve() == task_page.resolve(), task_id
    assert "fixed 1" in text
    greeting_page = (Path(by_id["greeting"]["report"]["run_dir"]) / "report.html").read_text()
    assert "&lt;script&gt;alert(" in greeting_page and "<script" not in greeting_page.lower()
    if browser() is not None:  # the index in a real browser too
        loaded = load(index)
        assert loaded.console_errors == [] and loaded.requests == [] and "prices" in loaded.text
