"""The `suture` command: parse, call one function, render.

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
import traceback
import warnings
from pathlib import Path
from typing import Any, Callable, Optional

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
        message = _for_user(message, Path(repo) if repo else Path.cwd())
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


def _for_user(value: Any, repo: Path) -> Any:
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


@app.callback()
@handled
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    guard.check_litellm()


def _settings(repo: Path | None, **cli: Any):
    """Resolved settings for `repo`; config warnings (unknown keys) go to stderr."""
    from suture.agent import config
    from suture.agent.cli import render

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", config.ConfigWarning)
        settings = config.load_settings(repo, cli)
    for warning in caught:
        render.print_warning(str(warning.message))
    return settings


def _apply_sandbox(settings) -> None:
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


def _sandbox_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report with the sandbox the runs had; its notes (a suite that needs the network) on stderr."""
    from suture.agent.cli import render
    from suture.tools.testing import sandbox

    described = sandbox.describe()
    for note in described["notes"]:
        render.print_warning(note)
    for blocked in report.get("blocked") or []:
        render.print_warning(f"candidate {blocked['candidate']} {blocked['reason']}")
    return {**report, "sandbox": described}


def _open_index(repo: Path, settings):
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


@app.command()
@handled
def index(
    repo: Optional[str] = RepoOption,
    as_json: bool = JsonOption,
) -> None:
    """Build or refresh the code index of a repository (cached under .suture/)."""
    from suture.agent.cli import render

    root = guard.resolve_repo(repo)
    settings = _settings(root)
    built = _open_index(root, settings)
    stats = built.stats
    report = {
        "root": str(built.root),
        "files": stats.files,
        "parsed": stats.parsed,
        "reused": stats.reused,
        "removed": stats.removed,
        "skipped": dict(stats.skipped),
        "symbols": sum(len(built.symbols_in(path)) for path in built.paths()),
        "seconds": round(stats.seconds, 3),
    }
    if as_json:
        render.print_json(report)
    else:
        render.stdout_console().print(render.index_table(report))


