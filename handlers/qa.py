"""Notice Q&A: the default handler for free text."""

from __future__ import annotations

from handlers.base import Context, Incoming


def handle(msg: Incoming, ctx: Context) -> str:
    # The plan the user last chose in a tool narrows the answer; a plan the question names wins.
    plan = ctx.state.get("plan") or ctx.state.get("last_plan")
    return ctx.services.qa.answer(msg.text, plan=plan if isinstance(plan, str) else None).text
