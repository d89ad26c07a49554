"""Which notices a question names — read from each notice's own front matter, title and text.

A notice is known by its region (and the places its text names), its series, the levels it
evaluates and its year. Front matter may be thin (a notice ingested from plain text has no
aliases, perhaps no series): the title then supplies the series («2024年度宁波市轻工（食品）专业
高级工程师…» → 轻工, 食品) and the levels («高级工程师和正高级工程师» → both).

A question names facets: series words, regions and places, a level, a plan year. Within a
facet the notices it names are pooled (two series named → either); across facets they must
agree. When they cannot — «嘉兴建设工程», «嘉兴环保高工» with only a 中级 notice, «2025年化工轻纺»
with only the 2022 notice — the question is about a notice that is not loaded: `conflict`
says which facet, and the service declines instead of quoting another notice.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from knowledge.lang.numbers import lexicon
from knowledge.lang.text import clean, compact

# What a title says besides its series: stripped when the series is read from the title.
_TITLE_NOISE = re.compile(r"^(?:关于)?(?:做好|开展|印发|组织|公布)?(?:\d{4}年度?)?")
_SERIES_END = re.compile(r"专业|行业|系列|(?:正高级|高级|助理)?工程师|职务|资格|技术人员")
_SERIES_SPLIT = re.compile(r"[（）()、/，,和与及]+")
_GENERIC_SERIES = {"工程", "专业", "技术", "行业", "工程技术", "系列", "专业技术"}
_DATE = re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_YEAR = re.compile(r"(?<!\d)(20\d{2}|\d{2})\s*年(度)?")
LEVEL_ORDER = ("工程师", "高级工程师", "正高级工程师")


@lru_cache(maxsize=1)
def _level_forms() -> list[tuple[str, str]]:
    """(form, level), longest form first."""
    forms = [(f, lvl) for lvl, fs in lexicon()["title_levels"].items() for f in fs]
    return sorted(forms, key=lambda x: len(x[0]), reverse=True)


@lru_cache(maxsize=1)
def _places() -> dict[str, str]:
    """Place form → its city («海宁» → 嘉兴, «嘉兴» → 嘉兴)."""
    out: dict[str, str] = {}
    for city, counties in lexicon()["zhejiang_places"].items():
        out[city] = city
        for c in counties:
            out[c] = city
    return out


def level_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, level) of every level a compact text names. A blocker («高级技师», «助理工程师»)
    hides the level forms inside it, unless a longer level form holds the blocker («高级工程师»
    holds «高级工»)."""
    forms = _level_forms()
    found = [(m.start(), m.end(), lv) for f, lv in forms if f in text for m in re.finditer(re.escape(f), text)]
    blocks = [(m.start(), m.end()) for b in lexicon()["level_blockers"] if b in text
              for m in re.finditer(re.escape(b), text)]
    blocks = [(bs, be) for bs, be in blocks
              if not any(s <= bs and be <= e and (e - s) > (be - bs) for s, e, _ in found)]
    found = [sp for sp in found if not any(bs <= sp[0] and sp[1] <= be for bs, be in blocks)]
    found = [sp for sp in found if not any(o[0] <= sp[0] and sp[1] <= o[1] and (o[1] - o[0]) > (sp[1] - sp[0])
                                           for o in found)]
    counters = "|".join(map(re.escape, lexicon()["person_counters"]))
    people = re.compile(rf"(?:几|两|\d+|[一二三四五六七八九十]+)\s*(?:{counters})(?:具有|有)?$")
    acts = tuple(lexicon()["person_acts"])
    return [sp for sp in found if not people.search(text[max(0, sp[0] - 6): sp[0]])
            and not text[sp[1]:].startswith(acts)]


def levels_in(text: str) -> list[str]:
    """The title levels a text names, in LEVEL_ORDER («高级技师», «助理工程师» are no levels)."""
    found = {lv for _, _, lv in level_spans(compact(text))}
    return [lv for lv in LEVEL_ORDER if lv in found]


def issued_on(body: str) -> dt.date | None:
    """The date a notice was signed: the last full date of its main text (before its attachments)."""
    main = re.split(r"\n\s*附件\s*[0-9一二三四五六七八九十]+\s*\n", body)[0]
    found = _DATE.findall(compact(main[-400:]))
    if not found:
        return None
    y, m, d = (int(x) for x in found[-1])
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


