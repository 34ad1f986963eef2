"""The `suture` command's frame: the app, its options, how errors leave, the helpers every command shares.

Every command leaves through an ExitCode (agent/exitcodes.py). Failures the
user can act on print one sentence on stderr; anything unexpected is a bug in
suture and exits INTERNAL_ERROR, with its traceback only under SUTURE_DEBUG=1.
Heavy modules (rich, the retrieval layer, tree-sitter) are imported inside the
commands so that `suture --help` stays fast.
"""

from __future__ import annotations

import functools
import os
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any, Callable

import typer
from typer.core import TyperGroup

from suture.agent import guard
from suture.agent.exitcodes import ExitCode, SutureExit

SEARCH_KINDS = ("class", "function", "method", "code")


class SutureGroup(TyperGroup):
    """The `suture` group: usage errors (unknown option, bad or missing value) leave as one plain
    sentence naming the command and exit 2 (plus the JSON error object under --json), instead of
    typer's boxed panels; with `suture` alone, the help."""

    def main(self, args: Any = None, prog_name: Any = None, standalone_mode: bool = True, **extra: Any) -> Any:
        errors = _click_exceptions()
        argv = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(argv, prog_name, standalone_mode=False, **extra)
        except errors.NoArgsIsHelpError as error:
            error.show()
            code = int(ExitCode.BAD_INPUT)
        except errors.UsageError as error:
            where = error.ctx.command_path if error.ctx is not None else "suture"
            code = _fail(_usage_sentence(error, argv), ExitCode.BAD_INPUT, where, "--json" in argv)
        except _abort_exception():
            code = _fail("interrupted.", ExitCode.INTERRUPTED, "suture", "--json" in argv)
        except errors.ClickException as error:
            code = _fail(error.format_message(), ExitCode.BAD_INPUT, "suture", "--json" in argv)
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _click_exceptions() -> Any:
    """The exceptions of the click that typer runs on (its own copy since typer 0.2x, else click)."""
    try:
        from typer._click import exceptions
    except ImportError:  # an older typer on the real click
        from click import exceptions
    return exceptions


def _abort_exception() -> type[BaseException]:
    """click's Abort (Ctrl-C, EOF at a prompt): typer keeps it in typer.exceptions, not beside the
    usage errors in its copy of click."""
    try:
        from typer.exceptions import Abort
    except ImportError:  # an older typer on the real click
        from click.exceptions import Abort
    return Abort


