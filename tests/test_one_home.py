"""One home for each small job (issue 15): the decisions taken where the copies disagreed.

Test files, the innermost symbol at a line, AST positions as text offsets (a form feed used
to drop every speed rewrite of its file), the unified diff of a text, fenced code in a
model's answer, the LLM modules' import graph and the prompts the model reads.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import QUADRATIC_STOPWORDS, STOPWORDS_WORKLOAD, git, init_repo

from suture import prompts
from suture.agent.optimize.perf_rules import rewrites
from suture.agent.propose.planner_tools import SCHEMAS
from suture.agent.propose.templates import SourceFile
from suture.retrieval.model import FUNCTION, METHOD, CLASS, Symbol, innermost_symbol
from suture.retrieval.positions import LineTable
from suture.retrieval.testfiles import is_test_module, is_test_path
from suture.tools.testing.coverage_plugin import omit_globs
from suture.tools.git.diffs import text_diff
from suture.tools.llm.client import fenced_blocks, parse_text_tool_calls, python_blocks
from suture.tools.llm.scripted import ScriptedClient

REPO = Path(__file__).resolve().parents[1]


# -- telling a test file ------------------------------------------------------------------------

@pytest.mark.parametrize("path, expected", [
    ("pkg/core.py", False),
    ("tests/helpers.py", True),
    ("pkg/test/data.py", True),
    ("web/__tests__/app.js", True),
    ("pkg/testing/helpers.py", False),  # decided: numpy.testing-style packages are product code
    ("pkg/testing.py", False),
    ("pkg/core_tests.py", True),  # decided: a suite under a name pytest does not collect is test code
    ("src/app.spec.ts", True),
    ("src/app.test.js", True),
    ("conftest.py", True),
    ("pkg\\tests\\x.py", True),  # a Windows path from a traceback
    ("shop/contest.py", False),
    ("pkg/latest.py", False),
])
def test_one_rule_tells_test_code(path, expected):
    assert is_test_path(path) is expected


@pytest.mark.parametrize("path, expected", [
    ("tests/test_core.py", True), ("pkg/core_test.py", True), ("test_x.py", True),
    ("tests/conftest.py", False), ("tests/helpers.py", False), ("tests/test_data.json", False),
])
def test_test_modules_are_the_files_pytest_collects(path, expected):
    assert is_test_module(path) is expected


def test_the_coverage_omit_globs_say_what_the_rule_says(tmp_path):
    """The plugin cannot import retrieval (it runs under the project's interpreter), so it keeps
    the rule as globs; coverage.py's own matcher must agree with the rule on Python files."""
    from coverage.files import GlobMatcher

    root = str(tmp_path)
    matcher = GlobMatcher(omit_globs(root))
    for rel in ["pkg/core.py", "tests/helpers.py", "pkg/tests/x.py", "pkg/test_x.py", "pkg/x_test.py",
                "pkg/x_tests.py", "conftest.py", "web/__tests__/a.py", "pkg/testing/helpers.py", "pkg/contest.py"]:
        assert matcher.match(f"{root}/{rel}") is is_test_path(rel), rel


# -- the innermost symbol -----------------------------------------------------------------------

def _symbol(qualname: str, kind: str, start: int, end: int) -> Symbol:
    return Symbol("a.js", qualname.rsplit(".", 1)[-1], qualname, kind, "javascript", start, end, "",
                  parent=qualname.rsplit(".", 1)[0] if "." in qualname else None)


def test_innermost_symbol_does_not_depend_on_the_order():
    """Decided: the deepest holder starts last; on a shared first line the one that ends first;
    on the same lines (a one-line class and its method) the deeper qualified name. The copies
    took the first or the last of the list."""
    outer = _symbol("A", CLASS, 1, 1)
    inner = _symbol("A.m", METHOD, 1, 1)
    other = _symbol("f", FUNCTION, 3, 9)
    nested = _symbol("f.g", FUNCTION, 4, 6)
    for symbols in ([outer, inner, other, nested], [nested, other, inner, outer]):
        assert innermost_symbol(symbols, 1) is inner
        assert innermost_symbol(symbols, 5) is nested
        assert innermost_symbol(symbols, 8) is other
        assert innermost_symbol(symbols, 2) is None


# -- AST positions as offsets: form feeds -----------------------------------------------------

FORM_FEED_MODULE = (
    "import os\n"
    "\n"
    "\x0c\n"  # PEP 8's page break between sections of a file
    "def content(words: list[str], stop: list[str]) -> list[str]:\n"
    "    out = []\n"
    "    for w in words:\n"
    "        if w in stop:\n"
    "            continue\n"
    "        out.append(w)\n"
    "    return out\n"
)


def test_line_table_counts_lines_as_ast_does():
    text = "a = 1\x0c\nb = 'é'\r\nc = '\x1c\x85\u2028'; x = 4\n"
    table = LineTable(text)
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Name):
            assert text[table.offset(node.lineno, node.col_offset):table.offset(node.end_lineno, node.end_col_offset)] \
                == node.id
    assert table.line_of(text.index("x")) == 3


