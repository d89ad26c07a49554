"""The one normaliser for numbers, durations and dates (knowledge/lang/numbers.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.lang import numbers

TODAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize(("text", "expected"), [
    ("十五天", "15天"),  # read as 5 by the old hand-written converter
    ("二十个工作日", "20个工作日"),  # the old converter made «2十»
    ("一式两份", "1式2份"),  # how notices count copies
    ("近三年年度考核", "近3年年度考核"),
    ("三年七个月", "3年7个月"),
    ("四年半", "4.5年"),
    ("半年", "0.5年"),
    ("十一月", "11月"),
    ("二〇一八年九月", "2018年9月"),
    ("四十七八分", "47至48分"),  # a range: «forty-seven or eight»
    ("两篇论文", "2篇论文"),
    ("四十五", "45"),  # a whole answer that is a numeral
    ("学分五十多吧", "学分50多吧"),  # «about fifty» closing an answer, no unit
    ("一百来个，记不清", "100来个,记不清"),
])
def test_counting_numerals_become_digits(text: str, expected: str) -> None:
    assert numbers.to_arabic(text) == expected


@pytest.mark.parametrize("text", ["一般", "统一组织", "一致", "唯一", "一律", "第一作者", "进一步", "一多半", "一来就问"])
def test_words_that_only_contain_a_numeral_stay(text: str) -> None:
    assert numbers.to_arabic(text) == text


@pytest.mark.parametrize("word", numbers.lexicon()["measure_words"])
def test_every_measure_word_counts_a_numeral(word: str) -> None:
    """Each entry exists because a numeral before it is a count: «三<word>» → «3<word>»."""
    assert numbers.to_arabic(f"共三{word}") == f"共3{word}"


@pytest.mark.parametrize(("text", "value", "approx", "high"), [
    ("45学分", 45, False, None),
    ("大概60分吧，学习新干线上看的", 60, True, None),
    ("差不多48分", 48, True, None),
    ("继续教育四十七八分吧", 47, True, 48),  # the lower end counts: never overstate
    ("五十多分", 50, True, None),
])
def test_quantities_people_type(text: str, value: float, approx: bool, high: float | None) -> None:
    q = numbers.first_quantity(text)
    assert q is not None and (q.value, q.approx, q.high) == (value, approx, high)


@pytest.mark.parametrize("hedge", numbers.lexicon()["hedges"]["before"])
def test_every_leading_hedge_marks_a_figure_approximate(hedge: str) -> None:
    q = numbers.first_quantity(f"{hedge}48分")
    assert q is not None and q.value == 48 and q.approx


@pytest.mark.parametrize("hedge", numbers.lexicon()["hedges"]["after"])
def test_every_trailing_hedge_marks_a_figure_approximate(hedge: str) -> None:
    q = numbers.first_quantity(f"48分{hedge}")
    assert q is not None and q.value == 48 and q.approx


@pytest.mark.parametrize(("text", "years", "approx"), [
    ("3年7个月", 3.58, False),  # the bot's own format, once refused
    ("三年零七个月", 3.58, False),
    ("五年多", 5.5, True),
    ("对口工作五年多了", 5.5, True),
    ("十来年", 10, True),  # «来»: about ten, either way
    ("干了二十来年", 20, True),
    ("四年半", 4.5, False),
    ("8个多月", 0.67, True),
    ("干了18年", 18, False),
])
def test_durations(text: str, years: float, approx: bool) -> None:
    d = numbers.duration(text)
    assert d is not None and (d.years, d.approx) == (years, approx)


@pytest.mark.parametrize("phrase", numbers.lexicon()["until_now"])
def test_every_until_now_phrase_means_a_period_up_to_now(phrase: str) -> None:
    d = numbers.duration(f"毕业后{phrase}")
    assert d is not None and d.until_now and d.years is None


@pytest.mark.parametrize("text", ["18年9月", "2022年", "2016.07", "十一月"])
def test_dates_are_not_durations(text: str) -> None:
    assert numbers.duration(text) is None


@pytest.mark.parametrize(("text", "date", "precision"), [
    ("18年9月聘的", dt.date(2018, 9, 1), "month"),
    ("2018.9", dt.date(2018, 9, 1), "month"),
    ("2018-09-15", dt.date(2018, 9, 15), "day"),
    ("20160701", dt.date(2016, 7, 1), "day"),
    ("二〇一八年九月", dt.date(2018, 9, 1), "month"),
    ("去年9月拿的证", dt.date(2025, 9, 1), "month"),
    ("2019年毕业", dt.date(2019, 1, 1), "year"),
    ("99年7月", dt.date(1999, 7, 1), "month"),
    ("16年毕业", dt.date(2016, 1, 1), "year"),  # a two-digit year with what happened in it
])
def test_dates(text: str, date: dt.date, precision: str) -> None:
    found = numbers.dates(text, TODAY)
    assert [(d.date, d.precision) for d in found] == [(date, precision)]


def test_several_dates_in_one_message_keep_their_order() -> None:
    found = numbers.dates("16年7月毕业，18年9月聘的助工", TODAY)
    assert [d.date for d in found] == [dt.date(2016, 7, 1), dt.date(2018, 9, 1)]


def test_no_dates_in_a_plain_count() -> None:
    assert numbers.dates("继续教育45学分", TODAY) == []


def test_a_run_of_numerals_pasted_as_text_is_no_number() -> None:
    """A 述职 of 600 «一» must not overflow or turn into one huge figure."""
    text = "一" * 600
    assert numbers.to_arabic(text) == text
    assert numbers.cn_to_number(text) is None


@pytest.mark.parametrize("level", numbers.lexicon()["level_before_event"])
def test_the_education_finished_may_stand_between_the_year_and_the_event(level: str) -> None:
    """«09年本科毕业»: the year of graduation, never «9 years»."""
    assert numbers.duration(f"09年{level}毕业") is None
    assert [d.date.year for d in numbers.dates(f"09年{level}毕业", TODAY)] == [2009]


@pytest.mark.parametrize("event", numbers.lexicon()["event_after_year"])
def test_a_year_followed_by_an_event_is_a_date_not_a_length(event: str) -> None:
    assert numbers.duration(f"16年{event}") is None
    assert [d.date.year for d in numbers.dates(f"16年{event}", TODAY)] == [2016]
