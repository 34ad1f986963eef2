"""Which tree-sitter grammar reads which file.

Grammars come from the per-language wheels (tree_sitter_python, ...). Loading one
costs a few milliseconds, so each is loaded on first use and kept.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # tree_sitter is imported on first parse: a warm index never needs it
    from tree_sitter import Language, Parser

# extension -> language name
EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".rs": "rust",
}

LANGUAGES: tuple[str, ...] = ("python", "javascript", "typescript", "tsx", "go", "java", "c", "rust")

# Source code we recognise but have no grammar for: the index counts these as
# skipped ("no_grammar") so a user sees why a Ruby file has no symbols, instead
# of the file silently vanishing. Anything else (docs, data, images) is simply
# not source code and is neither indexed nor counted.
NO_GRAMMAR_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".rb", ".php", ".kt", ".kts", ".swift", ".cs", ".scala", ".lua", ".cpp", ".cxx",
        ".cc", ".c++", ".hpp", ".hh", ".hxx", ".m", ".mm", ".pl", ".pm", ".r", ".jl",
        ".dart", ".ex", ".exs", ".erl", ".hs", ".ml", ".mli", ".fs", ".clj", ".groovy",
        ".vue", ".svelte", ".zig", ".nim", ".sh", ".bash", ".ps1", ".sql", ".pyx",
    }
)

# language -> (module, function returning the grammar pointer)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "rust": ("tree_sitter_rust", "language"),
}


def _suffix(path: str) -> str:
    # str methods, not PurePosixPath: this runs for every file of every build.
    dot = path.rfind(".")
    return path[dot:].lower() if dot > path.rfind("/") + 1 else ""


def language_for_path(path: str) -> str | None:
    """The language name for a file path, or None when no grammar reads it."""
    return EXTENSIONS.get(_suffix(path))


def has_no_grammar(path: str) -> bool:
    """True for well-known source files of a language without a grammar here."""
    return _suffix(path) in NO_GRAMMAR_EXTENSIONS


@cache
def get_language(name: str) -> Language:
    """The tree-sitter Language for `name` (loaded once). KeyError for unknown names."""
    from tree_sitter import Language

    module_name, function_name = _GRAMMARS[name]
    module = importlib.import_module(module_name)
    return Language(getattr(module, function_name)())


@cache
def get_parser(name: str) -> Parser:
    """A Parser for `name`, shared per process (parsing is not re-entrant, but the
    index never parses from two threads)."""
    from tree_sitter import Parser

    return Parser(get_language(name))
