"""Choosing a plan, the same way in every tool (提醒, 材料清单, 工作年限; 资格自测 may adopt it).

- One order for every numbered list: 工程师 plans before 高级工程师, then by plan id (region,
  series, year) — the order the eligibility dialog uses.
- The user's last choice lives in `state["last_plan"]` (a STICKY key: see handlers/base.py;
  Q&A moves it too — it is the plan under discussion),
  and the routes an eligibility result found in `state["plan_routes"]`. A tool offers the
  last choice first: 「沿用 …？回复「是」，或回复序号选择其他计划」.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from handlers.base import Context

log = logging.getLogger(__name__)


def switches_plan(text: str) -> bool:
    """«换计划»: the user asks for the plan list again (knowledge/lang/lexicon.yaml switch_plan)."""
    from knowledge.lang.intents import command_form
    from knowledge.lang.numbers import lexicon

    return command_form(text) in {command_form(w) for w in lexicon()["switch_plan"]}


def plans_of(ctx: Context) -> dict[str, Any]:
    """The plans to offer in a list: those of current notices (last year's plan of a series
    that has a newer notice is left out; knowledge/catalog.py decides)."""
    try:
        plans = dict(ctx.services.plans)
    except Exception:  # a broken plan file must not take the chat down
        log.exception("toolkit: plans could not be loaded")
        return {}
    try:
        keep = ctx.services.catalog.current_plans(list(plans))
    except Exception:
        log.exception("toolkit: the notice catalog could not be read")
        return plans
    return {pid: plans[pid] for pid in keep} or plans


def notices_named(ctx: Context, text: str) -> list[str]:
    """Notice ids a message names, by the same detection Q&A uses, over the notices' front
    matter (no index needed)."""
    try:
        from knowledge.qa.retrieval import Plan as NoticeWords
        from knowledge.qa.retrieval import detect_plans

        metas = ctx.services.catalog.metas
        return detect_plans(text, [NoticeWords.from_meta(nid, meta) for nid, meta in metas.items()]).notices
    except Exception:
        log.exception("toolkit: notices could not be matched")
        return []


def unavailable(ctx: Context, what: str = "资格自测") -> str | None:
    """«宁波轻工的资格自测»: a notice the message names that has no published plan yet — said
    plainly, with what works already (its questions)."""
    it = ctx.it
    if it is None or it.plans:
        return None
    try:
        catalog = ctx.services.catalog
    except Exception:
        return None
    for nid in notices_named(ctx, it.text):
        entry = catalog.entries.get(nid)
        if entry is not None and not entry.published_plans and not entry.amends:
            return (f"《{entry.title}》的{what}尚未上线（人事部门还在整理这份通知的申报条件和日期），"
                    "可以先问我这份通知里的条件、时间和材料。")
    return None


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


def pick(ctx: Context, ids: list[str], plans: Mapping[str, Any], default: str | None = None) -> str | None:
    """A plan id from the interpreted answer: a clear yes for the offered default, a number from
    the list that was shown (numbers only count when `ids` were offered), the id, or words
    naming one plan."""
    it = ctx.it
    if it is None:
        return None
    if default in plans and it.clear_yes:
        return default
    if it.number is not None:
        return ids[it.number - 1] if ids and 1 <= it.number <= len(ids) else None
    t = it.rest or it.text
    if t in plans:
        return t
    named = [p for p in it.plans if p in plans]
    if not named and it.rest:
        from knowledge.eligibility.plans import match_plans

        named = match_plans(it.rest, dict(plans))
    return named[0] if named else None


def names_a_plan(ctx: Context, ids: list[str], plans: Mapping[str, Any], default: str | None = None) -> bool:
    """Would `pick` find a plan in this message? (A dialog's `accepts`.) A question that names a
    plan («临平的评审费多少钱») is answered first; the list is asked again after it."""
    it = ctx.it
    if it is not None and it.asks_something and it.number is None:
        return False
    return pick(ctx, ids, plans, default) is not None


def cn_date(d: Any) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
