"""How a verdict quotes the user: the specialty as the plan lists it or trimmed, the facts a
plan uses (for 「修改…」), and the year note only where years are counted."""

from __future__ import annotations

import pytest

from bot.settings import get_settings
from knowledge.eligibility.plans import Plan, load_plans
from knowledge.eligibility.rules import evaluate, facts_used, listed_specialty, render_text, specialty_shown


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return load_plans(get_settings().plans_dir)


def test_specialty_is_quoted_as_the_listed_one_or_trimmed() -> None:
    assert specialty_shown("搞机械的,机电吧", ["机电制造", "机电", "机械"]) == "「机电制造」"
    assert specialty_shown("搞机械的,机电吧") == "您填写的专业（搞机械的，机电）"
    assert specialty_shown("软件开发") == "「软件开发」"


def test_a_bare_listed_specialty_among_facts_is_found(plans: dict[str, Plan]) -> None:
    linping = plans["linping-manufacturing-engineer-2022"]
    assert listed_specialty(linping, "能评吗，临平的，机电，本科") == "机电"
    assert listed_specialty(linping, "我是做电气的，本科") == "电气"
    assert listed_specialty(linping, "临平的，本科，16年毕业") is None  # a place is no specialty
    assert listed_specialty(plans["zhejiang-water-senior-2022"], "机电，本科") is None  # lists none


def test_linping_detail_quotes_the_listed_specialty(plans: dict[str, Plan]) -> None:
    plan = plans["linping-manufacturing-engineer-2022"]
    text = render_text(evaluate(plan, {"specialty": "搞机械的,机电吧"}), plan, detail=True)
    assert "「机电制造」不属于统一考试专业" in text and "搞机械的" not in text


def test_facts_used(plans: dict[str, Plan]) -> None:
    water = facts_used(plans["zhejiang-water-senior-2022"])
    assert "business_exam_passed" in water and "education" not in water
    linping = facts_used(plans["linping-manufacturing-engineer-2022"])
    assert {"education", "registered_certificate", "employer_excluded", "specialty"} <= linping


def test_year_note_only_where_years_are_counted(plans: dict[str, Plan]) -> None:
    water = plans["zhejiang-water-senior-2022"]
    assert water.as_of is None
    text = render_text(evaluate(water, {"business_exam_passed": True}), water, detail=True)
    assert "年限按" not in text
    counted = [p for p in plans.values() if p.as_of is None and p.id != water.id
               and any(r.check == "title_years" for r in p.rules)]
    for plan in counted:
        assert "以下年限按" in render_text(evaluate(plan, {}), plan, detail=True)


def test_years_of_a_plan_without_a_stated_cutoff_count_to_the_end_of_its_year(plans: dict[str, Plan]) -> None:
    # The 2024 construction notice states no cut-off: asked in 2026, 助工 since 2021-06 is 3 years
    # 6 months at the end of 2024 — not the 5 years 6 months counted to today that passed it.
    plan = plans["hangzhou-construction-engineer-2024"]
    assert plan.as_of is None and plan.year == 2024
    verdict = evaluate(plan, {"current_title": "assistant_engineer", "title_since": "2021-06-01"})
    assert verdict.as_of.isoformat() == "2024-12-31"
    assert verdict.routes["normal"].eligible is False
    text = render_text(verdict, plan, detail=True)
    assert "2024年12月31日" in text and "申报年度末" in text


def test_a_title_never_appointed_meets_no_route_that_counts_its_appointment(plans: dict[str, Plan]) -> None:
    # «14年拿了个助理工程师 不过厂里没给发聘书»: 正常申报 and 破格 count years of appointment.
    plan = plans["linping-manufacturing-engineer-2022"]
    facts = {"current_title": "assistant_engineer", "title_appointed": False, "education": "associate",
             "skill_level": "technician", "skill_since": "2016-12-01"}
    verdict = evaluate(plan, facts)
    assert verdict.routes["normal"].eligible is False and verdict.routes["exceptional"].eligible is False
    assert "title_since" not in verdict.missing
    assert "没有实际聘任" in render_text(verdict, plan)
