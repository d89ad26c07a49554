"""Every fact a free message states — the slot filler of the eligibility dialog.

People answer more than they are asked («本科，18年9月聘的助工，干了五年多») and describe instead
of choosing («私人老板开的厂», «一直干到现在», «两个称职一个优秀»). This reads a message part by
part (split at punctuation), decides from the cue words in each part which fact it speaks about
(knowledge/eligibility/cues.yaml) and parses the value with the project's one normaliser
(knowledge/lang/numbers.py) and the facts module's value parsers. A part with a value but no cue
(«48», «17年7月») is left to the question being asked (`pending`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.eligibility.facts import (
    ASSESSMENT_GRADES,
    FACTS,
    FactError,
    fact_names,
    parse_education,
    parse_fact,
    strip_hedges,
)
from knowledge.lang import numbers
from knowledge.lang.text import strip_chatter

CUES_FILE = Path(__file__).with_name("cues.yaml")
DATE_FACTS = ("graduation_date", "skill_since", "title_since")
DESCRIBED = ("employer_excluded",)  # yes/no facts whose parser also understands a description
_PART = re.compile(r"[，,。；;！!？?：:\n]+|\s{1,}")
_GRADE = "|".join(sorted(ASSESSMENT_GRADES, key=len, reverse=True))
_TITLES = (("assistant_engineer", r"助理工程师|助工|初级职称|初级"), ("senior_engineer", r"高级工程师|高工|副高"),
           ("engineer", r"(?<![助理高级])工程师|中级职称|中级"))
# «跟现在干的差不多»: a comparison, not a field
_NOT_A_FIELD = re.compile(r"工程师|职称|什么|哪|申报|这个|那个|了|过|到|现在|年|月|多久|几|测|评|报|吗|呢|单位|公司|差不多|一样")


@lru_cache(maxsize=1)
def cues() -> dict[str, Any]:
    return yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))


@dataclass
class Extracted:
    facts: dict[str, Any] = field(default_factory=dict)
    until_now: bool = False  # «一直干到现在»: professional work runs from graduation to the cut-off
    assessment_years: dict[int, str] = field(default_factory=dict)  # «20年也是称职» → {2020: 称职}
    major: str | None = None  # the field of study («学的电气»)
    approx: set[str] = field(default_factory=set)  # facts given approximately («差不多48分»)
    appointed: bool = False  # the title's date is the one it was appointed on («19年才聘的»)

    def __bool__(self) -> bool:
        return bool(self.facts or self.until_now or self.assessment_years)


def _has(text: str, words: list[str]) -> str | None:
    return next((w for w in words if w in text), None)


def _negated(part: str, cue: str | None = None) -> bool:
    """A negation at the start of the part, or within three characters before the cue."""
    t = strip_hedges(part)
    t = re.sub(r"^(?:他|她|我|本人|我们|我们的|单位|我们单位|公司|我们公司|现在|目前|还)+(?:的)?", "", t)
    neg = cues()["negation"]
    if any(t.startswith(n) for n in neg):
        return True
    tail = re.sub(r"[吧啊呀呢了的哦]+$", "", t)
    if any(tail.endswith(n) for n in cues()["negation_after"]) and not (cue and tail.endswith(cue)):
        return True
    if cue and cue in part:
        # «没评过助工», «单位也不在排除的那几类里» — but «能不能», «有没有» ask, they do not deny.
        before = re.sub(r"(.)[不没]\1", "", part[: part.index(cue)])[-6:]
        return any(n in before for n in neg)
    return False


def _title(part: str, has_date: bool) -> str | None:
    """The title someone holds, named in this part: said with a holding word («现在是助工»,
    «18年9月聘的助工», «评上了工程师»), alone («助工»), or with the date it was given
    («助工是18年6月聘的»). A title named otherwise is the one applied for («评临平的工程师»)
    or a plan's level («临平工程师网上申报…»)."""
    bare = re.sub(r"[吧啊呀呢了的哦嗯。，,！!]+$", "", strip_hedges(part))
    for value, pattern in _TITLES:
        for m in re.finditer(pattern, bare):
            before, after = bare[: m.start()], bare[m.end():]
            if re.search(r"(?:是|有|聘的?|聘为|评上了?|评了|拿到了?|拿了|拿的|取得了?|获得了?)(?:一?个)?$", before) or (
                    has_date and re.search(r"(?:评|取得|获得)的$", before)):  # «15年评的工程师»
                return value
            if not re.sub(r"^(?:我|他|她|本人|现在|目前|已经)+(?:是)?", "", before) and (not after or has_date):
                return value
    return None


