"""CLI command groups; see bot/cli.py."""
