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
    names = [b["name"] for b in MENU["button"]] + [s["name"] for b in MENU["button"] for s in b["sub_button"]]
    for name in ("问答", "资格自测", "截止提醒", "我的提醒", "证件照检查", "述职字数", "工作年限", "材料清单", "使用帮助"):
        assert name in names
    assert set(menu_keys()) <= set(registry.MENU_KEYS) | set(registry.MENU_HANDLERS)


def test_menu_fits_wechats_limits() -> None:
    # 3 top-level buttons, up to 5 sub-buttons; longer names are cut with 「…」 in the client
    assert len(MENU["button"]) <= 3
    for b in MENU["button"]:
        assert len(b["name"]) <= 4 and 1 <= len(b["sub_button"]) <= 5
        assert all(len(s["name"]) <= 8 for s in b["sub_button"])


def test_tool_buttons_start_the_tools(tmp_path: Path) -> None:
    from bot.dispatcher import dispatch
    from handlers.base import Incoming

    services = Services(Settings(data_dir=tmp_path))
    def click(key: str) -> str:
        return dispatch(Incoming(user="u", kind="event", event="CLICK", event_key=key), services) or ""

    assert "本人述职" in click("SHUZHI")
    assert "证件照" in click("PHOTO") and "继续述职检查" in click("PHOTO")  # a one-shot beside it
    assert click("WORK_YEARS").startswith("已结束述职检查。")  # a new dialog ends the old one
    assert "材料" in click("MATERIALS")
    assert "还没有订阅提醒" in click("MY_REMINDERS")


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
