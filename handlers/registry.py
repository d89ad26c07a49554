"""The one visible table of who handles what.

Order of routing (see bot/dispatcher.py):
1. events (subscribe, unsubscribe, menu clicks) → EVENTS / MENU_KEYS;
2. a command word (exact, after normalisation) or a command prefix → that handler, even in the
   middle of another dialog — except `idle_only` commands (the control words 退出 / 完成 /
   上一步 … with no dialog to act on), which apply only when no dialog is active;
3. an active guided dialog (`state["flow"]`) → FLOWS[flow]; a non-text message (a photo) during
   a dialog → OTHER, as a one-shot;
4. anything else → the default (notice Q&A, with greetings and small talk handled there).

One rule for a command that arrives during a dialog (the dispatcher applies it):
- a command with `flow=` starts a dialog: the dialog in progress ends first and the reply begins
  with one line saying so (「已结束述职检查。」); menu clicks that start a dialog count too;
- any other command is a one-shot (帮助, 更多, 证件照, 我的提醒 …): the dialog stays as it was,
  and the reply ends with a hint to carry on (「（述职检查还在进行：…）」);
- a dialog whose state says `done` (a result already shown) ends silently.
Either way only the STICKY keys (the user's plan choice, handlers/base.py) outlive a dialog.
A dialog handler may raise NotMine for a message it does not take; the message is then routed
as if no dialog were active.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers import eligibility, events, materials, more, photo, qa, reminders, shuzhi, work_years
from handlers import help as help_
from handlers.base import Context, Handler


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]  # exact words that start the handler
    handler: Handler
    prefixes: tuple[str, ...] = ()  # «述职检查 <text>»: the prefix starts it and carries text
    flow: str | None = None  # the dialog this command starts (ends another one in progress)
    idle_only: bool = False  # only when no dialog is active (control words with nothing to act on)


COMMANDS: list[Command] = [
    Command(("帮助", "help", "使用帮助", "菜单", "?", "？"), help_.handle),
    Command(("更多", "more"), more.handle),
    Command(("证件照", "照片检查", "检查照片", "证件照检查", "照片"), photo.start),
    Command(("述职检查", "检查述职", "述职字数"), shuzhi.start, flow=shuzhi.FLOW),
    Command((), shuzhi.start, prefixes=shuzhi.PREFIXES),  # with the text: a one-shot count
    Command(("工作年限", "算工作年限", "工作年限计算", "年限计算", "计算工作年限"), work_years.start,
            flow=work_years.FLOW),
    Command(("材料清单", "申报材料清单", "邮寄清单", "材料"), materials.start, prefixes=("材料清单",),
            flow=materials.FLOW),
    Command(("提醒", "订阅提醒", "截止提醒", "日期提醒"), reminders.start, flow=reminders.FLOW),
    Command(("我的提醒", "查看提醒"), reminders.mine),
    Command(("取消提醒", "退订提醒", "停止提醒"), reminders.cancel),
    Command(reminders.SERIES_WORDS, reminders.series),
    Command(("删除我的信息", "删除我的数据", "删除信息"), reminders.forget),  # asks 「确认删除」 first
    Command(eligibility.DETAIL_WORDS, eligibility.detail),  # the last verdict's basis, any time
    Command(eligibility.START_WORDS, eligibility.start, prefixes=("资格自测",), flow=eligibility.FLOW),
    Command(help_.IDLE_WORDS, help_.nothing_active, idle_only=True),
]

# Guided dialogs: the name stored in state["flow"] → the handler that continues it.
FLOWS: dict[str, Handler] = {
    shuzhi.FLOW: shuzhi.handle,
    work_years.FLOW: work_years.handle,
    materials.FLOW: materials.handle,
    reminders.FLOW: reminders.handle,
    reminders.FORGET_FLOW: reminders.confirm_forget,
    eligibility.FLOW: eligibility.handle,
}

# What each dialog is called in 「已结束…」 / 「…还在进行」.
FLOW_NAMES: dict[str, str] = {
    shuzhi.FLOW: "述职检查",
    work_years.FLOW: "工作年限计算",
    materials.FLOW: "材料清单查询",
    reminders.FLOW: "提醒设置",
    reminders.FORGET_FLOW: "删除信息确认",
    eligibility.FLOW: "资格自测",
}

# Dialogs that can repeat their pending question after a side command; others get a hint.
PENDING_QUESTIONS: dict[str, Callable[[Context], str | None]] = {
    eligibility.FLOW: eligibility.pending_question,
}

# Custom-menu CLICK keys → handler (the menu itself is defined in bot/wechat/menu.py).
MENU_KEYS: dict[str, Handler] = {
    "HELP": help_.handle,
    "ASK": events.ask_prompt,
    "REMINDERS": reminders.start,
    "MY_REMINDERS": reminders.mine,
    "ELIGIBILITY": eligibility.start,
    "PHOTO": photo.start,
    "SHUZHI": shuzhi.start,
    "WORK_YEARS": work_years.start,
    "MATERIALS": materials.start,
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
