"""Timeline events of a plan (deadlines, windows, publicity periods), kept in the plan file,
and the working-day arithmetic they need (Chinese public holidays and 调休 make-up days)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from knowledge.citation import Clause

EventKind = Literal[
    "submission_window", "unit_review_deadline", "payment_window", "paper_forms_deadline",
    "materials_cutoff", "publicity", "results", "credential_validity", "other",
]
Audience = Literal["applicant", "hr", "both"]

KIND_LABELS: dict[str, str] = {
    "submission_window": "网上申报",
    "unit_review_deadline": "单位审核截止",
    "payment_window": "缴费",
    "paper_forms_deadline": "纸质材料",
    "materials_cutoff": "材料截止",
    "publicity": "公示",
    "results": "评审结果",
    "credential_validity": "证明有效期",
    "other": "其他",
}


class TimelineEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str  # stable within the plan, e.g. "online_submission"
    kind: EventKind
    audience: Audience = "both"
    text: str  # short Chinese text, e.g. "网上个人申报（省平台）"
    date: dt.date | None = None  # a single day (deadline)
    start: dt.date | None = None  # a window
    end: dt.date | None = None
    # A period counted in working days (e.g. 公示期不少于五个工作日) whose start is not dated.
    working_days: int | None = None
    # When the notice gives no fixed date (e.g. fee payment after the 12333 SMS), say so here.
    undated_note: str | None = None
    clause: Clause

    @model_validator(mode="after")
    def _has_when(self) -> TimelineEvent:
        if self.date is None and self.start is None and self.end is None and not self.undated_note:
            raise ValueError(f"event {self.id}: needs date, start/end, or undated_note")
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"event {self.id}: start after end")
        return self

    @property
    def dated(self) -> bool:
        return self.date is not None or self.start is not None or self.end is not None

    @property
    def last_day(self) -> dt.date | None:
        """The day after which the event is over (deadline, or window end)."""
        return self.date or self.end or self.start

    def applies_to(self, role: str) -> bool:
        """role: applicant | hr. HR officers also see events addressed to everyone."""
        return self.audience == "both" or self.audience == role

    def when_text(self) -> str:
        """「2022年8月1日至8月15日」, 「8月26日前」, or the undated note."""
        if self.start and self.end:
            return f"{_d(self.start)}至{_d(self.end, self.start.year)}"
        if self.date:
            return _d(self.date)
        if self.end:
            return f"{_d(self.end)}前"
        if self.start:
            return f"{_d(self.start)}起"
        return self.undated_note or ""


def _d(day: dt.date, same_year: int | None = None) -> str:
    if same_year == day.year:
        return f"{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


# --- working days ------------------------------------------------------------------------

class CalendarYearUnknown(ValueError):
    """The holiday calendar has no data for this year: working days cannot be counted."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year} 年不在节假日日历（chinese_calendar）的数据范围内，无法按工作日计算；"
            f"请升级 chinesecalendar 包或人工核对 {year} 年的放假安排。")


def is_workday(day: dt.date) -> bool:
    """True on a Chinese working day (weekdays minus public holidays plus 调休 Saturdays)."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise CalendarYearUnknown(day.year) from exc


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The last day of a period of `n` working days beginning on `start` (or the first
    working day after it): 公示期不少于五个工作日 starting 2022-09-29 ends 2022-10-10."""
    if n < 1:
        raise ValueError("n must be ≥ 1")
    day, count = start, 0
    while True:
        if is_workday(day):
            count += 1
            if count == n:
                return day
        day += dt.timedelta(days=1)


def working_days_between(first: dt.date, last: dt.date) -> int:
    """Working days in [first, last], both included."""
    n, day = 0, first
    while day <= last:
        n += is_workday(day)
        day += dt.timedelta(days=1)
    return n
