"""The changed functions of the staged files: which function (else module level) each changed line
falls in, and whether it declares a contract the verifier checks."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from suture.agent.integrations.check.clock import Clock
from suture.agent.integrations.check.reading import Reading
from suture.retrieval.model import CLASS, Symbol, innermost_symbol
from suture.tools.git.staged import StagedChange

__all__ = ["MODULE", "Unit", "all_changed_units", "contracted", "owner"]

MODULE = "<module>"


@dataclass
class Unit:
    """A changed function (or "<module>" for changes outside any function) of one file."""

    path: str
    symbol: str
    line: int  # first line in the staged file (in the HEAD file when deleted)
    has_contracts: bool = False
    exists_staged: bool = True
    exists_head: bool = True

    @property
    def is_function(self) -> bool:
        return self.symbol != MODULE


def owner(symbols: list[Symbol], line: int) -> Symbol | None:
    """The innermost function or method holding `line`; None for class bodies and module level."""
    symbol = innermost_symbol(symbols, line)
    return None if symbol is None or symbol.kind == CLASS else symbol


def contracted(source: bytes | ast.Module | None, qualname: str) -> bool:
    """Does the function declare a contract the verifier checks (crosshair_backend's rule)?"""
    if source is None:
        return False
    from suture.tools.verify.crosshair_backend import _has_contracts  # the backend's own reading of "has contracts"
    from suture.tools.verify.verifier import find_function

    try:
        func = find_function(source if isinstance(source, ast.Module) else ast.parse(source), qualname)
    except (SyntaxError, ValueError):
        return False
    return func is not None and _has_contracts(func)


def _code_lines(rows: list[bytes], lines: set[int]) -> set[int]:
    """The lines among `lines` that hold code: a blank line or a comment changes no behaviour."""
    return {n for n in lines if 0 < n <= len(rows) and rows[n - 1].strip() and not rows[n - 1].lstrip().startswith(b"#")}


def _changed_units(change: StagedChange, reading: Reading) -> list[Unit]:
    old_symbols, new_symbols = reading.symbols()
    old_names = {s.qualname for s in old_symbols}
    new_by_name = {s.qualname: s for s in new_symbols}
    units: dict[str, Unit] = {}
    for lines, symbols, rows in ((change.new_lines, new_symbols, reading.new_rows), (change.old_lines, old_symbols, reading.old_rows)):
        for line in sorted(_code_lines(rows, lines)):
            found = owner(symbols, line)
            name = found.qualname if found else MODULE
            if name in units:
                continue
            staged = new_by_name.get(name)
            start = staged.start_line if staged else found.start_line if found else line
            units[name] = Unit(change.path, name, start, exists_staged=name == MODULE or staged is not None,
                               exists_head=name == MODULE or name in old_names)
    for unit in units.values():
        if unit.is_function and unit.exists_staged:
            unit.has_contracts = contracted(reading.new_tree(), unit.symbol)
    return sorted(units.values(), key=lambda u: (u.line, u.symbol))


def all_changed_units(python: list[StagedChange], readings: dict[str, Reading], clock: Clock,
                      report: dict[str, Any]) -> list[Unit]:
    """The functions (else module level) the staged changes touch, file by file under the cap."""
    found: list[Unit] = []
    for change in python:
        reading = readings[change.path]
        clock.need(0.5, f"reading the changed functions of {change.path}")
        found += _changed_units(change, reading)
        if reading.large:
            report["notes"].append(
                f"{change.path} is large ({len(reading.new or reading.old or b'') / 1e6:.1f} MB): "
                + ("read by the top-level statements around its changes." if reading.windows is not None else
                   "its changes could not be placed in their functions quickly and count as module level."))
    return found
