"""claude-quote."""
