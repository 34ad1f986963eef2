"""The project's Python for one command: found once, named once, bound to the test command.

tools/testing/pyenv.py finds the interpreter; this turns its verdict into what a pipeline needs:
the test command to use (the detected `pytest`, or a bare `pytest` / `python -m pytest` in
--test-cmd, run by the project's interpreter; any other --test-cmd stays as written), one
sentence on stderr saying which Python runs the project's tests, and one sentence and exit 2
when that Python cannot run them.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from suture.agent.exitcodes import SutureExit
from suture.tools import childenv
from suture.tools.testing.pyenv import PythonEnv, PythonEnvError, find_python, require_pytest, share_site_packages
from suture.tools.testing.testrun import TestRunError, bind_interpreter, detect_test_command

__all__ = ["project_environment", "setting_source"]


def setting_source(settings: Any) -> str:
    """How the user named the interpreter (for messages and the report's `source`)."""
    from suture.agent import config

    return {config.CLI: "--python", config.ENV: "$SUTURE_PYTHON"}.get(settings.source("python"),
                                                                    "[tool.suture] python")


def project_environment(repo: Path, settings: Any, test_cmd: Any, *, say: bool = True,
                        tests: bool = True) -> tuple[PythonEnv, Any]:
    """(the project's interpreter, the test command to run) for `repo`.

    A detected pytest, or a bare `pytest` in the given command, runs under that interpreter
    and needs pytest there: without it, one sentence naming --python and --test-cmd (exit 2).
    `tests=False` (verify): no test command, only the interpreter. Either way the verifier's
    children of this process get the project's packages when they can (pyenv.share_site_packages). When no tests are detected the command stays None and
    the pipeline reports that as it always has.
    """
    # The secrets withheld from every process that runs the project's code, less what --pass-env names.
    childenv.set_passed(childenv.parse_names(getattr(settings, "pass_env", None)))
    withheld = tuple(childenv.withheld_names())
    given = test_cmd
    # A --test-cmd that is not a bare pytest runs as written: a broken venv must not stop it.
    own_command = not tests or (test_cmd is not None and bind_interpreter(test_cmd, "python-of-the-project") == test_cmd)
    try:
        env = find_python(repo, settings.python, setting_source(settings), strict=not own_command)
        if not tests:
            pass
        elif test_cmd is None:
            try:
                detected = detect_test_command(repo, env.python)
            except TestRunError:
                detected = None
            if detected is not None:
                require_pytest(env)
                if not env.own:
                    test_cmd = detected
        elif not env.own and bind_interpreter(test_cmd, env.python) != test_cmd:
            require_pytest(env)  # a bare `pytest` in --test-cmd means the project's pytest
            test_cmd = bind_interpreter(test_cmd, env.python)
    except PythonEnvError as error:
        raise SutureExit(str(error)) from None
    env = dataclasses.replace(env, withheld_env=withheld)
    shared = share_site_packages(env)
    # Said when it matters: the tests run under another Python than suture's, or a candidate was passed over.
    if say and ((not env.own and (shared or (test_cmd is not None and test_cmd is not given))) or env.notes):
        sys.stderr.write(f"suture: {env.sentence()}\n")
    if say and withheld:
        sys.stderr.write(f"suture: withheld from the project's tests and code (secrets): {', '.join(withheld)}; "
                         "--pass-env NAME passes one on.\n")
    if say:
        sys.stderr.flush()
    return env, test_cmd
