"""`suture check`: the pre-commit gate on the staged changes, offline and under a hard time cap.

What is checked is exactly what `git commit` would record: the index (the staged blobs),
never the working tree, so unstaged edits neither hide nor cause a finding. The staged
snapshot is built in a scratch directory from git's objects (HEAD's tree, then the staged
blobs of the changed paths written over it: tools/git/staged.py); the user's working tree and
index are only read.

Three findings, each with file:line; any of them exits 1:

1. **parse** — a staged .py file CPython cannot compile, when the same file compiled at
   HEAD (a file that was already broken, say a deliberately invalid fixture, is left alone);
2. **test** — a test that covers a changed function fails on the staged snapshot and
   passes at HEAD (both runs of the same test ids; a test that passes its in-session rerun
   is flaky and only noted);
3. **contract** — the bounded verifier (CrossHair, contracts mode, a small bound) finds a
   reproduced counterexample to a changed function's contract (its `pre:`/`post:` docstring
   conditions, icontract/deal decorators or leading asserts) that the HEAD version does not
   have. Functions without contracts are not verified: a crash any input can provoke
   (`a / b` with b=0) is not a reason to block a commit.

Which tests cover which function comes from a coverage map of the suite at HEAD (per-test
line coverage, tools/coverage_plugin), lifted to functions and cached in
.suture/check/coverage-map.json (coverage_map.py, kept up to date by mapping.py). It is kept up to date with HEAD's tests within the time
cap: a test module that changed since is re-run alone with coverage and its entries
replaced; a change to the test set-up (the test command, pytest configuration, conftest.py,
helper files of the test tree) rebuilds the map with one run of the whole suite; a run the
cap cuts off keeps every test it finished (the map is saved per test, not per module), and the
next check goes on with the rest: the module it cut (its node ids not mapped yet), then the modules
it did not reach. A test the cap killed twice is left out of the map, said in a warning, until a
check has more than twice its time to spare. Until the map is complete the changed functions are
reported unchecked, in the text as in the JSON.
Source files changing at HEAD keep the map: entries are keyed by function name, not line,
so they survive edits around them (a test that has newly come to reach a function through
a changed caller is only seen after the next rebuild).

The time cap is hard: when it is reached, whatever runs is killed, a warning says which
part of the check did not happen, and the exit is 0 unless a finding was already made (a
commit is never blocked for being slow). No model is ever used.

The modules, in the order a check uses them: clock (the cap), units and reading (the changed
functions of each staged file), coverage_map and mapping (which tests cover them), covering_tests
and contracts (the test and contract findings), findings (the findings and their text), run (the
command's orchestration, and the parse finding); then sources and record (the run record in
.suture/runs/ that `suture report` draws the check's page from).
"""

from suture.agent.integrations.check.findings import CheckOutcome, Finding, summary
from suture.agent.integrations.check.run import DEFAULT_BOUND, DEFAULT_TIME_CAP, run_check

__all__ = ["CheckOutcome", "Finding", "run_check", "summary", "DEFAULT_TIME_CAP", "DEFAULT_BOUND"]
