"""Start-up checks every command runs before it does any work.

- a compromised litellm release on the path is refused (exit 3);
- `--repo DIR` must exist and lie inside a git work tree (exit 2).

Both are cheap: litellm's version comes from its installed metadata, never by
importing it (the import alone costs seconds), and git answers `rev-parse` in
milliseconds.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from suture.agent.exitcodes import ExitCode, SutureExit
from suture.tools.git import cmd as gitcmd

# Releases of litellm published by an attacker (1.82.7 and 1.82.8 in March 2026) and the
# 1.107 line this project refuses as well; see the pin and its comment in pyproject.toml.
COMPROMISED_LITELLM = ("1.82.7", "1.82.8")
COMPROMISED_LITELLM_LINES = ("1.107",)
SAFE_LITELLM = "1.106.2"

_RELEASE = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?")


def is_compromised_litellm(version: str) -> bool:
    """True for 1.82.7, 1.82.8 and any 1.107.x (post/local suffixes included)."""
    match = _RELEASE.match(version)
    if not match:
        return False
    major, minor, micro = match.group(1), match.group(2), match.group(3) or "0"
    if f"{int(major)}.{int(minor)}" in COMPROMISED_LITELLM_LINES:
        return True
    return f"{int(major)}.{int(minor)}.{int(micro)}" in COMPROMISED_LITELLM


def installed_litellm_versions() -> list[tuple[str, str]]:
    """(version, location) of every litellm distribution visible on sys.path, first one first.

    All of them, not just the first: a compromised copy anywhere on the path is reason enough
    to stop (the 1.82.8 release shipped a .pth file that runs on any interpreter start).
    """
    found = []
    for dist in metadata.distributions(name="litellm"):
        version = dist.version or ""
        location = str(dist.locate_file("")) if hasattr(dist, "locate_file") else "?"
        found.append((version, location))
    return found


def check_litellm() -> None:
    """Raise SutureExit(REFUSED) when a compromised litellm is installed; no litellm is fine."""
    for version, location in installed_litellm_versions():
        if is_compromised_litellm(version):
            raise SutureExit(
                f"suture refuses to run because litellm {version} (in {location}) is a compromised "
                f"release; install litellm=={SAFE_LITELLM} instead.",
                ExitCode.REFUSED,
            )


def resolve_repo(path: str | Path | None) -> Path:
    """The absolute directory suture works on; it may be a sub-directory of a git work tree.

    Raises SutureExit(BAD_INPUT) with one sentence when it does not exist, is not a
    directory, or is not inside a git work tree.
    """
    raw = Path(path) if path is not None else Path.cwd()
    directory = raw.expanduser()
    if not directory.exists():
        raise SutureExit(f"{raw} does not exist.")
    if not directory.is_dir():
        raise SutureExit(f"{raw} is not a directory.")
    directory = directory.resolve()
    if git_toplevel(directory) is None:
        raise SutureExit(f"{raw} is not inside a git work tree (run `git init` there first).")
    return directory


def git_toplevel(directory: Path) -> Path | None:
    """The top of the git work tree holding `directory`, or None when there is none."""
    try:
        return gitcmd.work_tree_top(directory)  # None: not a repo, inside .git itself, or a bare repo
    except gitcmd.GitError as error:
        raise SutureExit(str(error), ExitCode.BAD_INPUT) from None


def check_model_name(model: str) -> None:
    """Refuse a model setting that cannot work before any test runs (a provider's own refusal is exit 4)."""
    if model.startswith("scripted:"):
        script = Path(model.removeprefix("scripted:")).expanduser()
        if not script.is_file():
            raise SutureExit(f"the scripted model's file {script} does not exist.")
    elif not model.strip():
        raise SutureExit("the model name is empty; give a litellm model name such as gpt-4o.")
