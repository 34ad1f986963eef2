"""Usage errors and failures through the real CLI: one plain sentence on stderr naming the command,
exit 2 for every kind of bad input on every command, and under --json exactly one JSON object on
stdout with the same exit code (never an empty stdout, never a boxed panel or a traceback)."""

from __future__ import annotations

import json

import pytest

from conftest import suture
from warm_cli import suture as warm_suture

FILES = {"m.py": "def f(x):\n    return x\n", "tests/test_m.py": "from m import f\n\ndef test_f():\n    assert f(1) == 1\n"}

# (arguments, the command as named in the sentence, a fragment of the sentence)
BAD = [
    (["fix", "--time-limit", "-3"], "fix", "--time-limit must be a number >= 1, got -3"),
    (["fix", "--time-limit", "abc"], "fix", "--time-limit must be a number, got abc"),
    (["fix", "--max-cost", "-1"], "fix", "--max-cost must be a number >= 0, got -1"),
    (["fix", "--max-candidates", "-1"], "fix", "--max-candidates must be at least 0, got -1"),
    (["fix", "--samples", "9"], "fix", "--samples must be at most 8, got 9"),
    (["fix", "--apply", "--commit"], "fix", "--apply and --commit exclude each other"),
    (["fix", "--bogus"], "fix", "no such option: --bogus"),
    (["optimize", "--target", "m:f", "--time-limit", "0"], "optimize", "--time-limit must be a number >= 1, got 0"),
    (["optimize", "--target", "m:f", "--rounds", "2"], "optimize", "--rounds must be at least 3, got 2"),
    (["optimize", "--target", "m:f", "--bench-cmd", "python b.py"], "optimize", "exactly one of --bench-cmd"),
    (["localize", "--top", "0"], "localize", "--top must be at least 1, got 0"),
    (["localize", "--top", "x"], "localize", "--top must be an integer, got x"),
    (["localize", "--formula", "nope"], "localize", "unknown --formula 'nope'"),
    (["search"], "search", "missing argument 'QUERY'"),
    (["search", "x", "--limit", "0"], "search", "--limit must be at least 1, got 0"),
    (["index", "--bogus"], "index", "no such option: --bogus"),
    (["verify"], "verify", "missing argument 'TARGET'"),
    (["verify", "m.py::f", "--time-limit", "-1"], "verify", "--time-limit must be a positive number of seconds, got -1"),
    (["verify", "m.py::f", "--bound", "0"], "verify", "--bound must be at least 1, got 0"),
    (["check", "--time-cap", "-2"], "check", "--time-cap must be a positive number"),
    (["check", "--sandbox", "nope"], "check", "unknown sandbox 'nope'"),
    (["optimize", "--target", "m:f", "--sandbox", "nope"], "optimize", "unknown sandbox 'nope'"),
    (["replay"], "replay", "missing argument 'RUN'"),
    (["undo", "extra"], "undo", "unexpected extra argument"),
    (["config", "show", "--set", "workers=0"], "config show", "--workers must be an integer >= 1, got 0"),
    (["gh-event", "--bogus"], "gh-event", "no such option: --bogus"),
    (["map", "--tokens", "-1"], "map", "--tokens must be at least 1, got -1"),
]
# These run as real `suture` processes (the console entry's path from interpreter start to exit:
# no traceback, one sentence); the rest in a fork of the test process (tests/warm_cli.py), which runs
# the same main() and differs only in what comes before it. One typer-level bad value, one missing
# argument, one error a command's body raises, one of a sub-command group.
REAL_PROCESS = {"fix --time-limit abc", "search", "fix --apply --commit", "config show --set workers=0"}
STATUS_KEY = {"fix": "status", "optimize": "status", "check": "status", "verify": "verdict"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    from conftest import init_repo

    return init_repo(tmp_path_factory.mktemp("errors") / "repo", FILES)


@pytest.mark.parametrize(("args", "command", "fragment"), BAD, ids=[" ".join(a) for a, _, _ in BAD])
def test_bad_input_is_one_plain_sentence_and_exit_2_for_every_command(repo, args, command, fragment):
    run = suture if " ".join(args) in REAL_PROCESS else warm_suture
    plain = run(*args, cwd=repo, timeout=120)
    assert plain.returncode == 2, plain.stderr
    lines = plain.stderr.strip().splitlines()
    assert len(lines) == 1, plain.stderr
    assert lines[0].startswith(f"suture {command}: ") and fragment in lines[0], lines[0]
    assert "╭" not in plain.stderr and "Usage:" not in plain.stderr and "Traceback" not in plain.stderr
    assert plain.stdout == ""
    if command == "map":
        return  # map has no --json
    as_json = run(*args, "--json", cwd=repo, timeout=120)
    assert as_json.returncode == 2, as_json.stderr
    out = as_json.stdout.strip().splitlines()
    assert len(out) == 1, as_json.stdout
    report = json.loads(out[0])
    assert report["exit_code"] == 2 and fragment in report["error"]
    if command in STATUS_KEY:
        assert report[STATUS_KEY[command]] == "error"
    if command in ("fix", "optimize"):
        assert report["patch"] == ""


def test_config_errors_and_refusals_print_json_with_their_own_exit_code(make_repo, tmp_path):
    repo = make_repo({**FILES, "pyproject.toml": "[tool.suture\n"})
    for args, key in ((["fix"], "status"), (["optimize", "--target", "m:f"], "status"), (["search", "f"], None)):
        plain = suture(*args, cwd=repo)
        done = suture(*args, "--json", cwd=repo)
        assert plain.returncode == done.returncode == 3, done.stderr
        report = json.loads(done.stdout.strip())
        assert report["exit_code"] == 3 and "not valid TOML" in report["error"]
        if key:
            assert report[key] == "error"
    # A failure deep in a command (not a git work tree) is one JSON object too.
    (tmp_path / "plain").mkdir()
    done = suture("verify", "m.py::f", "--json", cwd=tmp_path / "plain")
    assert done.returncode == 2
    report = json.loads(done.stdout.strip())
    assert report["verdict"] == "error" and "not inside a git work tree" in report["error"]


SCRATCH_NAMES = ("suture-pool-", "suture-wt-")


def test_errors_name_the_users_repository_not_the_scratch_checkout(make_repo):
    # input.csv is untracked, so the bench fails in suture's checkout of the base commit;
    # the error the user reads names their own file.
    repo = make_repo({**FILES, "bench.py": "from pathlib import Path\n"
                                           "print(len((Path(__file__).parent / 'input.csv').read_text()))\n"})
    (repo / "input.csv").write_text("1,2\n")
    for extra in ([], ["--json"]):
        done = suture("optimize", "--bench-cmd", "python bench.py", *extra, cwd=repo)
        assert done.returncode == 2, done.stderr
        said = done.stderr + done.stdout
        assert f"{repo / 'input.csv'}" in said and not any(name in said for name in SCRATCH_NAMES), said


@pytest.mark.slow  # a whole suture run, 15-60 s in the suite: scheduled first (conftest.py)
def test_fix_reports_and_run_records_name_the_users_files(make_repo):
    # test_load fails in every scratch tree with a FileNotFoundError naming the tree's own path.
    repo = make_repo({
        "pkg/__init__.py": "",
        "pkg/io.py": "from pathlib import Path\n\nDATA = Path(__file__).parent / 'data.txt'\n\n\n"
                     "def load():\n    return DATA.read_text()\n\n\ndef add(a, b):\n    return a - b\n",
        "tests/test_io.py": "from pkg.io import add, load\n\ndef test_load():\n    assert load() == 'x'\n\n"
                            "def test_add():\n    assert add(2, 2) == 4\n",
    })
    # test_load never passes, so no candidate is a fix: four candidates (two rounds of the two-worker
    # pool) carry the error into verdicts; the run ends on that budget (exit 5), not on the time limit,
    # which a loaded machine reached first when every candidate was tried.
    done = suture("fix", "--json", "--time-limit", "200", "--max-candidates", "4", cwd=repo, timeout=400)
    assert done.returncode == 5, done.stderr
    run_dir = repo / ".suture" / "runs"
    [record] = run_dir.glob("*-fix-*")
    texts = [done.stdout, done.stderr] + [p.read_text() for p in record.glob("*.json*")]
    assert not any(name in text for text in texts for name in SCRATCH_NAMES)
    trajectory = (record / "trajectory.jsonl").read_text()
    assert f"No such file or directory: '{repo / 'pkg' / 'data.txt'}'" in trajectory


def test_user_paths_maps_both_kinds_of_scratch_tree_and_leaves_patches_alone(tmp_path):
    import tempfile
    from pathlib import Path

    from suture.agent.runs import user_paths

    tmp = tempfile.gettempdir()
    top = Path("/home/ada/my.repo")
    report = {"message": f"No such file: '{tmp}/suture-pool-ab1/wcd2/my.repo/pkg/data.txt'.",
              "frames": [f"{tmp}/suture-wt-xy/my.repo/pkg/io.py:7", "pkg/io.py:7"],
              "where": f"in {tmp}/suture-wt-xy/my.repo.", "patch": f"+ '{tmp}/suture-wt-xy/my.repo/x'\n"}
    mapped = user_paths(report, top)
    assert mapped["message"] == "No such file: '/home/ada/my.repo/pkg/data.txt'."
    assert mapped["frames"] == ["/home/ada/my.repo/pkg/io.py:7", "pkg/io.py:7"]
    assert mapped["where"] == "in /home/ada/my.repo."
    assert mapped["patch"] == report["patch"]  # byte for byte what git apply takes
    assert user_paths(f"see {tmp}/suture-wt-xy/my.repo/pkg/io.py", None) == "see pkg/io.py"  # repo-relative


def _read_only_mount_works(tmp_path) -> bool:
    """A private mount namespace with a read-only bind mount (root with CAP_SYS_ADMIN; not every CI)."""
    import shutil
    import subprocess

    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {tmp_path} {tmp_path} && "
                            f"mount -o remount,bind,ro {tmp_path} && ! touch {tmp_path}/x 2>/dev/null"],
                           capture_output=True)
    return probe.returncode == 0


