"""Redis state store: for several workers (`STATE_URL=redis://…`).

Claims use SET NX PX; locks are leases with a random token released by a Lua script that
deletes the key only if it still holds our token (a holder whose lease expired cannot
release someone else's lock).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import redis

from bot.store.base import NamedLocks, Op, StateStore, StoreError

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_INCR = """
local v = redis.call('incrby', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 and v == tonumber(ARGV[1]) then redis.call('pexpire', KEYS[1], ARGV[2]) end
return v
"""


def _ms(ttl_s: float | None) -> int | None:
    return None if ttl_s is None else max(1, int(ttl_s * 1000))


def drop_prefix(url: str, prefix: str) -> None:
    """Delete every key under `prefix`: the namespace a test or benchmark ran in."""
    r = redis.Redis.from_url(url)
    try:
        keys = list(r.scan_iter(match=prefix + "*", count=500))
        if keys:
            r.delete(*keys)
    finally:
        r.close()


def redacted(url: str) -> str:
    """A URL fit for a log line or an error message: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


class RedisStore(StateStore):
    def __init__(self, url: str, prefix: str = "zc:") -> None:
        # `prefix` keeps deployments (and parallel test runs) sharing one Redis apart.
        self.prefix = prefix
        self.where = f"Redis {redacted(url)}"
        self.r = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
        self._release = self.r.register_script(_RELEASE)
        self._renew = self.r.register_script(_RENEW)
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

    def renew(self, key: str, token: str, ttl_s: float) -> bool:
        return bool(self._renew(keys=[self._k(key)], args=[token, _ms(ttl_s)]))

    def release(self, key: str, token: str) -> None:
        self._release(keys=[self._k(key)], args=[token])

    def apply(self, ops: Sequence[Op]) -> None:
        if not ops:
            return
        with self.r.pipeline(transaction=True) as p:  # MULTI … EXEC
            for op in ops:
                if op[0] == "set":
                    p.set(self._k(op[1]), op[2], px=_ms(op[3]))
                else:
                    p.delete(self._k(op[1]))
            p.execute()

    def scan(self, prefix: str) -> list[str]:
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self._k(prefix)) + "*"
        return [k[len(self.prefix):] for k in self.r.scan_iter(match=pattern, count=500)]

    def check(self, thorough: bool = False) -> None:
        try:
            self.r.ping()
        except redis.RedisError as e:
            raise StoreError(f"{self.where}: {e}") from e
        super().check(thorough)

    @contextmanager
    def lock(self, name: str, timeout_s: float = 30.0, lease_s: float | None = None) -> Iterator[None]:
        # Threads of this process queue on a real lock first; the Redis lease excludes
        # other processes (polled with a short backoff).
        with self._named.hold(name, timeout_s), self._lease_lock(name, timeout_s, lease_s):
            yield

    def close(self) -> None:
        self.leases.close()
        self.r.close()
