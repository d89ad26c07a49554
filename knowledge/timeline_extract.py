"""Propose timeline events from a notice's Chinese date expressions, for an HR officer to
confirm into a plan file (`python -m bot timeline extract FILE`).

It finds 「8 月 1 日至 15 日」「截止时间为 8 月 26 日」「10月20日前」「2022年8月20日」
「不少于五个工作日」 and fee payments announced by 12333 SMS, takes the year from the notice
(front matter `year`, else 「2022 年度」 in the title/text), and keeps the sentence each came
from with its heading path. Kind and audience are guesses from keywords: a person confirms.
It never invents a date: an expression without a month/day becomes an undated event.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.citation import Clause
from knowledge.timeline import CalendarYearUnknown, TimelineEvent, is_workday

_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

_Y = r"(?:(?P<{y}>20\d{{2}})\s*年\s*)?"
_MD = r"(?P<{m}>\d{{1,2}})\s*月\s*(?P<{d}>\d{{1,2}})\s*[日号]"
_TIME = r"(?:\s*\d{1,2}\s*[:：]\s*\d{2})?"  # 「7月21日9:00至8月15日17:00」
RANGE_RE = re.compile(
    _Y.format(y="y1") + _MD.format(m="m1", d="d1") + _TIME
    + r"\s*(?:至|到|—|－|-|~|～)\s*" + _Y.format(y="y2")
    + r"(?:(?P<m2>\d{1,2})\s*月\s*)?(?P<d2>\d{1,2})\s*[日号]")
DATE_RE = re.compile(_Y.format(y="y") + _MD.format(m="m", d="d") + _TIME
                     + r"(?:(?P<before>\s*(?:之前|以前|前))|(?P<from>\s*起))?")
WORKDAYS_RE = re.compile(r"(?:不少于|公示期为?|公示)\s*(?P<n>\d+|[一二两三四五六七八九十]+)\s*个\s*工作日")
# 「10月中旬」「2024年10月中旬」: a month without a day (a year before it is fine, a day after it is not).
MONTH_ONLY_RE = re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*月\s*(?P<w>底|上旬|中旬|下旬|份|(?=评审))")
# Dates that bound a count instead of marking a step: 「2021年1月1日以来」 (continuing education
# since), 「年限计算至2024年12月31日」 (the cut-off of years). Not events.
NOT_EVENT_AFTER = re.compile(r"^\s*(?:以来|起算|以后|之后取得|后取得)")
NOT_EVENT_SENTENCE = re.compile(r"年限[^。；;]{0,12}(?:计算|截止|截至)|计算(?:至|到|截止)|印发了|下发了|发布了")
# Words that say a date did not change (a 补充通知 repeating an unchanged deadline).
UNCHANGED = re.compile(r"不变|仍为|仍按|照常")
YEAR_PLAN_RE = re.compile(r"(20\d{2})\s*年?度")
FULL_DATE_YEAR_RE = re.compile(r"(20\d{2})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
_SENTENCE_RE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")
_LONE_DATE = re.compile(r"^\s*20\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")

_HEADING_PATTERNS = [  # level, pattern — for plain text notices without Markdown headings
    (0, re.compile(r"^附件\s*\d+")),
    (1, re.compile(r"^[一二三四五六七八九十]+、")),
    (2, re.compile(r"^[（(]\s*[一二三四五六七八九十]+\s*[）)]")),
    (3, re.compile(r"^\d+\s*[.．、]")),
]


@dataclass
class Proposal:
    event: TimelineEvent
    sentence: str
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        d = self.event.model_dump(exclude_none=True, exclude_defaults=False)
        d["clause"] = self.event.clause.model_dump()
        return d


def read_notice(path: Path) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a Markdown notice; plain text has empty front matter."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            front = yaml.safe_load(text[3:end]) or {}
            return (front if isinstance(front, dict) else {}), text[end + 4:]
    return {}, text


def notice_year(front: dict[str, Any], body: str) -> int | None:
    """The notice's year: front matter, else 「2022 年度」, else the year of its full dates
    (「2022年8月20日」); incidental years (「2001 年以后取得的学历」) are not a notice's year."""
    if isinstance(front.get("year"), int):
        return int(front["year"])
    for source in (str(front.get("title", "")), body):
        m = YEAR_PLAN_RE.search(source)
        if m:
            return int(m.group(1))
    years = FULL_DATE_YEAR_RE.findall(body)
    return int(max(set(years), key=years.count)) if years else None


