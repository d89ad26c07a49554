"""Route one message, under the user's lock, with the user's state.

Every text message is interpreted once (handlers/interpret.py): intent, plans named, facts
stated, the question without chatter. Then one policy decides who answers — the same in WeChat,
the simulator, `bot chat` and every worker:

In a dialog (handlers/dialog.py) words it claims at this step go to it; the navigation words act on it (quit, restart, back, skip,
correct); a message that answers the pending question goes to the dialog; a tool request runs
(a one-shot beside the dialog, or a new dialog that ends this one, said in one line); a question
goes to Q&A and the pending question is asked again; small talk gets a short reply and the
question again; anything else goes to the dialog, which asks again with an example.

Without a dialog: a tool request starts the tool; facts about oneself start the self-test with
them; a correction after a verdict changes that fact and re-evaluates; yes/no answer a standing
offer; control words with nothing to act on get a short reply; small talk gets one; the rest is
a question for Q&A (with the notice under discussion).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import unicodedata
from typing import Any, cast

from bot import journal, metrics
from bot.reminders import activity
from handlers import more, registry
from handlers.base import Context, Handler, Incoming, NotMine
from handlers.dialog import Dialog
from handlers.interpret import interpret

log = logging.getLogger(__name__)


def normalise(text: str) -> str:
    """The form code-registered command words are matched in: NFKC, trimmed, lower-case."""
    t = unicodedata.normalize("NFKC", text or "").strip().strip("。.!！~～、，,").lower()
    return t or unicodedata.normalize("NFKC", text or "").strip()


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
        offer = state.get("offer")
        reply = _run(msg, ctx)
        if offer is not None and ctx.state.get("offer") == offer:
            ctx.state.pop("offer", None)  # an offer is answered by the next message or not at all
        if ctx.state != before:  # most messages leave the state alone: save a write
            tx.set_dialog(msg.user, ctx.state)
        if once is not None:
            reply = more.paginate(tx, msg.user, reply)
            tx.record(once, reply)
        tx.commit()
    return reply


def _call(handler: Handler, msg: Incoming, ctx: Context) -> str | None:
    metrics.handler_runs.labels(metrics.handler_name(handler)).inc()
    return handler(msg, ctx)


def active_dialog(ctx: Context) -> Dialog | None:
    return registry.DIALOGS.get(ctx.flow or "")


def _run(msg: Incoming, ctx: Context) -> str | None:
    if msg.kind == "event":
        return _event(msg, ctx)
    dialog = active_dialog(ctx)
    if dialog is None and ctx.flow:
        ctx.leave()  # a dialog from an older version: forget it rather than misroute
    live = dialog if dialog is not None and not dialog.done(ctx) else None
    cmd = _command(msg, ctx)
    if cmd is not None:  # words registered in code mean themselves: nothing to interpret
        return _run_command(cmd, msg, ctx, live)
    ctx.it = interpret(msg, ctx, live.expects(ctx) if live else None)
    if ctx.it.asker:
        ctx.state["asker"] = ctx.it.asker  # kept: the reminder dialog does not ask it again
    if dialog is not None and dialog.done(ctx):
        reply = dialog.after(msg, ctx)
        if reply is not None:
            return reply
        ctx.leave()
    if live is not None:
        try:
            return _in_dialog(live, msg, ctx)
        except NotMine:  # the dialog let go of this message: route it as if none were active
            ctx.leave()
    return _idle(msg, ctx)


# --- events and code-registered commands -----------------------------------------------------------

def _event(msg: Incoming, ctx: Context) -> str | None:
    if msg.event.lower() != "click":
        handler = registry.EVENTS.get(msg.event.lower())
        return _call(handler, msg, ctx) if handler else None
    intent = registry.MENU_KEYS.get(msg.event_key)
    if intent is not None:
        return _tool(intent, msg, ctx, active_dialog(ctx) if not _is_done(ctx) else None)
    return _call(registry.MENU_HANDLERS.get(msg.event_key, registry.EVENTS["click"]), msg, ctx)


def _is_done(ctx: Context) -> bool:
    d = active_dialog(ctx)
    return d is None or d.done(ctx)


def _command(msg: Incoming, ctx: Context) -> registry.Command | None:
    if msg.kind not in ("text", "voice") or not registry.COMMANDS:
        return None
    word = normalise(msg.text)
    return next((c for c in registry.COMMANDS if word in c.words), None) or next(
        (c for c in registry.COMMANDS if any(word.startswith(normalise(p)) for p in c.prefixes)), None)


def _run_command(cmd: registry.Command, msg: Incoming, ctx: Context, live: Dialog | None) -> str | None:
    notice = ""
    if cmd.flow and live is not None:
        notice = f"已结束{live.title}。\n" if live.name != cmd.flow else ""
        ctx.leave()
    reply = _call(cmd.handler, msg, ctx)
    if reply and notice:
        reply = notice + reply
    if reply and not cmd.flow and live is not None and ctx.flow == live.name:
        reply = _and_continue(reply, live, ctx)
    return reply


# --- inside a dialog ---------------------------------------------------------------------------

def _and_continue(reply: str, dialog: Dialog, ctx: Context) -> str:
    """A side reply, then the question the dialog waits on."""
    if ctx.flow != dialog.name or dialog.done(ctx):
        return reply
    question = dialog.pending(ctx)
    if question:
        return f"{reply}\n\n—— 继续{dialog.title}（发送「退出」结束）——\n{question}"
    return f"{reply}\n\n（{dialog.title}还在进行：继续回复即可，发送「退出」结束。）"


def _in_dialog(dialog: Dialog, msg: Incoming, ctx: Context) -> str | None:
    it = ctx.it
    assert it is not None
    if msg.kind not in ("text", "voice"):
        reply = dialog.non_text(msg, ctx)
        if reply is not None:
            return reply
        other = registry.OTHER.get(msg.kind)
        side = _call(other, msg, ctx) if other else _polite(msg, ctx)
        return _and_continue(side or "", dialog, ctx)
    if msg.kind == "voice" and not msg.text:
        return _and_continue(_voice_without_text(msg, ctx), dialog, ctx)
    if it.after_quit:  # «算了不测了 直接告诉我大专要几年»: out of the dialog, then the rest as a message
        bye = dialog.quit(msg, ctx)
        rest = dataclasses.replace(msg, text=it.after_quit)
        ctx.it = interpret(rest, ctx)
        return f"{bye}\n\n{_idle(rest, ctx) or ''}".strip()
    if dialog.claims(msg, ctx):
        return _call(dialog.handle, msg, ctx)
    stated = bool(it.facts) and not it.match.exact
    if it.said("quit") and not stated:
        return dialog.quit(msg, ctx)
    if it.said("restart") and not stated:
        return dialog.restart(msg, ctx)
    if it.said("back") and not stated:
        reply = dialog.back(msg, ctx)
        return reply if reply is not None else _and_continue("这一步没有上一步可回。", dialog, ctx)
    if it.said("skip") and not stated:
        reply = dialog.skip(msg, ctx)
        if reply is not None:
            return reply
    if it.said("correct"):
        reply = dialog.correct(msg, ctx)
        if reply is not None:
            return reply
    if it.said("explain"):
        reply = dialog.explain(msg, ctx)
        if reply is not None:
            return reply
        return f"这一步在问：{dialog.pending(ctx) or '（见上）'}\n不清楚可以回复「跳过」，不想继续可以说「退出」。"
    # An offer made by a reply beside the dialog («回复「好的」…») takes a yes or no the pending
    # question does not: «否» answers «是否已取得…？（是／否）», shown last; «好的» takes the offer.
    if it.said("yes", "no") and not dialog.accepts(msg, ctx):
        from handlers import offers

        accepted = offers.accepted_tool(ctx)
        if accepted is not None and accepted[0] in registry.TOOLS:
            return _accepted(*accepted, msg, ctx, dialog)
        reply = offers.answer(msg, ctx)
        if reply is not None:
            return _and_continue(reply, dialog, ctx)
    if dialog.accepts(msg, ctx):
        return _call(dialog.handle, msg, ctx)
    if it.is_tool:
        return _tool(it.intent, msg, ctx, dialog)
    if it.intent == "bye" and not it.asks:  # «886» mid-dialog: leaving it (resumable), not asked again
        return f"{dialog.quit(msg, ctx)}\n{_call(registry.SOCIAL['bye'], msg, ctx) or ''}".strip()
    if it.kind == "social" and (not it.asks or it.intent in registry.SOCIAL_ASKED):
        return _and_continue(_call(registry.SOCIAL[it.intent], msg, ctx) or "", dialog, ctx)
    if it.asks:  # a question mid-dialog: answered, then the pending question again
        return _and_continue(_call(registry.DEFAULT, msg, ctx) or "", dialog, ctx)
    return _call(dialog.handle, msg, ctx)  # no answer and no question: the dialog asks again


def _accepted(intent: str, asked: str, msg: Incoming, ctx: Context, live: Dialog | None) -> str | None:
    """«好的» to «您是想…吗？»: the tool runs on the message it was offered for (its plans and facts)."""
    if asked:
        msg = dataclasses.replace(msg, text=asked)
        ctx.it = interpret(msg, ctx)
    return _tool(intent, msg, ctx, live)


def _tool(intent: str, msg: Incoming, ctx: Context, live: Dialog | None) -> str | None:
    tool = registry.TOOLS[intent]
    if tool.dialog is not None:
        if live is not None and live.name == tool.dialog.name:
            if ctx.it is not None and ctx.it.match.exact:
                return live.restart(msg, ctx)  # the command word again: start over
            if ctx.it is not None and ctx.it.asks and ctx.services.qa.answer(ctx.it.question or msg.text).answered:
                # «这个我不知道啊，评价标准在哪看»: a question that sounds like the test, asked in it,
                # which the notices answer («我这个情况是不是只能走破格» is what the test will tell).
                return _and_continue(_call(registry.DEFAULT, msg, ctx) or "", live, ctx)
            # «测测看» while the test is on: carry on (「重新开始」 is the word for a fresh start).
            return (f"{live.title}正在进行，接着回答就好，答完就能看到结论（重新来请说「重新开始」）。\n"
                    f"{live.pending(ctx) or ''}").rstrip()
        notice = ""
        if live is not None:
            notice = f"已结束{live.title}。\n"
            ctx.leave()
        elif ctx.flow:
            ctx.leave()  # a finished dialog lingering for follow-ups
        reply = _call(tool.dialog.start, msg, ctx)
        return notice + reply if reply else reply
    assert tool.handler is not None
    reply = _call(tool.handler, msg, ctx)
    if live is not None and reply:
        return _and_continue(reply, live, ctx)
    return reply


# --- without a dialog ----------------------------------------------------------------------------

def _idle(msg: Incoming, ctx: Context) -> str | None:
    it = ctx.it
    assert it is not None
    if msg.kind == "voice" and not msg.text:
        return _voice_without_text(msg, ctx)
    if msg.kind not in ("text", "voice"):
        handler = registry.OTHER.get(msg.kind, _polite)
        return _call(handler, msg, ctx)
    if it.step is not None and not ctx.services.store.get(more.pending_key(msg.user)):
        from handlers import qa

        reply = _call(qa.steps, msg, ctx)  # «下一步呢», «第2步呢» after an answer quoting a step
        if reply is not None:
            return reply
    if it.is_tool and not it.match.exact and ctx.services.qa.outside(it.text):
        # «我老婆是中学老师 评一级教师要啥条件»: a self-test of these notices would not answer it;
        # Q&A says which series or place the notices do not cover.
        return _call(registry.DEFAULT, msg, ctx)
    needs = registry.TOOLS[it.intent].needs if it.is_tool else None
    if needs and not it.match.exact and not ctx.state.get(needs):
        return _call(registry.DEFAULT, msg, ctx)
    if it.is_tool:
        return _tool(it.intent, msg, ctx, None)
    if it.said("restart"):  # 「重新测一下」: the self-test again, from the start
        return _call(registry.DIALOGS["eligibility"].restart, msg, ctx)
    # Facts after a verdict («我09年本科毕业的，15年评的工程师») change that verdict: the test is
    # reopened on its answers, never restarted from nothing.
    stated = it.said("inform") or (bool(it.facts) and not it.asks and not it.is_tool)
    if it.said("correct") or (stated and ctx.state.get("last_verdict")):
        reply = registry.DIALOGS["eligibility"].correct(msg, ctx)
        if reply is not None:
            return reply
    if it.said("yes", "no"):
        from handlers import offers

        accepted = offers.accepted_tool(ctx)
        if accepted is not None and accepted[0] in registry.TOOLS:
            return _accepted(*accepted, msg, ctx, None)
        reply = offers.answer(msg, ctx)
        if reply is not None:
            return reply
    # «不弄了，问这么多好烦»: quitting with a reason is still only quitting.
    if it.said("quit", "back", "skip", "correct") and not it.asks and (it.bare or it.said("quit")):
        from handlers import help as help_

        return _call(help_.nothing_active, msg, ctx)
    if it.said("explain"):
        from handlers import help as help_

        return _call(help_.unclear, msg, ctx)
    if it.said("yes", "no", "done") and not it.asks and it.bare:
        from handlers import help as help_

        return _call(help_.ack, msg, ctx)
    if it.facts and not it.asks and registry.DIALOGS["eligibility"].wants_facts(ctx):
        return _tool("eligibility", msg, ctx, None)  # facts about oneself: the self-test with them
    if it.kind == "social" and (not it.asks or it.intent in registry.SOCIAL_ASKED):
        return _call(registry.SOCIAL[it.intent], msg, ctx)
    return _call(registry.DEFAULT, msg, ctx)


def _voice_without_text(msg: Incoming, ctx: Context) -> str:
    return "抱歉，没能识别这条语音。请把问题用文字发给我，或发送「帮助」查看我能做什么。"


def _polite(msg: Incoming, ctx: Context) -> str:
    what = {"image": "图片", "video": "视频", "shortvideo": "视频", "location": "位置",
            "link": "链接", "file": "文件"}.get(msg.raw_type.lower(), "这类消息")
    return f"收到了，不过我暂时只能处理文字消息，看不了{what}。请直接输入您的问题，或发送「帮助」查看我能做什么。"
