"""The reminder scheduler: claim due outbox rows in small batches, deliver them through a
thread pool (WeChat calls are blocking HTTP), record every outcome, repeat.

Runs inside `serve` (a daemon thread started from the app lifespan) or alone
(`python -m bot scheduler`). Several schedulers may run at once: claims are atomic, see
bot/reminders/repo.py for the exactly-once argument and its residual window.

Once a day a pass also applies the retention policy (`ReminderRepo.purge_expired`). Every
pass is recorded (`last_pass`, `last_error`, and a heartbeat in the state store) for the
readiness check (bot/readiness.py).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import metrics
from bot.db import get_engine, utcnow
from bot.reminders.delivery import Sender, WeChatSender, deliver
from bot.reminders.plans import load_plan_infos
from bot.reminders.repo import LEASE_S, Clock, ReminderRepo
from bot.reminders.schedule import in_quiet, to_local
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Tally:
    claimed: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    cancelled: int = 0
    by_code: dict[str, int] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        for k in ("claimed", "sent", "retry", "failed", "cancelled"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        for k, v in other.by_code.items():
            self.by_code[k] = self.by_code.get(k, 0) + v


PURGE_EVERY_S = 86400.0


class Scheduler:
    def __init__(self, repo: ReminderRepo, sender: Sender, settings: Settings, *, threads: int = 16,
                 batch: int | None = None, lease_s: float = LEASE_S, worker: str | None = None,
                 plans_dir: Path | None = None, heartbeat: Callable[[], None] | None = None) -> None:
        self.repo, self.sender, self.settings = repo, sender, settings
        # When set, plan files are re-synced into the outbox whenever they change (an HR
        # officer publishes a timeline, a new year's plan is added).
        self.plans_dir = plans_dir
        self._plans_seen: tuple | None = None
        self.threads = threads
        # Claim only what goes out right now: a crash leaves at most one batch uncertain.
        self.batch = batch or threads * 4
        self.lease_s = lease_s
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(self) % 10000}"
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="reminder")
        self._stop = threading.Event()
        # For the readiness check: when the loop started, its last good pass, its last error.
        self.started = time.time()
        self.last_pass: float | None = None
        self.last_error: str | None = None
        self.thread: threading.Thread | None = None
        self.heartbeat = heartbeat
        self._purged_at: float | None = None

    @property
    def alive(self) -> bool:
        return self.thread is None or self.thread.is_alive()

    def purge_if_due(self) -> dict[str, int] | None:
        """The retention purge, at most once per PURGE_EVERY_S (and at the first pass)."""
        now = time.monotonic()
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY_S:
            return None
        counts = self.repo.purge_expired(self.settings.retention_unfollowed_days,
                                         self.settings.retention_deliveries_days)
        self._purged_at = now
        if any(counts.values()):
            log.info("retention purge: %s", counts)
        return counts

    @property
    def clock(self) -> Clock:
        return self.repo.clock

    def sync_plans_if_changed(self) -> bool:
        if self.plans_dir is None:
            return False
        files = sorted(Path(self.plans_dir).glob("*.yaml"))
        seen = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
        if seen == self._plans_seen:
            return False
        counts = self.repo.sync_plans(load_plan_infos(self.plans_dir))
        self._plans_seen = seen
        log.info("plans synced into the outbox: %s", counts)
        return True

    def run_once(self, max_batches: int | None = None) -> Tally:
        """Deliver everything due now (batch after batch); returns what happened."""
        try:
            self.sync_plans_if_changed()
        except Exception:  # an invalid plan file must not stop deliveries already queued
            log.exception("could not sync plans into the reminder outbox")
        try:
            self.purge_if_due()
        except Exception:  # retried next pass; deliveries go on
            log.exception("retention purge failed")
        total = Tally()
        if in_quiet(to_local(self.clock(), self.settings), self.settings):
            return total  # rows due during an outage wait for the end of the quiet hours
        n = 0
        while not self._stop.is_set() and (max_batches is None or n < max_batches):
            rows = self.repo.claim(self.worker, self.batch, self.lease_s)
            if not rows:
                break
            n += 1
            resent = sum(r.resend for r in rows)
            if resent:
                log.warning("re-sending %d reminders whose worker died mid-send (same client_msg_id)", resent)
            now = self.clock()
            results = list(self._pool.map(lambda r, now=now: deliver(r, self.sender, self.settings, now), rows))
            self.repo.finish(self.worker, results)
            t = Tally(claimed=len(rows))
            for r in results:
                if r.status == "sent":
                    t.sent += 1
                elif r.status == "pending":
                    t.retry += 1
                elif r.status == "failed":
                    t.failed += 1
                else:
                    t.cancelled += 1
                for ch, code, _msg in r.attempts:
                    t.by_code[str(code)] = t.by_code.get(str(code), 0) + 1
                    if code == 0:
                        metrics.reminders_sent.labels(ch).inc()
                    else:  # None: transport error or no channel at all
                        metrics.reminders_failed.labels(str(code)).inc()
            total.add(t)
        if total.claimed:
            log.info("reminders: claimed %d, sent %d, retry %d, failed %d, cancelled %d",
                     total.claimed, total.sent, total.retry, total.failed, total.cancelled)
        return total

    def run_forever(self, interval_s: float | None = None) -> None:
        interval = interval_s if interval_s is not None else self.settings.scheduler_interval_s
        while not self._stop.is_set():
            try:
                self.run_once()
                self.last_pass, self.last_error = time.time(), None
                if self.heartbeat is not None:
                    self.heartbeat()
            except Exception as e:  # a database hiccup must not end the loop
                self.last_error = f"{type(e).__name__}: {e}"
                log.exception("scheduler pass failed; retrying in %ss", interval)
            self._stop.wait(interval)

    def stop(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True)


def build(settings: Settings, services: Any = None, clock: Clock = utcnow, **kw: Any) -> Scheduler:
    """A scheduler on the configured database and WeChat API. Plans are synced on every
    pass where the plan files changed, so events added to subscribed plans and newly
    published plans of a series (「新年度通知发布后提醒我」) are queued."""
    from bot.services import Services

    services = services or Services(settings)
    repo = ReminderRepo(get_engine(settings), settings, clock)
    ttl = max(3 * settings.scheduler_interval_s, 180.0)

    def heartbeat() -> None:  # read by /readyz in web workers when the scheduler runs apart
        from bot.readiness import HEARTBEAT_KEY

        services.store.set_json(HEARTBEAT_KEY, {"at": time.time(), "worker": socket.gethostname()}, ttl)

    kw.setdefault("heartbeat", heartbeat)
    return Scheduler(repo, WeChatSender(services.wechat), settings, plans_dir=settings.plans_dir, **kw)


def start_in_thread(settings: Settings, services: Any = None) -> Scheduler:
    """For `serve`: the scheduler loop in a daemon thread; `stop()` it on shutdown."""
    sched = build(settings, services)
    sched.thread = threading.Thread(target=sched.run_forever, name="reminder-scheduler", daemon=True)
    sched.thread.start()
    log.info("reminder scheduler started in-process (every %ss)", settings.scheduler_interval_s)
    return sched
