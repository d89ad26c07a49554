"""The part of a plan that reminders need, read from `knowledge.eligibility.plans.load_plans()`.

Plans may be pydantic models or dicts; only these fields are used, so the eligibility
schema can grow without touching reminders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.timeline import TimelineEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanInfo:
    id: str
    title: str
    region: str
    series: str
    level: str
    year: int | None
    timeline: list[TimelineEvent] = field(default_factory=list)

    @property
    def series_key(self) -> str:
        """Plans of the same series in different years share this key."""
        return f"{self.region}|{self.series}|{self.level}"

    @property
    def label(self) -> str:
        return self.title or self.id


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def plan_info(plan: Any) -> PlanInfo:
    timeline = [e if isinstance(e, TimelineEvent) else TimelineEvent.model_validate(
        e.model_dump() if hasattr(e, "model_dump") else e) for e in (_get(plan, "timeline") or [])]
    year = _get(plan, "year")
    return PlanInfo(id=str(_get(plan, "id")), title=str(_get(plan, "title") or _get(plan, "name") or ""),
                    region=str(_get(plan, "region") or ""), series=str(_get(plan, "series") or ""),
                    level=str(_get(plan, "level") or ""), year=int(year) if year else None,
                    timeline=timeline)


def load_plan_infos(plans_dir: Path, plans: dict[str, Any] | None = None) -> dict[str, PlanInfo]:
    """Plans by id. Uses `knowledge.eligibility.plans.load_plans` (validated) when it is available."""
    if plans is None:
        try:
            from knowledge.eligibility.plans import load_plans
        except ImportError:  # plan loader not installed yet: read the YAML directly
            plans = {}
            for path in sorted(Path(plans_dir).glob("*.yaml")):
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                plans[str(data.get("id", path.stem))] = data
        else:
            plans = load_plans(plans_dir)
    return {info.id: info for info in (plan_info(p) for p in plans.values())}
