"""Every entry of lexicon.yaml (and of the Q&A scope words), explained by the notices' wording
or by the way applicants write."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from bot.settings import KNOWLEDGE_DIR
from knowledge.lang.numbers import lexicon
from knowledge.lang.text import compact, get_tokenizer
from knowledge.qa.plans import Profile, detect, levels_in

LEX = lexicon()
SCOPE = yaml.safe_load((KNOWLEDGE_DIR / "qa" / "scope.yaml").read_text(encoding="utf-8"))
# A 补充通知 extends a deadline in these words (tests/knowledge/qa/test_new_notice.py).
SUPPLEMENT_WORDING = "一、个人网上申报截止时间延长至2027年6月6日。"


@lru_cache(maxsize=1)
def notices_text() -> str:
    return "\n".join(compact(p.read_text(encoding="utf-8")) for p in sorted((KNOWLEDGE_DIR / "notices").glob("*.md")))


@pytest.mark.parametrize(("said", "written"), sorted(LEX["synonyms"].items()))
def test_synonym_stands_for_the_notices_wording(said: str, written: str) -> None:
    # The notice form is what the notices say; the applicant's form is what they type instead.
    assert written in notices_text(), f"{written!r} (for {said!r}) is in no notice"
    assert said != written


@pytest.mark.parametrize("group", LEX["equivalents"], ids=lambda g: "/".join(g))
def test_equivalent_group_holds_the_notices_wording(group: list[str]) -> None:
    # At least one member is how a notice says it («不予评审», «书面材料», «截止时间延长至»).
    text = notices_text() + SUPPLEMENT_WORDING
    assert any(w in text for w in group), f"no notice uses any of {group}"
    assert len(set(group)) == len(group) >= 2


@pytest.mark.parametrize("marker", LEX["forecast_markers"])
def test_forecast_marker_is_never_how_a_notice_states_a_rule(marker: str) -> None:
    # «还会再…», «明年还会…» ask what comes next; a notice states what is decided and never says
    # it this way, so a passage matching the rest of such a question does not answer it.
    assert marker not in notices_text() + SUPPLEMENT_WORDING


@pytest.mark.parametrize("word", LEX["question_words"])
def test_question_word_carries_no_topic(word: str) -> None:
    assert get_tokenizer().content_words(word) == []


@pytest.mark.parametrize(("question", "words"), [
    ("我学的是机械", ["机械"]),  # «我学»: a pronoun glued to a verb
    ("能报交通高工吗", ["申报", "交通", "高工"]),  # «能报»: a modal glued to a colloquial verb
    ("要不要重新提交", ["重新", "提交"]),  # a yes-no question, not a negation
    ("能力测试考什么", ["能力", "测试"]),  # «能力» is a word, not a modal
    ("评审费是在哪一步交的", ["评审费", "缴"]),  # «哪|一步»: which step, not the word «一步»
    ("哪一项不符合", ["符合"]),
])
def test_glued_pronouns_modals_and_yes_no_forms(question: str, words: list[str]) -> None:
    assert get_tokenizer().content_words(question)[:len(words)] == words


@pytest.mark.parametrize(("form", "level"), [(f, lv) for lv, fs in LEX["title_levels"].items() for f in fs])
def test_level_form_names_its_level(form: str, level: str) -> None:
    assert levels_in(f"申报{form}需要什么条件") == [level]


@pytest.mark.parametrize("blocker", LEX["level_blockers"])
def test_level_blocker_names_no_level(blocker: str) -> None:
    # «高级技师证» is a skilled worker's grade, «助理工程师» a prerequisite: no notice level.
    assert levels_in(f"我有{blocker}") == []


@pytest.mark.parametrize("counter", LEX["person_counters"])
def test_a_level_counted_as_people_names_no_level(counter: str) -> None:
    # «要几个高工签字»: referees or signers, not the level applied for …
    assert levels_in(f"要几{counter}高工签字") == [] and levels_in(f"需要2{counter}高级工程师推荐") == []
    assert levels_in(f"这{counter}高工的条件") == ["高级工程师"]  # … but «这个» counts nobody


@pytest.mark.parametrize("act", LEX["person_acts"])
def test_a_level_doing_what_a_referee_does_names_no_level(act: str) -> None:
    # «找外单位的高工签字»: a referee, not the level applied for.
    assert levels_in(f"找外单位的高工{act}行不行") == []
    assert levels_in("外单位的高工评审费多少") == ["高级工程师"]


@pytest.mark.parametrize("form", LEX["province"])
def test_province_form_names_the_provincial_notices_only_softly(form: str) -> None:
    province = Profile.from_meta("prov", {"title": "2022年度浙江省水利专业高级工程师申报指引", "region": "浙江省",
                                          "series": "水利", "level": "高级工程师", "year": 2022})
    city = Profile.from_meta("city", {"title": "2024年度杭州市建设工程专业工程师申报流程", "region": "杭州市",
                                      "series": "建设工程", "level": "工程师", "year": 2024})
    assert detect(f"{form}的高工评审表几份", [province, city]).notices == ["prov"]
    assert detect(f"{form}建设工程师评审表几份", [province, city]).notices == ["city"]


PLACES = [(city, c) for city, counties in LEX["zhejiang_places"].items() for c in counties]


@pytest.mark.parametrize(("city", "county"), PLACES)
def test_county_belongs_to_its_city(city: str, county: str) -> None:
    # A question from a county is about its city's notice: «我是海宁的» for the 嘉兴 notice.
    notice = Profile.from_meta("n", {"title": f"2026年度{city}市环境工程专业工程师评审通知", "region": f"{city}市",
                                     "series": "环境工程", "level": "工程师", "year": 2026})
    other = Profile.from_meta("o", {"title": "2026年度舟山市建设工程专业工程师评审通知" if city != "舟山" else
                                    "2026年度台州市建设工程专业工程师评审通知", "region": "舟山市" if city != "舟山" else "台州市",
                                    "series": "建设工程", "level": "工程师", "year": 2026})
    assert detect(f"我是{county}的，环境工程师什么时候申报", [notice, other]).notices == ["n"]
    assert detect(f"我是{county}的，建设工程师什么时候申报", [notice, other]).conflict is not None


def test_places_are_named_once() -> None:
    forms = [c for _, c in PLACES] + list(LEX["zhejiang_places"])
    assert len(forms) == len(set(forms))


@pytest.mark.parametrize("word", SCOPE["other_topics"])
def test_topic_no_notice_states(word: str) -> None:
    # Notices set procedure; they never state pass rates, pay, subsidies, syllabi or reissues.
    from knowledge.qa.retrieval import Retriever

    says = Retriever._says  # a word of the text, not part of another («工资» in «竣工资料»)

    class _T:
        tokenizer = get_tokenizer()

    assert not says(_T(), word, notices_text())  # type: ignore[arg-type]


@pytest.mark.parametrize("word", SCOPE["other_series"])
def test_other_series_is_no_notice_series(word: str) -> None:
    assert not any(word in str(m.get("series") or "") for m in _front_matters())


def _front_matters() -> list[dict]:
    from knowledge.frontmatter import parse

    return [parse(p.read_text(encoding="utf-8"))[0] for p in sorted(Path(KNOWLEDGE_DIR / "notices").glob("*.md"))]


@pytest.mark.parametrize("word", lexicon()["period_ends"]["start"])
def test_the_start_of_a_period_is_answered_by_the_period(word: str) -> None:
    """«啥时候开始报»: a passage stating «8月1日至15日» names the start."""
    from knowledge.qa.retrieval import Retriever

    assert Retriever._credit(word, "时间为8月1日至15日") == 1.0


@pytest.mark.parametrize("word", lexicon()["period_ends"]["end"])
def test_the_end_of_a_period_is_answered_by_the_period(word: str) -> None:
    from knowledge.qa.retrieval import Retriever

    assert Retriever._credit(word, "时间为8月1日至15日") == 1.0


# Applicants' words for the notices' generic acts («申请职称» is «申报», «评定职称» is «评审»).
SAID_FOR = {"申请": "申报", "评定": "评审"}


@pytest.mark.parametrize("act", LEX["generic_acts"])
def test_generic_act_is_named_for_many_actors_in_the_notices(act: str) -> None:
    # «个人申报», «单位审核», «受理点审核» …: the act alone does not say whose step is meant.
    text = notices_text()
    written = SAID_FOR.get(act, act)
    assert written in LEX["generic_acts"]
    actors = {text[i - 2:i] for i in range(2, len(text)) if text.startswith(written, i)}
    assert len(actors) >= 5, (act, sorted(actors))


@pytest.mark.parametrize("cue", LEX["redirect"])
def test_redirect_says_what_the_last_message_meant(cue: str) -> None:
    from knowledge.eligibility.extract import answer_bool

    # After «不是», the cue makes the message a redirect, not the answer «否».
    assert answer_bool(f"不是，{cue}教师职称", "civil_servant") is None


@pytest.mark.parametrize("word", LEX["inclusion"])
def test_inclusion_word_asks_whether_a_notice_covers_something(word: str) -> None:
    # Each is how a notice lists what it covers («评审专业包括：…») or how people ask it; none is
    # a topic of its own.
    from knowledge.lang.text import get_tokenizer

    assert get_tokenizer().content_words(f"临平制造业{word}纺织吗")[-1] in (word, "纺织")
