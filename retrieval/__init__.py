"""AST-aware code retrieval: tree-sitter parsing, the symbol index and its cache,
BM25 code search, the AutoCodeRover-style search API and the repo map.

This package imports nothing else of suture.
"""