def _current_command() -> str:
    """`suture fix`, `suture config show`...: the command being run, for error sentences."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:
        from click import get_current_context
    ctx = get_current_context(silent=True)
    if ctx is None:
        return "suture"
    return f"{ctx.command_path} {ctx.invoked_subcommand}" if ctx.invoked_subcommand else ctx.command_path


def _usage_sentence(error: Any, argv: list[str]) -> str:
    """One plain sentence for a usage error: `--time-limit must be a number, got abc (see `suture fix --help`).`"""
    where = error.ctx.command_path if error.ctx is not None else "suture"
    param = getattr(error, "param", None)
    if param is not None and error.message and type(error).__name__ == "BadParameter":
        name = (param.opts or [param.human_readable_name])[0]
        # typer's wording ("Input should be a valid number, unable to parse ...") as a short clause
        said = error.message.split(", unable to")[0].rstrip(".")
        for typer_words, ours in (("Input should be", "must be"), ("a valid integer", "an integer"),
                                  ("a valid", "a"), ("greater than or equal to", "at least"),
                                  ("less than or equal to", "at most")):
            said = said.replace(typer_words, ours)
        given = _given_value(argv, param.opts or [])
        sentence = f"{name} {said}" + (f", got {given}" if given is not None else "")
    else:
        sentence = error.format_message().rstrip(".")
        sentence = sentence[:1].lower() + sentence[1:]
    return f"{sentence} (see `{where} --help`)."


def _given_value(argv: list[str], opts: list[str]) -> str | None:
    """The last value given for an option (`--x V` or `--x=V`) in `argv`."""
    found = None
    for i, arg in enumerate(argv):
        for opt in opts:
            if arg == opt and i + 1 < len(argv):
                found = argv[i + 1]
            elif arg.startswith(opt + "="):
                found = arg[len(opt) + 1:]
    return found


def _fail(message: str, code: ExitCode, where: str, as_json: bool, repo: str | None = None) -> int:
    """The one way a command fails: one sentence on stderr, and under --json also the one JSON
    object on stdout (`render.json_error`); returns the exit code. Paths into suture's scratch
    checkouts become the user's (`repo`'s work tree, else repo-relative)."""
    from suture.agent.cli import render

    if "suture-" in message:
        message = for_user(message, Path(repo) if repo else Path.cwd())
    render.print_error(message, where)
    if as_json:
        render.print_json(render.json_error(where, message, code))
    return int(code)


app = typer.Typer(
    name="suture",
    help="Repair code in a git repository: localise from the tests, propose patches, "
    "gate every one on the tests, deliver only what passes. Offline with the built-in rule engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=SutureGroup,
)
config_app = typer.Typer(help="Show suture's settings and where each came from.", no_args_is_help=True)
app.add_typer(config_app, name="config")

RepoOption = typer.Option(None, "--repo", metavar="DIR", help="Directory to work on (default: the current one); inside a git work tree.")
JsonOption = typer.Option(False, "--json", help="Print one JSON object on stdout; logs go to stderr.")
PassEnvOption = typer.Option([], "--pass-env", metavar="NAME", help="Give the project's tests this environment variable although suture withholds it as a secret (litellm's provider variables, names with KEY/TOKEN/SECRET/PASSWORD/CREDENTIAL); repeatable (default: the pass_env setting).")
SandboxOption = typer.Option(None, "--sandbox", metavar="auto|bwrap|none", help="Where the tests run: bwrap (bubblewrap: read-only system and project, no network, own PID namespace), none (a run leader kills what the tests leave behind), auto (bwrap when installed and working; default: the sandbox setting).")
MemoryOption = typer.Option(None, "--memory-limit", metavar="SIZE", help="Memory cap of each test process, e.g. 4G, 512M, 0 for none (default: the memory_limit setting, 4G).")
PythonOption = typer.Option(None, "--python", metavar="PATH", help="Interpreter that runs the project's tests and code (default: the python setting, else $VIRTUAL_ENV, the repo's .venv/venv/env, poetry, hatch, suture's own).")


def handled(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every failure of `command` into one stderr sentence (and the JSON error object under
    --json) and an exit code."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs["as_json"]) if "as_json" in kwargs else "--json" in sys.argv[1:]
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except SutureExit as exc:
            code, message = exc.code, exc.message
        except KeyboardInterrupt:
            code, message = ExitCode.INTERRUPTED, "interrupted."
        except Exception as exc:
            if _interrupted(exc):
                # Ctrl-C reaches the whole process group: a clean-up step after the interrupt (a git
                # child that got the signal too) may fail in turn. That is still the user's Ctrl-C,
                # not a bug (seen at load 16: exit 6 where 130 was due).
                raise typer.Exit(_fail("interrupted.", ExitCode.INTERRUPTED, _current_command(), as_json,
                                       kwargs.get("repo"))) from None
            retrieval_error = _retrieval_error_type()
            if retrieval_error is not None and isinstance(exc, retrieval_error):
                code, message = ExitCode.BAD_INPUT, str(exc)
            else:
                if os.environ.get("SUTURE_DEBUG") == "1":
                    traceback.print_exc(file=sys.stderr)
                code = ExitCode.INTERNAL_ERROR
                message = (f"internal error ({exc.__class__.__name__}: {exc}); "
                           "this is a bug in suture, run again with SUTURE_DEBUG=1 to see the traceback.")
        raise typer.Exit(_fail(message, code, _current_command(), as_json, kwargs.get("repo"))) from None

    return run


def _interrupted(exc: BaseException) -> bool:
    """Was `exc` raised while a KeyboardInterrupt was being handled (in an `except` or `finally`)?"""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def for_user(value: Any, repo: Path) -> Any:
    """`value` with scratch-checkout paths made paths of the user's work tree holding `repo`."""
    from suture.agent.runs import user_paths

    try:
        top = guard.git_toplevel(repo) if repo.is_dir() else None
    except SutureExit:
        top = None
    return user_paths(value, top)


