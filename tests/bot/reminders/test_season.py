"""Time travel through a whole season with a plan moved to 2027: subscribe in July, get each
reminder on its day at 09:00, nothing in quiet hours, nothing twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from conftest import Clock

from bot.db import get_engine
from bot.reminders.delivery import WeChatSender
from bot.reminders.plans import load_plan_infos
from bot.reminders.repo import ReminderRepo
from bot.reminders.scheduler import Scheduler
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from bot.wechat.client import WeChatAPI
from bot.wechat.fake_server import FakeWeChat

TPL = "/cgi-bin/message/template/send"


def _season(settings: Settings, fake: FakeWeChat, tmp: Path) -> dict[str, list[dt.datetime]]:
    s = settings.model_copy(update={"wechat_api_base": fake.base_url, "template_id_reminder": "TPL"})
    clock = Clock(dt.datetime(2027, 1, 1))
    clock.local(2027, 7, 10, 10, 0)
    repo = ReminderRepo(get_engine(s), s, clock)
    plan = load_plan_infos(s.plans_dir)["linping-manufacturing-engineer-2027"]
    repo.subscribe("applicant-1", plan, "applicant")
    repo.subscribe("hr-1", plan, "hr")
    repo.subscribe("applicant-1", plan, "applicant")  # twice: still one set of reminders
    sched = Scheduler(repo, WeChatSender(WeChatAPI(s, SQLiteStore(tmp / "state.db"))), s, threads=2)
    got: dict[str, list[dt.datetime]] = {}
    seen = 0
    while clock.now < dt.datetime(2027, 10, 25):
        clock.now += dt.timedelta(hours=1)
        sched.run_once()
        calls = fake.calls_to(TPL)
        for c in calls[seen:]:
            got.setdefault(c.json["touser"], []).append(clock.now + dt.timedelta(hours=8))
        seen = len(calls)
    sched.stop()
    keys = Counter((c.json["touser"], c.json["client_msg_id"]) for c in fake.calls_to(TPL))
    assert max(keys.values()) == 1, "a reminder was sent twice"
    return got


def test_whole_season_each_reminder_on_its_day(db_settings: Settings, fake_wechat: FakeWeChat,
                                               tmp_path: Path) -> None:
    got = _season(db_settings, fake_wechat, tmp_path)
    days = {u: sorted(t.date().isoformat() for t in ts) for u, ts in got.items()}
    # 网上申报 8 月 1 日至 15 日: 7/1/0 days before it opens and before it closes.
    assert days["applicant-1"] == ["2027-07-25", "2027-07-31", "2027-08-01",
                                   "2027-08-08", "2027-08-14", "2027-08-15"]
    # HR: unit review by 8 月 26 日 and the forms hand-in by 10 月 20 日; not the applicant window.
    assert days["hr-1"] == ["2027-08-19", "2027-08-25", "2027-08-26",
                            "2027-10-13", "2027-10-19", "2027-10-20"]
    assert {t.hour for ts in got.values() for t in ts} == {9}


def test_send_time_in_quiet_hours_waits_for_their_end(db_settings: Settings, fake_wechat: FakeWeChat,
                                                      tmp_path: Path) -> None:
    s = db_settings.model_copy(update={"reminder_send_time": "22:30"})
    got = _season(s, fake_wechat, tmp_path)
    times = [t for ts in got.values() for t in ts]
    assert times and {t.hour for t in times} == {8}
    assert "2027-08-16" in {t.date().isoformat() for t in got["applicant-1"]}


@pytest.mark.parametrize("when", ["2026-11-25"])
def test_past_plan_schedules_nothing(db_settings: Settings, when: str) -> None:
    clock = Clock(dt.datetime.fromisoformat(when))
    repo = ReminderRepo(get_engine(db_settings), db_settings, clock)
    from bot.reminders.plans import plan_info
    from bot.settings import KNOWLEDGE_DIR
    from knowledge.eligibility.plans import load_plans

    real = plan_info(load_plans(KNOWLEDGE_DIR / "plans")["linping-manufacturing-engineer-2022"])
    assert repo.subscribe("u", real, "applicant") == 0
    assert repo.upcoming() == []


def test_outage_never_pushes_in_quiet_hours_nor_stale_text(db_settings: Settings, fake_wechat: FakeWeChat,
                                                           tmp_path: Path) -> None:
    s = db_settings.model_copy(update={"wechat_api_base": fake_wechat.base_url, "template_id_reminder": "TPL"})
    clock = Clock(dt.datetime(2027, 1, 1))
    clock.local(2027, 8, 10, 10, 0)
    repo = ReminderRepo(get_engine(s), s, clock)
    repo.subscribe("hr-1", load_plan_infos(s.plans_dir)["linping-manufacturing-engineer-2027"], "hr")
    sched = Scheduler(repo, WeChatSender(WeChatAPI(s, SQLiteStore(tmp_path / "state.db"))), s, threads=2)
    clock.local(2027, 8, 25, 22, 30)  # down all day: the 09:00 「明天截止」 is overdue, and it is quiet time
    assert sched.run_once().claimed == 0
    clock.local(2027, 8, 26, 8, 0)  # quiet hours over: 「明天」 would now be wrong, so it is dropped
    assert sched.run_once().sent == 0
    clock.local(2027, 8, 26, 9, 0)
    assert sched.run_once().sent == 1
    sched.stop()
    (call,) = [c for c in fake_wechat.calls_to(TPL) if c.errcode == 0]
    assert "用人单位网上审核推荐截止，8月26日（今天）" in call.json["data"]["remark"]["value"]
