"""Users, subscriptions and the outbox, in the database of bot/db.py.

Exactly-once, and where it stops (read before changing `claim`/`finish`):
- Every reminder is ONE outbox row, UNIQUE (openid, plan_id, event_id, lead): subscribing
  twice, re-syncing plans or two schedulers enqueuing at once cannot create a second one.
- A worker claims due rows in one statement under a lease (`status='claimed'`,
  `claimed_by`, `claimed_until`). On PostgreSQL the candidate SELECT uses
  `FOR UPDATE SKIP LOCKED`; on SQLite the transaction starts with BEGIN IMMEDIATE, which
  serialises claimers. Two workers therefore never hold the same row.
- A worker claims only what it sends right away (a small batch), and records the result
  with `WHERE id=… AND claimed_by=me AND status='claimed'`, so a worker whose lease ran out
  cannot overwrite a row someone else has since taken.
- A crashed worker's rows become claimable again when the lease expires. Those rows may
  have reached WeChat before the crash (the residual window: at most one claimed batch per
  crash). They are re-sent with the SAME idempotency key: the template channel passes it as
  WeChat's `client_msg_id`, which WeChat deduplicates per (openid, client_msg_id) for ten
  minutes — shorter than that, the lease (default 120 s) keeps the re-send inside the
  window. Subscribe and customer-service messages have no such key: after a crash in the
  middle of sending one, a duplicate is possible. We prefer that to a lost deadline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.db import deliveries, outbox, plan_sync, scrub, subscriptions, users, utcnow
from bot.reminders.plans import PlanInfo
from bot.reminders.schedule import due_at, points
from bot.settings import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]  # naive UTC now
LEASE_S = 120.0


def idem_key(openid: str, plan_id: str, event_id: str, lead: int) -> str:
    """Stable per outbox key; 32 hex chars fit WeChat's client_msg_id."""
    return hashlib.sha1(f"{openid}|{plan_id}|{event_id}|{lead}".encode()).hexdigest()[:32]


@dataclass
class Claimed:
    id: int
    openid: str
    plan_id: str
    event_id: str
    lead: int
    due_at: dt.datetime
    attempts: int
    idem_key: str
    payload: dict[str, Any]
    last_message_at: dt.datetime | None
    unsubscribed: bool
    resend: bool  # claimed before by a worker that never finished: may have been delivered


@dataclass
class Result:
    """What delivery did with one claimed row."""

    id: int
    openid: str
    plan_id: str
    status: str  # sent | pending (retry at `retry_at`) | failed | cancelled
    attempts: list[tuple[str, int | None, str]]  # (channel, errcode, errmsg) in order
    channel: str | None = None
    retry_at: dt.datetime | None = None
    stop_user: bool = False

    @property
    def last_errcode(self) -> int | None:
        return self.attempts[-1][1] if self.attempts else None


