"""The scheduler `serve` starts from the app lifespan delivers on its own, and stops."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa

from bot.app import _start_scheduler
from bot.db import get_engine, outbox, utcnow
from bot.reminders.repo import ReminderRepo, idem_key
from bot.services import Services
from bot.settings import Settings
from bot.wechat.fake_server import FakeWeChat


def test_in_process_scheduler_delivers_and_stops(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, plans_dir=tmp_path, wechat_api_base=fake_wechat.base_url,
                 scheduler_interval_s=0.05, quiet_hours="")
    assert _start_scheduler(Services(s.model_copy(update={"scheduler_in_serve": False}))) is None
    now = utcnow()
    ReminderRepo(get_engine(s), s).touch("u1")  # the user wrote: customer-service window open
    with get_engine(s).begin() as c:
        c.execute(sa.insert(outbox).values(
            openid="u1", plan_id="p", event_id="e", lead=0, due_at=now - dt.timedelta(seconds=1),
            status="pending", attempts=0, idem_key=idem_key("u1", "p", "e", 0), created=now,
            payload=json.dumps({"plan": "测试计划", "event": "单位审核截止", "kind": "unit_review_deadline",
                                "edge": "date", "day": now.date().isoformat(), "lead": 0, "when": "",
                                "cite": ""}, ensure_ascii=False)))
    sched = _start_scheduler(Services(s))
    try:
        assert fake_wechat.wait_for(lambda f: len(f.texts("u1")) == 1, timeout=10)
        assert "单位审核截止" in fake_wechat.texts("u1")[0]
    finally:
        sched.stop()