def _assessments(text: str, ex: Extracted, pending: str | None) -> None:
    if not re.search(_GRADE, text):
        return
    contextual = pending == "assessments" or re.search(r"考核|称职|合格", text)
    if not contextual:
        return  # «优秀科技工作者» is an honour, not an assessment
    t = numbers.to_arabic(text)
    t = re.sub(r"年度考核|考核结果|考核", "", t)
    by_year = {}
    # «21年是优秀», and a list of years sharing one grade: «19、20年合格», «19和20年都是称职».
    years_ = r"\d{2,4}(?:\s*年?\s*[、,，和与及跟]\s*\d{2,4})*"
    for m in re.finditer(rf"({years_})\s*年(?:度)?\s*(?:那年|那一年|那两年|那次|也|都|还|是|为|的|考核|:|：)*\s*({_GRADE})", t):
        for y in re.findall(r"\d{2,4}", m.group(1)):
            year = int(y)
            by_year[year + 2000 if year < 100 else year] = m.group(2)
    every = re.search(rf"(?:^|[，,。；;\s])(?:都|全|均|全部|每年都|一直)\s*(?:是)?\s*({_GRADE})", t)
    if by_year:
        if len(by_year) >= 3:
            ex.facts["assessments"] = [by_year[y] for y in sorted(by_year)]
        else:
            if every:  # «都是合格，21年是优秀»: that grade for every year but the ones named
                ex.facts["assessments"] = [every.group(1)] * 3
            ex.assessment_years.update(by_year)
        return
    counted = re.findall(rf"(\d+)\s*(?:个|次|年)\s*({_GRADE})", t)
    if counted:
        listed = [g for n, g in counted for _ in range(min(int(n), 10))]
        if every and every.group(1) not in listed:
            # «都合格，有一年优秀»: the other years have the grade said for all.
            listed += [every.group(1)] * max(0, 3 - len(listed))
        ex.facts["assessments"] = listed
        return
    m = re.search(rf"(?:(\d+)\s*年)?\s*(?:都|全|均|全部|每年都|一直)\s*(?:是)?\s*({_GRADE})", t)
    if m:
        ex.facts["assessments"] = [m.group(2)] * (int(m.group(1)) if m.group(1) else 3)
        return
    grades = re.findall(_GRADE, t)
    if grades:
        ex.facts["assessments"] = grades


def _self_score(text: str, ex: Extracted) -> None:
    """«自评分只有78», «说错了，自评分不是85，是78»: the first figure after the cue that is not denied."""
    norm = numbers.to_arabic(text)
    # «不自评», «不走自评»: the cue denied says no score at all.
    cue = next((m.start() for w in cues()["score_cues"] for m in re.finditer(re.escape(w), norm)
                if not _NOT_CUE.search(norm[:m.start()])), -1)
    if cue < 0 or "self_score" in ex.facts:
        return
    # A figure of a date («他助工是2020年3月才聘的») is no score.
    said = [x for x in numbers.quantities(norm) if x.span[0] > cue and not _DENIED.search(norm[:x.span[0]])
            and not _DATE_UNIT.match(norm[x.span[1]:])]
    if said:
        ex.facts["self_score"] = said[0].value
        if said[0].approx:
            ex.approx.add("self_score")


