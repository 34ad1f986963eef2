"""suture.prompts."""
