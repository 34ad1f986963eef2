"""Which lines of a hot function cost: a sampling line profiler that rides along the cProfile run.

Why a hand-written sampler and not line-profiler / pyinstrument / scalene: none of them is in
requirements/ci.lock, and adding one means pinning every CPython 3.11+ wheel hash of a C extension
(as was done for ray) for what forty lines of stdlib give here. line-profiler also needs the
functions named before the run (we learn them from this very run), pyinstrument reports call
stacks rather than lines, and scalene replaces the interpreter's start-up. So: a SIGPROF interval timer (`setitimer(ITIMER_PROF)`, every
millisecond of the process's CPU time) runs a handler in the profiled process's main thread that
counts each (file, line) of the repository's frames on the stack once per sample -- inclusive
counts, so a line that calls a slow helper is charged for the helper's time. CPU time, not wall time,
so a loaded machine does not thin the samples out (a first version read the stack from a thread: at
load 30 it got 100-200 samples in 3-13 s and most hot functions none), and there is no thread to
hand the GIL to.

Limits, said plainly: CPython runs a Python signal handler at its next check, which it makes at
calls and backward jumps. A long C operation that makes no such check (`x in big_list`,
`sorted(...)`) is therefore charged to the next line that calls or loops, unless, as in a
comprehension, that is the same line: bench/bench_lines.py saw `kept.append(...)` ranked above the
`in` test before it. A line tracer on the hot functions' code objects alone (line-profiler's method)
has no such bias, at a cost per line event; that is the next step, in the type-recording run that
already traces those functions. A program that sets its own SIGPROF handler gets it back at the end
(and its timer is replaced meanwhile).

Overhead: bench/RESULTS.md, "Line sampler" (bench/bench_lines.py, wall seconds beside the plain
cProfile run on six bench/slow cases at load 14-30): median 1.00x, worst 1.20x, within the noise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# Python text run inside the profiled process (tools/perf/profile.py's driver): start_line_sampler(root)
# starts the thread; the returned function stops it and writes the counts as JSON to `out`.
SAMPLER = """\\
def start_line_sampler(root, out):
    import json, os, signal
    counts, samples, mine = {}, [0], {}
    root = os.path.realpath(root) + os.sep
    def ours(code):
        known = mine.get(code)
        if known is None:
            name = code.co_filename
            known = mine[code] = os.path.isabs(name) and os.path.realpath(name).startswith(root)
        return known
    def sample(signum, frame):
        seen = set()
        while frame is not None:
            line = frame.f_lineno  # None for a frame between lines (3.11): not counted
            if line is not None and ours(frame.f_code):
                key = (frame.f_code.co_filename, line)
                if key not in seen:
                    seen.add(key)
                    counts[key] = counts.get(key, 0) + 1
            frame = frame.f_back
        samples[0] += 1
    if not hasattr(signal, "setitimer"):  # Windows: no interval timers, so no lines
        return lambda: None
    previous = signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
    def finish():
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, previous)
        with open(out, "w") as handle:
            json.dump({"samples": samples[0], "lines": [[f, n, c] for (f, n), c in counts.items()]}, handle)
    # paused while the harness builds a function target's inputs (profile.py's driver, _Unprofiled)
    finish.pause = lambda: signal.setitimer(signal.ITIMER_PROF, 0, 0)
    finish.resume = lambda: signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
    return finish
"""


MIN_SAMPLES = 10  # per function: fewer say little about which of its lines cost (a loaded machine gives few)


@dataclass(frozen=True)
class LineSamples:
    samples: int  # how many times the main thread's stack was read
    counts: dict[tuple[str, int], int]  # (absolute file name, line) -> samples with it on the stack

    @classmethod
    def read(cls, path: Path) -> "LineSamples":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(int(data["samples"]), {(f, int(n)): int(c) for f, n, c in data["lines"]})
        except (OSError, ValueError, KeyError, TypeError):
            return cls(0, {})


def hot_lines(samples: LineSamples, filename: str, start: int, end: int, source: list[str] | None = None,
              *, limit: int = 5, min_share: float = 0.02) -> list[dict]:
    """The costliest lines of one function (lines start..end of `filename`), best first: each
    {line, share, samples, text}, `share` being of the samples that caught the function running (a
    sample holds one line per frame, so those are the sum over its lines; its comprehensions' frames
    stand on the same lines); [] with under MIN_SAMPLES of them, too few to say."""
    rows = [(count, line) for (name, line), count in samples.counts.items() if name == filename and start <= line <= end]
    caught = sum(count for count, _ in rows)
    if caught < MIN_SAMPLES:
        return []
    rows = sorted((row for row in rows if row[0] / caught >= min_share), key=lambda row: (-row[0], row[1]))
    return [{"line": line, "share": round(count / caught, 3), "samples": count,
             "text": (source[line - 1].strip() if source and 0 < line <= len(source) else "")}
            for count, line in rows[:limit]]
