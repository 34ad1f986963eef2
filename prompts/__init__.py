"""suture.prompts: the prompt texts, one file per role or stage, and the loader that fills them.

Templates use `string.Template` placeholders ($name / ${name}) because prompts quote code,
and code is full of the braces str.format would trip over. A missing value is an error
(a prompt silently missing its issue text is worse than a crash in tests).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template

__all__ = ["load", "render"]


@cache
def load(name: str) -> str:
    """The text of prompts/<name>.md."""
    return resources.files(__name__).joinpath(f"{name}.md").read_text(encoding="utf-8")


def render(name: str, **values: object) -> str:
    return Template(load(name)).substitute({k: str(v) for k, v in values.items()})
