"""POST /api/eligibility over real HTTP (uvicorn on a loopback port), and the same JSON from
`python -m bot eligibility` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.services import set_services
from bot.settings import Settings
from bot.wechat.loopback import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
LINPING = "linping-manufacturing-engineer-2022"
PERSONA = {"education": "bachelor", "education_related": True, "graduation_date": "2014-07-01",
           "specialty": "机电制造", "current_title": "assistant_engineer", "title_since": "2018-03-01",
           "related_work_years": 8, "ce_credits": 50, "assessments": ["称职", "称职", "优秀"], "civil_servant": False}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    data_dir = tmp_path_factory.mktemp("api-elig")
    settings = Settings(data_dir=data_dir, state_url=f"sqlite:///{data_dir / 'state.db'}", database_url="",
                        redis_url="", scheduler_in_serve=False)
    try:
        with serve_in_thread(create_app(settings), lifespan="off") as url, \
                httpx.Client(base_url=url, timeout=15) as http:
            yield http
    finally:
        set_services(None)


def test_persona_gets_routes_reasons_and_materials(api: httpx.Client) -> None:
    r = api.post("/api/eligibility", json={"plan": LINPING, "facts": PERSONA})
    assert r.status_code == 200
    body = r.json()
    assert body["plan"] == LINPING and body["as_of"] == "2022-12-31"
    assert body["facts"]["title_since"] == "2018-03-01"
    assert sorted(body["eligible_routes"]) == ["direct", "normal"]
    assert set(body["routes"]) == {"normal", "direct", "skilled", "exceptional"}
    assert body["routes"]["normal"]["eligible"] is True
    assert body["routes"]["skilled"]["eligible"] is None and "skill_level" in body["missing"]
    assert any("聘书" in m["text"] for m in body["materials"]["normal"])
    for item in body["routes"]["normal"]["passed"]:
        assert item["clause"]["notice"] == LINPING and item["clause"]["quote"]


def test_failed_rule_comes_with_clause_and_what_if(api: httpx.Client) -> None:
    facts = PERSONA | {"title_since": "2019-09-01", "related_work_years": 3, "graduation_date": "2019-07-01",
                       "exceptional_achievements": 0}
    body = api.post("/api/eligibility", json={"plan": LINPING, "facts": facts}).json()
    assert body["eligible_routes"] == []
    failed = {f["rule"]: f for f in body["routes"]["normal"]["failed"]}
    assert "assistant_title_years" in failed
    assert "满 4 年" in failed["assistant_title_years"]["message"]
    assert "实际聘任助理工程师职务满 4 年" in failed["assistant_title_years"]["clause"]["quote"]
    assert body["what_if"]["routes"]["normal"]["year"] == 2023


@pytest.mark.parametrize(("payload", "needle"), [
    ({"plan": "shanghai-2022", "facts": {}}, "未知的评审计划"),
    ({"plan": LINPING, "facts": {"education": "幼儿园"}}, "学历"),
    ({"plan": LINPING, "facts": {"title_since": "2018-02-30"}}, "不存在"),
    ({"plan": LINPING, "facts": {"height": 180}}, "未知的条件项"),
    ({"plan": LINPING, "facts": {}, "debug": True}, "未知字段"),
    ({"facts": {}}, "plan"),
    ({"plan": "hangzhou-construction-engineer-2024", "facts": {}, "as_of": "明年"}, "as_of"),
])
def test_bad_requests_get_400_with_a_clear_message(api: httpx.Client, payload: dict, needle: str) -> None:
    r = api.post("/api/eligibility", json=payload)
    assert r.status_code == 400
    assert needle in r.json()["detail"]


def test_malformed_json_is_400(api: httpx.Client) -> None:
    r = api.post("/api/eligibility", content=b"{plan: linping", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert "JSON" in r.json()["detail"]


def test_plan_without_cutoff_takes_as_of(api: httpx.Client) -> None:
    facts = {"current_title": "assistant_engineer", "title_since": "2021-01-01"}
    body = api.post("/api/eligibility", json={"plan": "hangzhou-construction-engineer-2024", "facts": facts,
                                              "as_of": "2024-12-31"}).json()
    assert body["as_of"] == "2024-12-31" and body["as_of_stated"] is False
    assert body["routes"]["normal"]["failed"] == []
    assert body["eligible_routes"] == []  # the notice does not state every condition
    assert "《评价标准》" in body["conditions_note"]


def test_cli_prints_the_same_json(api: httpx.Client, tmp_path: Path) -> None:
    facts_file = tmp_path / "facts.json"
    facts_file.write_text(json.dumps(PERSONA, ensure_ascii=False), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "bot", "eligibility", "--plan", LINPING, "--facts", str(facts_file)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    via_cli = json.loads(out.stdout)
    via_api = api.post("/api/eligibility", json={"plan": LINPING, "facts": PERSONA}).json()
    assert via_cli == via_api
    text = subprocess.run([sys.executable, "-m", "bot", "eligibility", "--plan", LINPING, "--facts",
                           str(facts_file), "--text"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=True).stdout
    assert "可以申报：正常申报、直接申报" in text
    bad = subprocess.run([sys.executable, "-m", "bot", "eligibility", "--plan", "nope", "--facts", str(facts_file)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "未知的评审计划" in bad.stderr


def test_free_text_facts_are_understood_and_echoed(api: httpx.Client) -> None:
    facts = PERSONA | {"education": "大学本科", "title_since": "2018.3", "related_work_years": "四年半",
                       "ce_credits": "45学分", "assessments": "称职、优秀、称职", "civil_servant": "否"}
    body = api.post("/api/eligibility", json={"plan": LINPING, "facts": facts}).json()
    assert body["facts"]["education"] == "bachelor" and body["facts"]["related_work_years"] == 4.5
    assert body["eligible_routes"] == ["normal"]
    assert body["what_if"]["routes"]["direct"]["message"] == (
        "若以后年度沿用本通知的条件、年限计算到 2023年12月31日，可走直接申报（假设，以当年通知为准）")


@pytest.mark.parametrize(("facts", "needles"), [
    ({"title_since": "2030-01-01"}, ["聘任时间", "2030年1月", "晚于今天"]),
    ({"graduation_date": "2040-07-01"}, ["毕业时间", "2040年7月", "晚于今天"]),
    # Not in the future, but after the cut-off the years are counted to: nothing to count.
    ({"title_since": "2023-03-01"}, ["聘任时间", "晚于本计划的年限截止日 2022年12月31日"]),
])
def test_dates_in_the_future_or_after_the_cutoff_are_400(api: httpx.Client, facts: dict, needles: list[str]) -> None:
    r = api.post("/api/eligibility", json={"plan": LINPING, "facts": PERSONA | facts})
    assert r.status_code == 400
    for needle in needles:
        assert needle in r.json()["detail"]


def test_cite_names_the_notice_title_not_the_plan_id(api: httpx.Client) -> None:
    body = api.post("/api/eligibility", json={"plan": LINPING, "facts": PERSONA}).json()
    cites = [i["cite"] for r in body["routes"].values() for i in r["passed"] + r["failed"]]
    cites += [m["cite"] for items in body["materials"].values() for m in items]
    assert cites and all(c.startswith("《关于做好2022年度临平区制造业专业工程师资格评审工作的通知》") for c in cites)
    assert not any(LINPING in c for c in cites)
