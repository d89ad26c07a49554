"""The state store contract: dialog state, dedup keys, pending long answers, access token.

Backends implement it (SQLite for one machine, Redis and SQL for several workers); one
contract test in tests/bot/store runs against each.

Leases: a lock or a message claim is a key with a random token and a short TTL. The holder's
process renews it (`LeaseKeeper`) while it works, so a crashed holder's lease is gone within
seconds, while a live one keeps it however long the work takes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# A set is ("set", key, value, ttl_s | None); a delete is ("delete", key).
Op = tuple[Any, ...]

# Dialogs idle for 30 days are forgotten; nothing personal is kept forever.
DIALOG_TTL_S = 30 * 86400


class StoreError(RuntimeError):
    """A store that cannot be opened or used; the message names it (file or URL) and why."""


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


@dataclass(eq=False)
class Lease:
    key: str
    token: str
    ttl_s: float
    renewed: float = field(default_factory=time.monotonic)
    lost: bool = False  # the store no longer had our token: someone may have taken over


class LeaseKeeper:
    """Renews the leases this process holds, from one background thread per store.

    A lease is renewed every third of its TTL; a holder that dies stops renewing, so its
    lease ends within one TTL. A renewal that finds another token marks the lease `lost`."""

    def __init__(self, renew: Callable[[str, str, float], bool]) -> None:
        self._renew = renew
        self._leases: set[Lease] = set()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    @contextmanager
    def keep(self, key: str, token: str, ttl_s: float) -> Iterator[Lease]:
        lease = Lease(key, token, ttl_s)
        with self._cond:
            self._leases.add(lease)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
                self._thread.start()
            self._cond.notify()
        try:
            yield lease
        finally:
            with self._cond:
                self._leases.discard(lease)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._leases and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                now = time.monotonic()
                due = [x for x in self._leases if now - x.renewed >= x.ttl_s / 3]
                if not due:
                    wait = min(x.renewed + x.ttl_s / 3 for x in self._leases) - now
                    self._cond.wait(max(0.01, wait))
                    continue
            for lease in due:
                try:
                    ok = self._renew(lease.key, lease.token, lease.ttl_s)
                except Exception:  # the store is down: try again at the next turn
                    log.warning("could not renew lease %s", lease.key, exc_info=True)
                    continue
                lease.renewed = time.monotonic()
                if not ok and not lease.lost:
                    lease.lost = True
                    log.warning("lease %s was lost while held (the process stalled for over %.0fs)",
                                lease.key, lease.ttl_s)


def user_lock_name(user: str) -> str:
    # A digest, not the OpenID: lock rows come and go by the thousand and must not leave the
    # OpenID behind in a database file after the user asked to be forgotten.
    return "user:" + hashlib.sha256(user.encode("utf-8")).hexdigest()[:32]


class StateStore(ABC):
    # What this store is, for error messages: a file path or a URL without its password.
    where: str = "state store"

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
    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        """Atomically add `amount` to an integer counter (absent = 0); returns the new value.
        `ttl_s` is applied when the counter is created."""

    @abstractmethod
    def renew(self, key: str, token: str, ttl_s: float) -> bool:
        """Extend a lease (a key added with value `token`) if it is still ours."""

    @abstractmethod
    def release(self, key: str, token: str) -> None:
        """Delete a lease only if it is still ours (an expired one may belong to another now)."""

    @abstractmethod
    def apply(self, ops: Sequence[Op]) -> None:
        """Several sets and deletes in one atomic step: all of them happen, or none."""

    @abstractmethod
    def scan(self, prefix: str) -> list[str]:
        """Live keys starting with `prefix` (for small, rare sweeps)."""

    @abstractmethod
    @contextmanager
    def lock(self, name: str, timeout_s: float = 30.0, lease_s: float | None = None) -> Iterator[None]:
        """A mutual-exclusion lock shared by every process using this store. Waits up to
        `timeout_s`. Without `lease_s` the lease lasts `timeout_s`; with it, the lease lasts
        `lease_s` and is renewed while held (a crashed holder blocks others only that long)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    # --- operations ---------------------------------------------------------------------
    def scrub(self) -> None:  # noqa: B027 - nothing to do where deleted data leaves no copy
        """Make deleted data unrecoverable from the store's files (SQLite: checkpoint the WAL)."""

    def erase(self, *keys: str) -> None:
        """Delete personal data for good: the keys, and their old copies in the files."""
        self.delete(*keys)
        self.scrub()

    def check(self, thorough: bool = False) -> None:
        """Raise StoreError (naming the store) unless it can be read and written; `thorough`
        also verifies the file's integrity (start-up)."""
        key = f"health:{uuid.uuid4().hex}"
        try:
            self.set(key, "ok", ttl_s=60)
            ok = self.get(key) == "ok"
            self.delete(key)
        except Exception as e:
            raise StoreError(f"{self.where}: {type(e).__name__}: {e}") from e
        if not ok:
            raise StoreError(f"{self.where}: a value written could not be read back")

    @property
    def leases(self) -> LeaseKeeper:
        keeper = self.__dict__.get("_lease_keeper")
        if keeper is None:
            keeper = self.__dict__.setdefault("_lease_keeper", LeaseKeeper(self.renew))
        return keeper

    @contextmanager
    def _lease_lock(self, name: str, timeout_s: float, lease_s: float | None) -> Iterator[None]:
        """The cross-process part of `lock`: a lease with a random token, so a holder whose
        lease ran out cannot delete the next holder's."""
        key, token = f"lock:{name}", uuid.uuid4().hex
        wait_for_lease(lambda: self.add(key, token, ttl_s=lease_s or timeout_s), name, timeout_s)
        try:
            if lease_s:
                with self.leases.keep(key, token, lease_s):
                    yield
            else:
                yield
        finally:
            self.release(key, token)

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
            self.set_json(f"dialog:{user}", state, ttl_s=DIALOG_TTL_S)
        else:
            self.delete(f"dialog:{user}")

    USER_LEASE_S = 3.0  # a crashed worker holds a user's messages up for at most this long

    @contextmanager
    def user_lock(self, user: str) -> Iterator[None]:
        """Messages from one user are processed one at a time, in order."""
        with self.lock(user_lock_name(user), timeout_s=30.0, lease_s=self.USER_LEASE_S):
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
