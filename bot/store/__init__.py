"""State store backends, chosen by `STATE_URL`."""

from __future__ import annotations

from bot.settings import Settings
from bot.store.base import StateStore


def open_store(settings: Settings) -> StateStore:
    from bot.store.split import compose_store

    # STATE_URL empty + DATABASE_URL / REDIS_URL: the production split (rules in split.py).
    composed = compose_store(settings)
    if composed is not None:
        return composed
    url = settings.state_dsn
    if url.startswith(("redis://", "rediss://", "unix://")):
        from bot.store.redis import RedisStore

        return RedisStore(url, prefix=settings.redis_prefix)
    if url.startswith("sqlite:///"):
        from bot.store.sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql", "sqlite+")):
        from bot.store.sql import SQLStore

        return SQLStore(url)
    raise ValueError(f"STATE_URL not understood: {url!r} (use sqlite:///PATH or redis://HOST:PORT/DB)")
