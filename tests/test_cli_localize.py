"""`suture localize` through the real CLI: real pytest, real coverage, a real git repo."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import git

BUGGY = {
    "shop/__init__.py": "",
    "shop/prices.py": """
        def unit_price(cents, quantity):
            if quantity >= 10:
                return cents * 9 // 10
            return cents

        def total(cents, quantity):
            return unit_price(cents, quantity) * quantity

        def is_free(cents):
            return cents < 0
    """,
    "tests/test_prices.py": """
        from shop.prices import total, is_free, unit_price

        def test_small_order():
            assert total(100, 2) == 200

        def test_bulk_order():
            assert total(100, 10) == 900

        def test_unit_price():
            assert unit_price(50, 1) == 50

        def test_zero_is_free():
            assert is_free(0)
    """,
}


def suture(*args, cwd):
    return subprocess.run([sys.executable, "-m", "suture.agent.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_localize_json_ranks_the_buggy_function_first_and_keeps_the_tree(make_repo):
    repo = make_repo(BUGGY)
    before = git(repo, "status", "--porcelain", "--untracked-files=all")
    done = suture("localize", "--json", "--top", "3", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ranking"][0]["path"] == "shop/prices.py"
    assert report["ranking"][0]["symbol"] == "is_free"
    assert set(report["ranking"][0]) == {"path", "symbol", "start_line", "end_line", "score"}
    assert len(report["ranking"]) <= 3
    assert report["failing"] == ["tests/test_prices.py::test_zero_is_free"]
    run_dir = repo / ".suture" / "runs"
    assert (run_dir / report["run_dir"].rsplit("/", 1)[-1] / "report.json").is_file()
    assert ".suture/" in (repo / ".git" / "info" / "exclude").read_text()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == before


def test_localize_table_and_formula(make_repo):
    repo = make_repo(BUGGY)
    # With --mutation on: only is_free runs in the failing test, so nothing is close enough to it for
    # mutation evidence to change the order; it is not run (no warm pytest, no mutant) and says so.
    done = suture("localize", "--formula", "dstar", "--mutation", "on", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "is_free" in done.stdout.splitlines()[2]  # first row under the header
    assert "1 failing test(s) at HEAD" in done.stderr
    assert "mutation evidence: not run, no other suspect is close enough" in " ".join(done.stderr.split())


def test_localize_bad_input_gets_one_sentence_and_exit_2(make_repo):
    green = dict(BUGGY)
    green["shop/prices.py"] = BUGGY["shop/prices.py"].replace("cents < 0", "cents <= 0")
    repo = make_repo(green)
    done = suture("localize", cwd=repo)
    assert done.returncode == 2
    assert "no test fails" in done.stderr.lower() and "--failing-test" in done.stderr
    assert "Traceback" not in done.stderr

    done = suture("localize", "--formula", "jaccard", cwd=repo)
    assert done.returncode == 2 and "unknown --formula" in done.stderr

    done = suture("localize", "--test-cmd", "definitely-not-a-command-xyz", cwd=repo)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_localize_failing_test_narrows(make_repo):
    files = dict(BUGGY)
    files["shop/prices.py"] = BUGGY["shop/prices.py"].replace("cents * 9 // 10", "cents * 8 // 10")
    repo = make_repo(files)
    done = suture("localize", "--json", "--failing-test", "tests/test_prices.py::test_bulk_order", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["failing"] == ["tests/test_prices.py::test_bulk_order"]
    assert report["ranking"][0]["symbol"] == "unit_price"
    done = suture("localize", "--failing-test", "tests/test_prices.py::test_nope", cwd=repo)
    assert done.returncode == 2 and "Traceback" not in done.stderr


# A project's own coverage.py older than 7.9 has no `run:core` option (semver's venv had 7.6 through
# pytest-cov): suture's coverage plugin, loaded into that pytest, used to crash the run at start-up.
OLD_COVERAGE = '''
"""Stands in for a coverage.py release that has no run:core option."""
import coverage
from coverage.exceptions import ConfigError

_set_option = coverage.Coverage.set_option


def set_option(self, name, value):
    if name == "run:core":
        raise ConfigError(f"No such option: {name!r}")
    return _set_option(self, name, value)


coverage.Coverage.set_option = set_option
'''


def test_localize_works_with_a_coverage_release_without_the_core_option(make_repo):
    repo = make_repo({**BUGGY, "oldcov.py": OLD_COVERAGE})
    # -p oldcov loads before suture's plugins (they come after the command's own options).
    done = suture("localize", "--json", "--test-cmd", f"{sys.executable} -m pytest -p oldcov", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["ranking"][0]["path"], report["ranking"][0]["symbol"]) == ("shop/prices.py", "is_free")


def test_a_run_without_results_says_what_the_test_command_said(make_repo):
    repo = make_repo(BUGGY)
    done = suture("localize", "--test-cmd", f"{sys.executable} -m pytest -p no_such_plugin_anywhere", cwd=repo)
    assert done.returncode == 2, done.stderr
    assert "no_such_plugin_anywhere" in done.stderr and "Traceback" not in done.stderr


# Three test files, so the coverage run is split between two pytest processes (tools/testing/shards.py).
# The first file's first test waits (20 s at most) until the other process has started on another file,
# so the split is real however fast either one starts; its second test needs the first to have run before
# it in the same process.
SHARDED = {
    "shop/__init__.py": "",
    "shop/prices.py": BUGGY["shop/prices.py"],
    "tests/test_a_first.py": """
        import os
        import time
        from pathlib import Path

        from shop.prices import total, unit_price

        SEEN = []
        OTHER = Path(__file__).with_name("other_shard_started")


        def test_waits_for_the_other_shard():
            if os.environ.get("SUTURE_SHARD"):
                stop = time.monotonic() + 20
                while not OTHER.exists() and time.monotonic() < stop:
                    time.sleep(0.02)
            SEEN.append("first")
            assert total(100, 2) == 200


        def test_runs_after_the_first_of_its_file():
            assert SEEN == ["first"]
            assert unit_price(50, 1) == 50
    """,
    "tests/test_b_other.py": """
        from pathlib import Path

        from shop.prices import is_free, total


        def test_bulk_order():
            Path(__file__).with_name("other_shard_started").touch()
            assert total(100, 10) == 900


        def test_zero_is_free():
            assert is_free(0)
    """,
    "tests/test_c_more.py": """
        import pytest

        from shop.prices import is_free, unit_price


        @pytest.mark.parametrize("cents", [1, 5, 100])
        def test_paid(cents):
            assert not is_free(cents)


        def test_negative_is_free():
            assert is_free(-1)


        def test_bulk_unit_price():
            assert unit_price(100, 10) == 90
    """,
}


def test_a_coverage_run_split_over_two_processes_ranks_as_one_process_does(make_repo):
    import os

    import coverage

    repo = make_repo(SHARDED)
    reports = {}
    for shards in ("1", "2"):
        done = subprocess.run([sys.executable, "-m", "suture.agent.cli.main", "localize", "--json", "--explain"],
                              cwd=repo, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "SUTURE_LOCALIZE_SHARDS": shards})
        assert done.returncode == 0, done.stderr
        reports[shards] = json.loads(done.stdout.strip().splitlines()[-1])
    one, two = reports["1"], reports["2"]
    assert one["failing"] == two["failing"] == ["tests/test_b_other.py::test_zero_is_free"]
    assert two["ranking"] == one["ranking"] and two["statements"] == one["statements"]
    assert one["ranking"][0]["symbol"] == "is_free"

    def contexts(data_file):
        data = coverage.CoverageData(basename=str(data_file))
        data.read()
        return {c for c in data.measured_contexts() if c and not c.startswith("suture-rerun|")}

    single = contexts(one["coverage_file"])
    run_dir = os.path.dirname(two["coverage_file"])
    shard_files = sorted(f for f in os.listdir(run_dir) if f.startswith("coverage.db."))
    assert shard_files == ["coverage.db.s0", "coverage.db.s1"]
    per_shard = [contexts(os.path.join(run_dir, f)) for f in shard_files]
    assert all(per_shard) and not per_shard[0] & per_shard[1]  # both ran tests, none twice
    assert per_shard[0] | per_shard[1] == single
    # each file whole in one process
    files_of = [{c.split("::")[0] for c in shard} for shard in per_shard]
    assert not files_of[0] & files_of[1]
    assert not {"shard-claims", "items.s0", "items.s1"} & set(os.listdir(run_dir))
