"""The state store contract: dialog state, dedup keys, pending long answers, access token.

Two backends implement it (SQLite for one machine, Redis for several workers); one
contract test in tests/bot/store runs against both.
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class NamedLocks:
    """In-process locks by name, forgotten when nobody holds or waits for them.

    Backends take one of these before their shared lease, so threads of one process queue
    on a real lock (woken at once) instead of polling the lease with sleeps."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, list[Any]] = {}  # name → [threading.Lock, holders + waiters]

    @contextmanager
    def hold(self, name: str, timeout_s: float) -> Iterator[None]:
        with self._guard:
            entry = self._locks.setdefault(name, [threading.Lock(), 0])
            entry[1] += 1
        lock: threading.Lock = entry[0]
        acquired = lock.acquire(timeout=timeout_s)
        try:
            if not acquired:
                raise TimeoutError(f"lock {name!r} busy for {timeout_s}s")
            yield
        finally:
            if acquired:
                lock.release()
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[name]


class StateStore(ABC):
    # --- raw key/value with optional TTL ----------------------------------------------
    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def set(self, key: str, value: str, ttl_s: float | None = None) -> None: ...

    @abstractmethod
    def add(self, key: str, value: str, ttl_s: float | None = None) -> bool:
        """Set only if absent; True when this call created the key (atomic claim)."""

    @abstractmethod
    def delete(self, *keys: str) -> None: ...

    @abstractmethod
    @contextmanager
    def lock(self, name: str, timeout_s: float = 30.0) -> Iterator[None]:
        """A mutual-exclusion lock shared by every process using this store."""

    @abstractmethod
    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        """Atomically add `amount` to an integer counter (absent = 0); returns the new value.
        `ttl_s` is applied when the counter is created."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    # --- typed helpers on top -----------------------------------------------------------
    def get_json(self, key: str) -> Any:
        raw = self.get(key)
        return None if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any, ttl_s: float | None = None) -> None:
        self.set(key, json.dumps(value, ensure_ascii=False), ttl_s)

    def get_dialog(self, user: str) -> dict[str, Any]:
        return self.get_json(f"dialog:{user}") or {}

    def set_dialog(self, user: str, state: dict[str, Any]) -> None:
        if state:
            # Dialogs idle for 30 days are forgotten; nothing personal is kept forever.
            self.set_json(f"dialog:{user}", state, ttl_s=30 * 86400)
        else:
            self.delete(f"dialog:{user}")

    @contextmanager
    def user_lock(self, user: str) -> Iterator[None]:
        """Messages from one user are processed one at a time, in order."""
        with self.lock(f"user:{user}"):
            yield


def wait_for_lease(claim: Callable[[], bool], name: str, timeout_s: float) -> None:
    """Poll `claim` (an atomic set-if-absent of a lease) with a short backoff until it succeeds;
    every backend's cross-process lock is such a lease."""
    deadline = time.monotonic() + timeout_s
    delay = 0.002
    while not claim():
        if time.monotonic() > deadline:
            raise TimeoutError(f"lock {name!r} busy for {timeout_s}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
