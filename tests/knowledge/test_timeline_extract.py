"""Timeline extraction on the real notices, and working days from the holiday calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.settings import KNOWLEDGE_DIR
from knowledge.timeline import CalendarYearUnknown, add_working_days
from knowledge.timeline_extract import extract

NOTICES = KNOWLEDGE_DIR / "notices"


def test_linping_dates_with_their_sentences() -> None:
    proposals, year = extract(NOTICES / "linping-manufacturing-engineer-2022.md")
    assert year == 2022
    by = {(p.event.start, p.event.end, p.event.date): p for p in proposals}
    window = by[(dt.date(2022, 8, 1), dt.date(2022, 8, 15), None)]
    assert window.event.kind == "submission_window" and "8 月 1 日至 15 日" in window.sentence
    unit = by[(None, None, dt.date(2022, 8, 26))]
    assert unit.event.kind == "unit_review_deadline" and unit.event.audience == "hr"
    assert unit.sentence == "用人单位网上审核推荐截止时间为 8 月 26 日。"
    forms = by[(None, dt.date(2022, 10, 20), None)]
    assert "10月20日前" in forms.sentence and forms.event.kind == "paper_forms_deadline"
    assert any(p.event.working_days == 5 and p.event.kind == "publicity" for p in proposals)
    assert any(p.event.kind == "payment_window" and p.event.undated_note and "12333" in p.sentence
               for p in proposals)


def test_full_date_and_credential_validity() -> None:
    chem, _ = extract(NOTICES / "hangzhou-chemical-textile-senior-2022.md")
    assert any(p.event.date == dt.date(2022, 8, 20) and p.event.kind == "materials_cutoff" for p in chem)
    build, year = extract(NOTICES / "hangzhou-construction-engineer-2024.md")
    assert year == 2024
    validity = {p.event.date for p in build if p.event.kind == "credential_validity"}
    assert validity == {dt.date(2024, 9, 22), dt.date(2024, 9, 20)}


def test_working_days_skip_national_day_and_say_when_the_year_is_unknown() -> None:
    assert add_working_days(dt.date(2022, 9, 29), 5) == dt.date(2022, 10, 10)
    with pytest.raises(CalendarYearUnknown, match="2099"):
        add_working_days(dt.date(2099, 1, 5), 1)


def test_incidental_years_are_not_the_notice_year() -> None:
    # The mining notice names no plan year; 「2001 年以后取得的学历」 must not become one.
    from knowledge.timeline_extract import notice_year, read_notice

    _front, body = read_notice(NOTICES / "zhejiang-mining-blasting-senior.md")
    assert notice_year({}, body) is None
    assert extract(NOTICES / "zhejiang-mining-blasting-senior.md")[0] == []


def test_proposals_warn_when_working_days_cannot_be_counted(tmp_path: Path) -> None:
    from knowledge.timeline_extract import to_yaml

    notice = tmp_path / "n.md"
    notice.write_text("---\nid: n\nyear: 2099\n---\n## 一、公示\n公示期不少于五个工作日。\n", encoding="utf-8")
    proposals, year = extract(notice)
    assert proposals[0].event.working_days == 5
    assert "2099 年不在节假日日历" in to_yaml(proposals, year)
    assert "节假日日历" not in to_yaml(*extract(NOTICES / "linping-manufacturing-engineer-2022.md"))
