"""agent/cli/plain_params.py: the plain values it answers without pydantic are the values typer's own
pydantic adapter gives, and everything else still goes to typer (same value, same error)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest

typer = pytest.importorskip("typer")
_coercion = pytest.importorskip("typer._coercion")

from typer.models import OptionInfo  # noqa: E402

from suture.agent.cli import plain_params  # noqa: E402
from suture.agent.cli.plain_params import _UNANSWERED, plain_value  # noqa: E402


def _descriptor(annotation, **info):
    return _coercion.resolve_type_descriptor(annotation=annotation, parameter_info=OptionInfo(**info))


CASES = [
    (str, {}, "abc"), (str, {}, ""), (Optional[str], {}, "x y"),
    (int, {}, "42"), (int, {}, "-7"), (int, {}, 500), (int, {"min": 0}, "0"), (int, {"min": 1, "max": 8}, "8"),
    (float, {}, "240"), (float, {}, "0.25"), (float, {}, 30), (float, {}, 2.5), (Optional[float], {}, "60"),
    (list[str], {}, ("a", "b")), (list[str], {}, ()),
    (Path, {}, "some/file.txt"), (Optional[Path], {}, "-"),
]


@pytest.mark.parametrize("annotation,info,value", CASES)
def test_plain_values_are_typers_values(annotation, info, value):
    descriptor = _descriptor(annotation, **info)
    plain = plain_value(descriptor, value)
    assert plain is not _UNANSWERED
    typers = _coercion.build_runtime_param(descriptor)._coerce_value(value, param=None, ctx=None)
    assert plain == typers and type(plain) is type(typers)


@pytest.mark.parametrize("annotation,info,value", [
    (int, {}, "4.0"), (int, {}, "abc"), (int, {}, " 4"), (int, {"min": 1}, "0"), (int, {"max": 8}, "9"),
    (float, {}, "1e3"), (float, {}, "nan"), (float, {}, "inf"), (float, {}, True), (int, {}, True),
    (str, {}, 3), (list[str], {}, ("a", 1)), (Path, {}, ""),
])
def test_anything_else_is_left_to_typer(annotation, info, value):
    assert plain_value(_descriptor(annotation, **info), value) is _UNANSWERED


def test_the_cli_parses_without_importing_pydantic(tmp_path):
    """A command given a string, numbers, a repeated option and a path needs no pydantic."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from suture.agent.cli.main import app\n"
            "try:\n"
            "    app(['localize', '--repo', sys.argv[1], '--top', '3', '--test-cmd', 'pytest', '--pass-env', 'A',\n"
            "         '--issue-file', sys.argv[1] + '/nothing.txt'], prog_name='suture')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print('pydantic' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "False", done.stderr
    assert "is not inside a git work tree" in done.stderr or "nothing.txt" in done.stderr


def test_install_is_idempotent():
    assert plain_params.install() is True
    assert plain_params.install() is True
