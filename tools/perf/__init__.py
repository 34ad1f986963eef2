"""Performance measurement: profiling, interleaved timing, instruction counts, the timing harness."""