def test_a_form_feed_before_a_function_does_not_drop_its_rewrites():
    found = rewrites("pkg/mod.py", FORM_FEED_MODULE)
    member = [r for r in found if r.rule == "list-membership-to-set"]
    assert len(member) == 1
    assert member[0].line == 6  # the set is built before the loop
    assert "_stop_set = set(stop)\n    for w in words:" in member[0].new_source
    assert member[0].new_source.startswith("import os\n\n\x0c\ndef content(")


def test_the_repair_templates_cut_at_the_same_offsets():
    src = SourceFile("m.py", FORM_FEED_MODULE)
    node = next(n for n in ast.walk(src.tree) if isinstance(n, ast.Compare))
    assert src.segment(node) == "w in stop"


def test_a_text_diff_of_a_file_with_a_form_feed_applies(tmp_path):
    """str.splitlines cut lines at the form feed and marked each piece 'no newline at end'."""
    before = FORM_FEED_MODULE
    after = before.replace("out = []", "out: list[str] = []")
    patch = text_diff("pkg/mod.py", before, after)
    assert "No newline" not in patch and patch.startswith("--- a/pkg/mod.py\n+++ b/pkg/mod.py\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/mod.py").write_text(before, newline="")
    git(tmp_path, "init", "-q")
    (tmp_path / "p.diff").write_text(patch, newline="")
    git(tmp_path, "apply", "p.diff")
    assert (tmp_path / "pkg/mod.py").read_bytes().decode() == after
    assert text_diff("a.py", "x\n", "x\ny").endswith("+y\n\\ No newline at end of file\n")


# The stop-words filter with a form feed before its function. tests/test_cli_report.py's optimize page and
# tests/test_cli_optimize.py's quadratic-membership test (the edit, its gates, its instruction count) read this
# same run: one optimize run for the three (it costs seconds of timing), made once per session.
FORMFEED_STOPWORDS = {
    **QUADRATIC_STOPWORDS,
    "words/filter.py": (
        "import os\n\n\x0c\n"
        "def content(words: list[str], stop: list[str]) -> list[str]:\n"
        "    return [w for w in words if w not in stop]\n"
    ).encode(),
}


def formfeed_optimize_place(tmp_path_factory) -> Path:
    """The shared run's own directory: its repo, its workload and the log of its valgrind calls."""
    from shared_runs import shared_dir

    return shared_dir(tmp_path_factory) / "suture-shared-formfeed-optimize"


def formfeed_optimize_run(tmp_path_factory) -> tuple[Path, dict, str, int]:
    """(repo, the run's report.json, what the terminal showed, exit code) of `suture optimize --target
    words.filter:content --workload W --rounds 3 --verify-seconds 3 --sandbox none` on FORMFEED_STOPWORDS, run as
    a person runs it: stderr on a terminal (where the run ends with its page's path). report.json is the object
    --json prints.

    Its accepted edit's instructions are counted under callgrind (SUTURE_CALLGRIND=auto; off for the rest of
    the suite, conftest.py), through a `valgrind` first on PATH that appends its arguments to
    valgrind-calls.txt in the run's directory before it runs the real one (none without valgrind; `valgrind`
    in outcome.json says which). --sandbox none: the shim writes outside the tree (bwrap: read-only there).
    --verify-seconds 3: the bounded verifier still runs on the kept edit; none of the three tests is about
    what it finds (tests/test_cli_optimize.py's are, at the default)."""
    import json
    import os
    import shutil

    from shared_runs import locked
    from test_cli import run_with_terminal_stderr

    place = formfeed_optimize_place(tmp_path_factory)
    place.mkdir(exist_ok=True)
    outcome, repo = place / "outcome.json", place / "repo"
    with locked(place / "lock"):
        if not outcome.exists():
            for stale in (repo, place / "shim", place / "valgrind-calls.txt"):  # a worker's failed attempt before
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    stale.unlink(missing_ok=True)
            init_repo(repo, FORMFEED_STOPWORDS)
            (place / "workload.py").write_text(STOPWORDS_WORKLOAD)
            env = {**os.environ, "SUTURE_CALLGRIND": "auto"}
            real = shutil.which("valgrind")
            if real is not None:
                (place / "shim").mkdir()
                shim = place / "shim" / "valgrind"
                shim.write_text(f'#!/bin/sh\necho "$*" >> "{place / "valgrind-calls.txt"}"\nexec "{real}" "$@"\n')
                shim.chmod(0o755)
                env["PATH"] = f"{place / 'shim'}{os.pathsep}{env['PATH']}"
            done, terminal = run_with_terminal_stderr(
                ["optimize", "--target", "words.filter:content", "--workload", str(place / "workload.py"),
                 "--rounds", "3", "--verify-seconds", "3", "--sandbox", "none"], repo, env=env)
            (place / "outcome.tmp").write_text(json.dumps({"returncode": done.returncode, "terminal": terminal,
                                                           "valgrind": real is not None}))
            (place / "outcome.tmp").replace(outcome)
    saved = json.loads(outcome.read_text())
    (run_dir,) = (repo / ".suture" / "runs").iterdir()
    return repo, json.loads((run_dir / "report.json").read_text()), saved["terminal"], saved["returncode"]


