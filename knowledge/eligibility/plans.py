"""Plans as data: one YAML file per plan (routes, rules, parameters, materials, timeline).

The schema is strict (``extra="forbid"`` everywhere) so that a typo in a plan file fails
validation instead of silently switching a rule off. Every rule, parameter and material
carries the clause of the notice it comes from.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge.citation import Clause
from knowledge.timeline import TimelineEvent

log = logging.getLogger(__name__)

_ID = r"^[a-z][a-z0-9_-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Parameter(_Strict):
    """A number, list or table the notice states (years, credits, excluded specialties …)."""

    value: Any
    clause: Clause
    note: str | None = None  # how the value is read, when the wording needs it


class Messages(_Strict):
    """Optional wording for a rule's outcomes; `{placeholders}` come from the check."""

    passed: str | None = None
    failed: str | None = None
    unknown: str | None = None


class Rule(_Strict):
    """One condition: a check (implemented in knowledge/eligibility/rules.py) with its parameters."""

    id: str = Field(pattern=_ID)
    title: str  # short Chinese name, e.g. 「助理工程师聘任年限」
    check: str  # name of a check in knowledge.eligibility.rules.CHECKS
    # Check arguments: literals, or "$name" to take a plan parameter's value.
    params: dict[str, Any] = Field(default_factory=dict)
    clause: Clause
    messages: Messages = Field(default_factory=Messages)
    # When the facts are unknown, pass on this stated assumption (e.g. 「按非公务员计算」) instead
    # of blocking the route; the facts still count as missing. For disqualifiers most
    # applicants do not have.
    assume_if_unknown: str | None = None
    # advice: never decides eligibility, only produces a note (e.g. ≤ 5 代表性业绩).
    severity: Literal["required", "advice"] = "required"


class AnyOf(_Strict):
    """The route needs one of these rules to pass (e.g. 技师满 3 年 *or* a listed honour)."""

    any_of: list[str] = Field(min_length=2)
    title: str


class Note(_Strict):
    text: str
    clause: Clause | None = None


class Material(_Strict):
    text: str  # short item for a checklist
    clause: Clause


class Route(_Strict):
    id: str = Field(pattern=_ID)
    title: str  # 「正常申报」
    clause: Clause  # where the route is defined
    platform_choice: str | None = None  # what to tick in 省平台, when the notice says
    rules: list[str | AnyOf] = Field(default_factory=list)
    # False when the notice does not state every condition of the route: then the
    # engine never says "eligible", only "the stated conditions are met".
    conditions_complete: bool = True
    # Who the route is for, when that rests on facts the notice gives no condition for
    # (「从机关调出的人员」): such a route is never reported as met on the other answers.
    applies_to: str | None = None
    materials: list[Material] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)

    def rule_ids(self) -> list[str]:
        out: list[str] = []
        for item in self.rules:
            out.extend(item.any_of if isinstance(item, AnyOf) else [item])
        return out