def _specialty(part: str, ex: Extracted) -> None:
    c = cues()
    verbs = "|".join(map(re.escape, c["specialty_verbs"]))
    # Never a verb inside a word («新干线», «干部», «做法»).
    inside = "|".join(map(re.escape, c["not_a_verb"]))
    m = re.search(rf"(?<!{c['not_a_verb_before']})(?:{verbs})(?!{inside})(?:的是)?(?!的)([\u4e00-\u9fffA-Za-z]{{2,8}}?)"
                  r"(?:的|工作|专业|行业|方面|这块|这行|$)", part)
    if m and not _NOT_A_FIELD.search(m.group(1)) and m.group(1) not in c["not_a_field"] and "specialty" not in ex.facts:
        ex.facts["specialty"] = m.group(1)
    study = "|".join(map(re.escape, c["study_verbs"]))
    m = re.search(rf"(?:{study})(?!{'|'.join(c['not_study_after'])})(?:就是|的是)?([\u4e00-\u9fff]{{2,6}}?)(?:的|专业|出身|$)",
                  part) or re.search(
        r"([\u4e00-\u9fff]{2,6}?)专业毕业", part)
    if m and not _NOT_A_FIELD.search(m.group(1)):
        ex.major = m.group(1)


def _part(part: str, ex: Extracted, pending: str | None, today: dt.date, whole: str = "") -> None:
    c = cues()
    norm = numbers.to_arabic(part)
    # Civil servant, excluded employer, employer kind.
    cue = _has(part, c["civil_servant_cues"])
    if cue and "单位" not in part:
        ex.facts["civil_servant"] = not _negated(part, cue)
    cue = _has(part, c["excluded_cues"])
    scope = _has(part, c["scope_cues"])
    if cue or ("参公" in part and "单位" in part):
        ex.facts["employer_excluded"] = not _negated(part, cue or "参公")
    elif scope:
        ex.facts["employer_excluded"] = _negated(part, scope)  # «不在评审范围» → excluded
    if _has(part, c["private_employers"]):
        ex.facts.setdefault("employer_excluded", False)
        ex.facts["employer_type"] = "enterprise"
    elif _has(part, c["institution_words"]):
        ex.facts["employer_type"] = "institution"
    elif _has(part, c["enterprise_words"]):
        ex.facts["employer_type"] = "enterprise"
    # Education.
    word = _has(part, c["education_words"])
    if word and not _negated(part, word):
        with contextlib.suppress(FactError):
            ex.facts["education"] = parse_education(word)
    # Titles held, technician grades, honours.
    title_cue = re.search(r"助理工程师|助工|职称|初级", part)
    if title_cue and _negated(part, title_cue.group(0)) and not numbers.dates(norm, today):
        ex.facts["current_title"] = "none"
    else:
        held = _title(part, bool(numbers.dates(norm, today)))
        if held:
            ex.facts["current_title"] = held
    skill = next((w for w in c["skill_words"] for m in re.finditer(rf"{w}(?!班)", part)
                  if not any(part[: m.start()].endswith(a) for a in c["skill_word_not_after"])), None)
    if skill:
        ex.facts["skill_level"] = "none" if _negated(part, skill) else c["skill_words"][skill]
    cue = _has(part, c["honours_cues"])
    if cue:
        ex.facts["skill_honours"] = [] if _negated(part, cue) else [part]
    # Dates, by the words around them.
    mentions = sorted(numbers.dates(norm, today), key=lambda m: m.span[0])
    for i, d in enumerate(mentions):
        # The words right after a date say what it is («18年拿的 19年才聘的»); else the whole part.
        after = norm[d.span[1]:mentions[i + 1].span[0] if i + 1 < len(mentions) else len(norm)]
        fact = next((f for f in DATE_FACTS if _has(after, c["date_cues"][f])), None) \
            or next((f for f in DATE_FACTS if _has(part, c["date_cues"][f])), None)
        nouns = [f for f in DATE_FACTS if _has(part, [w for w in c["date_cues"][f] if w not in c["date_verbs"]])]
        if fact is not None and len(nouns) == 1 and nouns[0] != fact and not _has(
                after, [w for w in c["date_cues"][fact] if w not in c["date_verbs"]]):
            fact = nouns[0]  # «技师证是16年拿的»: «拿的» is any title's act, «技师» says whose
        if fact is None and pending in DATE_FACTS and d.precision != "year":
            fact = pending
        appointed = fact == "title_since" and _has(after, c["appointed_cues"]) is not None
        if fact is None or (fact in ex.facts and not (appointed and not ex.appointed)):
            continue
        ex.appointed = ex.appointed or appointed
        if d.precision == "year":
            # «16年毕业»: only the year — counted from its December, which never overstates the
            # years served; said so in the echo, and 「修改」 takes the month.
            ex.facts[fact] = dt.date(d.date.year, 12, 1)
            ex.approx.add(fact)
        else:
            ex.facts[fact] = d.date
    # Figures: credits, years of work, counts.
    q = numbers.first_quantity(norm)
    credit_cue = _has(part, c["credit_cues"])
    if q is not None and not q.approx and "ce_credits" in ex.approx and re.fullmatch(r"(?:具体|准确|确切)?(?:是)?\d+(?:\.\d+)?分?", norm.strip()):
        # «好像是50多分吧 52»: a bare exact figure right after an approximate one refines it.
        ex.facts["ce_credits"] = q.value
        ex.approx.discard("ce_credits")
    of_years = q is not None and re.match(r"\s*(?:多|余|来)?\s*(?:年|个月)", norm[q.span[1]:]) is not None
    if q is not None and "ce_credits" not in ex.facts and not numbers.dates(norm, today) and not of_years and (
            credit_cue or (pending == "ce_credits" and numbers.duration(norm) is None)):
        ex.facts["ce_credits"] = q.value
        if q.approx:
            ex.approx.add("ce_credits")
    span = numbers.duration(norm)
    if span is not None and "ce_credits" not in ex.facts and "related_work_years" not in ex.facts:
        # The work cue may sit in the part before («毕业后一直干这个，算下来3年零7个月»).
        working = _has(whole, c["work_cues"]) or pending == "related_work_years"
        if span.until_now and working:
            ex.until_now = True
        elif span.years is not None and working:
            ex.facts["related_work_years"] = span.years
            ex.until_now = False  # a stated length beats «一直到现在»
            if span.approx:
                ex.approx.add("related_work_years")
    if q is not None and pending == "exceptional_achievements" and (_has(norm, c["count_cues"]) or norm.strip().isdigit()):
        ex.facts["exceptional_achievements"] = int(q.value)
    # Relatedness of education and work.
    cue = _has(part, c["related_cues"])
    if cue and span is None:
        ex.facts["education_related"] = not _negated(part, cue)
    _specialty(part, ex)


