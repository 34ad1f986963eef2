"""suture's pytest plugins and timing harness, for a project interpreter without suture installed.

The runner loads its plugins into the project's pytest (`-p suture.tools.pytest_results_plugin`,
the coverage plugin) and forks quick runs from a warm pytest (pytest_forkserver). Under the
project's own interpreter (tools/pyenv.py) `suture` may not be importable, and putting suture's
site-packages on that interpreter's path would mix two environments. So only those three
modules (they import the standard library, pytest and coverage, nothing else of suture) are
copied into a private directory as the package `suture_pytest_plugins`; that directory is
appended to the run's PYTHONPATH, where its unusual name shadows nothing. `optimize`'s timing
harness (tools/harness.py, standard library only) is copied beside them and run by its path.

Coverage for localisation, when the project's interpreter lacks it: coverage.py's tracer is a
C extension built for one Python version, so suture's own copy is lent (its `coverage` package
directory alone, appended to PYTHONPATH) only to an interpreter of the same major.minor
version. Otherwise the tests run without per-test coverage and localisation ranks from the
failing tests' tracebacks alone (tools/localize.py says so); installing coverage in the project's
environment, or choosing another interpreter with --python, brings the spectra back.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path

from suture.tools.pyenv import probe

__all__ = ["PACKAGE", "coverage_path", "forkserver_script", "harness_command", "plugin_dir", "plugin_name"]

PACKAGE = "suture_pytest_plugins"
_HOME = "suture.tools."
_MODULES = ("pytest_results_plugin", "coverage_plugin", "pytest_forkserver")
_STANDALONE = ("harness",)  # run by path, never imported by name
_made: dict[str, str] = {}


def _cleanup(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def plugin_dir() -> str:
    """The directory (made once per process) holding the package with suture's plugin modules."""
    if "plugins" not in _made:
        root = tempfile.mkdtemp(prefix="suture-plugins-")
        package = Path(root) / PACKAGE
        package.mkdir()
        (package / "__init__.py").write_text('"""suture\'s pytest plugins, copied for a foreign interpreter."""\n')
        here = Path(__file__).parent
        for name in (*_MODULES, *_STANDALONE):
            shutil.copyfile(here / f"{name}.py", package / f"{name}.py")
        atexit.register(_cleanup, root)
        _made["plugins"] = root
    return _made["plugins"]


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
        return [sys.executable, "-m", "suture.tools.harness"]
    return [python, str(Path(plugin_dir()) / PACKAGE / "harness.py")]


@functools.lru_cache(maxsize=None)
def _facts(python: str) -> tuple[str, bool] | None:
    found = probe(python)
    return (str(found["version"]), bool(found.get("coverage"))) if found else None


def _lent_coverage() -> str:
    """A directory holding only suture's own `coverage` package (a link to it)."""
    if "coverage" not in _made:
        import coverage

        root = tempfile.mkdtemp(prefix="suture-coverage-")
        os.symlink(Path(coverage.__file__).parent, Path(root) / "coverage")
        atexit.register(_cleanup, root)
        _made["coverage"] = root
    return _made["coverage"]


def coverage_path(python: str) -> list[str] | None:
    """PYTHONPATH entries that let `python` import coverage: [] when it has its own, suture's own
    coverage when the Python versions match, None when per-test coverage cannot be had there.

    An interpreter that cannot be probed (an explicit `.venv/bin/pytest` script) gets [] and
    is trusted as before.
    """
    facts = _facts(python)
    if facts is None or facts[1]:
        return []
    if facts[0].split(".")[:2] == [str(n) for n in sys.version_info[:2]]:
        return [_lent_coverage()]
    return None
