"""Deadline reminders in chat: subscribe (plan → role → confirmation with the dates),
「我的提醒」, 「取消提醒」, 「新年度通知发布后提醒我」, 「删除我的信息」 and the unsubscribe event.

Dialog: 提醒 → [plan] → [role] → subscribed (or: dates passed → offer the series).
The user's last plan choice (any tool, see handlers/plan_choice.py) is offered first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from typing import Any

from bot.db import get_engine, utcnow
from bot.reminders import activity
from bot.reminders.plans import PlanInfo, plan_info
from bot.reminders.repo import ReminderRepo
from bot.reminders.schedule import NO_PUSH_KINDS, local_today
from handlers import events, plan_choice
from handlers.base import STICKY, Context, Incoming
from handlers.dialog import Dialog, DialogState

log = logging.getLogger(__name__)

FLOW = "reminders"
FORGET_FLOW = "forget"  # 「删除我的信息」 waits for 「确认删除」
FORGET_CONFIRM = ("确认删除", "确定删除", "确认")
ROLES = {"1": "applicant", "申报人": "applicant", "本人": "applicant", "个人": "applicant",
         "2": "hr", "单位经办人": "hr", "经办人": "hr", "hr": "hr", "人事": "hr", "单位": "hr"}
ROLE_LABEL = {"applicant": "申报人", "hr": "单位经办人"}


def repo(ctx: Context) -> ReminderRepo:
    s = ctx.services.settings
    return ReminderRepo(get_engine(s), s, getattr(ctx.services, "clock", utcnow))


def _plans(ctx: Context) -> dict[str, PlanInfo]:
    """The plans of current notices, in the one list order (knowledge/catalog.py)."""
    raw = plan_choice.plans_of(ctx)
    return {pid: plan_info(raw[pid]) for pid in plan_choice.ordered(raw)}


def _every_plan(ctx: Context) -> dict[str, PlanInfo]:
    """Every plan, past ones too (a subscription or a choice made before a newer notice came)."""
    raw = ctx.services.plans
    return {pid: plan_info(raw[pid]) for pid in plan_choice.ordered(raw)}


def _today(ctx: Context, r: ReminderRepo) -> dt.date:
    return local_today(r.clock(), ctx.services.settings)


def _plan_menu(plans: dict[str, PlanInfo], ids: list[str], today: dt.date, default: str | None) -> str:
    return (plan_choice.offer(plans, ids, default, "要订阅哪个评审计划的日期提醒？", lambda p: _menu_note(p, today))
            + "\n（发送「退出」结束）")


def _pushable(plan: PlanInfo) -> list[Any]:
    return [e for e in plan.timeline if e.dated and e.kind not in NO_PUSH_KINDS]


def _menu_note(plan: PlanInfo, today: dt.date) -> str:
    if not _pushable(plan):
        return "（通知未写明日期）"
    return "" if _has_future(plan, today) else "（日期已过）"


def _has_future(plan: PlanInfo, today: dt.date) -> bool:
    return any(e.dated and e.last_day and e.last_day >= today and e.kind not in NO_PUSH_KINDS
               for e in plan.timeline)


def _role_prompt(plan: PlanInfo) -> str:
    return (f"已选择：{plan.label}\n您是：\n1. 申报人（网上申报、缴费等日期）\n"
            "2. 单位经办人（单位审核推荐截止等日期）\n请回复 1 或 2。")


# --- the 提醒 dialog ---------------------------------------------------------------------------------

@dataclasses.dataclass
class State(DialogState):
    step: str = "plan"  # plan → role → (series: the dates are past, offer the new-year reminder)
    plans: list[str] = dataclasses.field(default_factory=list)  # the list shown
    default: str | None = None  # the remembered plan, offered first
    plan: str | None = None
    role: str | None = None
    misses: int = 0


class RemindersDialog(Dialog):
    name = FLOW
    title = "提醒设置"
    command = "提醒"
    State = State

    def start(self, msg: Incoming, ctx: Context) -> str:
        """「提醒」 / menu REMINDERS / the end of an eligibility dialog."""
        plans = _plans(ctx)
        if not plans:
            return "暂时没有可订阅的评审计划。"
        missing = plan_choice.unavailable(ctx, "日期提醒")
        if missing:
            return missing
        it = ctx.it
        named = [p for p in (it.plans if it else []) if p in plans]
        if len(plans) == 1 or named:
            only = named[0] if named else next(iter(plans))
            ctx.enter(FLOW)
            State(step="role", plan=only).save(ctx)
            plan_choice.remember(ctx, only)
            return _role_or_ask(ctx, plans[only])
        default = plan_choice.remembered(ctx, plans)
        ids = list(plans)
        ctx.enter(FLOW)
        State(step="plan", plans=ids, default=default).save(ctx)
        return _plan_menu(plans, ids, _today(ctx, repo(ctx)), default)

    def claims(self, msg: Incoming, ctx: Context) -> bool:
        """«能不能8月10号提醒我»: a day of one's own is not offered — said, not silently dropped."""
        return _own_day(ctx.it.text if ctx.it else msg.text or "")

    def quit(self, msg: Incoming, ctx: Context) -> str:
        ctx.leave()
        return "已退出提醒设置，已有的提醒不变。需要时发送「提醒」。"

    def pending(self, ctx: Context) -> str | None:
        st = State.load(ctx)
        plans = _plans(ctx)
        if st.step == "plan":
            ids = [p for p in st.plans if p in plans]
            return _plan_menu({i: plans[i] for i in ids}, ids, _today(ctx, repo(ctx)), st.default)
        plan = plans.get(st.plan or "")
        if plan is None:
            return None
        if st.step == "role":
            return _role_prompt(plan)
        return SERIES_OFFER

    def accepts(self, msg: Incoming, ctx: Context) -> bool:
        it = ctx.it
        if it is None:
            return False
        st = State.load(ctx)
        if st.step == "plan":
            return plan_choice.names_a_plan(ctx, [p for p in st.plans if p in _plans(ctx)], ctx.services.plans,
                                            st.default)
        if st.step == "role":
            return _role(it) is not None
        if st.step == "series":
            # An offer: only a clear yes or no answers it («要多少分？» is neither).
            # «好的，提醒我» asks for what was offered: a yes too.
            return it.clear_yes or it.clear_no or it.intent in ("new_year_reminder", "reminders")
        return False

    def handle(self, msg: Incoming, ctx: Context) -> str:
        """An answer the dialog did not accept gets the question again, with how to answer it."""
        plans = _plans(ctx)
        st = State.load(ctx)
        it = ctx.it
        if _own_day(it.text if it else msg.text or ""):
            return _own_day_note(ctx) + "\n" + (self.pending(ctx) or "")
        if st.step == "plan":
            ids = [p for p in st.plans if p in plans]
            pick = plan_choice.pick(ctx, ids, ctx.services.plans, st.default)
            if pick is None or pick not in plans:
                st.misses += 1
                st.save(ctx)
                again = "回复「是」沿用，或" if st.default in plans else ""
                return (f"没有找到这个计划。请{again}回复列表中的序号（如 1）。\n"
                        + _plan_menu({i: plans[i] for i in ids}, ids, _today(ctx, repo(ctx)), st.default))
            plan_choice.remember(ctx, pick)
            State(step="role", plan=pick).save(ctx)
            return _role_or_ask(ctx, plans[pick])
        plan = plans.get(st.plan or "")
        if plan is None:
            ctx.leave()
            return self.start(msg, ctx)
        if st.step == "role":
            role = _role(it) if it is not None else None
            if role is None:
                return "请回复 1（申报人）或 2（单位经办人）。\n" + _role_prompt(plan)
            return _subscribe(ctx, plan, role)
        if st.step == "series":
            if it is not None and (it.clear_yes or it.intent in ("new_year_reminder", "reminders")):
                return subscribe_series(ctx, plan.id, st.role or "applicant")
            if it is not None and it.clear_no:
                ctx.leave()
                return "好的，不订阅。需要时发送「提醒」。"
            return SERIES_OFFER
        ctx.leave()
        return self.start(msg, ctx)


