"""Run-time type evidence (tools/perf/typeprobe.py) in the rules' terms: one type per name, or none.

A name whose sampled types disagree (a str in one call, an int in another; a list of str, then a
list of mixed items) gets no type: a rule that needs one type steps back rather than bet on the
commoner one. An empty container agrees with any element type (`seen` is [] on a first call and a
list of str later). Each typed name also gets the sentence the report shows when a rule relied on it.
Keys that are no variable's name carry what else the run showed: "self.Follow" the type of an
attribute of `self`, "type(self)" the class of an object (as "module.Class").
"""

from __future__ import annotations

import json
from typing import Any

from suture.agent.optimize.perf_rules.facts import _is_hashable, _join

_ATOMS = {"str": "str", "int": "int", "float": "float", "bool": "bool", "bytes": "bytes", "NoneType": "none"}
_CONFLICT = object()


def _unify(a: Any, b: Any) -> Any:
    """The one descriptor two samples agree on, None (an empty container's unknown element) yielding."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    if isinstance(a, list) and isinstance(b, list) and a[0] == b[0] == "tuple" and len(a) + len(b) > 4:
        # per-position types agree only between tuples of one length; else the element type alone
        if len(a) == len(b) == 3 and len(a[2]) == len(b[2]):
            parts = [_unify(x, y) for x, y in zip(a[2], b[2])]
            if not any(p is _CONFLICT for p in parts):
                elem = _unify(a[1], b[1])
                return ["tuple", "mixed" if elem is _CONFLICT else elem, parts]
        elem = _unify(a[1], b[1])
        return _CONFLICT if elem is _CONFLICT else ["tuple", elem]
    if isinstance(a, list) and isinstance(b, list) and a[0] == b[0] and len(a) == len(b):
        parts = [_unify(x, y) for x, y in zip(a[1:], b[1:])]
        return _CONFLICT if any(p is _CONFLICT for p in parts) else [a[0], *parts]
    return _CONFLICT


def _to_type(descriptor: Any) -> Any:
    """facts.py's type for a descriptor: "str", ("list", elem), ("dict", key, value); None when unknown."""
    if isinstance(descriptor, str):
        return _ATOMS.get(descriptor)  # "mixed", "other:..." carry no type the rules use
    if isinstance(descriptor, list) and len(descriptor) == 3 and descriptor[0] == "tuple":
        parts = [_to_type(d) for d in descriptor[2]]
        if all(_is_hashable(p) for p in parts):
            return ("tuple", _join(parts), tuple(parts))
        return None if descriptor[1] == "mixed" else ("tuple", _to_type(descriptor[1]))
    if isinstance(descriptor, list) and descriptor and descriptor[0] in ("list", "tuple", "set"):
        return (descriptor[0], _to_type(descriptor[1]))
    if isinstance(descriptor, list) and descriptor and descriptor[0] == "dict":
        return ("dict", _to_type(descriptor[1]), _to_type(descriptor[2]))
    return None


def shown(descriptor: Any) -> str:
    if descriptor is None:
        return "?"
    if isinstance(descriptor, str):
        return descriptor.removeprefix("other:")
    if descriptor[0] == "tuple" and len(descriptor) == 3:
        return f"tuple[{', '.join(shown(d) for d in descriptor[2])}]"
    return f"{descriptor[0]}[{', '.join(shown(d) for d in descriptor[1:])}]"


def function_evidence(record: dict) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """(name -> type, name -> the report's sentence, names whose sampled types varied) of one function's record."""
    types: dict[str, Any] = {}
    sentences: dict[str, str] = {}
    varying: list[str] = []
    samples = record.get("samples", 0)
    for name, facts in sorted(record.get("names", {}).items()):
        agreed: Any = None
        for text in facts.get("types", {}):
            agreed = _unify(agreed, json.loads(text))
            if agreed is _CONFLICT:
                break
        if name == "<return>":
            continue  # shown by the probe's record; no rule reads it
        if agreed is _CONFLICT or _has_mixed(agreed):
            if "." not in name:  # an attribute of self is extra evidence, not worth a note of its own
                varying.append(name)
            continue
        if isinstance(agreed, str) and agreed.startswith("other:") and name.isidentifier():
            # the one class a name's object had (keyed so no variable can take it): a rule that
            # resolves `self.method` needs the exact class, a subclass may override the method
            types[f"type({name})"] = agreed.removeprefix("other:")
            sentences[f"type({name})"] = f"`{name}` was a {shown(agreed)} in all {samples} samples"
            continue
        found = _to_type(agreed)
        if found is None:
            continue
        types[name] = found
        size = f", up to {facts['max_len']} items" if facts.get("max_len") is not None and not agreed == "str" else ""
        sentences[name] = f"`{name}` was {shown(agreed)} in all {samples} samples{size}"
    return types, sentences, varying


def _has_mixed(descriptor: Any) -> bool:
    if descriptor == "mixed":
        return True
    if isinstance(descriptor, list) and len(descriptor) == 3 and descriptor[0] == "tuple":
        return any(_has_mixed(d) for d in descriptor[2])  # per-position types: a mixed tuple is a record
    return isinstance(descriptor, list) and any(_has_mixed(d) for d in descriptor[1:])
