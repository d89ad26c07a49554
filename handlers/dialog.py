"""The shape every guided dialog has, and the navigation they share.

A capability that talks over several messages exports one `Dialog` object: its name (kept in
`state["flow"]`), what it is called in replies, its typed state, how it starts, which messages
answer its pending question (`accepts`), how it handles them, and the question it waits on
(asked again after a digression). Navigation — quit, back, skip, restart, correct — is decided
once, in bot/dispatcher.py, from the message's interpretation; a dialog only says what each one
means for it by overriding the hook (the defaults cover the common case).

Typed state: each dialog declares a dataclass whose fields are its state; `load` reads it from
the user's state dict (unknown keys ignored, missing ones defaulted) and `save` writes it back,
so a state saved by an older version still loads.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, TypeVar

from handlers.base import Context, Incoming

S = TypeVar("S", bound="DialogState")


@dataclasses.dataclass
class DialogState:
    """Base of every dialog's typed state (a dataclass of JSON-safe fields)."""

    @classmethod
    def load(cls: type[S], ctx: Context) -> S:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in ctx.state.items() if k in names})

    def save(self, ctx: Context) -> None:
        ctx.state.update(dataclasses.asdict(self))


class Dialog:
    name: ClassVar[str]  # state["flow"]
    title: ClassVar[str]  # 「资格自测」 in 「已退出资格自测」
    command: ClassVar[str]  # the word that starts it again
    State: ClassVar[type[DialogState]] = DialogState

    # --- what every dialog defines ---------------------------------------------------------------

    def start(self, msg: Incoming, ctx: Context) -> str:
        raise NotImplementedError

    def handle(self, msg: Incoming, ctx: Context) -> str | None:
        """An answer to the pending question (or anything no other rule took)."""
        raise NotImplementedError

    def pending(self, ctx: Context) -> str | None:
        """The question the dialog waits on, repeated after a side question or command."""
        return None

    # --- optional hooks --------------------------------------------------------------------------

    def claims(self, msg: Incoming, ctx: Context) -> bool:
        """Words this dialog gives a meaning of its own at this step («换计划» in a tool that chose
        a plan): taken before the shared navigation reads them as quit/back/restart."""
        return False

    def accepts(self, msg: Incoming, ctx: Context) -> bool:
        """Does this message answer the pending question? Messages it does not accept that read
        as a question or a command are handled as such, and the dialog waits."""
        return True

    def expects(self, ctx: Context) -> str | None:
        """The eligibility fact the pending question asks for, so the interpretation can attribute
        a bare value («48», «17年7月») to it."""
        return None

    def done(self, ctx: Context) -> bool:
        """A result has been shown; the dialog only lingers for follow-ups (details, corrections)."""
        return bool(ctx.state.get("done"))

    def after(self, msg: Incoming, ctx: Context) -> str | None:
        """A message after the result: a follow-up this dialog still takes, or None to let it go."""
        return None

    def quit(self, msg: Incoming, ctx: Context) -> str:
        ctx.leave()
        return f"好的，已退出{self.title}。需要时再发送「{self.command}」。"

    def back(self, msg: Incoming, ctx: Context) -> str | None:
        return None  # no earlier step: the dispatcher says so and repeats the question

    def skip(self, msg: Incoming, ctx: Context) -> str | None:
        return None

    def restart(self, msg: Incoming, ctx: Context) -> str:
        ctx.leave()
        return "好的，重新开始。\n" + self.start(msg, ctx)

    def correct(self, msg: Incoming, ctx: Context) -> str | None:
        return None  # nothing to correct here: handled as an answer

    def explain(self, msg: Incoming, ctx: Context) -> str | None:
        """«啥意思 看不懂»: the pending question said more plainly; None: asked again as it is."""
        return None

    def non_text(self, msg: Incoming, ctx: Context) -> str | None:
        """A photo or voice without text mid-dialog; None: the dispatcher's default."""
        return None


def state_of(ctx: Context, dialog: Dialog) -> Any:
    return dialog.State.load(ctx)
