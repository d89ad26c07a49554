"""POST /api/eligibility — {"plan": id, "facts": {…}} → the engine's JSON (knowledge/eligibility/rules.py)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from bot.routes.jsonbody import BadJSON, read_json
from knowledge.eligibility.facts import FactError
from knowledge.eligibility.rules import evaluate

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["eligibility"])

MAX_BODY = 64 * 1024  # facts are a few dozen fields; free-text answers are short


def _bad(message: str, status: int = 400) -> HTTPException:
    return HTTPException(status_code=status, detail=message)


@router.post("/eligibility")
async def eligibility(request: Request) -> dict[str, Any]:
    try:
        body = await read_json(request, MAX_BODY)
    except BadJSON as exc:
        raise _bad(exc.message, exc.status) from None
    if not isinstance(body, dict) or not isinstance(body.get("plan"), str):
        raise _bad('请求体应为 {"plan": "计划编号", "facts": {…}}')
    unknown_keys = set(body) - {"plan", "facts", "as_of"}
    if unknown_keys:
        raise _bad(f"未知字段：{', '.join(sorted(unknown_keys))}（可用：plan, facts, as_of）")
    plans = request.app.state.services.plans
    plan = plans.get(body["plan"])
    if plan is None:
        name = body["plan"] if len(body["plan"]) <= 80 else body["plan"][:80] + "…"
        raise _bad(f"未知的评审计划「{name}」；可用：{', '.join(sorted(plans))}")
    as_of = None
    if body.get("as_of") is not None:
        try:
            as_of = dt.date.fromisoformat(str(body["as_of"]))
        except ValueError as exc:
            raise _bad("as_of 应为 YYYY-MM-DD 日期（仅用于通知未规定截止日期的计划）") from exc
    try:
        return evaluate(plan, body.get("facts") or {}, as_of=as_of).to_dict()
    except FactError as exc:
        raise _bad(f"条件有误：{exc}") from exc
    except (OverflowError, RecursionError) as exc:  # numbers past what a date or a count can be
        raise _bad("条件有误：数值超出范围。") from exc
