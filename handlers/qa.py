"""Notice Q&A: the default handler for free text."""

from __future__ import annotations

from handlers.base import Context, Incoming


def handle(msg: Incoming, ctx: Context) -> str:
    return ctx.services.qa.answer(msg.text).text
