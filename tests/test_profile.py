"""tools/perf/profile.py: real cProfile runs of a small repo, mapped through a real SymbolIndex."""

from __future__ import annotations

import sys

import pytest

from suture.retrieval.index import SymbolIndex
from suture.tools.perf.profile import Hotspot, ProfileError, hotspots, profile
from suture.tools.perf.timing import Runner

# slow_lookup: quadratic list membership (its own Python time); Table.rebuild: a decorated
# method doing the same; hash_heavy: nearly all of its time inside C hashing; tiny: next to nothing;
# comprehension_lookup: quadratic membership inside a list comprehension.
WORK = """
    import hashlib


    def slow_lookup(n):
        seen = []
        for i in range(n):
            if i not in seen:
                seen.append(i)
        return len(seen)


    def keep(function):
        return function


    class Table:
        @keep
        def rebuild(self, n):
            rows = []
            for i in range(n):
                if -i not in rows:
                    rows.append(-i)
            return rows


    def hash_heavy(n):
        data = b"x".ljust(n, b"x")  # built in C too: `b"x" * n` would be its own bytecode's time
        for _ in range(20):  # few C calls on a big buffer: its own bytecode takes next to no time (the
            # old 100 calls on a buffer built by `b"x" * n` measured 0.85 C under load, against 0.9 asked)
            digest = hashlib.sha256(data).hexdigest()
        return digest


    def tiny():
        return 1


    def comprehension_lookup(n):
        wanted = list(range(n))
        return [i for i in range(n) if -i in wanted]
"""

MAIN = """
    import sys
    from pkg.work import Table, comprehension_lookup, hash_heavy, slow_lookup, tiny

    def main(scale):
        slow_lookup(3000 * scale)
        Table().rebuild(1000 * scale)
        hash_heavy(2_000_000)
        tiny()
        comprehension_lookup(1000 * scale)

    if __name__ == "__main__":
        main(int(sys.argv[1]))
"""


@pytest.fixture(scope="module")
def profiled(tmp_path_factory):
    from conftest import init_repo

    repo = init_repo(
        tmp_path_factory.mktemp("profile") / "repo",
        {"pkg/__init__.py": "", "pkg/work.py": WORK, "bench.py": MAIN},
        commit=True,
    )
    index = SymbolIndex.build(repo, workers=1, use_cache=False)
    stats = profile(Runner([sys.executable, "bench.py", "1"], repo))
    return repo, index, stats


def test_the_slow_functions_come_first_named_by_the_index(profiled):
    repo, index, stats = profiled
    spots = hotspots(stats, repo, index)
    assert all(isinstance(spot, Hotspot) for spot in spots)
    names = [spot.function for spot in spots]
    assert names[0] == "slow_lookup"
    rebuild = spots[names.index("Table.rebuild")]  # a decorated method: its code starts at the decorator
    assert (rebuild.start_line, rebuild.end_line) == (18, 24)
    assert "hash_heavy" not in names  # over 90% of its time in C
    top = spots[0]
    assert top.path == "pkg/work.py"
    assert (top.start_line, top.end_line) == (5, 10)
    assert 0 < top.own_seconds <= top.cumulative_seconds
    assert 0 < top.share <= 1
    assert top.c_share < 0.5  # list membership is bytecode, not a C call
    assert "tiny" not in names  # far under 1% of the run
    assert all(spot.path in ("pkg/work.py", "bench.py") for spot in spots)
    assert top.to_dict()["function"] == "slow_lookup"


def test_a_comprehension_is_part_of_its_function(profiled):
    repo, index, stats = profiled
    spot = {spot.function: spot for spot in hotspots(stats, repo, index)}["comprehension_lookup"]
    # The quadratic membership test runs in the <listcomp> code object, inside the function.
    assert spot.own_seconds > spot.cumulative_seconds / 2
    assert spot.c_share < 0.5


def test_functions_mostly_in_c_are_dropped(profiled):
    repo, index, stats = profiled
    kept = {spot.function: spot for spot in hotspots(stats, repo, index, max_c_share=1.0)}
    assert kept["hash_heavy"].c_share > 0.9
    assert kept["slow_lookup"].c_share < 0.5
    assert "hash_heavy" not in [spot.function for spot in hotspots(stats, repo, index, max_c_share=0.5)]


def test_a_function_in_c_names_the_c_functions_it_calls(profiled):
    repo, index, stats = profiled
    kept = {spot.function: spot for spot in hotspots(stats, repo, index, max_c_share=1.0)}
    assert "_hashlib.openssl_sha256" in kept["hash_heavy"].c_calls  # what the report's "in C" sentence names
    assert kept["slow_lookup"].c_calls == ("list.append",)  # its only C call, however small


