"""suture's settings and where each value came from.

Precedence, highest first: command-line options > `SUTURE_*` environment
variables > `[tool.suture]` in the repository's pyproject.toml > defaults.
Keys in pyproject.toml may be written with `_` or `-` (`map_tokens`, `map-tokens`).
"""

from __future__ import annotations

import math
import os
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suture.agent.exitcodes import ExitCode, SutureExit

CLI, ENV, PYPROJECT, DEFAULT = "cli", "env", "pyproject", "default"
ENV_PREFIX = "SUTURE_"
COMMAND_LINE = "the command line"


@dataclass(frozen=True)
class Spec:
    """One setting: its type, default, lower bound and what it is for."""

    name: str
    type: type  # str, int or float
    default: Any
    help: str
    optional: bool = False  # None is a valid value ("not set")
    minimum: float | None = None

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


SPECS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec("model", str, None, "litellm model name; unset: the offline rule engine alone", optional=True),
        Spec("api_base", str, None, "base URL of an OpenAI-compatible server (vLLM, llama.cpp) for the model",
             optional=True),
        Spec("max_cost", float, 1.0, "budget per run in US dollars of model calls", minimum=0),
        Spec("time_limit", float, 900.0, "budget per run in seconds of wall time", minimum=1),
        Spec("test_cmd", str, None, "command that runs the repository's tests; unset: detected", optional=True),
        Spec("python", str, None, "interpreter that runs the project's tests and code; unset: detected "
             "($VIRTUAL_ENV, the repo's .venv, poetry, hatch, else suture's own)", optional=True),
        Spec("test_timeout", float, 20.0, "seconds one test may run at HEAD before it counts as hanging "
             "(reported and left out of every candidate run)", minimum=1),
        Spec("sandbox", str, "auto", "where tests and verifiers run: bwrap (bubblewrap: read-only system, no "
             "network, own PID namespace), none (a run leader: subreaper, parent-death signal), or auto "
             "(bwrap when it is installed and works)"),
        Spec("memory_limit", str, "4G", "memory cap of each test process (RLIMIT_DATA), e.g. 4G or 512M; 0: none"),
        Spec("callgrind", str, "auto", "optimize's instruction count of an accepted edit under valgrind's callgrind, "
             "beside its timing: auto (when valgrind is installed) or off (timing alone)"),
        Spec("mutation_share", float, 0.5, "`localize --mutation on`: seconds its mutation step may take (the HEAD "
             "re-run it starts with included), as a share of the time the tests took at HEAD", minimum=0),
        Spec("map_tokens", int, 1024, "token budget of `suture map`", minimum=1),
        Spec("search_limit", int, 10, "results `suture search` returns", minimum=1),
        Spec("max_file_bytes", int, 1_000_000, "files larger than this are skipped by the index", minimum=1),
        Spec("workers", int, None, "index parser processes; unset: min(2, cpus)", optional=True, minimum=1),
        Spec("pass_env", str, None, "environment variables the project's tests get although suture withholds them "
             "as secrets (names, comma-separated; a list in pyproject.toml)", optional=True),
    )
}


class ConfigWarning(UserWarning):
    """Something in the configuration is ignored (e.g. an unknown key)."""


@dataclass(frozen=True)
class Value:
    value: Any
    source: str  # CLI | ENV | PYPROJECT | DEFAULT


class Settings:
    """Resolved settings: `settings.map_tokens`, and `settings.source("map_tokens")`."""

    def __init__(self, values: dict[str, Value], pyproject: Path | None) -> None:
        self._values = values
        self.pyproject = pyproject  # the file [tool.suture] was read from, None when there was none

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name].value
        except KeyError:
            raise AttributeError(name) from None

    def source(self, name: str) -> str:
        return self._values[name].source

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """{name: {"value", "source", "env"}} in declaration order, for `config show`."""
        return {
            name: {"value": self._values[name].value, "source": self._values[name].source, "env": spec.env_var}
            for name, spec in SPECS.items()
        }


