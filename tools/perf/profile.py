"""Where does a Python command spend its time? cProfile, mapped onto the repo's symbols.

`profile` runs the command under cProfile in a fresh process (its own process group, killed
at the time limit) and returns the loaded `pstats.Stats`; `profile_with_lines` adds the line
samples (tools/perf/lines.py) and the processes and threads it started (tools/perf/spawns.py).
`hotspots` keeps the functions defined in files under the repo root, named as the SymbolIndex
names them, best first.

Definitions (all seconds are cProfile's, so they include its overhead, and are CPU seconds of the profiled
thread: with the wall clock, a wait for a core on a loaded machine was booked to whatever ran before it, so
a function nearly all in C came out with a 0.63 C share in 2 of 6 runs at load 15 (0.995 in the others),
and a function timed by CPU (tools/perf/harness.py) was ranked by waiting it does not do. A clock read per
call and return costs more than the wall clock's, ~0.8 us each, on a target's few profiled calls):
- own: the function's tottime plus the tottime of the comprehensions, generator expressions
  and lambdas in its body (separate code objects to cProfile, but edits of this function).
- self time: own time plus the own time of the builtins and C functions it calls directly
  (pstats entries whose file is "~": `sorted`, `list.append`, `re.Pattern.sub`). That is
  the time an edit of this function's body can remove; time in other Python functions is
  theirs (they are listed themselves when they are in the repo). Calls of types
  (`list(...)`, `dict(...)`) are not C functions to cProfile: their time counts as own.
- share: the function's cumulative time over the total profiled time (the sum of every
  entry's own time, i.e. the whole run).
- c_share: the C part of its self time over its cumulative time. A function whose time is
  nearly all inside C code (c_share > max_c_share) is as fast as rewriting its Python gets;
  c_calls names the C functions that take that time, for the report's sentence about it
  (agent/optimize/unsuitable.py).
Functions whose share or self time is under `min_share` of the total are dropped; the rest
are ordered by self time.
"""

from __future__ import annotations

import os
import pstats
import re
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from suture.retrieval.index import SymbolIndex
from suture.retrieval.model import CLASS, Symbol, innermost_symbol
from suture.tools.childenv import project_env
from suture.tools.perf.lines import SAMPLER, LineSamples, hot_lines
from suture.tools.perf.spawns import WATCHER, Started
from suture.tools.perf.timing import Runner, run_process

# Runs a script or module under cProfile like `python -m cProfile -o OUT ...`, except that
# the profiled program's exit status is kept (cProfile's own main swallows SystemExit, which
# would make a failing command look like a good profile) and file names are absolute.
_DRIVER = """\
import cProfile, os, runpy, sys, time
out, lines_out, root, kind, target, *args = sys.argv[1:]
if kind == "script":
    target = os.path.abspath(target)
    run = lambda: runpy.run_path(target, run_name="__main__")
else:
    run = lambda: runpy.run_module(target, run_name="__main__", alter_sys=True)
if not getattr(sys.flags, "safe_path", False):  # -I / -P: python adds no directory, nor do we
    sys.path[0] = os.path.dirname(target) if kind == "script" else os.getcwd()
sys.argv = [target, *args]
finish = start_line_sampler(root, lines_out) if lines_out else None
spawns = watch_spawns()
profiler = cProfile.Profile(time.thread_time)  # CPU time: a wait for a core is nobody's time (module docstring)
class _Unprofiled:
    # tools/perf/harness.py builds a function target's inputs (make_input) inside this, so the profile and
    # the line samples hold the target's calls only, not the workload's set-up
    def __enter__(self):
        profiler.disable()
        spawns.paused = True
        if finish is not None:
            finish.pause()
    def __exit__(self, *exc):
        if finish is not None:
            finish.resume()
        spawns.paused = False
        profiler.enable()
sys.suture_unprofiled = _Unprofiled()
owner = os.getpid()
try:
    profiler.runcall(run)
finally:
    if os.getpid() == owner:  # a forked child that returned into this driver leaves the parent's record alone
        profiler.dump_stats(out)
        spawns.write(out + ".spawns.json")
        if finish is not None:
            finish()
"""

_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)*)?$")
_OPTIONS_WITH_VALUE = {"-W", "-X", "--check-hash-based-pycs"}


class ProfileError(Exception):
    """The command cannot be profiled; one sentence."""


