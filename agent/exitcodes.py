"""The process exit codes of every suture command (the design's CLI contract).

Scripts, the GitHub Action and the benchmarks branch on these numbers, so they
never change meaning; new codes may only be added.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    DONE = 0  # done: fixed, found, nothing wrong
    NOTHING_FOUND = 1  # ran fine but no fix, no results, no findings
    BAD_INPUT = 2  # bad input or usage: missing path, not a git work tree, unknown option value
    REFUSED = 3  # configuration error or security refusal (e.g. a compromised litellm)
    PROVIDER_ERROR = 4  # the LLM provider failed or refused
    BUDGET_EXHAUSTED = 5  # the cost or time budget ran out
    INTERNAL_ERROR = 6  # a bug in suture itself: an unexpected exception (traceback with SUTURE_DEBUG=1)
    INTERRUPTED = 130  # Ctrl-C, the shell's convention (128 + SIGINT)


class SutureExit(Exception):
    """A user-facing failure: one sentence for stderr and the exit code to leave with.

    Raised anywhere below the CLI; the CLI prints the message and exits, never a traceback.
    """

    def __init__(self, message: str, code: ExitCode = ExitCode.BAD_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
