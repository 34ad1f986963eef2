"""Workload for ply_first: FIRST of a string of 8 * scale nullable nonterminals, each of which
starts with any of 40 terminals (an optional-clauses grammar, like SQL's).

The FIRST sets are laid into the grammar as compute_first() leaves them (each clause's 40
terminals in production order, then '<empty>'), not computed here: compute_first() calls the
target thousands of times inside make_input, and suture recorded and replayed each of those calls
with a pickled copy of the whole grammar, which took minutes (bench/RESULTS.md, 2026-12-07 03:03)."""

from ply.yacc import Grammar

TARGET = "ply.yacc:Grammar._first"
SCALE = 6


def make_input(scale):
    n = 8 * scale
    terminals = [f"T{j}" for j in range(n + 40)]
    g = Grammar(terminals)
    for t in terminals:
        g.First[t] = [t]
    g.First["$end"] = ["$end"]
    for i in range(n):
        g.First[f"clause{i}"] = [f"T{i + j}" for j in range(40)] + ["<empty>"]
    return (g, tuple(f"clause{i}" for i in range(n)))
