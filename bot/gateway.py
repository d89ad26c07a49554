"""The 5-second logic between the webhook and the dispatcher.

WeChat waits 5 s for a passive reply and resends (same MsgId) up to 3 attempts in all, so:
- a message is claimed through the store (`claim:<key>`, SET-NX with a short lease that this
  process renews while the handler runs): only the claimer runs it. A claimer that dies stops
  renewing; its claim ends within LEASE_S and the next copy of the message takes it over;
- the handler's effects and its reply are committed together, keyed by the message
  (`done:<key>`, bot/journal.py): a message taken over after a crash runs from where the dead
  worker left it, and one whose effects were already committed just returns its reply;
- every copy of the message that arrives while the reply is known gets it (WeChat shows one
  reply per message, whichever attempt it accepted);
- if the answer is not ready within REPLY_BUDGET_S the claimer replies `success` and sends the
  answer later as a customer-service message. Before anyone says `success` without the answer
  (after which WeChat never resends) it writes `late:<key>` — the claimer, or a copy that ran
  out of time waiting for a claimer that may be dead — so the answer is still sent if that
  worker dies: every gateway sweeps `late:*` records whose claim has lapsed;
- exactly one path delivers an answer that came late: a passive reply to a copy or the
  customer-service message, whichever takes `delivered:<key>` first;
- in plaintext mode a timestamp + nonce is accepted with one body only (`seen:*`): a signature
  copied from a log cannot carry another body within the 5-minute window (in 安全模式 the
  body is signed anyway);
- replies over 2048 bytes are cut (handlers/more.py); the rest waits for 「更多」;
- handler exceptions become a polite apology, never a 500 to WeChat.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot import journal, metrics
from bot.dispatcher import dispatch
from bot.services import Services
from bot.wechat.errors import BodyTooLarge, ReplayedRequest, WebhookRejected, WeChatAPIError
from bot.wechat.webhook import REPLAY_WINDOW_S, WebhookCodec, text_reply_xml, to_incoming
from handlers.base import Incoming

log = logging.getLogger(__name__)
T = TypeVar("T")

APOLOGY = "抱歉，系统暂时出了点问题，没能处理您的消息。请稍后再试，或发送「帮助」查看我能做什么。"
REJECTED = {400: "请求格式不正确", 403: "签名或时间戳校验失败", 413: "请求体太大"}


def dedup_key(msg: Incoming) -> str:
    if msg.msg_id:
        return f"msg:{msg.msg_id}"
    # Events carry no MsgId: WeChat advises FromUserName + CreateTime (event and key added so
    # two different clicks in the same second are not merged). Hashed: keys outlive a request
    # and must not carry the OpenID.
    raw = "\x00".join((msg.user, str(msg.create_time), msg.event or msg.raw_type, msg.event_key))
    return "evt:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


@dataclasses.dataclass
class Outcome:
    reply: str | None
    late: bool  # the claimer had answered `success`: the answer went (or goes) out another way
    shared: bool  # the claim was lost, or a copy left a late record: another path may deliver it


class Gateway:
    # A claim outlives a dead claimer by at most this (it is renewed every LEASE_S / 3): short
    # enough that WeChat's resend, 5 s after the first attempt, takes it over within its budget.
    LEASE_S = 3.0
    RESULT_TTL_S = journal.DONE_TTL_S
    LATE_TTL_S = 3600.0  # a late answer whose worker died is still sent within this
    RECOVER_EVERY_S = 2.0
    POLL_S = 0.02

    def __init__(self, services: Services, handler_threads: int = 16) -> None:
        self.services = services
        self.settings = services.settings
        self.codec = WebhookCodec(self.settings)
        self.budget = self.settings.reply_budget_s
        # Own pools: slow handlers must not starve the quick store calls (or vice versa).
        self._handler_pool = ThreadPoolExecutor(handler_threads, thread_name_prefix="handler")
        self._io_pool = ThreadPoolExecutor(8, thread_name_prefix="store-io")
        self._running: dict[str, asyncio.Task[Outcome]] = {}
        self._late: set[str] = set()
        self._sweeper: asyncio.Task[None] | None = None
        # Build the API client now (imports wechatpy): not inside the first slow answer.
        _ = services.wechat

    async def _io(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._io_pool, fn, *args)

    def start(self) -> None:
        """Start sweeping for late answers left by dead workers (idempotent; needs a loop)."""
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    # --- HTTP level ---------------------------------------------------------------------
    def verify(self, params: dict[str, str]) -> tuple[int, str]:
        try:
            return 200, self.codec.verify_get(params)
        except WebhookRejected as e:
            log.warning("verification rejected (%s): %s", e.status, e)
            return e.status, REJECTED.get(e.status, "请求被拒绝")

    async def webhook(self, params: dict[str, str], body: bytes | None) -> tuple[int, str]:
        """One POST from WeChat → (status, body). Rejections never reach a handler."""
        self.start()
        try:
            if body is None:
                raise BodyTooLarge("body too large")
            fields, encrypted = self.codec.decode(params, body)
            if not encrypted:  # 安全模式's msg_signature covers the body: nothing to replay
                await self._io(self._check_replay, params, body)
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

    def _check_replay(self, params: dict[str, str], body: bytes) -> None:
        """In plaintext mode a signed timestamp + nonce goes with one body: the same body again
        is a resend (its MsgId makes it harmless), another body is a replayed signature."""
        ts, nonce = params.get("timestamp", ""), params.get("nonce", "")
        seen = "seen:" + hashlib.sha256(f"{ts}\x00{nonce}".encode()).hexdigest()[:40]
        digest = hashlib.sha256(body).hexdigest()[:40]
        # Remembered for as long as the timestamp passes the window check (the codec checked it).
        ttl = max(1.0, int(ts) + REPLAY_WINDOW_S + 1 - time.time())
        store = self.services.store
        if not store.add(seen, digest, ttl) and store.get(seen) not in (digest, None):
            raise ReplayedRequest("timestamp and nonce already used with another body")

    # --- once-only execution within the budget -------------------------------------------
    async def respond(self, msg: Incoming) -> str | None:
        """The passive reply for `msg`, or None (→ `success`)."""
        key = dedup_key(msg)
        deadline = time.monotonic() + self.budget
        delay, copy = self.POLL_S, False
        while True:
            task = self._running.get(key)
            if task is not None:  # this process is on it: wait for the task itself
                copy = copy or self._count_copy(msg)
                await asyncio.wait({task}, timeout=max(0.0, deadline - time.monotonic()))
                if not task.done():
                    return None
                out = task.result()
                return await self._share(key, out.reply) if out.late or out.shared else out.reply
            token = uuid.uuid4().hex
            result, claimed = await self._io(self._result_or_claim, key, token)
            if result is not None:
                copy = copy or self._count_copy(msg)
                return await self._share(key, result.get("reply"))
            if claimed:
                return await self._own(msg, key, token, deadline)
            copy = copy or self._count_copy(msg)
            if key in self._running:  # claimed by this process meanwhile: wait for its task
                continue
            # Another worker holds the claim: its answer, or its claim lapsing if it died.
            if time.monotonic() >= deadline:
                return await self._give_up(msg, key)
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.1)

    def _result_or_claim(self, key: str, token: str) -> tuple[dict[str, Any] | None, bool]:
        """(the recorded reply, None) if the message was applied; else whether we claimed it."""
        store = self.services.store
        result = journal.applied(store, key)
        if result is not None:
            return result, False
        return None, store.add(f"claim:{key}", token, self.LEASE_S)

    @staticmethod
    def _count_copy(msg: Incoming) -> bool:
        metrics.dedup_hits.labels(msg.kind).inc()
        return True

    async def _own(self, msg: Incoming, key: str, token: str, deadline: float) -> str | None:
        task = asyncio.create_task(self._run(msg, key, token))
        self._running[key] = task
        task.add_done_callback(lambda _t: self._running.pop(key, None))
        await asyncio.wait({task}, timeout=max(0.0, deadline - time.monotonic()))
        if task.done():
            out = task.result()
            return await self._share(key, out.reply) if out.shared else out.reply
        # Too slow: answer `success` now, send the answer later (see _run). WeChat will not
        # resend after `success`, so first leave a record to finish from if this process dies.
        self._late.add(key)
        await self._io(self.services.store.set_json, f"late:{key}", dataclasses.asdict(msg), self.LATE_TTL_S)
        log.info("reply for %s not ready within %.1fs; will send it as a customer-service message",
                 msg.kind, self.budget)
        return None

    async def _give_up(self, msg: Incoming, key: str) -> str | None:
        """A copy out of time while another worker holds the claim. That worker may be dead
        (its lease not lapsed yet) and `success` ends WeChat's resends: leave a late record
        (the sweeper finishes it once the claim lapses), then take the answer if it came."""
        store = self.services.store
        await self._io(store.set_json, f"late:{key}", dataclasses.asdict(msg), self.LATE_TTL_S)
        result = await self._io(journal.applied, store, key)
        return await self._share(key, result.get("reply")) if result is not None else None

    async def _share(self, key: str, reply: str | None) -> str | None:
        """A known answer for a copy: yes, unless a customer-service message carries it."""
        if not reply:
            return None
        return reply if await self._io(self._mark_passive, key) else None

    def _mark_passive(self, key: str) -> bool:
        """True unless a customer-service message took the answer (one write per message)."""
        store, mark = self.services.store, f"delivered:{key}"
        way = store.get(mark)
        if way is None and store.add(mark, "passive", self.RESULT_TTL_S):
            return True
        return (way or store.get(mark)) == "passive"

    async def _run(self, msg: Incoming, key: str, token: str, recovering: bool = False) -> Outcome:
        """Holds the claim (renewed) from the handler to the last delivery step."""
        store = self.services.store
        # The claim is not released at the end: copies find the reply in the journal first, and
        # the lease, no longer renewed, lapses by itself.
        with store.leases.keep(f"claim:{key}", token, self.LEASE_S) as lease:
            reply, contested = await asyncio.get_running_loop().run_in_executor(
                self._handler_pool, self._handle, msg, key)
            late = recovering or key in self._late
            if late:
                self._late.discard(key)
                # A copy polling on another worker still has WeChat's connection open: give it
                # a couple of poll intervals to take the passive reply, which costs no quota.
                await asyncio.sleep(self.POLL_S * 3)
                if reply and await self._io(store.add, f"delivered:{key}", "cs", self.RESULT_TTL_S):
                    await self._io(self._send_later, msg.user, reply)
                await self._io(store.delete, f"late:{key}")
        return Outcome(reply, late, shared=lease.lost or contested)

    def _handle(self, msg: Incoming, key: str) -> tuple[str | None, bool]:
        """Runs in a handler thread: dispatch (once per key, paged to one message), never raise.
        → (reply, whether a copy that gave up waiting left a late record). That record is read
        after the commit: a copy writing it later re-reads the journal and shares the reply
        itself, so either way the sweeper finds the reply delivered and sends nothing."""
        store = self.services.store
        try:
            reply = dispatch(msg, self.services, once=key)
        except Exception:
            log.exception("handler failed for a %s message", msg.kind)
            reply = APOLOGY
            try:  # nothing was committed; copies of the message get the same apology
                store.set_json(f"done:{key}", {"reply": APOLOGY}, journal.DONE_TTL_S)
            except Exception:
                log.warning("could not record the apology", exc_info=True)
        try:
            contested = store.get(f"late:{key}") is not None
        except Exception:
            contested = True
        return reply, contested

    def _send_later(self, user: str, text: str) -> None:
        try:
            self.services.wechat.send_text(user, text)
        except WeChatAPIError as e:  # already logged and counted by the client
            log.info("late answer not delivered (errcode=%s)", e.errcode)
        except Exception:
            log.exception("late answer not delivered")

    # --- late answers left by dead workers ---------------------------------------------------
    async def recover_late(self) -> int:
        """Take over late answers whose claimer died; returns how many were taken."""
        store = self.services.store
        taken = 0
        for record in await self._io(store.scan, "late:"):
            key = record.removeprefix("late:")
            if key in self._running:
                continue
            token = uuid.uuid4().hex
            if not await self._io(store.add, f"claim:{key}", token, self.LEASE_S):
                continue  # its worker is alive (or another gateway is on it)
            fields = await self._io(store.get_json, record)
            if not isinstance(fields, dict):
                await self._io(store.release, f"claim:{key}", token)
                continue
            msg = Incoming(**{f.name: fields[f.name] for f in dataclasses.fields(Incoming) if f.name in fields})
            log.warning("finishing a late %s message whose worker stopped", msg.kind)
            task = asyncio.create_task(self._run(msg, key, token, recovering=True))
            self._running[key] = task
            task.add_done_callback(lambda _t, k=key: self._running.pop(k, None))
            taken += 1
        return taken

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.recover_late()
            except Exception:  # the store is down: try again at the next sweep
                log.warning("could not sweep late answers", exc_info=True)
            await asyncio.sleep(self.RECOVER_EVERY_S)

    def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        self._handler_pool.shutdown(wait=False, cancel_futures=True)
        self._io_pool.shutdown(wait=False)
