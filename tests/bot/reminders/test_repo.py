"""Outbox behaviour beyond one season: new-year notifications, plan edits, several workers,
and the migrations matching the table definitions."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import LINPING, Clock, future_plan

from bot.db import get_engine, make_engine, metadata, outbox, subscriptions, utcnow
from bot.reminders.delivery import WeChatSender
from bot.reminders.plans import load_plan_infos
from bot.reminders.repo import ReminderRepo, idem_key
from bot.reminders.scheduler import Scheduler
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from bot.wechat.client import WeChatAPI
from bot.wechat.fake_server import FakeWeChat

T = "/cgi-bin/message/template/send"


def _sender(s: Settings, tmp: Path) -> WeChatSender:
    return WeChatSender(WeChatAPI(s, SQLiteStore(tmp / "state.db")))


def test_new_year_plan_notifies_series_subscribers_once(db_settings: Settings, fake_wechat: FakeWeChat,
                                                        tmp_path: Path) -> None:
    plans = tmp_path / "series-plans"
    plans.mkdir()
    (plans / LINPING.name).write_text(LINPING.read_text(encoding="utf-8"), encoding="utf-8")
    s = db_settings.model_copy(update={"wechat_api_base": fake_wechat.base_url, "plans_dir": plans})
    clock = Clock(dt.datetime(2027, 1, 1))
    clock.local(2026, 11, 25, 22, 0)  # quiet hours
    repo = ReminderRepo(get_engine(s), s, clock)
    old = load_plan_infos(plans)["linping-manufacturing-engineer-2022"]
    repo.subscribe_series("u1", old, "applicant")
    sched = Scheduler(repo, _sender(s, tmp_path), s, threads=2, plans_dir=plans)
    assert sched.run_once().claimed == 0  # nothing newer yet
    future_plan(plans, 2027)  # the 2027 notice is published
    repo.touch("u1")
    assert sched.run_once().claimed == 0  # found, but it is 22:00: waits for the quiet hours to end
    clock.local(2026, 11, 26, 8, 0)
    repo.touch("u1")
    assert sched.run_once().sent == 1
    texts = fake_wechat.texts("u1")
    assert len(texts) == 1 and "2027" in texts[0] and "已发布" in texts[0]
    (plans / "linping-manufacturing-engineer-2027.yaml").touch()  # another reload
    clock.local(2026, 11, 27, 9, 0)
    sched.run_once()
    assert len(fake_wechat.texts("u1")) == 1  # once, not at every reload
    assert repo.list_subscriptions("u1") == []


def test_plan_edits_move_and_cancel_pending_reminders(db_settings: Settings) -> None:
    clock = Clock(dt.datetime(2027, 1, 1))
    clock.local(2027, 7, 10, 10, 0)
    repo = ReminderRepo(get_engine(db_settings), db_settings, clock)
    path = db_settings.plans_dir / "linping-manufacturing-engineer-2027.yaml"
    repo.subscribe("u1", load_plan_infos(db_settings.plans_dir)["linping-manufacturing-engineer-2027"], "hr")
    text = path.read_text(encoding="utf-8").replace("date: 2027-08-26", "date: 2027-08-28")
    text = text.replace("- id: forms_to_committee", "- id: forms_handed_in")
    path.write_text(text, encoding="utf-8")
    assert repo.sync_plans(load_plan_infos(db_settings.plans_dir))["added"] == 6
    assert repo.sync_plans(load_plan_infos(db_settings.plans_dir))["added"] == 0  # unchanged: skipped
    with repo.engine.connect() as c:
        rows = c.execute(sa.select(outbox.c.event_id, outbox.c.lead, outbox.c.status, outbox.c.due_at)).all()
    unit = {r.lead: r.due_at for r in rows if r.event_id == "unit_review"}
    assert unit[0] == dt.datetime(2027, 8, 28, 1, 0)  # 09:00 Asia/Shanghai on the new date
    assert {r.status for r in rows if r.event_id == "forms_to_committee"} == {"cancelled"}
    assert {r.status for r in rows if r.event_id == "forms_handed_in"} == {"pending"}


def test_two_workers_deliver_each_reminder_once(db_settings: Settings, fake_wechat: FakeWeChat,
                                                tmp_path: Path) -> None:
    s = db_settings.model_copy(update={"wechat_api_base": fake_wechat.base_url, "template_id_reminder": "TPL",
                                       "quiet_hours": ""})
    now = utcnow()
    engine = get_engine(s)
    payload = json.dumps({"plan": "p", "event": "e", "kind": "other", "edge": "date", "day": "2027-08-15",
                          "lead": 0, "when": "", "cite": ""})
    with engine.begin() as c:
        c.execute(sa.insert(outbox), [
            {"openid": f"o{i}", "plan_id": "p", "event_id": "e", "lead": 0, "due_at": now, "status": "pending",
             "attempts": 0, "idem_key": idem_key(f"o{i}", "p", "e", 0), "payload": payload, "created": now}
            for i in range(400)])
    workers = [Scheduler(ReminderRepo(make_engine(s.db_url), s), _sender(s, tmp_path), s, threads=4, batch=8,
                         worker=f"w{k}") for k in range(2)]
    tallies = [None, None]

    def run(k: int) -> None:
        tallies[k] = workers[k].run_once()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    per_user = Counter(c.json["touser"] for c in fake_wechat.calls_to(T))
    assert len(per_user) == 400 and max(per_user.values()) == 1
    assert all(t is not None and t.sent > 0 for t in tallies)  # both worked, neither twice
    for w in workers:
        w.stop()
        w.repo.engine.dispose()


def test_migrations_match_the_table_definitions(db_settings: Settings) -> None:
    engine = get_engine(db_settings)
    if engine.dialect.name == "postgresql":
        from bot.db import upgrade

        upgrade(db_settings.db_url)
    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), metadata)
    assert diff == []
    with engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(subscriptions)).scalar() == 0
