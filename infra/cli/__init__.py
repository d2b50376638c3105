"""The `qa` command line."""
