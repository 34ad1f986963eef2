"""Workload for dmp_chars_to_lines: a line-mode diff of two 3000 * scale line texts reduced to
characters by diff_linesToChars, rehydrated back to lines."""

import random

from diff_match_patch.diff_match_patch import diff_match_patch

TARGET = "diff_match_patch.diff_match_patch:diff_match_patch.diff_charsToLines"
SCALE = 4


def make_input(scale):
    rng = random.Random(37)
    dmp = diff_match_patch()
    lines = [f"line {rng.randint(0, 400)} {rng.choice(['alpha', 'beta', 'ü'])}\n" for _ in range(3000 * scale)]
    chars1, _, line_array = dmp.diff_linesToChars("".join(lines), "".join(lines[::2]))
    step = max(1, len(chars1) // 40)
    diffs = [(rng.choice([-1, 0, 1]), chars1[i:i + step]) for i in range(0, len(chars1), step)]
    return (dmp, diffs, line_array)
