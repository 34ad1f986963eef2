"""The `suture` command, driven for real on small git repositories.

Most cases use typer's CliRunner (stdout and stderr kept apart); the ones about
what a calling script sees (one JSON line on stdout, nothing on a traceback)
run the command in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from suture.agent.cli import main as cli
from suture.agent.exitcodes import ExitCode
from warm_cli import suture as warm_suture

SHOP = {
    "shop/pricing.py": '''\
        """Prices and discounts."""


        def apply_discount(price: float, percent: float) -> float:
            """Reduce a price by a percentage."""
            return price * (1 - percent / 100)


        class PriceBook:
            """Prices by SKU."""

            def lookup_price(self, sku: str) -> float:
                return {"A": 1.0}[sku]

            async def refresh_prices(self):
                pass
        ''',
    "shop/orders.py": '''\
        from shop.pricing import apply_discount


        class OrderQueue:
            def push_order(self, order):
                return apply_discount(order, 5)
        ''',
    "README.md": "# shop\n",
}


def run(args, env=None):
    return CliRunner().invoke(cli.app, args, env=env, catch_exceptions=False)


def suture(args, cwd, env=None):
    """The command as a user's script runs it: a real process, stdin closed."""
    return subprocess.run(
        [sys.executable, "-m", "suture.agent.cli.main", *args],
        capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
    )


def forked(args, cwd):
    """The same from the CLI's main() on, in a fork of this process with the CLI loaded (tests/warm_cli.py):
    for one-sentence errors, whose interpreter start-up the tests above already prove."""
    return warm_suture(*args, cwd=cwd)


@pytest.fixture
def shop(make_repo):
    return make_repo(SHOP, name="shop")


def one_json_line(stdout: str) -> dict:
    lines = stdout.strip().splitlines()
    assert len(lines) == 1, stdout
    return json.loads(lines[-1])


