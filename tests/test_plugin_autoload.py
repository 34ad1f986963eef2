"""A pytest plugin the user's environment registers by entry point reaches every run of `suture fix`.

The suite sets PYTEST_DISABLE_PLUGIN_AUTOLOAD for its small repos' runs (tests/conftest.py: suture's
own venv autoloads plugins those repos never use). Users do not set it, so this test unsets it and
gives the repo a plugin that only autoloading finds: a distribution's metadata at the repo's top (on
sys.path in `python -m pytest`) whose `pytest11` entry point names a module holding a fixture every
test uses. Without the plugin, every test errors; with it, one fails (the bug) and three pass.
"""

from __future__ import annotations

import os

import pytest
from conftest import AUTOLOAD_ENV, PRICES_BUG, last_json, suture

from suture.tools.testing.testrun import run_tests

THRESHOLD = "tests/test_prices.py::test_bulk_order_at_threshold"

PLUGIN_REPO = {
    **PRICES_BUG,
    "shopfixtures.py": """
        import pytest


        @pytest.fixture
        def dozen():
            return 12
    """,
    "shopfixtures-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: shopfixtures\nVersion: 1.0\n",
    "shopfixtures-1.0.dist-info/entry_points.txt": "[pytest11]\nshopfixtures = shopfixtures\n",
    "tests/test_prices.py": """
        from shop.prices import total, unit_price

        def test_small_order(dozen):
            assert total(100, dozen - 10) == 200

        def test_bulk_order_at_threshold(dozen):
            assert total(100, dozen - 2) == 900

        def test_big_order(dozen):
            assert total(100, dozen + 8) == 1800

        def test_unit_price(dozen):
            assert unit_price(50, dozen - 11) == 50
    """,
}


def test_the_plugin_comes_only_by_autoloading(make_repo):
    """The control: with autoloading off, the fixture is not found (no conftest or -p brings it)."""
    repo = make_repo(PLUGIN_REPO)
    run = run_tests(repo, env={**os.environ, AUTOLOAD_ENV: "1"})
    assert run.status == "ok"
    assert {o.outcome for o in run.outcomes.values()} == {"error"}
    assert "fixture 'dozen' not found" in run.outcomes[THRESHOLD].message + run.outcomes[THRESHOLD].details


@pytest.mark.slow  # a whole suture run, 15-60 s in the suite: scheduled first (conftest.py)
def test_fix_runs_the_users_autoloaded_plugin(make_repo, monkeypatch):
    repo = make_repo(PLUGIN_REPO)
    monkeypatch.delenv(AUTOLOAD_ENV, raising=False)  # as a user runs suture
    done = suture("fix", "--json", "--time-limit", "240", cwd=repo)
    # Fixed, or plausible: the fixture hides the boundary value from the behaviour comparison's inputs
    # (`dozen - 2`, no literal 10 to seed with), so the evidence stage may say the tests do not decide
    # between two passing patches. Either way the patch passed every gate, which is what this test is about.
    assert done.returncode in (0, 1), done.stderr
    report = last_json(done)
    # The baseline saw the fixture (only the bug fails); the gates' warm runs and the fresh
    # confirmation saw it too (the three other tests would be regressions otherwise).
    assert report["tests"]["failing_before"] == [THRESHOLD]
    delivered = report["patch"] if report["status"] == "fixed" else report["plausible"]["patch"]
    assert "quantity >= BULK" in delivered
    assert report["status"] == "fixed" or report["plausible"]["passes_all_gates"]
    assert report["tests"]["after"]["fixed"] == [THRESHOLD]
    assert report["tests"]["after"]["regressions"] == []
