"""SQLite state store: the embedded default (a file under DATA_DIR), safe across processes.

One connection per thread (WAL mode) for files; `:memory:` uses one shared connection behind
a lock, since every new connection to `:memory:` would be a different, empty database.
Expired rows are invisible at once and purged now and then so dedup keys do not pile up.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from bot.store.base import NamedLocks, StateStore, wait_for_lease

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL);
CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires) WHERE expires IS NOT NULL;
"""
_PURGE_EVERY = 1000  # writes between purges of expired rows


class SQLiteStore(StateStore):
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._memory = self.path == ":memory:"
        if not self._memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._shared: sqlite3.Connection | None = None
        self._mem_lock = threading.RLock()
        # Writers in this process queue on a real lock: SQLite's own busy handler sleeps in
        # steps of up to 100 ms, which is what made p99 latency explode under load.
        self._write_lock = threading.Lock()
        self._named = NamedLocks()
        self._writes = 0
        with self._op() as c:
            c.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        if not self._memory:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def _op(self) -> Iterator[sqlite3.Connection]:
        guard: AbstractContextManager[object] = self._mem_lock if self._memory else nullcontext()
        with guard:
            if self._memory:
                if self._shared is None:
                    self._shared = self._connect()
                yield self._shared
                return
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = self._connect()
            yield conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock, self._op() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")
        self._maybe_purge()

    @staticmethod
    def _exp(ttl_s: float | None) -> float | None:
        return None if ttl_s is None else time.time() + ttl_s

    def _maybe_purge(self) -> None:
        self._writes += 1  # racy on purpose: an approximate count is enough
        if self._writes % _PURGE_EVERY == 0:
            with self._write_lock, self._op() as c:
                c.execute("DELETE FROM kv WHERE expires IS NOT NULL AND expires<=?", (time.time(),))

    def get(self, key: str) -> str | None:
        with self._op() as c:
            row = c.execute("SELECT value, expires FROM kv WHERE key=?", (key,)).fetchone()
        if row is None or (row[1] is not None and row[1] <= time.time()):
            return None
        return str(row[0])

    def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        with self._write_lock, self._op() as c:
            c.execute(
                "INSERT INTO kv(key, value, expires) VALUES(?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value, expires=excluded.expires",
                (key, value, self._exp(ttl_s)))
        self._maybe_purge()

    def add(self, key: str, value: str, ttl_s: float | None = None) -> bool:
        if self.get(key) is not None:  # a live key: refuse without taking the write lock
            return False
        with self._tx() as c:
            c.execute("DELETE FROM kv WHERE key=? AND expires IS NOT NULL AND expires<=?", (key, time.time()))
            cur = c.execute("INSERT OR IGNORE INTO kv(key, value, expires) VALUES(?,?,?)",
                            (key, value, self._exp(ttl_s)))
            created = cur.rowcount == 1
        return created

    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        with self._tx() as c:
            c.execute("DELETE FROM kv WHERE key=? AND expires IS NOT NULL AND expires<=?", (key, time.time()))
            row = c.execute(
                "INSERT INTO kv(key, value, expires) VALUES(?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET value=CAST(CAST(kv.value AS INTEGER) + ? AS TEXT) "
                "RETURNING value", (key, str(amount), self._exp(ttl_s), amount)).fetchone()
        return int(row[0])

    def delete(self, *keys: str) -> None:
        if keys:
            with self._write_lock, self._op() as c:
                c.executemany("DELETE FROM kv WHERE key=?", [(k,) for k in keys])

    @contextmanager
    def lock(self, name: str, timeout_s: float = 30.0) -> Iterator[None]:
        # Threads of this process queue on a real lock; the lease row excludes other
        # processes. The lease has a random token: a crashed holder cannot block others
        # forever, and a holder whose lease ran out cannot delete the next holder's row.
        with self._named.hold(name, timeout_s):
            key, token = f"lock:{name}", uuid.uuid4().hex
            wait_for_lease(lambda: self.add(key, token, ttl_s=timeout_s), name, timeout_s)
            try:
                yield
            finally:
                with self._write_lock, self._op() as c:
                    c.execute("DELETE FROM kv WHERE key=? AND value=?", (key, token))

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
