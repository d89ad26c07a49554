"""Reading a JSON request body safely: capped while it streams, bounded in depth and in the
size of its numbers, so that hostile input gets a clear 4xx and never a 500."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import Request

from bot.limits import read_limited

MAX_DEPTH = 32  # the API's own documents are 3 levels deep
MAX_NUMBER_CHARS = 20  # a 64-bit integer; longer ones overflow what the rules compare with


class BadJSON(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise BadJSON(400, f"数字 {text[:12]}… 太大：最多 {MAX_NUMBER_CHARS} 位。")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if len(text) > 40 or not math.isfinite(value):
        raise BadJSON(400, f"数字 {text[:12]}… 超出范围。")
    return value


def _constant(text: str) -> Any:
    raise BadJSON(400, f"JSON 不允许 {text}。")


def parse_json(raw: bytes) -> Any:
    """Raises BadJSON(400, message) for anything but a plain, bounded JSON document."""
    try:
        value = json.loads(raw or b"null", parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise BadJSON(400, f"JSON 嵌套太深：最多 {MAX_DEPTH} 层。") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadJSON(400, "请求体不是合法的 JSON。") from None
    # Depth checked without recursion: what is below the parser's limit can still be too deep
    # for the code that walks it later.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BadJSON(400, f"JSON 嵌套太深：最多 {MAX_DEPTH} 层。")
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return value


async def read_json(request: Request, limit: int) -> Any:
    """The body as JSON, refused (413) as soon as more than `limit` bytes have arrived."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadJSON(413, f"请求体太大：最多 {limit // 1024} KB。")
    raw = await read_limited(request.stream(), limit)
    if raw is None:
        raise BadJSON(413, f"请求体太大：最多 {limit // 1024} KB。")
    return parse_json(raw)
