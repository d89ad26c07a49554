"""Per-plan case files (tests/knowledge/eligibility/cases/<plan>.yaml) and the dev personas, run through the engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import get_settings
from knowledge.eligibility.plans import Plan, load_plans
from knowledge.eligibility.rules import evaluate

CASES_DIR = Path(__file__).parent / "cases"
DEV_PERSONAS = Path(__file__).resolve().parents[4] / "shared" / "eval" / "eligibility_dev.yaml"


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return load_plans(get_settings().plans_dir)


def _case_files() -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) | {"_file": p.name}
            for p in sorted(CASES_DIR.glob("*.yaml"))]


def _cases() -> list[Any]:
    out = []
    for doc in _case_files():
        for case in doc["cases"]:
            out.append(pytest.param(doc, case, id=f"{doc['plan']}:{case['id']}"))
    return out


def _facts(doc: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    facts = dict(doc.get("base") or {})
    for k, v in (case.get("facts") or {}).items():
        if v is None:
            facts.pop(k, None)
        else:
            facts[k] = v
    return facts


def _rules(result: dict[str, Any], key: str) -> set[str]:
    return {item["rule"] for r in result["routes"].values() for item in r[key]}


def run_case(plans: dict[str, Plan], doc: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    as_of = doc.get("as_of")
    return evaluate(plans[doc["plan"]], _facts(doc, case),
                    as_of=dt.date.fromisoformat(str(as_of)) if as_of else None).to_dict()


@pytest.mark.parametrize(("doc", "case"), _cases())
def test_case(plans: dict[str, Plan], doc: dict[str, Any], case: dict[str, Any]) -> None:
    result = run_case(plans, doc, case)
    assert set(result["routes"]) == {r.id for r in plans[doc["plan"]].routes}  # every route evaluated
    if "routes" in case:
        assert sorted(result["eligible_routes"]) == sorted(case["routes"])
    if "stated_met" in case:
        assert sorted(result["stated_conditions_met_routes"]) == sorted(case["stated_met"])
    for rule in case.get("failed", []):
        assert rule in _rules(result, "failed"), (rule, result["routes"])
    for rule in case.get("passed", []):
        assert rule in _rules(result, "passed"), rule
        assert rule not in _rules(result, "failed"), rule
    for rule in case.get("unknown", []):
        assert rule in _rules(result, "unknown"), rule
    if "missing" in case:
        if case["missing"]:
            assert set(case["missing"]) <= set(result["missing"]), result["missing"]
        else:
            assert result["missing"] == [] or set(result["missing"]).isdisjoint(_facts(doc, case))
    for route, status in (case.get("status") or {}).items():
        assert result["routes"][route]["eligible"] is status, route
    for route, year in (case.get("what_if") or {}).items():
        assert result["what_if"]["routes"][route]["year"] == year
        # No notice for that year exists: the message states the assumption, not a promise.
        message = result["what_if"]["routes"][route]["message"]
        assert f"若以后年度沿用本通知的条件、年限计算到 {year}年12月31日，可走" in message, message
        assert "假设" in message and "年度可走" not in message
    for rule, text in (case.get("message_contains") or {}).items():
        msgs = [i["message"] for r in result["routes"].values() for i in r["failed"] + r["passed"] if i["rule"] == rule]
        assert any(text in m for m in msgs), msgs
    for text in case.get("notes_contain", []):
        assert any(text in n for n in result["notes"]), result["notes"]
    for text in case.get("notes_exclude", []):
        assert not any(text in n for n in result["notes"]), result["notes"]
    # every failed rule explains itself with its clause
    for r in result["routes"].values():
        for item in r["failed"]:
            assert item["message"] and item["clause"]["quote"] and item["clause"]["notice"] == doc["plan"]
        if r["eligible"] is False:
            assert r["failed"]


def test_every_rule_has_a_passing_and_a_failing_case(plans: dict[str, Plan]) -> None:
    for doc in _case_files():
        plan = plans[doc["plan"]]
        declared_pass = {r for c in doc["cases"] for r in c.get("passed", [])}
        declared_fail = {r for c in doc["cases"] for r in c.get("failed", [])}
        for rule in plan.rules:
            if rule.severity == "advice":
                continue
            assert rule.id in declared_pass, f"{doc['_file']}: no passing case for {rule.id}"
            assert rule.id in declared_fail, f"{doc['_file']}: no failing case for {rule.id}"


def test_every_plan_has_a_case_file(plans: dict[str, Plan]) -> None:
    assert {doc["plan"] for doc in _case_files()} == set(plans)


def test_linping_years_count_to_the_cutoff_not_today(plans: dict[str, Plan]) -> None:
    plan = plans["linping-manufacturing-engineer-2022"]
    facts = {"education": "bachelor", "education_related": True, "current_title": "assistant_engineer",
             "title_since": "2020-06-01", "specialty": "电气", "ce_credits": 50,
             "assessments": ["称职"] * 3, "civil_servant": False}
    result = evaluate(plan, facts, as_of=dt.date(2030, 1, 1)).to_dict()  # a plan's own cut-off wins
    assert result["as_of"] == "2022-12-31"
    assert "normal" not in result["eligible_routes"]
    assert result["what_if"]["routes"]["normal"]["year"] == 2024
    assert "年限计算到 2024年12月31日，可走正常申报" in result["what_if"]["messages"][0]
    assert "不变" in result["what_if"]["assumption"] and "以当年通知为准" in result["what_if"]["assumption"]


def test_bad_facts_are_refused_with_chinese_messages(plans: dict[str, Plan]) -> None:
    from knowledge.eligibility.facts import FactError

    plan = plans["linping-manufacturing-engineer-2022"]
    with pytest.raises(FactError, match="学历"):
        evaluate(plan, {"education": "幼儿园大班"})
    with pytest.raises(FactError, match="未知的条件项"):
        evaluate(plan, {"salary": 10000})
    with pytest.raises(FactError, match="日期"):
        evaluate(plan, {"title_since": "2019-02-30"})


def _personas() -> list[Any]:
    if not DEV_PERSONAS.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{DEV_PERSONAS} absent"))]
    return [pytest.param(p, id=p["id"]) for p in yaml.safe_load(DEV_PERSONAS.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("persona", _personas())
def test_dev_persona(plans: dict[str, Plan], persona: dict[str, Any]) -> None:
    result = evaluate(plans[persona["plan"]], persona["facts"]).to_dict()
    assert sorted(result["eligible_routes"]) == sorted(persona["routes"])
    failed = _rules(result, "failed")
    for rule in persona.get("because", []):
        assert rule in failed, (rule, failed)
