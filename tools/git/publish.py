"""Publishing a patch for review: one commit made beside the checkout, force-pushed with a token.

The commit is base + patch, built on a temporary index (read-tree, apply --cached, write-tree,
commit-tree), so the checkout and its index are not changed. The push goes to an explicit URL
(read by the caller before anything ran), and the token reaches git only through the
environment of that one `git push`, where the credential helper reads it at push time: it is in
no argv, no URL and no config file.

Failures raise GitError (tools/git/cmd.py) with git's reason in `stderr`, the token masked.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from suture.tools.git import gitstate
from suture.tools.git.cmd import GitError, last_line, run

__all__ = ["CREDENTIAL_HELPER", "commit_patch", "persisted_extraheader", "push_args", "push_commit", "push_url"]

# The credential helper answers with the token from its own environment, so the token is in
# no argv, no URL and no config file. The empty helper first drops any configured ones.
CREDENTIAL_HELPER = '!f() { echo username=x-access-token; echo "password=${GITHUB_TOKEN}"; }; f'


def commit_patch(repo: Path, patch: str, base: str, message: str, name: str, email: str) -> str:
    """One commit, base + patch, made on a temporary index: the checkout is not changed."""
    top = gitstate.toplevel(repo)
    with tempfile.TemporaryDirectory(prefix="suture-gh-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _git(top, "read-tree", base, env=env)
        _git(top, "apply", "--cached", "--whitespace=nowarn", "-", input=patch.encode("utf-8"), env=env)
        tree = _git(top, "write-tree", env=env)
    identity = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
                "GIT_COMMITTER_EMAIL": email}
    return _git(top, "commit-tree", tree, "-p", base, "-F", "-", input=message.encode("utf-8"), env=identity)


def push_url(repo: Path, remote: str) -> str | None:
    """Where `remote` pushes to (its pushurl, else its url), read from the repository; None without one."""
    done = run(repo, "remote", "get-url", "--push", remote)
    url = done.stdout.decode("utf-8", errors="replace").strip()
    return url if done.returncode == 0 and url else None


def push_args(server_url: str, url: str, commit: str, branch: str) -> list[str]:
    """`git` arguments that force-push `commit` to `branch` at `url` with the environment's token."""
    server = server_url.rstrip("/") or "https://github.com"
    return ["-c", "credential.helper=", "-c", f"credential.helper={CREDENTIAL_HELPER}",
            # actions/checkout may have persisted its own token as an extra header; it would win over ours.
            "-c", f"http.{server}/.extraheader=", "-c", "http.extraheader=",
            "push", "--force", "--quiet", url, f"{commit}:refs/heads/{branch}"]


def push_commit(repo: Path, url: str, commit: str, branch: str, token: str, server_url: str) -> None:
    """Force-push `commit` to `branch` at `url`, the token handed to the credential helper only."""
    top = gitstate.toplevel(repo)
    done = run(top, *push_args(server_url, url, commit, branch),
               env={"GITHUB_TOKEN": token, "GIT_ASKPASS": "", "SSH_ASKPASS": ""})
    if done.returncode != 0:
        reason = _reason(done.stderr).replace(token, "***") if token else _reason(done.stderr)
        raise GitError(f"git push of {branch} failed ({reason}).", ("push",), reason, done.returncode)


def persisted_extraheader(repo: Path) -> bool:
    """Does the checkout keep an http extraheader (a token actions/checkout persisted) in its config?"""
    done = run(repo, "config", "--name-only", "--get-regexp", r"^http\..*extraheader$")
    return done.returncode == 0 and bool(done.stdout.strip())


def _git(top: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
    done = run(top, *args, input=input, env=env)
    if done.returncode != 0:
        reason = _reason(done.stderr)
        raise GitError(f"git {args[0]} failed in {top}: {reason}.", args, reason, done.returncode)
    return done.stdout.decode("utf-8", errors="replace").strip()


def _reason(err: bytes) -> str:
    """git's last stderr line: where it says what went wrong (earlier ones are often remote chatter)."""
    return last_line(err) or "no message"
