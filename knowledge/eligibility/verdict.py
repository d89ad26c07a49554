"""The engine's verdict as a typed object (knowledge/eligibility/rules.py builds it).

Dialogs and the renderer read attributes; `to_dict()` is the JSON the API and the CLI return
(the shape documented in docs/eligibility.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome for one route: its message and the clause it comes from."""

    rule: str
    title: str
    message: str
    clause: dict[str, Any]
    cite: str
    needs: list[str] = field(default_factory=list)  # facts that would settle or change it
    assumed: bool = False  # passed on a stated assumption (the facts are still unknown)
    inconsistent: str | None = None  # answers that contradict each other, said plainly

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"rule": self.rule, "title": self.title, "message": self.message,
                             "clause": self.clause, "cite": self.cite}
        if self.assumed:
            d["assumed"] = True
        if self.inconsistent:
            d["inconsistent"] = self.inconsistent
        if self.needs:
            d["needs"] = list(self.needs)
        return d


@dataclass
class RouteVerdict:
    id: str
    title: str
    eligible: bool | None  # None: undecided, or the notice does not state all its conditions
    conditions_complete: bool
    applies_to: str | None
    stated_conditions_met: bool
    platform_choice: str | None
    failed: list[RuleResult] = field(default_factory=list)
    unknown: list[RuleResult] = field(default_factory=list)
    passed: list[RuleResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "eligible": self.eligible, "conditions_complete": self.conditions_complete,
                "applies_to": self.applies_to, "stated_conditions_met": self.stated_conditions_met,
                "platform_choice": self.platform_choice,
                "failed": [r.to_dict() for r in self.failed], "unknown": [r.to_dict() for r in self.unknown],
                "passed": [r.to_dict() for r in self.passed], "notes": list(self.notes)}


@dataclass
class WhatIf:
    """When the same facts would qualify in a later year — an assumption, said so."""

    assumption: str
    routes: dict[str, dict[str, Any]]  # route id → {year, as_of, message}

    @property
    def messages(self) -> list[str]:
        return [v["message"] for v in self.routes.values()]

    def to_dict(self) -> dict[str, Any]:
        return {"assumption": self.assumption, "routes": self.routes, "messages": self.messages}


@dataclass
class Verdict:
    plan: str
    plan_title: str
    as_of: dt.date
    as_of_stated: bool
    facts: dict[str, Any]  # as understood («四年半» → 4.5), JSON-safe
    eligible_routes: list[str]
    stated_conditions_met_routes: list[str]
    routes: dict[str, RouteVerdict]
    missing: list[str]  # facts still unknown that could change an outcome, in asking order
    materials: dict[str, list[dict[str, str]]]
    notes: list[str]
    other_conditions_doc: str | None
    conditions_note: str | None
    what_if: WhatIf | None = None

    @property
    def eligible(self) -> bool:
        return bool(self.eligible_routes)

    def outcome(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What the verdict concludes: whether new answers changed it."""
        return tuple(self.eligible_routes), tuple(self.stated_conditions_met_routes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan, "plan_title": self.plan_title, "as_of": self.as_of.isoformat(),
            "as_of_stated": self.as_of_stated, "facts": dict(self.facts),
            "eligible_routes": list(self.eligible_routes),
            "stated_conditions_met_routes": list(self.stated_conditions_met_routes),
            "routes": {rid: r.to_dict() for rid, r in self.routes.items()},
            "missing": list(self.missing), "materials": self.materials, "notes": list(self.notes),
            "other_conditions_doc": self.other_conditions_doc, "conditions_note": self.conditions_note,
            "what_if": self.what_if.to_dict() if self.what_if else None,
        }


def replace(v: Verdict, **changes: Any) -> Verdict:
    return dataclasses.replace(v, **changes)
