"""bot/readiness.py: the scheduler's part of the readiness report, in this process and apart.
(Stores and the index going down are in tests/bot/test_faults.py, against a real server.)"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from bot.app import _start_scheduler
from bot.db import dispose_engines, get_engine
from bot.readiness import readiness, scheduler_status
from bot.reminders.scheduler import build
from bot.services import Services
from bot.settings import Settings
from bot.wechat.fake_server import FakeWeChat


def test_an_in_process_scheduler_whose_database_breaks_is_reported_down(
        fake_wechat: FakeWeChat, tmp_path: Path, kb_settings: Settings, qa_service: object) -> None:
    shutil.copytree(kb_settings.index_dir, tmp_path / "index")  # the session's index: not built again
    s = Settings(data_dir=tmp_path, plans_dir=tmp_path, wechat_api_base=fake_wechat.base_url,
                 scheduler_interval_s=0.05, quiet_hours="")
    services = Services(s)
    sched = _start_scheduler(services)
    try:
        deadline = time.monotonic() + 10
        while sched.last_pass is None and time.monotonic() < deadline:
            time.sleep(0.02)
        ok, detail, required = scheduler_status(services, sched)
        assert ok and required and detail.startswith("ok (in this process")
        # The reminders database is overwritten under the running scheduler.
        get_engine(s).dispose()
        for f in tmp_path.glob("bot.db*"):
            f.unlink()
        (tmp_path / "bot.db").write_bytes(b"not a database" * 512)
        deadline = time.monotonic() + 10
        while sched.last_error is None and time.monotonic() < deadline:
            time.sleep(0.02)
        ready, report = readiness(services, sched)
        assert not ready
        assert report["scheduler"].startswith("down: last pass failed")
        assert report["database"].startswith("down:") and str(tmp_path / "bot.db") in report["database"]
        assert report["state"] == "ok" and report["index"].startswith("ok")
    finally:
        sched.stop()
        dispose_engines()


def test_a_separate_scheduler_is_seen_through_its_heartbeat(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, plans_dir=tmp_path, wechat_api_base=fake_wechat.base_url)
    web = Services(s)
    ok, detail, required = scheduler_status(web, None)
    assert not ok and not required and "python -m bot scheduler" in detail
    sched = build(s, Services(s))  # what `python -m bot scheduler` runs, sharing the state store
    try:
        sched.run_once()
        sched.heartbeat()  # type: ignore[misc]
        ok, detail, required = scheduler_status(web, None)
        assert ok and detail.startswith("ok (separate process")
    finally:
        sched.stop()
        dispose_engines()
