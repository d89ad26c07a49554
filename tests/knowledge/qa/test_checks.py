"""是的 / 不是 before a passage, for a yes/no question that checks one figure."""

from __future__ import annotations

import pytest

from knowledge.qa.checks import UNITS, figure_check
from knowledge.qa.retrieval import Retriever
from knowledge.qa.service import QAService

MINING = "9. 年度考核材料。需提供任现职以来或近 5 年的年度考核均为合格以上的单位年度考核材料，已获博士学位申报高级工程师任职资格人员，因工作年限不满四年的，需提供参加工作以来的年度考核材料。"
LINPING = ("1. 对在企业一直从事专业技术工作的专业技术人员, 对助理级职称不作要求:(1) 大学专科毕业后, 从事本专业或相近专业工作 7 年以上。\n"
           "(2) 大学本科毕业后, 从事本专业或相近专业工作 5 年以上。")


def check(question: str, passage: str, subject: list[str]) -> str | None:
    return figure_check(question, passage, subject, Retriever.credit)


def test_a_different_figure_where_the_passage_speaks_of_the_subject_is_a_no() -> None:
    # «不满四年» is said of another thing (a doctor's years of work), not of the assessments.
    assert check("年度考核，矿山那边也是三年吗", MINING, ["年度考核"]) == "不是：通知写的是「近5年」，不是3年。"


def test_the_sentence_about_the_subject_is_the_one_read() -> None:
    assert check("本科毕业要工作5年吗", LINPING, ["本科", "毕业", "工作"]).startswith("是的")
    assert check("大专毕业要工作5年吗", LINPING, ["大专", "毕业", "工作"]).startswith("不是")  # «大学专科»: 7


@pytest.mark.parametrize("question", [
    "本科毕业要工作几年",  # no yes/no question
    "本科要5年还是7年吗",  # two figures asked
    "2022年的通知还管用吗",  # a calendar year is no figure
    "本科我读了5年 都算吗",  # the figure is the asker's, the clause that asks checks none
    "本科聘工程师4年能破格吗",  # a figure given, and something else asked of it
])
def test_nothing_is_claimed_when_no_single_figure_is_checked(question: str) -> None:
    assert check(question, LINPING, ["本科"]) is None


def test_nothing_is_claimed_when_the_passage_states_several_such_figures() -> None:
    assert check("毕业要工作5年吗", LINPING, []) is None  # 7 and 5, and nothing tells them apart


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_is_compared_with_the_same_unit(unit: str) -> None:
    assert check(f"要3{unit}吗", f"至少3{unit}。", []) == f"是的，通知写的是「至少3{unit}」。"
    assert check(f"要3{unit}吗", f"至少4{unit}。", []).startswith("不是")


def test_answers_lead_with_yes_or_no(qa_service: QAService) -> None:
    ans = qa_service.answer("水利高工代表性业绩最多5项吗")
    assert ans.answered and ans.text.startswith("是的，通知写的是「合计不超过5项」")


@pytest.mark.parametrize(("question", "lead"), [
    ("述职我写了1100字 超了一点没事吧", "不符合：通知写的是「限1000字以内」，您说的是1100字。"),
    ("述职写了800字行不行", "按通知写的「限1000字以内」，您说的800字符合这一条。"),
    ("我估计自己就80来分 那还能走自评吗", None),  # no bound in the passage below: nothing claimed
])
def test_a_figure_of_ones_own_is_set_against_the_bound_stated(question: str, lead: str | None) -> None:
    assert check(question, "其中“本人述职”内容为专业工作业绩情况（限1000字以内）。", ["述职"]) == lead


def test_a_lower_bound_is_met_or_not() -> None:
    passage = "自评分需达到100分才能申报。"
    assert check("我估计自己就80来分 那还能走自评吗", passage, ["自评分"]) == "不符合：通知写的是「达到100分」，您说的是80分。"
    assert check("我自评有105分 能走自评吗", passage, ["自评分"]).startswith("按通知写的「达到100分」")
    assert check("我自评有3年 能走自评吗", passage, ["自评分"]) is None  # another unit: nothing to set against


def test_own_figures_in_years_are_not_set_against_a_bound() -> None:
    # Which years a bound counts (聘任, 工作, since graduation) the passage alone does not say.
    assert check("我工作了3年 能报吗", "从事本专业工作 5 年以上。", ["工作"]) is None
