"""bot/journal.py through dispatch(): what a message changes is committed at once, and a message
already applied returns its recorded reply without running again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.dispatcher import dispatch
from bot.journal import Transaction
from bot.services import Services
from bot.settings import Settings
from handlers import registry
from handlers.base import Context, Incoming

RUNS: list[str] = []


def half_done(msg: Incoming, ctx: Context) -> str:
    RUNS.append(msg.text)
    ctx.services.store.set(f"pending:{msg.user}", "写了一半")
    ctx.state["flow"] = "half"
    raise RuntimeError("the worker fell over here")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    cmd = registry.Command(("半途而废",), half_done)
    registry.COMMANDS.insert(0, cmd)
    try:
        yield Services(Settings(data_dir=tmp_path))
    finally:
        registry.COMMANDS.remove(cmd)


def test_an_applied_message_returns_its_reply_and_does_not_move_the_dialog_again(services: Services) -> None:
    say = lambda text, key=None: dispatch(Incoming(user="o_j", text=text), services, once=key)  # noqa: E731
    say("资格自测", "msg:1")
    first = say("2", "msg:2")
    assert first and "已选择" in first
    state = services.store.get_dialog("o_j")
    assert say("2", "msg:2") == first  # a resend of the same message
    assert services.store.get_dialog("o_j") == state
    # The same words as a new message are a new answer to the next question.
    assert say("2", "msg:3") != first


def test_a_handler_that_fails_halfway_leaves_nothing_behind(services: Services) -> None:
    services.store.set_dialog("o_j", {"flow": "before"})
    with pytest.raises(RuntimeError):
        dispatch(Incoming(user="o_j", text="半途而废"), services, once="msg:9")
    assert RUNS == ["半途而废"]
    assert services.store.get("pending:o_j") is None
    assert services.store.get_dialog("o_j") == {"flow": "before"}
    assert services.store.get("done:msg:9") is None  # not applied: a resend runs it again


def test_long_replies_are_paged_as_sent_and_the_rest_is_kept_with_them(services: Services) -> None:
    from handlers import more

    cmd = registry.Command(("长文",), lambda msg, ctx: "很长的一段话。" * 400)
    registry.COMMANDS.insert(0, cmd)
    try:
        first = dispatch(Incoming(user="o_long", text="长文"), services, once="msg:20") or ""
    finally:
        registry.COMMANDS.remove(cmd)
    assert len(first.encode()) <= more.LIMIT_BYTES and first.endswith(more.MORE_HINT)
    assert services.store.get("pending:o_long")
    assert services.store.get_json("done:msg:20") == {"reply": first}


def test_a_transaction_reads_its_own_writes_and_commits_them_together(services: Services) -> None:
    store = services.store
    store.set("a", "1")
    tx = Transaction(store)
    tx.set("a", "2")
    tx.delete("b")
    tx.set_json("c", {"x": 1})
    assert (tx.get("a"), tx.get("b"), tx.get_json("c")) == ("2", None, {"x": 1})
    assert store.get("a") == "1" and store.get("c") is None  # nothing written yet
    tx.commit()
    assert (store.get("a"), store.get_json("c")) == ("2", {"x": 1})
