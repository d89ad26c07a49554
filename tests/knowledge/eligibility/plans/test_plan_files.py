"""Every plan file validates, and every clause it cites is really in its notice."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from bot.settings import get_settings
from knowledge.citation import Clause
from knowledge.eligibility.facts import ASK_ORDER, FACTS
from knowledge.eligibility.plans import Plan, load_plan_file
from knowledge.eligibility.rules import CHECKS

PLANS_DIR = get_settings().plans_dir
NOTICES_DIR = get_settings().notices_dir
PLAN_FILES = sorted(PLANS_DIR.glob("*.yaml"))
EXPECTED = {
    "hangzhou-chemical-textile-senior-2022", "hangzhou-construction-engineer-2024",
    "zhejiang-mining-blasting-senior", "linping-manufacturing-engineer-2022", "zhejiang-water-senior-2022",
}


def norm(text: str) -> str:
    """Compare wording, not conversion debris: NFKC, no whitespace, one kind of quote marks."""
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"\s+", "", t)
    return t.replace("“", '"').replace("”", '"').replace("〔", "[").replace("〕", "]")


def clauses(plan: Plan) -> list[tuple[str, Clause]]:
    """The clauses this plan's eligibility part cites (the timeline block has its own owner)."""
    out: list[tuple[str, Clause]] = []
    if plan.as_of_clause:
        out.append(("as_of", plan.as_of_clause))
    out += [(f"parameter {k}", p.clause) for k, p in plan.parameters.items()]
    out += [(f"rule {r.id}", r.clause) for r in plan.rules]
    out += [("material", m.clause) for m in plan.general_materials]
    for route in plan.routes:
        out.append((f"route {route.id}", route.clause))
        out += [(f"route {route.id} material", m.clause) for m in route.materials]
        out += [(f"route {route.id} note", n.clause) for n in route.notes if n.clause]
    out += [("note", n.clause) for n in plan.notes if n.clause]
    return out


def notice_body(notice_id: str) -> str:
    path = NOTICES_DIR / f"{notice_id}.md"
    if not path.exists():
        pytest.skip(f"notice {notice_id} not converted yet")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module", params=PLAN_FILES, ids=[p.stem for p in PLAN_FILES])
def plan(request: pytest.FixtureRequest) -> Plan:
    return load_plan_file(request.param)


def test_all_five_plans_are_there() -> None:
    assert {p.stem for p in PLAN_FILES} >= EXPECTED


def test_plan_validates_and_cites_its_own_notice(plan: Plan) -> None:
    assert plan.notice == plan.id
    for where, clause in clauses(plan):
        assert clause.notice == plan.notice, where


def test_every_quote_is_verbatim_in_the_notice(plan: Plan) -> None:
    body = norm(notice_body(plan.notice))
    for where, clause in clauses(plan):
        assert norm(clause.quote) in body, f"{plan.id} {where}: quote not in notice: {clause.quote[:40]}"


def test_every_path_follows_the_notice_headings(plan: Plan) -> None:
    text = notice_body(plan.notice)
    lines = [norm(line.lstrip("#").strip()).rstrip(":。") for line in text.splitlines()]
    headings = {i for i, line in enumerate(text.splitlines()) if line.startswith("#")}
    for where, clause in clauses(plan):
        pos = -1
        parts = [norm(p).rstrip(":。") for p in clause.path.split("›")]
        for k, part in enumerate(parts):
            last = k == len(parts) - 1
            hits = [i for i, line in enumerate(lines) if i > pos and line.startswith(part)
                    and (i in headings or last)]
            assert hits, f"{plan.id} {where}: path segment {part!r} not found in order ({clause.path})"
            pos = hits[0]


def test_conditions_apart_from_the_notice_are_named(plan: Plan) -> None:
    # A plan whose notice does not state every condition must say where the rest is.
    if any(not r.conditions_complete for r in plan.routes):
        assert plan.other_conditions_doc and "《" in plan.other_conditions_doc


def test_linping_states_its_cutoff_and_routes() -> None:
    plan = load_plan_file(PLANS_DIR / "linping-manufacturing-engineer-2022.yaml")
    assert str(plan.as_of) == "2022-12-31"
    assert [r.id for r in plan.routes] == ["normal", "direct", "skilled", "exceptional"]
    assert all(r.conditions_complete for r in plan.routes)
    assert plan.param("ce_credits_min") == 45


def test_checks_facts_and_ask_order_agree() -> None:
    assert set(ASK_ORDER) == set(FACTS)
    assert len(ASK_ORDER) == len(set(ASK_ORDER))
    assert CHECKS  # populated on import


