"""Warm runs: tests forked from an already-loaded pytest must behave like fresh runs."""

from __future__ import annotations

import re
import sys
import threading
import time

import pytest

from suture.tools.testing import pytest_forkserver
from suture.tools.testing.testrun import prestart_warm, run_tests

CALC = '''\
def add(a, b):
    return a + b
'''

TESTS = '''\
import os
from calc import add


def test_add():
    assert add(2, 3) == 5


def test_env():
    assert os.environ.get("FLAVOUR") == "warm"


def test_not_a_leftover_module():
    import sys
    assert "calc" in sys.modules  # imported by this run, from this tree
'''


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


@pytest.fixture(autouse=True)
def fresh_servers():
    # Before too: a warm run of another file in this worker (tests/test_sandbox.py) leaves its server,
    # and the tests here count the servers they start.
    pytest_forkserver.close_all()
    yield
    pytest_forkserver.close_all()


def servers() -> list:
    return [server for group in pytest_forkserver._servers.values() for server in group]


def outcomes(run):
    return {nodeid.split("::")[1]: o.outcome for nodeid, o in run.outcomes.items()}


def test_warm_runs_match_fresh_runs_and_see_each_edit(make_repo):
    repo = make_repo({"calc.py": CALC, "test_calc.py": TESTS})
    env = {"FLAVOUR": "warm"}
    cold = run_tests(repo, extra_env=env)
    # A server started ahead (localisation starts the mutation step's during its coverage run) is the
    # one the warm run leases: it starts none of its own.
    prestart_warm(repo, extra_env=env).join(60)
    ahead = servers()
    assert len(ahead) == 2 and all(server.alive for server in ahead)
    assert [server.forked for server in ahead] == [False, True]  # one started, one spare forked from it
    first = run_tests(repo, extra_env=env, warm=True)
    assert not cold.warm and first.warm
    assert servers() == ahead
    assert outcomes(cold) == outcomes(first) == {"test_add": "passed", "test_env": "passed", "test_not_a_leftover_module": "passed"}

    # The server imported none of the tree's code: an edit shows in the next warm run, and back.
    (repo / "calc.py").write_text(CALC.replace("a + b", "a - b"))
    broken = run_tests(repo, extra_env=env, warm=True)
    assert broken.warm and outcomes(broken)["test_add"] == "failed"
    assert "assert -1 == 5" in broken.outcomes["test_calc.py::test_add"].message
    (repo / "calc.py").write_text(CALC)
    assert outcomes(run_tests(repo, extra_env=env, warm=True))["test_add"] == "passed"

    # Each run gets its own environment, not the one the server started with.
    other = run_tests(repo, extra_env={"FLAVOUR": "cold"}, warm=True)
    assert outcomes(other)["test_env"] == "failed"


def test_a_hanging_warm_run_is_killed_with_everything_it_started(make_repo, tmp_path):
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    repo = make_repo(
        {
            "test_hang.py": """\
                import os, subprocess, time

                PIDS = os.environ["PID_DIR"]

                def test_first():
                    pass

                def test_spawns_and_hangs():
                    child = subprocess.Popen(["sleep", "300"], start_new_session=True)
                    with open(os.path.join(PIDS, "child"), "w") as fh:
                        fh.write(str(child.pid))
                    with open(os.path.join(PIDS, "test"), "w") as fh:
                        fh.write(str(os.getpid()))
                    time.sleep(600)
                """
        }
    )
    run = run_tests(repo, per_test_timeout=0, timeout=4, extra_env={"PID_DIR": str(pid_dir)}, warm=True)
    assert run.warm and run.status == "timeout"
    assert outcomes(run) == {"test_first": "passed", "test_spawns_and_hangs": "timeout"}
    pids = {p.name: int(p.read_text()) for p in pid_dir.iterdir()}
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [name for name, pid in pids.items() if alive(pid)]
    # The server itself survives its child's death and serves the next run.
    again = run_tests(repo, nodeids=["test_hang.py::test_first"], extra_env={"PID_DIR": str(pid_dir)}, warm=True)
    assert again.warm and outcomes(again) == {"test_first": "passed"}


