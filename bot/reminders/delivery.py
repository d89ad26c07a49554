"""Deliver one claimed reminder down the channel ladder and decide what happens next.

template message (settings.template_id_reminder) → subscribe message
(settings.subscribe_template_id) → customer-service text inside the 48-hour window.
Every attempt's errcode is returned for the delivery log. Token errors are refreshed once
inside WeChatAPI; what still fails here is classified:
- 43004 (not following) → stop that user for good;
- 45009 (quota), 45047 (count), -1 (busy), transport errors → back off, retry later;
- anything else (40037 bad template, 43101 refused, 45015 out of window …) → next channel.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import threading
from typing import Any, Protocol
from urllib.parse import urlsplit

from bot.reminders.repo import Claimed, Result
from bot.reminders.schedule import defer, to_local
from bot.settings import Settings
from bot.wechat.errors import TOKEN_ERRORS, WeChatAPIError, WeChatTransportError

log = logging.getLogger(__name__)

STOP_CODES = frozenset({43004})
RETRY_CODES = frozenset({45009, 45047, -1, None})  # None: transport failure
MAX_ATTEMPTS = 6
WINDOW = dt.timedelta(hours=48)
STALE = dt.timedelta(hours=20)


class Sender(Protocol):
    def template(self, openid: str, template_id: str, data: dict[str, Any], client_msg_id: str) -> None: ...
    def subscribe(self, openid: str, template_id: str, data: dict[str, Any]) -> None: ...
    def text(self, openid: str, text: str) -> None: ...


class WeChatSender:
    """Reminder sends through the gateway's WeChatAPI (shared token, error accounting).

    Template messages — the bulk of a reminder day — go over a lean keep-alive connection
    per thread with WeChat's `client_msg_id` (wechatpy's send_template has no such
    argument; WeChat de-duplicates on it for 10 minutes): wechatpy + requests cost ~1.5 ms
    of CPU per call, too much for 100k reminders on two cores. Token errors refresh once.
    """

    PATH = "/cgi-bin/message/template/send"

    def __init__(self, api: Any) -> None:
        self.api = api
        parts = urlsplit(api.base)
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname or "", parts.port
        self._prefix = parts.path.rstrip("/")
        self._tls = threading.local()

    def _conn(self, fresh: bool = False) -> http.client.HTTPConnection:
        conn = getattr(self._tls, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self.api.TIMEOUT_S)
            self._tls.conn = conn
        return conn

    def _post(self, token: str, body: bytes) -> dict[str, Any]:
        url = f"{self._prefix}{self.PATH}?access_token={token}"
        for attempt in (0, 1):
            try:
                conn = self._conn(fresh=attempt == 1)
                conn.request("POST", url, body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                raw = resp.read()
                if resp.status != 200:
                    raise WeChatTransportError(f"HTTP {resp.status}")
                return json.loads(raw)
            except (OSError, http.client.HTTPException, ValueError) as e:
                if attempt == 1:  # a stale keep-alive connection gets one fresh retry
                    raise WeChatTransportError(f"request failed: {type(e).__name__}") from None
        raise AssertionError("unreachable")

    def template(self, openid: str, template_id: str, data: dict[str, Any], client_msg_id: str) -> None:
        body = json.dumps({"touser": openid, "template_id": template_id, "data": data,
                           "client_msg_id": client_msg_id}, ensure_ascii=False).encode()
        token = self.api.access_token()
        for refreshed in (False, True):
            try:
                res = self._post(token, body)
            except WeChatAPIError as e:
                self.api._record("template/send", openid, e)
                raise
            code = int(res.get("errcode") or 0)
            if code == 0:
                return
            if code in TOKEN_ERRORS and not refreshed:
                token = self.api._refresh(stale=token)
                continue
            err = WeChatAPIError(code, str(res.get("errmsg", "")))
            self.api._record("template/send", openid, err)
            raise err

    def subscribe(self, openid: str, template_id: str, data: dict[str, Any]) -> None:
        self.api.send_subscribe(openid, template_id, data)

    def text(self, openid: str, text: str) -> None:
        self.api.send_text(openid, text)


def render(payload: dict[str, Any], today: dt.date | None = None) -> str:
    """The reminder as one plain Chinese message; days are counted from `today` (the local
    send day), so a reminder delayed by a back-off still says the right thing."""
    if payload.get("kind") == "new_plan":
        return (f"【职称提醒】{payload['plan']}（{payload['when']}年度）已发布。"
                "发送「提醒」订阅新年度的申报、审核、缴费等日期。")
    lead = int(payload.get("lead", 0))
    if today is not None:
        lead = max(0, (dt.date.fromisoformat(payload["day"]) - today).days)
    edge = payload.get("edge")
    verb = "开始" if edge == "start" else ("截止" if edge == "end" else "")
    day = dt.date.fromisoformat(payload["day"])
    when = f"{day.month}月{day.day}日"
    soon = "今天" if lead == 0 else ("明天" if lead == 1 else f"还有{lead}天")
    text = f"【职称提醒】{payload['plan']}：{payload['event']}，{when}{verb}（{soon}）。"
    if payload.get("cite"):
        text += f"\n出处：{payload['cite']}"
    return text + "\n发送「我的提醒」查看全部，「取消提醒」停止。"


def _template_data(payload: dict[str, Any], text: str) -> dict[str, Any]:
    return {"first": {"value": "职称申报日期提醒"}, "keyword1": {"value": payload.get("event", "")},
            "keyword2": {"value": payload.get("when", "")}, "remark": {"value": text}}


def _subscribe_data(payload: dict[str, Any]) -> dict[str, Any]:
    # Subscribe-message fields are short and typed (thing ≤ 20 chars, time).
    return {"thing1": {"value": str(payload.get("event", ""))[:20]},
            "thing2": {"value": str(payload.get("plan", ""))[:20]},
            "time3": {"value": payload.get("day", "")}}


def deliver(row: Claimed, sender: Sender, settings: Settings, now: dt.datetime) -> Result:
    res = Result(id=row.id, openid=row.openid, plan_id=row.plan_id, status="failed", attempts=[])
    if row.unsubscribed:
        res.status = "cancelled"
        return res
    if now - row.due_at > STALE:
        # Down for a day (or more): 「明天截止」 would now be wrong; the next lead will come.
        res.status = "cancelled"
        res.attempts.append(("none", None, "expired: scheduler was down past the reminder's day"))
        return res
    text = render(row.payload, to_local(now, settings).date())
    ladder: list[tuple[str, Any]] = []
    if settings.template_id_reminder:
        ladder.append(("template", lambda: sender.template(
            row.openid, settings.template_id_reminder, _template_data(row.payload, text), row.idem_key)))
    if settings.subscribe_template_id:
        ladder.append(("subscribe", lambda: sender.subscribe(
            row.openid, settings.subscribe_template_id, _subscribe_data(row.payload))))
    if row.last_message_at is not None and now - row.last_message_at < WINDOW:
        ladder.append(("custom", lambda: sender.text(row.openid, text)))
    if not ladder:
        res.attempts.append(("none", None, "no channel: no template configured and outside the 48 h window"))
        return res
    retry = False
    for channel, send in ladder:
        try:
            send()
        except WeChatAPIError as e:
            res.attempts.append((channel, e.errcode, e.errmsg))
            if e.errcode in STOP_CODES:
                res.status, res.stop_user = "cancelled", True
                return res
            if e.errcode in RETRY_CODES:
                retry = True  # the account or WeChat is busy: other channels would fail alike
                break
            continue
        except Exception as e:  # a bug or an unexpected library error must not kill the batch
            log.exception("reminder %s: unexpected error on %s", row.id, channel)
            res.attempts.append((channel, None, f"{type(e).__name__}"))
            retry = True
            break
        res.attempts.append((channel, 0, "ok"))
        res.status, res.channel = "sent", channel
        return res
    if retry and row.attempts < MAX_ATTEMPTS:
        res.status = "pending"
        res.retry_at = defer(now, dt.timedelta(minutes=5 * 2 ** (row.attempts - 1)), settings)
    return res
