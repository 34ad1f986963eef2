"""A paged listing endpoint over an in-memory store: 1-based page numbers."""
