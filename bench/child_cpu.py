"""Run `python -m MODULE ARGS...` and, at exit, write the CPU seconds of this very process (and of any
children it waited for) to OUT.

Why: a profiled or type-recorded run is confined (tools/testing/sandbox.py: a leader process, bwrap),
and the bench's own RUSAGE_CHILDREN never sees that grandchild's CPU (it read ~2 ms for runs of
seconds). The benches put this script in front of the harness module so the child reports its own
CPU. Registered with atexit, it counts the driver's work after the program too (cProfile's dump,
the type recorder's record), which belongs to the cost being measured.

    python bench/child_cpu.py OUT MODULE [ARGS...]
"""

import atexit
import resource
import runpy
import sys

out, module, *args = sys.argv[1:]


def _write() -> None:
    own, waited = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as handle:
        handle.write(repr(own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime))


atexit.register(_write)
sys.argv = [module, *args]
runpy.run_module(module, run_name="__main__", alter_sys=True)
