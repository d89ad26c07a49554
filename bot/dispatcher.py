"""Route one message to one handler, under the user's lock, with the user's state."""

from __future__ import annotations

import copy
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, cast

from bot import journal, metrics
from bot.reminders import activity
from handlers import more, registry
from handlers.base import Context, Handler, Incoming, NotMine
from handlers.events import unknown_click

log = logging.getLogger(__name__)

_TRIM = re.compile(r"^[\s\u3000。.!！?？~～、，,]+|[\s\u3000。.!！~～、，,]+$")


def normalise(text: str) -> str:
    """The form command words are matched in: NFKC, trimmed, lower-case."""
    return _TRIM.sub("", unicodedata.normalize("NFKC", text or "")).lower()


@dataclass(frozen=True)
class Route:
    handler: Handler
    starts: str | None = None  # the dialog the handler starts: the one in progress ends first
    one_shot: bool = False  # runs beside the dialog in progress, which carries on afterwards


def _active(ctx: Context) -> str | None:
    return ctx.flow if ctx.flow in registry.FLOWS else None


def route(msg: Incoming, ctx: Context) -> Route:
    """Which handler, and how it relates to the dialog in progress (rule: handlers/registry.py)."""
    active = _active(ctx)
    if msg.kind == "event":
        if msg.event.lower() == "click":
            handler = registry.MENU_KEYS.get(msg.event_key) or registry.EVENTS.get("click", unknown_click)
            starts = next((c.flow for c in registry.COMMANDS if c.flow and c.handler is handler), None)
            return Route(handler, starts, one_shot=starts is None)
        return Route(registry.EVENTS.get(msg.event.lower(), _ignore_event))
    if msg.kind == "voice" and not msg.text:
        return Route(_voice_without_text, one_shot=True)
    if msg.kind in ("text", "voice"):
        # A lone "？" trims to nothing; match it as typed (after NFKC) instead.
        word = normalise(msg.text) or unicodedata.normalize("NFKC", msg.text or "").strip()
        usable = [c for c in registry.COMMANDS if not (c.idle_only and active)]
        cmd = next((c for c in usable if word in c.words), None) or next(
            (c for c in usable if any(word.startswith(normalise(p)) for p in c.prefixes)), None)
        if cmd is not None:
            return Route(cmd.handler, cmd.flow, one_shot=cmd.flow is None)
    if active:
        if msg.kind in registry.OTHER:  # a photo mid-dialog is checked; the dialog waits
            return Route(registry.OTHER[msg.kind], one_shot=True)
        return Route(registry.FLOWS[active])
    if msg.kind in ("text", "voice"):
        return Route(registry.DEFAULT)
    return Route(registry.OTHER.get(msg.kind, _polite))


def _ignore_event(msg: Incoming, ctx: Context) -> str | None:
    return None


def _voice_without_text(msg: Incoming, ctx: Context) -> str:
    return "抱歉，没能识别这条语音。请把问题用文字发给我，或发送「帮助」查看我能做什么。"


def _polite(msg: Incoming, ctx: Context) -> str:
    what = {"image": "图片", "video": "视频", "shortvideo": "视频", "location": "位置",
            "link": "链接", "file": "文件"}.get(msg.raw_type.lower(), "这类消息")
    return f"收到了，不过我暂时只能处理文字消息，看不了{what}。请直接输入您的问题，或发送「帮助」查看我能做什么。"


def dispatch(msg: Incoming, services, once: str | None = None) -> str | None:  # type: ignore[no-untyped-def]
    """Run the handler for `msg` and persist the user's dialog state. Synchronous.

    Persistence (bot/journal.py): the handler's store writes and the new dialog state are
    committed together, in one atomic step. With `once` (the gateway's message key) the reply
    is also paged as it is sent and recorded in that step; a message whose key was applied
    before gets its recorded reply and runs nothing — a resend after a crash is not applied twice.
    """
    store = services.store
    with store.user_lock(msg.user):
        if once is not None and (done := journal.applied(store, once)) is not None:
            return done.get("reply")
        tx = journal.Transaction(store)
        state = store.get_dialog(msg.user)
        before = copy.deepcopy(state)
        ctx = Context(user=msg.user, state=state, services=cast(Any, journal.Scoped(services, tx)))
        activity.record(msg, services)  # 48-hour window for reminders (bot/reminders)
        reply = _run(msg, ctx)
        if ctx.state != before:  # most messages leave the state alone: save a write
            tx.set_dialog(msg.user, ctx.state)
        if once is not None:
            reply = more.paginate(tx, msg.user, reply)
            tx.record(once, reply)
        tx.commit()
    return reply


def _run(msg: Incoming, ctx: Context) -> str | None:
    active = _active(ctx)
    unfinished = active if active and not ctx.state.get("done") else None
    r = route(msg, ctx)
    notice = ""
    if r.starts is not None and active:
        if unfinished and unfinished != r.starts:
            notice = f"已结束{registry.FLOW_NAMES.get(unfinished, '上一个对话')}。\n"
        ctx.leave()  # the new dialog starts clean; the user's plan choice is kept
    try:
        reply = _call(r.handler, msg, ctx)
    except NotMine:  # the dialog let go of this message: route it as if none were active
        ctx.leave()
        r = route(msg, ctx)
        reply = _call(r.handler, msg, ctx)
    if reply and notice:
        reply = notice + reply
    if reply and r.one_shot and unfinished and ctx.flow == unfinished and not ctx.state.get("done"):
        name = registry.FLOW_NAMES.get(unfinished, "对话")
        ask = registry.PENDING_QUESTIONS.get(unfinished)
        question = ask(ctx) if ask else None
        reply += (f"\n\n—— 继续{name}（发送「退出」结束）——\n{question}" if question
                  else f"\n\n（{name}还在进行：继续回复即可，发送「退出」结束。）")
    return reply


def _call(handler: Handler, msg: Incoming, ctx: Context) -> str | None:
    metrics.handler_runs.labels(metrics.handler_name(handler)).inc()
    return handler(msg, ctx)
