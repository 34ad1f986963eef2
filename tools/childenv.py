"""The environment of the processes that run a project's code: its tests, the verifiers'
children, the optimizer's timed runs.

Those processes run code a model may have written, so the credentials suture holds stay
with suture: the model providers' keys (the names litellm reads) and the GitHub Action's
tokens are left out. Everything else is inherited as is; a project whose tests need one of
these names can set it through its test command.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["SECRET_ENV_NAMES", "project_env"]

SECRET_ENV_NAMES = frozenset({
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AZURE_API_KEY", "AZURE_OPENAI_API_KEY", "GEMINI_API_KEY",
    "GOOGLE_API_KEY", "VERTEXAI_CREDENTIALS", "MISTRAL_API_KEY", "COHERE_API_KEY", "GROQ_API_KEY",
    "TOGETHERAI_API_KEY", "TOGETHER_API_KEY", "DEEPSEEK_API_KEY", "OPENROUTER_API_KEY", "XAI_API_KEY",
    "FIREWORKS_AI_API_KEY", "PERPLEXITYAI_API_KEY", "HUGGINGFACE_API_KEY", "HF_TOKEN", "REPLICATE_API_KEY",
    "LITELLM_API_KEY", "LITELLM_MASTER_KEY",
    "GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
})


def project_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of `base` (default: this process's environment) without the credentials."""
    source = os.environ if base is None else base
    return {name: value for name, value in source.items() if name not in SECRET_ENV_NAMES}
