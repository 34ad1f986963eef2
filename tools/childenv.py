"""The environment of the processes that run a project's code: its tests, the verifiers'
children, the optimizer's timed runs.

Those processes run code a model may have written, so the credentials suture holds stay
with suture, by rule rather than by a list someone keeps up to date:
- every variable litellm's provider table names (tools/provider_env.py, generated from
  litellm's source: keys, tokens, API bases, projects), and
- every name that says it holds a secret: a `_`-separated word ending in KEY/KEYS or
  TOKEN/TOKENS, or holding SECRET, PASSWORD, PASSWD, PASSPHRASE or CREDENTIAL, or the word
  PASS (`AWS_SECRET_ACCESS_KEY`, `INPUT_TOKEN`, `npm_config__authToken`, `PGPASSWORD`),
are withheld, unless the user passes one on by name (`--pass-env NAME`, the `pass_env`
setting) because the test suite needs it. The variables git sets to point at a repository
(`GIT_DIR` & co., set for hooks) are dropped too: they would lead a test to the user's
repository. Everything else is inherited as is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from suture.tools.provider_env import LITELLM_PROVIDER_ENV

__all__ = ["SECRET_ENV_NAMES", "passed_names", "parse_names", "project_env", "set_passed", "withheld",
           "withheld_hint", "withheld_names"]

# Names no pattern catches that suture also keeps from the project's code.
SECRET_ENV_NAMES = frozenset({"VERTEXAI_CREDENTIALS", "ACTIONS_RUNTIME_URL", "ACTIONS_ID_TOKEN_REQUEST_URL",
                              "ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL"}) | LITELLM_PROVIDER_ENV
# git's variables that name a repository: the user's, when suture runs inside a git hook.
REPO_VARIABLES = frozenset({"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                            "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX"})
# Never withheld whatever they look like: suture's own marker of the processes it started
# (tools/workspace.POOL_ENV), which the pool needs to find and kill them.
ALWAYS_PASSED = frozenset({"SUTURE_POOL_TOKEN"})
_SAFE_PREFIXES = ("PYTHON", "LC_")
_SAFE_NAMES = frozenset({"PATH", "HOME", "LANG", "LANGUAGE", "TERM", "TMPDIR", "USER", "LOGNAME", "SHELL", "PWD"})
_SECRET_WORD = re.compile(r"(KEYS?|TOKENS?)$|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|^PASS$")

_passed: frozenset[str] = frozenset()


def _secret_like(name: str) -> bool:
    upper = name.upper()
    if upper in _SAFE_NAMES or upper.startswith(_SAFE_PREFIXES):
        return False
    return any(_SECRET_WORD.search(word) for word in re.split(r"[^A-Z0-9]+", upper) if word)


def withheld(name: str) -> bool:
    """Whether `name` is kept from the project's processes (see the module's docstring)."""
    if name in _passed or name in ALWAYS_PASSED:
        return False
    return name in SECRET_ENV_NAMES or _secret_like(name)


def set_passed(names: Iterable[str]) -> None:
    """Names the user passes on although they would be withheld (`--pass-env`), for this process."""
    global _passed
    _passed = frozenset(names)


def passed_names() -> frozenset[str]:
    return _passed


def parse_names(text: str | None) -> list[str]:
    """`"A, B C"` -> ["A", "B", "C"]: the pass_env setting as written on a command line or in pyproject."""
    return [name for name in re.split(r"[\s,]+", text or "") if name]


def project_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of `base` (default: this process's environment) without the credentials and git's repository variables."""
    source = os.environ if base is None else base
    return {name: value for name, value in source.items()
            if not withheld(name) and (name not in REPO_VARIABLES or name in _passed)}


def withheld_names(base: Mapping[str, str] | None = None) -> list[str]:
    """The names (never the values) of the variables of `base` that project_env leaves out as secrets."""
    source = os.environ if base is None else base
    return sorted(name for name in source if withheld(name))


def withheld_hint(texts: Iterable[str], names: Iterable[str]) -> str | None:
    """One sentence when test output names a withheld variable (a KeyError: 'MY_API_KEY', ...), else None."""
    names = sorted(set(names))
    if not names:
        return None
    blob = "\n".join(texts)
    named = [n for n in names if re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", blob)]
    if not named:
        return None
    flags = " ".join(f"--pass-env {n}" for n in named)
    return (f"the tests' output names {', '.join(named)}, which suture withholds from the project's processes "
            f"as a secret; if the tests need it, pass it on with {flags}.")
