"""``python -m claude_quote``: the same command line as the ``claude-quote`` script."""

from claude_quote.cli import main

main()
