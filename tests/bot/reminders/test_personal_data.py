"""Personal data: 「删除我的信息」 leaves no copy of the OpenID in the SQLite files (secure_delete,
WAL checkpoint), the retention purge deletes what the README says it keeps no longer, and the
files are readable by the service's user only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from conftest import Clock, future_plan

from bot.app import create_app
from bot.db import deliveries, dispose_engines, get_engine, outbox, subscriptions, users
from bot.reminders.plans import load_plan_infos
from bot.reminders.repo import ReminderRepo
from bot.reminders.scheduler import Scheduler
from bot.services import set_services
from bot.settings import Settings
from bot.wechat.loopback import serve_in_thread
from bot.wechat.webhook import WebhookCodec, parse_xml

OPENID = "oWipeMe_0123456789abcdefXYZ"  # 28 characters, like WeChat's


def _say(url: str, codec: WebhookCodec, user: str, text: str, n: list[int]) -> str:
    from benchmarks.faults import text_xml

    n[0] += 1
    params, body = codec.sign_request(text_xml(user, text, 7_000_000 + n[0]))
    r = httpx.post(f"{url}/wechat", params=params, content=body.encode(), timeout=20)
    assert r.status_code == 200
    return "" if r.text == "success" else parse_xml(r.text)["Content"]


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    plans = tmp_path / "plans"
    future_plan(plans)
    settings = Settings(data_dir=tmp_path / "data", plans_dir=plans, scheduler_in_serve=False)
    try:
        with serve_in_thread(create_app(settings), lifespan="off") as url:
            yield url, settings
    finally:
        from bot.reminders import activity

        activity.flush()  # nothing left for the background writer (it would migrate a new engine)
        set_services(None)
        dispose_engines()


def _files_holding(data: Path, needle: bytes) -> list[str]:
    return [f.name for f in sorted(data.iterdir()) if f.is_file() and needle in f.read_bytes()]


def test_deleted_user_leaves_no_openid_in_any_database_file(bot: tuple[str, Settings]) -> None:
    url, settings = bot
    codec, n = WebhookCodec(settings), [0]
    # Everything the bot keeps about a user: a dialog, reminder subscriptions and the outbox,
    # the 48-hour window (users), a delivery log row; repeated, so older versions pile up.
    for _ in range(3):
        assert "评审计划" in _say(url, codec, OPENID, "资格自测", n)
        _say(url, codec, OPENID, "2", n)
    repo = ReminderRepo(get_engine(settings), settings)
    plan = next(iter(load_plan_infos(settings.plans_dir).values()))
    assert repo.subscribe(OPENID, plan, "applicant") > 0
    with get_engine(settings).begin() as c:
        c.execute(sa.insert(deliveries).values(openid=OPENID, channel="template", errcode=0, at=dt.datetime(2027, 1, 1)))
    from bot.reminders import activity

    activity.flush()
    data = settings.data_dir
    assert set(_files_holding(data, OPENID.encode())) >= {"state.db-wal", "bot.db-wal"} or \
        set(_files_holding(data, OPENID.encode())) >= {"state.db", "bot.db"}
    assert "确认删除" in _say(url, codec, OPENID, "删除我的信息", n)
    assert "已删除" in _say(url, codec, OPENID, "确认删除", n)
    assert _files_holding(data, OPENID.encode()) == []
    with get_engine(settings).connect() as c:
        for t in (users, subscriptions, outbox, deliveries):
            assert c.execute(sa.select(sa.func.count()).select_from(t).where(t.c.openid == OPENID)).scalar() == 0


def test_data_files_are_readable_by_the_service_user_only(bot: tuple[str, Settings]) -> None:
    url, settings = bot
    _say(url, WebhookCodec(settings), "o_modes", "帮助", [0])
    get_engine(settings)
    files = [f for f in settings.data_dir.iterdir() if f.name.startswith(("state.db", "bot.db"))]
    assert {f.name for f in files} >= {"state.db", "bot.db"}
    for f in files:
        assert f.stat().st_mode & 0o077 == 0, f"{f.name}: {oct(f.stat().st_mode)}"


def test_retention_purge_deletes_unfollowed_users_and_old_logs(db_settings: Settings, tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2027, 3, 1, 12))
    s = db_settings.model_copy(update={"retention_unfollowed_days": 30, "retention_deliveries_days": 180})
    repo = ReminderRepo(get_engine(s), s, clock)
    plan = next(iter(load_plan_infos(s.plans_dir).values()))
    now = clock()
    for openid, last_seen, unfollowed in [("o_gone_long", now - dt.timedelta(days=31), True),
                                          ("o_gone_recently", now - dt.timedelta(days=29), True),
                                          ("o_active", now - dt.timedelta(days=400), False)]:
        clock.now = last_seen
        repo.subscribe(openid, plan, "applicant")
        repo.touch(openid, last_seen)
        if unfollowed:
            repo.stop_user(openid)
    clock.now = now
    with get_engine(s).begin() as c:
        c.execute(sa.insert(deliveries), [
            {"openid": "o_active", "channel": "template", "errcode": 0, "at": now - dt.timedelta(days=181)},
            {"openid": "o_active", "channel": "template", "errcode": 0, "at": now - dt.timedelta(days=10)}])
        c.execute(sa.update(outbox).where(outbox.c.openid == "o_active").values(
            status="sent", due_at=now - dt.timedelta(days=200)))
    counts = repo.purge_expired(30, 180)
    assert counts["users_unfollowed"] == 1 and counts["deliveries_old"] == 1 and counts["outbox_old"] >= 1
    with get_engine(s).connect() as c:
        left = {r[0] for r in c.execute(sa.select(users.c.openid))}
        assert left == {"o_gone_recently", "o_active"}
        assert c.execute(sa.select(sa.func.count()).select_from(subscriptions)
                         .where(subscriptions.c.openid == "o_gone_long")).scalar() == 0
        assert c.execute(sa.select(sa.func.count()).select_from(deliveries)).scalar() == 1
        assert c.execute(sa.select(sa.func.count()).select_from(outbox)
                         .where(outbox.c.openid == "o_active")).scalar() == 0
    assert sum(repo.purge_expired(30, 180).values()) == 0  # nothing more to do


def test_the_scheduler_purges_once_a_day(db_settings: Settings) -> None:
    clock = Clock(dt.datetime(2027, 3, 1, 12))
    repo = ReminderRepo(get_engine(db_settings), db_settings, clock)
    sched = Scheduler(repo, sender=None, settings=db_settings, threads=1)  # type: ignore[arg-type]
    try:
        assert sched.purge_if_due() is not None
        assert sched.purge_if_due() is None  # not again the same day
    finally:
        sched.stop()
