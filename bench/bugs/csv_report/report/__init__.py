"""A tiny CSV sales report: read rows, aggregate per region, render a text table."""
