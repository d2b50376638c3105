"""The benchmark suite: `python -m bench [NAME ...] [--json]` (see README, Performance)."""
