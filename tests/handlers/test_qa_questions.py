"""Several questions in one message (handlers/qa.py `questions_in`): split where people split them."""

from __future__ import annotations

import pytest

from handlers.qa import questions_in


@pytest.mark.parametrize(("text", "questions"), [
    ("化工轻纺高工评审费多少钱？啥时候截止", ["化工轻纺高工评审费多少钱？", "啥时候截止"]),
    # A space separates sentences on WeChat as often as a comma does.
    ("单位审核截止几号 还有评审费多少钱", ["单位审核截止几号", "还有评审费多少钱"]),
    # A clause that asks nothing goes with the question after it.
    ("临平 网上申报几号", ["临平网上申报几号"]),
    # «…呢» before a question is its topic; last, it is a question of its own.
    ("那纸质的东西呢 交几份", ["那纸质的东西呢交几份"]),
    ("临平网上申报是几号到几号？单位审核呢", ["临平网上申报是几号到几号？", "单位审核呢"]),
])
def test_questions_are_split_where_people_split_them(text: str, questions: list[str]) -> None:
    assert questions_in(text) == questions
