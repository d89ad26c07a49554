"""The dispatcher's hook: every message or menu click from a user opens WeChat's 48-hour
customer-service window, the last rung of the reminder delivery ladder.

`record()` sits on the reply path, so it only notes the time in memory; a background thread
writes the notes to `users.last_message_at` (coalesced per user). The reply never waits for
the database (nor for the first connection's migrations). The price: a crash loses up to
one flush interval of window openings, which only makes the window look shorter.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from bot.db import get_engine, utcnow
from bot.reminders.repo import ReminderRepo
from handlers.base import Incoming

log = logging.getLogger(__name__)

FLUSH_S = 0.5
_cond = threading.Condition()
_write_lock = threading.Lock()  # held while a batch is written; `forget` waits for it
_pending: dict[str, tuple[Any, dict[str, dt.datetime]]] = {}  # db_url → (settings, openid → at)
_writer: threading.Thread | None = None


def record(msg: Incoming, services: Any) -> None:
    """Remember when `msg.user` last wrote. Never raises, never blocks on the database."""
    if msg.kind == "event" and msg.event.lower() == "unsubscribe":
        forget(msg.user)
        return
    try:
        settings = services.settings
        now = getattr(services, "clock", utcnow)()
        global _writer
        with _cond:
            _pending.setdefault(settings.db_url, (settings, {}))[1][msg.user] = now
            if _writer is None or not _writer.is_alive():
                _writer = threading.Thread(target=_run, name="reminder-activity", daemon=True)
                _writer.start()
            _cond.notify()
    except Exception:
        log.warning("could not record user activity", exc_info=True)


def flush() -> None:
    """Write every note now (tests, shutdown)."""
    with _write_lock:
        with _cond:
            batch = dict(_pending)
            _pending.clear()
        for settings, touches in batch.values():
            try:
                repo = ReminderRepo(get_engine(settings), settings)
                for openid, at in touches.items():
                    repo.touch(openid, at)
            except Exception:
                log.warning("could not write user activity (%d users)", len(touches), exc_info=True)


def forget(openid: str) -> None:
    """Drop unwritten notes of `openid` (「删除我的信息」, unsubscribe) so that nothing is
    written back after the user's rows are deleted. Call before deleting."""
    with _write_lock, _cond:
        for _settings, touches in _pending.values():
            touches.pop(openid, None)


def _run() -> None:
    while True:
        with _cond:
            while not _pending:
                _cond.wait()
        flush()
        # Coalesce: a burst of messages becomes one write per user.
        threading.Event().wait(FLUSH_S)
