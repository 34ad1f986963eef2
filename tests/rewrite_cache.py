"""pytest's rewritten test modules cached once per source, where PYTHONDONTWRITEBYTECODE forbids pytest to.

pytest rewrites the asserts of every test module, conftest and plugin package it imports (Hypothesis and
anyio whole: they ship pytest plugins) and caches the result in `__pycache__/*-pytest-*.pyc`, keyed by the
source's hash. With PYTHONDONTWRITEBYTECODE set (this machine sets it globally) it never writes that cache,
though it still reads it: every xdist worker rewrote ~230 modules at every start (collecting the whole
suite took 8.8 CPU-s a process at load 15, 2.2 with the cache), and the controller its ~45 plugin modules. `write_rewritten` writes what is missing
or stale, once, from the process that starts the workers; the code is pytest's own rewrite of the same
source, so what runs is the same either way. pytest's private helpers are used (pinned in
requirements/ci.lock); if they change, nothing is cached and the suite runs as before.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import sys
from pathlib import Path


def write_rewritten(config, tests_dir: Path, plugin_dirs=()) -> int:
    """Write pytest's rewritten-module cache for the test files of `tests_dir`, the plugin packages
    marked for rewriting and the pytest plugins in `plugin_dirs` (suture's, which each pytest that suture
    starts is given with `-p`, and so rewrites); return how many files were (re)written."""
    if not sys.dont_write_bytecode:
        return 0  # pytest writes its own cache
    try:
        from _pytest.assertion.rewrite import (
            PYC_TAIL, _rewrite_test, _write_pyc, assertstate_key, get_cache_dir,
        )

        state = config.stash[assertstate_key]
        hook = state.hook
    except (ImportError, KeyError, AttributeError):
        return 0  # another pytest, or `--assert=plain`: nothing to cache
    if hook is None:
        return 0
    written = 0
    sources = _sources(config, tests_dir, getattr(hook, "_must_rewrite", ())) + _plugins(plugin_dirs)
    for source in sources:
        cache = get_cache_dir(source)
        pyc = cache / (source.name[:-3] + PYC_TAIL)
        if _current(source, pyc):
            continue
        try:
            cache.mkdir(parents=True, exist_ok=True)
            source_hash, code = _rewrite_test(source, config)
        except (OSError, SyntaxError, ValueError):  # ValueError: undecodable text, a null byte
            continue  # pytest reports it when it imports the module
        written += _write_pyc(state, code, source_hash, pyc)
    return written


def _current(source: Path, pyc: Path) -> bool:
    """Whether `pyc` holds pytest's rewrite of `source` as it is now: the header pytest's `_read_pyc`
    checks (magic, checked-hash flags, the source's hash), without unmarshalling the code (a third of
    the cost of rewriting a big module)."""
    try:
        with open(pyc, "rb") as handle:
            header = handle.read(16)
        source_hash = importlib.util.source_hash(source.read_bytes())
    except OSError:
        return False
    return header == importlib.util.MAGIC_NUMBER + b"\x03\x00\x00\x00" + source_hash[:8]


def _plugins(folders) -> list[Path]:
    """The modules in `folders` that implement a pytest hook at their top level (pytest rewrites a
    module named with `-p`, as it rewrites a plugin package)."""
    from _pytest import hookspec

    hooks = {name for name in dir(hookspec) if name.startswith("pytest_")}
    found = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if any(line.startswith("def ") and line[4:].split("(", 1)[0] in hooks for line in text.splitlines()):
                found.append(path)
    return found


def _sources(config, tests_dir: Path, marked) -> list[Path]:
    patterns = config.getini("python_files")
    files = [p for p in sorted(tests_dir.glob("*.py"))
             if p.name == "conftest.py" or any(fnmatch.fnmatch(p.name, pattern) for pattern in patterns)]
    for name in sorted(marked):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        origin = Path(spec.origin)
        if spec.submodule_search_locations:
            for folder in spec.submodule_search_locations:
                for root, dirs, names in os.walk(folder):
                    dirs[:] = [d for d in dirs if d != "__pycache__"]
                    files += [Path(root) / n for n in sorted(names) if n.endswith(".py")]
        else:
            files.append(origin)
    return files