@pytest.mark.parametrize("entry, name", [
    ("<built-in method builtins.sorted>", "sorted"),
    ("<built-in method _hashlib.openssl_sha256>", "_hashlib.openssl_sha256"),
    ("<method 'sub' of 're.Pattern' objects>", "re.Pattern.sub"),
    ("<method 'append' of 'list' objects>", "list.append"),
])
def test_c_function_names_are_written_as_people_write_them(entry, name):
    from suture.tools.perf.profile import c_function_name

    assert c_function_name(entry) == name


SPAWNS = """
    import concurrent.futures, os, subprocess, sys, threading

    def work():
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        os.system("true")
        thread = threading.Thread(target=len, args=([],))
        thread.start()
        thread.join()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(abs, range(4)))
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)

    if __name__ == "__main__":
        work()
"""


def test_the_processes_and_threads_a_profiled_run_starts_are_counted(tmp_path):
    import textwrap

    from suture.tools.perf.profile import profile_with_lines

    (tmp_path / "spawns.py").write_text(textwrap.dedent(SPAWNS))
    (tmp_path / "plain.py").write_text("print(sorted(range(1000))[0])\n")
    started = profile_with_lines(Runner([sys.executable, "spawns.py"], tmp_path), tmp_path).started
    # Named by the module that started them; subprocess's own fork is part of its Popen, not counted twice.
    assert started.processes == {"subprocess": 1, "os.system": 1, "os.fork": 1}, started
    assert started.threads.get("threading") == 1 and 1 <= started.threads.get("concurrent.futures", 0) <= 2, started
    plain = profile_with_lines(Runner([sys.executable, "plain.py"], tmp_path), tmp_path).started
    assert plain.processes == {} and plain.threads == {}
    # A function target through the harness: what its module does once at import is set-up, as make_input is,
    # and not counted; what the calls start is.
    (tmp_path / "lib.py").write_text(textwrap.dedent("""
        import subprocess, sys, threading
        subprocess.run([sys.executable, "-c", "pass"], check=True)

        def count(n):
            thread = threading.Thread(target=len, args=([],))
            thread.start()
            thread.join()
            return sum(range(n))
    """))
    (tmp_path / "work.py").write_text("def make_input(scale):\n    return (1000 * scale,)\n")
    harness = [sys.executable, "-m", "suture.tools.perf.harness", "time", "--root", str(tmp_path), "--target",
               "lib:count", "--workload", str(tmp_path / "work.py")]
    target = profile_with_lines(Runner(harness, tmp_path, {"SUTURE_HARNESS_CALLS": "2"}), tmp_path).started
    assert target.processes == {} and target.threads == {"threading": 2}, target


def test_min_share_drops_small_functions_and_limit_cuts(profiled):
    repo, index, stats = profiled
    everything = hotspots(stats, repo, index, min_share=0.0, max_c_share=1.0, limit=100)
    names = [spot.function for spot in everything]
    assert "tiny" in names and "main" in names
    strict = hotspots(stats, repo, index, min_share=0.2, max_c_share=1.0)
    assert "tiny" not in [spot.function for spot in strict]
    assert all(spot.share >= 0.2 for spot in strict)
    assert len(hotspots(stats, repo, index, min_share=0.0, max_c_share=1.0, limit=2)) == 2


def test_module_form_and_the_raw_stats_dict(profiled):
    repo, index, _ = profiled
    (repo / "pkg" / "__main__.py").write_text("from pkg.work import slow_lookup\nslow_lookup(3000)\n")
    stats = profile(Runner([sys.executable, "-X", "utf8", "-m", "pkg"], repo))
    spots = hotspots(stats.stats, repo, index)
    assert spots[0].function == "slow_lookup"


def test_a_failing_command_is_an_error(tmp_path):
    (tmp_path / "fails.py").write_text("import sys\nprint('bad input', file=sys.stderr)\nsys.exit(4)\n")
    with pytest.raises(ProfileError, match="failed with exit code 4: bad input"):
        profile(Runner([sys.executable, "fails.py"], tmp_path))


def test_a_hanging_command_is_stopped(tmp_path):
    (tmp_path / "hangs.py").write_text("import time\ntime.sleep(60)\n")
    with pytest.raises(ProfileError, match="longer than 1 s"):
        profile(Runner([sys.executable, "hangs.py"], tmp_path), time_limit=1)


@pytest.mark.parametrize(
    "argv",
    [["bash", "-c", "true"], [sys.executable, "-c", "pass"], [sys.executable], []],
)
def test_only_python_scripts_and_modules_are_profiled(tmp_path, argv):
    with pytest.raises(ProfileError) as error:
        profile(Runner(argv, tmp_path))
    assert "\n" not in str(error.value)
