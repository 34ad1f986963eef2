"""What Python's data model says a special method returns, as a check on a result the comparison saw.

`__eq__` answers a bool, or NotImplemented to let the other operand answer; `__len__` an int; `__str__`
a str. Two passing patches of `__eq__` that part on `tz == 'spa'`, one answering NotImplemented and the
other `timedelta(0)` (a falsy value the tests' `assert not tz == 'spa'` accepts), are no open question
of the kind the tests leave: the second breaks the method's contract. agent/fix/evidence.py discounts
such a rival there, as it discounts one that carries an anti-pattern.

Only results as the comparison renders them ("returns True", "returns 3", "returns 'x'"); a raise is
within every contract, and an outcome that also leaves an argument changed is judged by that too (a
difference of effects, not of the returned value alone), so it is never said to break one here.
"""

from __future__ import annotations

import re

__all__ = ["breaks_protocol"]

_BOOL = ("True", "False")
_COMPARED = (*_BOOL, "NotImplemented")
_INT = re.compile(r"-?\d+")


def _allowed(name: str, value: str) -> bool | None:
    """Does `value` (a repr) keep the contract of special method `name` (the values it may return, read
    off their repr text)? None: no contract known."""
    if name in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
        return value in _COMPARED
    if name in ("__bool__", "__contains__"):
        return value in _BOOL
    if name in ("__len__", "__hash__", "__index__"):
        return bool(_INT.fullmatch(value)) or value in _BOOL
    if name in ("__str__", "__repr__", "__format__"):
        return value[:1] in ("'", '"')
    return None


def breaks_protocol(call: str, outcome: str) -> str:
    """Why `outcome` (of `call`, "name(args)") breaks the special method's contract ("" when it keeps it,
    raises, changes an argument too, or the method has no contract here)."""
    name = call.split("(", 1)[0].rsplit(".", 1)[-1]
    if not outcome.startswith("returns ") or ", leaves " in outcome:
        return ""
    value = outcome.removeprefix("returns ")
    if _allowed(name, value) is not False:
        return ""
    return f"`{name}` returns {value}, which Python's data model does not allow it"
