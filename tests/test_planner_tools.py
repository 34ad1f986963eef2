"""The planner's dispatcher treats a model's tool arguments as data (issue 16).

Every tool of SCHEMAS is called with a value of every wrong JSON type in every argument: each
call must come back as an Observation telling the model what is wrong, never an exception (an
exception ends a `suture fix` run as an internal error, exit 6). The end-to-end attacks through
the CLI are in test_isolation_tools.py.
"""

from __future__ import annotations

import pytest

from suture.agent.propose.planner_tools import SCHEMAS, Toolbox, argument_problem
from suture.retrieval.api import Retriever
from suture.retrieval.index import SymbolIndex

WRONG_VALUES = [None, True, 7, 2.5, "text", [], ["a", 1], {}, {"$ne": 1}]
JSON_TYPE = {"string": str, "integer": int, "array": list, "object": dict}


def _fits(value, kind: str) -> bool:
    return isinstance(value, JSON_TYPE[kind]) and not (kind == "integer" and isinstance(value, bool))


@pytest.fixture
def toolbox(make_repo, tmp_path):
    repo = make_repo({"pkg/__init__.py": "", "pkg/mod.py": "def f(x):\n    return x + 1\n",
                      "tests/test_mod.py": "from pkg.mod import f\n\ndef test_f():\n    assert f(1) == 2\n"})
    index = SymbolIndex.build(repo, cache_dir=tmp_path / "cache", workers=1)

    def gate(candidate):
        raise AssertionError("no badly typed call may reach the gates")

    def run_tests(nodeids):
        raise AssertionError(f"no badly typed call may reach the test runner: {nodeids}")

    return Toolbox(Retriever(index, cache_dir=tmp_path / "cache"), None, gate, run_tests=run_tests)


def _valid(schema):
    """A minimal call that fits `schema` (the required arguments only)."""
    samples = {"string": "f", "integer": 1, "array": [], "object": {}}
    return {k: samples[schema["properties"][k]["type"]] for k in schema.get("required") or ()}


@pytest.mark.parametrize("tool", [s["function"] for s in SCHEMAS], ids=lambda t: t["name"])
def test_every_wrong_type_in_every_argument_is_a_message(toolbox, tool):
    params = tool["parameters"]
    for key, prop in params["properties"].items():
        for value in WRONG_VALUES:
            if _fits(value, prop["type"]) or (value is None and key not in params.get("required", [])):
                continue
            observation = toolbox.call(tool["name"], {**_valid(params), key: value})
            assert observation.text.startswith(f"Bad arguments for {tool['name']}:"), (key, value, observation.text)
            assert f"`{key}" in observation.text
    extra = toolbox.call(tool["name"], {**_valid(params), "__class__": "x"})
    assert "is not an argument here" in extra.text


def test_nested_items_are_checked_too(toolbox):
    answer = toolbox.call("propose_edit", {"edits": [{"path": "pkg/mod.py", "search": "x", "replace": 1}]})
    assert "`edits[0].replace` must be a string, not an integer" in answer.text
    answer = toolbox.call("state_plans", {"plans": [{"hypothesis": "h"}]})
    assert "`plans[0]` lacks the required `plans[0].repair`" in answer.text
    assert argument_problem({"kind": "code", "query": "q"}, SCHEMAS[0]["function"]["parameters"]) is None


@pytest.mark.parametrize("nodeid", [
    "--basetemp=/", "-p", "@args.txt", "/abs/tests/test_mod.py", "../tests/test_mod.py", "tests/../../x.py",
    "pkg/mod.py", "tests/test_nothere.py::test_x", "tests/test_mod.py\n--basetemp=/",
])
def test_run_tests_refuses_anything_but_a_test_node_id(toolbox, nodeid):
    answer = toolbox.call("run_tests", {"tests": [nodeid]})
    assert answer.text.startswith("Not run:"), answer.text


def test_run_tests_passes_test_ids_of_test_files(toolbox):
    seen = []
    toolbox.run_tests = lambda ids: seen.append(ids) or "ran"
    assert toolbox.call("run_tests", {"tests": ["tests/test_mod.py::test_f", "./tests/test_mod.py"]}).text == "ran"
    assert seen == [["tests/test_mod.py::test_f", "./tests/test_mod.py"]]
