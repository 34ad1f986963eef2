"""suture.tools."""
