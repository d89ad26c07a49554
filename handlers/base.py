"""What every handler sees: the parsed message and a context with the user's state.

Handlers are plain functions `handle(msg, ctx) -> str | None`, synchronous and free of
HTTP, so they are testable with a dict-backed context. The gateway runs them in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from bot.services import Services

Kind = Literal["text", "voice", "image", "event", "other"]


@dataclass
class Incoming:
    """One message from a user, independent of the WeChat wire format."""

    user: str  # OpenID
    kind: Kind = "text"
    text: str = ""  # text content, or the voice Recognition
    event: str = ""  # subscribe | unsubscribe | CLICK | VIEW | …
    event_key: str = ""
    media_id: str = ""
    msg_id: str = ""
    create_time: int = 0
    raw_type: str = ""  # WeChat MsgType as received, for polite replies to unknown types


@dataclass
class Context:
    """The user's dialog state (mutable, saved by the dispatcher) plus shared services."""

    user: str
    state: dict[str, Any]
    services: Services
    extra_replies: list[str] = field(default_factory=list)

    # The dialog state is a dict; `flow` names the active guided dialog, if any.
    @property
    def flow(self) -> str | None:
        return self.state.get("flow")

    def enter(self, flow: str, **data: Any) -> None:
        self.state.clear()
        self.state.update({"flow": flow, **data})

    def leave(self) -> None:
        self.state.clear()


class Handler(Protocol):
    def __call__(self, msg: Incoming, ctx: Context) -> str | None: ...
