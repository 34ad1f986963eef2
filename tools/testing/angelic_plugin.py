"""pytest plugin: the probes of angelic-value search and expression synthesis (agent/propose/synthesis.py).

The source under test has had some expressions rewritten (in a scratch tree, never the user's) to
`__suture_probe__(SITE, lambda: (EXPR), locals())`; this plugin puts `__suture_probe__` in builtins.
It is inert unless SUTURE_PROBE_PLAN names a JSON plan; what it finds goes, one JSON line per
record, to SUTURE_PROBE_OUT.

Two modes (the plan's "mode"):
- "record": every probe evaluates its expression once, as the code would, and records, for the
  running test, the value and the probe's locals (only values that survive `repr` -> literal_eval,
  and the literal attributes of objects), at most "max_hits" times per test and site.
- "try": before a test listed in "tries" runs for real, it is re-run in the same process once per
  try: a try makes one site return a constant (an angelic value: "const", a literal's repr) or an
  expression evaluated in the probe's frame ("expr"), every other probe behaving as the code does.
  A try is [site, kind, text], or a list of such triples for edits at several sites at once (two
  coordinated edits: agent/propose/pairs.py). One {"t": nodeid, "i": index, "ok": bool} record per try ("out": true
  when it ran past its limit). Each try has its own SIGALRM limit
  ("try_seconds", or "try_limits" per test), all of them together "seconds"; the test's own run is then left out (it would
  only repeat HEAD's failure, or hang with it). With "all_must_pass" (the caller keeps only what every listed
  test passes), a try of expressions alone that failed one test is not run for the later tests: it is
  recorded failed ("skipped") at once, so the time goes to the tries still in the race. Constants are
  always run: each test may need its own angelic value.

Only the standard library and pytest: it is copied for foreign interpreters (tools/testing/pytest_shim.py).
It reads its settings only in pytest_configure, so a warm pytest imports it once for all its forked runs
(tools/testing/pytest_forkserver.py); it has no assert of its own for pytest to rewrite: PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

import ast
import builtins
import copy
import json
import os
import signal
import sys
import threading
import time
import types
from typing import Any

import pytest

from .plugin_env import OUT_ENV, PLAN_ENV, PROBE_NAME
_LITERAL_TYPES = (int, float, bool, str, bytes, type(None))
ADAPTIVE_FACTOR, ADAPTIVE_FLOOR = 20.0, 0.3  # a try's limit once one try of its test has ended (see run_tries)


class _TryTimeout(BaseException):
    """A try ran past its limit (BaseException: the code's `except Exception` must not swallow it)."""


def literal(value: Any, budget: int = 2000) -> str | None:
    """`repr(value)` when literal_eval gives the value back (plain data), else None."""
    if not _plain(value, 3):
        return None
    try:
        text = repr(value)
        if len(text) > budget or ast.literal_eval(text) != value:
            return None
    except Exception:  # noqa: BLE001 - an odd __eq__ or repr: not plain data
        return None
    return text


def _plain(value: Any, depth: int) -> bool:
    if isinstance(value, _LITERAL_TYPES):
        return type(value) in _LITERAL_TYPES
    if depth <= 0 or type(value) not in (list, tuple, set, frozenset, dict):
        return False
    items = list(value.items()) if isinstance(value, dict) else list(value)
    if len(items) > 200:
        return False
    flat = [x for pair in items for x in pair] if isinstance(value, dict) else items
    return all(_plain(x, depth - 1) for x in flat)


def snapshot(names: dict[str, Any]) -> dict[str, Any]:
    """The probe's locals as plain data: {name: repr} and, for an object, {name: {"__attrs__": {attr: repr}}}."""
    out: dict[str, Any] = {}
    for name, value in names.items():
        if name.startswith("__"):
            continue
        text = literal(value)
        if text is not None:
            out[name] = text
            continue
        attrs = getattr(value, "__dict__", None)
        if isinstance(attrs, dict) and not callable(value):
            plain = {k: t for k, v in list(attrs.items())[:40] if not k.startswith("__")
                     for t in [literal(v, 500)] if t is not None}
            if plain:
                out[name] = {"__attrs__": plain}
    return out


class _Probes:
    def __init__(self, plan: dict[str, Any], out_path: str) -> None:
        self.mode = plan.get("mode", "record")
        self.max_hits = int(plan.get("max_hits", 20))
        self.tries: dict[str, list[list[Any]]] = plan.get("tries", {})
        self.seconds = float(plan.get("seconds", 10.0))
        self.try_seconds = float(plan.get("try_seconds", 1.0))
        self.try_limits: dict[str, float] = plan.get("try_limits", {})  # per test, in place of try_seconds
        self.all_must_pass = bool(plan.get("all_must_pass"))
        self.lost: set[str] = set()  # expression-only tries (as JSON) that failed a test of this session
        self.out = open(out_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the session
        self.nodeid: str | None = None
        self.hits: dict[tuple[str, int], int] = {}
        self.current: dict[int, tuple[str, Any]] | None = None  # site -> (kind, value or code) while a try runs
        self.timed_out: set[tuple[Any, ...]] = set()  # (test, site, kind, text) of one-edit tries that ran out
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.ran_out = False  # the last try ran past its limit

    def write(self, record: dict[str, Any]) -> None:
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()

    def probe(self, site: int, thunk: Any, names: dict[str, Any]) -> Any:
        current = self.current
        if current is not None and site in current:
            kind, forced = current[site]
            if kind == "const":
                return copy.deepcopy(forced)
            scope = sys._getframe(1).f_globals
            if any(isinstance(c, types.CodeType) for c in forced.co_consts):
                # A comprehension or lambda in the candidate is a scope of its own, which sees the globals but not
                # eval's locals: the probe's locals go in with the globals, as they are in the code's own frame.
                return eval(forced, {**scope, **names})  # noqa: S307 - a candidate expression
            return eval(forced, scope, dict(names))  # noqa: S307 - a candidate expression
        value = thunk()
        if self.mode == "record" and self.nodeid is not None and current is None:
            key = (self.nodeid, site)
            with self.lock:
                seen = self.hits.get(key, 0)
                self.hits[key] = seen + 1
            if seen < self.max_hits:
                self.write({"t": self.nodeid, "s": site, "h": seen, "v": literal(value),
                            "truth": _truth(value), "env": snapshot(names)})
        return value

    def run_tries(self, item: pytest.Item) -> None:
        tries = self.tries.get(item.nodeid) or []
        if not tries or threading.current_thread() is not threading.main_thread():
            return
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        left_over = signal.setitimer(signal.ITIMER_REAL, 0)[0]
        began = time.monotonic()
        fastest: float | None = None  # the quickest try of this test that ended by itself
        try:
            for index, entry in enumerate(tries):
                if time.monotonic() - self.started > self.seconds:
                    break
                limit = float(self.try_limits.get(item.nodeid, self.try_seconds))
                if fastest is not None and item.nodeid not in self.try_limits:
                    # A try that does not end (a loop an edit broke) costs its whole limit: once a try of this
                    # test has ended, the limit is a multiple of that run, not the plan's second.
                    limit = min(limit, max(ADAPTIVE_FLOOR, ADAPTIVE_FACTOR * fastest))
                edits = entry if entry and isinstance(entry[0], list) else [entry]
                # An edit that alone ran past its limit (a loop that no longer ends) is not tried again in a
                # pair: each such try would cost the whole limit again.
                if len(edits) > 1 and any((item.nodeid, *map(str, e)) in self.timed_out for e in edits):
                    self.write({"t": item.nodeid, "i": index, "ok": False})
                    continue
                signature = json.dumps(edits) if self.all_must_pass and all(e[1] == "expr" for e in edits) else None
                if signature in self.lost:
                    self.write({"t": item.nodeid, "i": index, "ok": False, "skipped": True})
                    continue
                started = time.monotonic()
                ok = self._one(item, edits, limit)
                if not ok and signature is not None:
                    self.lost.add(signature)
                if not self.ran_out:
                    took = time.monotonic() - started
                    fastest = took if fastest is None else min(fastest, took)
                if self.ran_out and len(edits) == 1 and item.nodeid not in self.try_limits:  # not hanging at HEAD
                    self.timed_out.add((item.nodeid, *map(str, edits[0])))
                self.write({"t": item.nodeid, "i": index, "ok": ok, **({"out": True} if self.ran_out else {})})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if left_over > 0:  # the results plugin's limit for this phase, less what the tries took
                signal.setitimer(signal.ITIMER_REAL, max(0.01, left_over - (time.monotonic() - began)))

    def _one(self, item: pytest.Item, edits: list[list[Any]], limit: float) -> bool:
        current: dict[int, tuple[str, Any]] = {}
        self.ran_out = False
        try:
            for site, kind, text in edits:
                current[int(site)] = (kind, ast.literal_eval(text) if kind == "const"
                                      else compile(text, "<candidate>", "eval"))
        except (SyntaxError, ValueError, TypeError):
            return False
        self.current = current
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            item.runtest()
            return True
        except _TryTimeout:
            self.ran_out = True
            return False
        except BaseException as error:  # noqa: BLE001 - any failure of the test under this try
            if isinstance(error, KeyboardInterrupt):
                raise
            return False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.current = None


def _truth(value: Any) -> bool | None:
    try:
        return bool(value)
    except Exception:  # noqa: BLE001 - an object whose __bool__ raises
        return None


def _on_alarm(signum: int, frame: Any) -> None:
    raise _TryTimeout()


_PROBES: _Probes | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _PROBES
    plan_path, out_path = os.environ.get(PLAN_ENV), os.environ.get(OUT_ENV)
    if not plan_path or not out_path:
        return
    with open(plan_path, encoding="utf-8") as handle:
        _PROBES = _Probes(json.load(handle), out_path)
    setattr(builtins, PROBE_NAME, _PROBES.probe)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if _PROBES is None:
        return (yield)
    if _PROBES.mode == "try":
        _PROBES.run_tries(item)
        # The tries are what this run is for: the test's own run would only repeat HEAD's failure,
        # and for a test that hangs at HEAD it would take the rest of synthesis's time.
        item.runtest = _no_run  # type: ignore[method-assign]
    _PROBES.nodeid = item.nodeid
    try:
        return (yield)
    finally:
        _PROBES.nodeid = None


def _no_run() -> None:
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    if _PROBES is not None:
        _PROBES.write({"end": True})  # the session ended by itself (no killed run): the last record
        _PROBES.out.close()
