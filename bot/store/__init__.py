"""State store backends, chosen by `STATE_URL`."""

from __future__ import annotations

from bot.settings import Settings
from bot.store.base import StateStore


def open_store(settings: Settings) -> StateStore:
    url = settings.state_dsn
    if url.startswith(("redis://", "rediss://", "unix://")):
        from bot.store.redis import RedisStore

        return RedisStore(url)
    if url.startswith("sqlite:///"):
        from bot.store.sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"))
    raise ValueError(f"STATE_URL not understood: {url!r} (use sqlite:///PATH or redis://HOST:PORT/DB)")
