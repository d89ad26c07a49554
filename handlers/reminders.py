"""Deadline reminders in chat: subscribe (plan → role → confirmation with the dates),
「我的提醒」, 「取消提醒」, 「新年度通知发布后提醒我」, 「删除我的信息」 and the unsubscribe event.

Dialog: 提醒 → [plan] → [role] → subscribed (or: dates passed → offer the series).
The user's last plan choice (any tool, see handlers/plan_choice.py) is offered first.
"""

from __future__ import annotations

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

log = logging.getLogger(__name__)

FLOW = "reminders"
FORGET_FLOW = "forget"  # 「删除我的信息」 waits for 「确认删除」
FORGET_CONFIRM = ("确认删除", "确定删除", "确认")
SERIES_WORDS = ("新年度通知发布后提醒我", "新年度提醒", "明年提醒我")
ROLES = {"1": "applicant", "申报人": "applicant", "本人": "applicant", "个人": "applicant",
         "2": "hr", "单位经办人": "hr", "经办人": "hr", "hr": "hr", "人事": "hr", "单位": "hr"}
ROLE_LABEL = {"applicant": "申报人", "hr": "单位经办人"}


def repo(ctx: Context) -> ReminderRepo:
    s = ctx.services.settings
    return ReminderRepo(get_engine(s), s, getattr(ctx.services, "clock", utcnow))


def _plans(ctx: Context) -> dict[str, PlanInfo]:
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


# --- entry points ------------------------------------------------------------------------------

def start(msg: Incoming, ctx: Context) -> str:
    """「提醒」 / menu REMINDERS / the end of an eligibility dialog."""
    plans = _plans(ctx)
    if not plans:
        return "暂时没有可订阅的评审计划。"
    if len(plans) == 1:
        only = next(iter(plans))
        ctx.enter(FLOW, step="role", plan=only)
        return _role_prompt(plans[only])
    default = plan_choice.remembered(ctx, plans)
    ids = list(plans)
    ctx.enter(FLOW, step="plan", plans=ids, default=default)
    return _plan_menu(plans, ids, _today(ctx, repo(ctx)), default)


def handle(msg: Incoming, ctx: Context) -> str:
    """Continue the dialog."""
    text = (msg.text or "").strip()
    if text.strip("。.!！") in ("退出", "取消", "算了", "q"):
        ctx.leave()
        return "已退出提醒设置，已有的提醒不变。需要时发送「提醒」。"
    plans = _plans(ctx)
    step = ctx.state.get("step")
    if step == "plan":
        ids = [p for p in ctx.state.get("plans", []) if p in plans]
        default = ctx.state.get("default")
        pick = plan_choice.pick(text, ids, ctx.services.plans, default)
        if pick is None or pick not in plans:
            ctx.state["misses"] = ctx.state.get("misses", 0) + 1
            again = "回复「是」沿用，或" if default in plans else ""
            return (f"没有找到这个计划。请{again}回复列表中的序号（如 1）。\n"
                    + _plan_menu({i: plans[i] for i in ids}, ids, _today(ctx, repo(ctx)), default))
        ctx.enter(FLOW, step="role", plan=pick)
        return _role_prompt(plans[pick])
    plan = plans.get(ctx.state.get("plan", ""))
    if plan is None:
        return start(msg, ctx)
    if step == "role":
        role = ROLES.get(re.sub(r"\s+", "", text).lower().strip("。.")) or _role_in(text)
        if role is None:
            return "请回复 1（申报人）或 2（单位经办人）。\n" + _role_prompt(plan)
        return _subscribe(ctx, plan, role)
    if step == "series":
        # No numbered options were offered here: a bare 「1」 is not a yes.
        wants = _wants(text)
        if wants:
            return series(msg, ctx)
        if wants is False:
            ctx.leave()
            return "好的，不订阅。需要时发送「提醒」。"
        return ("请回复「新年度通知发布后提醒我」（或「是」）订阅新年度提醒；不需要请回复「不用」或「退出」。")
    ctx.leave()
    return start(msg, ctx)


