"""Which Python runs the project's code: its tests, its coverage, its warm pytest.

suture is often installed once (pipx, a tools venv) and run on projects that keep their
own environment; their tests import packages only that environment has. So the tests
run under the project's interpreter, found in this order (the first that really runs):

1. `--python PATH` (or the `python` setting: $SUTURE_PYTHON, [tool.suture] python);
2. an active $VIRTUAL_ENV that is not suture's own;
3. the repo's own `.venv`, `venv` or `env` (a directory with a pyvenv.cfg: uv and plain venvs);
4. poetry's environment (`poetry env info --path`) when poetry is on PATH and the
   pyproject has [tool.poetry];
5. hatch's default environment (`hatch env find`) when hatch is on PATH and the pyproject
   has [tool.hatch];
6. suture's own interpreter.

A chosen interpreter that does not run is an error (one sentence naming --python and
--test-cmd), and so is a repo venv that is there but broken: falling back to suture's own
Python would only turn it into a wall of import errors. A poetry or hatch project whose
tool or environment is missing falls back, with a note, since many such projects are
installed where suture runs.

The other direction: the bounded verifier (CrossHair, Hypothesis) runs in suture's own
interpreter and imports the project's code there. When the project's Python is another
environment of the same version, `share_site_packages` names its site-packages, and
`verifier_path` gives suture's verifier children a `sitecustomize` that appends them after
suture's own: the project's dependencies import, suture's versions win where both have one.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suture.tools.childenv import project_env

__all__ = ["PythonEnv", "PythonEnvError", "find_python", "probe", "share_site_packages", "verifier_path"]

PROBE_TIMEOUT = 30.0
TOOL_TIMEOUT = 60.0
VENV_DIRS = (".venv", "venv", "env")
PROJECT_SITE_ENV = "SUTURE_PROJECT_SITE"  # the project's site-packages, for the verifier's children
FIX_HINT = "pass --python PATH to choose the interpreter, or --test-cmd CMD to run the tests your own way"

# What the probe reports: enough to tell whether it is suture's own interpreter, and what it can run.
_PROBE = (
    "import json, os, site, sys, importlib.util as u; "
    "print(json.dumps({'version': '%d.%d.%d' % sys.version_info[:3], 'prefix': os.path.realpath(sys.prefix), "
    "'pytest': u.find_spec('pytest') is not None, 'coverage': u.find_spec('coverage') is not None, "
    "'site': site.getsitepackages()}))"
)


class PythonEnvError(Exception):
    """The project's interpreter cannot be used; the message is one sentence for the user."""


@dataclass(frozen=True)
class PythonEnv:
    python: str  # the interpreter as found, not resolved: a venv is known by its own path
    version: str  # "3.11.7"
    source: str  # "--python", "$SUTURE_PYTHON", "[tool.suture] python", "$VIRTUAL_ENV", ".venv", "poetry", "hatch", "suture"
    own: bool  # suture's own interpreter (same sys.prefix): nothing to bridge
    has_pytest: bool
    has_coverage: bool
    notes: tuple[str, ...] = field(default=())  # candidates passed over, and why
    site: tuple[str, ...] = field(default=())  # its site-packages directories
    withheld_env: tuple[str, ...] = field(default=())  # names (never values) kept from its processes (tools/childenv.py)

    def to_dict(self) -> dict[str, Any]:
        return {"python": self.python, "version": self.version, "source": self.source,
                "withheld_env": list(self.withheld_env)}

    def sentence(self) -> str:
        """One line for stderr: which Python runs the project's code, and why that one."""
        why = {
            "suture": "suture's own",
            "$VIRTUAL_ENV": "the active virtualenv",
            "poetry": "poetry's environment",
            "hatch": "hatch's default environment",
        }.get(self.source, self.source)
        text = f"project Python: {self.python} (Python {self.version}, {why})"
        return text + (f"; {'; '.join(self.notes)}" if self.notes else "") + "."


