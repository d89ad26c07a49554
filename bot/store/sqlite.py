"""SQLite state store: the embedded default (a file under DATA_DIR), safe across processes.

One connection per thread (WAL mode) for files; `:memory:` uses one shared connection behind
a lock, since every new connection to `:memory:` would be a different, empty database.
Expired rows are invisible at once and purged now and then so dedup keys do not pile up.
Deleted rows are overwritten (`secure_delete`), and `scrub()` empties the WAL, so data a user
asked to erase is not left in the file's free pages or the log.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from bot.files import private_file
from bot.store.base import NamedLocks, Op, StateStore, StoreError

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL);
CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires) WHERE expires IS NOT NULL;
"""
_PURGE_EVERY = 1000  # writes between purges of expired rows


class SQLiteStore(StateStore):
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.where = f"state store {self.path}"
        self._memory = self.path == ":memory:"
        if not self._memory:
            private_file(Path(self.path))
        self._local = threading.local()
        self._shared: sqlite3.Connection | None = None
        self._mem_lock = threading.RLock()
        # Writers in this process queue on a real lock: SQLite's own busy handler sleeps in
        # steps of up to 100 ms, which is what made p99 latency explode under load.
        self._write_lock = threading.Lock()
        self._named = NamedLocks()
        self._writes = 0
        try:
            with self._op() as c:
                c.executescript(_SCHEMA)
        except sqlite3.DatabaseError as e:  # e.g. "file is not a database": say which file
            self.close()
            raise StoreError(f"{self.where}: {e}") from e

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA secure_delete=ON")
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
        # One statement: insert, or take over a row whose lease has expired; a live row wins.
        with self._write_lock, self._op() as c:
            row = c.execute(
                "INSERT INTO kv(key, value, expires) VALUES(?,?,?) ON CONFLICT(key) DO UPDATE "
                "SET value=excluded.value, expires=excluded.expires "
                "WHERE kv.expires IS NOT NULL AND kv.expires<=? RETURNING 1",
                (key, value, self._exp(ttl_s), time.time())).fetchone()
        self._maybe_purge()
        return row is not None

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

    def renew(self, key: str, token: str, ttl_s: float) -> bool:
        with self._write_lock, self._op() as c:
            cur = c.execute("UPDATE kv SET expires=? WHERE key=? AND value=?", (self._exp(ttl_s), key, token))
        return cur.rowcount == 1

    def release(self, key: str, token: str) -> None:
        with self._write_lock, self._op() as c:
            c.execute("DELETE FROM kv WHERE key=? AND value=?", (key, token))

    def apply(self, ops: Sequence[Op]) -> None:
        if not ops:
            return
        with self._tx() as c:
            for op in ops:
                if op[0] == "set":
                    c.execute("INSERT INTO kv(key, value, expires) VALUES(?,?,?) ON CONFLICT(key) DO UPDATE "
                              "SET value=excluded.value, expires=excluded.expires",
                              (op[1], op[2], self._exp(op[3])))
                else:
                    c.execute("DELETE FROM kv WHERE key=?", (op[1],))

    def scan(self, prefix: str) -> list[str]:
        with self._op() as c:
            rows = c.execute("SELECT key FROM kv WHERE key >= ? AND key < ? AND (expires IS NULL OR expires > ?)",
                             (prefix, prefix + "\U0010ffff", time.time())).fetchall()
        return [r[0] for r in rows]

    def scrub(self) -> None:
        if self._memory:
            return
        with self._write_lock, self._op() as c:
            # TRUNCATE: the old pages copied into the database (where secure_delete zeroed the
            # deleted rows) and the log file emptied. Readers in other processes can delay it;
            # then the next checkpoint finishes the job.
            busy, _log, _done = c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.info("WAL of %s still in use by a reader; the next checkpoint empties it", self.path)

    def check(self, thorough: bool = False) -> None:
        if thorough:
            try:
                with self._op() as c:
                    result = c.execute("PRAGMA quick_check").fetchone()[0]
            except sqlite3.DatabaseError as e:
                raise StoreError(f"{self.where}: {e}") from e
            if result != "ok":
                raise StoreError(f"{self.where}: integrity check failed: {result}")
        super().check(thorough)

    @contextmanager
    def lock(self, name: str, timeout_s: float = 30.0, lease_s: float | None = None) -> Iterator[None]:
        # Threads of this process queue on a real lock; the lease row excludes other processes.
        with self._named.hold(name, timeout_s), self._lease_lock(name, timeout_s, lease_s):
            yield

    def close(self) -> None:
        self.leases.close()
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

