"""After an early verdict, answers the user keeps typing are told the test is over — for a
short while only: later, the same words are a new message for Q&A and end the dialog."""

from __future__ import annotations

from bot.services import Services
from handlers import eligibility
from handlers.base import Context
from tests.handlers.conftest import Chat

LINPING = "linping-manufacturing-engineer-2022"


def _early_verdict(chat: Chat) -> None:
    chat.say("资格自测")
    chat.say("临平")
    assert "自测已结束。" in chat.say("软件开发")  # an excluded specialty decides at once


def test_late_answers_only_shortly_after_the_verdict(chat: Chat, qa_service: object) -> None:
    chat.services.__dict__["qa"] = qa_service  # the session's one real QAService
    _early_verdict(chat)
    assert "自测已经结束（结论见上）" in chat.say("45")
    store = chat.services.store
    state = store.get_dialog(chat.user)
    state["done_at"] -= eligibility.LATE_ANSWER_SECONDS + 60
    store.set_dialog(chat.user, state)
    assert "自测已经结束" not in chat.say("45")
    after = store.get_dialog(chat.user)
    assert after.get("flow") is None and after["last_verdict"]["plan"] == LINPING  # 详情 still works


def test_what_counts_as_a_late_answer(chat: Chat, shared: Services) -> None:
    _early_verdict(chat)
    ctx = Context(user=chat.user, state=shared.store.get_dialog(chat.user), services=shared)
    plan = shared.plans[LINPING]
    for text in ("合格 合格 不合格", "50", "是", "2018年3月"):
        assert eligibility._late_answer(ctx, plan, text), text
    for text in ("继续教育要多少学分", "谢谢", "网上申报几号截止？"):
        assert not eligibility._late_answer(ctx, plan, text), text
