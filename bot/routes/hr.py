"""`GET /hr/reminders`: subscriber counts per plan and reminder delivery results, for HR
officers (`Authorization: Bearer <ADMIN_TOKEN>`; 403 otherwise or when no token is set). The token is
never read from the URL: URLs end up in access logs, browser history and Referer headers.
Only OpenIDs identify users here: the bot keeps no names or phone numbers."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from bot.db import get_engine
from bot.reminders.repo import ReminderRepo

router = APIRouter(prefix="/hr")


def _check(request: Request) -> None:
    token = request.app.state.services.settings.admin_token
    given = ""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(403, "需要有效的管理令牌")


@router.get("/reminders")
async def reminders(request: Request) -> dict[str, Any]:
    _check(request)
    s = request.app.state.services.settings
    return await asyncio.to_thread(lambda: ReminderRepo(get_engine(s), s).stats())
