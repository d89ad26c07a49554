"""The custom menu: every button is routed, and `menu --apply` creates it over the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.services import Services, set_services
from bot.settings import Settings
from bot.wechat.fake_server import FakeWeChat
from bot.wechat.menu import MENU, menu_keys
from handlers import registry


def test_every_click_key_has_a_handler() -> None:
    assert [b["name"] for b in MENU["button"]] == ["问答", "资格自测", "截止提醒", "使用帮助"]
    assert set(menu_keys()) <= set(registry.MENU_KEYS)


def test_menu_prints_and_applies(fake_wechat: FakeWeChat, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    set_services(Services(Settings(data_dir=tmp_path, wechat_api_base=fake_wechat.base_url)))
    try:
        assert main(["menu"]) == 0
        assert fake_wechat.menu is None  # printing alone changes nothing
        printed = capsys.readouterr().out
        assert json.loads(printed) == MENU
        assert main(["menu", "--apply"]) == 0
        assert fake_wechat.menu == MENU
        fake_wechat.inject("/cgi-bin/menu/create", 45009)
        assert main(["menu", "--apply"]) == 1
        assert "45009" in capsys.readouterr().out
    finally:
        set_services(None)
