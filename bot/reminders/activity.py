"""The dispatcher's hook: every message or menu click from a user opens WeChat's 48-hour
customer-service window, the last rung of the reminder delivery ladder."""

from __future__ import annotations

import logging
from typing import Any

from bot.db import get_engine, utcnow
from bot.reminders.repo import ReminderRepo
from handlers.base import Incoming

log = logging.getLogger(__name__)


def record(msg: Incoming, services: Any) -> None:
    """Remember when `msg.user` last wrote. Never raises: a reply matters more."""
    if msg.kind == "event" and msg.event.lower() == "unsubscribe":
        return
    try:
        settings = services.settings
        ReminderRepo(get_engine(settings), settings, getattr(services, "clock", utcnow)).touch(msg.user)
    except Exception:
        log.warning("could not record user activity", exc_info=True)
