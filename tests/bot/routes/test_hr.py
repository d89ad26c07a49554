"""GET /hr/reminders over real HTTP: Bearer token required (never in the URL), counts per plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx

from bot.app import create_app
from bot.db import get_engine
from bot.reminders.plans import load_plan_infos
from bot.reminders.repo import ReminderRepo
from bot.services import set_services
from bot.settings import ROOT, Settings
from bot.wechat.loopback import serve_in_thread

LINPING = ROOT / "knowledge" / "plans" / "linping-manufacturing-engineer-2022.yaml"


def _settings(tmp: Path, token: str) -> Settings:
    plans = tmp / "plans"
    plans.mkdir(exist_ok=True)
    (plans / "linping-manufacturing-engineer-2027.yaml").write_text(
        LINPING.read_text(encoding="utf-8").replace("2022", "2027"), encoding="utf-8")
    return Settings(data_dir=tmp / "data", plans_dir=plans, admin_token=token, scheduler_in_serve=False)


def test_reminder_overview_needs_the_token(tmp_path: Path) -> None:
    s = _settings(tmp_path, "hr-token-123")
    repo = ReminderRepo(get_engine(s), s, lambda: dt.datetime(2027, 7, 1))
    plan = load_plan_infos(s.plans_dir)["linping-manufacturing-engineer-2027"]
    repo.subscribe("oAAA", plan, "applicant")
    repo.subscribe("oBBB", plan, "hr")
    try:
        with serve_in_thread(create_app(s), lifespan="off") as url:
            assert httpx.get(f"{url}/hr/reminders").status_code == 403
            assert httpx.get(f"{url}/hr/reminders", headers={"Authorization": "Bearer nope"}).status_code == 403
            r = httpx.get(f"{url}/hr/reminders", headers={"Authorization": "Bearer hr-token-123"})
            assert r.status_code == 200
            p = r.json()["plans"]["linping-manufacturing-engineer-2027"]
            assert p["subscribers"] == {"plan:applicant": 1, "plan:hr": 1}
            assert p["outbox"] == {"pending": 12}
            # A token in the URL would land in access logs and browser history: refused.
            assert httpx.get(f"{url}/hr/reminders?token=hr-token-123").status_code == 403
    finally:
        set_services(None)


def test_disabled_without_admin_token(tmp_path: Path) -> None:
    try:
        with serve_in_thread(create_app(_settings(tmp_path, "")), lifespan="off") as url:
            assert httpx.get(f"{url}/hr/reminders?token=").status_code == 403
    finally:
        set_services(None)