DIALOG = RemindersDialog()
SERIES_OFFER = "新年度的通知发布后可以提醒您：回复「好的」订阅新年度提醒；不需要请回复「不用」或「退出」。"


def start(msg: Incoming, ctx: Context) -> str:
    reply = DIALOG.start(msg, ctx)
    if _own_day(msg.text or ""):
        return _own_day_note(ctx) + "\n" + reply
    return reply


_OWN_DAY = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]|(?:明|后)天|下周|\d{1,2}\s*[日号]")


def _own_day(text: str) -> bool:
    return "提醒" in text and bool(_OWN_DAY.search(text))


def _own_day_note(ctx: Context) -> str:
    leads = "、".join(f"前 {d} 天" if d else "当天"
                      for d in sorted(ctx.services.settings.reminder_lead_days, reverse=True))
    return (f"提醒不能自选日期：我按通知写明的各项截止日期提醒，{leads}各发一次，"
            "订阅后不用自己记日子。")


def _role_or_ask(ctx: Context, plan: PlanInfo) -> str:
    """Subscribe as the officer the user said they are («我是单位经办人»); else ask the role."""
    if ctx.state.get("asker") == "hr":
        return f"（按您说的单位经办人身份；要按申报人请发送「提醒」重新选。）\n{_subscribe(ctx, plan, 'hr')}"
    return _role_prompt(plan)


