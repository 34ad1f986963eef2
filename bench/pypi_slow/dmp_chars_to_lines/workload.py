"""Workload for dmp_chars_to_lines: a line-mode diff of a 3000 * scale line text, as
diff_linesToChars leaves it (each line one character indexing the array of unique lines), in 40
edits, rehydrated back to lines. The encoded text is built directly, not by diff_linesToChars:
building it through the library cost many times the timed call and ate the time limit
(bench/RESULTS.md, 2026-12-07 03:13 and 03:30)."""

import random

from diff_match_patch.diff_match_patch import diff_match_patch

TARGET = "diff_match_patch.diff_match_patch:diff_match_patch.diff_charsToLines"
SCALE = 4


def make_input(scale):
    rng = random.Random(37)
    line_array = [""] + [f"line {i} {rng.choice(['alpha', 'beta', 'ü'])}\n" for i in range(400)]
    # One random block of 3000 encoded lines, repeated (in C): make_input must stay cheap beside the
    # call, since every timed call gets a fresh input (the target rewrites `diffs` in place).
    block = "".join(chr(rng.randrange(1, len(line_array))) for _ in range(3000))
    chars = block * scale
    step = max(1, len(chars) // 40)
    diffs = [(rng.choice([-1, 0, 1]), chars[i:i + step]) for i in range(0, len(chars), step)]
    return (diff_match_patch(), diffs, line_array)