@dataclass
class Profile:
    """What a question can name a notice by."""

    notice: str
    title: str
    label: str
    regions: list[str]  # forms that name its region
    city: str | None  # the city its region is or is in (None: the province)
    provincial: bool
    series: list[str]  # forms that name its series
    levels: list[str]
    year: int | None
    issued: dt.date | None
    plans: list[str]
    contacts: list[dict[str, Any]]
    text: str = ""  # compact title + body: the places and words it mentions
    past_label: str = ""  # set for a notice a newer one of its series supersedes (knowledge/catalog.py)
    series_main: str = ""  # the series as its front matter (or title) states it
    @property
    def family(self) -> tuple[str, ...]:
        """Notices of one plan (a notice and its 补充通知) share region, series, levels and year
        (aliases aside: a supplement lists fewer)."""
        return (self.city or "省", self.series_main, "/".join(self.levels), str(self.year))

    @property
    def precedence(self) -> tuple[int, dt.date]:
        """Newer first: the later year, then the later signature (a 补充通知 after its notice)."""
        return (self.year or 0, self.issued or dt.date.min)

    @classmethod
    def from_meta(cls, nid: str, meta: dict[str, Any], body: str = "") -> Profile:
        title = clean(str(meta.get("title") or nid))
        region = str(meta.get("region") or "")
        places = _places()
        if not region:
            region = next((p for p in sorted(places, key=len, reverse=True) if p in title), "")
        regions = [region, *(meta.get("region_aliases") or [])]
        if len(region) > 2 and region[-1] in "省市区县":
            regions.append(region[:-1])
        regions = [r for r in regions if r]
        provincial = any(r in lexicon()["province"] for r in regions)
        city = None if provincial else next(
            (places[r] for r in sorted(regions, key=len, reverse=True) if r in places), None) or next(
            (places[p] for p in sorted(places, key=len, reverse=True) if p in region), None)
        series_main = str(meta.get("series") or "") or _series_from_title(title, regions)
        series = [series_main, *_SERIES_SPLIT.split(series_main), *(meta.get("series_aliases") or [])]
        series += _series_forms(series_main)
        series = [s for s in dict.fromkeys(s.strip() for s in series) if len(s) >= 2 and s not in _GENERIC_SERIES]
        levels = levels_in(" ".join([str(meta.get("level") or ""), title]))
        year = meta.get("year")
        if not year:
            ym = _YEAR.search(title)
            year = int(ym.group(1)) if ym else None
        label = f"{region}{series_main.replace('、', '/')}{'、'.join(levels)}"
        if year:
            label += f"（{year}年度）"
        return cls(notice=nid, title=title, label=label,
                   regions=sorted(set(regions), key=len, reverse=True), city=city, provincial=provincial,
                   series=sorted(set(series), key=len, reverse=True), levels=levels,
                   year=int(year) if year else None, issued=issued_on(body), plans=list(meta.get("plans") or [nid]),
                   contacts=list(meta.get("contacts") or []), text=compact(title + body),
                   series_main=compact(series_main))


def _series_from_title(title: str, regions: list[str]) -> str:
    """«关于做好2024年度宁波市轻工（食品）专业高级工程师…» → «轻工（食品）»."""
    t = _TITLE_NOISE.sub("", compact(title))
    for r in sorted(regions, key=len, reverse=True):
        t = t.replace(r, "")
    t = _TITLE_NOISE.sub("", t)
    m = _SERIES_END.search(t)
    return t[: m.start()] if m and m.start() >= 2 else ""


def _series_forms(series: str) -> list[str]:
    """«交通运输工程» → «交通运输», «交通», «运输»; «生态环境工程» → «生态环境», «生态», «环境»: the
    series without its generic tail, and the words it is made of, as applicants shorten it."""
    from knowledge.lang.text import get_tokenizer

    out = []
    for part in _SERIES_SPLIT.split(series):
        core = re.sub(r"(?:工程|专业|行业|技术)+$", "", part)
        if len(core) >= 2:
            out.append(core)
            if len(core) >= 4:
                out += [w for w in get_tokenizer().subwords(core) if len(w) >= 2]
    return out


