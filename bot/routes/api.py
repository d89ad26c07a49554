"""POST /api/ask — the notice Q&A over HTTP: {"question", "plan"?} → {"answer", "sources", "answered"}."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

router = APIRouter(prefix="/api")

MAX_QUESTION = 2000  # longer bodies are refused; the Q&A itself asks for a shorter question past 300


class AskRequest(BaseModel):
    question: str = Field(max_length=MAX_QUESTION)
    plan: str | None = Field(default=None, max_length=100)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@router.post("/ask")
async def ask(request: Request) -> JSONResponse:
    raw = await request.body()
    if len(raw) > MAX_QUESTION * 4 + 1024:
        return _error(413, f"请求太大：问题最长 {MAX_QUESTION} 字。")
    try:
        payload = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, '请求体不是合法的 JSON，应为 {"question": "您的问题"}。')
    if not isinstance(payload, dict):
        return _error(400, '请求体应为 JSON 对象，例如 {"question": "评审费怎么交？"}。')
    try:
        body = AskRequest.model_validate(payload)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err.get("loc", ())) or "question"
        if err.get("type") == "string_too_long":
            return _error(422, f"{field} 太长：最长 {MAX_QUESTION} 字。")
        if err.get("type") == "missing":
            return _error(422, f"缺少字段 {field}。")
        return _error(422, f"字段 {field} 应为字符串。")
    qa = request.app.state.services.qa
    ans = await asyncio.to_thread(qa.answer, body.question, body.plan)
    return JSONResponse(ans.to_dict())