@dataclass(frozen=True)
class Hotspot:
    path: str  # repo-relative path of the function's file
    function: str  # qualname as the SymbolIndex names it ("Class.method", "outer.inner")
    start_line: int
    end_line: int
    own_seconds: float  # tottime, its comprehensions' and lambdas' included
    cumulative_seconds: float  # cumtime
    share: float  # cumulative_seconds / total profiled seconds
    c_share: float  # share of its cumulative time spent in builtins / C functions it calls
    # the C functions it calls directly that take most of that time, costliest first ("sorted", "re.Pattern.sub")
    c_calls: tuple = ()
    # its costliest lines, best first: {line, share of its line samples, samples, text} (tools/perf/lines.py)
    lines: tuple = ()

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Profiled:
    """One profiled run: cProfile's stats, the line samples (empty unless asked for), and the processes
    and threads the command started while profiled (tools/perf/spawns.py)."""

    stats: pstats.Stats
    samples: LineSamples
    started: Started


def profile(runner: Runner, *, time_limit: float = 120.0) -> pstats.Stats:
    """cProfile `runner` (python [options] SCRIPT args | python [options] -m MODULE args)."""
    return _profile(runner, time_limit, None).stats


def profile_with_lines(runner: Runner, root: Path, *, time_limit: float = 120.0) -> Profiled:
    """`profile`, with the line sampler (tools/perf/lines.py) counting the lines of files under `root`."""
    return _profile(runner, time_limit, root)


def _profile(runner: Runner, time_limit: float, root: Path | None) -> Profiled:
    with tempfile.TemporaryDirectory(prefix="suture-profile-") as scratch:
        out, lines_out = Path(scratch) / "profile.pstats", Path(scratch) / "lines.json"
        driver = WATCHER + (SAMPLER + _DRIVER if root is not None else _DRIVER)
        run_driver(runner, driver, [str(out), str(lines_out) if root is not None else "", str(root or "")],
                   time_limit, "The profiled command", writable=[Path(scratch)])
        if not out.is_file():
            raise ProfileError("The profiled command wrote no profile (it replaced its own process).")
        samples = LineSamples.read(lines_out) if root is not None else LineSamples(0, {})
        return Profiled(pstats.Stats(str(out)), samples, Started.read(Path(str(out) + ".spawns.json")))


def run_driver(runner: Runner, driver: str, driver_args: list[str], time_limit: float, what: str, *,
               writable: list[Path]) -> None:
    """Run `runner`'s Python program under `driver` (a `python -c` script that gets driver_args, then
    "script"|"module", the target and its arguments), confined like the tests with `writable` (where the
    driver writes its record) open to it; ProfileError, one sentence about `what`, when it fails."""
    interpreter, options, kind, target, args = _split_python(runner.argv)
    env = {**project_env(), **(runner.env or {}), "PYTHONHASHSEED": "0"}
    argv = [interpreter, *options, "-c", driver, *driver_args, kind, target, *args]
    try:
        _, stderr, code, _ = run_process(argv, Path(runner.cwd), env, time_limit, writable=writable)
    except subprocess.TimeoutExpired:
        raise ProfileError(f"{what} ran longer than {time_limit:g} s and was stopped.") from None
    except OSError as error:
        raise ProfileError(f"{what} cannot be started: {error.strerror or error}.") from None
    if code != 0:
        last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
        raise ProfileError(f"{what} failed with exit code {code}" + (f": {last}" if last else "."))


def _split_python(argv: list[str]) -> tuple[str, list[str], str, str, list[str]]:
    """(interpreter, its options, "script" | "module", script path or module name, arguments)."""
    if not argv or not _PYTHON.match(Path(argv[0]).name):
        shown = argv[0] if argv else "an empty command"
        raise ProfileError(f"Only Python commands can be profiled (python SCRIPT or python -m MODULE), not {shown}.")
    options: list[str] = []
    rest = argv[1:]
    while rest and rest[0].startswith("-") and rest[0] not in ("-m", "-c", "-"):
        option = rest.pop(0)
        options.append(option)
        if option in _OPTIONS_WITH_VALUE and rest:
            options.append(rest.pop(0))
    if rest[:1] == ["-m"] and len(rest) >= 2:
        return argv[0], options, "module", rest[1], rest[2:]
    if rest and not rest[0].startswith("-"):
        return argv[0], options, "script", rest[0], rest[1:]
    raise ProfileError("Only a Python script or a -m module can be profiled, not python -c or standard input.")


