"""Reminder test fixtures: a database per backend, a future plan, a controllable clock."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db import get_engine, upgrade
from bot.settings import ROOT, Settings

LINPING = ROOT / "knowledge" / "plans" / "linping-manufacturing-engineer-2022.yaml"


def future_plan(dst: Path, year: int = 2027) -> Path:
    """A copy of the Linping 2022 plan moved to `year` (tests never touch the real plans)."""
    dst.mkdir(parents=True, exist_ok=True)
    out = dst / f"linping-manufacturing-engineer-{year}.yaml"
    out.write_text(LINPING.read_text(encoding="utf-8").replace("2022", str(year)), encoding="utf-8")
    return out


class Clock:
    """Naive-UTC time that tests move by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def local(self, y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> None:
        """Set to a Asia/Shanghai wall-clock time."""
        self.now = dt.datetime(y, m, d, hh, mm) - dt.timedelta(hours=8)


def _pg_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings on a fresh database: SQLite always, PostgreSQL when TEST_DATABASE_URL is set
    (a unique schema per test, dropped afterwards)."""
    plans = tmp_path / "plans"
    future_plan(plans)
    common = {"data_dir": tmp_path / "data", "plans_dir": plans, "quiet_hours": "21:00-08:00",
              "reminder_send_time": "09:00", "reminder_lead_days": [7, 1, 0]}
    if request.param == "sqlite":
        yield Settings(**common)
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_url(base, schema)
    upgrade(url)
    try:
        yield Settings(database_url=url, **common)
    finally:
        get_engine(Settings(database_url=url), migrate=False).dispose()
        with admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