def test_per_test_timeout_works_in_a_warm_run(make_repo):
    repo = make_repo(
        {
            "test_loop.py": """\
                def test_busy_loop():
                    while True:
                        pass

                def test_after():
                    pass
                """
        }
    )
    run = run_tests(repo, per_test_timeout=0.5, timeout=60, warm=True)
    assert run.warm
    assert outcomes(run) == {"test_busy_loop": "timeout", "test_after": "passed"}


def test_other_interpreters_are_served_warm_from_the_plugin_copy(make_repo, tmp_path):
    repo = make_repo({"calc.py": CALC, "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 1) == 2\n"})
    # A python that is not this interpreter (a wrapper around it, here) is served warm too: its server
    # runs the copy of pytest_forkserver that tools/testing/pytest_shim.py makes, so it needs no suture.
    other = tmp_path / "python3"
    other.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    other.chmod(0o755)
    run = run_tests(repo, test_cmd=[str(other), "-m", "pytest"], warm=True)
    assert run.warm and outcomes(run) == {"test_add": "passed"}
    assert "suture_pytest_plugins.pytest_results_plugin" in run.command
    relative = run_tests(repo, test_cmd="python3 -m pytest", warm=True)  # this interpreter: as before
    assert relative.warm and "suture.tools.testing.pytest_results_plugin" in relative.command


def test_a_server_that_cannot_start_falls_back_to_a_fresh_run(make_repo, monkeypatch):
    repo = make_repo({"calc.py": CALC, "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 1) == 2\n"})

    class Broken:
        def __init__(self, *args, **kwargs):
            raise pytest_forkserver.ServerGone("refused")

    monkeypatch.setattr(pytest_forkserver, "_Server", Broken)
    run = run_tests(repo, warm=True)
    assert not run.warm and outcomes(run) == {"test_add": "passed"}


def test_startup_variables_get_their_own_server(make_repo):
    repo = make_repo(
        {"test_seed.py": "import os, sys\n\ndef test_seed():\n    print('SEED', sys.flags.hash_randomization, os.environ.get('PYTHONHASHSEED'))\n    assert sys.flags.hash_randomization == (os.environ.get('PYTHONHASHSEED') != '0')\n"}
    )
    assert outcomes(run_tests(repo, warm=True)) == {"test_seed": "passed"}
    pinned = run_tests(repo, extra_env={"PYTHONHASHSEED": "0"}, warm=True)
    assert pinned.warm and outcomes(pinned) == {"test_seed": "passed"}


def test_per_run_variables_share_one_server_and_the_pool_token_keys_it(make_repo, tmp_path):
    """A synthesis probe's plan and output files differ every run: they reach the run, not the server's
    choice (each probe used to start, and leave idle, a warm pytest of its own). The pool token, which
    the server must carry from its start so that the pool can find and kill its runs, still keys it."""
    repo = make_repo({"test_parent.py": "import os\n\ndef test_parent():\n"
                                        "    with open(os.environ['PARENT_FILE'], 'w') as fh:\n"
                                        "        fh.write(str(os.getppid()))\n"})

    def server_of(name: str, token: str) -> int:
        out = tmp_path / name
        run = run_tests(repo, extra_env={"SUTURE_POOL_TOKEN": token, "PARENT_FILE": str(out)}, warm=True)
        assert run.warm and outcomes(run) == {"test_parent": "passed"}
        return int(out.read_text())

    first, second = server_of("a", "pool-1"), server_of("b", "pool-1")
    assert first == second
    assert server_of("c", "pool-2") != first
    with open(f"/proc/{first}/environ", "rb") as fh:
        assert b"SUTURE_POOL_TOKEN=pool-1\0" in fh.read()


