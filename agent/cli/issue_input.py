"""The issue text of `fix` and `localize`: `--issue TEXT` or `--issue-file F` (`-` reads stdin).

One reader for both commands, so they refuse the same bad input with the same sentence (exit 2):
both options at once, a file that is missing, a directory or unreadable, and bytes that are not
text (a NUL byte, or mostly undecodable as UTF-8). More than READ_LIMIT bytes are not read; the
localisation cuts what it searches further and says so (tools/testing/issue_signals.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from suture.agent.exitcodes import SutureExit

READ_LIMIT = 16 * 1024 * 1024
_SNIFF = 8192  # bytes looked at to tell text from binary


def issue_text(issue: str | None, issue_file: Path | None) -> str | None:
    """The issue text the options give, None when neither does."""
    if issue is not None and issue_file is not None:
        raise SutureExit("--issue and --issue-file exclude each other; pick one.")
    if issue_file is None:
        return issue
    if str(issue_file) == "-":
        data = sys.stdin.buffer.read(READ_LIMIT)
        where = "the issue text on stdin"
    else:
        try:
            with open(issue_file, "rb") as handle:
                data = handle.read(READ_LIMIT)
        except OSError as error:
            raise SutureExit(f"cannot read --issue-file {issue_file}: {error.strerror or error}.") from None
        where = f"--issue-file {issue_file}"
    if _binary(data):
        raise SutureExit(f"{where} is not text (it holds binary bytes); give the issue as a text file.")
    return data.decode("utf-8", errors="replace")


def _binary(data: bytes) -> bool:
    head = data[:_SNIFF]
    if b"\0" in head:
        return True
    text = head.decode("utf-8", errors="replace")
    # A cut in the middle of a character at the sniff's end is not a sign of binary data.
    return text.count("\ufffd") > max(3, len(text) // 10)
