"""Python's data-model contracts of special methods, as a check on a rival's result (agent/fix/protocols.py)."""

from __future__ import annotations

from suture.agent.fix.protocols import breaks_protocol


def test_a_result_the_special_methods_contract_rules_out_is_named_and_one_it_allows_is_not():
    call = "__eq__(<FixedTzOffset UTC 0:00:00>, 'spa')"
    assert breaks_protocol(call, "returns datetime.timedelta(0)") == (
        "`__eq__` returns datetime.timedelta(0), which Python's data model does not allow it")
    for allowed in ("returns NotImplemented", "returns False", "returns True", "raises AttributeError"):
        assert breaks_protocol(call, allowed) == "", allowed
    assert breaks_protocol("__len__(<Stack>)", "returns 3") == "" and breaks_protocol("__len__(<Stack>)", "returns None")
    assert breaks_protocol("__str__(<Literal>)", "returns 'x'") == "" and breaks_protocol("__str__(<Literal>)", "returns 1")
    assert breaks_protocol("Tally.__contains__(<Tally>, 1)", "returns 1")
    # No contract for other names; an outcome that also changes an argument differs by its effect too.
    assert breaks_protocol("median([1, 2])", "returns datetime.timedelta(0)") == ""
    assert breaks_protocol(call, "returns 0, leaves other as []") == ""
