"""tools/perf/callgrind.py: real valgrind runs of small Python scripts (skipped without valgrind)."""

from __future__ import annotations

import shutil
import sys
import time

import pytest

from suture.tools.perf import callgrind
from suture.tools.perf.timing import Runner

needs_valgrind = pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")

LOOP = "import sys\ntotal = 0\nfor i in range(int(sys.argv[1])):\n    total += i % 7\nprint(total)\n"


def test_parse_total_reads_summary_or_totals():
    assert callgrind.parse_total(b"events: Ir\nfl=x\n0 5\nsummary: 1234\ntotals: 99\n") == 1234
    assert callgrind.parse_total(b"events: Ir\ntotals: 99\n") == 99
    assert callgrind.parse_total(b"events: Ir\n") is None


def test_without_valgrind_there_is_no_count(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no valgrind on it
    assert not callgrind.available()
    assert callgrind.instruction_count(Runner([sys.executable, "-c", "pass"], tmp_path)) is None


@needs_valgrind
def test_ten_times_the_loop_is_clearly_more_instructions(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(LOOP)
    # -S -I: a lean start-up (valgrind runs the interpreter about 50x slower).
    small = callgrind.instruction_count(Runner([sys.executable, "-S", "-I", str(script), "20000"], tmp_path))
    large = callgrind.instruction_count(Runner([sys.executable, "-S", "-I", str(script), "200000"], tmp_path))
    assert small is not None and large is not None
    # The loop's instructions grow 10x; start-up (a fixed tens of millions) is the same in both.
    assert large > 3 * small


@needs_valgrind
def test_a_failing_command_has_no_count(tmp_path):
    assert callgrind.instruction_count(Runner([sys.executable, "-c", "raise SystemExit(3)"], tmp_path)) is None


@needs_valgrind
def test_a_hanging_command_is_stopped(tmp_path):
    start = time.monotonic()
    runner = Runner([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path)
    assert callgrind.instruction_count(runner, time_limit=2) is None
    assert time.monotonic() - start < 15
