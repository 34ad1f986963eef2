"""The commands that read the code: `index`, `search`, `map`, and `config show`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

from suture.agent import guard
from suture.agent.exitcodes import ExitCode, SutureExit
from suture.agent.cli.app import (
    SEARCH_KINDS,
    JsonOption,
    RepoOption,
    app,
    config_app,
    handled,
    open_index,
    settings_for,
)


@app.command()
@handled
def index(
    repo: Optional[str] = RepoOption,
    as_json: bool = JsonOption,
) -> None:
    """Build or refresh the code index of a repository (cached under .suture/)."""
    from suture.agent.cli import render

    root = guard.resolve_repo(repo)
    settings = settings_for(root)
    built = open_index(root, settings)
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
    settings = settings_for(root, search_limit=limit)
    built = open_index(root, settings)
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
    settings = settings_for(root, map_tokens=tokens)
    built = open_index(root, settings)
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
    settings = settings_for(root, **cli)
    shown = settings.as_dict()
    pyproject = str(settings.pyproject) if settings.pyproject else None
    if as_json:
        render.print_json({"settings": shown, "pyproject": pyproject})
    else:
        render.stdout_console().print(render.settings_table(shown))
        sys.stderr.write(f"[tool.suture] read from: {pyproject or 'none'}\n")
