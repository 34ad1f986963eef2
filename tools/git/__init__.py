"""git and scratch checkouts: facts about the user's repository, private worktrees and their pool, diffs."""
