"""Timeline events of a plan (deadlines, windows, publicity periods), kept in the plan file."""

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


class TimelineEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str  # stable within the plan, e.g. "online_submission"
    kind: EventKind
    audience: Audience = "both"
    text: str  # short Chinese text, e.g. "网上个人申报（省平台）"
    date: dt.date | None = None  # a single day (deadline)
    start: dt.date | None = None  # a window
    end: dt.date | None = None
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
