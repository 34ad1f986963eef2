"""Settings: CLI > SUTURE_* env > [tool.suture] > defaults, with the source of each value."""

from __future__ import annotations

import json
import warnings

import pytest
from typer.testing import CliRunner

from suture.agent import config
from suture.agent.cli.main import app
from suture.agent.exitcodes import ExitCode, SutureExit

PYPROJECT = """\
[project]
name = "demo"

[tool.suture]
map_tokens = 300
search-limit = 4
max_cost = 2
model = "openai/gpt-4o-mini"
"""


@pytest.fixture
def no_suture_env(monkeypatch):
    for spec in config.SPECS.values():
        monkeypatch.delenv(spec.env_var, raising=False)


def test_defaults_without_a_pyproject(make_repo, no_suture_env):
    repo = make_repo({"a.py": "x = 1\n"})
    settings = config.load_settings(repo)
    for name, spec in config.SPECS.items():
        assert getattr(settings, name) == spec.default
        assert settings.source(name) == config.DEFAULT
    assert settings.model is None
    assert settings.pyproject is None
    assert config.engine_note(settings) is not None


def test_precedence_cli_over_env_over_pyproject(make_repo):
    repo = make_repo({"pyproject.toml": PYPROJECT})
    env = {"SUTURE_MAP_TOKENS": "700", "SUTURE_WORKERS": "1", "SUTURE_TIME_LIMIT": "30.5"}
    settings = config.load_settings(repo, cli={"map_tokens": 50, "search_limit": None}, environ=env)
    assert (settings.map_tokens, settings.source("map_tokens")) == (50, config.CLI)
    assert (settings.workers, settings.source("workers")) == (1, config.ENV)
    assert (settings.time_limit, settings.source("time_limit")) == (30.5, config.ENV)
    # A CLI value of None means "option not given": the pyproject value (hyphenated key) stands.
    assert (settings.search_limit, settings.source("search_limit")) == (4, config.PYPROJECT)
    assert (settings.max_cost, settings.source("max_cost")) == (2.0, config.PYPROJECT)
    assert isinstance(settings.max_cost, float)
    assert (settings.max_file_bytes, settings.source("max_file_bytes")) == (1_000_000, config.DEFAULT)
    assert settings.model == "openai/gpt-4o-mini"
    assert config.engine_note(settings) is None
    assert settings.pyproject == repo / "pyproject.toml"


def test_env_can_unset_an_optional_setting(make_repo):
    repo = make_repo({"pyproject.toml": PYPROJECT})
    settings = config.load_settings(repo, environ={"SUTURE_MODEL": "none"})
    assert settings.model is None and settings.source("model") == config.ENV


def test_pyproject_of_a_sub_directory_is_found_upwards_but_not_past_the_work_tree(make_repo, tmp_path):
    repo = make_repo({"pyproject.toml": PYPROJECT, "pkg/sub/mod.py": "x = 1\n"})
    assert config.find_pyproject(repo / "pkg" / "sub") == repo / "pyproject.toml"
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)  # above the work tree: someone else's
    bare = make_repo({"a.py": "x = 1\n"}, name="bare")
    assert config.find_pyproject(bare) is None


def test_unknown_keys_are_named_in_a_warning(make_repo):
    repo = make_repo({"pyproject.toml": '[tool.suture]\nmap_tokens = 10\ncolour = "red"\nmodle = "x"\n'})
    with pytest.warns(config.ConfigWarning, match="colour, modle"):
        settings = config.load_settings(repo, environ={})
    assert settings.map_tokens == 10


@pytest.mark.parametrize(
    ("toml", "env", "fragment"),
    [
        ('[tool.suture]\nmap_tokens = "many"\n', {}, "map_tokens"),
        ("[tool.suture]\nworkers = 1.5\n", {}, "workers"),
        ("[tool.suture]\nsearch_limit = true\n", {}, "search_limit"),
        ("[tool.suture]\nsearch_limit = 0\n", {}, ">= 1"),
        ("[tool.suture]\nmodel = 3\n", {}, "model"),
        ("", {"SUTURE_MAX_COST": "lots"}, "SUTURE_MAX_COST"),
        ("", {"SUTURE_MAX_COST": "nan"}, "SUTURE_MAX_COST"),
        ("", {"SUTURE_WORKERS": "0"}, "SUTURE_WORKERS"),
        ("[tool.suture\n", {}, "not valid TOML"),
        ("[tool]\nsuture = 3\n", {}, "must be a table"),
    ],
)
def test_bad_values_are_a_config_refusal(make_repo, toml, env, fragment):
    repo = make_repo({"pyproject.toml": toml})
    with pytest.raises(SutureExit) as caught:
        config.load_settings(repo, environ=env)
    assert caught.value.code == ExitCode.REFUSED
    assert fragment in caught.value.message
    assert "\n" not in caught.value.message


def run(args, env=None):
    return CliRunner().invoke(app, args, env=env, catch_exceptions=False)


def test_config_show_json_names_every_setting_and_its_source(make_repo, no_suture_env):
    repo = make_repo({"pyproject.toml": PYPROJECT})
    result = run(
        ["config", "show", "--repo", str(repo), "--json", "--set", "workers=2"],
        env={"SUTURE_MAX_FILE_BYTES": "5000"},
    )
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(result.stdout.strip().splitlines()) == 1
    assert list(shown["settings"]) == list(config.SPECS)
    assert shown["settings"]["workers"] == {"value": 2, "source": "cli", "env": "SUTURE_WORKERS"}
    assert shown["settings"]["max_file_bytes"]["value"] == 5000
    assert shown["settings"]["max_file_bytes"]["source"] == "env"
    assert shown["settings"]["map_tokens"] == {"value": 300, "source": "pyproject", "env": "SUTURE_MAP_TOKENS"}
    assert shown["settings"]["test_cmd"] == {"value": None, "source": "default", "env": "SUTURE_TEST_CMD"}
    assert shown["pyproject"] == str(repo / "pyproject.toml")


def test_config_show_table_and_warnings(make_repo, no_suture_env):
    repo = make_repo({"pyproject.toml": "[tool.suture]\nmap_tokens = 77\nflavour = 1\n"})
    result = run(["config", "show", "--repo", str(repo)])
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if "map_tokens" in line)
    assert "77" in row and "pyproject" in row and "SUTURE_MAP_TOKENS" in row
    assert "unknown key(s)" in result.stderr and "flavour" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "code", "fragment"),
    [
        (["--set", "colour=red"], {}, ExitCode.BAD_INPUT, "--set takes KEY=VALUE"),
        (["--set", "workers"], {}, ExitCode.BAD_INPUT, "--set takes KEY=VALUE"),
        (["--set", "workers=two"], {}, ExitCode.BAD_INPUT, "workers"),  # a bad option value is usage
        ([], {"SUTURE_SEARCH_LIMIT": "-3"}, ExitCode.REFUSED, "SUTURE_SEARCH_LIMIT"),
    ],
)
def test_config_show_bad_input_is_one_sentence(make_repo, no_suture_env, args, env, code, fragment):
    repo = make_repo({"a.py": "x = 1\n"})
    with warnings.catch_warnings():
        result = run(["config", "show", "--repo", str(repo), *args], env=env)
    assert result.exit_code == code
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
