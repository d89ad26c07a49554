"""The one visible table of who handles what. The rules that use it are in bot/dispatcher.py.

- DIALOGS: every guided dialog, by the name kept in state["flow"] (handlers/dialog.py).
- TOOLS: what each tool intent of knowledge/lang/intents.yaml does — start a dialog, or reply
  once (a one-shot: in the middle of a dialog it runs beside it, and the dialog waits).
- SOCIAL: replies to greetings, thanks and goodbyes.
- COMMANDS: exact words and prefixes registered in code, checked before the intents (for
  extensions and tests; the bot's own words are data in intents.yaml).
- MENU_KEYS, EVENTS, OTHER: custom-menu clicks, WeChat events, non-text messages.
- DEFAULT: notice Q&A, for questions and anything else.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers import eligibility, events, materials, more, photo, qa, reminders, shuzhi, work_years
from handlers import help as help_
from handlers.base import Handler
from handlers.dialog import Dialog


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]  # exact words that start the handler
    handler: Handler
    prefixes: tuple[str, ...] = ()  # the prefix starts it and carries text
    flow: str | None = None  # the dialog this command starts (ends another one in progress)
    idle_only: bool = False  # only when no dialog is active


@dataclass(frozen=True)
class Tool:
    dialog: Dialog | None = None  # starts this dialog (the one in progress ends first)
    handler: Handler | None = None  # or replies once, beside any dialog in progress
    # A reply about something earlier (the last verdict for 「详情」): reached by wording alone with
    # none kept, the message is read as a notice question («那不符合条件的呢» after an answer).
    needs: str | None = None


DIALOGS: dict[str, Dialog] = {d.name: d for d in (
    eligibility.DIALOG, reminders.DIALOG, reminders.FORGET, materials.DIALOG, work_years.DIALOG, shuzhi.DIALOG)}

TOOLS: dict[str, Tool] = {
    "eligibility": Tool(dialog=eligibility.DIALOG),
    "reminders": Tool(dialog=reminders.DIALOG),
    "materials": Tool(dialog=materials.DIALOG),
    "work_years": Tool(dialog=work_years.DIALOG),
    "shuzhi": Tool(dialog=shuzhi.DIALOG),
    # Not a dialog-starting tool: the confirmation keeps the dialog in progress aside (resumed on cancel).
    "delete_data": Tool(handler=reminders.FORGET.start),
    "my_reminders": Tool(handler=reminders.mine),
    "cancel_reminders": Tool(handler=reminders.cancel),
    "new_year_reminder": Tool(handler=reminders.series),
    "photo": Tool(handler=photo.start),
    "help": Tool(handler=help_.handle),
    "more": Tool(handler=more.handle),
    "detail": Tool(handler=eligibility.detail, needs="last_verdict"),
    "this_year": Tool(handler=eligibility.this_year),
}

SOCIAL: dict[str, Handler] = {
    "greeting": help_.greeting,
    "thanks": help_.thanks,
    "bye": help_.bye,
    "off_topic": help_.off_topic,
}
# Social intents answered even when worded as a question («今天股票行情怎么样»): a notice search
# would only find a clause that shares a word.
SOCIAL_ASKED = frozenset({"off_topic"})

COMMANDS: list[Command] = []

# Custom-menu CLICK keys → the tool intent they start (the menu itself: bot/wechat/menu.py).
MENU_KEYS: dict[str, str] = {
    "HELP": "help",
    "REMINDERS": "reminders",
    "MY_REMINDERS": "my_reminders",
    "ELIGIBILITY": "eligibility",
    "PHOTO": "photo",
    "SHUZHI": "shuzhi",
    "WORK_YEARS": "work_years",
    "MATERIALS": "materials",
}
MENU_HANDLERS: dict[str, Handler] = {"ASK": events.ask_prompt}

EVENTS: dict[str, Handler] = {
    "subscribe": help_.welcome,
    "unsubscribe": reminders.unsubscribed,  # clears the dialog and stops pushes
    "click": events.unknown_click,
}

# Non-text messages by kind (image → photo check); others get a polite note.
OTHER: dict[str, Handler] = {
    "image": photo.handle_image,
}

DEFAULT: Handler = qa.handle
