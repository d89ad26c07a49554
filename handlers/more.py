"""Long answers: the passive reply limit is 2048 bytes, so the rest waits for 「更多」."""

from __future__ import annotations

import re

from handlers.base import Context, Incoming

LIMIT_BYTES = 2048
MORE_HINT = "\n\n（回复「更多」继续阅读）"
PENDING_TTL_S = 7 * 86400
_BOUNDARY = re.compile(r"(?<=[。！？；!?;\n])")


def pending_key(user: str) -> str:
    """Where the rest of a long answer waits for «更多»."""
    return f"pending:{user}"


def split(text: str, limit: int = LIMIT_BYTES) -> tuple[str, str]:
    """(first part, rest): the first part plus MORE_HINT fits in `limit` UTF-8 bytes and ends at
    a sentence boundary when one exists in the second half; otherwise at a character boundary."""
    if len(text.encode("utf-8")) <= limit:
        return text, ""
    budget = limit - len(MORE_HINT.encode("utf-8"))
    head = text.encode("utf-8")[:budget].decode("utf-8", "ignore")
    cuts = [m.start() for m in _BOUNDARY.finditer(head) if m.start() > 0]
    if cuts and cuts[-1] >= len(head) // 2:
        head = head[: cuts[-1]]
    return head.rstrip(), text[len(head):].lstrip()


def paginate(store, user: str, reply: str | None) -> str | None:  # type: ignore[no-untyped-def]
    """Fit `reply` into one message; keep what does not fit under `pending:<user>`."""
    if reply is None:
        return None
    first, rest = split(reply)
    if not rest:
        return reply
    store.set(pending_key(user), rest, ttl_s=PENDING_TTL_S)
    return first + MORE_HINT


def handle(msg: Incoming, ctx: Context) -> str:
    store = ctx.services.store
    rest = store.get(pending_key(msg.user))
    if not rest:
        if ctx.state.get("last_question"):
            # «还有别的吗» after a whole answer: say that was all of it, not «没有找到».
            return "上一条回答已经全部发完了，通知里关于这个问题写的就是这些。想了解别的方面，直接问我就行。"
        return "没有需要继续阅读的内容了。请直接提问，或发送「帮助」查看我能做什么。"
    store.delete(pending_key(msg.user))
    return paginate(store, msg.user, rest) or ""
