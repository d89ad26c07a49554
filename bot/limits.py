"""Request bodies are capped while they stream in, for every route: nothing reads 50 MB (or
a 200 MB chunked upload) before a size check. Routes that know better (the webhook, the
JSON API) apply their own, smaller limits on top."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse

Scope = dict[str, Any]


async def read_limited(chunks: AsyncIterator[bytes], limit: int) -> bytes | None:
    """The request body, or None as soon as it exceeds `limit` bytes (nothing more is read)."""
    buf = bytearray()
    async for chunk in chunks:
        buf += chunk
        if len(buf) > limit:
            return None
    return bytes(buf)


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


class BodyTooLarge(HTTPException):
    """Raised from inside `receive`: an HTTPException, so that FastAPI's body parsing passes it
    on (it turns other errors into a 400) and the handler below answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"请求体太大：最多 {_size(limit)}。")


async def too_large(request: Request, exc: Exception) -> JSONResponse:
    detail = exc.detail if isinstance(exc, HTTPException) else "请求体太大。"
    return JSONResponse({"error": detail}, status_code=413, headers={"connection": "close"})


class BodyLimit:
    """ASGI middleware: 413 as soon as a body passes its path's limit (the longest matching
    prefix in `limits`, else `default`). A declared Content-Length is refused before reading."""

    def __init__(self, app: Any, limits: dict[str, int], default: int) -> None:
        self.app = app
        self.limits = sorted(limits.items(), key=lambda kv: -len(kv[0]))
        self.default = default

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:  # raised where no exception handler was in place
            if started:
                raise
            await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Any, limit: int) -> None:
        body = json.dumps({"error": BodyTooLarge(limit).detail}, ensure_ascii=False).encode("utf-8")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
