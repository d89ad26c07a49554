"""Which notices a question names: read from each notice's own front matter, title and text."""

from __future__ import annotations

import pytest

from knowledge.lang.numbers import lexicon
from knowledge.lang.text import compact
from knowledge.qa.plans import Profile, detect, levels_in, naming_spans

# Front matter as an HR officer's plain-text upload gets it: no aliases, perhaps no series.
THIN = {
    "city-eco": ({"title": "关于做好2026年度丽水市生态环境工程专业工程师职务任职资格评审工作的通知",
                  "region": "丽水市", "series": None, "level": "工程师", "year": None},
                 "一、评审范围\n本市（含莲都区、龙泉市）从事环境监测工作的人员。\n丽水市生态环境局\n2026年4月2日"),
    "prov-road": ({"title": "关于开展2025年度浙江省交通运输工程专业高级工程师和正高级工程师职务任职资格评审工作的通知",
                   "region": "浙江省", "series": "交通运输工程", "level": "高级工程师", "year": 2025}, ""),
    "hz-build": ({"title": "2024年度杭州市建设工程专业工程师资格申报评审流程", "region": "杭州市",
                  "series": "建设工程", "level": "工程师", "year": 2024}, ""),
    "linping": ({"title": "关于做好2022年度临平区制造业专业工程师资格评审工作的通知", "region": "临平区",
                 "series": "制造业", "level": "工程师", "year": 2022}, ""),
    "hz-chem": ({"title": "2022年度杭州市化工轻纺专业高级工程师资格申报流程", "region": "杭州市",
                 "series": "化工轻纺", "level": "高级工程师", "year": 2022}, ""),
}


@pytest.fixture(scope="module")
def profiles() -> list[Profile]:
    return [Profile.from_meta(nid, meta, body) for nid, (meta, body) in THIN.items()]


def test_levels_read_from_title_and_front_matter(profiles: list[Profile]) -> None:
    by = {p.notice: p for p in profiles}
    # The front matter says 高级工程师 only; the title evaluates both levels.
    assert by["prov-road"].levels == ["高级工程师", "正高级工程师"]
    assert by["city-eco"].levels == ["工程师"]
    assert levels_in("我有高级技师证") == [] and levels_in("助理工程师聘了几年") == []
    assert levels_in("评上工程师以后要干几年才能报高工") == ["工程师", "高级工程师"]


def test_thin_front_matter_is_completed_from_the_title(profiles: list[Profile]) -> None:
    eco = next(p for p in profiles if p.notice == "city-eco")
    # No series in the front matter: the title names it; applicants shorten it to its words.
    assert {"生态环境", "生态", "环境"} <= set(eco.series)
    assert eco.year == 2026 and eco.city == "丽水" and not eco.provincial
    assert eco.issued is not None and eco.issued.isoformat() == "2026-04-02"
    road = next(p for p in profiles if p.notice == "prov-road")
    assert {"交通运输", "交通"} <= set(road.series) and road.provincial


@pytest.mark.parametrize(("question", "notices"), [
    ("丽水环保工程师什么时候申报", ["city-eco"]),  # region alone; «环保» stands between region and level
    ("交通正高评审费多少", ["prov-road"]),
    ("省里交通高工几号截止", ["prov-road"]),  # «省里» is soft: it agrees with the provincial notice
    ("浙江建设工程师评审表几份", ["hz-build"]),  # … and never rules out a city notice
    ("杭州制造业工程师", ["linping"]),  # a city names the notices of its districts
    ("我是龙泉的，丽水环境工程师受理点电话", ["city-eco"]),  # a county the notice lists
    ("我学的是化工，现在在丽水做环境监测，能报工程师吗", ["city-eco"]),  # a background, not the plan
    # Another place beside a region a notice is named after is where something happened.
    ("之前在湖州交的社保，能用我们单位报丽水环保工程师吗", ["city-eco"]),
])
def test_questions_name_the_notices_they_are_about(profiles: list[Profile], question: str,
                                                   notices: list[str]) -> None:
    named = detect(question, profiles)
    assert named.conflict is None and named.notices == notices


@pytest.mark.parametrize(("question", "facet"), [
    ("丽水建设工程的工程师申报也延期了吗", "region"),  # named together, no notice is both
    ("丽水环保高工今年什么时候申报", "level"),  # only a 中级 notice of 丽水 is loaded
    ("湖州生态环境工程师什么时候开始报", "place"),  # another city's applicants
    ("2025年化工轻纺高工大概几月开始报", "year"),  # only the 2022 notice is loaded
    ("建设工程正高怎么报", "level"),
])
def test_facets_that_cannot_agree_name_no_loaded_notice(profiles: list[Profile], question: str,
                                                       facet: str) -> None:
    named = detect(question, profiles)
    assert named.notices == [] and named.named == [] and (named.conflict or "").startswith(facet)


def test_a_year_in_the_topic_is_no_plan_year(profiles: list[Profile]) -> None:
    assert detect("化工轻纺高工2021年的继续教育按哪个文件算", profiles).conflict is None


def test_only_the_words_that_name_the_answering_notice_are_masked(profiles: list[Profile]) -> None:
    q = "今年已经在建设工程那边报了高工，交通的还能一起报吗"
    named = detect(q, profiles)
    assert named.notices == ["prov-road"]
    masked = {q[s:e] for s, e, _ in naming_spans(named, profiles, q)}
    # «交通» named the answering notice; «建设工程» is the topic; «高工» picks among two levels.
    assert "交通" in masked and "建设工程" not in masked and "高工" not in masked


@pytest.mark.parametrize("said", ["22年那次是几号到几号", "2022年的通知里学分要多少", "22年那一批什么时候公示"])
def test_a_year_followed_by_a_round_of_the_notices_names_the_plan_year(profiles: list[Profile], said: str) -> None:
    # «22年» is how people write 2022; «那次», «的通知» (lexicon plan_rounds) make it the plan's year.
    named = detect(said, profiles)
    assert named.facets.get("year") == "2022" and named.conflict is None
    year_span = next((s, e) for s, e, kind, _ in named.spans if kind == "year")
    assert compact(said)[slice(*year_span)].startswith(("22年", "2022年"))


@pytest.mark.parametrize("said", ["从事本专业15年以上", "近22年的业绩都要吗", "2021年的继续教育学分"])
def test_a_length_of_time_or_a_year_in_the_topic_names_no_plan_year(profiles: list[Profile], said: str) -> None:
    assert "year" not in detect(said, profiles).facets


@pytest.mark.parametrize("round_", lexicon()["plan_rounds"])
def test_each_round_word_makes_the_year_before_it_the_plan_year(profiles: list[Profile], round_: str) -> None:
    assert detect(f"22年{round_}网上申报是几号", profiles).facets.get("year") == "2022"