def _role_in(text: str) -> str | None:
    """「我是人事」「单位HR」「我自己报」: the role from the words around it."""
    if "申报" in text or re.search(r"本人|自己|个人", text):
        return "applicant"
    if re.search(r"单位|经办|人事|人力|HR|职改", text.upper()):
        return "hr"
    return None


def _wants(text: str) -> bool | None:
    """The reply to the new-year offer: 「好的，提醒我」「要」「需要」 → yes; 「不用」「不要了」 → no.
    No numbered options were offered here, so a bare 「1」 is neither."""
    t = re.sub(r"[\s。.!！,，~～]+", "", text)
    if t in SERIES_WORDS or plan_choice.is_yes(t):
        return True
    if plan_choice.is_no(t) or re.match(r"^(?:不|别|没|算了)", t):
        return False
    if re.search(r"提醒我|要|需要|好|可以|行|订阅", t):
        return True
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
            ctx.enter(FLOW, step="role", plan=nxt.id)
            return (f"{plan.label}的日期都已过去{when}。新年度的计划已经发布：\n" + _role_prompt(nxt))
        if not plan.year:  # no year to compare with: a 「newer」 plan cannot be recognised
            ctx.leave()
            return (f"{plan.label}的通知没有写明可提醒的具体日期，也没有年度，暂时无法提醒；"
                    "请以通知为准。")
        ctx.enter(FLOW, step="series", plan=plan.id, role=role)
        if last is None:
            return (f"{plan.label}的通知没有写明可提醒的具体日期（以通知和短信为准），暂时无法按日期提醒。\n"
                    "新年度的通知发布后可以提醒您：回复「新年度通知发布后提醒我」；不需要请回复「退出」。")
        return (f"{plan.label}的申报日期都已过去{when}，现在订阅不会再收到提醒。\n"
                "新年度的通知发布后可以提醒您：回复「新年度通知发布后提醒我」；不需要请回复「退出」。")
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
    """「新年度通知发布后提醒我」."""
    plans = _plans(ctx)
    plan = plans.get(ctx.state.get("plan", "")) if ctx.flow == FLOW else None
    if plan is None:
        return "请先发送「提醒」选择计划；如果该计划日期已过，我会提供新年度提醒。"
    role = ctx.state.get("role", "applicant")
    repo(ctx).subscribe_series(ctx.user, plan, role)
    ctx.leave()
    return (f"好的。{plan.region}{plan.series}{plan.level}新年度的评审计划发布后，我会通知您一次，"
            "届时再发送「提醒」订阅具体日期。发送「取消提醒」可撤销。")


def mine(msg: Incoming, ctx: Context) -> str:
    """「我的提醒」: subscriptions with dates and days remaining."""
    r = repo(ctx)
    subs = r.list_subscriptions(ctx.user)
    if not subs:
        return "您还没有订阅提醒。发送「提醒」订阅申报、审核、缴费等日期。"
    plans = _plans(ctx)
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


def forget(msg: Incoming, ctx: Context) -> str:
    """「删除我的信息」: asks first; the dialog in progress is kept aside and comes back on cancel."""
    resume = dict(ctx.state) if ctx.flow != FORGET_FLOW else ctx.state.get("resume", {})
    sticky = {k: v for k, v in resume.items() if k in STICKY}  # kept if another command comes instead
    ctx.state.clear()
    # done: a command sent instead of the confirmation simply replaces this question.
    ctx.state.update(sticky, flow=FORGET_FLOW, done=True, resume=resume)
    return ("将删除我保存的关于您的全部信息（提醒订阅、待发送提醒、发送记录、对话进度和未读完的回答），"
            "删除后不再给您推送提醒。确认请回复「确认删除」，其他回复取消。")


def confirm_forget(msg: Incoming, ctx: Context) -> str:
    """The reply to 「删除我的信息」: 「确认删除」 deletes, anything else cancels."""
    if (msg.text or "").strip().strip("。.!！") in FORGET_CONFIRM:
        return _forget_now(ctx)
    resume = ctx.state.get("resume")
    ctx.state.clear()
    if isinstance(resume, dict):
        ctx.state.update(resume)
    return "已取消，没有删除任何信息。"


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
