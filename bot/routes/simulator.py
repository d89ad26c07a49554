"""`/simulator` (development only): chat with the bot through the real webhook.

The page posts to `/simulator/send`; that endpoint builds the XML exactly as WeChat's servers
would (signed; AES-encrypted in 安全/兼容 modes), POSTs it over HTTP to this app's own
`/wechat`, and opens the reply. Late answers (the `success` path) are sent by the bot as
customer-service messages; when WECHAT_API_BASE is the fake server on loopback
(`python -m bot fake-wechat`), `/simulator/messages` reads them back so the page shows them.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from bot.wechat.errors import WeChatError
from bot.wechat.webhook import WebhookCodec, cdata, parse_xml

STATIC = Path(__file__).resolve().parent.parent / "static" / "simulator"
ACCOUNT = "gh_simulator"


def dev_only(request: Request) -> None:
    if not request.app.state.services.settings.is_dev:
        raise HTTPException(status_code=404)


router = APIRouter(prefix="/simulator", dependencies=[Depends(dev_only)], include_in_schema=False)


class Outgoing(BaseModel):
    user: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")  # an OpenID's alphabet
    text: str = Field("", max_length=4000)
    mode: Literal["plain", "compat", "aes"] = "plain"
    event: str = Field("", max_length=32)  # subscribe | CLICK …; empty = a text message
    key: str = Field("", max_length=64)


def _xml(m: Outgoing) -> str:
    head = (f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><FromUserName>{cdata(m.user)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>")
    if m.event:
        return head + (f"<MsgType><![CDATA[event]]></MsgType><Event>{cdata(m.event)}</Event>"
                       f"<EventKey>{cdata(m.key)}</EventKey></xml>")
    return head + (f"<MsgType><![CDATA[text]]></MsgType><Content>{cdata(m.text)}</Content>"
                   f"<MsgId>{secrets.randbits(63)}</MsgId></xml>")


@router.get("")
async def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


@router.get("/app.js")
async def script() -> FileResponse:
    return FileResponse(STATIC / "app.js", media_type="text/javascript; charset=utf-8")


@router.post("/send")
async def send(m: Outgoing, request: Request) -> dict[str, object]:
    codec = WebhookCodec(request.app.state.services.settings)
    encrypt = m.mode != "plain"
    params, body = codec.sign_request(_xml(m), encrypt=encrypt, compat=m.mode == "compat")
    url = _own_webhook(request)
    async with httpx.AsyncClient(timeout=15) as client:
        r = await client.post(url, params=params, content=body.encode("utf-8"),
                              headers={"Content-Type": "text/xml"})
    if r.status_code != 200:
        return {"status": r.status_code, "reply": None, "note": r.text}
    if r.text in ("", "success"):
        return {"status": 200, "reply": None, "encrypted": False}
    try:
        fields = codec.decrypt_reply(r.text) if encrypt else parse_xml(r.text)
    except WeChatError:
        return {"status": 200, "reply": None, "note": "回复无法解析"}
    return {"status": 200, "reply": fields.get("Content", ""), "encrypted": "<Encrypt>" in r.text}


def _own_webhook(request: Request) -> str:
    """This server's own /wechat, from the socket it listens on — never from the Host header,
    which the client chooses: the simulator signs with the real token and must not hand a
    signed request to another host."""
    server = request.scope.get("server")
    if not server or server[1] is None:
        raise HTTPException(status_code=400, detail="simulator needs a TCP listener")
    host, port = server[0], server[1]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/wechat"


@router.get("/messages")
async def messages(request: Request, user: str, since: int = 0) -> dict[str, object]:
    """Customer-service texts the bot sent to `user`, read back from the fake WeChat API."""
    base = request.app.state.services.settings.wechat_api_base.rstrip("/")
    if urlsplit(base).hostname not in ("127.0.0.1", "localhost", "::1"):
        return {"messages": [], "next": since, "fake": False}
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            r = await client.get(f"{base}/_fake/calls",
                                 params={"path": "/cgi-bin/message/custom/send", "since": since})
        data = r.json()
    except (httpx.HTTPError, ValueError):
        return {"messages": [], "next": since, "fake": False}
    texts = [c["json"]["text"]["content"] for c in data.get("calls", [])
             if c.get("errcode") == 0 and isinstance(c.get("json"), dict)
             and c["json"].get("touser") == user and c["json"].get("msgtype") == "text"]
    return {"messages": texts, "next": data.get("next", since), "fake": True}
