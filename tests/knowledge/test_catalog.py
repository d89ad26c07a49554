"""The notice catalog: current / past per series, supplements, plan status, the messages the
dialogs use, and the refusal of a notice older than the published one."""

from __future__ import annotations

from knowledge.catalog import NOT_ONLINE, Catalog, past_notices, series_key


def _meta(nid: str, year: int | None, title: str = "", **kw: object) -> dict[str, object]:
    return {"id": nid, "title": title or f"{year}年度临平区制造业专业工程师评审通知", "region": "临平区",
            "series": "制造业", "level": "工程师", "year": year, "plans": [nid], **kw}


METAS = {
    "lp-2022": _meta("lp-2022", 2022),
    "lp-2025": _meta("lp-2025", 2025),
    "lp-2025-sup": _meta("lp-2025-sup", 2025, "关于2025年度临平区制造业工程师评审的补充通知"),
    "water": {"id": "water", "title": "水利", "region": "浙江省", "series": "水利", "level": "高级工程师", "year": 2022},
    "mining": {"id": "mining", "title": "矿山", "region": "浙江省", "series": "矿山", "level": "高级工程师", "year": None},
}


def test_the_newest_year_of_a_series_is_current_and_supplements_do_not_supersede() -> None:
    assert past_notices(METAS) == {"lp-2022": "lp-2025"}
    cat = Catalog.build(METAS, {"lp-2022": {"notice": "lp-2022"}})
    assert cat.entries["lp-2025-sup"].amends == "lp-2025" and not cat.entries["lp-2025-sup"].past
    assert cat.current_of("lp-2022") == "lp-2025"
    assert cat.label_if_past("lp-2022") == "（往年通知：2022年度；现行为2025年度通知）"
    assert cat.label_if_past("lp-2025") == ""
    assert series_key(METAS["lp-2022"]) == series_key(METAS["lp-2025"]) != series_key(METAS["water"])


def test_plan_status_and_what_the_dialogs_say() -> None:
    cat = Catalog.build(METAS, {"lp-2022": {"notice": "lp-2022"}, "water": {"notice": "water"}}, drafts=["lp-2025"])
    assert cat.entries["lp-2025"].plan_status == {"lp-2025": "draft"}
    msg = cat.plan_unavailable("lp-2025")
    assert msg and NOT_ONLINE in msg
    assert cat.plan_unavailable("water") is None
    # Menus offer current plans; last year's only when the user names its year.
    assert cat.current_plans(["lp-2022", "water"]) == ["water"]
    assert cat.current_plans(["lp-2022", "water"], year=2022) == ["lp-2022", "water"]
    # A user who chose last year's plan is offered this year's once it is published.
    assert cat.newest_plan("lp-2022") == "lp-2022"
    cat = Catalog.build(METAS, {"lp-2022": {"notice": "lp-2022"}, "lp-2025": {"notice": "lp-2025"}})
    assert cat.newest_plan("lp-2022") == "lp-2025"
    assert [e.id for e in cat.notices_without_plan()] == ["water", "mining"]


def test_an_older_notice_than_the_published_one_is_refused_with_the_reason() -> None:
    cat = Catalog.build(METAS)
    msg = cat.older_than_current(_meta("lp-2021", 2021))
    assert msg and "已发布 2025 年度通知" in msg and "2021 年度" in msg
    assert cat.older_than_current(_meta("lp-2026", 2026)) is None
    assert cat.predecessor(_meta("lp-2026", 2026)).id == "lp-2025"  # type: ignore[union-attr]
    # The same series worded a little differently is recognised, so the wording can be aligned.
    similar = cat.similar_series({**_meta("x", 2026), "series": "制造业专业"})
    assert similar is not None and similar.id in ("lp-2022", "lp-2025")
