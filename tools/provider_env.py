"""The environment variables litellm's provider code reads (keys, tokens, API bases, projects).

Generated from litellm's own source, not typed by hand: `python -m suture.tools.provider_env`
prints this module again from the installed litellm (tests/test_childenv.py checks that the
list below holds every name the installed litellm's table names). The table is read from the
source with `ast`, never by importing litellm (seconds of start-up, and this list is needed by
every child process suture starts): the names litellm's provider code reads with get_secret /
get_secret_str / os.getenv / os.environ in `main.py`, `utils.validate_environment`,
`litellm_core_utils/get_llm_provider_logic.py`, and the `api_key_env` / `api_base_env` of
`llms/openai_like/providers.json`.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

__all__ = ["LITELLM_PROVIDER_ENV", "LITELLM_VERSION", "names_in_litellm"]

LITELLM_VERSION = "1.106.2"

_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
_READERS = {"get_secret", "get_secret_str", "get_secret_bool", "getenv", "_get_secret_str"}
# Where the provider table lives in litellm's source (package-relative).
_SOURCES = ("main.py", "litellm_core_utils/get_llm_provider_logic.py")
_VALIDATE = ("utils.py", "validate_environment")
_OPENAI_LIKE = "llms/openai_like/providers.json"


def _env_reads(tree: ast.AST) -> set[str]:
    """String literals passed to litellm's secret readers, os.getenv, os.environ[...] / .get, missing_keys.append."""
    found = set()
    for node in ast.walk(tree):
        literal = None
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            reads = name in _READERS or (
                isinstance(func, ast.Attribute) and (
                    (func.attr in ("get", "pop") and ast.unparse(func.value) == "os.environ")
                    or (func.attr == "append" and ast.unparse(func.value) == "missing_keys")))
            if reads and node.args and isinstance(node.args[0], ast.Constant):
                literal = node.args[0].value
            elif reads:
                literal = next((kw.value.value for kw in node.keywords if kw.arg in ("secret_name", "key")
                                and isinstance(kw.value, ast.Constant)), None)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            if isinstance(node.slice, ast.Constant):
                literal = node.slice.value
        if isinstance(literal, str) and _ENV_NAME.match(literal):
            found.add(literal)
    return found


def names_in_litellm(root: Path) -> set[str]:
    """The provider table's names in the litellm package at `root` (read, not imported)."""
    names: set[str] = set()
    for rel in _SOURCES:
        names |= _env_reads(ast.parse((root / rel).read_text(encoding="utf-8")))
    utils = ast.parse((root / _VALIDATE[0]).read_text(encoding="utf-8"))
    for node in ast.walk(utils):
        if isinstance(node, ast.FunctionDef) and node.name == _VALIDATE[1]:
            names |= _env_reads(node)
    for provider in json.loads((root / _OPENAI_LIKE).read_text(encoding="utf-8")).values():
        names |= {provider[k] for k in ("api_key_env", "api_base_env") if isinstance(provider.get(k), str)}
    return names


_MARK = "# -- generated " + "below: do not edit by hand"


def _render(names: set[str], version: str) -> str:
    """This module again, with `names` as the list (the code above the list kept as it is)."""
    this = Path(__file__).read_text(encoding="utf-8")
    code = this[: this.index(_MARK)].replace(f'LITELLM_VERSION = "{LITELLM_VERSION}"', f'LITELLM_VERSION = "{version}"', 1)
    body = "".join(f'    "{name}",\n' for name in sorted(names))
    return f"{code}{_MARK}\nLITELLM_PROVIDER_ENV = frozenset({{\n{body}}})\n"


if __name__ == "__main__":  # regenerate: python -m suture.tools.provider_env > tools/provider_env.py
    import importlib.metadata
    import importlib.util

    spec = importlib.util.find_spec("litellm")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        sys.exit("litellm is not installed here.")
    sys.stdout.write(_render(names_in_litellm(Path(spec.submodule_search_locations[0])),
                             importlib.metadata.version("litellm")))


