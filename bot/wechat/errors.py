"""One exception tree for everything WeChat: outbound API errors and rejected webhooks.

Callers catch `WeChatAPIError` (it carries WeChat's `errcode`/`errmsg`) and decide what to
record; the webhook maps `WebhookRejected` subclasses to HTTP status codes.
"""

from __future__ import annotations

# errcode → short reason, for logs and for callers that record outcomes (outbox, reminders).
KNOWN_ERRORS: dict[int, str] = {
    -1: "system busy",
    40001: "invalid access_token",
    40014: "invalid access_token",
    42001: "access_token expired",
    41001: "access_token missing",
    40003: "invalid openid",
    40007: "invalid media_id",
    40037: "invalid template_id",
    43004: "user not following",
    43101: "user refused subscribe messages",
    45002: "content too long",
    45009: "API daily quota reached",
    45015: "outside the 48-hour customer-service window",
    45047: "customer-service message count exceeded",
}

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# Worth telling apart: the user cannot be reached now, versus the account hit a quota.
USER_UNREACHABLE = frozenset({43004, 43101, 45015, 45047, 40003})
QUOTA = frozenset({45009})


class WeChatError(Exception):
    """Base of every WeChat-related error raised by bot.wechat."""


class WeChatAPIError(WeChatError):
    """The WeChat API answered with a non-zero errcode (or could not be reached: errcode None)."""

    def __init__(self, errcode: int | None, errmsg: str = "") -> None:
        self.errcode = errcode
        self.errmsg = errmsg or KNOWN_ERRORS.get(errcode or 0, "")
        super().__init__(f"WeChat API error {errcode}: {self.errmsg}")

    @property
    def user_unreachable(self) -> bool:
        return self.errcode in USER_UNREACHABLE

    @property
    def quota(self) -> bool:
        return self.errcode in QUOTA


class WeChatTransportError(WeChatAPIError):
    """Network failure or an HTTP error status before WeChat produced a JSON answer."""

    def __init__(self, errmsg: str) -> None:
        super().__init__(None, errmsg)


class WebhookRejected(WeChatError):
    """A webhook request that must not reach a handler; `status` is the HTTP answer."""

    status = 400


class InvalidSignature(WebhookRejected):
    status = 403


class StaleTimestamp(WebhookRejected):
    status = 403


class InvalidAppId(WebhookRejected):
    status = 403


class MalformedMessage(WebhookRejected):
    status = 400


class BodyTooLarge(WebhookRejected):
    status = 413


class ReplayedRequest(WebhookRejected):
    """A (timestamp, nonce) seen before with another body: a signature lifted from a log."""

    status = 403


class PlaintextRefused(WebhookRejected):
    """安全模式 is required (WECHAT_REQUIRE_AES) and the request is not encrypted."""

    status = 403
