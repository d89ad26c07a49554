"""Redis state store: for several workers (`STATE_URL=redis://…`).

Claims use SET NX PX; locks are leases with a random token released by a Lua script that
deletes the key only if it still holds our token (a holder whose lease expired cannot
release someone else's lock).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from bot.store.base import NamedLocks, StateStore, wait_for_lease

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_INCR = """
local v = redis.call('incrby', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 and v == tonumber(ARGV[1]) then redis.call('pexpire', KEYS[1], ARGV[2]) end
return v
"""


def _ms(ttl_s: float | None) -> int | None:
    return None if ttl_s is None else max(1, int(ttl_s * 1000))


class RedisStore(StateStore):
    def __init__(self, url: str, prefix: str = "zc:") -> None:
        # `prefix` keeps deployments (and parallel test runs) sharing one Redis apart.
        self.prefix = prefix
        self.r = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
        self._release = self.r.register_script(_RELEASE)
        self._incr = self.r.register_script(_INCR)
        self._named = NamedLocks()

    def _k(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str) -> str | None:
        return self.r.get(self._k(key))

    def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        self.r.set(self._k(key), value, px=_ms(ttl_s))

    def add(self, key: str, value: str, ttl_s: float | None = None) -> bool:
        return bool(self.r.set(self._k(key), value, nx=True, px=_ms(ttl_s)))

    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        return int(self._incr(keys=[self._k(key)], args=[amount, _ms(ttl_s) or 0]))

    def delete(self, *keys: str) -> None:
        if keys:
            self.r.delete(*(self._k(k) for k in keys))

    @contextmanager
    def lock(self, name: str, timeout_s: float = 30.0) -> Iterator[None]:
        # Threads of this process queue on a real lock first; the Redis lease excludes
        # other processes (polled with a short backoff).
        with self._named.hold(name, timeout_s):
            key, token = self._k(f"lock:{name}"), uuid.uuid4().hex
            wait_for_lease(lambda: bool(self.r.set(key, token, nx=True, px=_ms(timeout_s))), name, timeout_s)
            try:
                yield
            finally:
                self._release(keys=[key], args=[token])

    def close(self) -> None:
        self.r.close()
