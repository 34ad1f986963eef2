"""A small stock-keeping package: items, pricing with tax, and restock planning."""
