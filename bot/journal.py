"""What one message changes in the state store, applied at once and at most once.

A handler's writes (dialog state, the rest of a long answer …) go to a `Transaction`, not to
the store: it reads through to the store, sees its own writes, and `commit()` writes them all
in one atomic step together with `done:<message key>` → the reply. A worker that dies while
handling a message therefore leaves either nothing (the message runs again, from the state
it found) or everything, reply included (a resend gets that reply; nothing runs twice).

Effects outside the state store (reminder subscriptions in the database) are idempotent by
construction: subscribing or deleting twice leaves the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from bot.store.base import Op, StateStore

# Long enough for WeChat's resends and for recovering a late answer after a crash
# (bot/gateway.py); the reply is not kept longer than that.
DONE_TTL_S = 3600.0
_GONE = object()


def applied(store: StateStore, key: str) -> dict[str, Any] | None:
    """{"reply": …} when the message `key` was applied before, else None."""
    return store.get_json(f"done:{key}")


class Transaction(StateStore):
    """A StateStore view that buffers sets and deletes until `commit()`. Claims, counters and
    locks pass straight through: they coordinate with other processes now, not later."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.where = store.where
        self._writes: dict[str, tuple[str, float | None] | object] = {}
        self._erase = False

    # --- buffered ------------------------------------------------------------------------
    def get(self, key: str) -> str | None:
        if key in self._writes:
            w = self._writes[key]
            return None if w is _GONE else w[0]  # type: ignore[index]
        return self.store.get(key)

    def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        self._writes[key] = (value, ttl_s)

    def delete(self, *keys: str) -> None:
        for k in keys:
            self._writes[k] = _GONE

    def erase(self, *keys: str) -> None:
        self.delete(*keys)
        self._erase = True

    def apply(self, ops: Sequence[Op]) -> None:
        for op in ops:
            if op[0] == "set":
                self.set(op[1], op[2], op[3])
            else:
                self.delete(op[1])

    def record(self, key: str, reply: str | None) -> None:
        self.set(f"done:{key}", json.dumps({"reply": reply}, ensure_ascii=False), DONE_TTL_S)

    def commit(self) -> None:
        ops: list[Op] = [("delete", k) if w is _GONE else ("set", k, *w)  # type: ignore[misc]
                         for k, w in self._writes.items()]
        self.store.apply(ops)
        self._writes.clear()
        if self._erase:
            self.store.scrub()

    # --- straight through ---------------------------------------------------------------
    def add(self, key: str, value: str, ttl_s: float | None = None) -> bool:
        return self.store.add(key, value, ttl_s)

    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        return self.store.incr(key, amount, ttl_s)

    def renew(self, key: str, token: str, ttl_s: float) -> bool:
        return self.store.renew(key, token, ttl_s)

    def release(self, key: str, token: str) -> None:
        self.store.release(key, token)

    def scan(self, prefix: str) -> list[str]:
        return self.store.scan(prefix)

    @contextmanager
    def lock(self, name: str, timeout_s: float = 30.0, lease_s: float | None = None) -> Iterator[None]:
        with self.store.lock(name, timeout_s, lease_s):
            yield


class Scoped:
    """The services a handler sees: the same, except that the store is the message's transaction."""

    def __init__(self, services: Any, store: StateStore) -> None:
        self._services = services
        self.store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._services, name)