def test_search_json_finds_a_function_best_first(shop, tmp_path):
    done = suture(["search", "apply discount", "--repo", str(shop), "--json"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = one_json_line(done.stdout)["results"]
    best = results[0]
    assert best["symbol"] == "apply_discount"
    assert best["path"] == "shop/pricing.py"
    assert (best["kind"], best["start_line"], best["end_line"]) == ("function", 4, 6)
    assert best["signature"].startswith("def apply_discount(price: float, percent: float)")
    assert set(best) == {"path", "symbol", "kind", "start_line", "end_line", "score", "signature"}
    scores = [hit["score"] for hit in results]
    assert scores == sorted(scores, reverse=True)


def test_search_kind_and_limit(shop):
    result = run(["search", "price", "--repo", str(shop), "--kind", "method", "--json", "--limit", "1"])
    assert result.exit_code == 0, result.stderr
    results = one_json_line(result.stdout)["results"]
    assert len(results) == 1
    assert results[0]["kind"] == "method" and results[0]["symbol"].startswith("PriceBook.")
    classes = one_json_line(run(["search", "queue", "--repo", str(shop), "--kind", "class", "--json"]).stdout)
    assert [hit["symbol"] for hit in classes["results"]] == ["OrderQueue"]


def test_search_code_kind_finds_literal_text(shop):
    result = run(["search", "percent / 100", "--repo", str(shop), "--kind", "code", "--json"])
    assert result.exit_code == 0, result.stderr
    hits = one_json_line(result.stdout)["results"]
    assert hits[0]["path"] == "shop/pricing.py" and hits[0]["kind"] == "code"
    assert hits[0]["symbol"] == "apply_discount"


def test_search_limit_comes_from_pyproject_unless_given(make_repo):
    repo = make_repo({**SHOP, "pyproject.toml": "[tool.suture]\nsearch_limit = 2\n"})
    many = one_json_line(run(["search", "price order discount", "--repo", str(repo), "--json"]).stdout)
    assert len(many["results"]) == 2
    more = one_json_line(run(["search", "price order discount", "--repo", str(repo), "--json", "--limit", "3"]).stdout)
    assert len(more["results"]) == 3


def test_search_human_output_is_a_table(shop):
    result = run(["search", "lookup_price", "--repo", str(shop)])
    assert result.exit_code == 0, result.stderr
    first_row = next(line for line in result.stdout.splitlines() if "PriceBook.lookup_price" in line)
    assert "shop/pricing.py:12-13" in first_row and "method" in first_row


def test_no_results_exits_1(shop):
    result = run(["search", "zebra", "--repo", str(shop), "--json"])
    assert result.exit_code == ExitCode.NOTHING_FOUND == 1
    assert one_json_line(result.stdout) == {"results": []}
    human = run(["search", "zebra", "--repo", str(shop)])
    assert human.exit_code == 1 and "no results" in human.stderr and human.stdout == ""


def test_sub_directory_of_a_work_tree_is_indexed_alone(make_repo):
    repo = make_repo({**SHOP, "vendor_lib/extra.py": "def apply_discount_twice():\n    pass\n"})
    result = run(["search", "apply_discount", "--repo", str(repo / "shop"), "--json"])
    assert result.exit_code == 0, result.stderr
    paths = {hit["path"] for hit in one_json_line(result.stdout)["results"]}
    assert paths and paths <= {"pricing.py", "orders.py"}


def test_index_json_reports_counts_and_reuses_the_cache(shop):
    first = run(["index", "--repo", str(shop), "--json"])
    assert first.exit_code == 0, first.stderr
    report = one_json_line(first.stdout)
    assert (report["files"], report["parsed"], report["reused"]) == (2, 2, 0)
    assert report["symbols"] == 6
    assert report["root"] == str(shop.resolve())
    assert isinstance(report["skipped"], dict) and report["seconds"] >= 0
    (shop / "shop" / "orders.py").write_text("def only():\n    pass\n")
    again = one_json_line(run(["index", "--repo", str(shop), "--json"]).stdout)
    assert (again["files"], again["parsed"], again["reused"]) == (2, 1, 1)


def test_index_human_output_counts_skips_by_reason(make_repo):
    repo = make_repo({**SHOP, "logo.py": b"\x89PNG\r\n\x1a\n\x00\x00\x00binary"})
    result = run(["index", "--repo", str(repo)])
    assert result.exit_code == 0, result.stderr
    assert "skipped (binary)" in result.stdout
    rows = [line.replace("│", " ").split() for line in result.stdout.splitlines()]
    assert ["files", "2"] in rows and ["skipped", "(binary)", "1"] in rows


def test_map_prints_definitions(shop):
    result = run(["map", "--repo", str(shop), "--tokens", "400"])
    assert result.exit_code == 0, result.stderr
    assert "shop/pricing.py" in result.stdout and "def apply_discount" in result.stdout
    missing = run(["map", "--repo", str(shop), "--focus", "nowhere.py"])
    assert missing.exit_code == ExitCode.BAD_INPUT
    assert "--focus nowhere.py names no indexed file" in missing.stderr


def test_map_focus_brings_the_focused_file_into_a_tight_map(make_repo, monkeypatch):
    repo = make_repo(
        {
            "pkg/core.py": "def helper():\n    pass\n\ndef shared():\n    pass\n",
            "pkg/users.py": "from pkg.core import shared\n\ndef one():\n    return shared()\n\ndef two():\n    return shared()\n",
            "pkg/lonely.py": "def orphan_routine():\n    pass\n",
        }
    )
    plain = run(["map", "--repo", str(repo), "--tokens", "12"])
    assert plain.exit_code == 0, plain.stderr
    assert "orphan_routine" not in plain.stdout
    monkeypatch.chdir(repo / "pkg")  # a --focus path relative to the current directory works too
    for focus in ("pkg/lonely.py", "lonely.py", str(repo / "pkg" / "lonely.py")):
        focused = run(["map", "--repo", str(repo), "--tokens", "12", "--focus", focus])
        assert focused.exit_code == 0, focused.stderr
        assert "orphan_routine" in focused.stdout, focus
    tiny = run(["map", "--repo", str(repo), "--tokens", "1"])
    assert tiny.exit_code == ExitCode.NOTHING_FOUND and "raise --tokens" in tiny.stderr


@pytest.mark.parametrize(
    ("make_args", "code", "fragment"),
    [
        (lambda repo, tmp: ["search", "x", "--repo", str(tmp / "nope")], 2, "does not exist"),
        (lambda repo, tmp: ["search", "x", "--repo", str(tmp)], 2, "not inside a git work tree"),
        (lambda repo, tmp: ["map", "--repo", str(repo / "README.md")], 2, "is not a directory"),
        (lambda repo, tmp: ["search", "x", "--repo", str(repo), "--kind", "table"], 2, "unknown --kind 'table'"),
        (lambda repo, tmp: ["search", "   ", "--repo", str(repo)], 2, "query is empty"),
        (lambda repo, tmp: ["search", "x", "--repo", str(repo), "--limit", "0"], 2, "--limit"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(shop, tmp_path, make_args, code, fragment):
    done = forked(make_args(shop, tmp_path), cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_one_line_message_for_path_errors(shop, tmp_path):
    done = forked(["index", "--repo", str(tmp_path / "nope")], cwd=tmp_path)
    assert done.stderr.strip().splitlines() == [f"suture index: {tmp_path / 'nope'} does not exist."]


def test_repo_without_indexable_files(make_repo, tmp_path):
    repo = make_repo({"notes.txt": "hello\n", "data.bin": b"\x00\x01\x02"}, name="empty")
    for args in (["index"], ["search", "anything"], ["map"]):
        done = forked([*args, "--repo", str(repo)], cwd=tmp_path)
        assert done.returncode == ExitCode.BAD_INPUT, (args, done.stderr)
        assert "has no files suture can index" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_unreadable_pyproject_is_a_config_refusal(make_repo, tmp_path):
    repo = make_repo({**SHOP, "pyproject.toml": "[tool.suture\nmap_tokens = 1\n"})
    done = forked(["map", "--repo", str(repo)], cwd=tmp_path)
    assert done.returncode == ExitCode.REFUSED
    assert "is not valid TOML" in done.stderr and "Traceback" not in done.stderr


def test_json_stdout_is_one_line_even_with_warnings(make_repo, tmp_path):
    repo = make_repo({**SHOP, "pyproject.toml": "[tool.suture]\nshade = 1\n"})
    done = suture(["search", "push order", "--repo", str(repo), "--json"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert one_json_line(done.stdout)["results"][0]["symbol"] == "OrderQueue.push_order"
    assert "shade" in done.stderr


def test_unexpected_errors_exit_6_with_traceback_only_under_debug(shop, monkeypatch):
    from suture.retrieval import search as search_module

    def broken(self, *args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(search_module.CodeSearch, "search", broken)
    quiet = run(["search", "price", "--repo", str(shop)], env={"SUTURE_DEBUG": None})
    assert quiet.exit_code == ExitCode.INTERNAL_ERROR == 6
    assert "internal error (ZeroDivisionError: boom)" in quiet.stderr
    assert "Traceback" not in quiet.stderr
    loud = run(["search", "price", "--repo", str(shop)], env={"SUTURE_DEBUG": "1"})
    assert loud.exit_code == 6 and "Traceback" in loud.stderr


def test_ctrl_c_is_one_sentence_and_exit_130(shop, monkeypatch):
    from suture.retrieval import search as search_module

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(search_module.CodeSearch, "search", interrupted)
    done = run(["search", "price", "--repo", str(shop)], env={"SUTURE_DEBUG": None})
    assert done.exit_code == ExitCode.INTERRUPTED == 130
    assert "interrupted." in done.stderr and "Traceback" not in done.stderr


def test_output_cut_short_by_a_closed_pipe_is_no_traceback(tmp_path):
    # `suture --help | head -1`: the reader goes away after one line
    piped = subprocess.run(
        f"{sys.executable} -m suture.agent.cli.main --help | head -1", shell=True, capture_output=True,
        text=True, cwd=tmp_path,
    )
    assert "Usage" in piped.stdout or piped.stdout.strip() == ""
    assert "Traceback" not in piped.stderr


def test_version_and_help(tmp_path):
    from importlib import metadata

    version = suture(["--version"], cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == f"suture {metadata.version('suture')}"
    helped = suture(["--help"], cwd=tmp_path)
    assert helped.returncode == 0
    for command in ("index", "search", "map", "config"):
        assert command in helped.stdout
    # Commands that do not work yet are not offered.
    for missing in ("fix", "localize", "verify", "optimize"):
        assert suture([missing], cwd=tmp_path).returncode == 2


def test_help_does_not_import_the_retrieval_layer(tmp_path):
    code = (
        "import sys\nfrom suture.agent.cli.main import app\n"
        "try:\n    app(['--help'], prog_name='suture')\nexcept SystemExit:\n    pass\n"
        "print([m for m in sys.modules if m.startswith(('suture.retrieval', 'tree_sitter', 'litellm'))])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_commands_that_run_tests_do_not_import_pytest_themselves(tmp_path):
    # pytest runs in the project's processes, with suture's plugins; suture's own process reads the
    # plugins' settings from tools/testing/plugin_env.py. Importing pytest cost every command start-up time.
    pipelines = ("suture.agent.fix.pipeline", "suture.agent.optimize.pipeline", "suture.agent.integrations.check",
                 "suture.agent.integrations.gh_event", "suture.agent.verify", "suture.tools.testing.localize",
                 "suture.agent.cli.main")
    code = ("import importlib, sys\n"
            f"for name in {pipelines!r}:\n    importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"



def run_with_terminal_stderr(args, cwd, env=None):
    """Run suture with stderr on a pseudo-terminal; return (process, what the terminal showed)."""
    import pty
    import threading

    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the terminal's other end closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "suture.agent.cli.main", *args],
            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, cwd=cwd, text=True, env=env,
        )
    finally:
        os.close(slave)
    reader.join(timeout=30)
    os.close(master)
    return done, b"".join(chunks).decode(errors="replace")


def test_progress_bar_goes_to_stderr_only_on_a_terminal(shop, tmp_path):
    piped = suture(["index", "--repo", str(shop)], cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == ""
    assert "parsed" in piped.stdout

    done, terminal = run_with_terminal_stderr(["index", "--repo", str(shop), "--json"], tmp_path)
    assert done.returncode == 0
    assert one_json_line(done.stdout)["reused"] == 2  # stdout stays one JSON line
    assert "indexing" in terminal