@app.command()
@handled
def search(
    query: str = typer.Argument(..., metavar="QUERY", help="Words, an identifier (snake_case or CamelCase) or, with --kind code, a code snippet."),
    repo: Optional[str] = RepoOption,
    kind: Optional[str] = typer.Option(None, "--kind", metavar="KIND", help="Only this kind: class, function, method, or code (literal text)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, metavar="N", help="Most results to show (default: the search_limit setting, 10)."),
    as_json: bool = JsonOption,
) -> None:
    """Ranked code search: exact names first, then BM25 over identifiers, signatures and docstrings."""
    from suture.agent.cli import render

    if kind is not None and kind not in SEARCH_KINDS:
        raise SutureExit(f"unknown --kind {kind!r}; use one of: {', '.join(SEARCH_KINDS)}.")
    root = guard.resolve_repo(repo)
    settings = _settings(root, search_limit=limit)
    built = _open_index(root, settings)
    from suture.retrieval.search import CodeSearch

    hits = [hit.to_dict() for hit in CodeSearch(built).search(query, kind=kind, limit=settings.search_limit)]
    if as_json:
        render.print_json({"results": hits})
    elif hits:
        render.stdout_console().print(render.search_table(hits))
    else:
        render.print_error(f"no results for {query!r}.")
    if not hits:
        raise typer.Exit(int(ExitCode.NOTHING_FOUND))


@app.command(name="map")
@handled
def map_command(
    repo: Optional[str] = RepoOption,
    tokens: Optional[int] = typer.Option(None, "--tokens", min=1, metavar="N", help="Token budget (default: the map_tokens setting, 1024)."),
    focus: list[str] = typer.Option([], "--focus", metavar="PATH", help="A file or folder to rank the map towards; repeatable."),
) -> None:
    """Print a token-budgeted map of the repository's most relevant definitions."""
    root = guard.resolve_repo(repo)
    settings = _settings(root, map_tokens=tokens)
    built = _open_index(root, settings)
    focus_paths = _focus_paths(root, built.paths(), focus)
    from suture.retrieval.repomap import repo_map

    text = repo_map(built, tokens=settings.map_tokens, focus_paths=focus_paths)
    if not text.strip():
        from suture.agent.cli import render

        if next(iter(built.symbols()), None) is None:
            render.print_error("the repository has no definitions to map.")
        else:
            render.print_error(f"not even one definition fits in {settings.map_tokens} tokens; raise --tokens.")
        raise typer.Exit(int(ExitCode.NOTHING_FOUND))
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _focus_paths(root: Path, indexed: list[str], focus: list[str]) -> tuple[str, ...]:
    """--focus values (relative to the current directory or to the repo) as indexed repo paths."""
    chosen: list[str] = []
    for raw in focus:
        candidates = []
        here = Path(raw).expanduser().resolve()
        if here.is_relative_to(root):
            candidates.append(here.relative_to(root).as_posix())
        candidates.append(Path(raw).as_posix().strip("/"))
        matched = [
            path
            for path in indexed
            for wanted in candidates
            if wanted in ("", ".") or path == wanted or path.startswith(wanted + "/")
        ]
        if not matched:
            raise SutureExit(f"--focus {raw} names no indexed file of {root}.")
        chosen.extend(path for path in matched if path not in chosen)
    return tuple(chosen)


FORMULAS = ("ochiai", "tarantula", "dstar")


@app.command()
@handled
def fix(
    repo: Optional[str] = RepoOption,
    issue: Optional[str] = typer.Option(None, "--issue", metavar="TEXT", help="What is wrong, in words (kept with the run)."),
    issue_file: Optional[Path] = typer.Option(None, "--issue-file", metavar="F", help="Read the issue text from a file."),
    test_cmd: Optional[str] = typer.Option(None, "--test-cmd", metavar="CMD", help="Command that runs the tests (default: the test_cmd setting, else pytest)."),
    failing_test: list[str] = typer.Option([], "--failing-test", metavar="NODEID", help="Only these failing tests (a node id or a prefix of one); repeatable."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", metavar="S", help="Wall-time budget in seconds (default: the time_limit setting)."),
    max_candidates: int = typer.Option(500, "--max-candidates", min=0, metavar="N", help="Most rule-engine candidates to gate (0: straight to the model)."),
    apply: bool = typer.Option(False, "--apply", help="Write the fix into the working tree (only if it applies cleanly)."),
    commit: bool = typer.Option(False, "--commit", help="Commit the fix on a new branch suture/<run-id>; your checkout is not changed."),
    model: Optional[str] = typer.Option(None, "--model", metavar="NAME", help="litellm model name (or scripted:PATH to play back a script); default: the model setting, else the rule engine alone."),
    api_base: Optional[str] = typer.Option(None, "--api-base", metavar="URL", help="OpenAI-compatible server for the model (vLLM, llama.cpp)."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", metavar="USD", help="Most US dollars of model calls per run (default: the max_cost setting)."),
    max_steps: int = typer.Option(30, "--max-steps", min=1, metavar="N", help="Most model rounds."),
    samples: int = typer.Option(1, "--samples", min=1, max=8, metavar="N", help="Patches sampled per plan's first proposal (at rising temperatures); at most 8."),
    text_tools: bool = typer.Option(False, "--text-tools", help="Describe the tools in the prompt and read calls from the answer's text (models without native tool calls)."),
    allow_path: list[str] = typer.Option([], "--allow-path", metavar="GLOB", help="Let the model edit these paths too (beyond the localised files); repeatable."),
    target: list[str] = typer.Option([], "--target", metavar="FILE.c[::FUNC]", help="Repair C code with ESBMC as the oracle (no tests needed): every function of FILE.c, or FUNC alone; repeatable."),
    resume: Optional[str] = typer.Option(None, "--resume", metavar="RUN", help="Continue an interrupted run (an id under .suture/runs, or its directory) with its recorded options: its model turns are played back, then the model (--model, else the recorded one) goes on."),
    python: Optional[str] = PythonOption,
    pass_env: list[str] = PassEnvOption,
    hook: bool = typer.Option(False, "--hook", help="For git hooks (pre-push): exit 0 when no test fails at HEAD; when tests fail, print the fix if one is found and exit 1 so the push stops."),
    sandbox: Optional[str] = SandboxOption,
    memory_limit: Optional[str] = MemoryOption,
    allow_risk: list[str] = typer.Option([], "--allow-risk", metavar="NAME", help="Deliver a patch despite this named risk (pytest_internals, sys_modules, builtins, os_environ, subprocess, git, or all); repeatable."),
    as_json: bool = JsonOption,
) -> None:
    """Find and repair the bug the failing tests show; print the verified patch (or apply/commit it)."""
    from suture.agent.gates import tamper

    try:
        tamper.allow(allow_risk)
    except ValueError as error:
        raise SutureExit(str(error)) from None
    from suture.agent.cli import render
    from suture.agent.fix.pipeline import NoFailingTest, run_fix

    if apply and commit:
        raise SutureExit("--apply and --commit exclude each other; pick one.")
    if hook and (apply or commit):
        raise SutureExit("--hook only prints: a git hook must not change your tree or branches (leave out --apply/--commit).")
    if issue is not None and issue_file is not None:
        raise SutureExit("--issue and --issue-file exclude each other; pick one.")
    mode = "apply" if apply else "commit" if commit else "print"
    root, options = _fix_options(
        repo, mode=mode, issue=issue, issue_file=issue_file, test_cmd=test_cmd, failing_test=failing_test,
        time_limit=time_limit, max_candidates=max_candidates, model=model, api_base=api_base, max_cost=max_cost,
        max_steps=max_steps, samples=samples, text_tools=text_tools, allow_path=allow_path, target=target,
        resume=resume, python=python, sandbox=sandbox, memory_limit=memory_limit, pass_env=pass_env)
    if not options.model:
        render.print_warning("no model set: repairing with the built-in rule engine alone (offline).")
    else:
        guard.check_model_name(options.model)
    try:
        status = render.live_status(enabled=True) if sys.stderr.isatty() else render.plain_progress()
        with status as show:
            outcome = run_fix(root, options, on_progress=show)
    except NoFailingTest as clear:
        if not hook:
            raise
        render.print_warning(f"{clear.message.rstrip('.')}: nothing to fix.")
        if as_json:
            render.print_json({"status": "nothing_to_fix", "patch": "", "message": clear.message})
        raise typer.Exit(int(ExitCode.DONE)) from None
    report = _sandbox_report(outcome.report)
    _warn_about_fix_run(report)
    if as_json:
        render.print_json(report)
    else:
        render.print_fix_report(report)
    if hook:
        # Tests fail at HEAD: the push stops whatever was found; the fix is shown, never applied.
        if report.get("status") == "fixed":
            render.print_warning("tests fail at HEAD; the patch above passes every gate: "
                                 "apply it with `suture fix --apply` (or by hand) and push again.")
        raise typer.Exit(int(ExitCode.NOTHING_FOUND))
    raise typer.Exit(int(outcome.exit_code))


def _warn_about_fix_run(report: dict[str, Any]) -> None:
    """What the user should know about how a fix run's tests ran (on stderr)."""
    from suture.agent.cli import render

    setup_errors = (report.get("tests") or {}).get("setup_errors")
    if setup_errors:
        from suture.tools.testing.setup_errors import SetupErrorGroup, summary

        render.print_warning(summary([SetupErrorGroup(**g) for g in setup_errors]))
    copied = report.get("copied_untracked") or []
    if copied:
        render.print_warning(f"the scratch checkouts got copies of {len(copied)} git-ignored generated file(s) "
                             f"from your tree: {', '.join(copied[:5])}" + (" ..." if len(copied) > 5 else "") + ".")
    for note in report.get("checkout_notes") or []:
        render.print_warning(note + ".")
    refused = (report.get("delivery") or {}).get("refused")
    if refused:  # the verified patch is printed and saved, but not written where asked
        render.print_error(refused, "suture fix")
    hanging = (report.get("tests") or {}).get("hanging") or []
    if hanging:
        render.print_warning(f"{len(hanging)} test(s) hang at HEAD (past test_timeout) and were left out of every "
                             f"candidate run: {', '.join(hanging[:3])}" + (" ..." if len(hanging) > 3 else "") + ".")


def _fix_options(repo: Optional[str], *, mode: str, issue: Optional[str], issue_file: Optional[Path],
                 test_cmd: Optional[str], failing_test: list[str], time_limit: Optional[float], max_candidates: int,
                 model: Optional[str], api_base: Optional[str], max_cost: Optional[float], max_steps: int,
                 samples: int, text_tools: bool, allow_path: list[str], target: list[str], resume: Optional[str],
                 python: Optional[str], sandbox: Optional[str], memory_limit: Optional[str],
                 pass_env: list[str]) -> tuple[Path, Any]:
    """The repository and the FixOptions record of one `suture fix` (a resumed run's: its recorded ones)."""
    from suture.agent.options import FixOptions

    if resume is not None:
        from suture.agent.fix.replay import resume_options

        given = [flag for flag, value in (("--issue", issue), ("--issue-file", issue_file), ("--test-cmd", test_cmd),
                                          ("--python", python),
                                          ("--failing-test", failing_test), ("--allow-path", allow_path)) if value]
        if given:
            raise SutureExit(f"--resume continues run {resume} with its recorded options; leave out {', '.join(given)}.")
        root, options = resume_options(resume, guard.resolve_repo(repo) if repo is not None else None, model=model,
                                       api_base=api_base, max_cost=max_cost, time_limit=time_limit, mode=mode)
        _apply_sandbox(_settings(root, sandbox=sandbox, memory_limit=memory_limit))
        return root, options
    if issue_file is not None:
        try:
            issue = issue_file.read_text(errors="replace")
        except OSError as error:
            raise SutureExit(f"cannot read --issue-file {issue_file}: {error.strerror or error}.") from None
    root = guard.resolve_repo(repo)
    settings = _settings(root, test_cmd=test_cmd, time_limit=time_limit, model=model, api_base=api_base,
                         max_cost=max_cost, python=python, sandbox=sandbox, memory_limit=memory_limit,
                         pass_env=",".join(pass_env) or None)
    _apply_sandbox(settings)
    environment, command = None, settings.test_cmd
    if not target:  # C targets run no Python
        from suture.agent.environment import project_environment

        environment, command = project_environment(root, settings, settings.test_cmd)
    return root, FixOptions(
        test_cmd=command, environment=environment.to_dict() if environment else None,
        failing_tests=failing_test, issue_text=issue,
        time_limit=settings.time_limit, max_candidates=max_candidates, mode=mode, test_timeout=settings.test_timeout,
        model=settings.model, api_base=settings.api_base, max_cost=settings.max_cost, max_steps=max_steps,
        allow_paths=allow_path, map_tokens=settings.map_tokens, samples=samples, text_tools=text_tools,
        targets=tuple(target),
    )


@app.command()
@handled
def replay(
    run: str = typer.Argument(..., metavar="RUN", help="A fix or optimize run: its id under .suture/runs, or its directory."),
    repo: Optional[str] = RepoOption,
    as_json: bool = JsonOption,
) -> None:
    """Re-run a recorded fix or optimize run at its commit, its model turns played back, and check the same patch comes out.

    Exit 0: reproduced; 1: a different result (both patches shown); 2: unknown run, or HEAD moved since.
    """
    from suture.agent.cli import render
    from suture.agent.fix.replay import describe, replay_run

    root = guard.resolve_repo(repo) if repo is not None else None
    with render.live_status(enabled=sys.stderr.isatty()) as show:
        outcome = replay_run(run, root, on_progress=show)
    if as_json:
        render.print_json(outcome.report)
    else:
        sys.stdout.write(describe(outcome.report))
    raise typer.Exit(int(outcome.exit_code))


@app.command()
@handled
def localize(
    repo: Optional[str] = RepoOption,
    test_cmd: Optional[str] = typer.Option(None, "--test-cmd", metavar="CMD", help="Command that runs the tests (default: the test_cmd setting, else pytest)."),
    failing_test: list[str] = typer.Option([], "--failing-test", metavar="NODEID", help="Only these failing tests (a node id or a prefix of one); repeatable."),
    top: int = typer.Option(10, "--top", min=1, metavar="N", help="How many suspects to show."),
    formula: str = typer.Option("ochiai", "--formula", metavar="NAME", help="Suspiciousness formula: ochiai, tarantula or dstar."),
    python: Optional[str] = PythonOption,
    pass_env: list[str] = PassEnvOption,
    sandbox: Optional[str] = SandboxOption,
    memory_limit: Optional[str] = MemoryOption,
    as_json: bool = JsonOption,
) -> None:
    """Rank the functions most likely to hold the bug, from the spectra of the tests that fail at HEAD."""
    from suture.agent import runs
    from suture.agent.cli import render

    if formula not in FORMULAS:
        raise SutureExit(f"unknown --formula {formula!r}; use one of: {', '.join(FORMULAS)}.")
    root = guard.resolve_repo(repo)
    settings = _settings(root, test_cmd=test_cmd, python=python, sandbox=sandbox, memory_limit=memory_limit,
                         pass_env=",".join(pass_env) or None)
    _apply_sandbox(settings)
    from suture.agent.environment import project_environment
    from suture.tools.testing.localize import LocalizeError, localize as run_localize

    environment, command = project_environment(root, settings, settings.test_cmd)

    run_dir = runs.new_run_dir(root, "localize")
    with render.status("running the tests with per-test coverage", enabled=sys.stderr.isatty()):
        try:
            found = run_localize(root, test_cmd=command, failing_tests=failing_test,
                                 formula=formula, run_dir=run_dir, top=top)
        except LocalizeError as error:
            runs.write_report(run_dir, {"command": "localize", "status": "error", "error": str(error)})
            raise SutureExit(str(error)) from None
    report = _sandbox_report({**found.to_dict(), "environment": environment.to_dict(), "run_dir": str(run_dir)})
    runs.write_report(run_dir, {"command": "localize", **report})
    if as_json:
        render.print_json(report)
    else:
        render.stdout_console().print(render.ranking_table(report["ranking"]))
        sys.stderr.write(f"{len(found.failing)} failing test(s) at HEAD")
        sys.stderr.write(f", {len(found.flaky)} flaky and left out: {', '.join(found.flaky)}\n" if found.flaky else "\n")
    for note in found.notes:  # set-up errors left out, coverage that could not be recorded
        render.print_warning(note)
    if not found.ranking:
        render.print_error("the failing tests covered no code of the repository outside its tests.")
        raise typer.Exit(int(ExitCode.NOTHING_FOUND))


@app.command()
@handled
def undo(
    repo: Optional[str] = RepoOption,
    as_json: bool = JsonOption,
) -> None:
    """Take back the last `suture fix --apply` (reverse-apply) or `--commit` (delete its suture/<id> branch)."""
    from suture.agent.cli import render
    from suture.agent.fix.deliver import undo as undo_last_delivery

    root = guard.resolve_repo(repo)
    try:
        undone = undo_last_delivery(root)
    except SutureExit as exc:
        if not (as_json and exc.code == ExitCode.NOTHING_FOUND):
            raise
        render.print_error(exc.message, "suture undo")
        render.print_json({"undone": None, "message": exc.message})
        raise typer.Exit(int(exc.code)) from None
    if as_json:
        render.print_json(undone.to_dict())
    else:
        sys.stdout.write(undone.message + "\n")


@config_app.command("show")
@handled
def config_show(
    repo: Optional[str] = RepoOption,
    overrides: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Override a setting as an option would; repeatable."),
    as_json: bool = JsonOption,
) -> None:
    """Print every setting, its value and where it came from (cli, env, pyproject, default)."""
    from suture.agent import config
    from suture.agent.cli import render

    root = guard.resolve_repo(repo) if repo is not None else Path.cwd()
    cli: dict[str, Any] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in config.SPECS:
            raise SutureExit(f"--set takes KEY=VALUE with KEY one of: {', '.join(config.SPECS)}; got {item!r}.")
        cli[key] = value
    settings = _settings(root, **cli)
    shown = settings.as_dict()
    pyproject = str(settings.pyproject) if settings.pyproject else None
    if as_json:
        render.print_json({"settings": shown, "pyproject": pyproject})
    else:
        render.stdout_console().print(render.settings_table(shown))
        sys.stderr.write(f"[tool.suture] read from: {pyproject or 'none'}\n")


@app.command()
@handled
def verify(
    target: str = typer.Argument(..., metavar="TARGET", help="path/to/file.py::func (or path.py:func, module:func, Class.method as func), file.c or file.c::func."),
    repo: Optional[str] = RepoOption,
    against: Optional[str] = typer.Option(None, "--against", metavar="REV", help="Compare the function with its version at this commit (equivalence mode)."),
    mode: Optional[str] = typer.Option(None, "--mode", metavar="MODE", help="contracts (asserts, PEP 316, icontract/deal, crashes; C safety) or equivalence (default: equivalence with --against, else contracts)."),
    bound: Optional[int] = typer.Option(None, "--bound", metavar="N", help="Search bound in each backend's unit: CrossHair iterations, Hypothesis examples, ESBMC unwindings."),
    time_limit: float = typer.Option(30.0, "--time-limit", metavar="S", help="Wall-clock seconds for all backends together."),
    float_policy: str = typer.Option("exact", "--floats", metavar="POLICY", help="How equivalence compares floats: exact or isclose."),
    python: Optional[str] = typer.Option(None, "--python", metavar="PATH", help="The project's interpreter, whose packages the verifier imports after suture's own (default: detected as for fix)."),
    as_json: bool = JsonOption,
) -> None:
    """Bounded verification of one function (CrossHair, Hypothesis, ESBMC); every counterexample is replayed (Python in CPython, C compiled with sanitizers).

    Exit 0: no counterexample within the bound (or the search was exhausted); 1: a reproduced
    counterexample; 2: bad input or an unsupported target; 3: a verifier missing or failing.
    """
    from suture.agent.cli import render
    from suture.agent.verify import run_verify

    if float_policy not in ("exact", "isclose"):
        raise SutureExit(f"unknown --floats {float_policy!r}; use exact or isclose.")
    root = guard.resolve_repo(repo)
    from suture.agent.environment import project_environment

    environment, _ = project_environment(root, _settings(root, python=python), None, tests=False)
    with render.status("verifying", enabled=sys.stderr.isatty()):
        outcome = run_verify(root, target, against=against, mode=mode, bound=bound, time_limit=time_limit,
                             float_policy=float_policy)
    report = _for_user({**outcome.to_dict(), "environment": environment.to_dict()}, root)
    if as_json:
        render.print_json(report)
    else:
        verdict = outcome.verdict
        lines = [f"{report['target']}: {verdict.verdict.replace('_', ' ')} ({verdict.backend}, "
                 f"{verdict.bound_kind or 'bound'} {verdict.bound if verdict.bound is not None else '-'}, {verdict.seconds:.1f} s)",
                 f"  {verdict.message}"]
        if verdict.counterexample:
            cx = verdict.counterexample
            lines.append("  inputs: " + ", ".join(f"{name}={value}" for name, value in cx.inputs.items()))
            lines.append(f"  at {cx.location or '?'}: {cx.message}" + ("" if cx.replayed else " (not replayed)"))
        for artefact in verdict.artefacts:
            lines.append(f"  tool artefact, not a bug: {artefact}")
        sys.stdout.write(_for_user("\n".join(lines), root) + "\n")
    raise typer.Exit(int(outcome.exit_code))


@app.command(name="gh-event")
@handled
def gh_event(
    pass_env: list[str] = PassEnvOption,
    as_json: bool = JsonOption,
) -> None:
    """Answer the GitHub event of this Actions job: a labelled issue or a `/suture fix` comment gets a draft PR.

    Reads GITHUB_EVENT_PATH, GITHUB_EVENT_NAME, GITHUB_REPOSITORY, GITHUB_WORKSPACE, GITHUB_TOKEN and the
    Action's inputs as INPUT_* variables (see action.yml). Events it does not answer exit 0 with one log line.
    """
    from suture.agent.cli import render
    from suture.agent.integrations.gh_event import run_gh_event

    outcome = run_gh_event(pass_env=tuple(pass_env))
    if as_json:
        render.print_json(outcome.report)
    raise typer.Exit(int(outcome.exit_code))


@app.command()
@handled
def optimize(
    repo: Optional[str] = RepoOption,
    bench_cmd: Optional[str] = typer.Option(None, "--bench-cmd", metavar="CMD", help="What to speed up: a python script (python bench.py ...) or a pytest command, run in the repo."),
    target: list[str] = typer.Option([], "--target", metavar="MOD:FUNC", help="What to speed up: a function (pkg.mod:func or path.py::func) timed on --workload; repeatable (a PIE-style summary follows)."),
    workload: list[str] = typer.Option([], "--workload", metavar="FILE", help="A python file defining make_input(scale) -> the target's arguments; one for all targets or one per --target (default with a model: the model writes it)."),
    test_cmd: Optional[str] = typer.Option(None, "--test-cmd", metavar="CMD", help="Command that runs the tests (default: the test_cmd setting, else pytest when the repo has tests)."),
    model: Optional[str] = typer.Option(None, "--model", metavar="NAME", help="litellm model name (or scripted:PATH); default: the model setting, else the offline rewrite rules alone."),
    api_base: Optional[str] = typer.Option(None, "--api-base", metavar="URL", help="OpenAI-compatible server for the model (vLLM, llama.cpp)."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", metavar="USD", help="Most US dollars of model calls per run (default: the max_cost setting)."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", metavar="S", help="Wall-time budget in seconds (default: the time_limit setting)."),
    rounds: int = typer.Option(12, "--rounds", min=3, metavar="N", help="Interleaved timing rounds per comparison (baseline and candidate once each per round)."),
    python: Optional[str] = PythonOption,
    pass_env: list[str] = PassEnvOption,
    sandbox: Optional[str] = SandboxOption,
    memory_limit: Optional[str] = MemoryOption,
    interactive: bool = typer.Option(False, "--interactive", help="Show each measured candidate and read a: accept, r: reject, or guidance for the model from stdin."),
    apply: bool = typer.Option(False, "--apply", help="Write the edits into the working tree (only if they apply cleanly)."),
    commit: bool = typer.Option(False, "--commit", help="Commit the edits on a new branch suture/<run-id>; your checkout is not changed."),
    resume: Optional[str] = typer.Option(None, "--resume", metavar="RUN", help="Continue an interrupted optimize run (an id under .suture/runs, or its directory) with its recorded options: its model answers are played back, then the model (--model, else the recorded one) goes on."),
    as_json: bool = JsonOption,
) -> None:
    """Make a function or a bench faster: profile, propose rewrites, keep only equivalent edits with a significant speed-up.

    Exit 0: optimized; 1: no significant speed-up; 2: bad input; 4: provider error; 5: budget spent.
    """
    from suture.agent.cli import render
    from suture.agent.optimize.pipeline import run_optimize

    if apply and commit:
        raise SutureExit("--apply and --commit exclude each other; pick one.")
    mode = "apply" if apply else "commit" if commit else "print"
    if resume is not None:
        root, options = _resume_optimize(resume, repo, mode=mode, model=model, api_base=api_base, max_cost=max_cost,
                                         time_limit=time_limit, given=(("--bench-cmd", bench_cmd), ("--target", target),
                                                                       ("--workload", workload), ("--test-cmd", test_cmd),
                                                                       ("--python", python)))
        interactive = options.interactive
    else:
        root, options = _optimize_options(repo, mode=mode, bench_cmd=bench_cmd, target=target, workload=workload,
                                          test_cmd=test_cmd, model=model, api_base=api_base, max_cost=max_cost,
                                          time_limit=time_limit, rounds=rounds, python=python, interactive=interactive,
                                          pass_env=pass_env)
    _apply_sandbox(_settings(root, sandbox=sandbox, memory_limit=memory_limit))
    if not options.model:
        render.print_warning("no model set: optimizing with the built-in rewrite rules alone (offline).")
    else:
        guard.check_model_name(options.model)
    with render.live_status(enabled=sys.stderr.isatty() and not interactive) as show:
        outcome = run_optimize(root, options, on_progress=show)
    report = _sandbox_report(outcome.report)
    if as_json:
        render.print_json(report)
    else:
        _print_optimize_report(report)
    raise typer.Exit(int(outcome.exit_code))


def _optimize_options(repo: Optional[str], *, mode: str, bench_cmd: Optional[str], target: list[str],
                      workload: list[str], test_cmd: Optional[str], model: Optional[str], api_base: Optional[str],
                      max_cost: Optional[float], time_limit: Optional[float], rounds: int, python: Optional[str],
                      interactive: bool, pass_env: list[str]) -> tuple[Path, Any]:
    """The repository and the OptimizeOptions record of one `suture optimize`."""
    from suture.agent.options import OptimizeOptions

    if bool(bench_cmd) == bool(target):
        raise SutureExit("give exactly one of --bench-cmd CMD or --target MOD:FUNC.")
    if workload and bench_cmd:
        raise SutureExit("--workload goes with --target; a --bench-cmd is its own workload.")
    if len(workload) > 1 and len(workload) != len(target):
        raise SutureExit(f"give one --workload for all targets or one per --target ({len(target)}), not {len(workload)}.")
    root = guard.resolve_repo(repo)
    settings = _settings(root, test_cmd=test_cmd, time_limit=time_limit, model=model, api_base=api_base,
                         max_cost=max_cost, python=python, pass_env=",".join(pass_env) or None)
    from suture.agent.environment import project_environment

    environment, command = project_environment(root, settings, settings.test_cmd)
    # Absolute, so that `suture replay` and `--resume` find them from any directory.
    workload = [str(Path(w).expanduser().resolve()) for w in workload]
    return root, OptimizeOptions(
        bench_cmd=bench_cmd, target=target[0] if target else None, workload=workload[0] if workload else None,
        test_cmd=command, environment=environment.to_dict(), python=None if environment.own else environment.python, model=settings.model, max_cost=settings.max_cost,
        time_limit=settings.time_limit, rounds=rounds, mode=mode,
        interactive=interactive, targets=tuple(target), workloads=tuple(workload), api_base=settings.api_base,
    )


def _resume_optimize(resume: str, repo: Optional[str], *, mode: str, model: Optional[str], api_base: Optional[str],
                     max_cost: Optional[float], time_limit: Optional[float],
                     given: tuple[tuple[str, Any], ...]) -> tuple[Path, Any]:
    """The repository and the recorded OptimizeOptions that continue the interrupted run `resume`."""
    from suture.agent.fix.replay import resume_options

    named = [flag for flag, value in given if value]
    if named:
        raise SutureExit(f"--resume continues run {resume} with its recorded options; leave out {', '.join(named)}.")
    return resume_options(resume, guard.resolve_repo(repo) if repo is not None else None, model=model,
                          api_base=api_base, max_cost=max_cost, time_limit=time_limit, mode=mode, command="optimize")


def _print_optimize_report(report: dict[str, Any]) -> None:
    from suture.agent.cli import render

    if report["patch"]:
        render.print_patch(report["patch"])
    for edit in report["edits"]:
        ratio = f", {edit['instructions_ratio']:.2f}x fewer instructions" if edit.get("instructions_ratio") else ""
        verdicts = ", ".join(f"{k} {v}" for k, v in edit["equivalence"].items() if v)
        sys.stderr.write(f"{edit['path']}::{edit['function']} ({edit['rule']}): {edit['speedup']:.2f}x faster, "
                         f"95% CI {edit['ci_low']:.2f}-{edit['ci_high']:.2f}{ratio}; {verdicts}\n")
    for line in render.rejected_lines(report.get("candidates", ())):
        sys.stderr.write(line + "\n")
    summary = report.get("summary")
    if summary:
        sys.stderr.write(f"{summary['optimized_share'] * 100:.0f}% of targets optimized, "
                         f"mean speed-up {summary['mean_speedup']:.2f}x (failures count as 1.0x)\n")
    if report["status"] != "optimized":
        sys.stderr.write(f"no significant speed-up ({report.get('stopped_because') or 'nothing to try'}); "
                         f"{report['candidates_tried']} candidate(s) tried, see {report['run_dir']}\n")


@app.command()
@handled
def check(
    paths: list[str] = typer.Argument(None, metavar="[PATH]...", help="Check only these staged files (default: every staged file)."),
    repo: Optional[str] = RepoOption,
    time_cap: float = typer.Option(20.0, "--time-cap", metavar="S", help="Hard limit in seconds; when reached the check stops, warns and passes (exit 0)."),
    python: Optional[str] = PythonOption,
    pass_env: list[str] = PassEnvOption,
    sandbox: Optional[str] = SandboxOption,
    memory_limit: Optional[str] = MemoryOption,
    as_json: bool = JsonOption,
) -> None:
    """Check the staged changes before a commit (the pre-commit hook): parse, covering tests, bounded verifier.

    Offline, never changes a file. Exit 0: nothing wrong (or the time cap was hit: a warning says
    what went unchecked); 1: a finding, each with file:line; 2: not a git work tree or bad input.
    """
    from suture.agent.cli import render
    from suture.agent.integrations.check import run_check, summary

    root = guard.resolve_repo(repo)
    _apply_sandbox(_settings(root, sandbox=sandbox, memory_limit=memory_limit))
    with render.status("checking the staged changes", enabled=sys.stderr.isatty()):
        outcome = run_check(root, time_cap=time_cap, paths=paths or (), interpreter=python, pass_env=tuple(pass_env))
    report = _for_user(_sandbox_report(outcome.report), root)
    for warning in report["warnings"]:
        render.print_warning(warning)
    if as_json:
        render.print_json(report)
    else:
        sys.stdout.write(_for_user(summary(outcome), root) + "\n")
    raise typer.Exit(int(outcome.exit_code))


def main() -> None:
    """Console-script entry point."""
    app(prog_name="suture")


if __name__ == "__main__":
    main()
