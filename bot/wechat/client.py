"""Outbound WeChat API: wechatpy's synchronous client with a token shared through the store.

Why a wrapper:
- several workers must share ONE access_token (each refresh invalidates the previous token
  after a grace period), so the token lives in the StateStore and is refreshed before expiry
  under a store lock: one worker refreshes, the others read its result;
- 40001/40014/42001 → refresh once and retry; -1 (busy) and transport errors → bounded
  retries with backoff; every other errcode (45015, 45047, 43004, 43101, 45009, 45002 …) is
  logged, counted in the store (`wechat:errors:<errcode>`), kept in `failures`, and raised as
  `WeChatAPIError` for the caller to record — never an unhandled crash;
- the API base URL is a setting (`WECHAT_API_BASE`) so tests and development talk to the
  fake server in `bot.wechat.fake_server`.

Synchronous on purpose (wechatpy uses requests); async callers use `asyncio.to_thread`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.settings import Settings
from bot.store.base import StateStore
from bot.wechat.errors import TOKEN_ERRORS, WeChatAPIError, WeChatTransportError

log = logging.getLogger(__name__)
T = TypeVar("T")

_SECRET_IN_URL = re.compile(r"((?:secret|access_token)=)[^&\s\"']+")


class _RedactSecrets(logging.Filter):
    """urllib3 logs full request URLs at DEBUG; the secret and token travel in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = _SECRET_IN_URL.sub(r"\1***", str(record.msg))
        return True


for _name in ("urllib3.connectionpool", "wechatpy.client.base"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, _RedactSecrets) for f in _logger.filters):
        _logger.addFilter(_RedactSecrets())


class _Client(WeChatClient):
    """wechatpy client pointed at a configurable base URL, taking its token from WeChatAPI."""

    def __init__(self, api: WeChatAPI, appid: str, secret: str, base: str, timeout: float) -> None:
        super().__init__(appid, secret, timeout=timeout, auto_retry=False)
        # wechatpy 1.8.18 reads API_BASE_URL from the instance at request time.
        self.API_BASE_URL = base + "/cgi-bin/"
        self._api = api

    @property
    def access_token(self) -> str:  # type: ignore[override]
        return self._api._token_for_call()

    def fetch_access_token(self) -> dict[str, Any]:  # never used by wechatpy (auto_retry off)
        return self._api._fetch_token()


