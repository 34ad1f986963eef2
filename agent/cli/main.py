"""The `suture` command: parse, call one function, render.

The app and what every command shares are in app.py; the commands, by kind, in the
*_commands modules, registered on the app when they are imported here (their order is the
order `suture --help` lists them in).
"""

from __future__ import annotations

from suture.agent.cli import fix_commands, hook_commands, optimize_commands, report_commands, search_commands  # noqa: F401  (registration)
from suture.agent.cli import batch_commands  # noqa: F401  (registration; listed last)
from suture.agent.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app(prog_name="suture")


if __name__ == "__main__":
    main()