# -- generated below: do not edit by hand
LITELLM_PROVIDER_ENV = frozenset({
    "A2A_API_BASE",
    "ABLITERATION_API_KEY",
    "AI21_API_BASE",
    "AI21_API_KEY",
    "AIHUBMIX_API_BASE",
    "AIHUBMIX_API_KEY",
    "ALEPHALPHA_API_KEY",
    "ALEPH_ALPHA_API_BASE",
    "ALEPH_ALPHA_API_KEY",
    "AMAZON_NOVA_API_BASE",
    "AMAZON_NOVA_API_KEY",
    "ANTHROPIC_API_BASE",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANYSCALE_API_BASE",
    "ANYSCALE_API_KEY",
    "ARK_API_KEY",
    "ASSEMBLYAI_API_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AZURE_AD_TOKEN",
    "AZURE_AI_API_BASE",
    "AZURE_AI_API_KEY",
    "AZURE_API_BASE",
    "AZURE_API_KEY",
    "AZURE_API_TYPE",
    "AZURE_API_VERSION",
    "AZURE_OPENAI_API_KEY",
    "BASETEN_API_BASE",
    "BASETEN_API_KEY",
    "BEDROCK_MANTLE_API_BASE",
    "BEDROCK_MANTLE_API_KEY",
    "BYTEZ_API_KEY",
    "CEREBRAS_API_BASE",
    "CEREBRAS_API_KEY",
    "CHARITY_ENGINE_API_KEY",
    "CHUTES_API_KEY",
    "CLOUDFLARE_API_BASE",
    "CLOUDFLARE_API_KEY",
    "CODESTRAL_API_BASE",
    "CODESTRAL_API_KEY",
    "COGNITION_API_BASE",
    "COGNITION_API_KEY",
    "COHERE_API_BASE",
    "COHERE_API_KEY",
    "COMETAPI_API_BASE",
    "COMETAPI_KEY",
    "COMPACTIFAI_API_KEY",
    "CORTECS_API_BASE",
    "CORTECS_API_KEY",
    "CO_API_KEY",
    "CRUSOE_API_BASE",
    "CRUSOE_API_KEY",
    "DARKBLOOM_API_BASE",
    "DARKBLOOM_API_KEY",
    "DASHSCOPE_API_KEY",
    "DATABRICKS_API_BASE",
    "DATABRICKS_API_KEY",
    "DATAROBOT_API_TOKEN",
    "DEEPINFRA_API_KEY",
    "DEEPSEEK_API_BASE",
    "DEEPSEEK_API_KEY",
    "EDENAI_API_KEY",
    "EMPIRIOLABS_API_BASE",
    "EMPIRIOLABS_API_KEY",
    "EMPOWER_API_BASE",
    "EMPOWER_API_KEY",
    "EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER",
    "FEATHERLESS_AI_API_KEY",
    "FIREWORKS_AI_API_KEY",
    "FRIENDLIAI_API_KEY",
    "FRIENDLI_API_BASE",
    "FRIENDLI_TOKEN",
    "GALADRIEL_API_BASE",
    "GALADRIEL_API_KEY",
    "GDC_API_BASE",
    "GDC_API_KEY",
    "GEMINI_API_BASE",
    "GEMINI_API_KEY",
    "GIGACHAT_API_BASE",
    "GIGACHAT_API_KEY",
    "GIGACHAT_CREDENTIALS",
    "GITHUB_API_BASE",
    "GITHUB_API_KEY",
    "GMI_API_KEY",
    "GOOGLE_API_KEY",
    "GROQ_API_BASE",
    "GROQ_API_KEY",
    "HELICONE_API_KEY",
    "HF_TOKEN",
    "HOSTED_VLLM_API_BASE",
    "HOSTED_VLLM_API_KEY",
    "HUGGINGFACE_API_KEY",
    "HYPERBOLIC_API_KEY",
    "INCEPTION_API_BASE",
    "INCEPTION_API_KEY",
    "INFINITY_API_KEY",
    "LAMBDA_API_KEY",
    "LANGGRAPH_API_BASE",
    "LANGGRAPH_API_KEY",
    "LEMONADE_API_KEY",
    "LIBERTAI_API_BASE",
    "LIBERTAI_API_KEY",
    "LITELLM_ANTHROPIC_DISABLE_URL_SUFFIX",
    "LITELLM_DEFAULT_EMBEDDING_ENCODING_FORMAT",
    "LLAMAGATE_API_KEY",
    "LLAMA_API_BASE",
    "LLAMA_API_KEY",
    "MANUS_API_BASE",
    "MANUS_API_KEY",
    "MARITALK_API_BASE",
    "MARITALK_API_KEY",
    "META_API_BASE",
    "META_API_KEY",
    "MINIMAX_API_BASE",
    "MINIMAX_API_KEY",
    "MISTRAL_API_BASE",
    "MISTRAL_API_KEY",
    "MODELSCOPE_API_KEY",
    "MOONSHOT_API_KEY",
    "NADIR_API_BASE",
    "NADIR_API_KEY",
    "NANOGPT_API_KEY",
    "NEBIUS_API_BASE",
    "NEBIUS_API_KEY",
    "NEOSANTARA_API_BASE",
    "NEOSANTARA_API_KEY",
    "NLP_CLOUD_API_BASE",
    "NLP_CLOUD_API_KEY",
    "NOVITA_API_BASE",
    "NOVITA_API_KEY",
    "NVIDIA_NIM_API_BASE",
    "NVIDIA_NIM_API_KEY",
    "NVIDIA_RIVA_API_BASE",
    "NVIDIA_RIVA_API_KEY",
    "OLLAMA_API_BASE",
    "OLLAMA_API_KEY",
    "OPENAI_API_BASE",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_LIKE_API_BASE",
    "OPENAI_LIKE_API_KEY",
    "OPENAI_ORGANIZATION",
    "OPENAI_PROJECT",
    "OPENROUTER_API_BASE",
    "OPENROUTER_API_KEY",
    "OR_API_KEY",
    "OR_APP_NAME",
    "OR_SITE_URL",
    "OVHCLOUD_API_BASE",
    "OVHCLOUD_API_KEY",
    "PALM_API_KEY",
    "PARASAIL_API_BASE",
    "PARASAIL_API_KEY",
    "PERPLEXITYAI_API_KEY",
    "PINSTRIPES_API_BASE",
    "PINSTRIPES_API_KEY",
    "POE_API_KEY",
    "PREDIBASE_API_BASE",
    "PREDIBASE_API_KEY",
    "PREDIBASE_TENANT_ID",
    "PRISM_API_BASE",
    "PRISM_API_KEY",
    "PUBLICAI_API_BASE",
    "PUBLICAI_API_KEY",
    "REKA_API_BASE",
    "REKA_API_KEY",
    "REPLICATE_API_BASE",
    "REPLICATE_API_KEY",
    "REPLICATE_API_TOKEN",
    "SAIL_API_BASE",
    "SAIL_API_KEY",
    "SAMBANOVA_API_BASE",
    "SAMBANOVA_API_KEY",
    "SARVAM_API_KEY",
    "SCW_SECRET_KEY",
    "SCX_API_BASE",
    "SCX_API_KEY",
    "SNOWFLAKE_JWT",
    "SONIOX_API_BASE",
    "SONIOX_API_KEY",
    "STIMA_API_KEY",
    "SYNTHETIC_API_KEY",
    "TENCENT_API_BASE",
    "TENCENT_API_KEY",
    "TENSORMESH_INFERENCE_API_KEY",
    "TENSORMESH_SERVERLESS_BASE_URL",
    "TOGETHERAI_API_KEY",
    "TOGETHER_AI_API_BASE",
    "TOGETHER_AI_API_KEY",
    "TOGETHER_AI_TOKEN",
    "TOGETHER_API_KEY",
    "V0_API_KEY",
    "VENICE_AI_API_KEY",
    "VERCEL_AI_GATEWAY_API_BASE",
    "VERCEL_AI_GATEWAY_API_KEY",
    "VERCEL_APP_NAME",
    "VERCEL_OIDC_TOKEN",
    "VERCEL_SITE_URL",
    "VERTEXAI_API_BASE",
    "VERTEXAI_CREDENTIALS",
    "VERTEXAI_LOCATION",
    "VERTEXAI_PROJECT",
    "VERTEX_API_BASE",
    "VERTEX_CREDENTIALS",
    "VERTEX_LOCATION",
    "VERTEX_PROJECT",
    "VOLCENGINE_API_BASE",
    "VOLCENGINE_API_KEY",
    "VOYAGE_API_KEY",
    "WANDB_API_BASE",
    "WANDB_API_KEY",
    "WATSONX_APIKEY",
    "WATSONX_API_BASE",
    "WATSONX_API_KEY",
    "WATSONX_URL",
    "WML_URL",
    "WX_API_KEY",
    "WX_URL",
    "XAI_API_KEY",
    "XIAOMI_MIMO_API_KEY",
    "XINFERENCE_API_BASE",
    "XINFERENCE_API_KEY",
})
