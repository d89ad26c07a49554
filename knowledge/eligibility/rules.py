"""The eligibility engine: plan rules (data) × facts → per-route verdicts that explain themselves.

Every route is evaluated (never stopping at the first). Each rule yields pass / fail /
unknown with a Chinese message and the clause it comes from. Years are counted to the
plan's cut-off date (`as_of`), through the end of that day. Unknown facts that could still
change an outcome are reported as `missing`, which is what the dialog asks next.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from knowledge.eligibility.facts import (
    ASK_ORDER,
    EDUCATION,
    FACTS,
    SKILL_LEVELS,
    TITLES,
    strip_hedges,
    to_json,
    validate_facts,
)
from knowledge.eligibility.plans import AnyOf, Plan, Rule
from knowledge.eligibility.verdict import RouteVerdict, RuleResult, Verdict, WhatIf

log = logging.getLogger(__name__)

Status = Literal["pass", "fail", "unknown"]
GOOD_GRADES_DEFAULT = ("优秀", "称职", "合格")
WHAT_IF_YEARS = 5


@dataclass
class Outcome:
    status: Status
    message: str
    needs: list[str] = field(default_factory=list)  # facts that would settle / change it
    assumed: bool = False
    inconsistent: str | None = None  # answers that contradict each other, said plainly


@dataclass
class Env:
    plan: Plan
    facts: dict[str, Any]
    as_of: dt.date

    def get(self, name: str) -> Any:
        return self.facts.get(name)


@dataclass(frozen=True)
class CheckSpec:
    fn: Callable[[Env, Rule, dict[str, Any]], Outcome]
    required: frozenset[str]
    optional: frozenset[str] = frozenset()


CHECKS: dict[str, CheckSpec] = {}


def check(name: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    def deco(fn: Callable[[Env, Rule, dict[str, Any]], Outcome]):  # type: ignore[no-untyped-def]
        CHECKS[name] = CheckSpec(fn, frozenset(required), frozenset(optional))
        return fn

    return deco


# --- helpers ---------------------------------------------------------------------------------

def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 Feb
        return d.replace(year=d.year + years, day=28)


def served(start: dt.date, as_of: dt.date) -> tuple[int, int]:
    """Whole years and months from `start` through the end of `as_of` (inclusive)."""
    end = as_of + dt.timedelta(days=1)
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    months = max(months, 0)
    return months // 12, months % 12


def has_served(start: dt.date, as_of: dt.date, years: float) -> bool:
    """满 N 年 / N 年以上, counted through the end of the cut-off day."""
    whole = int(years)
    target = _add_years(start, whole)
    if years != whole:
        month = target.month - 1 + round((years - whole) * 12)
        target = target.replace(year=target.year + month // 12, month=month % 12 + 1, day=min(target.day, 28))
    return target <= as_of + dt.timedelta(days=1)


def ym(years: int, months: int) -> str:
    if years and months:
        return f"{years} 年 {months} 个月"
    if years:
        return f"{years} 年"
    return f"{months} 个月"


def cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def fmt(x: float) -> str:
    return f"{x:g}"


def education_group(edu: str | None, equivalence: dict[str, str] | None) -> str | None:
    """Technical-school classes count as the stated level (技工院校 equivalence)."""
    if edu is None:
        return None
    return (equivalence or {}).get(edu, edu)


def _edu_label(group: str) -> str:
    return EDUCATION.get(group, group)


def relatedness(env: Env) -> tuple[bool | None, list[str]]:
    """所学专业与从事专业一致或相近 (or an exception that makes it count) → True/False/None."""
    related = env.get("education_related")
    if related is True or env.get("registered_certificate") is True or env.get("related_retraining") is True:
        return True, []
    if related is None:
        return None, ["education_related"]
    exceptions = [f for f in ("registered_certificate", "related_retraining") if env.get(f) is None]
    return False, exceptions


def _threshold(table: Any, group: str | None) -> float | None:
    if isinstance(table, dict):
        return table.get(group) if group is not None else None
    return float(table)


def _msg(rule: Rule, status: Status, default: str, **values: Any) -> str:
    template = getattr(rule.messages, {"pass": "passed", "fail": "failed", "unknown": "unknown"}[status])
    if template:
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            log.warning("rule %s: message template does not fit %s", rule.id, sorted(values))
    return default


# --- checks ----------------------------------------------------------------------------------

@check("flag", required=("fact", "fail_if"))
def _flag(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    fact = p["fact"]
    value = env.get(fact)
    if value is None:
        return Outcome("unknown", _msg(rule, "unknown", f"尚不清楚：{FACTS[fact].meaning}"), [fact])
    if bool(value) == bool(p["fail_if"]):
        return Outcome("fail", _msg(rule, "fail", f"{rule.title}：不符合"))
    return Outcome("pass", _msg(rule, "pass", f"{rule.title}：符合"))


@check("min_number", required=("fact", "min"), optional=("unit",))
def _min_number(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    fact, minimum, unit = p["fact"], float(p["min"]), p.get("unit", "")
    value = env.get(fact)
    if value is None:
        return Outcome("unknown", _msg(rule, "unknown", f"尚不清楚{FACTS[fact].label}（要求不少于 {fmt(minimum)}{unit}）",
                                       min=fmt(minimum)), [fact])
    v = float(value)
    if v >= minimum:
        return Outcome("pass", _msg(rule, "pass", f"{FACTS[fact].label} {fmt(v)}{unit}，达到 {fmt(minimum)}{unit}",
                                    value=fmt(v), min=fmt(minimum)))
    return Outcome("fail", _msg(rule, "fail",
                                f"{FACTS[fact].label} {fmt(v)}{unit}，要求不少于 {fmt(minimum)}{unit}，还差 {fmt(minimum - v)}{unit}",
                                value=fmt(v), min=fmt(minimum), short=fmt(minimum - v)))


@check("max_number", required=("fact", "max"), optional=("unit",))
def _max_number(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    fact, maximum, unit = p["fact"], float(p["max"]), p.get("unit", "")
    value = env.get(fact)
    if value is None:
        return Outcome("unknown", _msg(rule, "unknown", f"尚不清楚{FACTS[fact].label}（不超过 {fmt(maximum)}{unit}）",
                                       max=fmt(maximum)), [fact])
    v = float(value)
    if v <= maximum:
        return Outcome("pass", _msg(rule, "pass", f"{FACTS[fact].label} {fmt(v)}{unit}，未超过 {fmt(maximum)}{unit}",
                                    value=fmt(v), max=fmt(maximum)))
    return Outcome("fail", _msg(rule, "fail", f"{FACTS[fact].label} {fmt(v)}{unit}，超过 {fmt(maximum)}{unit}",
                                value=fmt(v), max=fmt(maximum)))


@check("assessments", required=("accepted", "count"), optional=("fact", "or_since_title"))
def _assessments(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    fact = p.get("fact", "assessments")
    accepted, count = list(p["accepted"]), int(p["count"])
    since = env.get("title_since")
    if p.get("or_since_title") and since is not None:
        # 「任现职以来或近 N 年」: a shorter tenure needs only the years since appointment.
        count = max(1, min(count, served(since, env.as_of)[0]))
    grades = env.get(fact)
    need = ("“称职”（合格）及以上" if {"称职", "合格"} <= set(accepted) else f"“{accepted[-1]}”及以上")
    # Without the appointment date, 「任现职以来」 may need fewer years: ask it first.
    extra = ["title_since"] if p.get("or_since_title") and since is None else []
    if not grades:
        return Outcome("unknown", _msg(rule, "unknown", f"尚不清楚近 {count} 年年度考核结果（要求均为{need}）"),
                       [*extra, fact])
    bad = [g for g in grades[:count] if g not in accepted]
    shown = "、".join(grades[:count])
    if bad:
        return Outcome("fail", _msg(rule, "fail", f"年度考核有「{'、'.join(bad)}」，要求近 {count} 年均为{need}",
                                    grades=shown, bad="、".join(bad)))
    if len(grades) < count:
        return Outcome("unknown", _msg(rule, "unknown",
                                       f"只知道 {len(grades)} 年的考核结果（{shown}），要求近 {count} 年均为{need}"),
                       [*extra, fact])
    return Outcome("pass", _msg(rule, "pass", f"近 {count} 年考核 {shown}，均为{need}", grades=shown))


def _matches(text: str, item: dict[str, Any], *, partial: bool = True) -> bool:
    """The listed name or a keyword occurs in the text; with `partial`, a short answer such as
    「计算机」 also matches a listed name that contains it."""
    words = [item["name"], *item.get("keywords", [])]
    return any(w and (w in text or (partial and len(text) >= 3 and text in w)) for w in words)


_SPEC_SPLIT = re.compile(r"[,，、;；/\s]+")
_SPEC_HEAD = re.compile(r"^(?:我是|我|是|搞|做|干|从事|在做|负责)+")
_SPEC_TAIL = re.compile(r"(?:的|方面|相关|这块|一类|类|专业|工作)+$")


def specialty_shown(spec: str, scope: list[str] | None = None) -> str:
    """The user's specialty as a verdict quotes it: the listed specialty it names when the plan
    lists one (「搞机械的,机电吧」 → 「机电制造」), else their words trimmed, never the raw text."""
    trimmed = "，".join(x for x in _SPEC_SPLIT.split(strip_hedges(spec)) if x)
    pieces = [_SPEC_TAIL.sub("", _SPEC_HEAD.sub("", x)) for x in trimmed.split("，")]
    named = [s for s in scope or [] for x in pieces if len(x) >= 2 and (x in s or s == x)]
    if named:
        return f"「{max(named, key=len)}」"
    if trimmed == spec and len(pieces) == 1:
        return f"「{trimmed}」"
    return f"您填写的专业（{trimmed}）"


def listed_specialty(plan: Plan, text: str) -> str | None:
    """A clause that is just a specialty the plan lists («…，临平的，机电，本科» → 「机电」), so a
    bare field of work said before the question is asked counts as the answer to it."""
    scope: list[str] = []
    for rule in plan.rules:
        if rule.check != "specialty_not_excluded":
            continue
        ref = rule.params.get("scope")
        value = plan.parameters[ref[1:]].value if isinstance(ref, str) and ref.startswith("$") \
            and ref[1:] in plan.parameters else ref
        scope += [str(v) for v in value or []]
    for piece in _SPEC_SPLIT.split(text):
        core = _SPEC_TAIL.sub("", _SPEC_HEAD.sub("", piece.strip("。.!！?？")))
        if len(core) >= 2 and core in scope:
            return core
    return None


@check("specialty_not_excluded", required=("excluded",), optional=("scope",))
def _specialty(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    spec = env.get("specialty")
    if not spec:
        return Outcome("unknown", _msg(rule, "unknown", "尚不清楚您从事的专业"), ["specialty"])
    scope = p.get("scope") or []
    for item in p["excluded"]:
        if _matches(spec, item):
            shown = specialty_shown(spec)
            return Outcome("fail", _msg(rule, "fail",
                                        f"{shown}属于列入国家、省统一考试的专业（{item['name']}），本计划不予评审通过",
                                        specialty=shown, excluded=item["name"]))
    if scope and not any(s in spec or spec in s for s in scope):
        shown = specialty_shown(spec)
        return Outcome("pass", _msg(rule, "pass",
                                    f"{shown}不在统一考试专业之列；但也不在通知列举的专业中，请对照省平台「可评审专业」确认",
                                    specialty=shown))
    shown = specialty_shown(spec, scope)
    return Outcome("pass", _msg(rule, "pass", f"{shown}不属于统一考试专业", specialty=shown))


@check("education", required=("levels",), optional=("equivalence", "related", "unstated", "assume_related"))
def _education(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    edu = env.get("education")
    if edu is None:
        return Outcome("unknown", _msg(rule, "unknown", "尚不清楚您的学历"), ["education"])
    group = education_group(edu, p.get("equivalence"))
    levels = p["levels"]
    accepted = list(levels) if isinstance(levels, dict | list) else [levels]
    label = EDUCATION[edu] + (f"（按{_edu_label(group)}）" if group != edu else "")
    if group in (p.get("unstated") or []):
        return Outcome("unknown", _msg(rule, "unknown",
                                       f"通知未单列{_edu_label(group)}学历的要求，请向受理点确认", education=label))
    if group not in accepted:
        want = "、".join(_edu_label(g) for g in accepted)
        return Outcome("fail", _msg(rule, "fail", f"您的学历为{label}，本申报方式要求{want}", education=label))
    if p.get("related", True):
        rel, needs = relatedness(env)
        if rel is None and p.get("assume_related"):
            return Outcome("pass", f"学历{label}；未说明所学专业是否对口，按一致或相近计算（不对口视为不具备规定学历）",
                           needs, assumed=True)
        if rel is None:
            return Outcome("unknown", "尚不清楚所学专业与从事专业是否一致或相近", needs)
        if rel is False:
            return Outcome("fail", _msg(rule, "fail",
                                        "所学专业与从事专业不一致也不相近，视为不具备规定学历（已取得所从事专业国家注册类资格证书，"
                                        "或连续一年以上本专业脱产继续教育并取得证书或证明的除外）", education=label), needs)
    return Outcome("pass", _msg(rule, "pass", f"学历{label}，符合要求", education=label))


@check("title_years", required=("title", "years"), optional=("equivalence", "alternatives"))
def _title_years(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    title = p["title"]
    current = env.get("current_title")
    tname = TITLES[title]
    if current is None:
        return Outcome("unknown", f"尚不清楚您现有职称（要求取得{tname}资格并聘任）", ["current_title"])
    other = (p.get("alternatives") or {}).get(current)
    if other:  # e.g. 申报第二个专业工程师资格: the current 中级 appointment instead
        return Outcome("pass", other)
    if current != title:
        return Outcome("fail", _msg(rule, "fail", f"您现有职称为「{TITLES[current]}」，本申报方式要求取得{tname}资格后实际聘任",
                                    title=tname))
    if env.get("title_appointed") is False:  # «14年拿了个助工 不过厂里没给发聘书»
        return Outcome("fail", _msg(rule, "fail", f"您说{tname}没有实际聘任（没有聘书或聘任文件），本申报方式要求取得"
                                                  f"{tname}资格后实际聘任", title=tname))
    group = education_group(env.get("education"), p.get("equivalence"))
    table = p["years"]
    if isinstance(table, dict) and group is None:
        return Outcome("unknown", f"{tname}聘任年限要求取决于学历，尚不清楚您的学历", ["education"])
    need = _threshold(table, group)
    if need is None:
        return Outcome("fail", _msg(rule, "fail", f"您的学历为{_edu_label(group or '')}，本申报方式未对该学历规定聘任年限要求",
                                    title=tname))
    since = env.get("title_since")
    if since is None:
        return Outcome("unknown", f"尚不清楚您聘任{tname}的起始时间（要求满 {fmt(need)} 年）", ["title_since"])
    y, m = served(since, env.as_of)
    counted = f"您 {since.year}年{since.month}月 起聘任{tname}，到 {cn_date(env.as_of)} 为 {ym(y, m)}"
    if has_served(since, env.as_of, need):
        return Outcome("pass", _msg(rule, "pass", f"{counted}，满 {fmt(need)} 年", title=tname, need=fmt(need)))
    return Outcome("fail", _msg(rule, "fail", f"{counted}，要求满 {fmt(need)} 年", title=tname, need=fmt(need)),
                   ["title_since"])


@check("work_years", required=("years",), optional=("equivalence", "since_graduation", "unstated", "read_as"))
def _work_years(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    edu = env.get("education")
    if edu is None:
        return Outcome("unknown", "工作年限要求取决于学历，尚不清楚您的学历", ["education"])
    group = education_group(edu, p.get("equivalence"))
    if group in (p.get("unstated") or []):
        return Outcome("unknown", f"通知未单列{_edu_label(group or '')}学历的工作年限要求，请向受理点确认")
    need = _threshold(p["years"], group)
    if need is None:
        return Outcome("fail", _msg(rule, "fail", f"您的学历为{_edu_label(group or '')}，本申报方式未对该学历规定工作年限要求"))
    years = env.get("related_work_years")
    grad = env.get("graduation_date")
    # 「本科毕业后从事本专业工作满 5 年」: the years count from graduation, so the date is
    # asked before the years and bounds them.
    from_grad = bool(p.get("since_graduation"))
    if years is None:
        needs = ["graduation_date", "related_work_years"] if from_grad and grad is None else ["related_work_years"]
        return Outcome("unknown", f"尚不清楚您毕业后从事本专业或相近专业工作的年限（{_edu_label(group or '')}要求 {fmt(need)} 年以上）",
                       needs)
    counted, note, clash = float(years), "", None
    reading = (p.get("read_as") or {}).get(group or "")
    if reading:
        note = f"（{reading}）"
    if from_grad and grad is not None:
        y, m = served(grad, env.as_of)
        after = y + m / 12
        if after < counted:
            clash = (f"您说毕业后从事本专业工作 {fmt(counted)} 年，但 {grad.year}年{grad.month}月毕业到 "
                     f"{cn_date(env.as_of)} 只有 {ym(y, m)}；毕业前的工作不计入，按 {ym(y, m)} 计算")
            counted = round(after, 2)
    if counted >= float(need):
        text = _msg(rule, "pass", f"本专业或相近专业工作 {fmt(counted)} 年{note}，满 {fmt(need)} 年",
                    years=fmt(counted), need=fmt(need))
        if from_grad and grad is None:
            # Passing on the stated years alone: say so, and keep asking the date.
            return Outcome("pass", text + "（尚未核对毕业时间：只算毕业后的年限）", ["graduation_date"], assumed=True)
        return Outcome("pass", text + (f"。注意：{clash}" if clash else ""), inconsistent=clash)
    text = _msg(rule, "fail",
                f"{_edu_label(group or '')}要求毕业后从事本专业或相近专业工作 {fmt(need)} 年以上，您为 {fmt(counted)} 年{note}",
                years=fmt(counted), need=fmt(need))
    return Outcome("fail", text + (f"。注意：{clash}" if clash else ""), ["related_work_years"], inconsistent=clash)


@check("skill_years", required=("levels", "years"))
def _skill_years(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    level = env.get("skill_level")
    need = float(p["years"])
    if level is None:
        return Outcome("unknown", "尚不清楚您是否有技师职业资格（职业技能等级）", ["skill_level"])
    if level not in p["levels"]:
        return Outcome("fail", _msg(rule, "fail", f"未取得技师职业资格或职业技能等级（现为：{SKILL_LEVELS[level]}）"))
    since = env.get("skill_since")
    if since is None:
        return Outcome("unknown", f"尚不清楚您取得{SKILL_LEVELS[level]}的时间（要求取得后满 {fmt(need)} 年）", ["skill_since"])
    y, m = served(since, env.as_of)
    counted = f"{since.year}年{since.month}月 取得{SKILL_LEVELS[level]}，到 {cn_date(env.as_of)} 为 {ym(y, m)}"
    if has_served(since, env.as_of, need):
        return Outcome("pass", _msg(rule, "pass", f"{counted}，满 {fmt(need)} 年"))
    return Outcome("fail", _msg(rule, "fail", f"{counted}，要求取得后从事技术技能工作满 {fmt(need)} 年"), ["skill_since"])


@check("honours", required=("honours",))
def _honours(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    got = env.get("skill_honours")
    if got is None:
        return Outcome("unknown", "尚不清楚您是否获得过通知所列技能荣誉", ["skill_honours"])
    hits = [item["name"] for item in p["honours"] for h in got if _matches(str(h), item, partial=False)]
    if hits:
        return Outcome("pass", _msg(rule, "pass", f"获得「{hits[0]}」，属于通知所列荣誉"))
    listed = "、".join(item["name"] for item in p["honours"])
    return Outcome("fail", _msg(rule, "fail", f"未获得通知所列技能荣誉（{listed}）"))


@check("exceptional_tenure", required=("title", "with_education", "without_education", "education_levels"),
       optional=("equivalence",))
def _exceptional_tenure(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    title = p["title"]
    tname = TITLES[title]
    current = env.get("current_title")
    if current is None:
        return Outcome("unknown", f"尚不清楚您现有职称（破格要求任{tname}）", ["current_title"])
    if current != title:
        return Outcome("fail", _msg(rule, "fail", f"您现有职称为「{TITLES[current]}」，破格申报要求任{tname}"))
    if env.get("title_appointed") is False:
        return Outcome("fail", _msg(rule, "fail", f"您说{tname}没有实际聘任，破格申报要求任{tname}（以聘任为准）"))
    since = env.get("title_since")
    if since is None:
        return Outcome("unknown", f"尚不清楚您任{tname}的起始时间", ["title_since"])
    w, wo = float(p["with_education"]), float(p["without_education"])
    y, m = served(since, env.as_of)
    counted = f"您任{tname} {ym(y, m)}（到 {cn_date(env.as_of)}）"
    if has_served(since, env.as_of, wo):
        return Outcome("pass", _msg(rule, "pass", f"{counted}，满 {fmt(wo)} 年（无论是否具备规定学历）"))
    group = education_group(env.get("education"), p.get("equivalence"))
    if not has_served(since, env.as_of, w):
        return Outcome("fail", _msg(rule, "fail",
                                    f"{counted}；破格要求具备规定学历任{tname}满 {fmt(w)} 年，或不具备规定学历任 {fmt(wo)} 年以上"),
                       ["title_since"])
    if group is None:
        return Outcome("unknown", f"{counted}：具备规定学历满 {fmt(w)} 年即可，尚不清楚您的学历", ["education"])
    if group not in p["education_levels"]:
        return Outcome("fail", _msg(rule, "fail", f"{counted}；不具备规定学历的须任{tname} {fmt(wo)} 年以上"), ["title_since"])
    rel, needs = relatedness(env)
    if rel is None:
        return Outcome("unknown", f"{counted}：若所学专业与从事专业一致或相近，满 {fmt(w)} 年即可", needs)
    if rel is False:
        return Outcome("fail", _msg(rule, "fail",
                                    f"{counted}；所学专业不对口视为不具备规定学历，须任{tname} {fmt(wo)} 年以上"), needs)
    return Outcome("pass", _msg(rule, "pass", f"{counted}，具备规定学历，满 {fmt(w)} 年"))


@check("count_at_least", required=("fact", "min", "of"))
def _count_at_least(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    fact, minimum, of = p["fact"], int(p["min"]), int(p["of"])
    value = env.get(fact)
    if value is None:
        return Outcome("unknown", _msg(rule, "unknown", f"尚不清楚您符合所列 {of} 项条件中的几项（要求 {minimum} 项）"), [fact])
    if int(value) >= minimum:
        return Outcome("pass", _msg(rule, "pass", f"符合所列 {of} 项中的 {value} 项（要求 {minimum} 项）",
                                    value=value, min=minimum))
    return Outcome("fail", _msg(rule, "fail", f"符合所列 {of} 项中的 {value} 项，要求具备 {minimum} 项",
                                value=value, min=minimum))


@check("employer", required=("allowed",), optional=("transfer_fact",))
def _employer(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    kind = env.get("employer_type")
    if kind is None:
        return Outcome("unknown", _msg(rule, "unknown", "尚不清楚您的单位性质"), ["employer_type"])
    if kind in p["allowed"]:
        return Outcome("pass", _msg(rule, "pass", "单位性质符合"))
    transfer = p.get("transfer_fact")
    if transfer:
        moved = env.get(transfer)
        if moved is None:
            return Outcome("unknown", _msg(rule, "unknown", "尚不清楚您是否为从企业调入事业单位的正式在编人员"), [transfer])
        if moved:
            return Outcome("pass", _msg(rule, "pass", "从企业调入事业单位的正式在编人员，可参照执行"))
    return Outcome("fail", _msg(rule, "fail", "本申报方式适用于在企业一直从事专业技术工作的人员"))


@check("title_in", required=("titles",))
def _title_in(env: Env, rule: Rule, p: dict[str, Any]) -> Outcome:
    current = env.get("current_title")
    want = "、".join(TITLES[t] for t in p["titles"])
    if current is None:
        return Outcome("unknown", f"尚不清楚您现有职称（要求：{want}）", ["current_title"])
    if current in p["titles"]:
        return Outcome("pass", _msg(rule, "pass", f"现有职称{TITLES[current]}，符合"))
    return Outcome("fail", _msg(rule, "fail", f"您现有职称为「{TITLES[current]}」，要求：{want}"))


# --- evaluation ------------------------------------------------------------------------------

def _eval_rule(env: Env, rule: Rule) -> Outcome:
    params = {k: env.plan.resolve(v) for k, v in rule.params.items()}
    out = CHECKS[rule.check].fn(env, rule, params)
    if out.status == "unknown" and rule.assume_if_unknown:
        return Outcome("pass", rule.assume_if_unknown, out.needs, assumed=True)
    return out


def _item(plan: Plan, rule: Rule, out: Outcome) -> RuleResult:
    return RuleResult(rule=rule.id, title=rule.title, message=out.message, clause=rule.clause.model_dump(),
                      cite=plan.cite(rule.clause), needs=list(out.needs), assumed=out.assumed,
                      inconsistent=out.inconsistent)


# The facts each check reads besides its `fact` / `transfer_fact` parameter: which answers a
# plan uses at all (「修改学历」 in a plan that never looks at 学历 says so).
CHECK_READS: dict[str, tuple[str, ...]] = {
    "assessments": ("title_since",),
    "specialty_not_excluded": ("specialty",),
    "education": ("education", "education_related", "registered_certificate", "related_retraining"),
    "title_years": ("current_title", "education", "title_since", "title_appointed"),
    "work_years": ("education", "related_work_years", "graduation_date"),
    "skill_years": ("skill_level", "skill_since"),
    "honours": ("skill_honours",),
    "exceptional_tenure": ("current_title", "title_since", "title_appointed", "education", "education_related",
                           "registered_certificate", "related_retraining"),
    "employer": ("employer_type",),
    "title_in": ("current_title",),
}
# Checks that count years to the cut-off date.
YEAR_CHECKS = ("title_years", "work_years", "skill_years", "exceptional_tenure")


def facts_used(plan: Plan) -> set[str]:
    """Every fact some rule of the plan reads."""
    used: set[str] = set()
    for rule in plan.rules:
        used.update(CHECK_READS.get(rule.check, ()))
        if rule.check == "assessments":
            used.add(str(rule.params.get("fact", "assessments")))
        used.update(str(rule.params[k]) for k in ("fact", "transfer_fact") if isinstance(rule.params.get(k), str))
    return used & FACTS.keys()


def plan_counts_years(plan: Plan) -> bool:
    return any(r.check in YEAR_CHECKS for r in plan.rules)


def _order(facts: set[str]) -> list[str]:
    return sorted(facts, key=lambda f: (ASK_ORDER.index(f) if f in ASK_ORDER else len(ASK_ORDER), f))


def evaluate(plan: Plan, facts: dict[str, Any], as_of: dt.date | None = None, *,
             what_if: bool = True) -> Verdict:
    """Evaluate every route of the plan. `facts` may be raw JSON (validated here)."""
    facts = validate_facts(facts, plan.as_of or as_of)
    cutoff = plan.as_of or as_of or plan.counted_to or dt.date.today()
    env = Env(plan, facts, cutoff)
    cache: dict[str, Outcome] = {}

    def run(rule_id: str) -> Outcome:
        if rule_id not in cache:
            cache[rule_id] = _eval_rule(env, plan.rule(rule_id))
        return cache[rule_id]

    routes: dict[str, RouteVerdict] = {}
    missing: set[str] = set()
    notes: list[str] = []
    advice_seen: set[str] = set()
    for route in plan.routes:
        failed: list[RuleResult] = []
        unknown: list[RuleResult] = []
        passed: list[RuleResult] = []
        needs: set[str] = set()
        fail_needs: list[set[str]] = []
        for item in [*plan.general_rules, *route.rules]:
            ids = item.any_of if isinstance(item, AnyOf) else [item]
            outs = [(plan.rule(i), run(i)) for i in ids]
            advice = [(r, o) for r, o in outs if r.severity == "advice"]
            for r, o in advice:
                if o.status == "fail" and r.id not in advice_seen:
                    advice_seen.add(r.id)
                    notes.append(f"{o.message}〔{_path(r.clause)}〕")
            outs = [(r, o) for r, o in outs if r.severity != "advice"]
            if not outs:
                continue
            statuses = {o.status for _, o in outs}
            group = "pass" if "pass" in statuses else ("unknown" if "unknown" in statuses else "fail")
            for r, o in outs:
                if o.assumed:
                    needs.update(o.needs)
                if group == "pass":
                    if o.status == "pass":
                        passed.append(_item(plan, r, o))
                elif group == "fail":
                    failed.append(_item(plan, r, o))
                    fail_needs.append(set(o.needs))
                else:
                    # Undecided any_of: a failed alternative is reported with the open ones.
                    (passed if o.status == "pass" else unknown).append(_item(plan, r, o))
                    if o.status == "unknown":
                        needs.update(o.needs)
                    if o.status == "fail":
                        needs.update(set(o.needs) - facts.keys())
        if failed:
            eligible: bool | None = False
        elif unknown:
            eligible = None
        else:
            eligible = True if route.conditions_complete else None
        if not failed:
            missing |= needs
        elif len(fail_needs) == 1 and fail_needs[0] - facts.keys():
            # A single failure that an answer not yet given could lift (e.g. 注册证书 for 学历).
            missing |= needs | (fail_needs[0] - facts.keys())
        # A route for a group the answers never establish (机关调出, 转评) is not "met" on
        # the shared conditions alone.
        unestablished = bool(route.applies_to) and not route.rules
        routes[route.id] = RouteVerdict(
            id=route.id, title=route.title, eligible=eligible, conditions_complete=route.conditions_complete,
            applies_to=route.applies_to, stated_conditions_met=not failed and not unknown and not unestablished,
            platform_choice=route.platform_choice, failed=failed, unknown=unknown, passed=passed,
            notes=[n.text + (f"〔{_path(n.clause)}〕" if n.clause else "") for n in route.notes])
    eligible_routes = [r.id for r in plan.routes if routes[r.id].eligible is True]
    met_incomplete = [r.id for r in plan.routes
                      if routes[r.id].stated_conditions_met and not r.conditions_complete]
    if plan.as_of is None and plan_counts_years(plan):  # a plan without year rules counts no years
        notes.insert(0, f"本通知未规定年限计算截止日期，以下年限按 {cn_date(cutoff)} 计算"
                        + ("（申报年度末，同类通知的算法；以受理部门的解释为准）。" if cutoff == plan.counted_to else "。"))
    conditions_note = None
    if any(not r.conditions_complete for r in plan.routes) and plan.other_conditions_doc:
        conditions_note = (f"本通知未列全部申报条件（学历、任职年限、业绩成果等），这里只核对了通知写明的条件；"
                           f"其余条件见{plan.other_conditions_doc}。")
    for n in plan.notes:
        notes.append(n.text + (f"〔{_path(n.clause)}〕" if n.clause else ""))
    materials = {rid: [{"text": m.text, "cite": plan.cite(m.clause)} for m in plan.materials(rid)]
                 for rid in [*eligible_routes, *met_incomplete]}
    result = Verdict(
        plan=plan.id, plan_title=plan.title, as_of=cutoff, as_of_stated=plan.as_of is not None,
        facts=to_json(facts),  # as understood (「四年半」 → 4.5), so a caller can check the reading
        eligible_routes=eligible_routes, stated_conditions_met_routes=met_incomplete, routes=routes,
        missing=_order(missing), materials=materials, notes=notes, other_conditions_doc=plan.other_conditions_doc,
        conditions_note=conditions_note)
    if what_if:
        result.what_if = _what_if(plan, facts, cutoff, routes)
    return result


def evaluate_at(plan: Plan, facts: dict[str, Any], as_of: dt.date) -> Verdict:
    """The same facts with years counted to another day (an estimate for a later year): dates
    count on by themselves; stated years of work grow with the cut-off; everything else is
    assumed unchanged."""
    later = dict(facts)
    if plan.counted_to is not None and later.get("related_work_years") is not None:
        later["related_work_years"] = float(later["related_work_years"]) + max(0, as_of.year - plan.counted_to.year)
    return evaluate(plan.model_copy(update={"as_of": as_of}), later, what_if=False)


def _what_if(plan: Plan, facts: dict[str, Any], cutoff: dt.date, now: dict[str, RouteVerdict]) -> WhatIf | None:
    """Shift the cut-off year by year: when would the same facts qualify for each route?"""
    waiting = [rid for rid, r in now.items() if r.eligible is not True and r.failed]
    if not waiting:
        return None
    found: dict[str, Any] = {}
    for k in range(1, WHAT_IF_YEARS + 1):
        later = dict(facts)
        if later.get("related_work_years") is not None:
            later["related_work_years"] = float(later["related_work_years"]) + k
        res = evaluate(plan, later, as_of=_add_years(cutoff, k), what_if=False) if plan.as_of is None else \
            evaluate(plan.model_copy(update={"as_of": _add_years(cutoff, k)}), later, what_if=False)
        for rid in waiting:
            r = res.routes[rid]
            if rid not in found and (r.eligible is True or (r.stated_conditions_met and not r.conditions_complete)):
                year = (plan.year + k) if plan.year else cutoff.year + k
                title = plan.route(rid).title
                later_day = cn_date(_add_years(cutoff, k))
                # No notice for later years exists: phrase it as the assumption it is.
                found[rid] = {
                    "year": year,
                    "as_of": _add_years(cutoff, k).isoformat(),
                    "message": f"若以后年度沿用本通知的条件、年限计算到 {later_day}，可走{title}（假设，以当年通知为准）"
                    if r.eligible is True
                    else f"若以后年度沿用本通知写明的条件、年限计算到 {later_day}，{title}可满足其中写明的条件"
                         f"（假设，以当年通知为准）",
                }
    if not found:
        return None
    return WhatIf(assumption="这是假设：本通知只适用于本年度，以后年度的条件以当年通知为准；这里假设条件不变、"
                             "您继续从事本专业工作、职称聘任和技能等级保持不变，年限每年随截止日期增加，"
                             "学历、学分、考核等其他情况不变。",
                  routes=found)


# --- plain-Chinese rendering -----------------------------------------------------------------

def _path(clause: Any) -> str:
    return clause.path.replace(" › ", " ")


def _short_cite(item: RuleResult) -> str:
    return item.clause["path"].replace(" › ", " ")


def _by_sign(route: RouteVerdict) -> list[tuple[str, RuleResult]]:
    return [(sign, f) for sign, items in (("✘", route.failed), ("？", route.unknown), ("✔", route.passed))
            for f in items]


def _mark(route: RouteVerdict) -> str:
    return {True: "✅", False: "❌", None: "☑️" if route.stated_conditions_met else "❓"}[route.eligible]


def _stated_line(route: RouteVerdict, general: set[str]) -> str:
    """「· 自评分申报：✔自评分 80 分以上 ✘…」, or who the route is for when nothing is stated."""
    own = [(sign, f) for sign, f in _by_sign(route) if f.rule not in general]
    if route.applies_to and not own:
        return f"· {route.title}：仅适用于{route.applies_to}，本通知未写明其条件"
    if not own:
        return f"{_mark(route)} {route.title}：除共同条件外本通知未写明其条件"
    return f"{_mark(route)} {route.title}：" + "，".join(f"{sign}{f.title}" for sign, f in own)


def render_text(result: Verdict, plan: Plan, *, detail: bool = True, materials: bool = True) -> str:
    """The result for a person: summary first, then failed rules with clauses, then materials."""
    head = f"【{plan.title}】"
    if result.as_of_stated:
        head += f"年限算到 {cn_date(result.as_of)}"
    lines = [head]
    routes = result.routes
    ok = [routes[r].title for r in result.eligible_routes]
    met = [routes[r].title for r in result.stated_conditions_met_routes]
    undecided = [r.title for r in routes.values() if r.eligible is None and not r.stated_conditions_met]
    no = [r.title for r in routes.values() if r.eligible is False]
    partial = [r for r in routes.values() if not r.conditions_complete]
    general = set(plan.general_rules)
    if partial and plan.other_conditions_doc and not detail:
        # Few stated conditions: each route with the ones the notice states, never a bare 「符合」.
        ok_full = [r.title for r in routes.values() if r.conditions_complete and r.eligible is True]
        no_full = [r.title for r in routes.values() if r.conditions_complete and r.eligible is False]
        if ok_full:
            lines.append("✅ 可以申报：" + "、".join(ok_full))
        if no_full:
            lines.append("❌ 暂不符合：" + "、".join(no_full))
        lines.append(f"本通知只写明了以下条件，完整条件见{plan.other_conditions_doc}：")
        first = next(iter(routes.values()))
        shared = [f"{sign}{f.title}" for sign, f in _by_sign(first) if f.rule in general]
        if shared:
            lines.append("· 各申报方式共同：" + "，".join(shared))
        lines.extend(_stated_line(r, general) for r in partial)
    else:
        if ok:
            lines.append("✅ 可以申报：" + "、".join(ok))
        if met:
            lines.append("☑️ 通知写明的条件已符合：" + "、".join(met))
        if undecided:
            lines.append("❓ 待确认：" + "、".join(undecided))
        if no:
            lines.append("❌ 暂不符合：" + "、".join(no))
    if not ok and not met:
        lines.insert(1, "目前还不能确定能否申报。" if undecided else "按您提供的情况，目前没有可以申报的方式。")
    if result.what_if:
        lines.extend(result.what_if.messages)
        if detail:
            lines.append("（" + result.what_if.assumption + "）")
    if result.missing:
        lines.append("还需确认：" + "、".join(FACTS[f].label for f in result.missing[:6]))
    if result.conditions_note and not (partial and plan.other_conditions_doc and not detail):
        lines.append(result.conditions_note)
    if detail:
        # Route by route, every rule with its clause.
        blocks: list[tuple[str, RouteVerdict, bool]] = []
        if general:
            blocks.append(("【各申报方式共同条件】", next(iter(routes.values())), True))
        for r in routes.values():
            blocks.append((f"{_mark(r)}【{r.title}】", r, False))
        for title, r, shared_only in blocks:
            if not shared_only and r.platform_choice:
                title += f"（省平台选「{r.platform_choice}」）"
            lines.append(title)
            for sign, f in _by_sign(r):
                if (f.rule in general) == shared_only:
                    lines.append(f"  {sign} {f.message}〔{_short_cite(f)}〕")
            if not shared_only:
                lines.extend(f"  注：{n}" for n in r.notes)
    else:
        # Failed rules, each once, with the routes it blocks and its clause.
        failures: dict[str, tuple[RuleResult, list[str]]] = {}
        for r in routes.values():
            if r.eligible is False:
                for f in r.failed[:1]:
                    failures.setdefault(f.rule, (f, []))[1].append(r.title)
        if failures:
            lines.append("不符合的原因：")
        for f, titles in failures.values():
            who = "各申报方式" if len(titles) == len(routes) and len(routes) > 1 else "、".join(titles)
            lines.append(f"· {who}：{f.message}〔{_short_cite(f)}〕")
    if detail and plan.notice_title:
        lines.append(f"依据：《{plan.notice_title}》")
    if detail:
        for n in result.notes[:4]:
            lines.append("注：" + n)
    if materials:
        for rid, items in result.materials.items():
            lines.append(f"📋 {routes[rid].title}需准备：" + "；".join(m["text"] for m in items))
            break
    return "\n".join(lines)
