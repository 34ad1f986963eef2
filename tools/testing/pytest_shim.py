"""suture's pytest plugins and timing harness, for a project interpreter without suture installed.

The runner loads its plugins into the project's pytest (`-p suture.tools.testing.pytest_results_plugin`,
the coverage plugin) and forks quick runs from a warm pytest (pytest_forkserver). Under the
project's own interpreter (tools/testing/pyenv.py) `suture` may not be importable, and putting suture's
site-packages on that interpreter's path would mix two environments. So only those three
modules (they import the standard library, pytest and coverage, nothing else of suture) are
copied into a private directory as the package `suture_pytest_plugins`; that directory is
appended to the run's PYTHONPATH, where its unusual name shadows nothing. `optimize`'s timing
harness (tools/perf/harness.py: the standard library, tools/verify/values.py and tools/perf/inputs.py) is
copied beside them with values.py and inputs.py and run by its path.

Coverage for localisation, when the project's interpreter lacks it: suture's own coverage.py is
lent (its `coverage` package directory alone, appended to PYTHONPATH) to an interpreter of a
Python version that release supports (its Requires-Python). Its C tracer is built for suture's
version only, so another version traces with coverage's pure-Python tracer (slower, the same
per-test data; coverage_plugin picks it). A Python outside that range runs the tests without
per-test coverage, and localisation ranks from what the failures name (tools/testing/localize.py says
so); installing coverage in the project's environment, or another --python, brings the spectra back.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from suture.tools.testing.pyenv import probe

__all__ = ["PACKAGE", "coverage_path", "forkserver_script", "harness_command", "plugin_dir", "plugin_name"]

PACKAGE = "suture_pytest_plugins"
_HOME = "suture.tools.testing."
_MODULES = ("pytest_results_plugin", "coverage_plugin", "plugin_env", "pytest_forkserver", "angelic_plugin")
_STANDALONE = ("harness", "values", "inputs")  # harness is run by path and imports values, inputs from the package
_made: dict[str, str] = {}
_lock = threading.Lock()  # gates run in threads: one copy per process


def _cleanup(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def plugin_dir() -> str:
    """The directory (made once per process) holding the package with suture's plugin modules."""
    with _lock:
        return _made.get("plugins") or _make_plugin_dir()


def _make_plugin_dir() -> str:
    root = tempfile.mkdtemp(prefix="suture-plugins-")
    package = Path(root) / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text('"""suture\'s pytest plugins, copied for a foreign interpreter."""\n')
    tools = Path(__file__).parent.parent
    homes = {"harness": tools / "perf", "inputs": tools / "perf", "values": tools / "verify"}  # the plugins live beside this file
    for name in (*_MODULES, *_STANDALONE):
        shutil.copyfile(homes.get(name, tools / "testing") / f"{name}.py", package / f"{name}.py")
    atexit.register(_cleanup, root)
    _made["plugins"] = root
    return root


def plugin_name(module: str) -> str:
    """The name under which a foreign interpreter imports one of suture's plugins (others unchanged)."""
    short = module[len(_HOME):] if module.startswith(_HOME) else ""
    return f"{PACKAGE}.{short}" if short in _MODULES else module


def forkserver_script() -> str:
    """pytest_forkserver's copy, run by file path (its directory holds only the plugin modules)."""
    return str(Path(plugin_dir()) / PACKAGE / "pytest_forkserver.py")


def harness_command(python: str | None) -> list[str]:
    """How to start optimize's timing harness under `python` (None or this one: as a module of suture)."""
    if python in (None, sys.executable):
        return [sys.executable, "-m", "suture.tools.perf.harness"]
    return [python, str(Path(plugin_dir()) / PACKAGE / "harness.py")]


@functools.lru_cache(maxsize=None)
def _facts(python: str) -> tuple[str, bool] | None:
    found = probe(python)
    return (str(found["version"]), bool(found.get("coverage"))) if found else None


def _lent_coverage() -> str:
    """A directory holding only suture's own `coverage` package (a link to it)."""
    with _lock:
        if "coverage" in _made:
            return _made["coverage"]
        import coverage

        root = tempfile.mkdtemp(prefix="suture-coverage-")
        os.symlink(Path(coverage.__file__).parent, Path(root) / "coverage")
        atexit.register(_cleanup, root)
        _made["coverage"] = root
    return _made["coverage"]


def _supported(version: str) -> bool:
    """Does suture's coverage.py release run on this Python version (its Requires-Python floor)?"""
    from importlib import metadata

    wanted = [int(n) for n in version.split(".")[:2]]
    required = metadata.metadata("coverage").get("Requires-Python") or ""
    floor = next((part.strip()[2:] for part in required.split(",") if part.strip().startswith(">=")), "")
    try:
        return wanted >= [int(n) for n in floor.split(".")[:2]] if floor else wanted == list(sys.version_info[:2])
    except ValueError:
        return wanted == list(sys.version_info[:2])


def coverage_path(python: str) -> list[str] | None:
    """PYTHONPATH entries that let `python` import coverage: [] when it has its own, suture's own
    coverage when it supports that Python's version, None when per-test coverage cannot be had there.

    An interpreter that cannot be probed (an explicit `.venv/bin/pytest` script) gets [] and
    is trusted as before.
    """
    facts = _facts(python)
    if facts is None or facts[1]:
        return []
    if _supported(facts[0]):
        return [_lent_coverage()]
    return None
