"""Workload for ply_compute_follow: an expression grammar with 10 * scale precedence levels
(expr_i -> expr_i OP_i expr_{i+1} | expr_{i+1}) plus a parenthesised atom, FIRST already
computed, so every FOLLOW set collects every operator."""

from ply.yacc import Grammar

TARGET = "ply.yacc:Grammar.compute_follow"
SCALE = 6


def make_input(scale):
    n = 10 * scale
    terminals = [f"OP{i}" for i in range(n)] + ["NUM", "LPAREN", "RPAREN"]
    g = Grammar(terminals)
    for i in range(n):
        g.add_production(f"expr{i}", [f"expr{i}", f"OP{i}", f"expr{i + 1}"])
        g.add_production(f"expr{i}", [f"expr{i + 1}"])
    g.add_production(f"expr{n}", ["NUM"])
    g.add_production(f"expr{n}", ["LPAREN", "expr0", "RPAREN"])
    g.set_start("expr0")
    g.compute_first()
    return (g,)