def _cn_int(s: str) -> int:
    if s.isdigit():
        return int(s)
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _CN_NUM[s[1]]
    if len(s) == 2 and s.endswith("十"):
        return _CN_NUM[s[0]] * 10
    if len(s) == 3 and s[1] == "十":
        return _CN_NUM[s[0]] * 10 + _CN_NUM[s[2]]
    return _CN_NUM[s]


def _heading_title(line: str) -> str:
    s = line.lstrip("#").strip().strip("*").strip()
    # 「1. 网上个人申报。申报人员……」: a numbered paragraph is headed by its first phrase.
    cut = re.search(r"[。：:]", s)
    if cut and cut.start() <= 30:
        s = s[: cut.start()]
    return re.sub(r"\s+", " ", s)[:40].strip()


class _Path:
    """The heading path (附件 › 一、 › （一） › 1.) of the current line."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []

    def feed(self, line: str) -> None:
        s = line.strip()
        if not s:
            return
        md = re.match(r"^(#+)\s*", s)
        body = s[md.end():] if md else s
        body = body.strip("*").strip()
        level = None
        for lvl, pat in _HEADING_PATTERNS:
            if pat.match(body):
                level = lvl
                break
        if md and level is None:
            if len(md.group(1)) == 1:  # the document title: not part of a clause path
                self.stack = []
                return
            level = len(md.group(1))
        if level is None:
            return
        if level == 3 and not md and not re.search(r"[。：:]", body[:32]):
            return  # a plain numbered sentence, not a heading
        self.stack = [(lv, t) for lv, t in self.stack if lv < level]
        self.stack.append((level, _heading_title(s)))

    def text(self) -> str:
        return " › ".join(t for _, t in self.stack)


def _kind(s: str, windowed: bool) -> str:
    if "缴" in s and "费" in s:
        return "payment_window"
    if any(k in s for k in ("纸质", "评审表", "邮寄")):
        return "paper_forms_deadline"
    if "审核推荐" in s or ("审核" in s and any(k in s for k in ("单位", "受理点", "主管部门", "部门")) and (
            "截止" in s or "前" in s or windowed)):
        return "unit_review_deadline"
    if "公示" in s:
        return "publicity"
    if "有效期" in s:
        return "credential_validity"
    if "截止" in s and ("材料" in s or "成果" in s):
        return "materials_cutoff"
    if "申报" in s and windowed:
        return "submission_window"
    if "结果" in s:
        return "results"
    return "other"


def _guess(sentence: str, windowed: bool, clause: str | None = None) -> tuple[str, str]:
    """Kind and audience of an event. `clause`: the part of the sentence around the date
    (「用人单位应于8月16日前完成网上审核推荐」 of a longer sentence that also speaks of 公示);
    the whole sentence decides only when the clause alone says nothing."""
    kind = _kind(clause, windowed) if clause else "other"
    s = clause if kind != "other" else sentence
    if kind == "other":
        kind = _kind(sentence, windowed)
    if kind == "unit_review_deadline":
        audience = "hr"
    elif kind in ("submission_window", "payment_window", "credential_validity", "materials_cutoff"):
        audience = "applicant"
    elif any(k in s for k in ("用人单位", "单位经办", "受理部门", "受理点", "主管部门", "所在单位")) and "申报人" not in s:
        audience = "hr"
    else:
        audience = "both"
    return kind, audience


_CLAUSE_SPLIT = re.compile(r"[，,；;｜|\t]")


def _clause_of(sentence: str, start: int, end: int) -> str:
    """The clause (between commas or table bars) holding sentence[start:end]; with the text
    before it when the clause is the date alone (a table cell)."""
    left = max((m.end() for m in _CLAUSE_SPLIT.finditer(sentence, 0, start)), default=0)
    right = next((m.start() for m in _CLAUSE_SPLIT.finditer(sentence, end)), len(sentence))
    clause = sentence[left:right]
    if not re.search(r"[\u4e00-\u9fff]{2,}", re.sub(r"\d+\s*[年月日号]|[前至到起]", "", clause)):
        clause = sentence[:right]
    return clause


def _date(y: str | None, m: str, d: str, year: int | None) -> dt.date | None:
    yy = int(y) if y else year
    if yy is None:
        return None
    try:
        return dt.date(yy, int(m), int(d))
    except ValueError:
        return None


def _short(sentence: str, limit: int = 30) -> str:
    cells = [c for c in re.split(r"\s*[｜|\t]\s*", sentence.strip()) if c and not c.isdigit()]
    if len(cells) > 1:  # a timetable row: its step is the first cell that is not a number
        sentence = cells[0]
    s = re.sub(r"<[^>]+>|（[^）]*）|\([^)]*\)", "", sentence)
    s = re.sub(r"\s+", "", s).strip("。；;，,")
    return s[:limit] + ("…" if len(s) > limit else "")


def extract(path: Path, year: int | None = None) -> tuple[list[Proposal], int | None]:
    """Proposed events of the notice at `path`, and the year used for dates without one."""
    front, body = read_notice(path)
    return extract_text(str(front.get("id") or path.stem), front, body, year)


def extract_text(notice_id: str, front: dict[str, Any], body: str,
                 year: int | None = None) -> tuple[list[Proposal], int | None]:
    """Proposed events of a notice given as front matter and body."""
    year = year or notice_year(front, body)
    proposals: list[Proposal] = []
    heads = _Path()
    counts: dict[str, int] = {}

    def add(kind: str, audience: str, sentence: str, path_text: str, notes: list[str], **when: Any) -> None:
        counts[kind] = counts.get(kind, 0) + 1
        eid = kind if counts[kind] == 1 else f"{kind}_{counts[kind]}"
        clause = Clause(notice=notice_id, path=path_text or "（正文）", quote=sentence.strip())
        event = TimelineEvent(id=eid, kind=kind, audience=audience,  # type: ignore[arg-type]
                              text=_short(sentence), clause=clause, **when)
        proposals.append(Proposal(event, sentence.strip(), notes))

    for line in body.splitlines():
        heads.feed(line)
        if _LONE_DATE.match(line.strip("* ")):
            continue  # the signature date under a notice is not an event
        for sentence in _SENTENCE_RE.findall(line):
            taken: list[tuple[int, int]] = []
            if NOT_EVENT_SENTENCE.search(sentence):
                continue  # the cut-off day of a count of years is not a step to remind of
            for m in RANGE_RE.finditer(sentence):
                start = _date(m["y1"], m["m1"], m["d1"], year)
                end = _date(m["y2"] or m["y1"], m["m2"] or m["m1"], m["d2"], year)
                if start is None or end is None:
                    continue
                if end < start:  # 「12 月 20 日至 1 月 10 日」 crosses the year
                    end = end.replace(year=end.year + 1)
                kind, audience = _guess(sentence, True, _clause_of(sentence, *m.span()))
                add(kind, audience, sentence, heads.text(), [], start=start, end=end)
                taken.append(m.span())
            for m in DATE_RE.finditer(sentence):
                if any(a <= m.start() < b for a, b in taken):
                    continue
                if NOT_EVENT_AFTER.match(sentence[m.end():]):
                    continue
                day = _date(m["y"], m["m"], m["d"], year)
                if day is None:
                    continue
                kind, audience = _guess(sentence, False, _clause_of(sentence, *m.span()))
                notes = [] if m["y"] else [f"年份取自通知：{year}"]
                if m["before"]:
                    add(kind, audience, sentence, heads.text(), notes, end=day)
                elif m["from"]:
                    add(kind, audience, sentence, heads.text(), notes, start=day)
                else:
                    add(kind, audience, sentence, heads.text(), notes, date=day)
            for m in WORKDAYS_RE.finditer(sentence):
                n = _cn_int(m["n"])
                add("publicity" if "公示" in sentence else "other", _guess(sentence, False)[1], sentence,
                    heads.text(), [], working_days=n,
                    undated_note=("不少于" if "不少于" in m.group(0) else "") + f"{n}个工作日，通知未给出起始日期")
            for m in MONTH_ONLY_RE.finditer(sentence):
                kind, audience = _guess(sentence, False)
                add(kind, audience, sentence, heads.text(), [],
                    undated_note=f"{int(m['m'])}月{m['w'] if m['w'] != '份' else ''}（通知未给出具体日期）")
            if "12333" in sentence and "缴" in sentence and not taken:
                add("payment_window", "applicant", sentence, heads.text(), [],
                    undated_note="资格审查通过后按12333短信提示在规定时间内缴费，通知未给出具体日期")
    return proposals, year


def to_yaml(proposals: list[Proposal], year: int | None) -> str:
    basis = f"年份按 {year} 年" if year else "未能确定通知年份，未写年份的日期已跳过；可用 --year 指定"
    head = (f"# 从通知中识别的日期（{basis}）。请逐条核对原文后粘贴到计划文件的 timeline: 下；\n"
            "# kind/audience 为自动猜测，请确认。\n")
    if year and any(p.event.working_days for p in proposals):
        try:
            is_workday(dt.date(year, 1, 1))
        except CalendarYearUnknown as e:
            head += f"# 注意：{e}\n"
    body = yaml.safe_dump({"timeline": [p.as_dict() for p in proposals]}, allow_unicode=True,
                          sort_keys=False, width=1000)
    return head + body
