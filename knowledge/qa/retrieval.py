"""Hybrid retrieval: BM25 (words + bigrams) and dense vectors, fused by reciprocal rank,
restricted to the plans a question names (region / series / level / year words taken from
the notices' front matter), so one plan's rule is not quoted for another.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import yaml

from knowledge.catalog import past_label, past_notices
from knowledge.chunking import SEP, SIGNATURE, Chunk
from knowledge.lang.text import CJK, EQUIVALENT_OF, SYNONYMS, clean, compact

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from knowledge.index import KnowledgeIndex
    from knowledge.lang.text import Tokenizer

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "bm25"]
RRF_K = 30
POOL = 40  # candidates taken from each ranking before fusion
COVERAGE_WEIGHT = 0.6  # fused rank (0..1) + this × share of the question's words in the passage
LABEL_WEIGHT = 0.3  # + this × share of the question's words in the passage's own clause name
ANSWER_TYPE_WEIGHT = 0.3  # + this when the passage holds the kind of value asked for («几年» → «4 年»)
OOV_IDF = 3.0  # weight of a word no notice uses, when judging whether a question is on topic

# «几年», «多少分», «几号» ask for a number with a unit: passages stating one answer better.
_ASKS = re.compile(r"(?:多少|几)个?(学分|学时|年|分|项|份|字|日|号|天|月|篇|个|人|名|次|元|钱)"
                   r"|(?:多少|几)[\u4e00-\u9fff]{1,6}?(学分|学时)|(学分|学时)[要需得]{0,2}(?:多少|几)|多少[\u4e00-\u9fff]{0,3}?(费)|(费)[用]?(?:是|要|需要)?多少")
_ASK_PREFIX = re.compile(r"^(?:几|多少|最多|最少|最长|最短)")
_CN_NUM = str.maketrans("一二两三四五六七八九", "1223456789")
_FILLER_WORDS = {"以后", "之后", "然后", "时候", "出来", "那边", "这边", "那里", "这里"}
_FUNCTION_CHARS = set("后要会能可还就才都也再里算项去来评用放")
_DURATION = re.compile(r"多久|多长时间|多少天|几天后")
_OCCUPATION = re.compile(r"(?:做|搞|干)([\u4e00-\u9fff]{2,10}?)(?:的|工作)")
OCCUPATION_MARK = "从事"
DEADLINE_WORDS = {"截止", "截至", "结束", "到期", "为止"}
_DEADLINE = re.compile(r"截止|截至|之前|以前|\d{1,2}日前|\d{1,2}日(?:止|为止)|至\d{1,2}(?:月\d{1,2})?日")
# Where to send something: a street address, an office, «寄送至…».
_WHERE = re.compile(r"地址|寄到哪|送到哪|交到哪|寄往哪|寄给谁|寄哪")
ADDRESS = re.compile(r"(?:路|街|大道|巷)\d+号|\d+(?:室|办公室)|寄送至|邮寄到|寄至|送至|报送至")
_DATES = re.compile(r"截止|哪天|什么时候|何时|几月|日期|时间")
_NUMERAL = r"[\d一二两三四五六七八九十百千]+\s*"

_SENIOR = re.compile(r"高级工程师|高工|高级职称|副高|正高")
_MIDDLE = re.compile(r"(?<![助高])(?:工程师)|中级|中工")
_YEAR = re.compile(r"(20\d{2})\s*年?")
# Level words select the plan; they say nothing about which clause answers.
PLAN_GENERIC = {"工程师", "高级工程师", "高工", "职称", "中级", "高级", "专业"}
# Which device to use: a question naming one is answered by a passage naming any.
DEVICES = ("手机", "电脑", "电脑端", "手机端", "移动端", "平板", "app", "小程序")
GENERIC_ACTS = {"申报", "评审", "申请", "评定"}
SCOPE: dict[str, list[str]] = yaml.safe_load((Path(__file__).with_name("scope.yaml")).read_text(encoding="utf-8"))


@dataclass
class Plan:
    """What the question can be matched on for one notice."""

    notice: str
    title: str
    label: str
    regions: list[str]
    series: list[str]
    level: str
    year: int | None
    plans: list[str]
    contacts: list[dict[str, Any]]
    past_label: str = ""  # set for a notice a newer one of its series supersedes (knowledge/catalog.py)

    @classmethod
    def from_meta(cls, nid: str, meta: dict[str, Any]) -> Plan:
        region = str(meta.get("region") or "")
        regions = [region, *(meta.get("region_aliases") or [])]
        if len(region) > 2 and region[-1] in "省市区县":
            regions.append(region[:-1])
        series_main = str(meta.get("series") or "")
        series = [*re.split(r"[、/，,]", series_main), series_main, *(meta.get("series_aliases") or [])]
        level = str(meta.get("level") or "")
        year = meta.get("year")
        label = f"{region}{series_main.replace('、', '/')}{level}"
        if year:
            label += f"（{year}年度）"
        return cls(notice=nid, title=str(meta.get("title") or nid), label=label,
                   regions=sorted({r for r in regions if r}, key=len, reverse=True),
                   series=sorted({s for s in series if s}, key=len, reverse=True), level=level,
                   year=int(year) if year else None, plans=list(meta.get("plans") or [nid]),
                   contacts=list(meta.get("contacts") or []))


@dataclass
class PlanMatch:
    notices: list[str]  # empty = every notice
    words: list[str] = field(default_factory=list)  # the words that selected them
    facets: dict[str, str] = field(default_factory=dict)

    @property
    def detected(self) -> bool:
        return bool(self.notices)


def _spans(text: str, words: list[str]) -> list[tuple[int, int, str]]:
    out = []
    for w in words:
        for m in re.finditer(re.escape(w), text):
            out.append((m.start(), m.end(), w))
    return out


def detect_plans(question: str, plans: list[Plan]) -> PlanMatch:
    """Narrow to the notices the question names: series first, then region, level, year.

    A word inside a longer matched word does not count («化工» inside «化工轻纺»).
    """
    q = clean(question).replace(" ", "")
    all_spans = []
    for p in plans:
        all_spans += [(s, e, w, p.notice, "series") for s, e, w in _spans(q, p.series)]
        all_spans += [(s, e, w, p.notice, "region") for s, e, w in _spans(q, p.regions)]
    longest = [sp for sp in all_spans
               if not any(o[0] <= sp[0] and sp[1] <= o[1] and (o[1] - o[0]) > (sp[1] - sp[0]) for o in all_spans)]
    candidates = [p.notice for p in plans]
    words: list[str] = []
    facets: dict[str, str] = {}
    for facet in ("series", "region"):
        hit = {sp[3] for sp in longest if sp[4] == facet} & set(candidates)
        if hit:
            candidates = [c for c in candidates if c in hit]
            words += [sp[2] for sp in longest if sp[4] == facet]
            facets[facet] = "/".join(sorted({sp[2] for sp in longest if sp[4] == facet}))
    q_level = q.replace("助理工程师", "")
    level = "高级工程师" if _SENIOR.search(q_level) else ("工程师" if _MIDDLE.search(q_level) else "")
    by_id = {p.notice: p for p in plans}
    if level:
        hit = [c for c in candidates if by_id[c].level == level]
        if hit:
            candidates = hit
            facets["level"] = level
    ym = _YEAR.search(q)
    if ym:
        hit = [c for c in candidates if by_id[c].year == int(ym.group(1))]
        if hit:
            candidates = hit
            facets["year"] = ym.group(1)
    else:  # a past year's notice answers only when the question names that year
        candidates = [c for c in candidates if not by_id[c].past_label] or candidates
    if not facets:
        return PlanMatch(notices=[])
    return PlanMatch(notices=candidates, words=words, facets=facets)


def answer_type(question: str) -> re.Pattern[str] | None:
    """The value a question asks for, as a pattern over passages (None: not a «how many» question)."""
    q = clean(question)
    m = _ASKS.search(q)
    if m:
        asked = next(g for g in m.groups() if g)
        unit = {"号": "日", "天": "日", "钱": "元", "费": "元"}.get(asked, asked)
        # «5个工作日» answers «几天»; «3个项目» answers «几个».
        # «几个业绩» ← «不超过5项»; «几天» ← «10天后» as well as «5个工作日».
        unit_re = {"个": "[个项]", "项": "[个项]", "日": "[日天]"}.get(unit, re.escape(unit))
        return re.compile(_NUMERAL + r"(?:个)?(?:工作|自然|周)?" + unit_re)
    if _WHERE.search(q):
        return ADDRESS
    if _DURATION.search(q):
        return re.compile(_NUMERAL + r"(?:个)?(?:工作|自然)?(?:日|天|周|月|年)")
    if _DATES.search(q):
        return re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*日|\d{1,2}\s*月")  # «11 月评审结束后» too
    return None


@dataclass
class Hit:
    chunk: Chunk
    score: float  # fused score (higher is better)
    bm25: float = 0.0
    dense: float = 0.0
    coverage: float = 0.0  # share of the question's content words found in the passage


class Retriever:
    def __init__(self, index: KnowledgeIndex, embeddings: Embeddings, tokenizer: Tokenizer) -> None:
        self.index = index
        self.embeddings = embeddings
        self.tokenizer = tokenizer
        self.plans = [Plan.from_meta(nid, meta) for nid, meta in index.notices.items()]
        self.by_notice = {p.notice: p for p in self.plans}
        self._notice_of = np.array([c.notice for c in index.chunks])
        self._compact = [compact(c.index_text) for c in index.chunks]
        self._corpus = "\n".join(self._compact)
        self._labels = [compact(c.section.rsplit(SEP, 1)[-1]) for c in index.chunks]
        self._pos = {c.id: i for i, c in enumerate(index.chunks)}
        # Supersession (knowledge/catalog.py): questions naming no year search current notices
        # only, and a passage of a past notice is cited as past.
        past = past_notices(index.notices)
        for p in self.plans:
            if p.notice in past:
                p.past_label = past_label(index.notices[p.notice], index.notices.get(past[p.notice]))
                p.label += "（往年）"
                for c in index.chunks:
                    if c.notice == p.notice and c.section != SIGNATURE:
                        c.section = p.past_label + c.section
        self.current: list[str] | None = [p.notice for p in self.plans if not p.past_label] if past else None

    def passage_coverage(self, words: list[str], chunk: Chunk) -> float:
        return self.coverage(words, self._pos[chunk.id])

    def topic_coverage(self, words: list[str], chunk: Chunk) -> float:
        """IDF-weighted share of ALL the question's words in the passage, words no notice uses
        included («评委名单»: «名单» is nowhere, so a passage about «评委会» covers half at most)."""
        text = self._compact[self._pos[chunk.id]]
        total = got = 0.0
        for w in words:
            if w.isascii() and w not in self.index.bm25:
                continue
            weight = self.index.bm25.idf.get(w, OOV_IDF)
            total += weight
            got += weight * self._credit(w, text)
        return got / total if total else 0.0

    def find(self, needle: str, notice: str | None = None) -> Chunk | None:
        """The first passage (of a notice) that states `needle` (a phone number, a document name)."""
        needle = compact(needle)
        for i, c in enumerate(self.index.chunks):
            if (notice is None or c.notice == notice) and c.section != SIGNATURE and needle in self._compact[i]:
                return c
        return None

    @staticmethod
    def named_place(question: str) -> str | None:
        """A province or city outside the notices' regions named in the question («上海»)."""
        q = clean(question)
        return next((w for w in SCOPE.get("other_places", []) if w in q), None)

    def plans_for(self, plan: str | None) -> list[str]:
        """An explicit plan id (or notice id) → its notices; unknown ids select nothing."""
        if not plan:
            return []
        return [p.notice for p in self.plans if plan == p.notice or plan in p.plans]

    def content_words(self, question: str, plan_words: list[str]) -> list[str]:
        """The question's topic words, without the words that only named the plan («临平», «高工»)."""
        drop = sorted({w.lower() for w in plan_words} | PLAN_GENERIC, key=len, reverse=True)
        out = []
        for w in self.tokenizer.content_words(question):
            for d in drop:
                if d in w:
                    w = w.replace(d, "")
            w = _ASK_PREFIX.sub("", w) if len(w) > 2 else w  # «最多放» → «放», «几篇» stays out below
            if _ASK_PREFIX.match(w) or w in _FILLER_WORDS or (len(w) == 2 and all(ch in _FUNCTION_CHARS for ch in w)):
                continue  # «几天», «后要», «项会»: segmentation leftovers of the question's wording
            if len(w) > 1 or w.isdigit():
                out.append(w)
        # «网上申报»: a generic act right after a specific word is that word's predicate, kept whole
        # so «网上个人申报» beats «网上审核» (a four-character word counts by its halves).
        q = compact(question)
        for g in [w for w in out if w in GENERIC_ACTS]:
            for i, w in enumerate(out):
                if (w not in GENERIC_ACTS and len(w) == 2 and w + g in q and w not in DEVICES
                        and w not in SYNONYMS and w not in EQUIVALENT_OF):  # those match by their own forms
                    out[i] = w + g
                    break
        # «我是做软件开发的»: an occupation, which the notices state as «从事计算机技术与软件…»;
        # one word «从事软件开发», matched by a passage about 从事 that shares a part of it.
        occ = _OCCUPATION.search(q)
        if occ:
            field_ = occ.group(1)
            out = [w for w in out if w not in field_ and field_ not in w and w != OCCUPATION_MARK] + [
                OCCUPATION_MARK + field_]
        # «申报», «评审» name the whole business: evidence only when the question says nothing else.
        specific = [w for w in out if w not in GENERIC_ACTS]
        return list(dict.fromkeys(specific or out))

    @staticmethod
    def _credit(word: str, text: str) -> float:
        """1 when the word occurs; else the share of its character bigrams that occur
        («计算机软件» against «计算机技术与软件» → 0.75); a colloquial word counts via its notice form."""
        if word in text or (word in SYNONYMS and SYNONYMS[word] in text):
            return 1.0
        digits = word.translate(_CN_NUM)
        if digits != word and digits in text:
            return 1.0  # «一式» ↔ «1式»
        if word.startswith(OCCUPATION_MARK) and len(word) > 3:
            field_ = word[len(OCCUPATION_MARK):]
            return float(OCCUPATION_MARK in text and any(field_[i:i + 2] in text for i in range(len(field_) - 1)))
        if word in EQUIVALENT_OF and any(e in text for e in EQUIVALENT_OF[word]):
            return 1.0
        if word in DEADLINE_WORDS and _DEADLINE.search(text):
            return 1.0  # «截止» is answered by «8月1日至15日», «…前完成»
        if word == "地址" and ADDRESS.search(text):
            return 1.0
        if word in DEVICES and any(d in text for d in DEVICES):
            return 1.0  # «用手机申报吗» is answered by «通过电脑端登录»
        if len(word) >= 3 and word.endswith("证") and word[:-1] in text:  # «技师证» → «技师…资格»
            return 1.0
        if len(word) < 3 or not CJK.search(word):
            return 0.0
        if len(word) == 4:
            # Two two-character words («软件开发» → «软件»+«开发»): a bigram across the join («件开»)
            # means nothing, so each half counts once (against «计算机技术与软件» → 0.5).
            return ((word[:2] in text) + (word[2:] in text)) / 2
        grams = [word[i:i + 2] for i in range(len(word) - 1)]
        return sum(g in text for g in grams) / len(grams)

    def corpus_coverage(self, words: list[str]) -> float:
        """IDF-weighted share of the words found anywhere in the notices: low → off topic."""
        if not words:
            return 0.0
        total = got = 0.0
        for w in words:
            if w.isascii() and w not in self.index.bm25:
                continue  # pasted code or markup around a Chinese question says nothing about its topic
            weight = self.index.bm25.idf.get(w, OOV_IDF)
            total += weight
            got += weight * self._credit(w, self._corpus)
        return got / total if total else 0.0

    def coverage(self, words: list[str], pos: int, label: bool = False) -> float:
        """IDF-weighted share of the question's in-corpus words that passage `pos` (or, with
        `label`, the name of its own clause, e.g. «1. 网上个人申报») contains."""
        text = self._labels[pos] if label else self._compact[pos]
        total = got = 0.0
        for w in words:
            present = self._credit(w, self._corpus)
            if not present:
                continue  # a word no notice uses says nothing about which passage is better
            weight = self.index.bm25.idf_of(w)
            total += weight
            got += weight * self._credit(w, text)
        return got / total if total else 0.0

    def out_of_scope(self, question: str, passage: Chunk | None) -> str | None:
        """A title series or place the notices do not cover, named in the question but not in the
        passage (or, without a passage, nowhere in the notices)."""
        q = clean(question)
        # A passage speaks for its notice, so the notice's title counts («水利» → the water notice).
        text = compact(passage.index_text + passage.title) if passage else self._corpus
        for kind in ("other_series", "other_places", "other_levels", "other_engineering"):
            for w in SCOPE.get(kind, []):
                if w in q and w not in text:
                    return w
        return None

    @staticmethod
    def _strip(question: str, plan_words: list[str]) -> str:
        """The question without the words that named the plan: they match every clause of it."""
        for w in sorted(plan_words, key=len, reverse=True):
            question = question.replace(w, " ")
        return question

    def search(self, question: str, notices: list[str] | None = None, k: int = 8,
               mode: Mode = "hybrid", words: list[str] | None = None,
               plan_words: list[str] | None = None) -> list[Hit]:
        """Hybrid: fused candidates ranked by rank fusion plus how much of the question each one
        covers (words, clause name, asked-for figure). `dense` / `bm25`: that ranking alone (baselines)."""
        plan_words = plan_words or []
        notices = notices or self.current
        chunks = self.index.chunks
        allowed = np.isin(self._notice_of, notices) if notices else np.ones(len(chunks), dtype=bool)
        if not allowed.any():
            return []
        bm25_rank: dict[int, int] = {}
        bm25_raw = np.zeros(len(chunks), dtype=np.float32)
        if mode in ("hybrid", "bm25"):
            terms = self.tokenizer.query_terms(self._strip(question, plan_words))
            if any(d in terms for d in DEVICES):
                terms += [d for d in DEVICES if d not in terms]
            bm25_raw = self.index.bm25.scores(terms)
            masked = np.where(allowed, bm25_raw, -1.0)
            order = np.argsort(-masked)[:POOL]
            bm25_rank = {int(i): r for r, i in enumerate(order) if masked[i] > 0}
        dense_rank: dict[int, int] = {}
        dense_sim: dict[int, float] = {}
        if mode in ("hybrid", "dense"):
            vec = self.embeddings.embed_query(clean(question))
            for r, (i, sim) in enumerate(self.index.dense(vec, POOL, notices or None)):
                dense_rank[i] = r
                dense_sim[i] = sim
        fused: dict[int, float] = {}
        for i, r in bm25_rank.items():
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + r)
        for i, r in dense_rank.items():
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + r)
        if not fused:
            return []
        words = words if words is not None else self.content_words(question, plan_words)
        best = max(fused.values())
        cov = {i: self.coverage(words, i) for i in fused}
        wants = answer_type(question)
        if mode == "hybrid":
            final = {i: fused[i] / best + COVERAGE_WEIGHT * cov[i] + LABEL_WEIGHT * self.coverage(words, i, label=True)
                     + (ANSWER_TYPE_WEIGHT if wants and wants.search(self._compact[i]) else 0.0)
                     - (0.2 if chunks[i].text.lstrip().startswith("|") else 0.0)  # a table is a poor answer
                     - (1.0 if chunks[i].section == SIGNATURE else 0.0)  # the issuer's line answers nothing
                     for i in fused}
        else:  # the single-signal baselines rank by that signal alone
            final = {i: fused[i] / best for i in fused}
        top = sorted(final, key=lambda i: -final[i])[:k]
        return [Hit(chunk=chunks[i], score=final[i], bm25=float(bm25_raw[i]), dense=dense_sim.get(i, 0.0),
                    coverage=cov[i]) for i in top]