def load_settings(
    repo: Path | None = None,
    cli: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve every setting for `repo`; CLI values that are None count as "not given".

    Raises SutureExit(REFUSED) with one sentence on an unreadable pyproject.toml or a value of
    the wrong type (BAD_INPUT when the value came from the command line); warns (ConfigWarning) about unknown keys in [tool.suture].
    """
    environ = os.environ if environ is None else environ
    cli = {k: v for k, v in (cli or {}).items() if v is not None}
    unknown_cli = set(cli) - set(SPECS)
    if unknown_cli:
        raise ValueError(f"unknown settings passed by the CLI: {sorted(unknown_cli)}")  # a bug in suture
    pyproject = find_pyproject(repo) if repo is not None else None
    table = read_tool_table(pyproject) if pyproject is not None else {}

    values: dict[str, Value] = {}
    for name, spec in SPECS.items():
        if name in cli:
            values[name] = Value(coerce(spec, cli[name], COMMAND_LINE), CLI)
        elif spec.env_var in environ:
            values[name] = Value(coerce(spec, environ[spec.env_var], f"${spec.env_var}"), ENV)
        elif name in table:
            values[name] = Value(coerce(spec, table[name], f"[tool.suture] {name} in {pyproject}"), PYPROJECT)
        else:
            values[name] = Value(spec.default, DEFAULT)
    return Settings(values, pyproject if table else None)


def find_pyproject(repo: Path) -> Path | None:
    """The nearest pyproject.toml from `repo` upwards, not leaving its git work tree."""
    repo = repo.resolve()
    for directory in (repo, *repo.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if (directory / ".git").exists():
            return None  # the top of the work tree: a pyproject above it belongs to something else
    return None


def read_tool_table(pyproject: Path) -> dict[str, Any]:
    """[tool.suture] of `pyproject` with keys normalised to `_`; {} when the table is absent."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SutureExit(f"cannot read {pyproject}: {exc.__class__.__name__}: {exc}.", ExitCode.REFUSED) from None
    except tomllib.TOMLDecodeError as exc:
        raise SutureExit(f"{pyproject} is not valid TOML ({exc}).", ExitCode.REFUSED) from None
    table = data.get("tool", {}).get("suture", {})
    if not isinstance(table, dict):
        raise SutureExit(f"[tool.suture] in {pyproject} must be a table.", ExitCode.REFUSED)
    normalised = {str(key).replace("-", "_"): value for key, value in table.items()}
    unknown = sorted(set(normalised) - set(SPECS))
    if unknown:
        warnings.warn(
            f"ignoring unknown key(s) in [tool.suture] of {pyproject}: {', '.join(unknown)}",
            ConfigWarning,
            stacklevel=2,
        )
    return {key: value for key, value in normalised.items() if key in SPECS}


def coerce(spec: Spec, raw: Any, where: str) -> Any:
    """`raw` as the setting's type; strings (from the environment) are parsed.

    TOML values must already have the right type (an int is accepted for a float).
    """

    def refuse(expected: str) -> SutureExit:
        if where == COMMAND_LINE:  # a bad option value is a usage error, whichever command got it
            shown = f"{raw:g}" if isinstance(raw, float) else raw
            return SutureExit(f"--{spec.name.replace('_', '-')} must be {expected}, got {shown}.", ExitCode.BAD_INPUT)
        return SutureExit(f"{spec.name} from {where} must be {expected}, not {raw!r}.", ExitCode.REFUSED)

    if spec.optional and (raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none"))):
        return None
    expected = {int: "an integer", float: "a number", str: "a string"}[spec.type]
    if spec.minimum is not None and spec.type is not str:
        expected += f" >= {spec.minimum:g}"
    if isinstance(raw, bool):  # bool is an int in Python, never a valid count or amount here
        raise refuse(expected)
    if spec.name == "pass_env" and isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return ",".join(raw)  # a TOML array of names
    if spec.type is str:
        if not isinstance(raw, str):
            raise refuse(expected)
        return raw
    if isinstance(raw, str):
        try:
            value = spec.type(raw.strip())
        except ValueError:
            raise refuse(expected) from None
    elif spec.type is float and isinstance(raw, int | float):
        value = float(raw)
    elif spec.type is int and isinstance(raw, int):
        value = raw
    else:
        raise refuse(expected)
    if isinstance(value, float) and not math.isfinite(value):
        raise refuse(expected)
    if spec.minimum is not None and value < spec.minimum:
        raise refuse(expected)
    return value


def engine_note(settings: Settings) -> str | None:
    """The one stderr line a model-using command prints when no model is set, else None."""
    if settings.model is None:
        return "no model set (--model, SUTURE_MODEL or [tool.suture] model): using the offline rule engine alone."
    return None


def callgrind_on(settings: Settings) -> bool:
    """The callgrind setting as a switch; a value other than auto or off is a configuration error."""
    if settings.callgrind not in ("auto", "off"):
        raise SutureExit(f"the callgrind setting is auto or off, not {settings.callgrind!r}.", ExitCode.REFUSED)
    return settings.callgrind == "auto"