def _role(it: Any) -> str | None:
    """「1」「申报人」「我是人事」「单位HR」「我自己报」 → the role."""
    if it is None:
        return None
    if it.number in (1, 2):
        return "applicant" if it.number == 1 else "hr"
    word = re.sub(r"\s+", "", it.text).lower().strip("。.")
    return ROLES.get(word) or (_role_in(it.text) if not it.asks else None)


def _role_in(text: str) -> str | None:
    """「我是人事」「单位HR」「我自己报」: the role from the words around it."""
    if "申报" in text or re.search(r"本人|自己|个人", text):
        return "applicant"
    if re.search(r"单位|经办|人事|人力|HR|职改", text.upper()):
        return "hr"
    return None


def _subscribe(ctx: Context, plan: PlanInfo, role: str) -> str:
    r = repo(ctx)
    today = _today(ctx, r)
    mine = [e for e in plan.timeline if e.applies_to(role)]
    future = [e for e in mine if e.dated and e.last_day and e.last_day >= today and e.kind not in NO_PUSH_KINDS]
    if not future:
        last = max((e.last_day for e in mine if e.last_day and e.kind not in NO_PUSH_KINDS), default=None)
        when = f"（最后一个日期是 {last.year}年{last.month}月{last.day}日）" if last else ""
        newer = [p for p in _plans(ctx).values() if p.series_key == plan.series_key and p.year and plan.year
                 and p.year > plan.year and _has_future(p, today)]
        if newer:  # the next year's plan is already out: offer it instead of waiting for it
            nxt = max(newer, key=lambda p: p.year or 0)
            ctx.enter(FLOW)
            State(step="role", plan=nxt.id).save(ctx)
            return (f"{plan.label}的日期都已过去{when}。新年度的计划已经发布：\n" + _role_prompt(nxt))
        if not plan.year:  # no year to compare with: a 「newer」 plan cannot be recognised
            ctx.leave()
            return (f"{plan.label}的通知没有写明可提醒的具体日期，也没有年度，暂时无法提醒；"
                    "请以通知为准。")
        ctx.enter(FLOW)
        State(step="series", plan=plan.id, role=role).save(ctx)
        if last is None:
            return (f"{plan.label}的通知没有写明可提醒的具体日期（以通知和短信为准），暂时无法按日期提醒。\n"
                    + SERIES_OFFER)
        return f"{plan.label}的申报日期都已过去{when}，现在订阅不会再收到提醒。\n" + SERIES_OFFER
    n = r.subscribe(ctx.user, plan, role)
    ctx.leave()
    lines = [f"已订阅：{plan.label}（{ROLE_LABEL[role]}）。我会在以下日期前 "
             f"{'、'.join(str(d) for d in sorted(ctx.services.settings.reminder_lead_days, reverse=True))} "
             f"天的 {ctx.services.settings.reminder_send_time} 提醒您（共 {n} 条）："]
    lines += _event_lines(mine, today)
    lines.append("发送「我的提醒」查看，「取消提醒」停止。")
    return "\n".join(lines)


