"""POST /api/ask — the notice Q&A over HTTP: {"question", "plan"?} → {"answer", "sources", "answered"}."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from bot.routes.jsonbody import BadJSON, read_json

router = APIRouter(prefix="/api")

MAX_QUESTION = 2000  # longer bodies are refused; the Q&A itself asks for a shorter question past 300
MAX_PLAN = 100
# Room for the longest question and plan even when every character is sent as a \\u escape
# (12 bytes for a character outside the BMP), and not much more.
MAX_BODY = 32 * 1024


class AskRequest(BaseModel):
    question: str = Field(max_length=MAX_QUESTION)
    plan: str | None = Field(default=None, max_length=MAX_PLAN)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@router.post("/ask")
async def ask(request: Request) -> JSONResponse:
    try:
        payload = await read_json(request, MAX_BODY)
    except BadJSON as e:
        hint = '，应为 {"question": "您的问题"}' if e.status == 400 else f"（问题最长 {MAX_QUESTION} 字）"
        return _error(e.status, e.message.rstrip("。") + hint + "。")
    if not isinstance(payload, dict):
        return _error(400, '请求体应为 JSON 对象，例如 {"question": "评审费怎么交？"}。')
    try:
        body = AskRequest.model_validate(payload)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err.get("loc", ())) or "question"
        if err.get("type") == "string_too_long":
            return _error(422, f"{field} 太长：最长 {err.get('ctx', {}).get('max_length', MAX_QUESTION)} 字。")
        if err.get("type") == "missing":
            return _error(422, f"缺少字段 {field}。")
        return _error(422, f"字段 {field} 应为字符串。")
    qa = request.app.state.services.qa
    ans = await asyncio.to_thread(qa.answer, body.question, body.plan)
    return JSONResponse(ans.to_dict())
