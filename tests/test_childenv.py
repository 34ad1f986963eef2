"""What the project's processes get of suture's environment: secrets withheld by rule, --pass-env the one way in."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import pytest

from suture.agent import config
from suture.tools import childenv
from suture.tools.provider_env import LITELLM_PROVIDER_ENV, LITELLM_VERSION, names_in_litellm
from suture.tools.git.workspace import POOL_ENV


@pytest.fixture(autouse=True)
def nothing_passed():
    childenv.set_passed(())
    yield
    childenv.set_passed(())


def test_the_generated_list_holds_the_installed_litellms_provider_table():
    spec = importlib.util.find_spec("litellm")
    if spec is None:
        pytest.skip("litellm is not installed")
    table = names_in_litellm(Path(spec.submodule_search_locations[0]))
    # The table is what it claims to be: the keys and bases of many providers (read from source, not imported).
    assert len(table) > 100 and {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DASHSCOPE_API_KEY", "AZURE_AD_TOKEN",
                                 "HOSTED_VLLM_API_KEY", "CODESTRAL_API_KEY", "OPENAI_API_BASE"} <= table
    missing = sorted(table - LITELLM_PROVIDER_ENV)
    assert not missing, (f"litellm {importlib.metadata.version('litellm')} names {missing} (the list was made from "
                         f"{LITELLM_VERSION}): python -m suture.tools.provider_env > tools/provider_env.py")
    assert all(childenv.withheld(name) for name in table)


@pytest.mark.parametrize("name", [
    "AWS_SECRET_ACCESS_KEY", "AZURE_AD_TOKEN", "HOSTED_VLLM_API_KEY", "DASHSCOPE_API_KEY", "CODESTRAL_API_KEY",
    "INPUT_TOKEN", "GITHUB_TOKEN", "AWS_SESSION_TOKEN", "PGPASSWORD", "npm_config__authToken", "DB_PASS",
    "GOOGLE_APPLICATION_CREDENTIALS", "MY_SERVICE_APIKEY", "STRIPE_SECRET", "OPENAI_API_BASE", "VERTEXAI_PROJECT",
])
def test_secrets_are_withheld_by_rule(name):
    assert childenv.withheld(name)
    assert name not in childenv.project_env({name: "x", "PATH": "/bin"})


@pytest.mark.parametrize("name", [
    "PATH", "HOME", "PYTHONPATH", "PYTHONHASHSEED", "LANG", "LC_ALL", "TERM", "TMPDIR", "VIRTUAL_ENV", "PWD",
    "TOKENIZERS_PARALLELISM", "PYTHON_KEYRING_BACKEND", "SSH_AUTH_SOCK", "CI", "GITHUB_WORKSPACE", POOL_ENV,
])
def test_ordinary_variables_pass(name):
    assert not childenv.withheld(name)
    assert childenv.project_env({name: "x"}) == {name: "x"}


def test_pass_env_hands_one_name_over_and_the_report_names_only_names():
    base = {"PATH": "/bin", "DASHSCOPE_API_KEY": "v1", "AWS_SECRET_ACCESS_KEY": "v2", "GIT_DIR": "/user/.git"}
    assert childenv.project_env(base) == {"PATH": "/bin"}  # git's repository variables go too
    assert childenv.withheld_names(base) == ["AWS_SECRET_ACCESS_KEY", "DASHSCOPE_API_KEY"]
    childenv.set_passed(childenv.parse_names("DASHSCOPE_API_KEY, OTHER"))
    assert childenv.project_env(base) == {"PATH": "/bin", "DASHSCOPE_API_KEY": "v1"}
    assert childenv.withheld_names(base) == ["AWS_SECRET_ACCESS_KEY"]


def test_a_failure_naming_a_withheld_variable_gets_one_sentence_naming_pass_env():
    hint = childenv.withheld_hint(["KeyError: 'BILLING_TOKEN'"], ["BILLING_TOKEN", "OPENAI_API_KEY"])
    assert hint is not None and "--pass-env BILLING_TOKEN" in hint and "OPENAI_API_KEY" not in hint
    assert childenv.withheld_hint(["KeyError: 'BILLING_TOKEN_2'"], ["BILLING_TOKEN"]) is None
    assert childenv.withheld_hint(["AssertionError"], ["BILLING_TOKEN"]) is None


def test_pass_env_setting_takes_a_toml_list_or_a_string(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.suture]\npass_env = ["A_TOKEN", "B_KEY"]\n')
    assert config.load_settings(tmp_path, environ={}).pass_env == "A_TOKEN,B_KEY"
    assert config.load_settings(tmp_path, environ={"SUTURE_PASS_ENV": "C_SECRET"}).pass_env == "C_SECRET"
    assert config.load_settings(tmp_path, {"pass_env": "D_KEY"}, environ={}).pass_env == "D_KEY"
