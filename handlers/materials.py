"""「材料清单」: the documents to upload or mail for a plan and route, from the plan file's
own lists (general materials first, then the route's), each with its clause.

The plan: named in the message (「材料清单 临平」), else the user's last choice offered first
(handlers/plan_choice.py), else a numbered list. The routes: those the user's eligibility
result found for that plan, else the user picks one (or 「全部」).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from handlers import plan_choice
from handlers.base import Context, Incoming
from handlers.dialog import Dialog, DialogState

log = logging.getLogger(__name__)

FLOW = "materials"
ALL_ROUTES = ("全部", "所有", "都要", "全部方式", "都看看", "全部材料")


@dataclasses.dataclass
class State(DialogState):
    step: str = "plan"  # plan → route → shown (the list is out; 「全部」 still widens it)
    choices: list[str] = dataclasses.field(default_factory=list)
    default: str | None = None
    want_all: bool = False
    plan: str | None = None
    fails: int = 0
    done: bool = False
    said: str = ""  # the opening message: a route it names («材料清单 自评申报的») is not asked again


def _wants_all(ctx: Context) -> bool:
    it = ctx.it
    return bool(it and (it.rest or it.text).strip("。.！!") in ALL_ROUTES)


class MaterialsDialog(Dialog):
    name = FLOW
    title = "材料清单查询"
    command = "材料清单"
    State = State

    def start(self, msg: Incoming, ctx: Context) -> str:
        plans = plan_choice.plans_of(ctx)
        if not plans:
            return "暂时没有可查的申报计划材料，请稍后再试，或直接提问，如「临平制造业工程师要邮寄哪些材料」。"
        missing = plan_choice.unavailable(ctx, "材料清单")
        if missing:
            return missing
        want_all = _wants_all(ctx)
        said = (ctx.it.text if ctx.it else msg.text or "")[:200]
        named = plan_choice.pick(ctx, [], plans) if not want_all else None
        if named is not None:
            return _chosen(ctx, plans[named], want_all, said)
        if len(plans) == 1:
            return _chosen(ctx, next(iter(plans.values())), want_all, said)
        ids = plan_choice.ordered(plans)
        default = plan_choice.remembered(ctx, plans)
        ctx.enter(FLOW)
        State(step="plan", choices=ids, default=default, want_all=want_all, said=said).save(ctx)
        return plan_choice.offer(plans, ids, default, "要查哪个申报计划的材料？") + "\n（回复「取消」退出）"

    def pending(self, ctx: Context) -> str | None:
        st = State.load(ctx)
        plans = plan_choice.plans_of(ctx)
        if st.step == "plan":
            return plan_choice.offer(plans, st.choices, st.default, "要查哪个申报计划的材料？")
        plan = plans.get(st.plan or "")
        return _route_menu(plan) if plan is not None and st.step == "route" else None

    def claims(self, msg: Incoming, ctx: Context) -> bool:
        """«正常的吧» names a route of the plan: that answer, whatever else the words resemble."""
        st = State.load(ctx)
        plan = plan_choice.plans_of(ctx).get(st.plan or "")
        return st.step == "route" and plan is not None and ctx.it is not None and not ctx.it.match.exact \
            and _pick_route(ctx, plan) is not None

    def accepts(self, msg: Incoming, ctx: Context) -> bool:
        st = State.load(ctx)
        plans = plan_choice.plans_of(ctx)
        if st.step == "plan":
            return plan_choice.names_a_plan(ctx, st.choices, plans, st.default)
        plan = plans.get(st.plan or "")
        return plan is not None and (_wants_all(ctx) or _pick_route(ctx, plan) is not None)

    def handle(self, msg: Incoming, ctx: Context) -> str:
        if msg.kind not in ("text", "voice"):
            return "正在查询材料清单：请回复序号，或回复「取消」退出。"
        plans = plan_choice.plans_of(ctx)
        st = State.load(ctx)
        if st.step == "plan":
            pid = plan_choice.pick(ctx, st.choices, plans, st.default)
            if pid is None:
                hint = "回复「是」沿用，或" if st.default in plans else ""
                return _retry(ctx, f"没认出是哪个计划，请{hint}回复列表里的序号（如「1」），或回复「取消」退出。")
            return _chosen(ctx, plans[pid], st.want_all, st.said)
        plan = plans.get(st.plan or "")
        if plan is None:  # the plan disappeared (files changed): start over
            ctx.leave()
            return self.start(msg, ctx)
        ids = [r.id for r in plan.routes]
        if _wants_all(ctx):
            finish(ctx, plan.id)
            return checklist(plan, ids)
        route = _pick_route(ctx, plan)
        if route is None:
            return _retry(ctx, f"请回复 1 到 {len(ids)} 之间的序号，或回复「全部」。")
        finish(ctx, plan.id)
        return checklist(plan, [route])

    def quit(self, msg: Incoming, ctx: Context) -> str:
        ctx.leave()
        return "已退出材料清单。需要时再发送「材料清单」。"

    def after(self, msg: Incoming, ctx: Context) -> str | None:
        """The list is out: 「全部」 lists every route; anything else is routed anew."""
        st = State.load(ctx)
        plan = plan_choice.plans_of(ctx).get(st.plan or "")
        if plan is None or not _wants_all(ctx):
            return None
        finish(ctx, plan.id)
        return checklist(plan, [r.id for r in plan.routes])


DIALOG = MaterialsDialog()


def start(msg: Incoming, ctx: Context) -> str:
    return DIALOG.start(msg, ctx)


def finish(ctx: Context, plan_id: str) -> None:
    """End the dialog; the plan stays the user's choice for the next tool."""
    plan_choice.remember(ctx, plan_id)
    ctx.leave()


