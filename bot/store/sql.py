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
from collections.abc import Iterator, Sequence
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
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.files import private_file
from bot.store.base import Op, StateStore, StoreError

log = logging.getLogger(__name__)

# Roughly one write in PURGE_EVERY also deletes expired rows, so the table stays small
# without a separate cleanup job.
PURGE_EVERY = 500


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            private_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


class SQLStore(StateStore):
    def __init__(self, url: str, table: str = "state_kv") -> None:
        # `table` lets parallel test runs (or two deployments) share one database.
        self.url = url
        self.where = f"state store {self.engine_where(url)}"
        self.engine = _engine(url)
        self.metadata = MetaData()
        self.kv = Table(
            table, self.metadata,
            Column("key", String(255), primary_key=True),
            Column("value", Text, nullable=False),
            Column("expires", Float, nullable=True, index=True),  # unix time; NULL = never
        )
        try:
            self._create_table()
        except SQLAlchemyError as e:
            self.engine.dispose()
            raise StoreError(f"{self.where}: {e.__class__.__name__}: {getattr(e, 'orig', e)}") from e
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

    def renew(self, key: str, token: str, ttl_s: float) -> bool:
        with self.engine.begin() as c:
            return c.execute(self.kv.update().where(self.kv.c.key == key, self.kv.c.value == token)
                             .values(expires=self._exp(ttl_s))).rowcount == 1

    def release(self, key: str, token: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(self.kv).where(self.kv.c.key == key, self.kv.c.value == token))

    def apply(self, ops: Sequence[Op]) -> None:
        if not ops:
            return
        with self.engine.begin() as c:
            for op in ops:
                if op[0] == "set":
                    stmt = self._insert(self.kv).values(key=op[1], value=op[2], expires=self._exp(op[3]))
                    c.execute(stmt.on_conflict_do_update(
                        index_elements=[self.kv.c.key],
                        set_={"value": stmt.excluded.value, "expires": stmt.excluded.expires}))
                else:
                    c.execute(delete(self.kv).where(self.kv.c.key == op[1]))

    def scan(self, prefix: str) -> list[str]:
        now = time.time()
        with self.engine.connect() as c:
            return list(c.execute(select(self.kv.c.key).where(
                self.kv.c.key.startswith(prefix, autoescape=True),
                or_(self.kv.c.expires.is_(None), self.kv.c.expires > now))).scalars())

    def scrub(self) -> None:
        # SQLite: see SQLiteStore.scrub. PostgreSQL reclaims deleted rows with (auto)vacuum.
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as c:
                c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def check(self, thorough: bool = False) -> None:
        try:
            with self.engine.connect() as c:
                if thorough and self.engine.dialect.name == "sqlite":
                    result = c.exec_driver_sql("PRAGMA quick_check").scalar()
                    if result != "ok":
                        raise StoreError(f"{self.where}: integrity check failed: {result}")
                c.execute(select(self.kv.c.key).limit(1)).all()
        except SQLAlchemyError as e:
            raise StoreError(f"{self.where}: {e.__class__.__name__}: {getattr(e, 'orig', e)}") from e
        super().check(thorough)

    @staticmethod
    def engine_where(url: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)

    @contextmanager
    def lock(self, name: str, timeout_s: float = 30.0, lease_s: float | None = None) -> Iterator[None]:
        with self._lease_lock(name, timeout_s, lease_s):
            yield

    def drop(self) -> None:
        """Remove the table (tests)."""
        self.metadata.drop_all(self.engine)

    def close(self) -> None:
        self.leases.close()
        self.engine.dispose()
