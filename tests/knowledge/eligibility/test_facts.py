"""Free-text answers of the eligibility dialog → facts, with Chinese errors for nonsense."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.eligibility.facts import FACTS, FactError, fact_by_label, parse_fact, validate_facts


@pytest.mark.parametrize(("text", "value"), [
    ("本科", "bachelor"), ("大学本科", "bachelor"), ("本科学历", "bachelor"), ("研究生", "master"),
    ("硕士", "master"), ("硕士研究生", "master"), ("博士", "doctor"), ("大专", "associate"),
    ("专科", "associate"), ("中专", "secondary"), ("第二学士学位", "second_bachelor"),
    ("技工学校高级工班", "technician_senior"), ("预备技师班", "technician_preparatory"),
    ("中级工班", "technician_intermediate"), ("bachelor", "bachelor"),
])
def test_education(text: str, value: str) -> None:
    assert parse_fact("education", text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("2018年3月", dt.date(2018, 3, 1)), ("2018.3", dt.date(2018, 3, 1)), ("18年3月", dt.date(2018, 3, 1)),
    ("2018-03-01", dt.date(2018, 3, 1)), ("2018/3/15", dt.date(2018, 3, 15)), ("2018年3月15日", dt.date(2018, 3, 15)),
    ("２０１８年３月", dt.date(2018, 3, 1)), ("201803", dt.date(2018, 3, 1)),
])
def test_dates(text: str, value: dt.date) -> None:
    assert parse_fact("title_since", text) == value


@pytest.mark.parametrize(("text", "needle"), [
    ("2018", "月份"), ("2018年13月", "不存在"), ("去年", "2018年3月"), ("2018-02-30", "不存在"),
])
def test_bad_dates_say_what_to_write(text: str, needle: str) -> None:
    with pytest.raises(FactError, match=needle):
        parse_fact("title_since", text)


@pytest.mark.parametrize(("text", "value"), [
    ("四年半", 4.5), ("4.5年", 4.5), ("5年", 5), ("五年", 5), ("5", 5), ("十二年", 12), ("4年6个月", 4.5),
    ("大概6年", 6), ("18个月", 1.5), ("两年", 2),
])
def test_years(text: str, value: float) -> None:
    assert parse_fact("related_work_years", text) == value


def test_years_nonsense() -> None:
    with pytest.raises(FactError, match="四年半"):
        parse_fact("related_work_years", "很久")
    with pytest.raises(FactError, match="不合理"):
        parse_fact("related_work_years", "99年")


@pytest.mark.parametrize(("text", "value"), [("45学分", 45), ("45", 45), ("四十五学分", 45), ("共48分", 48),
                                             ("44.5", 44.5)])
def test_credits(text: str, value: float) -> None:
    assert parse_fact("ce_credits", text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("称职、优秀、称职", ["称职", "优秀", "称职"]), ("称职，优秀，称职", ["称职", "优秀", "称职"]),
    ("2019年称职 2020年优秀 2021年合格", ["称职", "优秀", "合格"]), ("都是称职", ["称职"] * 3),
    (["优秀", "基本称职", "称职"], ["优秀", "基本称职", "称职"]), ("优秀 不称职 称职", ["优秀", "不称职", "称职"]),
])
def test_assessments(text: object, value: list[str]) -> None:
    assert parse_fact("assessments", text) == value


def test_assessment_nonsense() -> None:
    with pytest.raises(FactError, match="优秀"):
        parse_fact("assessments", "挺好的")


@pytest.mark.parametrize(("text", "value"), [("是", True), ("否", False), ("没有", False), ("有", True),
                                             ("不是", False), ("是的", True), ("对", True), ("无", False),
                                             (True, True)])
def test_yes_no(text: object, value: bool) -> None:
    assert parse_fact("civil_servant", text) is value


def test_yes_no_nonsense() -> None:
    with pytest.raises(FactError, match="「是」或「否」"):
        parse_fact("civil_servant", "也许吧")


@pytest.mark.parametrize(("text", "value"), [("助工", "assistant_engineer"), ("助理工程师", "assistant_engineer"),
                                             ("中级工程师", "engineer"), ("高工", "senior_engineer"),
                                             ("没有", "none"), ("无", "none")])
def test_titles(text: str, value: str) -> None:
    assert parse_fact("current_title", text) == value


def test_lists_and_counts() -> None:
    assert parse_fact("skill_honours", "没有") == []
    assert parse_fact("skill_honours", "全国技术能手、省首席技师") == ["全国技术能手", "省首席技师"]
    assert parse_fact("exceptional_achievements", "两项") == 2
    assert parse_fact("exceptional_achievements", [1, 4]) == 2
    with pytest.raises(FactError, match="0 到 4"):
        parse_fact("exceptional_achievements", "7")


def test_validate_lists_every_problem_at_once() -> None:
    with pytest.raises(FactError) as err:
        validate_facts({"education": "幼儿园", "ce_credits": "很多", "shoe_size": 42})
    text = str(err.value)
    assert "education（学历）" in text and "ce_credits（继续教育学分）" in text and "shoe_size" in text


def test_validate_drops_nulls_and_parses_json_values() -> None:
    facts = validate_facts({"education": "bachelor", "title_since": "2018-03-01", "civil_servant": None})
    assert facts == {"education": "bachelor", "title_since": dt.date(2018, 3, 1)}


def test_labels_for_modify() -> None:
    assert fact_by_label("学历") == "education"
    assert fact_by_label("年度考核") == "assessments"
    assert fact_by_label("继续教育") == "ce_credits"
    assert fact_by_label("聘任时间") == "title_since"
    assert fact_by_label("星座") is None


def test_every_fact_is_documented() -> None:
    for spec in FACTS.values():
        assert spec.label and spec.meaning and spec.question and spec.example and spec.explain
        # the example answer of every question is itself understood
        parse_fact(spec.name, spec.example)


@pytest.mark.parametrize(("fact", "text", "value"), [
    ("related_work_years", "大概四年半吧", 4.5), ("related_work_years", "四年半吧", 4.5),
    ("related_work_years", "差不多5年左右", 5.0), ("ce_credits", "大概50分吧", 50.0),
    ("ce_credits", "大概五十学分", 50.0), ("ce_credits", "约48学分吧。", 48.0),
    ("title_since", "大概2018年3月吧", dt.date(2018, 3, 1)), ("education", "本科吧", "bachelor"),
    ("self_score", "大概90来分吧", 90.0), ("ce_credits", "50多分", 50.0),  # «来», «多»: about
])
def test_hedged_answers_are_understood(fact: str, text: str, value: object) -> None:
    assert parse_fact(fact, text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("对口", True), ("相关", True), ("是的", True), ("对", True), ("有", True), ("嗯", True), ("对口啊", True),
    ("不对口", False), ("不相关", False), ("没有", False), ("否", False), ("不是", False), ("不太对口吧", False),
])
def test_yes_no_words(text: str, value: bool) -> None:
    assert parse_fact("education_related", text) is value


@pytest.mark.parametrize("text", ["本科", "大学本科", "硕士", "19年3月", "2018.3", "45", "四年半", "是", "否"])
def test_specialty_refuses_answers_to_other_questions(text: str) -> None:
    with pytest.raises(FactError, match="这里问的是您从事的工程技术专业"):
        parse_fact("specialty", text)


@pytest.mark.parametrize("text", ["机电制造", "电气", "化工", "材料", "电气工程", "软件"])
def test_specialty_accepts_fields_of_work(text: str) -> None:
    assert parse_fact("specialty", text) == text


def test_future_dates_are_refused_with_an_example() -> None:
    with pytest.raises(FactError, match=r"晚于今天.*例如「2018年3月」"):
        parse_fact("title_since", f"{dt.date.today().year + 4}年3月")
    with pytest.raises(FactError, match="晚于本计划的年限截止日"):
        validate_facts({"graduation_date": "2023-07-01"}, as_of=dt.date(2022, 12, 31))


@pytest.mark.parametrize(("text", "value"), [
    ("考过了，60.5分", True), ("已经考过了", True), ("通过了", True), ("已取得", True), ("有", True),
    ("还没考", False), ("我还没考", False), ("没考", False), ("未取得", False), ("已经没有了", False),
])
def test_natural_yes_no(text: str, value: bool) -> None:
    assert parse_fact("business_exam_passed", text) is value


@pytest.mark.parametrize(("text", "value"), [
    ("民营企业", False), ("是民营企业", False), ("私营的", False), ("我们是外企", False), ("否", False),
    ("参公事业单位", True), ("中央企业驻杭分支", True), ("国家电网公司", True), ("是", True),
])
def test_employer_kind_answers_the_excluded_employer_question(text: str, value: bool) -> None:
    assert parse_fact("employer_excluded", text) is value


@pytest.mark.parametrize(("text", "asks"), [("国有企业", "国有企业要看是哪一类"), ("事业单位", "参照公务员法管理")])
def test_employer_kinds_that_may_be_excluded_are_asked_about(text: str, asks: str) -> None:
    with pytest.raises(FactError, match=asks):
        parse_fact("employer_excluded", text)


@pytest.mark.parametrize(("text", "fact", "value"), [
    ("聘任时间 2021年6月", "title_since", "2021年6月"),
    ("学分改下 42分", "ce_credits", "42分"),
    ("继续教育学分应该是42分", "ce_credits", "42分"),
    ("学历", "education", ""),  # named, nothing said of it: «修改学历» asks again
    ("项目经历那题你记错了，我答的是否", "project_experience_minimal", "否"),
    ("哦对了 聘的时间我记错了，是19年9月不是7月", "title_since", "19年9月"),  # the denied value goes
])
def test_a_correction_names_its_fact_and_says_the_new_value(text: str, fact: str, value: str) -> None:
    from knowledge.eligibility.facts import label_and_value

    assert label_and_value(text) == (fact, value)


@pytest.mark.parametrize(("text", "corrects"), [
    ("项目经历那题你记错了，我答的是否", True),
    ("学分改下 42分", True),
    ("学分算错了怎么办", False),  # asks about it
    ("我记错了", False),  # names no fact: the dialog asks which
])
def test_a_correction_is_told_by_a_fact_named_as_wrong_with_its_value(text: str, corrects: bool) -> None:
    from knowledge.eligibility.facts import corrects_a_fact

    assert corrects_a_fact(text) is corrects
