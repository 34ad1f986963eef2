"""`suture gh-event`: answer a GitHub issue with a draft pull request (the Action's entry point).

Reads the event GitHub Actions hands every job (GITHUB_EVENT_PATH, GITHUB_EVENT_NAME,
GITHUB_REPOSITORY, GITHUB_WORKSPACE) and acts on two triggers only:
- `issues` / `labeled` with the configured label (default `suture`), on an issue opened
  by an OWNER, MEMBER or COLLABORATOR;
- `issue_comment` / `created` on an issue (not a pull request) whose body starts with
  `/suture fix` (or `/suture optimize`), written by an OWNER, MEMBER or COLLABORATOR.
Anything else is ignored with one log line and exit 0, before any request is made.

The issue's title, body and comment are data: they reach `run_fix` as its issue text and
never a shell. `/suture optimize --target pkg.mod:func --workload path.py` runs `run_optimize`
on names and repository files only (a bench command, being a shell command, is refused).
Either pipeline runs in print mode on the checkout; a patch that passed every gate
is committed with git plumbing on the base commit and force-pushed to `suture/issue-<N>`,
then a draft pull request is opened, or the open one from that branch is updated, so
re-runs never pile up pull requests. Otherwise the issue gets a comment saying what was
tried and why nothing passed.

The push goes to the URL origin had when the event arrived (read before any candidate or test
ran, pushed to as an explicit URL, not by the remote's name), so nothing that ran meanwhile can
send the branch, or the token the credential helper hands git, somewhere else.

The token never leaves memory except as an HTTP header (tools/github_api.py) and as the
environment of `git push`, whose credential helper reads it there at push time; it is
taken out of this process's environment while the fix runs, so the repository's tests
(code suture is changing) never see it.

The modules: event (what the event asks for: inputs, trigger, optimize request), answer (the
conversation: acknowledge, run, push, open or update the pull request, comment), texts (the
bodies and comments it writes); the commit and the push themselves are tools/git/publish.py.
"""


from suture.agent.integrations.gh_event.answer import GhEventOutcome, run_gh_event
from suture.agent.integrations.gh_event.event import ActionInputs, Trigger, classify, issue_text, optimize_request
from suture.agent.integrations.gh_event.texts import diff_summary, failure_comment, optimize_pull_body, pull_body
from suture.tools.git.publish import CREDENTIAL_HELPER, push_args

__all__ = ["CREDENTIAL_HELPER", "ActionInputs", "GhEventOutcome", "Trigger", "classify", "diff_summary",
           "failure_comment", "issue_text", "optimize_pull_body", "optimize_request", "pull_body", "push_args",
           "run_gh_event"]
