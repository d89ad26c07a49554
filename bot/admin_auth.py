"""HR console sessions, CSRF tokens and login throttling, in the database (every worker sees
the same sessions; logout on one worker ends the session on all).

- A session id is 32 random bytes; only its SHA-256 is stored, so a copy of the database
  opens no session. Sessions end at logout, after ADMIN_SESSION_HOURS, after
  ADMIN_IDLE_MINUTES without a request, or when ADMIN_TOKEN changes.
- Each session has its own CSRF token; every state-changing form carries it.
- Failed logins are counted per client address: ADMIN_LOGIN_MAX_FAILURES within
  ADMIN_LOGIN_WINDOW_MINUTES locks that address out for the rest of the window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, insert, select, update

from bot.db import admin_login_failures, admin_sessions, utcnow
from bot.settings import Settings


@dataclass
class Session:
    actor: str
    csrf: str


def _h(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def token_fingerprint(token: str) -> str:
    # Keyed so the stored value says nothing about the token itself.
    return hmac.new(token.encode(), b"zhicheng-admin-session-v2", hashlib.sha256).hexdigest()


class AdminSessions:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    # --- sessions ------------------------------------------------------------------------------
    def open(self, actor: str) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        now = utcnow()
        with self.engine.begin() as c:
            c.execute(delete(admin_sessions).where(admin_sessions.c.expires < now))
            c.execute(insert(admin_sessions).values(
                sid_hash=_h(sid), actor=actor[:64], csrf=csrf, token_fp=token_fingerprint(self.settings.admin_token),
                created=now, last_seen=now,
                expires=now + dt.timedelta(hours=self.settings.admin_session_hours)))
        return sid, Session(actor, csrf)

    def get(self, sid: str) -> Session | None:
        """The live session for this id (and its idle clock restarted), or None."""
        if not sid or len(sid) > 200:
            return None
        now = utcnow()
        idle = dt.timedelta(minutes=self.settings.admin_idle_minutes)
        with self.engine.begin() as c:
            row = c.execute(select(admin_sessions).where(admin_sessions.c.sid_hash == _h(sid))).mappings().first()
            if row is None:
                return None
            fp_ok = hmac.compare_digest(row["token_fp"], token_fingerprint(self.settings.admin_token))
            if row["expires"] < now or row["last_seen"] + idle < now or not fp_ok:
                c.execute(delete(admin_sessions).where(admin_sessions.c.sid_hash == row["sid_hash"]))
                return None
            c.execute(update(admin_sessions).where(admin_sessions.c.sid_hash == row["sid_hash"])
                      .values(last_seen=now))
        return Session(row["actor"], row["csrf"])

    def close(self, sid: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(admin_sessions).where(admin_sessions.c.sid_hash == _h(sid or "")))

    def revoke_all(self) -> int:
        with self.engine.begin() as c:
            return c.execute(delete(admin_sessions)).rowcount or 0

    def active(self) -> list[dict[str, object]]:
        now = utcnow()
        with self.engine.connect() as c:
            rows = c.execute(select(admin_sessions.c.actor, admin_sessions.c.created, admin_sessions.c.last_seen,
                                    admin_sessions.c.expires).where(admin_sessions.c.expires >= now)
                             .order_by(admin_sessions.c.created)).mappings().all()
        return [dict(r) for r in rows]

    # --- login throttling ----------------------------------------------------------------------
    def _window(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.settings.admin_login_window_minutes)

    def locked_for(self, client: str) -> int:
        """Minutes until this address may try again (0 = it may)."""
        since = utcnow() - self._window()
        with self.engine.connect() as c:
            n, first = c.execute(select(func.count(), func.min(admin_login_failures.c.at)).where(
                admin_login_failures.c.client == client[:64], admin_login_failures.c.at >= since)).one()
        if n < self.settings.admin_login_max_failures or first is None:
            return 0
        left = first + self._window() - utcnow()
        return max(1, int(left.total_seconds() // 60) + 1)

    def failed(self, client: str) -> None:
        now = utcnow()
        with self.engine.begin() as c:
            c.execute(delete(admin_login_failures).where(admin_login_failures.c.at < now - self._window()))
            c.execute(insert(admin_login_failures).values(client=client[:64], at=now))

    def succeeded(self, client: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(admin_login_failures).where(admin_login_failures.c.client == client[:64]))
