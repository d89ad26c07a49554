"""「工作年限」 through the real dispatcher, a SQLite state store and the real plan files."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.work_years import compute, full_months, parse_periods
from knowledge.lang.numbers import lexicon
from tests.handlers.conftest import Chat, menu_number

LINPING = "linping-manufacturing-engineer-2022"
CUTOFF = dt.date(2022, 12, 31)


def test_full_months_counts_whole_calendar_months_inclusive() -> None:
    assert full_months(dt.date(2015, 7, 1), dt.date(2018, 6, 30)) == (36, 0)
    assert full_months(dt.date(2016, 7, 15), CUTOFF) == (77, 17)
    assert full_months(dt.date(2020, 1, 15), dt.date(2020, 2, 13)) == (0, 30)


def test_periods_parse_in_the_ways_people_write_them() -> None:
    got = parse_periods("2015.7-2018.6、2019年3月至今", CUTOFF)
    assert [(p.start, p.end) for p in got] == [(dt.date(2015, 7, 1), dt.date(2018, 6, 30)),
                                               (dt.date(2019, 3, 1), CUTOFF)]
    assert parse_periods("2016-07-15起", CUTOFF)[0].start == dt.date(2016, 7, 15)
    # A lone start said as a story: still working from then.
    assert [(p.start, p.end) for p in parse_periods("15年7月开始上班的", CUTOFF)] == [(dt.date(2015, 7, 1), CUTOFF)]
    for bad in ("2019年13月至今", "去年开始", "2015年", "2018年6月-2015年7月", "2016年7月听说要评"):
        with pytest.raises(ValueError):
            parse_periods(bad, CUTOFF)


def test_overlaps_count_once_and_work_after_the_cutoff_not_at_all() -> None:
    periods = parse_periods("2015年1月-2017年12月，2017年1月-2019年12月，2023年3月至今", CUTOFF)
    result = compute(periods, CUTOFF)
    assert result.months == 60 and result.years == 5 and len(result.ignored) == 1


def test_dialog_counts_to_the_plans_cutoff_and_cites_the_clause(chat: Chat) -> None:
    plan = chat.services.plans[LINPING]
    assert plan.as_of == CUTOFF  # the rule under test: years count to the plan's as_of
    ask = chat.say("工作年限")
    assert "2022年12月31日" in ask
    prompt = chat.say(menu_number(ask, plan.title))
    assert "截止到 2022年12月31日" in prompt
    reply = chat.say("2015年7月-2018年6月，2019年3月至今")
    assert "合计 6年10个月，按整年计为 6 年" in reply
    assert "距满 7 年还差 2 个月" in reply
    assert "专业工作年限计算到 2022 年 12 月 31 日" in reply  # the clause, quoted
    assert "满 12 个月为 1 年" in reply  # the counting rule, explained
    assert chat.services.store.get_dialog(chat.user).get("flow") is None  # over, plan remembered
    again = chat.say("工作年限")
    assert "沿用" in again and plan.title in again
    assert "请回复序号" in chat.say("换计划")


def test_plan_named_in_words_and_a_bad_answer_keeps_the_dialog(chat: Chat) -> None:
    chat.say("工作年限")
    assert "截止到 2022年12月31日" in chat.say("临平制造业")
    bad = chat.say("好几年了")
    assert "2015年7月" in bad  # explains the format again
    assert chat.services.store.get_dialog(chat.user)["flow"] == "work_years"
    assert "按整年计为 6 年" in chat.say("2016.7")


@pytest.mark.parametrize("has_year", [True, False])
def test_plan_without_a_stated_cutoff_says_so(chat: Chat, has_year: bool) -> None:
    # A plan of a year counts to that year's end (a 2024 plan asked about in 2026 must not count to
    # today); a plan of no year can only count to today. Either way the reply says it chose the day.
    plan = next(p for p in chat.services.plans.values() if p.as_of is None and bool(p.year) == has_year)
    ask = chat.say("工作年限")
    chat.say(menu_number(ask, plan.title))
    reply = chat.say("2010年9月至今")
    assert "没有写明年限计算到哪一天" in reply
    day = f"{plan.year}年12月31日" if has_year else dt.date.today().strftime("%Y年")
    assert f"计算到 {day}" in reply


def test_plan_remembered_from_an_earlier_dialog_is_used(chat: Chat) -> None:
    chat.services.store.set_dialog(chat.user, {"plan": LINPING})
    assert "沿用 2022年度临平区制造业专业工程师资格评审？" in chat.say("工作年限")
    assert "截止到 2022年12月31日" in chat.say("是")


def test_cancel_leaves(chat: Chat) -> None:
    chat.say("工作年限")
    assert "已退出" in chat.say("取消")
    assert chat.services.store.get_dialog(chat.user) == {}


@pytest.mark.parametrize("word", lexicon()["switch_plan"])
def test_every_switch_word_lists_the_plans_again_mid_dialog(chat: Chat, word: str) -> None:
    """lexicon.yaml switch_plan: each entry, said while the dates are asked, brings the numbered
    plan list back (not «重新开始» with the remembered plan offered first)."""
    chat.say(menu_number(chat.say("工作年限"), chat.services.plans[LINPING].title))
    reply = chat.say(word)
    assert "请回复序号" in reply and "沿用" not in reply


@pytest.mark.parametrize("word", lexicon()["not_working"])
def test_a_stretch_said_to_be_no_work_is_not_counted(word: str) -> None:
    """lexicon.yaml not_working: a period said with the word is a break; a story that mixes one
    into its work is not summed as one stretch but asked again period by period."""
    got = parse_periods(f"2015年7月-2018年6月，2018年7月-2019年2月{word}，2019年3月至今", CUTOFF)
    assert [(p.start.year, p.end.year) for p in got] == [(2015, 2018), (2019, 2022)]
    with pytest.raises(ValueError, match="分别写出"):
        parse_periods(f"09年7月就进设计院了 中间13年到14年{word} 后来一直干到现在", CUTOFF)
