"""xinyi: command-line tool of the Xinyi platform team."""
