"""Repair of C code from the model checker's counterexamples."""
