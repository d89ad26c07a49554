"""Routing without HTTP: the registry table decides, state survives, odd input gets a polite reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.dispatcher import dispatch
from bot.services import Services
from bot.settings import Settings
from handlers import more
from handlers.base import Incoming
from handlers.help import CAPABILITIES


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return Services(Settings(data_dir=tmp_path))


def test_command_words_are_normalised(services: Services) -> None:
    for text in ("帮助", " 帮助。", "HELP", "？"):
        assert dispatch(Incoming(user="u", text=text), services) == CAPABILITIES


def test_menu_keys_and_events(services: Services) -> None:
    assert dispatch(Incoming(user="u", kind="event", event="CLICK", event_key="HELP"), services) == CAPABILITIES
    assert "暂未开放" in (dispatch(Incoming(user="u", kind="event", event="CLICK", event_key="NOPE"), services) or "")
    assert dispatch(Incoming(user="u", kind="event", event="VIEW", event_key="https://x"), services) is None
    assert "欢迎" in (dispatch(Incoming(user="u", kind="event", event="subscribe"), services) or "")


def test_unsubscribe_forgets_the_user(services: Services) -> None:
    services.store.set_dialog("u", {"flow": "anything", "step": 2})
    services.store.set("pending:u", "剩余内容")
    assert dispatch(Incoming(user="u", kind="event", event="unsubscribe"), services) is None
    assert services.store.get_dialog("u") == {}
    assert services.store.get("pending:u") is None


def test_voice_without_recognition_asks_for_text(services: Services) -> None:
    reply = dispatch(Incoming(user="u", kind="voice", media_id="m"), services) or ""
    assert "文字" in reply


def test_voice_recognition_routes_like_text(services: Services) -> None:
    assert dispatch(Incoming(user="u", kind="voice", text="帮助"), services) == CAPABILITIES


def test_unknown_kind_is_polite(services: Services) -> None:
    reply = dispatch(Incoming(user="u", kind="other", raw_type="video"), services) or ""
    assert "视频" in reply and "帮助" in reply


def test_more_pages_through_pending(services: Services) -> None:
    text = "。".join(f"第{i}句内容比较长一些用于测试分页效果" for i in range(400)) + "。"
    first = more.paginate(services.store, "u", text) or ""
    parts = [first]
    while more.MORE_HINT in parts[-1]:
        parts.append(dispatch(Incoming(user="u", text="更多"), services) or "")
    assert all(len(p.encode()) <= more.LIMIT_BYTES for p in parts)
    assert "".join(p.replace(more.MORE_HINT, "") for p in parts) == text
    assert "没有需要继续阅读" in (dispatch(Incoming(user="u", text="更多"), services) or "")


def test_split_without_sentence_boundaries_keeps_characters_whole() -> None:
    text = "长" * 1000  # 3000 bytes, no punctuation
    first, rest = more.split(text)
    assert len((first + more.MORE_HINT).encode()) <= more.LIMIT_BYTES
    assert first + rest == text
    assert more.split("短句。") == ("短句。", "")
