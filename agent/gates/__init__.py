"""The gates every candidate passes in a scratch tree: tests, the wider suite, the bounded verifier."""
