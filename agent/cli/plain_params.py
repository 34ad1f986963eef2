"""Plain command-line values without pydantic: the CLI's start-up cost, not its behaviour.

typer 0.29 coerces every parameter of the command being run through a pydantic TypeAdapter, built
when the parameter is processed, given or not: importing pydantic and building ~20 validators cost
about 0.45 CPU-s of every `suture fix` (bench/RESULTS.md, h/suitecpu), which the test suite pays a few
hundred times. Most values need none of it: a str is a str, a digit string an int, a path a Path.

So each parameter's coercion is deferred (nothing is built for a parameter that was not given) and
the plain cases are answered here, exactly as pydantic answers them; anything else (a bad number, a
value out of range, another type) goes to typer's own adapter, so its value and its error message
are typer's. Installed once by agent/cli/app.py; without typer's runtime-parameter layer (another
typer version) nothing is changed.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_INT = re.compile(r"-?[0-9]{1,18}")
_FLOAT = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")
_UNANSWERED = object()


def install() -> bool:
    """Defer and shortcut the coercion of typer's parameters; False when this typer has no such layer."""
    try:
        from typer import _coercion, core
    except ImportError:
        return False
    parameter = getattr(core, "_TyperParameter", None)
    runtime = getattr(_coercion, "RuntimeParam", None)
    build = getattr(_coercion, "build_runtime_param", None)
    if parameter is None or runtime is None or build is None or getattr(parameter, "_suture_plain", False):
        return bool(parameter is not None and getattr(parameter, "_suture_plain", False))
    try:
        from typer._param_types import coerce_cli_path as checked_path
    except ImportError:
        checked_path = None

    @dataclass(frozen=True)
    class PlainRuntimeParam(runtime):  # type: ignore[misc, valid-type]
        """typer's runtime parameter, built only for a value the plain cases do not answer."""

        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                plain = plain_value(self.descriptor, value)
                if isinstance(plain, Path) and checked_path is not None:
                    # typer's own checks (exists, readable...) on the Path pydantic would have made
                    plain = checked_path(plain, self.descriptor.parameter_info, path_type=Path, param=param, ctx=ctx)
            except Exception:  # noqa: BLE001 - typer's adapter below says it in typer's words
                plain = _UNANSWERED
            if plain is not _UNANSWERED:
                return plain
            return build(self.descriptor)._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            self._runtime_param = PlainRuntimeParam(parameter_info=descriptor.parameter_info,
                                                    annotation=descriptor.annotation, descriptor=descriptor)
        return self._runtime_param

    parameter.get_runtime_param = get_runtime_param
    parameter._suture_plain = True
    return True


def _optional_of(annotation: Any) -> Any:
    """X for Optional[X] / X | None, else the annotation."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def plain_value(descriptor: Any, value: Any) -> Any:
    """The value typer's pydantic adapter gives `value` for these plain cases, else _UNANSWERED:
    str; int and float from digits (within min/max, no clamping); Path from a non-empty str (typer's path checks
    follow); a list of str."""
    info = descriptor.parameter_info
    if getattr(info, "parser", None) is not None or getattr(info, "click_type", None) is not None:
        return _UNANSWERED
    annotation = _optional_of(descriptor.annotation)
    if typing.get_origin(annotation) is list and typing.get_args(annotation) == (str,):
        if isinstance(value, (list, tuple)) and all(type(item) is str for item in value):
            return list(value)
        return _UNANSWERED
    if annotation is str:
        return value if type(value) is str else _UNANSWERED
    if annotation is int or annotation is float:
        return _number(annotation, info, value)
    if annotation is Path and type(value) is str and value and getattr(info, "path_type", None) is None:
        return Path(value)
    return _UNANSWERED


def _number(kind: type, info: Any, value: Any) -> Any:
    if type(value) is str and (_INT if kind is int else _FLOAT).fullmatch(value):
        number = kind(value)
    elif type(value) is int or (kind is float and type(value) is float):
        number = kind(value)
    else:
        return _UNANSWERED
    low, high = getattr(info, "min", None), getattr(info, "max", None)
    if (low is not None and number < low) or (high is not None and number > high):
        return _UNANSWERED  # typer says why (or clamps)
    return number

