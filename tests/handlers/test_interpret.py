"""Reading a message in context: references to the steps of a notice's numbered procedure."""

from __future__ import annotations

import pytest

from handlers.interpret import Step, step_of
from knowledge.lang.numbers import lexicon


@pytest.mark.parametrize(("text", "step"), [
    ("然后第2步第3步呢", Step(numbers=(2, 3))),
    ("第二步呢 具体怎么点", Step(numbers=(2,))),
    ("下一步是啥", Step(after=True)),
    ("那之后呢", Step(after=True)),
    ("交完费之后呢", Step(after=True, subject="交费")),  # «完» marks the act done: the step is «交费»
    ("评审结束之后呢", Step(after=True, subject="评审结束")),  # «结束» is no «完» to drop
])
def test_a_reference_to_steps_is_read(text: str, step: Step) -> None:
    assert step_of(text) == step


@pytest.mark.parametrize("text", [
    "网上申报之后还要交什么材料吗",  # a question of its own after the step word
    "评审表第2页要签字吗",  # a page, not a step
    "评审条件第3条是什么意思",  # names its own subject
    "临平网上申报是几号到几号",
])
def test_a_question_is_no_step_reference(text: str) -> None:
    assert step_of(text) is None


@pytest.mark.parametrize("word", lexicon()["next_step"])
def test_next_step_word_asks_for_the_step_after(word: str) -> None:
    # Each entry alone («下一步», «然后呢», «完了呢») asks what comes after the step just read.
    assert step_of(word) == Step(after=True)


@pytest.mark.parametrize("word", lexicon()["chatter"]["officer_words"])
def test_an_officer_introducing_themselves_is_remembered_as_one(word: str) -> None:
    from handlers.interpret import _asker

    assert _asker(f"我是{word}，临平单位审核截止哪天") == "hr"
    assert _asker(f"临平单位审核截止哪天，{word}要做什么") is None  # not an introduction


@pytest.mark.parametrize("word", lexicon()["chatter"]["other_person"])
def test_a_self_test_about_someone_else_is_told_apart(word: str) -> None:
    from handlers.eligibility import about_someone_else

    assert about_someone_else(f"{word}本科毕业能评工程师吗")
    assert not about_someone_else("我本科毕业，其他条件都符合，能评工程师吗")


@pytest.fixture(scope="module")
def services(kb_settings):  # type: ignore[no-untyped-def]
    from bot.services import Services

    return Services(kb_settings)


def _tool_match(intent: str):  # type: ignore[no-untyped-def]
    from knowledge.lang.intents import IntentMatch

    return IntentMatch(intent, "tool", 0.8, 0.3)  # as the classifier gives a wording near the tool


@pytest.mark.parametrize(("intent", "question"), [
    ("shuzhi", "本人述职超过1000字会怎样"),
    ("work_years", "读研那几年算不算工作年限"),
])
def test_a_question_about_a_tools_subject_is_answered_from_the_notices(services, intent: str, question: str) -> None:  # type: ignore[no-untyped-def]
    from handlers.interpret import _notice_first

    assert _notice_first(services, _tool_match(intent), question)


@pytest.mark.parametrize("word", lexicon()["chatter"]["requests"])
def test_asking_for_the_tool_runs_it(services, word: str) -> None:  # type: ignore[no-untyped-def]
    # Each entry («帮我», «给我» …) in the same question makes it a request to run the tool.
    from handlers.interpret import _notice_first

    assert not _notice_first(services, _tool_match("shuzhi"), f"{word}述职超过1000字会怎样")


@pytest.mark.parametrize("word", lexicon()["chatter"]["own"])
def test_speaking_of_ones_own_runs_the_tool_unless_the_figure_is_given(services, word: str) -> None:  # type: ignore[no-untyped-def]
    # «我的述职超字数了吗»: the tool counts it; «我写了1100字 超了一点没事吧»: the figure is known,
    # and what the notices allow is the question.
    from handlers.interpret import _notice_first

    assert not _notice_first(services, _tool_match("shuzhi"), f"{word}的述职超字数了会怎样")
    assert _notice_first(services, _tool_match("shuzhi"), f"{word}的述职写了1100字 超了会怎样")


def test_a_tool_that_answers_by_opening_is_not_sent_to_the_notices(services) -> None:  # type: ignore[no-untyped-def]
    # The photo check opens with the platform's photo rules: a question about photos is its own.
    from handlers.interpret import _notice_first

    assert not _notice_first(services, _tool_match("photo"), "证件照宽高比多少合适")


@pytest.mark.parametrize("word", lexicon()["same_as_before"])
def test_same_as_before_words_lean_on_the_last_question(word: str) -> None:
    # «矿山那边{word}三年吗» asks the last question's subject again, of another notice or a figure.
    from handlers.qa import _SAME

    assert _SAME.search(f"矿山那边{word}三年吗")
    assert not _SAME.search("矿山那边年度考核要几年")


@pytest.mark.parametrize("word", lexicon()["rhetorical"])
def test_a_rhetorical_where_asks_nothing(word: str) -> None:
    # «哪有那么牛 没有hhh» answers; «哪» there asks nothing.
    from handlers.interpret import asks

    assert not asks(f"{word}厉害 没有")
    assert asks("哪有证件照要求")
