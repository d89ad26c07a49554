"""The custom menu (自定义菜单). CLICK keys are routed by handlers/registry.py MENU_KEYS."""

from __future__ import annotations

from typing import Any

MENU: dict[str, Any] = {
    "button": [
        {"type": "click", "name": "问答", "key": "ASK"},
        {"type": "click", "name": "资格自测", "key": "ELIGIBILITY"},
        {"type": "click", "name": "截止提醒", "key": "REMINDERS"},
        {"type": "click", "name": "使用帮助", "key": "HELP"},
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
