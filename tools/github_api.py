"""A tiny client for the handful of GitHub REST endpoints the Action uses.

Hand-written on urllib on purpose: five JSON calls do not justify a dependency that
the Action would have to install (and hash-pin) on every run.

The token goes into the Authorization header and nowhere else: never into a URL, a
log line or an error message (every message is scrubbed of it all the same).
Redirects are not followed, so the header never travels to another host.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_SECONDS = 30.0
API_VERSION = "2022-11-28"


class GitHubError(Exception):
    """A GitHub API call failed; `message` is one sentence for a person, `status` the HTTP code (0: no answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx surfaces as an HTTPError, handled like any other status


class GitHubClient:
    """Calls on one repository ("owner/name") of one GitHub (or GitHub Enterprise) API."""

    def __init__(self, repository: str, token: str | None, *, api_url: str | None = None,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        owner, sep, name = repository.partition("/")
        if not (owner and sep and name) or "/" in name:
            raise GitHubError(f"GITHUB_REPOSITORY must be owner/name, got {repository!r}.")
        self.repository = repository
        self.owner = owner
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self._token = token or ""
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "GitHubClient":
        """GITHUB_REPOSITORY, GITHUB_TOKEN and GITHUB_API_URL (default https://api.github.com)."""
        env = os.environ if environ is None else environ
        repository = env.get("GITHUB_REPOSITORY", "")
        if not repository:
            raise GitHubError("GITHUB_REPOSITORY is not set; run this inside GitHub Actions or set it to owner/name.")
        return cls(repository, env.get("GITHUB_TOKEN"), api_url=env.get("GITHUB_API_URL") or None)

    # -- endpoints ---------------------------------------------------------------------------

    def create_comment(self, issue_number: int, body: str) -> dict[str, Any]:
        return self._request("POST", f"/repos/{self.repository}/issues/{issue_number}/comments", {"body": body})

    def find_open_pull(self, head_branch: str) -> dict[str, Any] | None:
        """The open pull request from `head_branch` of this repository, if there is one."""
        query = urllib.parse.urlencode({"head": f"{self.owner}:{head_branch}", "state": "open"})
        pulls = self._request("GET", f"/repos/{self.repository}/pulls?{query}")
        return pulls[0] if isinstance(pulls, list) and pulls else None

    def create_pull(self, *, title: str, head: str, base: str, body: str, draft: bool = True) -> dict[str, Any]:
        return self._request("POST", f"/repos/{self.repository}/pulls",
                             {"title": title, "head": head, "base": base, "body": body, "draft": draft})

    def update_pull(self, number: int, *, title: str | None = None, body: str | None = None) -> dict[str, Any]:
        fields = {key: value for key, value in (("title", title), ("body", body)) if value is not None}
        return self._request("PATCH", f"/repos/{self.repository}/pulls/{number}", fields)

    def add_labels(self, issue_number: int, labels: list[str]) -> list[Any]:
        return self._request("POST", f"/repos/{self.repository}/issues/{issue_number}/labels", {"labels": labels})

    # -- transport ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(self.api_url + path, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", API_VERSION)
        request.add_header("User-Agent", "suture")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        where = f"{method} {path.split('?', 1)[0]}"
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise GitHubError(self._scrub(f"GitHub API {where} failed: HTTP {error.code} "
                                          f"({_error_text(error)}){_advice(error.code)}."), error.code) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", None) or error
            raise GitHubError(self._scrub(f"GitHub API {where} got no answer from {self.api_url} ({reason}).")) from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise GitHubError(f"GitHub API {where} answered with something that is not JSON.") from None

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _error_text(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    if message and isinstance(body.get("errors"), list):
        details = [e.get("message") or e.get("code") for e in body["errors"] if isinstance(e, dict)]
        message += "".join(f"; {d}" for d in details if d)
    return str(message or error.reason or "no message")[:300]


def _advice(status: int) -> str:
    if status in (401, 403):
        return ("; the token needs contents, pull-requests and issues write permission "
                "(the workflow's `permissions:` block)")
    if status in (301, 302, 307, 308):
        return "; the repository moved, update GITHUB_REPOSITORY"
    return ""
