"""Conversations through the real webhook (signed XML over loopback HTTP to uvicorn), one fresh
WeChat user each: the scripts written from issue 10's failures must pass turn by turn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import conversations
from bot.app import create_app
from bot.wechat.loopback import serve_in_thread

SCRIPTS = Path(__file__).with_name("issue10.yaml")
ITEMS = conversations.load(SCRIPTS)


@pytest.fixture(scope="module")
def report(kb_settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[conversations.ConversationReport]:
    tmp = tmp_path_factory.mktemp("conversations")
    settings = kb_settings.model_copy(update={
        "state_url": f"sqlite:///{tmp / 'state.db'}", "database_url": f"sqlite:///{tmp / 'bot.db'}",
        "redis_url": "", "reply_budget_s": 60.0})
    with serve_in_thread(create_app(settings), timeout_s=600) as base:
        yield conversations.run_conversations(ITEMS, base, settings)


@pytest.mark.parametrize("cid", [c["id"] for c in ITEMS])
def test_conversation(report: conversations.ConversationReport, cid: str) -> None:
    conv = next(c for c in report.conversations if c.id == cid)
    bad = [f"{i}. 「{t.say}」 {'; '.join(t.problems)}\n{t.reply}" for i, t in enumerate(conv.turns, 1) if not t.passed]
    assert not bad, f"{conv.about}\n" + "\n\n".join(bad)


def test_the_checks_are_strict() -> None:
    """A reply missing an expected string or containing a forbidden one fails the turn."""
    turn = {"expect_any": ["8月1日"], "expect_all": ["15"], "forbid": ["没有找到"]}
    assert conversations.check("8 月 1 日至 15 日", turn) == []
    assert conversations.check("8月1日", turn) and conversations.check("8月1日至15日，没有找到", turn)