def _retrieval_error_type() -> type[Exception] | None:
    # Only when the retrieval layer is already loaded: an error raised before that cannot be one.
    model = sys.modules.get("suture.retrieval.model")
    return getattr(model, "RetrievalError", None)


def _version(value: bool) -> None:
    if value:
        from importlib import metadata

        try:
            version = metadata.version("suture")
        except metadata.PackageNotFoundError:
            version = "unknown (not installed)"
        typer.echo(f"suture {version}")
        raise typer.Exit(0)


_launched = False


def launch_time() -> float:
    """time.monotonic() of when the user started this command: the process's start when the process
    is suture's own and this is its first command (interpreter start-up and imports count against a
    --time-limit; on a loaded machine they took 11 s of a 40 s limit), now otherwise (main() called
    from another program, such as a test)."""
    global _launched
    now = time.monotonic()
    main = sys.modules.get("__main__")
    spec_name = getattr(getattr(main, "__spec__", None), "name", "") or ""
    own = spec_name.startswith("suture.") or os.path.basename(sys.argv[0] if sys.argv else "") == "suture"
    if _launched or not own:
        return now
    _launched = True
    return now - _process_age()


def _process_age() -> float:
    """Seconds since this process started, from /proc (0 where it cannot tell)."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            data = fh.read()
        start_ticks = int(data[data.rindex(b")") + 2:].split()[19])  # field 22, starttime
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return min(max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK")), 120.0)
    except (OSError, ValueError, IndexError):
        return 0.0


@app.callback()
@handled
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    guard.check_litellm()


def settings_for(repo: Path | None, **cli: Any):
    """Resolved settings for `repo`; config warnings (unknown keys) go to stderr."""
    from suture.agent import config
    from suture.agent.cli import render

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", config.ConfigWarning)
        settings = config.load_settings(repo, cli)
    for warning in caught:
        render.print_warning(str(warning.message))
    return settings


def apply_sandbox(settings) -> None:
    """Set the process-wide sandbox policy from the settings (tools/testing/sandbox.py)."""
    from suture.tools.testing import sandbox

    try:
        limit = sandbox.parse_size(settings.memory_limit)
        sandbox.configure(settings.sandbox, limit)
    except ValueError as error:
        from suture.agent.config import CLI

        given = CLI in (settings.source("sandbox"), settings.source("memory_limit"))
        raise SutureExit(f"{str(error).rstrip('.')} (the sandbox / memory_limit setting).",
                         ExitCode.BAD_INPUT if given else ExitCode.REFUSED) from None
    except sandbox.SandboxUnavailable as error:
        raise SutureExit(str(error), ExitCode.REFUSED) from None


def sandbox_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report with the sandbox the runs had; its notes (a suite that needs the network) on stderr."""
    from suture.agent.cli import render
    from suture.tools.testing import sandbox

    described = sandbox.describe()
    for note in described["notes"]:
        render.print_warning(note)
    for blocked in report.get("blocked") or []:
        render.print_warning(f"candidate {blocked['candidate']} {blocked['reason']}")
    return {**report, "sandbox": described}


def open_index(repo: Path, settings):
    """Build or refresh the repository's symbol index (cached in <repo>/.suture/index).

    The progress bar goes to stderr, so it may show with --json too; only a terminal gets one.
    """
    from suture.agent import runs
    from suture.agent.cli import render
    from suture.retrieval.index import SymbolIndex

    runs.check_suture_dir(repo, "index")  # the cache goes there: never through a link or into a committed one
    with render.progress_bar("indexing", enabled=sys.stderr.isatty()) as progress:
        index = SymbolIndex.build(
            repo, workers=settings.workers, max_file_bytes=settings.max_file_bytes, progress=progress
        )
    if index.stats.files == 0:
        raise SutureExit(f"{repo} has no files suture can index (no source files in a language it parses).")
    return index
