"""Two stores behind one contract: durable keys on PostgreSQL, short-lived ones on Redis.

Dialog state (`dialog:*`) must survive a Redis restart and is backed up with the database;
so must what a message changes together with it: the rest of a long answer (`pending:*`) and
the record that the message was applied (`done:*`, bot/journal.py), which are written in the
same transaction. Dedup claims, per-user locks, cached replies and the access token are
short-lived, hot and carry TTLs, which Redis serves fastest. `open_store` builds this when both
DATABASE_URL (PostgreSQL) and REDIS_URL are set and STATE_URL is empty.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from bot.settings import Settings
from bot.store.base import Op, StateStore

DURABLE_PREFIXES = ("dialog:", "pending:", "done:")


class SplitStore(StateStore):
    def __init__(self, durable: StateStore, ephemeral: StateStore,
                 durable_prefixes: tuple[str, ...] = DURABLE_PREFIXES) -> None:
        self.durable = durable
        self.ephemeral = ephemeral
        self.durable_prefixes = durable_prefixes
        self.where = f"{durable.where} + {ephemeral.where}"

    def _for(self, key: str) -> StateStore:
        return self.durable if key.startswith(self.durable_prefixes) else self.ephemeral

    def get(self, key: str) -> str | None:
        return self._for(key).get(key)

    def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        self._for(key).set(key, value, ttl_s)

    def add(self, key: str, value: str, ttl_s: float | None = None) -> bool:
        return self._for(key).add(key, value, ttl_s)

    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        return self._for(key).incr(key, amount, ttl_s)

    def delete(self, *keys: str) -> None:
        durable = [k for k in keys if self._for(k) is self.durable]
        ephemeral = [k for k in keys if self._for(k) is self.ephemeral]
        if durable:
            self.durable.delete(*durable)
        if ephemeral:
            self.ephemeral.delete(*ephemeral)

    def renew(self, key: str, token: str, ttl_s: float) -> bool:
        return self._for(key).renew(key, token, ttl_s)

    def release(self, key: str, token: str) -> None:
        self._for(key).release(key, token)

    def apply(self, ops: Sequence[Op]) -> None:
        # Atomic when every key lives on one side, which is how the durable prefixes are
        # chosen for what a message writes; a mixed batch writes the durable side first.
        durable = [op for op in ops if self._for(op[1]) is self.durable]
        ephemeral = [op for op in ops if self._for(op[1]) is self.ephemeral]
        self.durable.apply(durable)
        self.ephemeral.apply(ephemeral)

    def scan(self, prefix: str) -> list[str]:
        return self._for(prefix).scan(prefix)

    def scrub(self) -> None:
        self.durable.scrub()
        self.ephemeral.scrub()

    def check(self, thorough: bool = False) -> None:
        self.durable.check(thorough)
        self.ephemeral.check(thorough)

    @contextmanager
    def lock(self, name: str, timeout_s: float = 30.0, lease_s: float | None = None) -> Iterator[None]:
        # Locks are leases polled at high rate: always on the fast store.
        with self.ephemeral.lock(name, timeout_s, lease_s):
            yield

    def close(self) -> None:
        self.leases.close()
        self.durable.close()
        self.ephemeral.close()


def compose_store(settings: Settings) -> StateStore | None:
    """The production composition, or None when STATE_URL alone decides.

    - STATE_URL set: it decides (sqlite:///, redis://, or an SQLAlchemy URL such as
      postgresql+psycopg://), as before.
    - STATE_URL empty, DATABASE_URL on a server (not SQLite) and REDIS_URL set:
      dialogs on that database, everything else on Redis (the several-worker setup).
    - Only DATABASE_URL (server): everything on that database.
    - Only REDIS_URL: dialogs in the embedded SQLite file, everything else on Redis.
    - Neither: None (the embedded SQLite default).
    """
    if settings.state_url:
        return None
    db = "" if settings.database_url.startswith("sqlite") else settings.database_url
    if not db and not settings.redis_url:
        return None
    durable: StateStore
    if db:
        from bot.store.sql import SQLStore

        durable = SQLStore(db)
    else:
        from bot.store.sqlite import SQLiteStore

        durable = SQLiteStore(settings.data_dir / "state.db")
    if not settings.redis_url:
        return durable
    from bot.store.redis import RedisStore

    return SplitStore(durable, RedisStore(settings.redis_url, prefix=settings.redis_prefix))
