"""The plan drafter on a notice written here (not one it was developed on): every drafted item
cites its clause, conditions the engine has no form for are quoted, the draft validates, its
personas behave, and a supplement moves only the dates it changes."""

from __future__ import annotations

import datetime as dt

from knowledge.eligibility.draft import draft_amendment, draft_plan, run_personas
from knowledge.eligibility.plans import Plan
from knowledge.ingest import infer_meta

NOTICE = """关于做好2027年度湖州市建筑业专业工程师职务任职资格评审工作的通知

一、申报对象

（一）在本市企事业单位从事建筑施工、工程监理、工程造价等工程技术工作的在职专业技术人员。

（二）以下人员不得申报：

1. 公务员（含参照公务员法管理的工作人员）；

2. 已办理退休手续的人员。

二、申报条件

（一）基本条件。近两年年度考核均为“合格”以上。

（二）学历、资历条件。申报人员应具备下列条件之一：

1. 具有硕士学位，取得助理工程师资格后，从事本专业工作满二年；

2. 具有大学本科学历，取得助理工程师资格后，从事本专业工作满四年。

专业工作年限计算到2027年12月31日。

（三）继续教育。2025年至2027年累计取得继续教育不少于72学时。

三、时间安排

（一）网上申报：2027年6月2日至6月20日。

（二）用人单位应于6月30日前完成审核推荐。

四、申报材料

（一）网上上传以下材料：

1. 学历证书；

2. 助理工程师证书；

联系人：刘洋，联系电话：0572-2223344。

湖州市人力资源和社会保障局

2027年5月6日
"""


def _draft():  # type: ignore[no-untyped-def]
    meta = infer_meta(NOTICE, "huzhou-construction-2027.txt")
    return meta, draft_plan(meta, NOTICE)


def test_front_matter_is_proposed_from_the_text() -> None:
    meta, _ = _draft()
    assert (meta["region"], meta["series"], meta["level"], meta["year"]) == ("湖州市", "建筑业", "工程师", 2027)
    assert meta["contacts"] == [{"name": "刘洋", "phone": "0572-2223344"}]
    assert meta["issuer"] == "湖州市人力资源和社会保障局"
    assert {"建筑施工", "工程监理", "工程造价"} <= set(meta["series_aliases"])


def test_rules_dates_and_materials_each_cite_their_clause() -> None:
    _, d = _draft()
    p = d.plan
    by_check = {r["check"]: r for r in p["rules"]}
    assert by_check["title_years"]["params"]["years"] == {"bachelor": 4, "master": 2}
    assert by_check["assessments"]["params"] == {"accepted": ["优秀", "称职", "合格"], "count": 2}
    assert p["parameters"]["ce_min"]["value"] == 72 and "2025年至2027年" in p["questions"]["ce_credits"]
    assert by_check["flag"]["params"] == {"fact": "civil_servant", "fail_if": True}
    assert p["as_of"] == dt.date(2027, 12, 31)
    assert all(r["clause"]["quote"] and r["clause"]["notice"] == p["notice"] for r in p["rules"])
    windows = {(str(e.get("start")), str(e.get("end"))) for e in p["timeline"]}
    assert ("2027-06-02", "2027-06-20") in windows and ("None", "2027-06-30") in windows
    assert not any("2027-12-31" in str(e) or "2027-05-06" in str(e) for e in p["timeline"])
    assert [m["text"] for m in p["general_materials"]] == ["学历证书", "助理工程师证书"]
    assert any("退休" in o.text for o in d.open_items)  # no rule form for it: quoted, not dropped


def test_the_draft_validates_and_its_personas_behave() -> None:
    _, d = _draft()
    plan = Plan.model_validate(d.plan)
    results = run_personas(plan, d.personas)
    assert results and all(r["ok"] for r in results)
    assert {r["expect"] for r in results} == {"meets", "fails"}
    # An edit that contradicts a persona shows: 本科 now needs 6 years, the 4-year applicant fails.
    edited = {**d.plan, "rules": [
        {**r, "params": {**r["params"], "years": {"bachelor": 6, "master": 2}}} if r["check"] == "title_years" else r
        for r in d.plan["rules"]]}
    assert not all(r["ok"] for r in run_personas(Plan.model_validate(edited), d.personas))


def test_a_supplement_moves_only_the_dates_it_changes() -> None:
    _, d = _draft()
    sup = ("关于2027年度湖州市建筑业专业工程师评审的补充通知\n\n"
           "一、网上申报截止时间延长至2027年6月25日。\n\n二、用人单位审核推荐时间（6月30日前）不变。\n")
    meta = {**infer_meta(sup, "sup.txt"), "id": "sup"}
    amended, changes = draft_amendment(d.plan, meta, sup)
    ends = {str(e.get("end")) for e in amended.plan["timeline"]}
    assert "2027-06-25" in ends and "2027-06-30" in ends and "2027-06-20" not in ends
    assert len(changes) == 1 and "2027-06-25" in changes[0]
