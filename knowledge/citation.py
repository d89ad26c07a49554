"""A citation to a clause of a notice: every rule, parameter and timeline event carries one."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Clause(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    notice: str  # notice id (front matter `id` of knowledge/notices/*.md)
    path: str  # heading path, e.g. "附件1 工程师资格申报条件 › 二、学历、资历要求 › （一）正常申报人员"
    quote: str  # the official wording, verbatim

    def cite(self) -> str:
        return f"《{self.notice}》{self.path}"