def probe(python: str, cwd: Path | None = None) -> dict[str, Any] | None:
    """What `python` says about itself; None when it does not run as a Python."""
    try:
        done = subprocess.run(
            [python, "-c", _PROBE], cwd=cwd, env=project_env(), capture_output=True, text=True,
            timeout=PROBE_TIMEOUT, stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return None
    return found if isinstance(found, dict) and "version" in found else None


def _own_prefix() -> str:
    return os.path.realpath(sys.prefix)


def _env_python(directory: Path) -> Path:
    """The interpreter of a virtualenv directory."""
    if os.name == "nt":
        return directory / "Scripts" / "python.exe"
    return directory / "bin" / "python"


def _up_to_top(repo: Path) -> list[Path]:
    """`repo` and its parents up to the top of its git work tree (--repo may name a sub-directory)."""
    found = []
    for directory in (repo, *repo.parents):
        found.append(directory)
        if (directory / ".git").exists():
            return found
    return [repo]


def _pyproject(repo: Path) -> str:
    """The nearest pyproject.toml's text, "" when there is none."""
    for directory in _up_to_top(repo):
        try:
            return (directory / "pyproject.toml").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    return ""


def _tool_env(repo: Path, argv: list[str]) -> Path | None:
    """The environment directory a project tool (poetry, hatch) reports; None when it has none."""
    try:
        env = {k: v for k, v in project_env().items() if k != "VIRTUAL_ENV"}
        done = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        return None
    directory = Path(lines[0])
    return directory if directory.is_dir() else None


def _explicit(value: str, base: Path) -> str:
    """A --python value as a path: a bare name is looked up on PATH, a relative path from `base`."""
    if os.sep not in value and "/" not in value and not value.startswith("."):
        return shutil.which(value) or value
    path = Path(value).expanduser()
    return os.path.abspath(path if path.is_absolute() else base / path)


def find_python(repo: Path, chosen: str | None = None, chosen_source: str = "--python", *,
                strict: bool = True) -> PythonEnv:
    """The interpreter that runs the project's code in `repo`, and why that one (see the module doc).

    `chosen` is the user's --python (or `python` setting, named by `chosen_source`). Raises
    PythonEnvError with one sentence when the chosen interpreter, or (when `strict`: the tests
    are to run under it) the repo's venv, does not run; not `strict`, a broken venv is a note.
    """
    repo = Path(repo).resolve()
    own = _own_prefix()
    notes: list[str] = []

    def make(python: str, source: str, found: dict[str, Any]) -> PythonEnv:
        return PythonEnv(python, str(found["version"]), source, found.get("prefix") == own,
                         bool(found.get("pytest")), bool(found.get("coverage")), tuple(notes),
                         tuple(str(d) for d in found.get("site") or ()))

    if chosen:
        python = _explicit(chosen, Path.cwd() if chosen_source == "--python" else repo)
        if os.path.isdir(python):  # an environment's directory (--python .venv): its interpreter
            python = str(_env_python(Path(python)))
        found = probe(python, repo)
        if found is None:
            raise PythonEnvError(f"{chosen_source} {chosen} is not a Python interpreter that runs "
                                 f"({'no such file' if not os.path.exists(python) else 'it did not run as a Python'}); "
                                 f"{FIX_HINT}.")
        return make(python, chosen_source, found)

    active = os.environ.get("VIRTUAL_ENV")
    if active and os.path.realpath(active) != own:
        python = str(_env_python(Path(active)))
        found = probe(python, repo)
        if found is not None:
            return make(python, "$VIRTUAL_ENV", found)
        notes.append(f"$VIRTUAL_ENV {active} has no working Python")

    for directory in (top / name for top in _up_to_top(repo) for name in VENV_DIRS):
        if not (directory / "pyvenv.cfg").is_file():
            continue
        python = str(_env_python(directory))
        found = probe(python, repo)
        if found is None:
            if not strict:
                notes.append(f"{directory} has no Python that runs")
                continue
            raise PythonEnvError(f"the project's environment {directory} has no Python that runs ({python}); "
                                 f"recreate it, or {FIX_HINT}.")
        return make(python, directory.name, found)

    pyproject = _pyproject(repo)
    for tool, marker, argv in (("poetry", "[tool.poetry]", ["poetry", "env", "info", "--path"]),
                               ("hatch", "[tool.hatch", ["hatch", "env", "find"])):
        if marker not in pyproject:
            continue
        if shutil.which(tool) is None:
            notes.append(f"the pyproject uses {tool} but {tool} is not on PATH")
            continue
        directory = _tool_env(repo, argv)
        found = probe(str(_env_python(directory)), repo) if directory is not None else None
        if found is None:
            notes.append(f"{tool} has no environment for this project yet")
            continue
        return make(str(_env_python(directory)), tool, found)

    import importlib.util

    here = {"version": "%d.%d.%d" % sys.version_info[:3], "prefix": own,
            "pytest": importlib.util.find_spec("pytest") is not None,
            "coverage": importlib.util.find_spec("coverage") is not None}
    return make(sys.executable, "suture", here)


def share_site_packages(env: PythonEnv) -> bool:
    """Let this process's verifier children import the project's packages (see the module doc):
    only from another environment of suture's own Python version, whose C extensions load here."""
    same = env.version.split(".")[:2] == [str(n) for n in sys.version_info[:2]]
    if env.own or not same or not env.site:
        return False
    os.environ[PROJECT_SITE_ENV] = os.pathsep.join(env.site)
    return True


_SITECUSTOMIZE = '''"""Made by suture (tools/testing/pyenv.py): the project's site-packages after suture's own."""
import importlib.machinery, os, site, sys

_here = os.path.dirname(os.path.abspath(__file__))
for _dir in os.environ.get("SUTURE_PROJECT_SITE", "").split(os.pathsep):
    if _dir:
        site.addsitedir(_dir)  # appended, with its .pth files (editable installs)
# Any sitecustomize this one hides still runs.
_spec = importlib.machinery.PathFinder.find_spec(
    "sitecustomize", [p for p in sys.path if os.path.abspath(p or ".") != _here])
if _spec is not None and _spec.origin and os.path.isfile(_spec.origin):
    with open(_spec.origin, encoding="utf-8") as _fh:
        exec(compile(_fh.read(), _spec.origin, "exec"), {"__name__": "sitecustomize", "__file__": _spec.origin})
'''
_bridge: list[str] = []


def verifier_path() -> list[str]:
    """PYTHONPATH entries for a verifier child: the sitecustomize above when the project's
    packages are shared (share_site_packages), else none."""
    if not os.environ.get(PROJECT_SITE_ENV):
        return []
    if not _bridge:
        directory = tempfile.mkdtemp(prefix="suture-site-")
        Path(directory, "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
        atexit.register(shutil.rmtree, directory, True)
        _bridge.append(directory)
    return list(_bridge)


def require_pytest(env: PythonEnv) -> None:
    """Refuse, in one sentence, a detected pytest run under an interpreter without pytest."""
    if not env.has_pytest:
        raise PythonEnvError(f"the project's Python {env.python} ({env.source}) has no pytest; install pytest "
                             f"there, or {FIX_HINT}.")