@dataclass
class Named:
    """What a question names, and the notices that fit all of it."""

    notices: list[str]  # candidates (empty: every notice)
    # (start, end, kind, what it names: notice ids, a city, or a level) in compact(question)
    spans: list[tuple[int, int, str, str]] = field(default_factory=list)
    facets: dict[str, str] = field(default_factory=dict)
    named: list[str] = field(default_factory=list)  # notices named by series / region / place
    conflict: str | None = None  # «嘉兴·建设工程»: named together, no loaded notice is all of it
    level: str | None = None

    @property
    def words(self) -> list[str]:
        return list(self.facets.values())


def _find(q: str, forms: list[str]) -> list[tuple[int, int, str]]:
    out = []
    for f in forms:
        if f not in q:  # the plain test first: most forms are absent, and a pattern costs more
            continue
        for m in re.finditer(re.escape(f), q):
            out.append((m.start(), m.end(), f))
    return out


def detect(question: str, profiles: list[Profile]) -> Named:
    q = compact(question)
    # Every naming span: (start, end, form, kind, notice or city)
    spans: list[tuple[int, int, str, str, str]] = []
    for p in profiles:
        spans += [(s, e, f, "series", p.notice) for s, e, f in _find(q, p.series)]
        spans += [(s, e, f, "region", p.notice) for s, e, f in _find(q, p.regions)]
    for form, city in _places().items():
        spans += [(s, e, f, "place", city) for s, e, f in _find(q, [form])]
    spans += [(s, e, f, "province", "") for s, e, f in _find(q, lexicon()["province"])]
    levels = [(s, e, q[s:e], "level", lv) for s, e, lv in level_spans(q)]
    spans += levels
    # A span inside a longer one does not count («化工» inside «化工轻纺», «高级» inside «高级工程师»).
    spans = [sp for sp in spans if not any(o[0] <= sp[0] and sp[1] <= o[1] and (o[1] - o[0]) > (sp[1] - sp[0])
                                           for o in spans)]
    # …but a level inside a series' own form is still named («水利高工» applies for 高级工程师, whatever
    # title held is said beside it: «…2019年拿的工程师»).
    implied = [lv for lv in levels if lv not in spans and any(
        o[3] == "series" and o[0] <= lv[0] and lv[1] <= o[1] for o in spans)]
    everyone = [p.notice for p in profiles]
    facets: list[tuple[str, set[str], bool, str]] = []  # (kind, notices, soft, words)
    series = {sp[4] for sp in spans if sp[3] == "series"}
    if series:
        facets.append(("series", series, False, "/".join(sorted({sp[2] for sp in spans if sp[3] == "series"}))))
    region_words = {sp[2] for sp in spans if sp[3] == "region"}
    places = _places()
    # A city named is also the city of the notices of its districts («杭州» → the 临平区 notice).
    regions = {sp[4] for sp in spans if sp[3] == "region"} | {
        p.notice for p in profiles for w in region_words if places.get(w) == w and p.city == w}
    if regions:
        soft = all(w in lexicon()["province"] for w in region_words)
        facets.append(("region", regions, soft, "/".join(sorted(region_words))))
    for form, city in dict.fromkeys((sp[2], sp[4]) for sp in spans if sp[3] == "place"):
        if form not in region_words:
            # A place no notice is named after: its city's notices, the provincial ones, and those
            # whose text names it (the 嘉兴 notice lists 海宁市 among its counties). Beside a region
            # a notice is named after, it is where something happened («之前在绍兴交的社保，能用我们
            #单位报杭州的吗»), not a second notice asked for.
            fits = {p.notice for p in profiles if p.provincial or p.city == city or form in p.text}
            facets.append(("place", fits, bool(regions), form))
    if any(sp[3] == "province" for sp in spans) and not regions:
        facets.append(("region", {p.notice for p in profiles if p.provincial}, True,
                       next(sp[2] for sp in spans if sp[3] == "province")))
    named_kinds = {f[0] for f in facets if not f[2]}
    level = max((sp[4] for sp in [*spans, *implied] if sp[3] == "level"), key=LEVEL_ORDER.index, default=None)
    if level:
        facets.append(("level", {p.notice for p in profiles if not p.levels or level in p.levels}, False, level))
    year = _plan_year(q, spans)
    ym = year[0] if year else None
    if year:
        facets.append(("year", {p.notice for p in profiles if p.year is None or p.year == ym}, False, str(ym)))
        spans.append((year[1], year[2], q[year[1]:year[2]], "year", str(ym)))
    candidates = set(everyone)
    if not any(f[0] == "year" for f in facets):
        # A past year's notice answers only when the question names that year.
        current = {p.notice for p in profiles if not p.past_label}
        candidates = current or candidates
    conflict = None
    applied: dict[str, str] = {}
    for kind, fits, soft, words in facets:
        narrowed = candidates & fits
        if narrowed:
            candidates = narrowed
            applied[kind] = words
        elif not soft:
            conflict = f"{kind}:{words}"
            break
    if not applied and conflict is None:
        return Named(notices=[], spans=[(s, e, k, v) for s, e, _, k, v in spans], level=level)
    ordered = [n for n in everyone if n in candidates]
    named = ordered if named_kinds & set(applied) else []
    if conflict is not None:
        ordered = named = []  # it names a notice that is not loaded
    return Named(notices=ordered, spans=[(s, e, k, v) for s, e, _, k, v in spans], facets=applied, named=named,
                 conflict=conflict, level=level)



