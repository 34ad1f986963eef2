"""Does CPython compile a Python file: in this process, or in a child process a time limit can stop.

compile(), not ast.parse or tree-sitter: it also refuses what only the compiler checks (a `break`
outside a loop, an `await` outside an async function). compile() of a file of many megabytes
cannot be interrupted, so a caller under a hard time cap compiles such a file in a child.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

__all__ = ["syntax_error", "syntax_error_in_child"]

_CHILD = ("import sys\ntry:\n compile(sys.stdin.buffer.read(), sys.argv[1], 'exec', dont_inherit=True)\n"
          "except SyntaxError as e:\n print(e.lineno or 1); print(e.msg)\n"
          "except (ValueError, RecursionError, MemoryError) as e:\n print(1); print(str(e) or type(e).__name__)\n")


def syntax_error(data: bytes, path: str) -> tuple[int, str] | None:
    """(line, CPython's message) of the first error compiling `data` as the file `path`, or None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(data, path, "exec", dont_inherit=True)
        except SyntaxError as error:
            return error.lineno or 1, error.msg
        except (ValueError, RecursionError, MemoryError) as error:
            return 1, str(error) or type(error).__name__
    return None


def syntax_error_in_child(data: bytes, path: str, timeout: float) -> tuple[int, str] | None:
    """`syntax_error` in a child Python stopped after `timeout` seconds (subprocess.TimeoutExpired)."""
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", _CHILD, path], input=data, capture_output=True,
                          timeout=timeout)
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return (int(lines[0]), lines[1] if len(lines) > 1 else "invalid syntax") if lines and lines[0].isdigit() else None
