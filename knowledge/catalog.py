"""The notice catalog: which notice is current for each series (region + series + level),
which are past, which amend another, and whether each has a published plan.

Every year each bureau publishes a new notice for the same series. The newest year is the
*current* notice: it answers questions and is the default in 资格自测 and 提醒. Older years
are *past*: they answer only when a question names their year, and say they are past. A
补充通知 (supplement) of the same year *amends* its notice instead of superseding it: both
stay current. Built from front matter alone (pure functions), so Q&A, dialogs, the console
and the CLI all decide the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from knowledge.lang.text import nfkc

PlanStatus = Literal["published", "draft", "missing"]
# Words a title uses when the notice changes another one instead of replacing it.
_AMENDING_TITLE = re.compile(r"补充通知|更正|延期|延长|调整.{0,8}(?:通知|公告)")

NOT_ONLINE = "该通知的资格自测尚未上线，可先问我条件"


def _norm(value: Any) -> str:
    return re.sub(r"\s+", "", nfkc(str(value or "")))


def series_key(meta: Mapping[str, Any]) -> str:
    """Notices of one series in different years share this key: 「宁波市|轻工（食品）|高级工程师」."""
    return "|".join(_norm(meta.get(k)) for k in ("region", "series", "level"))


def _year(meta: Mapping[str, Any]) -> int | None:
    try:
        return int(meta["year"]) if meta.get("year") is not None else None
    except (TypeError, ValueError):
        return None


@dataclass
class Entry:
    id: str
    title: str
    key: str
    year: int | None
    plans: list[str]
    amends: str | None = None  # the notice this one supplements (same series and year)
    superseded_by: str | None = None  # a newer notice of the same series: this one is past
    plan_status: dict[str, PlanStatus] = field(default_factory=dict)

    @property
    def past(self) -> bool:
        return self.superseded_by is not None

    @property
    def published_plans(self) -> list[str]:
        return [p for p, s in self.plan_status.items() if s == "published"]


def amended_notice(meta: Mapping[str, Any], metas: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The notice `meta` supplements: its explicit `amends`, else — for a title that says it
    amends (补充通知, 更正, 延期 …) — the other notice of the same series and year."""
    explicit = meta.get("amends")
    if explicit:
        return str(explicit)
    if not _AMENDING_TITLE.search(_norm(meta.get("title"))):
        return None
    key, year = series_key(meta), _year(meta)
    same = [nid for nid, m in metas.items()
            if m is not meta and series_key(m) == key and _year(m) == year
            and not _AMENDING_TITLE.search(_norm(m.get("title")))]
    return same[0] if len(same) == 1 else None


