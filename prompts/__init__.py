"""suture.prompts: the prompt texts, one file per role or stage, and the loader that fills them.

Every text a model reads lives here and is read through this loader: the planner's prompts,
optimize's, the tool descriptions and the observations the planner's tools answer with
(planner_tools.md, observations.md: one file of short texts, a "## key" heading each), and the
instructions for models without native tool calls (text_tools.md).

Templates use `string.Template` placeholders ($name / ${name}) because prompts quote code,
and code is full of the braces str.format would trip over. A missing value is an error
(a prompt silently missing its issue text is worse than a crash in tests).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template

__all__ = ["load", "render", "render_section", "sections"]


@cache
def load(name: str) -> str:
    """The text of prompts/<name>.md."""
    return resources.files(__name__).joinpath(f"{name}.md").read_text(encoding="utf-8")


def render(name: str, /, **values: object) -> str:
    return Template(load(name)).substitute({k: str(v) for k, v in values.items()})


@cache
def sections(name: str) -> dict[str, str]:
    """prompts/<name>.md as {key: text} for its "## key" headings (the text stripped of the blank
    lines around it; nothing before the first heading counts)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in load(name).splitlines():
        if line.startswith("## "):
            current = found.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line)
    return {key: "\n".join(lines).strip("\n") for key, lines in found.items()}


def render_section(name: str, key: str, /, **values: object) -> str:
    """One section of prompts/<name>.md with its $placeholders filled (see `render`)."""
    return Template(sections(name)[key]).substitute({k: str(v) for k, v in values.items()})
