"""Numbers, durations and dates in Chinese text — the one normaliser for the whole project.

Chinese numerals become Arabic digits only where they count something: a numeral run followed
by a measure word from the lexicon («十五天» → «15天», «一式两份» → «1式2份», «近三年» → «近3年»),
so words that merely contain a numeral character («一般», «统一», «一致») stay as they are.
The numerals themselves are converted by cn2an (a maintained library), never by hand.

On top of that: quantities people type with hedges and ranges («大概60分吧», «四十七八分»),
durations («3年7个月», «五年多», «四年半», «一直干到现在») and dates («18年9月», «2018.9»,
«二〇一八年九月», «去年9月»), each with the span of text it came from.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cn2an
import yaml

LEXICON = Path(__file__).with_name("lexicon.yaml")
_DIGITS = "零〇一二两三四五六七八九"
_NUMERAL_CHARS = _DIGITS + "十百千万"
MAX_NUMERAL = 12  # characters: 「二〇二二」, 「一百二十」, 「三点五」 … a longer run is no figure


@lru_cache(maxsize=1)
def lexicon() -> dict:
    return yaml.safe_load(LEXICON.read_text(encoding="utf-8")) or {}


@lru_cache(maxsize=1)
def _unit_re() -> str:
    units = sorted({str(u) for u in lexicon()["measure_words"]}, key=len, reverse=True)
    return "(?:" + "|".join(map(re.escape, units)) + ")"


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    unit = _unit_re()
    # «四十七八分», «七八年»: two neighbouring digits after a tens part = a range.
    rng = re.compile(rf"([一二三四五六七八九]?十)?([一二三四五六七八九])([一二三四五六七八九])(?=个?{unit})")
    # …or closing an answer «about N» with no unit («五十多吧»): a tens or hundreds numeral only, so
    # «一多半» or «一来» are left alone.
    num = re.compile(rf"([{_NUMERAL_CHARS}]+(?:点[{_DIGITS}]+)?)(?=个?(?:多|余|来)?{unit})"
                     rf"|([{_NUMERAL_CHARS}]*[十百][{_NUMERAL_CHARS}]*)(?=(?:多|余|来)(?:[吧啊呢呀哈]|[，,。；;\s]|$))")
    # A numeral standing alone as a whole answer («四十五», «两»).
    whole = re.compile(rf"^[{_NUMERAL_CHARS}]+(?:点[{_DIGITS}]+)?$")
    return rng, num, whole


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def cn_to_number(numeral: str) -> float | None:
    """One Chinese numeral («四十七», «二〇一八», «两», «三点五») → its value; None if it is none."""
    numeral = numeral.strip()
    if not numeral or len(numeral) > MAX_NUMERAL:
        return None  # «一一一…» pasted 600 times is no number anyone means
    if re.fullmatch(r"\d+(?:\.\d+)?", numeral):
        return float(numeral)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cn2an warns before raising on text that is no numeral
        try:
            return float(cn2an.cn2an(numeral, "smart"))
        except (ValueError, KeyError, IndexError, TypeError, OverflowError):
            return None


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def to_arabic(text: str) -> str:
    """NFKC, then counting numerals → digits («十五天» → «15天», «四年半» → «4.5年»); the rest untouched."""
    t = nfkc(text)
    rng, num, whole = _patterns()
    if whole.fullmatch(t.strip()):
        value = cn_to_number(t.strip())
        return _fmt(value) if value is not None else t

    def _range(m: re.Match[str]) -> str:
        tens = cn_to_number(m.group(1)) if m.group(1) else 0.0
        lo, hi = cn_to_number(m.group(2)), cn_to_number(m.group(3))
        if tens is None or lo is None or hi is None or hi != lo + 1:
            return m.group(0)
        return f"{_fmt(tens + lo)}至{_fmt(tens + hi)}"

    def _num(m: re.Match[str]) -> str:
        numeral = m.group(1) or m.group(2)
        value = cn_to_number(numeral)
        return _fmt(value) if value is not None else numeral

    t = rng.sub(_range, t)
    t = num.sub(_num, t)
    t = re.sub(r"(\d+)\s*年半", lambda m: f"{int(m.group(1)) + 0.5:g}年", t)
    t = re.sub(r"(?<![\d.])半年", "0.5年", t)
    return re.sub(r"(\d+)\s*个半月", lambda m: f"{int(m.group(1)) + 0.5:g}个月", t)


# --- quantities --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Quantity:
    value: float  # the figure to use: the lower end of a range, the stated figure otherwise
    approx: bool  # hedged («大概», «左右», «多») or a range
    high: float | None = None  # the upper end of a range («四十七八» → 47, high 48)
    span: tuple[int, int] = (0, 0)  # where it is in the normalised text


_NUMBER = re.compile(r"(\d+(?:\.\d+)?)(?:\s*(?:至|到|-|~|～)\s*(\d+(?:\.\d+)?))?")


def hedged(text: str) -> bool:
    words = lexicon()["hedges"]
    return any(w in text for w in words["before"] + words["after"])


def quantities(text: str) -> list[Quantity]:
    """Every figure in the text, in order, after `to_arabic`."""
    t = to_arabic(text)
    approx = hedged(t)
    out = []
    for m in _NUMBER.finditer(t):
        lo = float(m.group(1))
        hi = float(m.group(2)) if m.group(2) else None
        tail = t[m.end():m.end() + 3]
        more = bool(re.match(r"个?(?:多|余|来)", tail)) or bool(re.match(r"\S{0,2}(?:多|余)", tail[:2]))
        out.append(Quantity(value=lo, approx=approx or hi is not None or more, high=hi, span=m.span()))
    return out


def first_quantity(text: str) -> Quantity | None:
    found = quantities(text)
    return found[0] if found else None


# --- durations ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Duration:
    years: float | None  # None with `until_now`: «一直干到现在» — it runs up to today / the cut-off
    approx: bool = False
    until_now: bool = False
    span: tuple[int, int] = (0, 0)


# Months in a duration always come with 个 («3年7个月», «8个月»): «18年9月» is a date.
_DURATION = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*(多|余|来)?\s*(?:年|周年)(?!度)\s*(多|余)?\s*(?:零)?\s*(?:(\d+(?:\.\d+)?)\s*个\s*(?:多)?\s*月)?"
    r"|(?<![\d.])(\d+(?:\.\d+)?)\s*个\s*(多)?\s*月")


def duration(text: str) -> Duration | None:
    """«3年7个月» → 3.58 years, «五年多» → 5.5 (approx), «8个月» → 0.67, «一直干到现在» → until now."""
    t = to_arabic(text)
    taken = [d.span for d in dates(t)]
    for m in _DURATION.finditer(t):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue  # «18年9月», «2022年»: a date, not a length of time
        if m.group(1) is not None:
            years = float(m.group(1))
            after = t[m.end():m.end() + 4]
            if years >= 100 or any(after.startswith(w) for w in lexicon()["event_after_year"]):
                continue  # «16年毕业»: the year something happened
            more = bool(m.group(2) or m.group(3)) and m.group(2) != "来"
            if m.group(4):
                years += float(m.group(4)) / 12
            elif more:
                years += 0.5  # «五年多»: more than five, less than six
            # «十来年»: about ten, either way
            return Duration(round(years, 2), approx=bool(m.group(2) or m.group(3)) or hedged(t), span=m.span())
        if m.group(5) is not None:
            months = float(m.group(5))
            return Duration(round(months / 12, 2), approx=bool(m.group(6)) or hedged(t), span=m.span())
    if any(w in t for w in lexicon()["until_now"]):
        return Duration(None, until_now=True)
    return None


# --- dates -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DateMention:
    date: dt.date
    precision: str  # "day" | "month" | "year"
    span: tuple[int, int]


_DATE = re.compile(
    r"(?<![\d.])(\d{4}|\d{2})\s*(?:年|\.|/|-)\s*(\d{1,2})(?![\d.]*\s*(?:年|个月|学分|分|项|天))\s*(?:月份?)?"
    r"(?:\s*[-./]?\s*(\d{1,2})\s*(?:日|号)?)?"
    r"|(?<![\d.])(\d{4})(\d{2})(\d{2})?(?!\d)"
    r"|(?<![\d.])(\d{4})\s*年(?!\s*\d)(?!度)")
# «16年毕业», «18年聘的助工»: a two-digit year with the event that happened in it.
# An adverb may come between («19年才聘的», «20年就毕业了»).
_YEAR_EVENT = re.compile(r"(?<![\d.])(\d{2})\s*年(?=\s*(?:底|初)?\s*(?:的)?\s*(?:才|就|刚|又|再)?\s*(?:%s)?\s*(?:%s))")
_RELATIVE = re.compile(r"(今年|去年|前年|大前年)\s*(\d{1,2})\s*月(?:份)?")
_RELATIVE_YEARS = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}


def _year(two_or_four: str, today: dt.date) -> int:
    year = int(two_or_four)
    if year < 100:
        year += 2000 if year <= today.year % 100 + 1 else 1900
    return year


def dates(text: str, today: dt.date | None = None) -> list[DateMention]:
    """Every calendar date in the text: «18年9月», «2018.9», «2018-09-01», «二〇一八年九月», «去年9月»."""
    today = today or dt.date.today()
    t = to_arabic(text)
    out: list[DateMention] = []
    for m in _RELATIVE.finditer(t):
        month = int(m.group(2))
        if 1 <= month <= 12:
            out.append(DateMention(dt.date(today.year - _RELATIVE_YEARS[m.group(1)], month, 1), "month", m.span()))
    events = "|".join(map(re.escape, lexicon()["event_after_year"]))
    levels = "|".join(map(re.escape, lexicon()["level_before_event"]))
    for m in re.finditer(_YEAR_EVENT.pattern % (levels, events), t):
        out.append(DateMention(dt.date(_year(m.group(1), today), 1, 1), "year", m.span()))
    for m in _DATE.finditer(t):
        if any(s <= m.start() < e for _, _, (s, e) in ((0, 0, d.span) for d in out)):
            continue
        if m.group(1):
            year, month, day = _year(m.group(1), today), int(m.group(2)), int(m.group(3) or 1)
            precision = "day" if m.group(3) else "month"
        elif m.group(4):
            year, month, day = int(m.group(4)), int(m.group(5)), int(m.group(6) or 1)
            precision = "day" if m.group(6) else "month"
        else:
            year, month, day, precision = int(m.group(7)), 1, 1, "year"
        try:
            value = dt.date(year, month, day)
        except ValueError:
            continue
        if 1950 <= value.year <= 2100:
            out.append(DateMention(value, precision, m.span()))
    return sorted(out, key=lambda d: d.span)
