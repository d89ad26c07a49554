"""The dispatcher's hook: every message or menu click from a user opens WeChat's 48-hour
customer-service window, the last rung of the reminder delivery ladder."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from bot.db import get_engine, utcnow
from bot.reminders.repo import ReminderRepo
from handlers.base import Incoming

log = logging.getLogger(__name__)


# openid → when this process last wrote users.last_message_at. A busy user's messages then
# cost one database write per REFRESH instead of one each; the recorded time may lag the
# real one by up to REFRESH, which only makes the 48-hour window look shorter (safe side).
REFRESH = dt.timedelta(minutes=10)
_recent: dict[str, dt.datetime] = {}
_lock = threading.Lock()
_MAX = 50_000


def record(msg: Incoming, services: Any) -> None:
    """Remember when `msg.user` last wrote. Never raises: a reply matters more."""
    if msg.kind == "event" and msg.event.lower() == "unsubscribe":
        forget(msg.user)
        return
    try:
        settings = services.settings
        now = getattr(services, "clock", utcnow)()
        with _lock:
            last = _recent.get(msg.user)
            if last is not None and timedelta_ok(now - last):
                return
            if len(_recent) >= _MAX:
                _recent.clear()
            _recent[msg.user] = now
        ReminderRepo(get_engine(settings), settings, lambda: now).touch(msg.user)
    except Exception:
        log.warning("could not record user activity", exc_info=True)


def timedelta_ok(age: dt.timedelta) -> bool:
    return dt.timedelta(0) <= age < REFRESH


def forget(openid: str) -> None:
    """After 「删除我的信息」 or unsubscribe the next message must be recorded again."""
    with _lock:
        _recent.pop(openid, None)
