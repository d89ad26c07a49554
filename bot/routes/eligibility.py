"""POST /api/eligibility — {"plan": id, "facts": {…}} → the engine's JSON (knowledge/eligibility/rules.py)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from knowledge.eligibility.facts import FactError
from knowledge.eligibility.rules import evaluate

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["eligibility"])


def _bad(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


@router.post("/eligibility")
async def eligibility(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad("请求体不是合法的 JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get("plan"), str):
        raise _bad('请求体应为 {"plan": "计划编号", "facts": {…}}')
    unknown_keys = set(body) - {"plan", "facts", "as_of"}
    if unknown_keys:
        raise _bad(f"未知字段：{', '.join(sorted(unknown_keys))}（可用：plan, facts, as_of）")
    plans = request.app.state.services.plans
    plan = plans.get(body["plan"])
    if plan is None:
        raise _bad(f"未知的评审计划「{body['plan']}」；可用：{', '.join(sorted(plans))}")
    as_of = None
    if body.get("as_of") is not None:
        try:
            as_of = dt.date.fromisoformat(str(body["as_of"]))
        except ValueError as exc:
            raise _bad("as_of 应为 YYYY-MM-DD 日期（仅用于通知未规定截止日期的计划）") from exc
    try:
        return evaluate(plan, body.get("facts") or {}, as_of=as_of)
    except FactError as exc:
        raise _bad(f"条件有误：{exc}") from exc