def naming_spans(named: Named, profiles: list[Profile], question: str,
                 scope_apart: bool = False) -> list[tuple[int, int, str]]:
    """The spans that only name the notices answering: a candidate's series or region, the
    province, and the level applied for when each candidate evaluates one level only. A notice
    named but ruled out by the rest («在建设工程那边报了高工，交通的还能报吗») is the topic, and
    so is a lower level («中级是外省评的») or a level of a notice that evaluates several («交通正高»).
    With `scope_apart`, a word of the notice's scope said apart from its name («临平制造业包括纺织吗»)
    is left to the topic."""
    cands = set(named.notices)
    by_id = {p.notice: p for p in profiles}
    single = all(len(by_id[n].levels) <= 1 for n in cands if n in by_id)
    out = []
    for s, e, kind, v in named.spans:
        if (kind in ("series", "region") and v in cands) or kind in ("province", "year") or (
                kind == "level" and v == named.level and single):
            out.append((s, e, kind))
    out = sorted(set(out))
    if scope_apart and len(out) > 1:
        # «临平制造业包括纺织吗»: the words that name the notice stand together; a word of its scope
        # said apart from them («纺织») is what is asked about.
        q = compact(question)

        def scope_word(sp: tuple[int, int, str]) -> bool:  # not in the title that names the notice
            return all(q[sp[0]:sp[1]] not in compact(by_id[n].title) for n in cands if n in by_id)

        # The name is grown from its region (or a word of the title) to the words next to it.
        seed = next((sp for sp in out if sp[2] == "region"), None) or next(
            (sp for sp in out if not scope_word(sp)), out[0])
        cluster = {seed}
        grew = True
        while grew:
            grew = False
            for sp in out:
                if sp not in cluster and any(q[min(sp[1], c[1]):max(sp[0], c[0])].strip("的 ") == ""
                                             for c in cluster):
                    cluster.add(sp)
                    grew = True
        out = [sp for sp in out if sp in cluster or sp[2] != "series" or not scope_word(sp)]
    # «嘉兴环保工程师»: what stands between the region and the level names the series, in the
    # applicant's words, even when the notice's front matter lists no such alias.
    for _s, e, kind, v in named.spans:
        if kind == "region" and v in cands and "的" not in compact(question)[e:e + 4]:
            lv = next((ls for ls, le, k, lvl in named.spans if k == "level" and lvl == named.level
                       and e < ls <= e + 4), None)
            if lv is not None and not any(o[0] < lv and o[1] > e for o in out):
                out.append((e, lv, "gap"))
    return out



def _plan_year(q: str, spans: list[tuple[int, int, str, str, str]]) -> tuple[int, int, int] | None:
    """(year, start, end) of a year that names the plan: right before a plan's name («2025年化工轻纺
    高工») or a round of the notices («22年那次», «2022年的通知»); not a year inside the question's
    topic («2021年的继续教育»). Two digits are this century's year, as people write it («22年»)."""
    starts = {s for s, _, _, k, _ in spans if k in ("series", "region", "place", "level")}
    rounds = tuple(lexicon()["plan_rounds"])
    for m in _YEAR.finditer(q):
        digits = m.group(1)
        if len(digits) == 2 and not 10 <= int(digits) <= 99:
            continue
        if m.end() in starts or (m.end() + 1 in starts and q[m.end()] == "的") or q.startswith(rounds, m.end()):
            return (int(digits) + (2000 if len(digits) == 2 else 0), m.start(), m.end())
    return None