def _chosen(ctx: Context, plan: Any, want_all: bool = False, said: str = "") -> str:
    plan_choice.remember(ctx, plan.id)
    all_ids = [r.id for r in plan.routes]
    routes = [r for r in plan_choice.routes_for(ctx, plan.id) if r in all_ids]
    if want_all or len(all_ids) == 1:
        finish(ctx, plan.id)
        return checklist(plan, all_ids)
    stated = _route_named(plan, said)
    if stated is not None:  # «材料清单 自评申报的»: the route said at the start
        finish(ctx, plan.id)
        return checklist(plan, [stated])
    if routes:
        ctx.enter(FLOW)
        State(step="shown", plan=plan.id, done=True).save(ctx)
        return (checklist(plan, routes)
                + "\n（按您资格自测的结果列出；要看全部申报方式的材料，请回复「全部」。）")
    ctx.enter(FLOW)
    State(step="route", plan=plan.id, choices=all_ids).save(ctx)
    return _route_menu(plan) + "\n（回复「取消」退出）"


def _route_menu(plan: Any) -> str:
    lines = [f"{i}. {r.title}" for i, r in enumerate(plan.routes, 1)]
    return f"{plan.title}\n您走哪种申报方式？请回复序号（不确定可回复「全部」）：\n" + "\n".join(lines)


def _route_named(plan: Any, text: str) -> str | None:
    """The one route of the plan a message names («自评申报的», «走直接申报»)."""
    named = [r.id for r in plan.routes if text and r.title.removesuffix("申报") in text]
    return named[0] if len(named) == 1 else None


def _pick_route(ctx: Context, plan: Any) -> str | None:
    it = ctx.it
    if it is None:
        return None
    if it.number is not None:
        return plan.routes[it.number - 1].id if 1 <= it.number <= len(plan.routes) else None
    text = it.text
    for r in plan.routes:
        if text and (text in r.title or r.title.removesuffix("申报") in text or text == r.id):
            return r.id
    return None


def _retry(ctx: Context, message: str) -> str:
    st = State.load(ctx)
    st.fails += 1
    st.save(ctx)
    if st.fails >= 2:
        return message + "\n也可以直接提问，例如「临平制造业工程师要邮寄哪些材料」。"
    return message


def checklist(plan: Any, route_ids: list[str]) -> str:
    """The checklist grouped by where the notice lists it (附件2 上传附件, 附件4 邮寄清单 …)."""
    items: list[Any] = list(plan.general_materials)
    only: dict[int, list[str]] = {}  # item index → the routes it belongs to, when listing several
    for rid in route_ids:
        for m in plan.route(rid).materials:
            if m not in items:
                items.append(m)
            if len(route_ids) > 1 and m not in plan.general_materials:
                only.setdefault(items.index(m), []).append(plan.route(rid).title)
    titles = "、".join(plan.route(r).title for r in route_ids)
    head = f"{plan.title}\n申报方式：{titles}\n材料清单（按通知原文）："
    if not items:
        return head + "\n该计划的资料里没有列出材料清单，请以通知原文为准。"
    # Grouped as the notice lists them: attachment (附件2, 附件4 …), then the heading within it;
    # each item names its own numbered clause, once per run of items from the same clause.
    groups: dict[str, dict[str, dict[str, list[Any]]]] = {}
    for m in items:
        segs = [part.strip() for part in m.clause.path.split("›")]
        section = segs[0]
        parent = " › ".join(segs[1:-1]) if len(segs) > 2 else ""
        leaf = segs[-1] if len(segs) > 1 else ""
        groups.setdefault(section, {}).setdefault(parent, {}).setdefault(leaf, []).append(m)
    lines = [head]
    n = 0
    for section, parents in groups.items():
        mailed = "邮寄" in section
        lines.append(f"【{'评审通过后邮寄' if mailed else '网上申报时上传/填报'}｜{section}】")
        for parent, leaves in parents.items():
            if parent:
                lines.append(f"{parent}：")
            for leaf, mats in leaves.items():
                for i, m in enumerate(mats):
                    n += 1
                    which = only.get(items.index(m))
                    lines.append(f"{n}. {m.text}" + (f"［{'、'.join(which)}］" if which else "")
                                 + (f"〔{leaf}〕" if leaf and i == 0 else ""))
    lines.append(f"出处：《{plan.title}》通知原文，以平台和通知最新要求为准。")
    lines.append("照片可直接发给我检查；本人述职可发送「述职检查」数字数。")
    return "\n".join(lines)