def _event_lines(events_: list[Any], today: dt.date) -> list[str]:
    out = []
    for e in events_:
        if e.dated:
            left = _days_left(e, today)
            note = "（仅供核对，不推送）" if e.kind in NO_PUSH_KINDS else ""
            out.append(f"· {e.text}：{e.when_text()}（{left}）{note}")
        else:
            out.append(f"· {e.text}：{e.undated_note}（不推送）")
    return out


def _days_left(e: Any, today: dt.date) -> str:
    """「还有7天」, 「还有3天开始」 for a window not yet open, 「今天截止」, 「已过」."""
    if e.start and e.end and today < e.start:
        n = (e.start - today).days
        return "明天开始" if n == 1 else f"还有{n}天开始"
    last = e.last_day
    n = (last - today).days
    if n < 0:
        return "已过"
    if n == 0:
        return "今天截止" if e.end else "就是今天"
    return f"还有{n}天截止" if e.start and e.end else f"还有{n}天"


def series(msg: Incoming, ctx: Context) -> str:
    """「新年度通知发布后提醒我」: for the plan in the reminder dialog, the one named, or the one
    under discussion."""
    plans = _every_plan(ctx)
    it = ctx.it
    named = [p for p in (it.plans if it else []) if p in plans]
    pid = (ctx.state.get("plan") if ctx.flow == FLOW else None) or (named[0] if named else None) \
        or ctx.state.get("last_plan")
    if pid not in plans:  # which notice's successor: choose the plan (a past one offers the new year)
        return "新年度提醒要先选计划（日期已过的计划，选后可订阅新年度提醒）。\n" + DIALOG.start(msg, ctx)
    role = (ctx.state.get("role") if ctx.flow == FLOW else None) or "applicant"
    if it is not None and not it.match.exact and it.asks and ctx.flow != FLOW:
        # «今年通知出了没»: a question about the new notice is answered, and the reminder offered;
        # only a clear yes subscribes.
        from handlers import offers

        offers.make(ctx, "series", plan=pid, role=role)
        plan = plans[pid]
        return (f"{_newest_status(ctx, plan) or '新年度的通知还没有收录。'}"
                f"要在{plan.region}{plan.series}{plan.level}新年度的评审计划发布后提醒您吗？回复「好的」即可。")
    return subscribe_series(ctx, pid, role)


def _newest_status(ctx: Context, plan: Any) -> str:
    """«目前收录的最新一份是2022年度的通知，2026年度的通知还没有收录。» ('' when this year's is in)."""
    plans = _every_plan(ctx)
    today = _today(ctx, repo(ctx))
    newest = max((p.year for p in plans.values() if p.series_key == plan.series_key and p.year), default=None)
    return (f"目前收录的最新一份是{newest}年度的通知，{today.year}年度的通知还没有收录。"
            if newest and newest < today.year else "")


def subscribe_series(ctx: Context, plan_id: str, role: str) -> str:
    plans = _every_plan(ctx)
    plan = plans.get(plan_id)
    if plan is None:
        return "这个计划已不在资料中，请发送「提醒」重新选择。"
    r = repo(ctx)
    r.subscribe_series(ctx.user, plan, role)
    if ctx.flow == FLOW:
        ctx.leave()
    # Whoever asks to hear of the new notice wants to know first whether it is out already.
    status = _newest_status(ctx, plan)
    return (f"好的。{status}{plan.region}{plan.series}{plan.level}新年度的评审计划发布后，我会通知您一次，"
            "届时再发送「提醒」订阅具体日期。发送「取消提醒」可撤销。")