def past_notices(metas: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """{past notice id: the current notice of its series}. A notice is past when another
    notice of the same series has a later year; supplements follow the notice they amend;
    notices without a year are never past (there is nothing to compare)."""
    newest: dict[str, tuple[int, str]] = {}
    for nid, m in sorted(metas.items()):
        y = _year(m)
        if y is None or amended_notice(m, metas):
            continue
        k = series_key(m)
        if k not in newest or y > newest[k][0]:
            newest[k] = (y, nid)
    out: dict[str, str] = {}
    for nid, m in metas.items():
        y = _year(m)
        top = newest.get(series_key(m))
        if y is not None and top and y < top[0]:
            out[nid] = top[1]
    return out


def past_label(meta: Mapping[str, Any], current: Mapping[str, Any] | None) -> str:
    """How an answer from a past notice is labelled: 「（往年通知：2022年度；现行为2024年度通知）」."""
    year = _year(meta)
    now = _year(current or {})
    head = f"往年通知：{year}年度" if year else "往年通知"
    return f"（{head}；现行为{now}年度通知）" if now else f"（{head}）"


@dataclass
class Catalog:
    entries: dict[str, Entry]
    metas: dict[str, dict[str, Any]]

    # --- building --------------------------------------------------------------------------
    @classmethod
    def build(cls, metas: Mapping[str, Mapping[str, Any]], plans: Mapping[str, Any] | None = None,
              drafts: Iterable[str] = ()) -> Catalog:
        """`metas`: notice id → front matter; `plans`: published plans by id (objects or dicts
        with `notice`); `drafts`: plan ids with a draft waiting."""
        metas = {k: dict(v) for k, v in metas.items()}
        past = past_notices(metas)
        drafts = set(drafts)
        by_notice: dict[str, list[str]] = {}
        for pid, plan in (plans or {}).items():
            nid = plan.get("notice") if isinstance(plan, Mapping) else getattr(plan, "notice", None)
            by_notice.setdefault(str(nid), []).append(pid)
        entries: dict[str, Entry] = {}
        for nid, m in metas.items():
            named = [str(p) for p in (m.get("plans") or [])]
            published = by_notice.get(nid, [])
            status: dict[str, PlanStatus] = {}
            for pid in dict.fromkeys([*named, *published]):
                status[pid] = "published" if pid in published else ("draft" if pid in drafts else "missing")
            entries[nid] = Entry(id=nid, title=str(m.get("title") or nid), key=series_key(m), year=_year(m),
                                 plans=list(status), amends=amended_notice(m, metas), superseded_by=past.get(nid),
                                 plan_status=status)
        return cls(entries, metas)

    @classmethod
    def load(cls, notices_dir: Path, plans_dir: Path | None = None, drafts_dir: Path | None = None,
             plans: Mapping[str, Any] | None = None) -> Catalog:
        from knowledge.frontmatter import parse

        metas: dict[str, dict[str, Any]] = {}
        for p in sorted(Path(notices_dir).glob("*.md")):
            try:
                meta, _ = parse(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # a broken file is reported by ingest; the catalog lists what it can read
            metas[str(meta.get("id") or p.stem)] = meta
        if plans is None and plans_dir is not None:
            import yaml

            plans = {}
            for p in sorted(Path(plans_dir).glob("*.yaml")):
                try:
                    data = yaml.safe_load(p.read_text(encoding="utf-8"))
                except (OSError, yaml.YAMLError):
                    continue
                if isinstance(data, dict):
                    plans[str(data.get("id") or p.stem)] = data
        drafts = [p.stem for p in Path(drafts_dir).glob("*.yaml")] if drafts_dir and Path(drafts_dir).exists() else []
        return cls.build(metas, plans, drafts)

    # --- questions the bot asks -------------------------------------------------------------
    def current_of(self, notice_id: str) -> str:
        """The current notice of this notice's series (itself when it is current)."""
        e = self.entries.get(notice_id)
        return e.superseded_by if e and e.superseded_by else notice_id

    def is_past(self, notice_id: str) -> bool:
        e = self.entries.get(notice_id)
        return bool(e and e.past)

    def label_if_past(self, notice_id: str) -> str:
        """「（往年通知：2022年度；现行为2024年度通知）」 for a past notice, else ''."""
        e = self.entries.get(notice_id)
        if not e or not e.past:
            return ""
        return past_label(self.metas[notice_id], self.metas.get(e.superseded_by or ""))

    def plan_notice(self, plan_id: str) -> str | None:
        return next((e.id for e in self.entries.values() if plan_id in e.plan_status), None)

    def plan_unavailable(self, notice_or_plan_id: str) -> str | None:
        """「该通知的资格自测尚未上线，可先问我条件」 when the notice (or the notice a plan id
        belongs to) has no published plan; None when 资格自测 can run."""
        nid = notice_or_plan_id if notice_or_plan_id in self.entries else self.plan_notice(notice_or_plan_id)
        if nid is None:
            return None
        e = self.entries[nid]
        if e.published_plans:
            return None
        return f"《{e.title}》：{NOT_ONLINE}。"

    def current_plans(self, plan_ids: Iterable[str], year: int | None = None) -> list[str]:
        """The plans to offer (资格自测, 提醒 menus): those of current notices — or, when the user
        named a year, those of that year — in the given order. Plans whose notice the catalog
        does not know are kept (a plan file without a notice file is not hidden)."""
        out = []
        for pid in plan_ids:
            nid = self.plan_notice(pid)
            e = self.entries.get(nid or "")
            if e is None:
                out.append(pid)
            elif year is not None:
                if e.year == year:
                    out.append(pid)
            elif not e.past:
                out.append(pid)
        return out

    def newest_plan(self, plan_id: str) -> str:
        """The published plan of the current notice in the same series (itself if none newer):
        a user who chose last year's plan is offered this year's."""
        nid = self.plan_notice(plan_id)
        if nid is None:
            return plan_id
        cur = self.entries[self.current_of(nid)]
        return cur.published_plans[0] if cur.published_plans else plan_id

    def notices_without_plan(self) -> list[Entry]:
        """Current notices that have no published plan (amending notices need none of their own)."""
        return [e for e in self.entries.values() if not e.past and not e.amends and not e.published_plans]

    def older_than_current(self, meta: Mapping[str, Any]) -> str | None:
        """Why a notice may not be published as current: its series already has a later year.
        None when it is the newest (or a supplement, or has no year)."""
        y = _year(meta)
        if y is None or amended_notice(meta, self.metas):
            return None
        key = series_key(meta)
        newer = [e for e in self.entries.values() if e.key == key and e.year and e.year > y
                 and e.id != meta.get("id") and not e.amends]
        if not newer:
            return None
        top = max(newer, key=lambda e: e.year or 0)
        return (f"该系列已发布 {top.year} 年度通知《{top.title}》，您上传的是 {y} 年度的通知，"
                "不能作为现行通知发布。如需存档往年通知，请选择「作为往年通知存档」（只在用户问到该年度时回答，并标注为往年）。")

    def predecessor(self, meta: Mapping[str, Any]) -> Entry | None:
        """Last year's notice of the same series (same key, earlier year), the newest one."""
        y = _year(meta)
        key = series_key(meta)
        older = [e for e in self.entries.values() if e.key == key and e.id != meta.get("id") and not e.amends
                 and (y is None or e.year is None or e.year < y)]
        return max(older, key=lambda e: e.year or 0) if older else None

    def similar_series(self, meta: Mapping[str, Any]) -> Entry | None:
        """An existing notice of the same region and level whose series is worded nearly the
        same («建设工程专业» vs «建设工程»): the upload form offers to align the wording, so the
        new year supersedes the old one and 「新年度通知发布后提醒我」 subscribers are told."""
        region, level, series = _norm(meta.get("region")), _norm(meta.get("level")), _norm(meta.get("series"))
        if not series:
            return None
        best, score = None, 0.0
        for e in self.entries.values():
            m = self.metas[e.id]
            if _norm(m.get("region")) != region or _norm(m.get("level")) != level or e.id == meta.get("id"):
                continue
            other = _norm(m.get("series"))
            s = _similarity(series, other)
            if s > score:
                best, score = e, s
        return best if score >= 0.6 else None


def _similarity(a: str, b: str) -> float:
    """Share of character bigrams in common (containment counts fully)."""
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return 1.0
    ga = {a[i:i + 2] for i in range(len(a) - 1)} or {a}
    gb = {b[i:i + 2] for i in range(len(b) - 1)} or {b}
    return len(ga & gb) / min(len(ga), len(gb))