def extract(text: str, pending: str | None = None, today: dt.date | None = None) -> Extracted:
    """All facts the message states. `pending`: the fact being asked, which bare values answer."""
    today = today or dt.date.today()
    ex = Extracted()
    t = numbers.nfkc(text or "").strip()
    if not t:
        return ex
    _assessments(t, ex, pending)
    for part in (p for p in _PART.split(t) if p):
        _part(part, ex, pending, today, t)
    _self_score(t, ex)
    for part in (re.sub(r"[\W_]+", "", p) for p in _PART.split(t) if p):
        for fact in (f for f, spec in FACTS.items() if spec.type == "bool" and f not in DESCRIBED and f not in ex.facts):
            said = _said_by_name(part, fact)  # «今年还在聘»: a yes/no fact said by its own name
            if said is not None:
                ex.facts[fact] = said
    if _has(t, cues()["not_appointed"]):  # «14年拿了个助理工程师 不过厂里没给发聘书»
        ex.facts["title_appointed"] = False
        ex.facts.pop("title_since", None)  # the date it was obtained, not appointed: none to count from
    same = _has(t, cues()["same_field"])
    if ex.major and same and "education_related" not in ex.facts and not re.search(f"(?:不|没){same}", t):
        ex.facts["education_related"] = True  # «学机电的跟现在干的差不多»
    if ex.major and ex.facts.get("specialty") and "education_related" not in ex.facts and (
            ex.major in ex.facts["specialty"] or ex.facts["specialty"] in ex.major):
        ex.facts["education_related"] = True  # «学的电气，一直做电气»
    # Values must pass the same checks as answers to the question (dates before today …).
    for name in list(ex.facts):
        try:
            ex.facts[name] = parse_fact(name, ex.facts[name])
        except FactError:
            del ex.facts[name]
    return ex