def hotspots(
    stats: pstats.Stats | dict,
    root: Path,
    index: SymbolIndex,
    *,
    min_share: float = 0.01,
    max_c_share: float = 0.9,
    limit: int = 10,
    samples: LineSamples | None = None,
) -> list[Hotspot]:
    """The repo's functions that take the most time, best (most self time) first; with `samples`,
    each with its costliest lines."""
    raw = stats.stats if isinstance(stats, pstats.Stats) else stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    if total <= 0:
        return []
    # Own time of each C function per calling function: callers map caller -> (cc, nc, tt, ct).
    c_time: dict[tuple, float] = {}
    c_named: dict[tuple, dict[str, float]] = {}  # caller -> C function's name -> its own seconds under that caller
    for (filename, _, c_name), (_, _, _, _, callers) in raw.items():
        if filename == "~":
            for caller, edge in callers.items():
                c_time[caller] = c_time.get(caller, 0.0) + edge[2]
                named = c_named.setdefault(caller, {})
                named[c_function_name(c_name)] = named.get(c_function_name(c_name), 0.0) + edge[2]

    real_root = os.path.realpath(root)
    # symbol -> [own seconds, cumulative seconds, C seconds]
    totals: dict[Symbol, list[float]] = {}
    calls: dict[Symbol, dict[str, float]] = {}  # symbol -> the C functions it calls -> seconds
    for key, (_, _, tottime, cumtime, _) in raw.items():
        filename, line, name = key
        if filename == "~" or name == "<module>":
            continue
        path = _relative(filename, real_root)
        if path is None:
            continue
        # A comprehension, generator expression or lambda is its own code object (named
        # "<listcomp>" etc.) but part of the enclosing function's body: its time is that
        # function's own time (its cumulative time is already inside the function's).
        anonymous = name.startswith("<")
        symbol = _symbol_at(index, path, None if anonymous else name, line)
        if symbol is None:
            continue
        row = totals.setdefault(symbol, [0.0, 0.0, 0.0])
        row[0] += tottime
        row[1] += 0.0 if anonymous else cumtime
        row[2] += c_time.get(key, 0.0)
        for c_name, seconds in c_named.get(key, {}).items():
            calls.setdefault(symbol, {})[c_name] = calls.get(symbol, {}).get(c_name, 0.0) + seconds

    found: list[tuple[float, Hotspot]] = []
    for symbol, (own, cumulative, c_seconds) in totals.items():
        if cumulative <= 0:
            continue
        self_seconds = own + c_seconds
        spot = Hotspot(
            path=symbol.path,
            function=symbol.qualname,
            start_line=symbol.start_line,
            end_line=symbol.end_line,
            own_seconds=own,
            cumulative_seconds=cumulative,
            share=cumulative / total,
            c_share=min(1.0, c_seconds / cumulative),
            c_calls=_costliest(calls.get(symbol, {}), c_seconds),
        )
        if spot.share < min_share or self_seconds / total < min_share or spot.c_share > max_c_share:
            continue
        found.append((self_seconds, spot))
    found.sort(key=lambda item: (-item[0], item[1].path, item[1].start_line))
    spots = [spot for _, spot in found[:limit]]
    return [_with_lines(spot, samples, real_root) for spot in spots] if samples and samples.samples else spots


def c_function_name(entry: str) -> str:
    """A C function as people write it, from cProfile's name: "<built-in method builtins.sorted>" is
    "sorted", "<method 'sub' of 're.Pattern' objects>" is "re.Pattern.sub"."""
    method = re.fullmatch(r"<method '(.+)' of '(.+)' objects>", entry)
    if method:
        return f"{method[2]}.{method[1]}"
    built_in = re.fullmatch(r"<built-in method (.+)>", entry)
    if built_in:
        return built_in[1].removeprefix("builtins.")
    return entry.strip("<>")


def _costliest(calls: dict[str, float], c_seconds: float, limit: int = 3) -> tuple:
    """The C functions that take at least a tenth of a function's C time, costliest first (at most `limit`)."""
    ranked = sorted(calls.items(), key=lambda item: (-item[1], item[0]))
    return tuple(name for name, seconds in ranked[:limit] if c_seconds > 0 and seconds >= 0.1 * c_seconds)


def _with_lines(spot: Hotspot, samples: LineSamples, real_root: str) -> Hotspot:
    from dataclasses import replace

    relative = LineSamples(samples.samples, {(path, line): count for (name, line), count in samples.counts.items()
                                             if (path := _relative(name, real_root)) == spot.path})
    try:
        source = (Path(real_root) / spot.path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        source = None
    return replace(spot, lines=tuple(hot_lines(relative, spot.path, spot.start_line, spot.end_line, source)))


def _relative(filename: str, real_root: str) -> str | None:
    if not os.path.isabs(filename):
        return None  # frozen modules and the like: not a file of the repo
    real = os.path.realpath(filename)
    if os.path.commonpath([real, real_root]) != real_root:
        return None
    return Path(os.path.relpath(real, real_root)).as_posix()


def _symbol_at(index: SymbolIndex, path: str, name: str | None, line: int) -> Symbol | None:
    """The innermost function or method (called `name`, unless None) whose lines hold `line`
    (a code object's first line: for a decorated function its first decorator's line, which
    is also where the index starts the symbol)."""
    return innermost_symbol(
        [s for s in index.symbols_in(path) if s.kind != CLASS and (name is None or s.name == name)], line)
