"""「工作年限」: whole years of professional work up to the plan's cut-off date.

The notices say 「专业工作年限：指从事工程技术工作整年年限，专业工作年限计算到 2022 年 12 月 31 日」
(the cut-off is the plan's `as_of`, with its clause, else the last day of its year). Counting used here, stated in the reply:
each period counts whole calendar months from its first day to its last day inclusive; the
leftover days of all periods are added and every 30 days make one more month; overlapping
periods are counted once; work after the cut-off does not count; whole years = months ÷ 12,
rounded down.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from handlers import plan_choice
from handlers.base import Context, Incoming
from handlers.dialog import Dialog, DialogState
from handlers.plan_choice import cn_date, plans_of

FLOW = "work_years"
_ONGOING = r"(?:至今|到现在|到今|现在|今|目前|一直|now)"
# A date: 2015年7月[1日] | 2015.7[.1] | 2015-07[-01] | 2015/7[/1] | 15年7月; month and day are
# never followed by another digit, so 「2015.7-2018.6」 does not read "-20" as a day.
_DATE = re.compile(
    r"(?P<y>\d{4}|\d{2}(?=\s*年))\s*[年./\-]\s*(?P<m>\d{1,2})(?!\d)"
    r"(?:\s*(?:月份?)?\s*(?:(?:[./\-]|(?<=月))\s*(?P<d>\d{1,2})(?!\d)\s*[日号]?)?|\s*月份?)?"
)
# What may follow a lone start date: that work began then («15年7月开始上班的», «2016.7起»).
_STARTED = re.compile(r"\s*-?\s*(?:开始|起|以来)?\s*(?:参加工作|工作|上班|入职|干|做|从事)?\s*(?:这个|专业技术工作)?\s*(?:的|了|的啊)?\s*")
HOWTO = ("请告诉我从事专业技术工作的起止时间，可以有几段，例如：\n"
         "「2015年7月-2018年6月，2019年3月至今」\n"
         "只有一段且一直在做，发「2016年7月至今」即可。（回复「取消」退出）")


@dataclass
class Period:
    start: dt.date
    end: dt.date  # inclusive


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _to_date(match: re.Match[str], end: bool) -> dt.date:
    """Reuses the eligibility fact parser; a month without a day is its 1st (start) or
    its last day (end), so 「2018年6月」 as an end means through June."""
    from knowledge.eligibility.facts import parse_date

    value = parse_date(match.group(0).strip())
    if end and not match.group("d"):
        return _last_day(value.year, value.month)
    return value


def parse_periods(text: str, as_of: dt.date) -> list[Period]:
    """「2015年7月-2018年6月，2019年3月至今」 → periods. Raises ValueError with a Chinese reason."""
    from knowledge.eligibility.facts import FactError

    text = text.replace("—", "-").replace("–", "-").replace("～", "-").replace("~", "-")
    from knowledge.lang.numbers import lexicon

    periods: list[Period] = []
    for segment in re.split(r"[，,；;、\n]|(?<=[今在月日])\s*(?:和|及|以及|另外)\s*", text):
        if not segment.strip():
            continue
        dates = list(_DATE.finditer(segment))
        off = next((w for w in lexicon()["not_working"] if w in segment), None)
        if off is not None:
            if len(dates) == 2 and not re.search(_ONGOING, segment):
                continue  # «2018年7月-2019年2月脱产读研»: a break, not counted
            raise ValueError(f"您提到有一段没在工作（「{off}」）。工作年限只算工作的时间，请把工作的几段分别写出"
                             "起止年月，例如「2009年7月-2013年8月，2014年9月至今」")
        if not dates:
            if re.search(r"\d", segment):
                raise ValueError(f"没看懂「{segment.strip()}」里的日期，请写成「2015年7月」这样的年月")
            continue
        if len(dates) > 2:
            raise ValueError(f"「{segment.strip()}」里有 {len(dates)} 个日期，每段请只写起止两个")
        try:
            start = _to_date(dates[0], end=False)
            if len(dates) == 2:
                end = _to_date(dates[1], end=True)
            elif re.search(_ONGOING, segment[dates[0].end():]) or _STARTED.fullmatch(segment[dates[0].end():]):
                end = max(as_of, start)  # 「至今」 or a lone start: still working (cut at as_of)
            else:
                raise ValueError(f"没看懂「{segment.strip()}」，请写成「2015年7月-2018年6月」或「2019年3月至今」")
        except FactError as exc:
            raise ValueError(str(exc)) from exc
        if end < start:
            raise ValueError(f"「{segment.strip()}」的结束早于开始，请检查")
        periods.append(Period(start, end))
    if not periods:
        raise ValueError("没有找到日期")
    return periods


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def full_months(start: dt.date, end: dt.date) -> tuple[int, int]:
    """(whole months, leftover days) from `start` through `end` inclusive."""
    stop = end + dt.timedelta(days=1)
    months = (stop.year - start.year) * 12 + stop.month - start.month
    while months > 0 and _add_months(start, months) > stop:
        months -= 1
    return months, (stop - _add_months(start, months)).days


@dataclass
class Result:
    periods: list[tuple[Period, int, int]]  # counted period (clipped, merged), months, days
    ignored: list[Period]  # periods wholly after the cut-off
    months: int  # total, leftover days folded in

    @property
    def years(self) -> int:
        return self.months // 12


def compute(periods: list[Period], as_of: dt.date) -> Result:
    ignored = [p for p in periods if p.start > as_of]
    clipped = sorted((Period(p.start, min(p.end, as_of)) for p in periods if p.start <= as_of),
                     key=lambda p: p.start)
    merged: list[Period] = []
    for p in clipped:  # overlapping or touching periods are one stretch of work
        if merged and p.start <= merged[-1].end + dt.timedelta(days=1):
            merged[-1] = Period(merged[-1].start, max(merged[-1].end, p.end))
        else:
            merged.append(p)
    counted = [(p, *full_months(p.start, p.end)) for p in merged]
    days = sum(d for _, _, d in counted)
    months = sum(m for _, m, _ in counted) + days // 30
    return Result(counted, ignored, months)


def _ym(months: int) -> str:
    y, m = divmod(months, 12)
    return f"{y}年{m}个月" if m else f"{y}年"


def format_result(result: Result, plan: Any | None, as_of: dt.date) -> str:
    where = f"{plan.title}，" if plan else ""
    lines = [f"专业工作年限（{where}计算到 {cn_date(as_of)}）："]
    for p, m, d in result.periods:
        extra = f"{d}天" if d else ""
        lines.append(f"· {cn_date(p.start)}—{cn_date(p.end)}：{_ym(m)}{extra}")
    for p in result.ignored:
        lines.append(f"· {cn_date(p.start)} 起的一段在截止日之后，不计入")
    lines.append(f"合计 {_ym(result.months)}，按整年计为 {result.years} 年。")
    rest = 12 - result.months % 12
    lines.append(f"距满 {result.years + 1} 年还差 {rest} 个月"
                 + ("（截止日之后的工作只能计入以后年度的申报）。" if plan and plan.counted_to else "。"))
    lines.append("算法：每段从起始日到结束日按整月累计，各段零头天数相加后每 30 天折 1 个月，"
                 "重叠的时间只算一次，满 12 个月为 1 年，不足 1 年的部分不计。")
    clause = getattr(plan, "as_of_clause", None) if plan else None
    if clause is not None:
        lines.append(f"依据：{plan.title} {clause.path}「{clause.quote}」")
    elif plan is not None and plan.counted_to:
        lines.append(f"注意：该计划的通知没有写明年限计算到哪一天，以上按申报年度末 {cn_date(plan.counted_to)} 计算；"
                     "请以通知或受理点的口径为准（有的通知写「须填写实足年限」）。")
    elif plan is not None:
        lines.append("注意：该计划的通知没有写明年限计算到哪一天，以上按今天计算；"
                     "请以通知或受理点的口径为准（有的通知写「须填写实足年限」）。")
    else:
        lines.append("注意：没有选定申报计划，以上按今天计算；申报时请按所报计划规定的截止日计算。")
    lines.append("提示：申报条件里「聘任助理工程师满 N 年」「毕业后从事本专业工作 N 年」另有起算日，可发送「资格自测」核对。")
    return "\n".join(lines)


def _as_of(plan: Any | None) -> dt.date:
    return plan.counted_to if plan is not None and plan.counted_to else dt.date.today()


def _note(plan: Any) -> str:
    if plan.as_of:
        return f"（年限计算到 {cn_date(plan.as_of)}）"
    return f"（通知未写计算截止日，按 {cn_date(plan.counted_to)} 计）" if plan.counted_to else "（通知未写计算截止日）"


PLAN_QUESTION = "工作年限要算到申报计划规定的截止日。您申报的是哪个计划？"


@dataclasses.dataclass
class State(DialogState):
    step: str = "plan"  # plan → dates
    choices: list[str] = dataclasses.field(default_factory=list)
    default: str | None = None
    plan: str | None = None
    fails: int = 0


def _menu(ctx: Context, plans: dict[str, Any], default: str | None) -> str:
    ids = plan_choice.ordered(plans)
    ctx.enter(FLOW)
    State(step="plan", choices=ids, default=default).save(ctx)
    return plan_choice.offer(plans, ids, default, PLAN_QUESTION, _note) + "\n（回复「取消」退出）"


def _dates_prompt(ctx: Context, plan: Any | None) -> str:
    ctx.enter(FLOW)
    State(step="dates", plan=plan.id if plan else None).save(ctx)
    if plan is None:
        return "暂时读不到申报计划，将按今天计算。\n" + HOWTO
    plan_choice.remember(ctx, plan.id)
    return f"按「{plan.title}」计算，截止到 {cn_date(_as_of(plan))}。\n{HOWTO}"


class WorkYearsDialog(Dialog):
    name = FLOW
    title = "工作年限计算"
    command = "工作年限"
    State = State

    def start(self, msg: Incoming, ctx: Context) -> str:
        plans = plans_of(ctx)
        it = ctx.it
        named = [p for p in (it.plans if it else []) if p in plans]
        if named:
            return _dates_prompt(ctx, plans[named[0]])
        if len(plans) > 1:
            return _menu(ctx, plans, plan_choice.remembered(ctx, plans))
        return _dates_prompt(ctx, next(iter(plans.values()), None))

    def pending(self, ctx: Context) -> str | None:
        st = State.load(ctx)
        if st.step == "plan":
            return plan_choice.offer(plans_of(ctx), st.choices, st.default, PLAN_QUESTION, _note)
        return HOWTO

    def claims(self, msg: Incoming, ctx: Context) -> bool:
        return plan_choice.switches_plan(ctx.it.text if ctx.it else msg.text or "")

    def accepts(self, msg: Incoming, ctx: Context) -> bool:
        it = ctx.it
        if it is None:
            return False
        st = State.load(ctx)
        if st.step == "plan":
            return plan_choice.names_a_plan(ctx, st.choices, plans_of(ctx), st.default)
        # Dates (or digits) are an attempt at the periods; a misread one gets the example.
        return bool(re.search(r"\d|[〇一二三四五六七八九十]+年|至今|到现在|现在", it.text)) and not it.is_tool

    def handle(self, msg: Incoming, ctx: Context) -> str:
        if msg.kind not in ("text", "voice"):
            return "正在计算工作年限：请用文字发送工作起止时间，或回复「取消」退出。"
        it = ctx.it
        text = it.text if it else (msg.text or "").strip()
        plans = plans_of(ctx)
        st = State.load(ctx)
        if plan_choice.switches_plan(text) and len(plans) > 1:
            return _menu(ctx, plans, None)
        if st.step == "plan":
            pid = plan_choice.pick(ctx, st.choices, plans, st.default)
            if pid is None:
                hint = "回复「是」沿用，或" if st.default in plans else ""
                return _retry(ctx, f"没认出是哪个计划，请{hint}回复列表里的序号（如「1」），或回复「取消」退出。")
            return _dates_prompt(ctx, plans[pid])
        plan = plans.get(st.plan or "")
        as_of = _as_of(plan)
        try:
            periods = parse_periods(text, as_of)
        except ValueError as exc:
            return _retry(ctx, f"{exc}。\n{HOWTO}")
        ctx.leave()
        return format_result(compute(periods, as_of), plan, as_of)

    def quit(self, msg: Incoming, ctx: Context) -> str:
        ctx.leave()
        return "已退出工作年限计算。需要时再发送「工作年限」。"


DIALOG = WorkYearsDialog()


def start(msg: Incoming, ctx: Context) -> str:
    return DIALOG.start(msg, ctx)


def _retry(ctx: Context, message: str) -> str:
    st = State.load(ctx)
    st.fails += 1
    st.save(ctx)
    if st.fails >= 2:
        return message + "\n（日期写法举例：2015年7月、2015.7、2015-07-01；多段用逗号隔开。）"
    return message
