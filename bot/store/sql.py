"""SQL state store on SQLAlchemy 2: PostgreSQL (`postgresql+psycopg://…`) or SQLite.

Production keeps dialog state here (durable, backed up with the rest of the database) and
the short-lived keys on Redis; see `bot/store/split.py`. Every operation is one atomic
statement (upserts with ON CONFLICT), so any number of workers may share the table.
Locks are leases in the same table: they expire, so a crashed worker cannot block a user.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    create_engine,
    delete,
    event,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from bot.store.base import StateStore, wait_for_lease

log = logging.getLogger(__name__)

# Roughly one write in PURGE_EVERY also deletes expired rows, so the table stays small
# without a separate cleanup job.
PURGE_EVERY = 500


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


class SQLStore(StateStore):
    def __init__(self, url: str, table: str = "state_kv") -> None:
        # `table` lets parallel test runs (or two deployments) share one database.
        self.url = url
        self.engine = _engine(url)
        self.metadata = MetaData()
        self.kv = Table(
            table, self.metadata,
            Column("key", String(255), primary_key=True),
            Column("value", Text, nullable=False),
            Column("expires", Float, nullable=True, index=True),  # unix time; NULL = never
        )
        self._create_table()
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        self._insert = insert

    def _create_table(self) -> None:
        """CREATE TABLE once, although several workers start at the same moment: on PostgreSQL
        under an advisory lock; elsewhere a lost race (table already there) is fine."""
        # SQLite answers a read-to-write lock upgrade with an immediate "database is locked"
        # (its busy handler is skipped to avoid deadlock), so a lost race is simply retried.
        for attempt in range(50):
            try:
                with self.engine.begin() as c:
                    if self.engine.dialect.name == "postgresql":
                        key = int.from_bytes(hashlib.sha1(self.kv.name.encode()).digest()[:8], "big", signed=True)
                        c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
                    self.metadata.create_all(c, checkfirst=True)
                return
            except DBAPIError:
                if inspect(self.engine).has_table(self.kv.name):
                    log.debug("table %s was created by another process", self.kv.name)
                    return
                if self.engine.dialect.name == "postgresql" or attempt == 49:
                    raise
                time.sleep(0.02 * (attempt + 1))

    @staticmethod
    def _exp(ttl_s: float | None) -> float | None:
        return None if ttl_s is None else time.time() + ttl_s

    def _expired(self, now: float):  # type: ignore[no-untyped-def]
        return and_(self.kv.c.expires.is_not(None), self.kv.c.expires <= now)

    def _maybe_purge(self) -> None:
        if random.randrange(PURGE_EVERY) == 0:
            self.purge_expired()

    def purge_expired(self) -> int:
        with self.engine.begin() as c:
            return c.execute(delete(self.kv).where(self._expired(time.time()))).rowcount

    def get(self, key: str) -> str | None:
        now = time.time()
        with self.engine.connect() as c:
            return c.execute(select(self.kv.c.value).where(
                self.kv.c.key == key, or_(self.kv.c.expires.is_(None), self.kv.c.expires > now))).scalar()

    def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        stmt = self._insert(self.kv).values(key=key, value=value, expires=self._exp(ttl_s))
        stmt = stmt.on_conflict_do_update(index_elements=[self.kv.c.key],
                                          set_={"value": stmt.excluded.value, "expires": stmt.excluded.expires})
        with self.engine.begin() as c:
            c.execute(stmt)
        self._maybe_purge()

    def add(self, key: str, value: str, ttl_s: float | None = None) -> bool:
        # One statement: insert, or take over a row whose lease has expired; a live row wins.
        now = time.time()
        stmt = self._insert(self.kv).values(key=key, value=value, expires=self._exp(ttl_s))
        stmt = stmt.on_conflict_do_update(
            index_elements=[self.kv.c.key],
            set_={"value": stmt.excluded.value, "expires": stmt.excluded.expires},
            where=self._expired(now),
        ).returning(self.kv.c.key)
        with self.engine.begin() as c:
            won = c.execute(stmt).first() is not None
        self._maybe_purge()
        return won

    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        now = time.time()
        stmt = self._insert(self.kv).values(key=key, value=str(amount), expires=self._exp(ttl_s))
        expired = self._expired(now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[self.kv.c.key],
            set_={
                "value": case((expired, stmt.excluded.value),
                              else_=cast(cast(self.kv.c.value, BigInteger) + amount, Text)),
                "expires": case((expired, stmt.excluded.expires), else_=self.kv.c.expires),
            },
        ).returning(self.kv.c.value)
        with self.engine.begin() as c:
            return int(c.execute(stmt).scalar_one())

    def delete(self, *keys: str) -> None:
        if keys:
            with self.engine.begin() as c:
                c.execute(delete(self.kv).where(self.kv.c.key.in_(keys)))

    @contextmanager
    def lock(self, name: str, timeout_s: float = 30.0) -> Iterator[None]:
        key, token = f"lock:{name}", uuid.uuid4().hex
        wait_for_lease(lambda: self.add(key, token, ttl_s=timeout_s), name, timeout_s)
        try:
            yield
        finally:
            # Only our own lease: if it expired and someone else holds it now, leave theirs.
            with self.engine.begin() as c:
                c.execute(delete(self.kv).where(self.kv.c.key == key, self.kv.c.value == token))

    def drop(self) -> None:
        """Remove the table (tests)."""
        self.metadata.drop_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()
