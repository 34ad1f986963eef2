"""Workload for dmp_cleanup_merge: a raw diff of 1500 * scale small edits (runs of deletions
and insertions sharing prefixes/suffixes between equalities), as diff_main produces before
clean-up; diff_cleanupMerge rewrites it in place."""

import random

from diff_match_patch.diff_match_patch import diff_match_patch

TARGET = "diff_match_patch.diff_match_patch:diff_match_patch.diff_cleanupMerge"
SCALE = 4


def make_input(scale):
    rng = random.Random(31)
    diffs = []
    for i in range(1500 * scale):
        op = rng.choice([-1, 1, 1, 0, -1, 0])
        diffs.append((op, rng.choice(["ab", "abc", "x", "cab", "q", "é"])))
    return (diff_match_patch(), diffs)


def edge_inputs():
    yield (diff_match_patch(), [])
    yield (diff_match_patch(), [(0, "a"), (0, "b")])
    yield (diff_match_patch(), [(-1, "abc"), (1, "abd"), (0, "")])
