"""Yes/no questions that check a figure («矿山那边也是三年吗», «代表性业绩最多5项吗»): the quoted
passage is led by 是的 / 不是 when, where it speaks of the question's subject, it states one
figure of the unit asked. With none, or several, nothing is claimed and the passage speaks for
itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.lang.numbers import to_arabic

# A yes/no question: a closing 吗/么 or «没事吧», or an «A不A» form («是不是», «够不够»).
_YES_NO = re.compile(r"(?:吗|么|对吧|是吧|没事吧|可以吧|行吧|没问题吧|够吧)[？?。！!~\s]*$|是不是|对不对|对吗|行不行|够不够")
# Units a notice states figures in; the longest first so «个工作日» is not «日».
UNITS = ("个工作日", "工作日", "个月", "学时", "学分", "年", "项", "分", "份", "天", "字", "篇", "名", "人", "元", "周")
_FIGURE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:多|余|来)?\s*(" + "|".join(UNITS) + r")(以上|以内|以下|及以上|即可)?")
# A figure the asker gives of their own («述职我写了1100字 超了一点没事吧»), set against a bound the
# notice states: only units that measure one thing (a count of years depends on what is counted).
_BOUND_UNITS = ("字", "分", "学分", "学时", "项", "篇", "份")
_UPPER = ("以内", "以下", "不超过", "最多", "不得超过", "限")
_LOWER = ("以上", "不少于", "至少", "达到", "满", "不低于", "即可")
# Words a notice puts before a figure («不少于5个工作日», «满4年»): where its quote begins.
_LEADS = ("不少于", "不超过", "不低于", "至少", "合计", "满", "限", "共", "达到")
_CLOSES = re.compile(r"(?:以上|以内|以下|及以上)?(?:合格|就行|就够|就可以)?(?:吗|么|对吧|是吧|对吗|吧)?[？?。！!~\s]*$")
_SENTENCES = re.compile(r"[。；;！!？?\n]")
_CLAUSES = re.compile(r"[，,：:]")

Figure = tuple[float, str, str]  # value, unit, how the text says it («不超过5项»)


def _figures(text: str, unit: str | None = None) -> list[Figure]:
    """The figures of a text (of one unit); a calendar year («2022年», «2019年度») is none."""
    out = []
    for m in _FIGURE.finditer(text):
        value, u = float(m.group(1)), m.group(2)
        if u == "年" and (value >= 1900 or text[m.end(2):m.end(2) + 1] in ("度", "月")):
            continue
        if unit is None or u == unit:
            # What stands right before the figure, back to a break («近», «合计不超过», «限»).
            before = re.split(r"[，,、（(）)：:。；;或和及与\s]", text[max(0, m.start() - 8):m.start()].rstrip())[-1]
            at = min((before.find(w) for w in _LEADS if w in before), default=-1)
            before = before[at:] if at >= 0 else before[-4:]
            out.append((value, u, before + re.sub(r"\s+", "", text[m.start():m.end()])))
    return out


def states_figure(text: str) -> bool:
    """The text gives a figure of its own («我写了1100字»), not only a date («2015年»)."""
    return bool(_figures(to_arabic(text)))


def _best(parts: list[str], subject: list[str], credit: Callable[[str, str], float]) -> list[str]:
    """The parts that speak most of the subject (all of them when none does)."""
    scored = [(sum(credit(w, p) for w in subject), p) for p in parts]
    top = max((s for s, _ in scored), default=0.0)
    return [p for s, p in scored if s == top] if top > 0 else parts


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def figure_check(question: str, passage: str, subject: list[str],
                 credit: Callable[[str, str], float]) -> str | None:
    """«是的，…» / «不是：…» for a yes/no question asking one figure; None when unclear. The
    sentences of the passage that speak most of the subject words are read, and within them the
    clauses that do, when those state the unit asked."""
    q = to_arabic(question)
    if not _YES_NO.search(q):
        return None
    # The figure must be what the clause asks about: it closes the question («要交两份吗», «要5年
    #合格吗»). «论文我有三篇 都要传吗», «聘工程师4年能破格吗» ask something else of a figure given.
    clause = re.split(r"[，,。；;\s]+", q.strip(" ？?。！!~"))[-1]
    asked = _figures(clause)
    checks = len(asked) == 1 and _CLOSES.match(clause[clause.rfind(asked[0][1]) + len(asked[0][1]):]) is not None
    own = _figures(q)
    if not checks and not (len(own) == 1 and own[0][1] in _BOUND_UNITS):
        return None
    value, unit, _ = asked[0] if checks else own[0]
    stated_as = _stated(passage, unit, subject, credit)
    if stated_as is None:
        return None
    stated, said = stated_as
    if checks:
        if stated == value:
            return f"是的，通知写的是「{said}」。"
        return f"不是：通知写的是「{said}」，不是{_num(value)}{unit}。"
    # «我估计自己就80来分 那还能走自评吗» against «自评分需达到100分»: within the bound or not.
    upper, lower = any(w in said for w in _UPPER), any(w in said for w in _LOWER)
    if upper == lower:
        return None
    if (value <= stated) if upper else (value >= stated):
        return f"按通知写的「{said}」，您说的{_num(value)}{unit}符合这一条。"
    return f"不符合：通知写的是「{said}」，您说的是{_num(value)}{unit}。"


def _stated(passage: str, unit: str, subject: list[str], credit: Callable[[str, str], float]
            ) -> tuple[float, str] | None:
    """The one figure of the unit the passage states where it speaks most of the subject."""
    sentences = _best([s for s in _SENTENCES.split(to_arabic(passage)) if s.strip()], subject, credit)
    clauses = _best([c for s in sentences for c in _CLAUSES.split(s) if c.strip()], subject, credit)
    found = [f for c in clauses for f in _figures(c, unit)] or [f for s in sentences for f in _figures(s, unit)]
    if len({f[0] for f in found}) != 1:
        return None
    return found[0][0], found[0][2]