_DENIED = re.compile(r"(?:不是|而不是|并非|而非)\s*$")
_NOT_CUE = re.compile(r"(?:不|没|没有|不走|不用|不做|不打算)\s*$")
_DATE_UNIT = re.compile(r"\s*(?:年|月|日|号|[./-]\d)")
_YES_NO = re.compile(r"(?:是|是的|不是|对|对的|不对|有|没有|没|否|无|属于|不属于|符合|不符合|嗯|嗯嗯|不)[啊呀呢吧的了]?")


def answers_by_act(text: str, fact: str) -> bool:
    """«没有取得», «还没考»: a yes/no to `fact` said with the act it asks about (or its name) —
    an answer even where the words read like quitting («不想测了» names no act)."""
    if answer_bool(text, fact) is None:
        return False
    t = re.sub(r"[\W_]+", "", str(text))
    rest = re.sub(r"^(?:我|本人|他|她)?(?:是|不是|有|没有|没|不|否|已|已经|还没有|还没|尚未|未|还)+", "", t)
    label_words = {FACTS[fact].label, *FACTS[fact].aliases}
    return any(rest.startswith(w) for w in cues()["answer_acts"]) or any(w and w in t for w in label_words)


def _said_by_name(t: str, fact: str) -> bool | None:
    """«还在聘», «刚说了，在聘»: the fact's own name said as the answer (a predicate like «在聘»),
    with «还／仍／一直» or «刚说了» before it; «没在聘» says no. None when it is not so said."""
    hit = next((w for w, f in fact_names() if f == fact and (t.endswith(w) or t.endswith(w + "了") or t.endswith(w + "着"))),
               None)
    if hit is None:
        return None
    before = t[: t.rfind(hit)]
    if re.search(r"(?:不|没|没有|未)(?:再|还)?$", before):
        return False
    if re.fullmatch(r"(?:刚说了|都说了|说了|我说了)?(?:我|他|她)?(?:还|仍|一直|仍然|依然|现在|目前|今年)*(?:是)?", before):
        return True
    return None


def answer_bool(text: str, fact: str) -> bool | None:
    """A yes/no answer to `fact`'s question, or None when the message is something else: 「不是」
    「没有」「考过了」 answer it, 「不测了 太麻烦」 does not (what follows the 不 is no answer)."""
    t = re.sub(r"[\W_]+", "", strip_hedges(strip_chatter(str(text), after=False)))  # «那应该是否吧»
    if not t:
        return None
    first = re.split(r"[，,。；;！!？?\s]+", str(text).strip(), maxsplit=1)
    if len(first) == 2 and _YES_NO.fullmatch(first[0]) and not _has(first[1], numbers.lexicon()["redirect"]):
        # «不是，民营企业», «是的，一直在岗»: the answer first, then what it is about.
        return answer_bool(first[0], fact)
    said = _said_by_name(t, fact)
    if said is not None:
        return said
    try:
        value = parse_fact(fact, t) if FACTS[fact].type == "bool" else None
    except FactError:
        return None
    if value is None:
        return None
    if fact in DESCRIBED:
        return value  # its parser reads descriptions («国网下面的供电公司» → excluded), not just 是／否
    short = re.sub(r"^(?:我|本人|他|她)?(?:是|不是|有|没有|没|不|否|对|对的|是的|嗯|无|属于|不属于|符合|不符合|已|已经|还没|尚未|未)+",
                   "", t)
    label_words = {FACTS[fact].label, *FACTS[fact].aliases}
    if len(short) <= 3 or any(w and w in t for w in label_words) or re.match(r"^(?:已经?|还没|尚未|未)?(?:考|取得|拿|通过|参加)", t):
        return value
    return None