class ReminderRepo:
    def __init__(self, engine: Engine, settings: Settings, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self._pg = engine.dialect.name == "postgresql"

    # --- helpers ---------------------------------------------------------------------
    def _insert_ignore(self, table: Any) -> Any:
        ins = (postgresql.insert if self._pg else sqlite.insert)(table)
        return ins.on_conflict_do_nothing()

    # --- users ---------------------------------------------------------------------------
    def touch(self, openid: str, at: dt.datetime | None = None) -> None:
        """The user wrote to us: opens the 48-hour customer-service window and, after a
        re-follow, allows pushes again."""
        now = at or self.clock()
        ins = (postgresql.insert if self._pg else sqlite.insert)(users).values(
            openid=openid, last_message_at=now, unsubscribed=False, created=now)
        stmt = ins.on_conflict_do_update(index_elements=[users.c.openid],
                                         set_={"last_message_at": now, "unsubscribed": False})
        with self.engine.begin() as c:
            c.execute(stmt)

    def stop_user(self, openid: str) -> int:
        """Unsubscribe event or 43004: no more pushes of any kind. Returns rows cancelled."""
        now = self.clock()
        with self.engine.begin() as c:
            c.execute(self._insert_ignore(users).values(openid=openid, unsubscribed=True, created=now))
            c.execute(update(users).where(users.c.openid == openid).values(unsubscribed=True))
            c.execute(update(subscriptions).where(subscriptions.c.openid == openid).values(active=False))
            return c.execute(update(outbox).where(outbox.c.openid == openid, outbox.c.status == "pending")
                             .values(status="cancelled")).rowcount

    def forget_user(self, openid: str) -> dict[str, int]:
        """「删除我的信息」: every row that names the user, in every table, and (SQLite) no copy
        left in the file's free pages or its WAL."""
        with self.engine.begin() as c:
            counts = {t.name: c.execute(delete(t).where(t.c.openid == openid)).rowcount
                      for t in (subscriptions, outbox, deliveries, users)}
        scrub(self.engine)
        return counts

    def purge_expired(self, unfollowed_days: int, deliveries_days: int) -> dict[str, int]:
        """The retention policy (README, "Personal data"): users who unfollowed and have not
        written for `unfollowed_days`, with every row naming them; delivery log rows and
        finished reminders older than `deliveries_days`."""
        now = self.clock()
        cut_users = now - dt.timedelta(days=unfollowed_days)
        cut_log = now - dt.timedelta(days=deliveries_days)
        gone = select(users.c.openid).where(
            users.c.unsubscribed.is_(True), func.coalesce(users.c.last_message_at, users.c.created) < cut_users)
        with self.engine.begin() as c:
            counts = {f"{t.name}_of_unfollowed": c.execute(delete(t).where(t.c.openid.in_(gone))).rowcount
                      for t in (subscriptions, outbox, deliveries)}
            counts["users_unfollowed"] = c.execute(delete(users).where(users.c.openid.in_(gone))).rowcount
            counts["deliveries_old"] = c.execute(delete(deliveries).where(deliveries.c.at < cut_log)).rowcount
            # Finished rows only, and due long ago: re-syncing a plan never re-creates them
            # (past reminders are not queued).
            counts["outbox_old"] = c.execute(delete(outbox).where(
                outbox.c.status.in_(("sent", "failed", "cancelled")), outbox.c.due_at < cut_log)).rowcount
        if any(counts.values()):
            scrub(self.engine)
        return counts

    # --- subscriptions ---------------------------------------------------------------------
    def subscribe(self, openid: str, plan: PlanInfo, role: str) -> int:
        """Subscribe to a plan's dated events for `role`; returns reminders scheduled."""
        now = self.clock()
        with self.engine.begin() as c:
            c.execute(self._insert_ignore(users).values(openid=openid, unsubscribed=False, created=now))
            c.execute(self._insert_ignore(subscriptions).values(
                openid=openid, plan_id=plan.id, series="", role=role, kind="plan", created=now, active=True))
            c.execute(update(subscriptions).where(
                subscriptions.c.openid == openid, subscriptions.c.plan_id == plan.id,
                subscriptions.c.role == role, subscriptions.c.kind == "plan").values(active=True))
            return self._enqueue_plan(c, [openid], plan, role, now)

    def subscribe_series(self, openid: str, plan: PlanInfo, role: str) -> None:
        """「新年度通知发布后提醒我」: one message when a later plan of the series appears."""
        now = self.clock()
        with self.engine.begin() as c:
            c.execute(self._insert_ignore(users).values(openid=openid, unsubscribed=False, created=now))
            c.execute(self._insert_ignore(subscriptions).values(
                openid=openid, plan_id=plan.id, series=plan.series_key, role=role, kind="series_next",
                created=now, active=True))
            c.execute(update(subscriptions).where(
                subscriptions.c.openid == openid, subscriptions.c.series == plan.series_key,
                subscriptions.c.kind == "series_next").values(active=True))

    def _enqueue_plan(self, c: Any, openids: Sequence[str], plan: PlanInfo, role: str,
                      now: dt.datetime) -> int:
        rows = []
        for event in plan.timeline:
            if not event.applies_to(role):
                continue
            for p in points(event, self.settings.reminder_lead_days):
                due = due_at(p.day, p.lead, self.settings)
                if due <= now:
                    continue  # a reminder whose moment has passed is not sent late
                payload = json.dumps({"plan": plan.label, "event": event.text, "kind": event.kind,
                                      "edge": p.edge, "day": p.day.isoformat(), "lead": p.lead,
                                      "when": event.when_text(), "cite": event.clause.cite()},
                                     ensure_ascii=False)
                rows += [{"openid": o, "plan_id": plan.id, "event_id": p.key, "lead": p.lead,
                          "due_at": due, "status": "pending", "attempts": 0, "payload": payload,
                          "idem_key": idem_key(o, plan.id, p.key, p.lead), "created": now}
                         for o in openids]
        if not rows:
            return 0
        ins = (postgresql.insert if self._pg else sqlite.insert)(outbox)
        # A date corrected in the plan moves reminders not yet sent; sent ones stay sent.
        c.execute(ins.on_conflict_do_update(
            index_elements=["openid", "plan_id", "event_id", "lead"],
            set_={"due_at": ins.excluded.due_at, "payload": ins.excluded.payload},
            where=outbox.c.status == "pending"), rows)
        return len(rows) // max(1, len(openids))

    def unsubscribe(self, openid: str, plan_id: str | None = None) -> int:
        """「取消提醒」: stop one plan's reminders (or all); returns subscriptions stopped."""
        with self.engine.begin() as c:
            cond = [subscriptions.c.openid == openid, subscriptions.c.active.is_(True)]
            ocond = [outbox.c.openid == openid, outbox.c.status == "pending"]
            if plan_id:
                cond.append(subscriptions.c.plan_id == plan_id)
                ocond.append(outbox.c.plan_id == plan_id)
            n = c.execute(update(subscriptions).where(*cond).values(active=False)).rowcount
            c.execute(update(outbox).where(*ocond).values(status="cancelled"))
            return n

    def list_subscriptions(self, openid: str) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(select(subscriptions).where(subscriptions.c.openid == openid,
                                                         subscriptions.c.active.is_(True))
                             .order_by(subscriptions.c.id)).mappings().all()
        return [dict(r) for r in rows]

    def pending_for(self, openid: str) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(select(outbox.c.plan_id, outbox.c.event_id, outbox.c.lead, outbox.c.due_at,
                                    outbox.c.payload)
                             .where(outbox.c.openid == openid, outbox.c.status == "pending")
                             .order_by(outbox.c.due_at)).mappings().all()
        return [dict(r) for r in rows]

    # --- plan (re)load ------------------------------------------------------------------------
    SYNC_CHUNK = 1000

    def _digest(self, plan: PlanInfo) -> str:
        st = self.settings
        blob = json.dumps([[e.model_dump(mode="json") for e in plan.timeline], plan.label,
                           sorted(st.reminder_lead_days), st.reminder_send_time, st.quiet_hours, st.timezone],
                          ensure_ascii=False, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()

    def sync_plans(self, plans: dict[str, PlanInfo]) -> dict[str, int]:
        """After plans are (re)loaded: re-schedule subscribed plans whose timeline changed
        (new events queued, moved dates move pending reminders, removed events cancelled),
        and turn 「新年度通知发布后提醒我」 into one message when a later plan of the series
        appears. Subscribers are read in chunks: memory does not grow with their number."""
        now = self.clock()
        added = notified = 0
        with self.engine.connect() as c:
            done = dict(c.execute(select(plan_sync.c.plan_id, plan_sync.c.digest)).all())
        for plan in plans.values():
            digest = self._digest(plan)
            if done.get(plan.id) == digest:
                continue
            keys = [p.key for e in plan.timeline for p in points(e, self.settings.reminder_lead_days)]
            with self.engine.begin() as c:
                # Events the plan no longer has (an HR officer removed or renamed one): not sent.
                c.execute(update(outbox).where(
                    outbox.c.plan_id == plan.id, outbox.c.status == "pending", outbox.c.event_id != "new_plan",
                    outbox.c.event_id.not_in(keys or [""])).values(status="cancelled"))
            for chunk in self._subscribers(plan_id=plan.id):
                by_role: dict[str, list[str]] = {}
                for row in chunk:
                    by_role.setdefault(row.role, []).append(row.openid)
                with self.engine.begin() as c:
                    for role, openids in by_role.items():
                        added += self._enqueue_plan(c, openids, plan, role, now)
            with self.engine.begin() as c:
                c.execute(delete(plan_sync).where(plan_sync.c.plan_id == plan.id))
                c.execute(insert(plan_sync).values(plan_id=plan.id, digest=digest, synced_at=now))
        for chunk in self._subscribers(kind="series_next"):
            with self.engine.begin() as c:
                for s in chunk:
                    notified += self._notify_series(c, s, plans, now)
        return {"added": added, "series_notified": notified}

    def _subscribers(self, plan_id: str | None = None, kind: str = "plan") -> Iterator[list[Any]]:
        """Active subscriptions in chunks, by id (keyset pagination)."""
        last = 0
        while True:
            q = select(subscriptions).where(subscriptions.c.active.is_(True), subscriptions.c.kind == kind,
                                            subscriptions.c.id > last)
            if plan_id is not None:
                q = q.where(subscriptions.c.plan_id == plan_id)
            with self.engine.connect() as c:
                rows = c.execute(q.order_by(subscriptions.c.id).limit(self.SYNC_CHUNK)).all()
            if not rows:
                return
            yield rows
            last = rows[-1].id

    def _notify_series(self, c: Any, s: Any, plans: dict[str, PlanInfo], now: dt.datetime) -> int:
        base = plans.get(s.plan_id)
        if base is None or not base.year:
            return 0
        newer = [p for p in plans.values() if p.series_key == s.series and p.year and p.year > base.year]
        if not newer:
            return 0
        new = max(newer, key=lambda p: p.year or 0)
        payload = json.dumps({"plan": new.label, "event": "新年度通知已发布", "kind": "new_plan",
                              "edge": "date", "day": "", "lead": 0, "when": str(new.year),
                              "cite": "", "new_plan_id": new.id}, ensure_ascii=False)
        c.execute(self._insert_ignore(outbox).values(
            openid=s.openid, plan_id=new.id, event_id="new_plan", lead=0,
            due_at=due_now(now, self.settings), status="pending", attempts=0, payload=payload,
            idem_key=idem_key(s.openid, new.id, "new_plan", 0), created=now))
        c.execute(update(subscriptions).where(subscriptions.c.id == s.id).values(active=False))
        return 1

    # --- outbox: claim and finish ---------------------------------------------------------------
    def claim(self, worker: str, limit: int, lease_s: float = LEASE_S) -> list[Claimed]:
        """Atomically take up to `limit` due rows (and rows whose claimer's lease ran out)."""
        now = self.clock()
        due = or_(and_(outbox.c.status == "pending", outbox.c.due_at <= now),
                  and_(outbox.c.status == "claimed", outbox.c.claimed_until < now))
        with self.engine.begin() as c:
            cand = (select(outbox.c.id, outbox.c.status).where(due).order_by(outbox.c.due_at)
                    .limit(limit).with_for_update(skip_locked=True))
            picked = c.execute(cand).all()
            if not picked:
                return []
            ids = [r.id for r in picked]
            reclaimed = {r.id for r in picked if r.status == "claimed"}
            c.execute(update(outbox).where(outbox.c.id.in_(ids)).values(
                status="claimed", claimed_by=worker, claimed_until=now + dt.timedelta(seconds=lease_s),
                send_started=now, attempts=outbox.c.attempts + 1))
            rows = c.execute(
                select(outbox, users.c.last_message_at, users.c.unsubscribed)
                .select_from(outbox.outerjoin(users, users.c.openid == outbox.c.openid))
                .where(outbox.c.id.in_(ids)).order_by(outbox.c.due_at)).mappings().all()
        return [Claimed(id=r["id"], openid=r["openid"], plan_id=r["plan_id"], event_id=r["event_id"],
                        lead=r["lead"], due_at=r["due_at"], attempts=r["attempts"], idem_key=r["idem_key"],
                        payload=json.loads(r["payload"]), last_message_at=r["last_message_at"],
                        unsubscribed=bool(r["unsubscribed"]), resend=r["id"] in reclaimed) for r in rows]

    def finish(self, worker: str, results: Iterable[Result]) -> int:
        """Record a batch of outcomes in one transaction; returns rows whose lease we still
        held (others were taken over and are left to their new owner)."""
        results = list(results)
        if not results:
            return 0
        now = self.clock()
        log_rows = [{"outbox_id": r.id, "openid": r.openid, "plan_id": r.plan_id, "channel": ch,
                     "errcode": code, "errmsg": (msg or "")[:200], "worker": worker, "at": now}
                    for r in results for ch, code, msg in r.attempts]
        params = [{"b_id": r.id, "b_status": r.status, "b_channel": r.channel, "b_err": r.last_errcode,
                   "b_sent": now if r.status == "sent" else None,
                   "b_due": r.retry_at} for r in results]
        stmt = (update(outbox)
                .where(outbox.c.id == bindparam("b_id"), outbox.c.claimed_by == worker,
                       outbox.c.status == "claimed")
                .values(status=bindparam("b_status"), channel=bindparam("b_channel"),
                        last_errcode=bindparam("b_err"), sent_at=bindparam("b_sent"),
                        due_at=func.coalesce(bindparam("b_due", type_=outbox.c.due_at.type), outbox.c.due_at),
                        claimed_by=None, claimed_until=None))
        with self.engine.begin() as c:
            res = c.execute(stmt, params)
            if log_rows:
                c.execute(insert(deliveries), log_rows)
            for openid in {r.openid for r in results if r.stop_user}:
                c.execute(update(users).where(users.c.openid == openid).values(unsubscribed=True))
                c.execute(update(subscriptions).where(subscriptions.c.openid == openid).values(active=False))
                c.execute(update(outbox).where(outbox.c.openid == openid, outbox.c.status == "pending")
                          .values(status="cancelled"))
        kept = res.rowcount if res.rowcount is not None and res.rowcount >= 0 else len(params)
        if kept < len(params):
            log.warning("%d outbox rows were taken over by another worker before we finished",
                        len(params) - kept)
        return kept

    # --- views ---------------------------------------------------------------------------------
    def upcoming(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(select(outbox.c.due_at, outbox.c.plan_id, outbox.c.event_id, outbox.c.lead,
                                    func.count().label("n"))
                             .where(outbox.c.status.in_(("pending", "claimed")))
                             .group_by(outbox.c.due_at, outbox.c.plan_id, outbox.c.event_id, outbox.c.lead)
                             .order_by(outbox.c.due_at).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def stats(self) -> dict[str, Any]:
        """Subscriber counts per plan and delivery results (OpenIDs only where failing)."""
        with self.engine.connect() as c:
            subs = c.execute(select(subscriptions.c.plan_id, subscriptions.c.kind, subscriptions.c.role,
                                    func.count(func.distinct(subscriptions.c.openid)).label("n"))
                             .where(subscriptions.c.active.is_(True))
                             .group_by(subscriptions.c.plan_id, subscriptions.c.kind, subscriptions.c.role)
                             ).mappings().all()
            status = c.execute(select(outbox.c.plan_id, outbox.c.status, func.count().label("n"))
                               .group_by(outbox.c.plan_id, outbox.c.status)).mappings().all()
            codes = c.execute(select(deliveries.c.channel, deliveries.c.errcode, func.count().label("n"))
                              .group_by(deliveries.c.channel, deliveries.c.errcode)).mappings().all()
            failed = c.execute(select(outbox.c.openid, outbox.c.plan_id, outbox.c.event_id,
                                      outbox.c.last_errcode, outbox.c.attempts)
                               .where(outbox.c.status == "failed").order_by(outbox.c.id.desc())
                               .limit(50)).mappings().all()
        plans: dict[str, Any] = {}
        for r in subs:
            p = plans.setdefault(r["plan_id"], {"subscribers": {}, "outbox": {}})
            p["subscribers"][f"{r['kind']}:{r['role']}"] = r["n"]
        for r in status:
            plans.setdefault(r["plan_id"], {"subscribers": {}, "outbox": {}})["outbox"][r["status"]] = r["n"]
        return {"plans": plans,
                "attempts": [{"channel": r["channel"], "errcode": r["errcode"], "count": r["n"]} for r in codes],
                "recent_failures": [dict(r) for r in failed]}


def due_now(now: dt.datetime, settings: Settings) -> dt.datetime:
    from bot.reminders.schedule import defer

    return defer(now, dt.timedelta(0), settings)
