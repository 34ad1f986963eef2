"""Workload for ply_first: FIRST of a string of 8 * scale nullable nonterminals, each of which
starts with any of 40 terminals (an optional-clauses grammar, like SQL's), FIRST sets computed."""

from ply.yacc import Grammar

TARGET = "ply.yacc:Grammar._first"
SCALE = 6


def make_input(scale):
    n = 8 * scale
    terminals = [f"T{j}" for j in range(n + 40)]
    g = Grammar(terminals)
    g.add_production("query", [f"clause{i}" for i in range(n)])
    for i in range(n):
        for j in range(40):
            g.add_production(f"clause{i}", [f"T{i + j}"])
        g.add_production(f"clause{i}", [])
    g.set_start("query")
    g.compute_first()
    return (g, tuple(f"clause{i}" for i in range(n)))