@pytest.mark.slow  # a whole suture run (shared with tests/test_cli_report.py): scheduled first (conftest.py)
def test_suture_optimize_keeps_a_rewrite_after_a_form_feed(tmp_path_factory, tmp_path):
    """Through the CLI: the rule path finds, gates and prints the rewrite, and the patch applies.

    The stop-words filter has one rewrite to find (QUADRATIC_STOPWORDS), so the run verifies and
    times one candidate."""
    shared, report, terminal, code = formfeed_optimize_run(tmp_path_factory)
    assert report["status"] == "optimized" and code == 0, terminal
    assert report["edits"][0]["rule"] != "model"
    repo = tmp_path / "clone"  # the shared repo is only read
    git(tmp_path, "clone", "-q", str(shared), str(repo))
    (tmp_path / "p.diff").write_text(report["patch"], newline="")
    git(repo, "apply", str(tmp_path / "p.diff"))
    assert "\x0c\ndef content" in (repo / "words/filter.py").read_bytes().decode()
    assert "w not in stop" not in (repo / "words/filter.py").read_text()  # the rewrite itself applied


# -- fenced code in a model's answer ----------------------------------------------------------

@pytest.mark.parametrize("answer, first", [
    ("Here:\n```python\nx = 1\n```", "x = 1\n"),
    ("```py\nx = 2\n```", "x = 2\n"),  # the generated tests' copy did not take `py`
    ("```Python \r\nx = 3\n```", "x = 3\n"),  # none took a capital, a space after the tag or CRLF
    ("```python3\nx = 4\n```", "x = 4\n"),
    ("```\nx = 5\n```", "x = 5\n"),
    ("```json\n{}\n```\n```python\nx = 6\n```", "x = 6\n"),
])
def test_python_blocks_of_a_model_answer(answer, first):
    assert python_blocks(answer)[0] == first


def test_no_python_block_and_the_tool_calls_share_the_reader():
    assert python_blocks("no code here") == [] and python_blocks(None) == []
    text = '```Tool \r\n{"name": "finish", "arguments": {}}\n```'
    assert fenced_blocks(text) == [("tool", '{"name": "finish", "arguments": {}}\n')]
    assert [c.name for c in parse_text_tool_calls(text)] == ["finish"]


# -- the LLM modules and the prompts ------------------------------------------------------------

# (no import cycle among the LLM modules, or anywhere: tests/test_layout.py)


def test_a_text_mode_client_needs_the_instructions_from_prompts(tmp_path):
    script = tmp_path / "s.jsonl"
    script.write_text('{"text": "hi"}\n')
    with pytest.raises(ValueError, match="text_tools"):
        ScriptedClient(script, tool_mode="text")
    assert "fenced block tagged `tool`" in prompts.load("text_tools")


def test_the_planner_tools_are_described_from_prompts():
    described = {s["function"]["name"]: s["function"]["description"] for s in SCHEMAS}
    text = prompts.load("planner_tools")
    for name, description in described.items():
        assert description and description in text, name
    assert not re.search(r"\$\w", "".join(described.values()))


def test_no_prompt_is_read_around_the_loader():
    """Prompt files are read by prompts/ only (optimize read its sections from the file itself)."""
    for path in [*REPO.glob("agent/*.py"), *REPO.glob("tools/*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "prompts.load(\"optimize\")" not in text and "string import Template" not in text, path


def test_observations_come_from_prompts():
    from suture.agent.propose.planner_tools import Toolbox, suspects_text

    toolbox = Toolbox(None, None, lambda candidate: None)  # type: ignore[arg-type]
    assert toolbox.call("nope", {}).text.startswith("There is no tool named 'nope'; the tools are: search, ")
    assert toolbox.call("state_plans", {"plans": []}).text == prompts.render_section("observations", "no_plans")
    misfit = toolbox.call("propose_edit", {"edits": [{"path": 1}]}).text  # caught by the schema check first
    assert misfit == prompts.render_section(
        "observations", "arguments_misfit", name="propose_edit",
        problem="`edits[0]` lacks the required `edits[0].search`, `edits[0].replace`")
    assert suspects_text(None) == "No ranking: no failing test ran any of the repository's code."
    # the planner recognises its own summaries by this start
    assert prompts.render_section("observations", "summarised", first="x", count=9).startswith("[summarised] x")