def test_two_runs_at_once_share_one_started_warm_pytest_and_a_fork_of_it(make_repo):
    """A fix run gates two candidates at once. The second lease used to start a second interpreter
    (~1.1 CPU-s of imports); it now waits for the first and takes the spare forked from it while idle.
    Both runs are warm and see the tree as a fresh run does; closing the servers ends both."""
    repo = make_repo({"calc.py": CALC, "test_calc.py": TESTS})
    env = {"FLAVOUR": "warm"}
    runs = {}

    def gate(i: int) -> None:
        runs[i] = run_tests(repo, extra_env=env, warm=True)

    threads = [threading.Thread(target=gate, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    started = servers()
    assert [server.forked for server in started] == [False, True]
    assert runs[0].warm and runs[1].warm
    assert outcomes(runs[0]) == outcomes(runs[1]) == outcomes(run_tests(repo, extra_env=env))
    # Another pair of runs reuses both; neither starts an interpreter.
    gate(0)
    assert servers() == started and runs[0].warm
    pids = [server.proc.pid for server in started]
    pytest_forkserver.close_all()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids)


def test_suture_plugins_are_loaded_once_by_the_server_and_the_trees_plugin_by_each_run(make_repo):
    """The results plugin is imported by the warm server (each fork used to read, rewrite and compile it
    again), without pytest's "already imported" warning; a plugin of the tree's own is still imported by
    each run, so an edit to it shows in the next warm run."""
    repo = make_repo({
        "treeplugin.py": "FLAVOUR = 'first'\n",
        "test_loaded.py": "import sys\n\n"
                          "def test_loaded():\n"
                          "    results = sys.modules['suture.tools.testing.pytest_results_plugin']\n"
                          "    print('RESULTS-LOADER', type(results.__loader__).__name__)\n"
                          "    print('TREE', sys.modules['treeplugin'].FLAVOUR, type(sys.modules['treeplugin'].__loader__).__name__)\n",
    })
    command = f"{sys.executable} -m pytest -s -p treeplugin"

    def printed(run) -> list[str]:
        assert run.warm and outcomes(run) == {"test_loaded": "passed"}, run.output_tail
        assert "PytestAssertRewriteWarning" not in run.output_tail and "cannot be rewritten" not in run.output_tail
        return re.findall(r"(?:RESULTS-LOADER|TREE) [^\n]*", run.output_tail)  # pytest -s prints after the file name

    first = printed(run_tests(repo, test_cmd=command, warm=True))
    (repo / "treeplugin.py").write_text("FLAVOUR = 'second'\n")
    second = printed(run_tests(repo, test_cmd=command, warm=True))
    assert [server.forked for server in servers()] == [False, True]
    assert first == ["RESULTS-LOADER SourceFileLoader", "TREE first AssertionRewritingHook"]
    assert second == ["RESULTS-LOADER SourceFileLoader", "TREE second AssertionRewritingHook"]


STARTUP_TREE = {
    "pytest.ini": "[pytest]\nmarkers =\n    slowish: a marker the tree declares\naddopts = --strict-markers\n",
    "conftest.py": """\
        import _pytest.monkeypatch
        import pytest

        def _made():
            @pytest.fixture(name="added")
            def fixture():
                return 42
            return fixture

        # A fixture added to a plugin module pytest already registered (and not to this conftest): the
        # scan of that module must see it.
        _pytest.monkeypatch.added_by_the_tree = _made()

        @pytest.fixture(autouse=True)
        def counted(request):
            request.node.user_properties.append(("seen", True))

        @pytest.fixture
        def tmp_path(tmp_path_factory):  # a built-in fixture overridden by the tree
            return "overridden"

        def pytest_configure(config):
            with open(config.rootpath / "invocation.txt", "a") as fh:
                fh.write(f"{config.invocation_params.dir} {list(config.invocation_params.args)[-2:]}\\n")
        """,
    "calc.py": '''\
        def add(a, b):
            """
            >>> add(2, 2)
            4
            """
            return a + b
        ''',
    "test_calc.py": """\
        import warnings
        import pytest
        from calc import add

        @pytest.mark.slowish
        def test_marked(added):
            assert added == 42

        def test_override(tmp_path, capsys):
            print("out")
            assert tmp_path == "overridden" and capsys.readouterr().out == "out\\n"

        def test_warns():
            warnings.warn("a warning the warnings plugin reports", UserWarning)
            assert add(1, 1) == 2
        """,
}


def test_warm_runs_start_from_the_servers_pytest_state_and_match_fresh_runs(make_repo):
    """The server makes pytest's start-up once (get_config per set of blocked plugins, the plugin modules'
    fixture scan) and each fork starts from it: conftest fixtures, an overridden built-in fixture, declared
    markers, doctests, blocked plugins and a plugin module the tree changed behave as in a fresh run, and
    each run's pytest sees its own invocation directory and arguments."""
    repo = make_repo(STARTUP_TREE)
    expected = {"test_marked": "passed", "test_override": "passed", "test_warns": "passed", "add": "passed"}
    for extra in ("", " -p no:warnings"):
        command = f"{sys.executable} -m pytest --doctest-modules{extra}"
        fresh, warm = run_tests(repo, test_cmd=command), run_tests(repo, test_cmd=command, warm=True)
        again = run_tests(repo, test_cmd=command, warm=True)
        assert not fresh.warm and warm.warm and again.warm
        for run in (fresh, warm, again):
            assert {n.split("::")[-1].split(".")[-1]: o.outcome for n, o in run.outcomes.items()} == expected, run.output_tail
            assert ("a warning the warnings plugin reports" in run.output_tail) == (extra == ""), run.output_tail
    lines = (repo / "invocation.txt").read_text().splitlines()
    assert len(lines) == 6 and len(set(lines)) == 1 and lines[0].startswith(f"{repo} ")


def test_a_forks_get_config_is_the_servers_once_and_only_for_the_same_blocked_plugins(monkeypatch, tmp_path):
    from _pytest import config as pytest_config
    from _pytest.fixtures import FixtureManager

    monkeypatch.setattr(pytest_config, "get_config", pytest_config.get_config)  # restored after the test
    monkeypatch.setattr(FixtureManager, "parsefactories", FixtureManager.parsefactories)
    monkeypatch.setattr(pytest_forkserver, "_configs", {})
    monkeypatch.chdir(tmp_path)
    argv = ["-p", "x.plugin", "-p", "no:cacheprovider", "-pno:doctest", "tests/test_a.py::test_b"]
    assert pytest_forkserver._blocked(argv) == ("no:cacheprovider", "no:doctest")
    pytest_forkserver._prepare_config(argv)
    made = pytest_forkserver._configs[("no:cacheprovider", "no:doctest")][0]
    assert not made.pluginmanager.has_plugin("doctest") and made.pluginmanager.has_plugin("python")

    pytest_forkserver._start_from_server(["-p", "no:doctest"], {})  # another blocked set: pytest's own
    other = pytest_config.get_config(["-p", "no:doctest"], None, prog="pytest.main()")
    assert other is not made and other.pluginmanager.has_plugin("cacheprovider")

    pytest_forkserver._start_from_server(argv, {})
    first = pytest_config.get_config(argv, None, prog="pytest.main()")
    second = pytest_config.get_config(argv, None, prog="pytest.main()")
    assert first is made and second is not made
    assert first.invocation_params.args == tuple(argv) and first.invocation_params.dir == tmp_path


def test_the_fixture_scan_reads_a_stand_in_only_where_it_finds_the_same():
    """What a fork's fixture scan reads in place of a plugin (pytest_forkserver._fixture_holder): a module's
    fixtures and wrappers, nothing for an instance of a class with neither; the plugin itself where a
    class attribute is a fixture or wraps one, and for a class or a module with its own __dir__."""
    import contextlib
    import functools
    import types

    from _pytest.fixtures import FixtureFunctionDefinition

    @pytest.fixture
    def answer():
        return 42

    def plain():
        pass

    module = types.ModuleType("plugin")
    module.answer, module.plain, module.number = answer, plain, 7
    module.wrapped = functools.wraps(plain)(lambda: None)
    stand_in = pytest_forkserver._fixture_holder(module, FixtureFunctionDefinition)
    assert isinstance(stand_in, types.ModuleType) and stand_in is not module
    assert {k for k in vars(stand_in) if not k.startswith("__")} == {"answer", "wrapped"}

    class Plain:
        size = 3

        def method(self):
            pass

        @classmethod
        def build(cls):
            return cls()

        @contextlib.contextmanager
        def managed(self):
            yield

        @property
        def shown(self):
            return 1

    class WithFixture(Plain):
        @pytest.fixture
        def own(self):
            return 1

    class WrapsFixture(Plain):
        hidden = staticmethod(answer)

    empty = pytest_forkserver._fixture_holder(Plain(), FixtureFunctionDefinition)
    assert isinstance(empty, types.ModuleType) and not [k for k in vars(empty) if not k.startswith("__")]
    for holder in (WithFixture(), WrapsFixture(), Plain):
        assert pytest_forkserver._fixture_holder(holder, FixtureFunctionDefinition) is holder
    module.__dir__ = lambda: ["answer"]
    assert pytest_forkserver._fixture_holder(module, FixtureFunctionDefinition) is module
