"""Route one message to one handler, under the user's lock, with the user's state."""

from __future__ import annotations

import copy
import logging
import re
import unicodedata

from bot import metrics
from bot.reminders import activity
from handlers import registry
from handlers.base import Context, Handler, Incoming
from handlers.events import unknown_click

log = logging.getLogger(__name__)

_TRIM = re.compile(r"^[\s\u3000。.!！?？~～、，,]+|[\s\u3000。.!！~～、，,]+$")


def normalise(text: str) -> str:
    """The form command words are matched in: NFKC, trimmed, lower-case."""
    return _TRIM.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def route(msg: Incoming, ctx: Context) -> Handler:
    if msg.kind == "event":
        if msg.event.lower() == "click":
            return registry.MENU_KEYS.get(msg.event_key) or registry.EVENTS.get("click", unknown_click)
        return registry.EVENTS.get(msg.event.lower(), _ignore_event)
    if msg.kind == "voice" and not msg.text:
        return _voice_without_text
    if msg.kind in ("text", "voice"):
        # A lone "？" trims to nothing; match it as typed (after NFKC) instead.
        word = normalise(msg.text) or unicodedata.normalize("NFKC", msg.text or "").strip()
        for cmd in registry.COMMANDS:
            if word in cmd.words:
                return cmd.handler
        for cmd in registry.COMMANDS:
            if any(word.startswith(normalise(p)) for p in cmd.prefixes):
                return cmd.handler
    if ctx.flow and ctx.flow in registry.FLOWS:
        return registry.FLOWS[ctx.flow]
    if msg.kind in ("text", "voice"):
        return registry.DEFAULT
    return registry.OTHER.get(msg.kind, _polite)


def _ignore_event(msg: Incoming, ctx: Context) -> str | None:
    return None


def _voice_without_text(msg: Incoming, ctx: Context) -> str:
    return "抱歉，没能识别这条语音。请把问题用文字发给我，或发送「帮助」查看我能做什么。"


def _polite(msg: Incoming, ctx: Context) -> str:
    what = {"image": "图片", "video": "视频", "shortvideo": "视频", "location": "位置",
            "link": "链接", "file": "文件"}.get(msg.raw_type.lower(), "这类消息")
    return f"收到了，不过我暂时只能处理文字消息，看不了{what}。请直接输入您的问题，或发送「帮助」查看我能做什么。"


def dispatch(msg: Incoming, services) -> str | None:  # type: ignore[no-untyped-def]
    """Run the handler for `msg` and persist the user's dialog state. Synchronous."""
    store = services.store
    with store.user_lock(msg.user):
        state = store.get_dialog(msg.user)
        before = copy.deepcopy(state)
        ctx = Context(user=msg.user, state=state, services=services)
        handler = route(msg, ctx)
        metrics.handler_runs.labels(metrics.handler_name(handler)).inc()
        activity.record(msg, services)  # 48-hour window for reminders (bot/reminders)
        reply = handler(msg, ctx)
        if ctx.state != before:  # most messages leave the state alone: save a write
            store.set_dialog(msg.user, ctx.state)
    return reply
