"""The 5-second logic between the webhook and the dispatcher.

WeChat waits 5 s for a passive reply and retries (same MsgId) up to 3 attempts in all, so:
- a message is claimed once through the store (`claim:<key>`, SET-NX semantics): only the
  claimer runs the handler; the result goes to `result:<key>`;
- a retry (or duplicate) that finds the claim waits for that result — on the running task in
  this process, or by polling the store when another worker holds it;
- if the answer is not ready within REPLY_BUDGET_S the claimer replies `success` and the
  answer is sent later as a customer-service message;
- exactly one path delivers an answer that came late: a passive reply to a retry or the
  customer-service message, whichever claims `delivered:<key>` first;
- replies over 2048 bytes are cut (handlers/more.py); the rest waits for 「更多」;
- handler exceptions become a polite apology, never a 500 to WeChat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot import metrics
from bot.dispatcher import dispatch
from bot.services import Services
from bot.wechat.errors import BodyTooLarge, WebhookRejected, WeChatAPIError
from bot.wechat.webhook import WebhookCodec, text_reply_xml, to_incoming
from handlers import more
from handlers.base import Incoming

log = logging.getLogger(__name__)
T = TypeVar("T")

APOLOGY = "抱歉，系统暂时出了点问题，没能处理您的消息。请稍后再试，或发送「帮助」查看我能做什么。"
REJECTED = {400: "请求格式不正确", 403: "签名或时间戳校验失败"}


def dedup_key(msg: Incoming) -> str:
    if msg.msg_id:
        return f"msg:{msg.msg_id}"
    # Events carry no MsgId: WeChat advises FromUserName + CreateTime (event and key added
    # so two different clicks in the same second are not merged).
    return f"evt:{msg.user}:{msg.create_time}:{msg.event or msg.raw_type}:{msg.event_key}"


async def read_limited(chunks: AsyncIterator[bytes], limit: int) -> bytes | None:
    """The request body, or None as soon as it exceeds `limit` bytes (nothing more is read)."""
    buf = bytearray()
    async for chunk in chunks:
        buf += chunk
        if len(buf) > limit:
            return None
    return bytes(buf)


class Gateway:
    CLAIM_TTL_S = 3600.0  # a message id is never run twice within this window
    RESULT_TTL_S = 600.0
    POLL_S = 0.02

    def __init__(self, services: Services, handler_threads: int = 16) -> None:
        self.services = services
        self.settings = services.settings
        self.codec = WebhookCodec(self.settings)
        self.budget = self.settings.reply_budget_s
        # Own pools: slow handlers must not starve the quick store calls (or vice versa).
        self._handler_pool = ThreadPoolExecutor(handler_threads, thread_name_prefix="handler")
        self._io_pool = ThreadPoolExecutor(8, thread_name_prefix="store-io")
        self._running: dict[str, asyncio.Task[tuple[str | None, bool]]] = {}
        self._late: set[str] = set()
        # Build the API client now (imports wechatpy): not inside the first slow answer.
        _ = services.wechat

    async def _io(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._io_pool, fn, *args)

    # --- HTTP level ---------------------------------------------------------------------
    def verify(self, params: dict[str, str]) -> tuple[int, str]:
        try:
            return 200, self.codec.verify_get(params)
        except WebhookRejected as e:
            log.warning("verification rejected (%s): %s", e.status, e)
            return e.status, REJECTED.get(e.status, "请求被拒绝")

    async def webhook(self, params: dict[str, str], body: bytes | None) -> tuple[int, str]:
        """One POST from WeChat → (status, body). Rejections never reach a handler."""
        try:
            if body is None:
                raise BodyTooLarge("body too large")
            fields, encrypted = self.codec.decode(params, body)
            msg = to_incoming(fields)
        except WebhookRejected as e:
            log.warning("webhook rejected (%s): %s", e.status, e)
            return e.status, REJECTED.get(e.status, "请求被拒绝")
        try:
            reply = await self.respond(msg)
        except Exception:  # e.g. the state store is down: apologise rather than a 500
            log.exception("gateway failed for a %s message", msg.kind)
            reply = APOLOGY
        if not reply:
            return 200, "success"
        xml = text_reply_xml(msg.user, fields.get("ToUserName", ""), reply)
        if encrypted:
            xml = self.codec.encrypt(xml, nonce=params.get("nonce") or None)
        return 200, xml

    # --- once-only execution within the budget -------------------------------------------
    async def respond(self, msg: Incoming) -> str | None:
        """The passive reply for `msg`, or None (→ `success`)."""
        key = dedup_key(msg)
        store = self.services.store
        if not await self._io(store.add, f"claim:{key}", "1", self.CLAIM_TTL_S):
            metrics.dedup_hits.labels(msg.kind).inc()
            return await self._await_other(key)
        task = asyncio.create_task(self._run(msg, key))
        self._running[key] = task
        task.add_done_callback(lambda _t: self._running.pop(key, None))
        await asyncio.wait({task}, timeout=self.budget)
        if task.done():
            return task.result()[0]
        # Too slow: answer `success` now, send the answer later (see _run).
        self._late.add(key)
        log.info("reply for %s not ready within %.1fs; will send it as a customer-service message",
                 msg.kind, self.budget)
        return None

    async def _run(self, msg: Incoming, key: str) -> tuple[str | None, bool]:
        """→ (reply, whether it came after the claimer had already answered `success`)."""
        reply = await asyncio.get_running_loop().run_in_executor(self._handler_pool, self._handle, msg)
        store = self.services.store
        await self._io(store.set_json, f"result:{key}", {"reply": reply}, self.RESULT_TTL_S)
        late = key in self._late
        if late:
            self._late.discard(key)
            # A retry polling on another worker still has WeChat's connection open: give it
            # a couple of poll intervals to claim the passive reply, which costs no quota.
            await asyncio.sleep(self.POLL_S * 3)
            if reply and await self._io(store.add, f"delivered:{key}", "cs", self.RESULT_TTL_S):
                await self._io(self._send_later, msg.user, reply)
        return reply, late

    def _handle(self, msg: Incoming) -> str | None:
        """Runs in a handler thread: dispatch, never raise, fit the reply into one message."""
        try:
            reply = dispatch(msg, self.services)
        except Exception:
            log.exception("handler failed for a %s message", msg.kind)
            reply = APOLOGY
        try:
            return more.paginate(self.services.store, msg.user, reply)
        except Exception:
            log.exception("could not keep the rest of a long reply")
            return more.split(reply or "")[0] or None

    def _send_later(self, user: str, text: str) -> None:
        try:
            self.services.wechat.send_text(user, text)
        except WeChatAPIError as e:  # already logged and counted by the client
            log.info("late answer not delivered (errcode=%s)", e.errcode)
        except Exception:
            log.exception("late answer not delivered")

    async def _await_other(self, key: str) -> str | None:
        """A retry/duplicate: wait (within the budget) for the attempt that holds the claim."""
        deadline = time.monotonic() + self.budget
        task = self._running.get(key)
        store = self.services.store
        if task is not None:  # same process: no polling needed
            await asyncio.wait({task}, timeout=self.budget)
            if not task.done():
                return None
            reply, late = task.result()
            if not late:  # the claimer answered passively, nothing else will: no claim needed
                return reply
            result: dict[str, Any] | None = {"reply": reply}
        else:
            result = None
            while result is None and time.monotonic() < deadline:
                result = await self._io(store.get_json, f"result:{key}")
                if result is None:
                    await asyncio.sleep(self.POLL_S)
        if not result or not result.get("reply"):
            return None
        # Only one late delivery: this passive reply or the customer-service message.
        if await self._io(store.add, f"delivered:{key}", "passive", self.RESULT_TTL_S):
            return str(result["reply"])
        return None

    def close(self) -> None:
        self._handler_pool.shutdown(wait=False, cancel_futures=True)
        self._io_pool.shutdown(wait=False)
