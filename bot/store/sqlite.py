"""SQLite state store: the embedded default (a file under DATA_DIR), safe across processes."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.store.base import StateStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL);
"""


class SQLiteStore(StateStore):
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as c:
            c.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @staticmethod
    def _exp(ttl_s: float | None) -> float | None:
        return None if ttl_s is None else time.time() + ttl_s

    def get(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value, expires FROM kv WHERE key=?", (key,)).fetchone()
        if row is None or (row[1] is not None and row[1] <= time.time()):
            return None
        return row[0]

    def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        self._conn().execute(
            "INSERT INTO kv(key, value, expires) VALUES(?,?,?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value, expires=excluded.expires",
            (key, value, self._exp(ttl_s)))

    def add(self, key: str, value: str, ttl_s: float | None = None) -> bool:
        c = self._conn()
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute("DELETE FROM kv WHERE key=? AND expires IS NOT NULL AND expires<=?", (key, time.time()))
            cur = c.execute("INSERT OR IGNORE INTO kv(key, value, expires) VALUES(?,?,?)",
                            (key, value, self._exp(ttl_s)))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return cur.rowcount == 1

    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        c = self._conn()
        c.execute("BEGIN IMMEDIATE")
        try:
            now = time.time()
            c.execute("DELETE FROM kv WHERE key=? AND expires IS NOT NULL AND expires<=?", (key, now))
            row = c.execute(
                "INSERT INTO kv(key, value, expires) VALUES(?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET value=CAST(CAST(kv.value AS INTEGER) + ? AS TEXT) "
                "RETURNING value", (key, str(amount), self._exp(ttl_s), amount)).fetchone()
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return int(row[0])

    def delete(self, *keys: str) -> None:
        if keys:
            self._conn().executemany("DELETE FROM kv WHERE key=?", [(k,) for k in keys])

    @contextmanager
    def lock(self, name: str, timeout_s: float = 30.0) -> Iterator[None]:
        # A lease row: expires so a crashed holder cannot block the user forever.
        key, token = f"lock:{name}", uuid.uuid4().hex
        deadline = time.monotonic() + timeout_s
        delay = 0.002
        while not self.add(key, token, ttl_s=timeout_s):
            if time.monotonic() > deadline:
                raise TimeoutError(f"lock {name!r} busy for {timeout_s}s")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            self._conn().execute("DELETE FROM kv WHERE key=? AND value=?", (key, token))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
