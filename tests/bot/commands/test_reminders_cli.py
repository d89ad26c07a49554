"""`python -m bot db upgrade | timeline extract | reminders upcoming` as a user runs them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.db import get_engine
from bot.reminders.plans import load_plan_infos
from bot.reminders.repo import ReminderRepo
from bot.settings import KNOWLEDGE_DIR, ROOT, get_settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    plans = tmp_path / "plans"
    plans.mkdir()
    src = ROOT / "knowledge" / "plans" / "linping-manufacturing-engineer-2022.yaml"
    (plans / "linping-manufacturing-engineer-2099.yaml").write_text(
        src.read_text(encoding="utf-8").replace("2022", "2099"), encoding="utf-8")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PLANS_DIR", str(plans))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_timeline_extract_prints_yaml_ready_to_confirm(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", "extract", str(KNOWLEDGE_DIR / "notices" / "linping-manufacturing-engineer-2022.md")]) == 0
    events = yaml.safe_load(capsys.readouterr().out)["timeline"]
    window = next(e for e in events if e["kind"] == "submission_window")
    assert (window["start"], window["end"]) == (dt.date(2022, 8, 1), dt.date(2022, 8, 15))
    assert "8 月 1 日至 15 日" in window["clause"]["quote"]


def test_timeline_extract_missing_file_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", "extract", "/nonexistent/notice.md"]) == 2
    assert "找不到文件" in capsys.readouterr().err


def test_db_upgrade_then_upcoming(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["reminders", "upcoming"]) == 0
    assert "没有待发送的提醒" in capsys.readouterr().out
    s = get_settings()
    repo = ReminderRepo(get_engine(s), s)
    repo.subscribe("u1", load_plan_infos(s.plans_dir)["linping-manufacturing-engineer-2099"], "hr")
    assert main(["reminders", "upcoming"]) == 0
    out = capsys.readouterr().out
    assert "2099-08-26 09:00" in out and "unit_review" in out
