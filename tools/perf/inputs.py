"""A function target's inputs, built by make_input once per comparison and loaded by the timed processes after.

make_input(scale) runs before every timed call: outside the clock, but not outside the comparison's time.
Sized by CPU time, a linear workload's make_input can cost many times the call it feeds (a million seeded
random numbers for a 50 ms loop), and on a loaded machine that wall time is what runs a comparison out of
--time-limit. When the caller names a directory (INPUTS_ENV, writable by the timed processes), the first
process that builds the inputs of a workload at a scale pickles them there and the later ones unpickle
fresh copies: equal values with the same sharing, so the timed call sees what make_input gives it. Only
plain data is kept (lists, tuples and dicts of str/bytes/int/float/complex/bool/None, exact types): an instance
of the tree's own classes could be built differently by a candidate, and is built by make_input each time;
so is anything cheap to build (under MIN_BUILD_SECONDS of CPU), where a pickle would gain nothing.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable

INPUTS_ENV = "SUTURE_HARNESS_INPUTS"
MIN_BUILD_SECONDS = 0.02
MAX_ITEMS = 20_000_000  # a structure larger than this is not walked (nor kept)
_ATOMS = {str, bytes, int, float, complex, bool, type(None)}
_SEQUENCES = {list, tuple}  # not sets: one rebuilt from a pickle may iterate in another order than make_input's


def plain(value: Any) -> bool:
    """Lists, tuples and dicts of builtin atoms all the way down (exact types: no subclass's pickling hooks)."""
    stack, seen = [value], 0
    while stack:
        item = stack.pop()
        seen += 1
        kind = type(item)
        if seen > MAX_ITEMS:
            return False
        if kind in _ATOMS:
            continue
        if kind in _SEQUENCES:
            stack.extend(item)
        elif kind is dict:
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            return False
    return True


class _PlainUnpickler(pickle.Unpickler):
    """Loads plain data only. The folder is shared with the candidate's timed processes, whose code a model
    may have written: a pickle naming any global (a __reduce__ calling os.system) is refused, not run."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("builtins", "complex"):
            return complex
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


def _load(blob: bytes) -> Any:
    import io

    return _PlainUnpickler(io.BytesIO(blob)).load()


class Inputs:
    """make_input's arguments at a scale: built, or loaded from the directory INPUTS_ENV names."""

    def __init__(self, workload: str | None):
        folder = os.environ.get(INPUTS_ENV)
        self.folder = Path(folder) if folder and workload else None
        self.workload = workload
        self.kept: dict[int, bytes] = {}  # scale -> pickled arguments, for the next call in this process

    def _path(self, scale: int) -> Path:
        digest = hashlib.sha256(Path(self.workload).read_bytes() + f"\0{scale}".encode()).hexdigest()[:24]
        return self.folder / f"inputs-{digest}.pickle"

    def made(self, scale: int, build: Callable[[], Any], clock: Callable[[], float]) -> Any:
        if self.folder is None:
            return build()
        if scale in self.kept:
            return _load(self.kept[scale])
        path = self._path(scale)
        try:
            self.kept[scale] = path.read_bytes()
            return _load(self.kept[scale])
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
            self.kept.pop(scale, None)
        started = clock()
        made = build()
        if clock() - started >= MIN_BUILD_SECONDS and plain(made) and self._keep(scale, made, path):
            return _load(self.kept[scale])  # what every later process gets, this one too
        return made

    def _keep(self, scale: int, made: Any, path: Path) -> bool:
        try:
            blob = pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL)
            # Written whole, then renamed: a process that reads it never sees half a file.
            with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".inputs-", delete=False) as part:
                part.write(blob)
            os.replace(part.name, path)
        except (OSError, pickle.PicklingError, RecursionError, ValueError):
            return False
        self.kept[scale] = blob
        return True