FAILING = {"m.py": "def f(x):\n    return x + 1\n", "tests/test_m.py": "from m import f\n\ndef test_f():\n    assert f(1) == 1\n"}


def test_a_repository_on_a_read_only_file_system_is_one_sentence(tmp_path):
    import shlex
    import subprocess
    import sys

    from conftest import init_repo, user_state

    repo = init_repo(tmp_path / "ro", FAILING)
    if not _read_only_mount_works(tmp_path / "ro"):
        pytest.skip("no private read-only bind mount here (needs root with CAP_SYS_ADMIN)")
    before = user_state(repo)
    command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "suture.agent.cli.main", "fix", "--repo",
                                                str(repo), "--time-limit", "60"])
    done = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {repo} {repo} && "
                           f"mount -o remount,bind,ro {repo} && exec {command}"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("suture: warning")]
    assert len(lines) == 1 and "Read-only file system" in lines[0] and "writable checkout" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert user_state(repo) == before


def test_check_reports_where_its_tests_ran(repo):
    import json

    done = suture("check", "--json", "--sandbox", "none", "--memory-limit", "1G", cwd=repo, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["sandbox"]["requested"] == "none" and report["sandbox"]["used"] == "none"
    assert report["sandbox"]["memory_limit"] == 2**30


def test_a_clean_up_that_fails_after_ctrl_c_is_still_an_interrupt_not_an_internal_error(capsys):
    """Ctrl-C reaches the whole process group: a git child of a clean-up step gets it too and fails,
    and that failure replaces the KeyboardInterrupt (a loaded run exited 6, "internal error")."""
    import typer

    from suture.agent.cli.app import handled
    from suture.agent.exitcodes import ExitCode

    def fix(repo=None, as_json=False):
        try:
            raise KeyboardInterrupt
        finally:
            raise RuntimeError("git worktree remove: killed by SIGINT")

    def broken(repo=None, as_json=False):
        raise RuntimeError("a real bug")

    with pytest.raises(typer.Exit) as stopped:
        handled(fix)(repo=None, as_json=False)
    assert stopped.value.exit_code == ExitCode.INTERRUPTED == 130
    assert "interrupted" in capsys.readouterr().err
    with pytest.raises(typer.Exit) as crashed:
        handled(broken)(repo=None, as_json=False)
    assert crashed.value.exit_code == ExitCode.INTERNAL_ERROR
