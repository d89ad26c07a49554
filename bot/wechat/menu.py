"""The custom menu (自定义菜单). CLICK keys are routed by handlers/registry.py MENU_KEYS.

WeChat allows 3 top-level buttons with up to 5 sub-buttons each, and shows at most 4 Chinese
characters of a top-level name (8 of a sub-button's) before cutting it with 「…」: hence
「问答自测」 and 「工具帮助」 rather than longer names.
"""

from __future__ import annotations

from typing import Any


def _click(name: str, key: str) -> dict[str, str]:
    return {"type": "click", "name": name, "key": key}


MENU: dict[str, Any] = {
    "button": [
        {"name": "问答自测", "sub_button": [_click("问答", "ASK"), _click("资格自测", "ELIGIBILITY")]},
        {"name": "提醒", "sub_button": [_click("截止提醒", "REMINDERS"), _click("我的提醒", "MY_REMINDERS")]},
        {"name": "工具帮助", "sub_button": [
            _click("证件照检查", "PHOTO"),
            _click("述职字数", "SHUZHI"),
            _click("工作年限", "WORK_YEARS"),
            _click("材料清单", "MATERIALS"),
            _click("使用帮助", "HELP"),
        ]},
    ]
}


def menu_keys(menu: dict[str, Any] = MENU) -> list[str]:
    """Every CLICK key in the menu, sub-buttons included."""
    keys: list[str] = []
    for button in menu["button"]:
        for b in [button, *button.get("sub_button", [])]:
            if b.get("type") == "click":
                keys.append(b["key"])
    return keys