class WeChatAPI:
    """The bot's one way to call WeChat. Thread-safe; build one per process (Services.wechat)."""

    TOKEN_KEY = "wechat:access_token:{appid}"
    BUSY_RETRIES = 3
    BACKOFF_S = 0.2
    TIMEOUT_S = 10.0

    def __init__(self, settings: Settings, store: StateStore) -> None:
        self.settings = settings
        self.store = store
        self.base = settings.wechat_api_base.rstrip("/")
        self.appid = settings.wechat_app_id
        self._secret = settings.wechat_app_secret
        self._key = self.TOKEN_KEY.format(appid=self.appid)
        self._tls = threading.local()
        self._client = _Client(self, self.appid, self._secret, self.base, self.TIMEOUT_S)
        # Recent failures (newest last), for the admin view and tests; bounded.
        self.failures: deque[dict[str, Any]] = deque(maxlen=500)

    def __repr__(self) -> str:  # never show the secret
        return f"WeChatAPI(base={self.base!r}, appid={self.appid!r})"

    # --- public API -------------------------------------------------------------------
    def send_text(self, openid: str, text: str) -> dict[str, Any]:
        """Customer-service text message (48-hour window)."""
        return self._call("custom/send", openid, lambda c: c.message.send_text(openid, text))

    def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                      url: str | None = None) -> dict[str, Any]:
        return self._call("template/send", openid,
                          lambda c: c.message.send_template(openid, template_id, data, url=url))

    def send_subscribe(self, openid: str, template_id: str, data: dict[str, Any],
                       page: str | None = None) -> dict[str, Any]:
        """Subscribe message (订阅通知, `message/subscribe/bizsend`)."""
        return self._call("subscribe/bizsend", openid,
                          lambda c: c.message.send_subscribe_message(openid, template_id, data, page=page))

    def get_media(self, media_id: str) -> bytes:
        """Download a temporary media file (e.g. a user's photo) as bytes."""

        def download(c: _Client) -> bytes:
            res = c.media.download(media_id)
            if isinstance(res, dict):  # a JSON body without errcode is not media
                raise WeChatAPIError(res.get("errcode", 40007), str(res.get("errmsg", "not media")))
            return bytes(res.content)

        return self._call("media/get", "", download)

    def create_menu(self, menu: dict[str, Any]) -> dict[str, Any]:
        return self._call("menu/create", "", lambda c: c.menu.create(menu))

    def get_menu(self) -> dict[str, Any] | None:
        return self._call("menu/get", "", lambda c: c.menu.get())

    def access_token(self) -> str:
        """A valid token, from the store when fresh, else refreshed (once across workers)."""
        entry = self.store.get_json(self._key)
        if entry and entry.get("refresh_at", 0) > time.time():
            return str(entry["token"])
        return self._refresh(stale=entry["token"] if entry else None)

    # --- internals --------------------------------------------------------------------
    def _token_for_call(self) -> str:
        token = getattr(self._tls, "token", None)
        return token if token else self.access_token()

    def _refresh(self, stale: str | None) -> str:
        """Refresh under a store lock; a worker that waited reuses the token just fetched."""
        with self.store.lock("wechat:token-refresh", timeout_s=30.0):
            entry = self.store.get_json(self._key)
            if entry and entry["token"] != stale and entry.get("refresh_at", 0) > time.time():
                return str(entry["token"])
            data = self._with_busy_retry(self._fetch_token)
            token, expires_in = str(data["access_token"]), float(data.get("expires_in", 7200))
            # Refresh a little early (WeChat keeps the old token valid ~5 min after a refresh).
            margin = min(300.0, expires_in / 10)
            now = time.time()
            self.store.set_json(self._key, {"token": token, "expires_at": now + expires_in,
                                            "refresh_at": now + expires_in - margin}, ttl_s=expires_in)
            log.info("access token refreshed (expires in %ss)", int(expires_in))
            return token

    def _fetch_token(self) -> dict[str, Any]:
        try:
            res = self._client._http.get(
                f"{self.base}/cgi-bin/token", timeout=self.TIMEOUT_S,
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self._secret})
            res.raise_for_status()
            data = res.json()
        except (requests.RequestException, ValueError) as e:
            raise WeChatTransportError(f"token request failed: {type(e).__name__}") from None
        if data.get("errcode"):
            raise WeChatAPIError(int(data["errcode"]), str(data.get("errmsg", "")))
        if "access_token" not in data:
            raise WeChatAPIError(-1, "token response without access_token")
        return data

    def _with_busy_retry(self, fn: Callable[[], T]) -> T:
        for attempt in range(self.BUSY_RETRIES + 1):
            try:
                return fn()
            except WeChatAPIError as e:
                if (e.errcode == -1 or isinstance(e, WeChatTransportError)) and attempt < self.BUSY_RETRIES:
                    time.sleep(self.BACKOFF_S * 2**attempt)
                    continue
                raise
        raise AssertionError("unreachable")

    def _call(self, api: str, openid: str, fn: Callable[[_Client], T]) -> T:
        try:
            return self._with_busy_retry(lambda: self._with_token_retry(fn))
        except WeChatAPIError as e:
            self._record(api, openid, e)
            raise

    def _with_token_retry(self, fn: Callable[[_Client], T]) -> T:
        token = self.access_token()
        for refreshed in (False, True):
            self._tls.token = token
            try:
                return fn(self._client)
            except WeChatClientException as e:
                if e.errcode is None:
                    raise WeChatTransportError(f"HTTP error: {getattr(e.response, 'status_code', '?')}") from None
                code = int(e.errcode)
                if code in TOKEN_ERRORS and not refreshed:
                    log.info("token rejected (%s); refreshing once", code)
                    token = self._refresh(stale=token)
                    continue
                raise WeChatAPIError(code, str(e.errmsg or "")) from None
            except requests.RequestException as e:
                raise WeChatTransportError(f"request failed: {type(e).__name__}") from None
            finally:
                self._tls.token = None
        raise AssertionError("unreachable")

    def _record(self, api: str, openid: str, e: WeChatAPIError) -> None:
        who = openid[:6] + "…" if openid else "-"
        log.warning("WeChat %s to %s failed: errcode=%s %s", api, who, e.errcode, e.errmsg)
        self.failures.append({"time": time.time(), "api": api, "openid": openid,
                              "errcode": e.errcode, "errmsg": e.errmsg})
        try:
            self.store.incr(f"wechat:errors:{e.errcode}")
        except Exception:  # counting must never hide the real error
            log.debug("could not count WeChat error", exc_info=True)
