"""Error injection against the fake WeChat API: each handled errcode does what it should."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import Clock

from bot.db import deliveries, get_engine, outbox, users
from bot.reminders.delivery import WeChatSender
from bot.reminders.plans import load_plan_infos
from bot.reminders.repo import ReminderRepo
from bot.reminders.scheduler import Scheduler
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from bot.wechat.client import WeChatAPI
from bot.wechat.fake_server import FakeWeChat

T, S, C = "/cgi-bin/message/template/send", "/cgi-bin/message/subscribe/bizsend", "/cgi-bin/message/custom/send"


def _setup(settings: Settings, fake: FakeWeChat, tmp: Path, window_open: bool = True, **over: str):
    s = settings.model_copy(update={"wechat_api_base": fake.base_url, "template_id_reminder": "TPL",
                                    "subscribe_template_id": "SUB", **over})
    clock = Clock(dt.datetime(2027, 1, 1))
    clock.local(2027, 8, 10, 12, 0)
    repo = ReminderRepo(get_engine(s), s, clock)
    repo.touch("u1")  # wrote to us: the 48-hour window is open
    repo.subscribe("u1", load_plan_infos(s.plans_dir)["linping-manufacturing-engineer-2027"], "applicant")
    api = WeChatAPI(s, SQLiteStore(tmp / "state.db"))
    api.BACKOFF_S = 0.0
    clock.local(2027, 8, 14, 9, 0)  # 网上申报 closes tomorrow: one reminder due
    if window_open:
        repo.touch("u1", clock.now - dt.timedelta(hours=47))
    return s, repo, clock, Scheduler(repo, WeChatSender(api), s, threads=2)


def _row(repo: ReminderRepo) -> dict:
    with repo.engine.connect() as c:
        return dict(c.execute(sa.select(outbox).where(outbox.c.event_id == "online_submission",
                                                      outbox.c.lead == 1)).mappings().one())


def _codes(repo: ReminderRepo) -> list[tuple[str, int | None]]:
    with repo.engine.connect() as c:
        return [(r.channel, r.errcode) for r in c.execute(sa.select(deliveries).order_by(deliveries.c.id))]


@pytest.mark.parametrize(("inject", "status", "channel", "codes"), [
    ({}, "sent", "template", [("template", 0)]),
    ({T: 40037}, "sent", "subscribe", [("template", 40037), ("subscribe", 0)]),
    ({T: 40037, S: 43101}, "sent", "custom", [("template", 40037), ("subscribe", 43101), ("custom", 0)]),
    ({T: 40037, S: 43101, C: 45015}, "failed", None,
     [("template", 40037), ("subscribe", 43101), ("custom", 45015)]),
])
def test_ladder(db_settings: Settings, fake_wechat: FakeWeChat, tmp_path: Path, inject: dict,
                status: str, channel: str | None, codes: list) -> None:
    _, repo, _, sched = _setup(db_settings, fake_wechat, tmp_path)
    for path, code in inject.items():
        fake_wechat.inject(path, code)
    sched.run_once()
    row = _row(repo)
    assert (row["status"], row["channel"]) == (status, channel)
    assert _codes(repo) == codes


def test_43004_stops_the_user(db_settings: Settings, fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    _, repo, clock, sched = _setup(db_settings, fake_wechat, tmp_path)
    fake_wechat.inject(T, 43004)
    sched.run_once()
    assert _row(repo)["status"] == "cancelled"
    with repo.engine.connect() as c:
        assert c.execute(sa.select(users.c.unsubscribed).where(users.c.openid == "u1")).scalar() is True
        left = c.execute(sa.select(sa.func.count()).select_from(outbox)
                         .where(outbox.c.status == "pending")).scalar()
    assert left == 0
    clock.local(2027, 8, 15, 9, 0)
    assert sched.run_once().claimed == 0
    assert _codes(repo) == [("template", 43004)]


@pytest.mark.parametrize(("code", "times"), [(45009, 1), (45047, 1), (-1, 1)])
def test_busy_and_quota_back_off_then_deliver(db_settings: Settings, fake_wechat: FakeWeChat,
                                              tmp_path: Path, code: int, times: int) -> None:
    _s, repo, clock, sched = _setup(db_settings, fake_wechat, tmp_path)
    fake_wechat.inject(T, code, times=times)
    sched.run_once()
    row = _row(repo)
    assert row["status"] == "pending" and row["last_errcode"] == code
    assert row["due_at"] > clock.now  # later, not now
    assert sched.run_once().claimed == 0  # not retried before its time
    clock.now = row["due_at"]
    sched.run_once()
    row = _row(repo)
    assert (row["status"], row["channel"]) == ("sent", "template")
    assert [c for c in _codes(repo)] == [("template", code), ("template", 0)]
    sent = [c for c in fake_wechat.calls_to(T) if c.errcode == 0]
    assert len(sent) == 1


def test_token_error_refreshes_once(db_settings: Settings, fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    _, repo, _, sched = _setup(db_settings, fake_wechat, tmp_path)
    sched.run_once()  # warm the token
    fake_wechat.revoke_tokens()
    tokens = fake_wechat.token_requests
    repo.clock.local(2027, 8, 15, 9, 0)  # type: ignore[attr-defined]
    t = sched.run_once()
    assert t.sent == 1 and fake_wechat.token_requests == tokens + 1


def test_no_channel_and_window_closed_fails_with_reason(db_settings: Settings, fake_wechat: FakeWeChat,
                                                        tmp_path: Path) -> None:
    _, repo, _clock, sched = _setup(db_settings, fake_wechat, tmp_path, window_open=False,
                                   template_id_reminder="", subscribe_template_id="")
    # The user last wrote on 8 月 10 日: on 8 月 14 日 the 48-hour window is closed.
    sched.run_once()
    assert _row(repo)["status"] == "failed"
    assert _codes(repo) == [("none", None)]
    assert fake_wechat.calls_to(C) == []
