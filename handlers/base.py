"""What every handler sees: the parsed message and a context with the user's state.

Handlers are plain functions `handle(msg, ctx) -> str | None`, synchronous and free of
HTTP, so they are testable with a dict-backed context. The gateway runs them in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from bot.services import Services
    from handlers.interpret import Interpretation

# The keys that outlive a dialog: the plan under discussion (the one the user last chose in any
# tool, named in a question or answered from — read through handlers/plan_choice.py), the routes
# an eligibility result found for a plan ({"plan": id, "routes": [...]}), the last eligibility
# verdict (「详情」, corrections after it), the facts the user stated about themselves (never asked
# again), the last question put to Q&A (for «水利的呢»), the clause its answer quoted (for «下一步呢»),
# an offer waiting for a clear yes and who the asker said they are («我是单位经办人» → "hr").
# Everything else in the state belongs to the active dialog.
STICKY = ("last_plan", "plan_routes", "last_verdict", "profile", "last_question", "offer", "last_source", "asker")

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
    # What the message means, worked out once by the dispatcher (handlers/interpret.py) before
    # any handler runs; handlers read it instead of parsing the raw text again.
    it: Interpretation | None = None

    # The dialog state is a dict; `flow` names the active guided dialog, if any.
    @property
    def flow(self) -> str | None:
        return self.state.get("flow")

    def enter(self, flow: str, **data: Any) -> None:
        """Start `flow` with fresh data; only the STICKY keys survive from before."""
        kept = self._carry()
        self.state.clear()
        self.state.update({**kept, "flow": flow, **data})

    def leave(self) -> None:
        """End the dialog; only the STICKY keys survive (the user's plan choice)."""
        kept = self._carry()
        self.state.clear()
        self.state.update(kept)

    def reset(self) -> None:
        """Forget everything, the sticky keys too (「删除我的信息」, unsubscribe)."""
        self.state.clear()

    def _carry(self) -> dict[str, Any]:
        # A dialog's `plan` is the user's latest choice: it becomes `last_plan`. Routes an
        # eligibility result left (`eligible_routes`, with `eligibility_plan` or `plan`) are kept
        # together with the plan they belong to, so a tool never shows one plan's routes for another.
        s = self.state
        kept = {k: s[k] for k in STICKY if k in s}
        if isinstance(s.get("plan"), str) and s["plan"]:
            kept["last_plan"] = s["plan"]
        routes = s.get("eligible_routes")
        owner = s.get("eligibility_plan") or s.get("plan") or s.get("last_plan")
        if isinstance(routes, list) and isinstance(owner, str):
            kept["plan_routes"] = {"plan": owner, "routes": [r for r in routes if isinstance(r, str)]}
        return kept


class NotMine(Exception):
    """Raised by a dialog handler for a message it does not take (e.g. a new question after a
    finished result): the dispatcher ends the dialog and routes the message as if none were active."""


class Handler(Protocol):
    def __call__(self, msg: Incoming, ctx: Context) -> str | None: ...
