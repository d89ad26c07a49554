"""The slot filler (knowledge/eligibility/extract.py): every fact a free message states, and one
test per entry of knowledge/eligibility/cues.yaml explaining why it is there."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.eligibility.extract import _negated, answer_bool, answers_by_act, cues, extract

TODAY = dt.date(2026, 12, 1)
C = cues()


def facts(text: str, pending: str | None = None) -> dict:
    return extract(text, pending, TODAY).facts


# --- whole messages people really send ---------------------------------------------------------

def test_one_message_fills_several_facts() -> None:
    got = facts("本科，18年9月聘的助工，干了五年多")
    assert got == {"education": "bachelor", "current_title": "assistant_engineer",
                   "title_since": dt.date(2018, 9, 1), "related_work_years": 5.5}


@pytest.mark.parametrize("text", ["哦不对 助工是18年拿的 19年才聘的", "助工18年拿的，19年聘的"])
def test_the_title_counts_from_its_appointment(text: str) -> None:
    # appointed_cues: the rules count years appointed («聘任»); the date said with «聘» wins over
    # the date the title was obtained, whichever comes first in the message.
    assert facts(text)["title_since"] == dt.date(2019, 12, 1)
    # A second appointment later does not move the first.
    assert facts("18年9月聘的助工，20年又聘了一次")["title_since"] == dt.date(2018, 9, 1)


def test_a_request_with_facts_around_it() -> None:
    got = facts("我是单位人事，帮我们一个员工测一下能不能评临平的工程师：他中专学历，做机电的，助工是18年6月聘的，没有技师证")
    assert got == {"education": "secondary", "specialty": "机电", "current_title": "assistant_engineer",
                   "title_since": dt.date(2018, 6, 1), "skill_level": "none"}


def test_the_title_applied_for_is_not_the_title_held() -> None:
    assert "current_title" not in facts("我想知道自己够不够条件评工程师，本科")
    assert facts("还没评过助工")["current_title"] == "none"
    assert facts("硕士毕业没评过助工的能报吗")["current_title"] == "none"  # «能不能» asks, «没» denies


@pytest.mark.parametrize(("text", "pending", "expected"), [
    ("3年7个月", "related_work_years", {"related_work_years": 3.58}),
    ("大概60分吧，学习新干线上看的", "ce_credits", {"ce_credits": 60.0}),
    ("继续教育四十七八分吧", None, {"ce_credits": 47.0}),
    ("不属于，就是个私人老板开的厂", "employer_excluded", {"employer_excluded": False, "employer_type": "enterprise"}),
    ("考核两个称职一个优秀", None, {"assessments": ["称职", "称职", "优秀"]}),
    ("三年都是称职", None, {"assessments": ["称职", "称职", "称职"]}),
    ("19、20年合格，21年优秀", None, {"assessments": ["合格", "合格", "优秀"]}),  # a list of years, one grade
    ("19和20年都是称职，21年优秀", None, {"assessments": ["称职", "称职", "优秀"]}),
    ("考核19年称职，20年基本称职，21年称职", None, {"assessments": ["称职", "基本称职", "称职"]}),
    ("毕业后一直干这个，算下来3年零7个月", None, {"related_work_years": 3.58}),
    ("48", "ce_credits", {"ce_credits": 48.0}),
    ("48", None, {}),  # a bare number answers only the question it is given to
    # «近三年» counts years of assessments, not credits, even while credits are asked
    ("继续教育50学分，近三年考核都称职", "ce_credits", {"ce_credits": 50.0, "assessments": ["称职", "称职", "称职"]}),
])
def test_answers_in_natural_forms(text: str, pending: str | None, expected: dict) -> None:
    assert facts(text, pending) == expected


def test_until_now_and_single_years() -> None:
    assert extract("一直干到现在", "related_work_years", TODAY).until_now
    assert extract("哦不对，20年也是称职", None, TODAY).assessment_years == {2020: "称职"}


def test_same_field_studied_and_worked_in_is_related() -> None:
    got = facts("我本科学的电气，毕业后一直做电气")
    assert got["specialty"] == "电气" and got["education_related"] is True


def test_yes_no_answers_must_be_answers() -> None:
    assert answer_bool("不是", "civil_servant") is False
    assert answer_bool("不是公务员", "civil_servant") is False
    assert answer_bool("不测了 太麻烦", "civil_servant") is None  # not an answer: the user quits
    assert answer_bool("那应该是否吧", "civil_servant") is False  # «那» opens it, «应该…吧» hedges it
    assert answer_bool("属于吧，我们是国网下面的供电公司，国有的", "employer_excluded") is True


# --- one test per cues.yaml entry ---------------------------------------------------------------

@pytest.mark.parametrize("word", C["negation"])
def test_negation_before_a_cue(word: str) -> None:
    assert _negated(f"{word}公务员", "公务员")


@pytest.mark.parametrize("word", C["negation_after"])
def test_negation_closing_a_part(word: str) -> None:
    assert _negated(f"技能荣誉{word}", "荣誉")


@pytest.mark.parametrize("word", C["education_words"])
def test_education_words(word: str) -> None:
    assert "education" in facts(f"我是{word}毕业")


@pytest.mark.parametrize(("fact", "word"), [(f, w) for f, ws in C["date_cues"].items() for w in ws])
def test_date_cues(fact: str, word: str) -> None:
    assert facts(f"18年9月{word}")[fact] == dt.date(2018, 9, 1)


@pytest.mark.parametrize("word", C["credit_cues"])
def test_credit_cues(word: str) -> None:
    assert facts(f"{word}有48")["ce_credits"] == 48


@pytest.mark.parametrize("word", C["score_cues"])
def test_score_cues(word: str) -> None:
    assert facts(f"{word}78分")["self_score"] == 78


def test_a_corrected_score_is_the_figure_said_not_the_one_denied() -> None:
    assert facts("自评分是78分不是85")["self_score"] == 78
    assert facts("说错了，自评分不是85，是78")["self_score"] == 78


@pytest.mark.parametrize("word", C["score_cues"])
def test_a_denied_score_cue_and_a_date_give_no_score(word: str) -> None:
    # «他走正常申报，不自评。…助工是2020年3月才聘的»: no score was said; 2020 is the appointment.
    said = facts(f"他走正常申报，不{word}。对了说错了，他助工是2020年3月才聘的，不是2019", "self_score")
    assert "self_score" not in said and said["title_since"] == dt.date(2020, 3, 1)
    assert "self_score" not in facts(f"{word}是2021年做的", "self_score")


def test_assessments_for_all_years_but_the_ones_counted() -> None:
    assert sorted(facts("都合格，有一年优秀", "assessments")["assessments"]) == ["优秀", "合格", "合格"]


@pytest.mark.parametrize("word", C["work_cues"])
def test_work_cues(word: str) -> None:
    assert facts(f"{word}了五年")["related_work_years"] == 5


@pytest.mark.parametrize("word", C["count_cues"])
def test_count_cues(word: str) -> None:
    assert facts(f"有两{word}", "exceptional_achievements")["exceptional_achievements"] == 2


@pytest.mark.parametrize("word", C["civil_servant_cues"])
def test_civil_servant_cues(word: str) -> None:
    assert facts(f"我不是{word}")["civil_servant"] is False


@pytest.mark.parametrize("word", C["excluded_cues"])
def test_excluded_cues(word: str) -> None:
    assert facts(f"我们单位不属于{word}")["employer_excluded"] is False
    assert facts(f"属于{word}")["employer_excluded"] is True


@pytest.mark.parametrize("word", C["scope_cues"])
def test_scope_cues_mean_the_opposite(word: str) -> None:
    assert facts(f"我们单位不在{word}")["employer_excluded"] is True


@pytest.mark.parametrize("word", C["private_employers"])
def test_private_employers_are_never_excluded(word: str) -> None:
    assert facts(f"我们是{word}") == {"employer_excluded": False, "employer_type": "enterprise"}


@pytest.mark.parametrize(("kind", "word"), [("enterprise", w) for w in C["enterprise_words"]]
                         + [("institution", w) for w in C["institution_words"]])
def test_employer_kinds(kind: str, word: str) -> None:
    assert facts(f"在{word}上班")["employer_type"] == kind


@pytest.mark.parametrize("word", C["related_cues"])
def test_related_cues(word: str) -> None:
    assert facts(f"专业{word}")["education_related"] is True


@pytest.mark.parametrize(("word", "value"), list(C["skill_words"].items()))
def test_skill_words(word: str, value: str) -> None:
    assert facts(f"有{word}证")["skill_level"] == value
    assert facts(f"没有{word}证")["skill_level"] == "none"


@pytest.mark.parametrize("word", C["skill_word_not_after"])
def test_honours_named_after_technicians_are_no_certificate(word: str) -> None:
    assert "skill_level" not in facts(f"获得过{word}技师称号")


@pytest.mark.parametrize("word", C["honours_cues"])
def test_honours_cues(word: str) -> None:
    assert facts(f"没有{word}")["skill_honours"] == []


@pytest.mark.parametrize("text", ["我想评工程师", "能不能报临平的工程师", "临平工程师网上申报几号开始", "申请高工要什么条件"])
def test_a_title_applied_for_or_a_plan_level_is_not_held(text: str) -> None:
    assert "current_title" not in facts(text)


@pytest.mark.parametrize(("text", "title"), [("现在是助工", "assistant_engineer"), ("助工", "assistant_engineer"),
                                             ("18年9月聘的助工", "assistant_engineer"), ("评上工程师了", "engineer"),
                                             ("助工是18年6月聘的", "assistant_engineer"), ("我是高工", "senior_engineer")])
def test_a_title_held(text: str, title: str) -> None:
    assert facts(text)["current_title"] == title


@pytest.mark.parametrize("word", C["specialty_verbs"])
def test_specialty_verbs(word: str) -> None:
    assert facts(f"一直{word}机电的")["specialty"] == "机电"


@pytest.mark.parametrize("word", C["not_a_verb"])
def test_words_that_hide_a_verb(word: str) -> None:
    assert "specialty" not in facts(f"我们做{word}的")


@pytest.mark.parametrize("word", C["not_a_field"])
def test_technical_work_in_general_names_no_specialty(word: str) -> None:
    assert "specialty" not in facts(f"一直在厂里做{word}")


def test_a_verb_inside_a_word_before_it() -> None:
    assert "specialty" not in facts("学习新干线上看的")  # «新干线»: no 干


@pytest.mark.parametrize("word", C["study_verbs"])
def test_study_verbs(word: str) -> None:
    assert extract(f"{word}电气的", None, TODAY).major == "电气"


@pytest.mark.parametrize("word", C["not_study_after"])
def test_words_that_begin_with_study(word: str) -> None:
    assert extract(f"学{word}电气的", None, TODAY).major is None


def test_a_title_said_with_when_it_was_obtained_is_held() -> None:
    assert facts("20年拿的助工")["current_title"] == "assistant_engineer"
    got = facts("我09年本科毕业的 15年评的工程师")
    assert got["current_title"] == "engineer" and got["graduation_date"].year == 2009
    assert "related_work_years" not in got  # «09年» is a year, not 9 years of work


def test_an_exact_figure_after_an_approximate_one_refines_it() -> None:
    got = extract("好像是50多分吧 52", "ce_credits", TODAY)
    assert got.facts["ce_credits"] == 52 and "ce_credits" not in got.approx
    assert extract("50多分 近三年考核都称职", "ce_credits", TODAY).facts["ce_credits"] == 50  # no figure after


def test_a_grade_for_every_year_with_one_year_named_apart() -> None:
    # «都是合格，21年是优秀»: 合格 for each year, and 2021 set apart (applied to the plan's years).
    ex = extract("都是合格，21年是优秀", None, TODAY)
    assert ex.facts["assessments"] == ["合格", "合格", "合格"] and ex.assessment_years == {2021: "优秀"}


@pytest.mark.parametrize("word", C["answer_acts"])
def test_a_no_said_with_the_act_asked_about_is_an_answer(word: str) -> None:
    # «没取得» to «是否已取得业务考试成绩合格证明？» answers it; «不想测了» reads alike and quits.
    assert answers_by_act(f"没{word}", "business_exam_passed")
    assert answer_bool(f"没{word}", "business_exam_passed") is False
    assert not answers_by_act("不想测了", "business_exam_passed")


@pytest.mark.parametrize("word", C["not_appointed"])
def test_a_title_never_appointed_has_no_appointment_date(word: str) -> None:
    # «14年拿了个助理工程师 不过厂里{word}»: the title is held, not appointed; 2014 is no 聘任时间.
    said = facts(f"14年拿了个助理工程师 不过厂里{word}")
    assert said["title_appointed"] is False and said["current_title"] == "assistant_engineer"
    assert "title_since" not in said


@pytest.mark.parametrize("verb", C["date_verbs"])
def test_an_act_of_obtaining_dates_the_grade_named_beside_it(verb: str) -> None:
    # «技师证是16年{verb}»: the act is any title's; «技师» says whose date it is.
    said = facts(f"技师证是16年{verb}")
    assert said["skill_since"] == dt.date(2016, 12, 1) and "title_since" not in said


@pytest.mark.parametrize("word", C["same_field"])
def test_a_field_studied_said_to_be_like_the_work_is_related(word: str) -> None:
    assert facts(f"学机电的，跟现在干的{word}")["education_related"] is True
    assert "specialty" not in facts(f"学机电的，跟现在干的{word}")  # «的差不多» is no field
    assert facts(f"学会计的，跟现在干的不{word}").get("education_related") is not True


def test_a_length_in_years_never_answers_the_credits_question() -> None:
    # «十来年» to «…继续教育合计取得多少学分？» is how long they worked, not 10 credits.
    assert "ce_credits" not in facts("好多年了 毕业就在这个厂 十来年吧", "ce_credits")
    assert facts("学分大概五十来分吧", "ce_credits")["ce_credits"] == 50


@pytest.mark.parametrize(("text", "value"), [("今年还在聘", True), ("刚说了，在聘", True), ("没在聘了", False)])
def test_a_yes_no_fact_said_by_its_own_name(text: str, value: bool) -> None:
    # «在聘» is the fact's name and its predicate: said with «还», «刚说了», or negated.
    assert answer_bool(text, "currently_appointed") is value
    assert facts(f"员工A，硕士，{text}").get("currently_appointed") is value
