"""A fake WeChat API server: a real HTTP server on 127.0.0.1 speaking WeChat's paths and JSON.

For tests and local development (no network, no account). It checks access tokens the way
WeChat does, records every call, can inject error codes and serves registered media.

Python API::

    from bot.wechat.fake_server import FakeWeChat

    with FakeWeChat(expires_in=7200) as fake:      # starts on a free port, stops on exit
        settings = Settings(wechat_api_base=fake.base_url, ...)
        fake.inject("/cgi-bin/message/custom/send", 45015, times=1)   # next call fails
        fake.add_media("MEDIA1", jpeg_bytes, "image/jpeg")
        ...
        fake.calls                 # [Call(method, path, query, json, time, errcode)], a copy
        fake.calls_to("/cgi-bin/message/custom/send")
        fake.texts("OPENID")       # texts of successful custom/send text messages to a user
        fake.wait_for(lambda f: len(f.texts("OPENID")) >= 1, timeout=5)  # → bool, no sleeps
        fake.token_requests        # how many GET /cgi-bin/token were answered
        fake.expire_tokens()       # every issued token now answers 42001
        fake.revoke_tokens()       # every issued token now answers 40001
        fake.menu                  # the last menu created (dict) or None
        fake.reset()               # forget calls, injections and counters (tokens stay valid)

    FakeWeChat(port=0, appid=None, secret=None, expires_in=7200, grace_s=300.0)
      - appid/secret: when given, /cgi-bin/token checks them (40013 / 40125 like WeChat);
      - expires_in: lifetime of issued tokens (seconds);
      - grace_s: how long the previous token stays valid after a new one is issued (WeChat: ~5 min).

Endpoints (all need a valid `access_token` query parameter except /cgi-bin/token):
    GET  /cgi-bin/token                       → {"access_token", "expires_in"}
    POST /cgi-bin/message/custom/send         (text over 2048 bytes → 45002)
    POST /cgi-bin/message/template/send       → {"msgid"}
    POST /cgi-bin/message/subscribe/bizsend   and /cgi-bin/message/subscribe/send
    POST /cgi-bin/message/template/subscribe
    GET  /cgi-bin/media/get?media_id=…        → the bytes (unknown id → 40007)
    POST /cgi-bin/menu/create, GET /cgi-bin/menu/get, GET /cgi-bin/menu/delete
Development helper (not WeChat's): GET /_fake/calls?path=…&since=N → recorded calls as JSON,
used by the simulator page to show customer-service messages sent after a `success` reply.

Command line: `python -m bot fake-wechat --port 9000`, then WECHAT_API_BASE=http://127.0.0.1:9000.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

_TOKEN_PATH = "/cgi-bin/token"
_JSON_POSTS = {
    "/cgi-bin/message/custom/send",
    "/cgi-bin/message/template/send",
    "/cgi-bin/message/subscribe/bizsend",
    "/cgi-bin/message/subscribe/send",
    "/cgi-bin/message/template/subscribe",
    "/cgi-bin/menu/create",
}
_GETS = {"/cgi-bin/media/get", "/cgi-bin/menu/get", "/cgi-bin/menu/delete"}
_ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40007: "invalid media_id",
    40013: "invalid appid",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    44002: "empty post data",
    45002: "content size out of limit",
    46003: "menu no exist",
    47001: "data format error",
}


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    time: float = field(default_factory=time.time)
    errcode: int = 0  # what the fake answered (0 = accepted)


class FakeWeChat:
    def __init__(self, port: int = 0, appid: str | None = None, secret: str | None = None,
                 expires_in: int = 7200, grace_s: float = 300.0, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.appid, self.secret = appid, secret
        self.expires_in, self.grace_s = expires_in, grace_s
        self.menu: dict[str, Any] | None = None
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._tokens: dict[str, tuple[float, bool]] = {}  # token → (expires_at, revoked)
        self._injections: dict[str, deque[int]] = defaultdict(deque)
        self._media: dict[str, tuple[bytes, str]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.token_requests = 0

    # --- lifecycle --------------------------------------------------------------------
    def start(self) -> FakeWeChat:
        self._server = ThreadingHTTPServer((self.host, self.port), _make_handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-wechat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- test controls ----------------------------------------------------------------
    def inject(self, path: str, errcode: int, times: int = 1) -> None:
        """The next `times` calls to `path` answer `errcode` (checked before the token)."""
        with self._lock:
            self._injections[path].extend([errcode] * times)

    def add_media(self, media_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        with self._lock:
            self._media[media_id] = (data, content_type)

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens = {t: (0.0, r) for t, (_, r) in self._tokens.items()}

    def revoke_tokens(self) -> None:
        with self._lock:
            self._tokens = {t: (e, True) for t, (e, _) in self._tokens.items()}

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._injections.clear()
            self.token_requests = 0
            self.menu = None

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def texts(self, openid: str | None = None) -> list[str]:
        """Contents of accepted customer-service text messages (to `openid` when given)."""
        return [c.json["text"]["content"] for c in self.calls_to("/cgi-bin/message/custom/send")
                if isinstance(c.json, dict) and c.json.get("msgtype") == "text" and c.errcode == 0
                and (openid is None or c.json.get("touser") == openid)]

    def wait_for(self, predicate: Callable[[FakeWeChat], bool], timeout: float = 5.0) -> bool:
        """Block until `predicate(self)` holds (re-checked after every call) or time runs out."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                self._lock.release()
                try:
                    if predicate(self):
                        return True
                finally:
                    self._lock.acquire()
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.5))

    # --- request handling (called from server threads) -------------------------------------
    def _handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        payload: Any = None
        if body:
            try:
                payload = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                payload = None
        call = Call(method, path, query, payload)
        with self._lock:
            self._calls.append(call)
            result = self._answer(method, path, query, payload, body)
            if result[1] == "error":
                call.errcode = int(result[2]["errcode"])
            elif result[0] != 200:
                call.errcode = -result[0]
            self._lock.notify_all()
        status, kind, data = result
        if kind in ("json", "error"):
            return status, "application/json; charset=utf-8", json.dumps(data, ensure_ascii=False).encode()
        return status, kind, data

    def _answer(self, method: str, path: str, query: dict[str, str], payload: Any,
                body: bytes) -> tuple[int, str, Any]:
        def err(code: int) -> tuple[int, str, Any]:
            return 200, "error", {"errcode": code, "errmsg": _ERRMSG.get(code, "injected error")}

        if path == "/_fake/calls":
            since = int(query.get("since", "0") or 0)
            want = query.get("path")
            rows = [dict(asdict(c), index=i) for i, c in enumerate(self._calls)
                    if i >= since and (not want or c.path == want)]
            return 200, "json", {"calls": rows, "next": len(self._calls)}
        if path not in _JSON_POSTS | _GETS | {_TOKEN_PATH}:
            return 404, "json", {"errcode": 40066, "errmsg": "invalid url"}
        if self._injections.get(path):
            return err(self._injections[path].popleft())
        if path == _TOKEN_PATH:
            return self._issue_token(query)
        token = query.get("access_token", "")
        if not token:
            return err(41001)
        if token not in self._tokens or self._tokens[token][1]:
            return err(40001)
        if self._tokens[token][0] <= time.time():
            return err(42001)
        if path in _JSON_POSTS:
            if method != "POST":
                return 405, "json", {"errcode": 43002, "errmsg": "require POST method"}
            if not body:
                return err(44002)
            if not isinstance(payload, dict):
                return err(47001)
            return self._post(path, payload)
        if path == "/cgi-bin/media/get":
            media = self._media.get(query.get("media_id", ""))
            if media is None:
                return err(40007)
            return 200, media[1], media[0]
        if path == "/cgi-bin/menu/get":
            return (200, "json", {"menu": self.menu}) if self.menu else err(46003)
        self.menu = None  # menu/delete
        return 200, "json", {"errcode": 0, "errmsg": "ok"}

    def _issue_token(self, query: dict[str, str]) -> tuple[int, str, Any]:
        self.token_requests += 1
        if query.get("grant_type") != "client_credential":
            return 200, "error", {"errcode": 40002, "errmsg": "invalid grant_type"}
        if self.appid is not None and query.get("appid") != self.appid:
            return 200, "error", {"errcode": 40013, "errmsg": _ERRMSG[40013]}
        if self.secret is not None and query.get("secret") != self.secret:
            return 200, "error", {"errcode": 40125, "errmsg": _ERRMSG[40125]}
        now = time.time()
        # A new token shortens the life of the older ones to the grace period, like WeChat.
        self._tokens = {t: (min(e, now + self.grace_s), r) for t, (e, r) in self._tokens.items()}
        token = "FAKE_" + secrets.token_urlsafe(24)
        self._tokens[token] = (now + self.expires_in, False)
        return 200, "json", {"access_token": token, "expires_in": self.expires_in}

    def _post(self, path: str, payload: dict[str, Any]) -> tuple[int, str, Any]:
        if path == "/cgi-bin/menu/create":
            if not isinstance(payload.get("button"), list) or not payload["button"]:
                return 200, "error", {"errcode": 40016, "errmsg": "invalid button size"}
            self.menu = payload
            return 200, "json", {"errcode": 0, "errmsg": "ok"}
        if not payload.get("touser"):
            return 200, "error", {"errcode": 40003, "errmsg": "invalid openid"}
        if path == "/cgi-bin/message/custom/send":
            if payload.get("msgtype") == "text":
                content = str((payload.get("text") or {}).get("content", ""))
                if len(content.encode("utf-8")) > 2048:
                    return 200, "error", {"errcode": 45002, "errmsg": _ERRMSG[45002]}
            return 200, "json", {"errcode": 0, "errmsg": "ok"}
        if path == "/cgi-bin/message/template/send":
            return 200, "json", {"errcode": 0, "errmsg": "ok", "msgid": secrets.randbelow(10**12)}
        return 200, "json", {"errcode": 0, "errmsg": "ok"}


def _make_handler(fake: FakeWeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY each keep-alive call
        # stalls ~40 ms on delayed ACKs (the reminders benchmark sends 100k messages).
        disable_nagle_algorithm = True

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, ctype, data = fake._handle(method, parts.path, query, body)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            if ctype.startswith("image/") or ctype.startswith("application/octet"):
                self.send_header("Content-Disposition", 'attachment; filename="media"')
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:
            # Request lines carry access tokens; keep them out of logs.
            log.debug("fake wechat: %s", self.command)

    return Handler


def serve_forever(port: int, host: str = "127.0.0.1", expires_in: int = 7200) -> None:
    """Run until interrupted (the `python -m bot fake-wechat` command)."""
    fake = FakeWeChat(port=port, host=host, expires_in=expires_in).start()
    log.info("fake WeChat API on %s", fake.base_url)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
