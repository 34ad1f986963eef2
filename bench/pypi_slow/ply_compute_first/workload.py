"""Workload for ply_compute_first: a statement grammar of 12 * scale nonterminals in a chain,
each with a keyword alternative, a left-recursive alternative and an empty one, so FIRST sets
grow to hundreds of terminals."""

from ply.yacc import Grammar

TARGET = "ply.yacc:Grammar.compute_first"
SCALE = 2


def make_input(scale):
    n = 12 * scale
    terminals = [f"KW{i}" for i in range(n)] + ["SEMI"]
    g = Grammar(terminals)
    g.add_production("program", ["stmt0", "SEMI"])
    for i in range(n):
        nxt = f"stmt{i + 1}" if i + 1 < n else "SEMI"
        g.add_production(f"stmt{i}", [f"KW{i}", nxt])
        g.add_production(f"stmt{i}", [nxt, f"KW{i}"])
        g.add_production(f"stmt{i}", [])
    g.set_start("program")
    return (g,)
