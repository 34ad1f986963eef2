"""The project's test suite as the check runs it: the command, the environment, node ids."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from suture.tools.testing.testrun import TestRunError, detect_test_command

__all__ = ["module_of", "test_command", "test_env", "test_qualname"]

# Variables git sets for hooks; a test in the snapshot running git must not reach the user's repo.
_GIT_VARIABLES = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY",
                  "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_PREFIX")


def test_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _GIT_VARIABLES}


def test_command(top: Path, snapshot: Path, interpreter: str | None, report: dict[str, Any],
                 pass_env: Sequence[str] = ()) -> list[str] | str | None:
    """The configured test command, else the detected pytest under the project's Python (tools/testing/pyenv.py)."""
    from suture.agent.config import load_settings
    from suture.agent.environment import project_environment
    from suture.tools import childenv

    settings = load_settings(top, {"python": interpreter, "pass_env": ",".join(pass_env) or None})
    childenv.set_passed(childenv.parse_names(settings.pass_env))  # --pass-env: tools/childenv.py
    if settings.test_cmd:
        return settings.test_cmd
    try:
        detect_test_command(snapshot)
    except TestRunError:
        return None
    env, command = project_environment(top, settings, None, say=False)
    report["environment"] = env.to_dict()
    return command or detect_test_command(snapshot)


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def test_qualname(nodeid: str) -> tuple[str, str]:
    """(file, dotted test name without parameters) of a pytest node id."""
    path, _, rest = nodeid.partition("::")
    return path, ".".join(part.split("[", 1)[0] for part in rest.split("::")) if rest else ""
