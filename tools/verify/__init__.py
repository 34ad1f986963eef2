"""The bounded verifier: one interface over CrossHair, Hypothesis and ESBMC, counterexamples, harnesses."""