# --- the schema refuses broken files, naming the file ------------------------------------

def _write(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    import yaml

    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _minimal() -> dict[str, Any]:
    clause = {"notice": "demo", "path": "一、", "quote": "原文"}
    return {
        "id": "demo", "title": "示例", "region": "杭州", "series": "示例", "level": "工程师", "year": 2022,
        "notice": "demo", "as_of": "2022-12-31", "as_of_clause": clause,
        "parameters": {"ce": {"value": 45, "clause": clause}},
        "rules": [{"id": "continuing_education", "title": "学分", "check": "min_number",
                   "params": {"fact": "ce_credits", "min": "$ce"}, "clause": clause}],
        "general_rules": ["continuing_education"],
        "routes": [{"id": "normal", "title": "正常申报", "clause": clause, "rules": []}],
    }


def test_the_minimal_plan_is_valid(tmp_path: Path) -> None:
    plan = load_plan_file(_write(tmp_path, "demo", _minimal()))
    assert plan.rule("continuing_education").check == "min_number"


@pytest.mark.parametrize(("mutate", "needle"), [
    (lambda d: d.update(deadline="2022-08-15"), "deadline"),  # unknown top-level key
    (lambda d: d["routes"][0].update(rulez=[]), "rulez"),  # unknown key deeper down
    (lambda d: d.update(as_of="2022-13-40"), "as_of"),  # bad date
    (lambda d: d["routes"][0].update(rules=["work_years"]), "work_years"),  # dangling rule id
    (lambda d: d["rules"][0]["params"].update(min="$nope"), "$nope"),  # dangling parameter
    (lambda d: d["rules"][0].update(check="min_numbr"), "min_numbr"),  # unknown check
    (lambda d: d["rules"][0]["params"].update(fact="credits"), "credits"),  # unknown fact
    (lambda d: d["rules"][0]["params"].pop("min"), "min"),  # missing check argument
    (lambda d: d.update(general_rules=[]), "used by no route"),  # a rule switched off by accident
    (lambda d: d.update(id="other"), "file name"),
])
def test_broken_plans_fail_with_the_file_name(tmp_path: Path, mutate: Any, needle: str) -> None:
    from knowledge.eligibility.plans import PlanError

    data = _minimal()
    mutate(data)
    with pytest.raises(PlanError) as err:
        load_plan_file(_write(tmp_path, "demo", data))
    assert "demo.yaml" in str(err.value)
    assert needle in str(err.value)


def test_the_cli_validates_every_plan() -> None:
    from bot.cli import main

    assert main(["plans", "validate"]) == 0


def test_the_cli_rejects_a_broken_plan_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    data = _minimal()
    data["as_of"] = "2022-02-30"
    _write(tmp_path, "demo", data)
    assert main(["plans", "validate", "--dir", str(tmp_path)]) == 1
    assert "demo.yaml" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "first"), [
    ("临平", "linping-manufacturing-engineer-2022"), ("我在临平做机电", "linping-manufacturing-engineer-2022"),
    ("临平化工企业", "linping-manufacturing-engineer-2022"), ("制造业", "linping-manufacturing-engineer-2022"),
    ("水利高工", "zhejiang-water-senior-2022"), ("建设工程", "hangzhou-construction-engineer-2024"),
    ("矿山", "zhejiang-mining-blasting-senior"), ("爆破", "zhejiang-mining-blasting-senior"),
    ("化工高级工程师", "hangzhou-chemical-textile-senior-2022"), ("杭州化工", "hangzhou-chemical-textile-senior-2022"),
])
def test_match_plans_infers_the_plan_from_words(text: str, first: str) -> None:
    from knowledge.eligibility.plans import match_plans

    assert match_plans(text)[0] == first


@pytest.mark.parametrize("text", ["材料清单", "你好", "上海", ""])
def test_match_plans_stays_silent_without_a_clue(text: str) -> None:
    from knowledge.eligibility.plans import match_plans

    assert match_plans(text) == []


def test_get_plan_and_materials() -> None:
    from knowledge.eligibility.plans import get_plan

    plan = get_plan("linping-manufacturing-engineer-2022")
    exceptional = [m.text for m in plan.materials("exceptional")]
    assert any("破格推荐" in t for t in exceptional)
    assert not any("破格推荐" in m.text for m in plan.materials("normal"))
    with pytest.raises(KeyError, match="known"):
        get_plan("shanghai-2030")
