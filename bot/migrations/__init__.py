"""Alembic migrations of the bot database (see bot/db.py)."""