def mine(msg: Incoming, ctx: Context) -> str:
    """「我的提醒」: subscriptions with dates and days remaining."""
    r = repo(ctx)
    subs = r.list_subscriptions(ctx.user)
    if not subs:
        return "您还没有订阅提醒。发送「提醒」订阅申报、审核、缴费等日期。"
    plans = _every_plan(ctx)
    today = _today(ctx, r)
    lines = ["您订阅的提醒："]
    for s in subs:
        plan = plans.get(s["plan_id"])
        name = plan.label if plan else s["plan_id"]
        if s["kind"] == "series_next":
            lines.append(f"【{name}】新年度通知发布后通知您一次")
            continue
        lines.append(f"【{name}】（{ROLE_LABEL.get(s['role'], s['role'])}）")
        if plan:
            lines += _event_lines([e for e in plan.timeline if e.applies_to(s["role"])], today)
    lines.append("发送「取消提醒」停止全部提醒。")
    return "\n".join(lines)


def cancel(msg: Incoming, ctx: Context) -> str:
    """「取消提醒」: stop every reminder of this user."""
    n = repo(ctx).unsubscribe(ctx.user)
    if ctx.flow == FLOW:
        ctx.leave()
    return f"已取消全部提醒（{n} 项订阅）。" if n else "您目前没有订阅提醒。"


class ForgetDialog(Dialog):
    """「删除我的信息」 asks 「确认删除」 first; the dialog in progress is kept aside and comes back
    when the user does not confirm."""

    name = FORGET_FLOW
    title = "删除信息确认"
    command = "删除我的信息"

    def start(self, msg: Incoming, ctx: Context) -> str:
        resume = dict(ctx.state) if ctx.flow != FORGET_FLOW else ctx.state.get("resume", {})
        sticky = {k: v for k, v in resume.items() if k in STICKY}
        ctx.state.clear()
        ctx.state.update(sticky, flow=FORGET_FLOW, resume=resume)
        return ("将删除我保存的关于您的全部信息（提醒订阅、待发送提醒、发送记录、对话进度和未读完的回答），"
                "删除后不再给您推送提醒。" + CONFIRM)

    def pending(self, ctx: Context) -> str | None:
        return CONFIRM

    def accepts(self, msg: Incoming, ctx: Context) -> bool:
        it = ctx.it
        return it is not None and not ((it.is_tool and it.intent != "delete_data") or it.kind == "question")

    def handle(self, msg: Incoming, ctx: Context) -> str:
        it = ctx.it
        if it is not None and (it.text.strip("。.!！") in FORGET_CONFIRM):
            return _forget_now(ctx)
        return self.quit(msg, ctx)

    def quit(self, msg: Incoming, ctx: Context) -> str:
        resume = ctx.state.get("resume")
        ctx.state.clear()
        if isinstance(resume, dict):
            ctx.state.update(resume)
        return "已取消，没有删除任何信息。"


FORGET = ForgetDialog()
CONFIRM = "确认请回复「确认删除」，其他回复取消。"


def _forget_now(ctx: Context) -> str:
    """Everything the bot keeps about the user."""
    activity.forget(ctx.user)  # first: no queued activity note may re-create the user's row
    counts = repo(ctx).forget_user(ctx.user)
    # erase, not delete: no copy may stay behind in the store's files (bot/store/base.py)
    ctx.services.store.erase(f"dialog:{ctx.user}", f"pending:{ctx.user}")
    ctx.reset()
    log.info("user data deleted on request (%d rows)", sum(counts.values()))
    return ("已删除我保存的关于您的全部信息：提醒订阅、待发送提醒、发送记录、对话进度和未读完的回答。"
            "之后不会再给您推送提醒。")


def unsubscribed(msg: Incoming, ctx: Context) -> None:
    """The user unfollowed: clear the dialog (as the gateway's default did) and stop pushes."""
    events.unsubscribed(msg, ctx)
    try:
        repo(ctx).stop_user(ctx.user)
    except Exception:  # the dialog is already cleared; the outbox stops the user on 43004 anyway
        log.exception("could not stop reminders for an unsubscribed user")
    return None
