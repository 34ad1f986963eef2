"""suture.agent."""
