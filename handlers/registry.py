"""The one visible table of who handles what.

Order of routing (see bot/dispatcher.py):
1. events (subscribe, unsubscribe, menu clicks) → EVENTS / MENU_KEYS;
2. a command word (exact, after normalisation) or a command prefix → that handler,
   even in the middle of another dialog (the new handler decides what to keep);
3. an active guided dialog (`state["flow"]`) → FLOWS[flow];
4. anything else → the default (notice Q&A, with greetings and small talk handled there).
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers import eligibility, events, materials, more, photo, qa, reminders, shuzhi, work_years
from handlers import help as help_
from handlers.base import Handler


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]  # exact words that start the handler
    handler: Handler
    prefixes: tuple[str, ...] = ()  # «述职检查 <text>»: the prefix starts it and carries text


COMMANDS: list[Command] = [
    Command(("帮助", "help", "使用帮助", "菜单", "?", "？"), help_.handle),
    Command(("更多", "more"), more.handle),
    Command(("证件照", "照片检查", "检查照片", "证件照检查", "照片"), photo.start),
    Command(("述职检查", "检查述职", "述职字数"), shuzhi.start, prefixes=shuzhi.PREFIXES),
    Command(("工作年限", "算工作年限", "工作年限计算", "年限计算", "计算工作年限"), work_years.start),
    Command(("材料清单", "申报材料清单", "邮寄清单", "材料"), materials.start, prefixes=("材料清单",)),
    Command(("提醒", "订阅提醒", "截止提醒", "日期提醒"), reminders.start),
    Command(("我的提醒", "查看提醒"), reminders.mine),
    Command(("取消提醒", "退订提醒", "停止提醒"), reminders.cancel),
    Command(reminders.SERIES_WORDS, reminders.series),
    Command(("删除我的信息", "删除我的数据", "删除信息"), reminders.forget),
    Command(eligibility.START_WORDS, eligibility.start, prefixes=("资格自测",)),
]

# Guided dialogs: the name stored in state["flow"] → the handler that continues it.
FLOWS: dict[str, Handler] = {
    shuzhi.FLOW: shuzhi.handle,
    work_years.FLOW: work_years.handle,
    materials.FLOW: materials.handle,
    reminders.FLOW: reminders.handle,
    eligibility.FLOW: eligibility.handle,
}

# Custom-menu CLICK keys → handler (the menu itself is defined in bot/wechat/menu.py).
MENU_KEYS: dict[str, Handler] = {
    "HELP": help_.handle,
    "ASK": events.ask_prompt,
    "REMINDERS": reminders.start,
    "ELIGIBILITY": eligibility.start,
}

EVENTS: dict[str, Handler] = {
    "subscribe": help_.welcome,
    "unsubscribe": reminders.unsubscribed,  # clears the dialog and stops pushes
}

# Non-text messages by kind (image → photo check when present); others get a polite note.
OTHER: dict[str, Handler] = {
    "image": photo.handle_image,
}

DEFAULT: Handler = qa.handle
