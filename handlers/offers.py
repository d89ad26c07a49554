"""Offers that wait for a clear yes: 「新年度通知发布后提醒我」 after a verdict from a past notice, or
a tool Q&A points to («您是想…吗？回复「好的」即可»).

An offer is kept in the sticky `offer` key for a short while; only a message whose intent is a
plain yes (not a question, not a request for something else) accepts it, a plain no declines it,
and anything else leaves it standing until it expires.
"""

from __future__ import annotations

import time
from typing import Any

from handlers.base import Context, Incoming

OFFER_TTL_S = 30 * 60


def make(ctx: Context, kind: str, **data: Any) -> None:
    ctx.state["offer"] = {"kind": kind, "at": int(time.time()), **data}


def current(ctx: Context) -> dict[str, Any] | None:
    offer = ctx.state.get("offer")
    if not isinstance(offer, dict) or time.time() - float(offer.get("at", 0)) > OFFER_TTL_S:
        ctx.state.pop("offer", None)
        return None
    return offer


ASKED_MAX = 500  # the message a tool offer answered, kept to run the tool on it


def accepted_tool(ctx: Context) -> tuple[str, str] | None:
    """(tool intent, the message it was offered for) of a standing offer the message accepts:
    the dispatcher runs the tool on that message, so the facts it stated are not lost."""
    offer = current(ctx)
    if offer is None or offer.get("kind") != "tool" or ctx.it is None or not ctx.it.clear_yes:
        return None
    ctx.state.pop("offer", None)
    return str(offer.get("intent")), str(offer.get("asked") or "")[:ASKED_MAX]


def answer(msg: Incoming, ctx: Context) -> str | None:
    """The reply to a standing offer, or None when there is none (or the message is no answer)."""
    it = ctx.it
    offer = current(ctx)
    if offer is None or it is None:
        return None
    if it.clear_yes:
        ctx.state.pop("offer", None)
        if offer.get("kind") == "series":
            from handlers import reminders

            return reminders.subscribe_series(ctx, str(offer.get("plan")), str(offer.get("role") or "applicant"))
        return None
    if it.clear_no:
        ctx.state.pop("offer", None)
        if offer.get("kind") == "tool":
            return "好的。还有问题随时问我。"
        return "好的，不订阅。需要时发送「新年度通知发布后提醒我」。"
    return None
