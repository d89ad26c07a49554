"""The WeChat webhook: GET = server verification, POST = messages and events."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from bot.gateway import Gateway
from bot.limits import read_limited

router = APIRouter()


def gateway_of(app: FastAPI) -> Gateway:
    gw = getattr(app.state, "gateway", None)
    if gw is None:
        gw = app.state.gateway = Gateway(app.state.services)
    return gw


@router.get("/wechat")
async def verify(request: Request) -> PlainTextResponse:
    status, text = gateway_of(request.app).verify(dict(request.query_params))
    return PlainTextResponse(text, status_code=status)


@router.post("/wechat")
async def receive(request: Request) -> Response:
    gw = gateway_of(request.app)
    limit = gw.settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    body = None if declared.isdigit() and int(declared) > limit else await read_limited(request.stream(), limit)
    status, text = await gw.webhook(dict(request.query_params), body)
    media = "application/xml" if text.startswith("<xml>") else "text/plain"
    return Response(text, status_code=status, media_type=media)
