"""suture where users meet it outside the terminal: the pre-commit check and the GitHub Action's event."""