class Plan(_Strict):
    id: str = Field(pattern=_ID)
    title: str
    region: str
    series: str
    level: Literal["工程师", "高级工程师"]
    year: int | None = None
    notice: str  # source notice id (knowledge/notices/<id>.md)
    # The notice's own title, for citations; filled from the notice's front matter at load
    # time when the plan file does not give it.
    notice_title: str | None = None
    as_of: dt.date | None = None  # years are counted to this day
    as_of_clause: Clause | None = None
    other_conditions_doc: str | None = None  # where the conditions the notice omits are
    keywords: list[str] = Field(default_factory=list)  # words that point to this plan
    questions: dict[str, str] = Field(default_factory=dict)  # plan-specific question wording
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    general_rules: list[str] = Field(default_factory=list)
    general_materials: list[Material] = Field(default_factory=list)
    routes: list[Route] = Field(min_length=1)
    notes: list[Note] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)

    @property
    def counted_to(self) -> dt.date | None:
        """The day years are counted to: the notice's own, else the last day of the plan's year
        (the notices that state one count to «当年12月31日»; a 2024 plan asked about in 2026 must
        not count to today); None for a plan of no year."""
        if self.as_of is not None:
            return self.as_of
        return dt.date(self.year, 12, 31) if self.year else None

    @model_validator(mode="after")
    def _references(self) -> Plan:
        from knowledge.eligibility.facts import FACTS
        from knowledge.eligibility.rules import CHECKS

        if (self.as_of is None) != (self.as_of_clause is None):
            raise ValueError("as_of and as_of_clause go together")
        problems: list[str] = []
        rule_ids = [r.id for r in self.rules]
        for dup in {i for i in rule_ids if rule_ids.count(i) > 1}:
            problems.append(f"rule id {dup!r} defined twice")
        route_ids = [r.id for r in self.routes]
        for dup in {i for i in route_ids if route_ids.count(i) > 1}:
            problems.append(f"route id {dup!r} defined twice")
        known = set(rule_ids)
        for rid in self.general_rules:
            if rid not in known:
                problems.append(f"general_rules: unknown rule id {rid!r}")
        for route in self.routes:
            for rid in route.rule_ids():
                if rid not in known:
                    problems.append(f"route {route.id}: unknown rule id {rid!r}")
        for rule in self.rules:
            spec = CHECKS.get(rule.check)
            if spec is None:
                problems.append(f"rule {rule.id}: unknown check {rule.check!r}")
                continue
            missing = spec.required - rule.params.keys()
            extra = rule.params.keys() - spec.required - spec.optional
            if missing:
                problems.append(f"rule {rule.id}: check {rule.check} needs params {sorted(missing)}")
            if extra:
                problems.append(f"rule {rule.id}: unknown params {sorted(extra)} for check {rule.check}")
            for key, val in rule.params.items():
                if isinstance(val, str) and val.startswith("$") and val[1:] not in self.parameters:
                    problems.append(f"rule {rule.id}: param {key} refers to undefined parameter {val!r}")
                if key.endswith("fact") and isinstance(val, str) and val not in FACTS:
                    problems.append(f"rule {rule.id}: unknown fact {val!r}")
        used = {r.id for r in self.rules}
        unused = used - set(self.general_rules) - {i for r in self.routes for i in r.rule_ids()}
        for rid in sorted(unused):
            problems.append(f"rule {rid!r} is defined but used by no route")
        for fact in self.questions:
            if fact not in FACTS:
                problems.append(f"questions: unknown fact {fact!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # --- helpers used by the engine, the dialog and the toolkit ----------------------------
    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def route(self, route_id: str) -> Route:
        for r in self.routes:
            if r.id == route_id:
                return r
        raise KeyError(f"plan {self.id} has no route {route_id!r} (routes: {[r.id for r in self.routes]})")

    def cite(self, clause: Clause) -> str:
        """《notice title》heading path — the title a reader can find, not the internal id."""
        if clause.notice == self.notice and self.notice_title:
            return f"《{self.notice_title}》{clause.path}"
        return clause.cite()

    def param(self, name: str) -> Any:
        return self.parameters[name].value

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$"):
            return self.parameters[value[1:]].value
        return value

    def materials(self, route_id: str | None = None) -> list[Material]:
        """Checklist for a route (general materials first); all routes' when route_id is None."""
        if route_id is None:
            seen: list[Material] = list(self.general_materials)
            for r in self.routes:
                seen.extend(m for m in r.materials if m not in seen)
            return seen
        return [*self.general_materials, *self.route(route_id).materials]


class PlanError(ValueError):
    """A plan file that does not validate; the message names the file."""


def load_plan_file(path: Path) -> Plan:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PlanError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PlanError(f"{path.name}: expected a mapping at the top level")
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path.name}: invalid plan"]
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {loc or '(plan)'}: {err['msg']}")
        raise PlanError("\n".join(lines)) from exc
    if plan.id != path.stem:
        raise PlanError(f"{path.name}: id {plan.id!r} does not match the file name")
    return plan


def _notice_title(notices_dir: Path, notice_id: str) -> str | None:
    from knowledge.frontmatter import parse

    path = notices_dir / f"{notice_id}.md"
    try:
        meta, _ = parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("plan notice %s: no readable front matter at %s; citing by id", notice_id, path)
        return None
    title = meta.get("title")
    return str(title) if title else None


def load_plans(plans_dir: str | Path, notices_dir: str | Path | None = None) -> dict[str, Plan]:
    """Every plan in the directory, by id. Raises PlanError naming the bad file.
    Notice titles come from `notices_dir` (default: the `notices` folder beside the plans)."""
    plans: dict[str, Plan] = {}
    notices = Path(notices_dir) if notices_dir else Path(plans_dir).parent / "notices"
    for path in sorted(Path(plans_dir).glob("*.yaml")):
        plan = load_plan_file(path)
        if not plan.notice_title:
            plan = plan.model_copy(update={"notice_title": _notice_title(notices, plan.notice)})
        plans[plan.id] = plan
    log.debug("loaded %s plans from %s", len(plans), plans_dir)
    return plans


@lru_cache(maxsize=4)
def _default_plans(plans_dir: str) -> dict[str, Plan]:
    return load_plans(plans_dir)


def get_plan(plan_id: str, plans_dir: str | Path | None = None) -> Plan:
    """One plan by id (from settings.plans_dir unless given). KeyError lists the known ids."""
    if plans_dir is None:
        from bot.settings import get_settings

        plans_dir = get_settings().plans_dir
    plans = _default_plans(str(plans_dir))
    if plan_id not in plans:
        raise KeyError(f"unknown plan {plan_id!r}; known: {', '.join(sorted(plans))}")
    return plans[plan_id]


def match_plans(text: str, plans: dict[str, Plan] | None = None) -> list[str]:
    """Plan ids whose keywords occur in the text, best match first (empty if none)."""
    if plans is None:
        from bot.settings import get_settings

        plans = _default_plans(str(get_settings().plans_dir))
    text = text or ""
    senior = bool(re.search(r"高级|高工|副高", text))
    middle = bool(re.search(r"中级|(?<!高级)工程师", text)) and not senior
    scored: list[tuple[int, str]] = []
    for pid, plan in plans.items():
        score = 0
        for kw in plan.keywords:
            if kw and kw in text:
                score += len(kw)
        if not score:
            continue
        # A named district or city outweighs a shared specialty word (「临平化工」 is Linping).
        for place in re.findall(r"(.{2,3}?)(?:省|市|区|县)", plan.region):
            if place in text:
                score += 3
        if (senior and plan.level == "高级工程师") or (middle and plan.level == "工程师"):
            score += 2
        year = re.search(r"(20\d\d)", text)
        if year and plan.year and int(year.group(1)) == plan.year:
            score += 1
        if score:
            scored.append((score, pid))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [pid for _, pid in scored]
