"""「材料清单」: the documents to upload or mail for a plan and route, from the plan file's
own lists (general materials first, then the route's), each with its clause.

Also home of the small plan-picking helpers the toolkit dialogs share (材料清单, 工作年限):
the plan comes from the user's last eligibility dialog when there is one, else from
words in the message (match_plans), else the user picks from a numbered list.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from handlers.base import Context, Incoming

log = logging.getLogger(__name__)

FLOW = "materials"
CANCEL = ("取消", "退出", "算了", "不用了")
ALL_ROUTES = ("全部", "所有", "都要", "全部方式", "都看看")
# Where an eligibility dialog may leave its result in the state (see handlers/eligibility.py).
_PLAN_KEYS = ("plan", "plan_id", "last_plan", "eligibility_plan")
_ROUTE_KEYS = ("routes", "eligible_routes", "last_routes")


# --- plan picking, shared with handlers/work_years.py ------------------------------------

def plans_of(ctx: Context) -> dict[str, Any]:
    try:
        return dict(ctx.services.plans)
    except Exception:  # a broken plan file must not take the chat down
        log.exception("toolkit: plans could not be loaded")
        return {}


def remembered_plan(ctx: Context, plans: dict[str, Any]) -> str | None:
    for key in _PLAN_KEYS:
        pid = ctx.state.get(key)
        if isinstance(pid, str) and pid in plans:
            return pid
    return None


def remembered_routes(ctx: Context) -> list[str]:
    for key in _ROUTE_KEYS:
        routes = ctx.state.get(key)
        if isinstance(routes, list) and all(isinstance(r, str) for r in routes):
            return list(routes)
    return []


def finish(ctx: Context, plan_id: str) -> None:
    """End the dialog but remember the plan, as the eligibility dialog does, so the next
    tool (工作年限, 提醒, 资格自测) starts from it."""
    routes = ctx.state.get("eligible_routes") if ctx.state.get("plan") == plan_id else None
    ctx.leave()
    ctx.state.update(last_plan=plan_id, plan=plan_id)
    if isinstance(routes, list):
        ctx.state["eligible_routes"] = routes


def plan_menu(plans: dict[str, Any], note: str = "") -> tuple[str, list[str]]:
    """A numbered list of the plans, and the ids in that order."""
    ids = sorted(plans)
    lines = [f"{i}. {plans[pid].title}{note_for(plans[pid], note)}" for i, pid in enumerate(ids, 1)]
    return "\n".join(lines), ids


def note_for(plan: Any, note: str) -> str:
    if note == "as_of":
        return f"（年限计算到 {cn_date(plan.as_of)}）" if plan.as_of else "（通知未写计算截止日）"
    return ""


def pick_plan(text: str, choices: list[str], plans: dict[str, Any]) -> str | None:
    """A plan id from the user's answer: its number in the menu, or words matching one plan."""
    from knowledge.plans import match_plans

    t = (text or "").strip()
    m = re.fullmatch(r"\s*第?\s*(\d{1,2})\s*(?:个|项|号)?\s*[。.]?\s*", t)
    if m and choices:
        n = int(m.group(1))
        return choices[n - 1] if 1 <= n <= len(choices) else None
    if t in plans:
        return t
    found = match_plans(t, plans)
    return found[0] if found else None


def cn_date(d: Any) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# --- the 材料清单 dialog --------------------------------------------------------------------

def start(msg: Incoming, ctx: Context) -> str:
    plans = plans_of(ctx)
    if not plans:
        return "暂时没有可查的申报计划材料，请稍后再试，或直接提问，如「临平制造业工程师要邮寄哪些材料」。"
    text = re.sub(r"^\s*(?:申报)?材料清单[\s:：,，]*", "", msg.text or "")
    want_all = text.strip() in ALL_ROUTES
    pid = pick_plan(text, [], plans) if text.strip() and not want_all else None
    pid = pid or remembered_plan(ctx, plans)
    routes = remembered_routes(ctx) if pid and pid == remembered_plan(ctx, plans) else []
    if pid is None:
        menu, ids = plan_menu(plans)
        ctx.enter(FLOW, step="plan", choices=ids)
        return f"要查哪个申报计划的材料？请回复序号：\n{menu}\n（回复「取消」退出）"
    plan = plans[pid]
    routes = [r for r in routes if r in {x.id for x in plan.routes}]
    if want_all or len(plan.routes) == 1:
        finish(ctx, pid)
        return checklist(plan, [r.id for r in plan.routes])
    if routes:
        finish(ctx, pid)
        return (checklist(plan, routes)
                + "\n（按您资格自测的结果列出；看全部申报方式的材料请发「材料清单 全部」。）")
    return _ask_route(ctx, plan)


def _ask_route(ctx: Context, plan: Any) -> str:
    ids = [r.id for r in plan.routes]
    ctx.enter(FLOW, step="route", plan=plan.id, choices=ids)
    lines = [f"{i}. {r.title}" for i, r in enumerate(plan.routes, 1)]
    return (f"{plan.title}\n您走哪种申报方式？请回复序号（不确定可回复「全部」）：\n" + "\n".join(lines)
            + "\n（回复「取消」退出）")


def handle(msg: Incoming, ctx: Context) -> str:
    if msg.kind == "image":  # a photo sent mid-dialog is still checked; the dialog waits
        from handlers import photo

        return photo.handle_image(msg, ctx) + "\n\n（材料清单还在等您回复序号，或回复「取消」退出。）"
    if msg.kind not in ("text", "voice"):
        return "正在查询材料清单：请回复序号，或回复「取消」退出。"
    text = (msg.text or "").strip()
    if text.strip("。.！!") in CANCEL:
        ctx.leave()
        return "已退出材料清单。需要时再发送「材料清单」。"
    plans = plans_of(ctx)
    step = ctx.state.get("step")
    if step == "plan":
        pid = pick_plan(text, list(ctx.state.get("choices", [])), plans)
        if pid is None:
            return _retry(ctx, "没认出是哪个计划，请回复列表里的序号（如「1」），或回复「取消」退出。")
        plan = plans[pid]
        if len(plan.routes) == 1:
            finish(ctx, pid)
            return checklist(plan, [plan.routes[0].id])
        return _ask_route(ctx, plan)
    plan = plans.get(ctx.state.get("plan", ""))
    if plan is None:  # the plan disappeared (files changed): start over
        ctx.leave()
        return start(Incoming(user=msg.user, text="材料清单"), ctx)
    ids = [r.id for r in plan.routes]
    if text in ALL_ROUTES:
        finish(ctx, plan.id)
        return checklist(plan, ids)
    route = _pick_route(text, plan)
    if route is None:
        return _retry(ctx, f"请回复 1 到 {len(ids)} 之间的序号，或回复「全部」。")
    finish(ctx, plan.id)
    return checklist(plan, [route])


def _pick_route(text: str, plan: Any) -> str | None:
    m = re.fullmatch(r"\s*第?\s*(\d{1,2})\s*(?:个|种|项)?\s*[。.]?\s*", text)
    if m:
        n = int(m.group(1))
        return plan.routes[n - 1].id if 1 <= n <= len(plan.routes) else None
    for r in plan.routes:
        if text and (text in r.title or r.title.removesuffix("申报") in text or text == r.id):
            return r.id
    return None


def _retry(ctx: Context, message: str) -> str:
    fails = int(ctx.state.get("fails", 0)) + 1
    ctx.state["fails"] = fails
    if fails >= 2:
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
