"""Choosing a plan, the same way in every tool (提醒, 材料清单, 工作年限; 资格自测 may adopt it).

- One order for every numbered list: 工程师 plans before 高级工程师, then by plan id (region,
  series, year) — the order the eligibility dialog uses.
- The user's last choice lives in `state["last_plan"]` (a STICKY key: see handlers/base.py),
  and the routes an eligibility result found in `state["plan_routes"]`. A tool offers the
  last choice first: 「沿用 …？回复「是」，或回复序号选择其他计划」.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from handlers.base import Context

log = logging.getLogger(__name__)

YES = ("是", "是的", "好", "好的", "可以", "要", "需要", "对", "嗯", "行", "沿用", "确定", "ok", "yes")
NO = ("不", "不用", "不要", "不需要", "否", "算了", "不了", "no")
_NUMBER = re.compile(r"\s*第?\s*(\d{1,2})\s*(?:个|项|号)?\s*[。.]?\s*")


def plans_of(ctx: Context) -> dict[str, Any]:
    try:
        return dict(ctx.services.plans)
    except Exception:  # a broken plan file must not take the chat down
        log.exception("toolkit: plans could not be loaded")
        return {}


def ordered(plans: Mapping[str, Any]) -> list[str]:
    """Plan ids in the one list order: 工程师 first, then by id."""
    return sorted(plans, key=lambda pid: (getattr(plans[pid], "level", "") != "工程师", pid))


def menu(plans: Mapping[str, Any], ids: list[str], note: Callable[[Any], str] = lambda p: "") -> str:
    return "\n".join(f"{i}. {plans[pid].title}{note(plans[pid])}" for i, pid in enumerate(ids, 1))


def remembered(ctx: Context, plans: Mapping[str, Any]) -> str | None:
    """The plan the user chose last (in any tool), if it still exists."""
    for key in ("last_plan", "plan"):  # `plan`: a state saved before last_plan was sticky
        pid = ctx.state.get(key)
        if isinstance(pid, str) and pid in plans:
            return pid
    return None


def routes_for(ctx: Context, plan_id: str) -> list[str]:
    """The routes an eligibility result found for this plan (empty when none or another plan)."""
    pr = ctx.state.get("plan_routes")
    if isinstance(pr, dict) and pr.get("plan") == plan_id and isinstance(pr.get("routes"), list):
        return [r for r in pr["routes"] if isinstance(r, str)]
    return []


def remember(ctx: Context, plan_id: str) -> None:
    """Record the user's choice now, so it survives however the dialog ends."""
    ctx.state["last_plan"] = plan_id


def offer(plans: Mapping[str, Any], ids: list[str], default: str | None, question: str,
          note: Callable[[Any], str] = lambda p: "") -> str:
    """The plan question with the numbered list; the remembered plan is offered first."""
    if default in plans:
        head = (f"{question}\n沿用 {plans[default].title}？回复「是」，或回复序号选择其他计划：")
    else:
        head = f"{question}请回复序号："
    return f"{head}\n{menu(plans, ids, note)}"


def is_yes(text: str) -> bool:
    return _word(text) in YES


def is_no(text: str) -> bool:
    return _word(text) in NO


def _word(text: str) -> str:
    return (text or "").strip().strip("。.!！~～").lower()


def pick(text: str, ids: list[str], plans: Mapping[str, Any], default: str | None = None) -> str | None:
    """A plan id from the answer: 「是」 for the offered default, a number from the list that was
    shown (numbers only count when `ids` were offered), the id, or words naming one plan."""
    from knowledge.eligibility.plans import match_plans

    t = (text or "").strip()
    if default in plans and is_yes(t):
        return default
    m = _NUMBER.fullmatch(t)
    if m:
        n = int(m.group(1))
        return ids[n - 1] if ids and 1 <= n <= len(ids) else None
    if t in plans:
        return t
    found = match_plans(t, dict(plans)) if t else []
    return found[0] if found else None


def cn_date(d: Any) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
