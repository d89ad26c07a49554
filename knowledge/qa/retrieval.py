"""Hybrid retrieval within each notice: BM25 (words + bigrams, the notice's own statistics) and
dense vectors (cosine over the notice's passages), fused by reciprocal rank, then re-ranked on
how much of the question each passage holds. Everything about a notice's passages is computed
from that notice alone, so loading another notice cannot change which of its passages answers.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import yaml

from knowledge.catalog import past_label, past_notices
from knowledge.chunking import SEP, SIGNATURE, Chunk, is_screenshot
from knowledge.index import BM25
from knowledge.lang.numbers import lexicon, to_arabic
from knowledge.lang.text import CJK, EQUIVALENT_OF, SYNONYMS, clean, compact
from knowledge.qa.plans import Named, Profile, detect
from knowledge.qa.tuning import DEFAULT, Tuning

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from knowledge.index import KnowledgeIndex
    from knowledge.lang.text import Tokenizer

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "bm25"]
POOL = 40  # candidates taken from each ranking before fusion

# «几年», «多少分», «几号» ask for a number with a unit: passages stating one answer better.
_ASKS = re.compile(r"(?:多少|几)个?(学分|学时|年|分|项|条|份|字|日|号|天|月|篇|个|人|名|次|元|钱)"
                   r"|(?:多少|几)[\u4e00-\u9fff]{1,6}?(学分|学时)|(学分|学时)[要需得]{0,2}(?:多少|几)|多少[\u4e00-\u9fff]{0,3}?(费)|(费)[用]?(?:是|要|需要)?多少")
_ASK_PREFIX = re.compile(r"^(?:几|多少|最多|最少|最长|最短)")
_FILLER_WORDS = {"以后", "之后", "然后", "时候", "出来", "那边", "这边", "那里", "这里"}
_FUNCTION_CHARS = set("后要会能可还就才都也再里算项去来评用放")
_DURATION = re.compile(r"多久|多长时间")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
_OCCUPATION = re.compile(r"(?:做|搞|干)([\u4e00-\u9fff]{2,10}?)(?:的|工作)")
OCCUPATION_MARK = "从事"
DEADLINE_WORDS = frozenset(lexicon()["period_ends"]["end"])
START_WORDS = frozenset(lexicon()["period_ends"]["start"])
_DEADLINE = re.compile(r"截止|截至|之前|以前|\d{1,2}日前|\d{1,2}日(?:止|为止)|至\d{1,2}(?:月\d{1,2})?日")
_START = re.compile(r"\d{1,2}\s*日\s*(?:至|到|—|-|~)|\d{1,2}\s*日起|起至|开始")
# Where to send something: a street address, an office, «寄送至…».
_WHERE = re.compile(r"地址|寄到哪|送到哪|交到哪|寄往哪|寄给谁|寄哪")
ADDRESS = re.compile(r"(?:路|街|大道|巷)\d+号|\d+(?:室|办公室)|寄送至|邮寄到|寄至|送至|报送至")
_DATES = re.compile(r"截止|哪天|什么时候|啥时候|何时|几月|日期|时间")
_CLOCK = re.compile(r"几点|什么时间点|几时")
_WH = re.compile(r"哪天|什么时候|啥时候|何时|多久|多长时间|哪里|哪儿|在哪|寄哪|多少|几")
_NUMERAL = r"[\d一二两三四五六七八九十百千]+\s*"
_PERSON_COUNTERS = "".join(c for c in lexicon()["person_counters"] if len(c) == 1 and c != "个")
# «11 月评审结束后» too, and a time counted from a step («文件公布10天后», «5个工作日内»)
DATE = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*日|\d{1,2}\s*月"
                  r"|\d{1,3}\s*个?(?:工作|自然)?[日天周月](?:后|内|以内|之内)")
CLOCK_TIME = re.compile(r"\d{1,2}[:：]\d{2}|\d{1,2}[点时]")
# Dates fill a notice's timeline: a passage stating one is no answer unless it is about the thing.
WHEN = (DATE, CLOCK_TIME)

# Level words select the plan; they say nothing about which clause answers.
PLAN_GENERIC = {"职称"}
_NOTICE_FORMS = frozenset(SYNONYMS.values())
# Which device to use: a question naming one is answered by a passage naming any.
DEVICES = ("手机", "电脑", "电脑端", "手机端", "移动端", "平板", "app", "小程序")
GENERIC_ACTS = frozenset(lexicon()["generic_acts"])
SCOPE: dict[str, list[str]] = yaml.safe_load((Path(__file__).with_name("scope.yaml")).read_text(encoding="utf-8"))


def asked_at(question: str) -> int | None:
    """Where in `question` (its `compact` form) the figure is asked («…评审费啥时候交» → at «啥时候»)."""
    m = _WH.search(compact(question))  # «截止» says which figure, not where it is asked
    return m.start() if m else None


def answer_type(question: str) -> re.Pattern[str] | None:
    """The value a question asks for, as a pattern over passages (None: not a «how many» question)."""
    q = clean(question)
    m = _ASKS.search(q)
    if m:
        asked = next(g for g in m.groups() if g)
        if asked == "号" or (asked == "月" and "个" not in m.group(0)):
            return DATE  # «几号截止», «几月份»: a day of the calendar, not a count of days
        unit = {"号": "日", "天": "日", "钱": "元", "费": "元", "条": "项", "学分": "学时"}.get(asked, asked)
        # Units counted alike: «几条» ← «2项以上» or «下列条件之一»; «几天» ← «5个工作日»;
        # «多少学分» ← «90学时» (notices count continuing education in either).
        # «几个高工签字» ← «2名…高级工程师签字»: people are counted in any person counter.
        unit_re = {"个": f"[个项件{_PERSON_COUNTERS}]", "项": "[个项件]", "日": "[日天]",
                   "学时": "(?:学时|学分)"}.get(unit, re.escape(unit))
        pattern = _NUMERAL + r"(?:个)?(?:工作|自然|周)?" + unit_re
        if unit == "项":
            pattern += "|之[一二三四五]"
        return re.compile(pattern)
    if _CLOCK.search(q):
        return CLOCK_TIME
    if _WHERE.search(q):
        return ADDRESS
    if _DURATION.search(q):
        return re.compile(_NUMERAL + r"(?:个)?(?:工作|自然)?(?:日|天|周|月|年)")
    if _DATES.search(q):
        return DATE
    return None


@dataclass
class Hit:
    chunk: Chunk
    score: float  # fused score within its notice (higher is better)
    bm25: float = 0.0
    dense: float = 0.0
    coverage: float = 0.0  # share of the question's topic words (those its notice uses) in the passage
    # (with the asked-for figure as one more word); `topic`: the share of what the question is about,
    # without the figure or the words that only say which figure («截止», «开始»)
    topic: float = 0.0
    dense_rank: int = -1  # its rank among the notice's passages by the dense side alone (-1: not ranked)


# The names handlers/plan_choice.py reads which notices a message names by (no index needed).
Plan = Profile


def detect_plans(question: str, plans: list[Profile]) -> Named:
    return detect(question, plans)


def norm(text: str) -> str:
    """The form questions and passages are compared in: no spaces, counting numerals as digits
    («一式两份» → «1式2份», «十五天» → «15天»), through the project's one normaliser."""
    return to_arabic(compact(text))


class Retriever:
    def __init__(self, index: KnowledgeIndex, embeddings: Embeddings, tokenizer: Tokenizer,
                 tuning: Tuning = DEFAULT) -> None:
        self.index = index
        self.embeddings = embeddings
        self.tokenizer = tokenizer
        self.tuning = tuning
        chunks = index.chunks
        self._text = [norm(c.index_text) for c in chunks]
        self._labels = [norm(c.section.rsplit(SEP, 1)[-1]) for c in chunks]
        self._pos = {c.id: i for i, c in enumerate(chunks)}
        notice_of = np.array([c.notice for c in chunks])
        self._positions = {nid: np.flatnonzero(notice_of == nid) for nid in index.notices}
        # Each notice its own BM25 statistics: another notice's words do not change its ranking.
        self._bm25 = {nid: BM25([index.tokens[i] for i in pos]) for nid, pos in self._positions.items()}
        self._notice_text = {nid: "\n".join(self._text[i] for i in pos) for nid, pos in self._positions.items()}
        self._word_starts: dict[str, frozenset[int]] = {}  # per notice, filled when first asked
        self._vectors = _vectors(index)
        self.profiles = [Profile.from_meta(nid, meta, body="\n".join(
            chunks[i].text for i in self._positions[nid] if chunks[i].section != SIGNATURE) + "\n" + "\n".join(
            chunks[i].text for i in self._positions[nid] if chunks[i].section == SIGNATURE))
            for nid, meta in index.notices.items()]
        self.by_notice = {p.notice: p for p in self.profiles}
        # Supersession (knowledge/catalog.py): a past year's notice answers only a question naming
        # its year, and its passages are cited as past.
        past = past_notices(index.notices)
        for p in self.profiles:
            if p.notice in past:
                p.past_label = past_label(index.notices[p.notice], index.notices.get(past[p.notice]))
                p.label += "（往年）"
                for i in self._positions[p.notice]:
                    c = chunks[i]
                    if c.section != SIGNATURE and not c.section.startswith(p.past_label):
                        c.section = p.past_label + c.section

    @property
    def plans(self) -> list[Profile]:
        return self.profiles

    def current(self) -> list[str]:
        """The notices a question naming none is answered from: not past years' (catalog)."""
        return [p.notice for p in self.profiles if not p.past_label] or [p.notice for p in self.profiles]

    def chunk_pos(self, chunk: Chunk) -> int:
        return self._pos[chunk.id]

    def notice_chunks(self, notice: str) -> list[Chunk]:
        return [self.index.chunks[i] for i in self._positions.get(notice, [])]

    def find(self, needle: str, notice: str | None = None) -> Chunk | None:
        """The first passage (of a notice) that states `needle` (a phone number, a document name)."""
        needle = norm(needle)
        for i, c in enumerate(self.index.chunks):
            if (notice is None or c.notice == notice) and c.section != SIGNATURE and needle in self._text[i]:
                return c
        return None

    @staticmethod
    def named_place(question: str) -> str | None:
        """A province or city outside Zhejiang named in the question («上海»)."""
        q = clean(question)
        return next((w for w in SCOPE.get("other_places", []) if w in q), None)

    @staticmethod
    def about_place(place: str, text: str) -> bool:
        """The text is about that place outside Zhejiang: it names it, or all of them («外省»)."""
        return place in text or any(w in text for w in SCOPE.get("outside_zhejiang", []))

    def plans_for(self, plan: str | None) -> list[str]:
        """An explicit plan id (or notice id) → its notices; unknown ids select nothing."""
        if not plan:
            return []
        return [p.notice for p in self.profiles if plan == p.notice or plan in p.plans]

    def content_words(self, question: str, spans: list[tuple[int, int, str]] | None = None) -> list[str]:
        """The question's topic words, without the spans that only named the plan («临平», «高工»)."""
        q = compact(question)
        if spans:
            chars = list(q)
            for s_, e, _ in spans:
                for i in range(s_, e):
                    chars[i] = "，"
            q = "".join(chars)
        drop = sorted(PLAN_GENERIC, key=len, reverse=True)
        out = []
        for w in self.tokenizer.content_words(q):
            for d in drop:
                if d in w:
                    w = w.replace(d, "")
            w = _ASK_PREFIX.sub("", w) if len(w) > 2 else w  # «最多放» → «放», «几篇» stays out below
            if _ASK_PREFIX.match(w) or w in _FILLER_WORDS or (len(w) == 2 and all(ch in _FUNCTION_CHARS for ch in w)):
                continue  # «几天», «后要», «项会»: segmentation leftovers of the question's wording
            if len(w) > 1 or w.isdigit() or w in _NOTICE_FORMS:  # «交» → «缴»: a notice's own word
                out.append(norm(w))
        # «网上申报»: a generic act right after a specific word is that word's predicate, kept whole
        # so «网上个人申报» beats «网上审核» (a four-character word counts by its halves).
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
        # «申报», «评审» name the whole business, and a bare verb («交» → «缴») says little: evidence
        # only when the question says nothing else («那要交几份»).
        specific = [w for w in out if w not in GENERIC_ACTS and len(w) > 1]
        return list(dict.fromkeys(specific or out))

    @staticmethod
    @lru_cache(maxsize=1 << 16)  # a search scores each candidate 4-5 ways with the same words
    def _credit(word: str, text: str) -> float:
        """1 when the word occurs; else the share of its character bigrams that occur
        («计算机软件» against «计算机技术与软件» → 0.75); a colloquial word counts via its notice form."""
        if word in text or (word in SYNONYMS and SYNONYMS[word] in text):
            return 1.0
        if word.startswith(OCCUPATION_MARK) and len(word) > 3:
            field_ = word[len(OCCUPATION_MARK):]
            # «房建» is how people shorten «房屋建筑»: first characters of two words.
            short = len(field_) == 2 and re.search(f"{field_[0]}.{field_[1]}", text) is not None
            return float(OCCUPATION_MARK in text and (short or any(
                field_[i:i + 2] in text for i in range(len(field_) - 1))))
        if word in EQUIVALENT_OF and any(e in text for e in EQUIVALENT_OF[word]):
            return 1.0
        if word in DEADLINE_WORDS and _DEADLINE.search(text):
            return 1.0  # «截止» is answered by «8月1日至15日», «…前完成»
        if word in START_WORDS and _START.search(text):
            return 1.0  # «开始» is answered by «8月1日至15日», «9月1日起»
        if word == "地址" and ADDRESS.search(text):
            return 1.0
        if word in DEVICES and any(d in text for d in DEVICES):
            return 1.0  # «用手机申报吗» is answered by «通过电脑端登录»
        if len(word) >= 3 and word.endswith("证") and word[:-1] in text:  # «技师证» → «技师…资格»
            return 1.0
        if len(word) == 2 and CJK.search(word) and re.search(f"{word[0]}[\u4e00-\u9fff]{word[1]}[\u4e00-\u9fff]", text):
            return 1.0  # «中专» is how people shorten «中等专业»: the first characters of two words
        if len(word) < 3 or not CJK.search(word):
            return 0.0
        if len(word) == 4:
            # Two two-character words («软件开发» → «软件»+«开发»): a bigram across the join («件开»)
            # means nothing, so each half counts once (against «计算机技术与软件» → 0.5). A generic
            # act («网上申报» → «申报») is in nearly every passage: that half alone is no evidence.
            halves = [h for h in (word[:2], word[2:]) if h not in GENERIC_ACTS]
            return sum(h in text for h in halves) / 2
        grams = [word[i:i + 2] for i in range(len(word) - 1)]
        # «评审费» against «…评审结束后…»: the generic act «评审» alone says nothing of the fee.
        return sum(g in text and g not in GENERIC_ACTS for g in grams) / len(grams)

    @staticmethod
    def credit(word: str, text: str) -> float:
        """How much of the word a text holds (see `_credit`): 1 when it is there in any of its forms."""
        return Retriever._credit(word, norm(text))

    def known(self, words: list[str], notices: list[str]) -> list[str]:
        """The topic words these notices use at all (a colloquial or unknown word is no evidence).
        A word found only across two of the notices' words is not used by them: «员工» in
        «技术人员|工程师», «有个» in «具有|个人»."""
        texts = [n for n in notices if n in self._notice_text]
        return [w for w in words if not (w.isascii() and not w.isdigit()
                                         and not any(w in self._notice_text[n] for n in texts))
                and any(self._uses(w, n) for n in texts)]

    def _uses(self, word: str, notice: str) -> bool:
        text = self._notice_text[notice]
        if word not in text or not _CJK_WORD.fullmatch(word) or SYNONYMS.get(word, "\0") in text:
            return self._credit(word, text) > 0
        starts = self._word_starts.get(notice)
        if starts is None:
            starts = self._word_starts[notice] = self.tokenizer.word_starts(text)
        # Within one word of the notice («电话» of «联系电话») or beginning or ending with one
        # («工作年限» of «专业工作|年限»); not starting and ending inside two («人员|工程师»).
        return any(m.start() in starts or m.end() in starts or m.end() == len(text)
                   for m in re.finditer(re.escape(word), text))

    def coverage(self, words: list[str], pos: int, notice: str, label: bool = False,
                 wants: re.Pattern[str] | None = None) -> float:
        """IDF-weighted share (the notice's own IDF) of the words that passage `pos` (or, with
        `label`, the name of its own clause, e.g. «1. 网上个人申报») contains. With `wants`, what
        the question asks for («几份») counts as one more word, held by a passage stating it («2份»)."""
        text = self._labels[pos] if label else self._text[pos]
        bm = self._bm25[notice]
        total = got = 0.0
        for w in words:
            weight = bm.idf_of(SYNONYMS.get(w, w))  # a colloquial word weighs what its notice form does
            total += weight
            got += weight * self._credit(w, text)
        if wants is not None and words:
            mean = total / len(words)
            total += mean
            got += mean if wants.search(text) else 0.0
        return got / total if total else 0.0

    def states(self, pattern: re.Pattern[str], chunk: Chunk) -> bool:
        return bool(pattern.search(self._text[self._pos[chunk.id]]))

    def out_of_scope(self, question: str, passage: Chunk | None, notices: list[str] | None = None,
                     names: list[str] | None = None) -> str | None:
        """A title series, place or topic the notices do not cover, named in the question but not in
        the passage (or, without a passage, nowhere in these notices). A word that named a loaded
        notice («公路» for the transport notice) is in scope."""
        q = compact(question)
        for n in names or []:
            q = q.replace(n, "，")
        # A passage speaks for its notice, so the notice's title counts («水利» → the water notice).
        if passage is not None:
            text = norm(passage.index_text + passage.title)
        else:
            text = "\n".join(self._notice_text[n] + norm(self.by_notice[n].title)
                             for n in (notices or list(self._notice_text)))
        for kind in ("other_series", "other_places", "other_engineering", "other_topics"):
            for w in SCOPE.get(kind, []):
                if not self._says(w, q):
                    continue
                # A speciality a notice lists in its scope («评审专业包括：公路工程…») is that notice's,
                # whichever of its clauses answers; a series, place or topic must be in the passage.
                if kind == "other_engineering" and passage is not None and self._says(
                        w, self._notice_text.get(passage.notice, "")):
                    continue
                if not self._says(w, text) and not (kind == "other_places" and self.about_place(w, text)):
                    return w
        return None

    def _says(self, word: str, text: str) -> bool:
        """The text uses the word as a word: «工资» is not in «竣工资料»."""
        if word not in text:  # most scope words are in neither: no pattern to build
            return False
        for m in re.finditer(re.escape(word), text):
            span = text[max(0, m.start() - 3): m.end() + 3]
            # a word of its own, or the head or tail of a compound («公路» in «公路工程»)
            if any(t.startswith(word) or t.endswith(word) for t in self.tokenizer.words(span)):
                return True
        return False

    def search(self, question: str, words: list[str], notices: list[str], k: int = 8,
               mode: Mode = "hybrid", spans: list[tuple[int, int, str]] | None = None,
               refine: list[str] | None = None) -> dict[str, list[Hit]]:
        """Each notice's best passages, by rank fusion plus how much of the question each one
        covers (words, clause name, asked-for figure). `words`: the topic words that count (see
        `known`); `refine`: words that rank passages but do not decide whether one answers (the
        level named, in a notice of several levels). `dense` / `bm25`: that ranking alone (baselines)."""
        ranked = [*words, *(refine or [])]
        t = self.tuning
        q = compact(question)
        if spans:
            q = "".join("，" if any(s_ <= i < e for s_, e, _ in spans) else ch for i, ch in enumerate(q))
        terms: list[str] = []
        if mode in ("hybrid", "bm25"):
            terms = self.tokenizer.query_terms(q)
            if any(d in terms for d in DEVICES):
                terms += [d for d in DEVICES if d not in terms]
        sims = None
        if mode in ("hybrid", "dense") and self._vectors is not None:
            vec = np.asarray(self.embeddings.embed_query(clean(question)), dtype=np.float32)
            vec /= float(np.linalg.norm(vec)) or 1.0
            sims = self._vectors @ vec
        wants = answer_type(question)
        out: dict[str, list[Hit]] = {}
        for nid in notices:
            pos = self._positions.get(nid)
            if pos is None or not len(pos):
                continue
            fused: dict[int, float] = {}
            bm = np.zeros(len(pos), dtype=np.float32)
            if terms:
                bm = self._bm25[nid].scores(terms)
                for r, j in enumerate(np.argsort(-bm)[:POOL]):
                    if bm[j] > 0:
                        fused[int(j)] = fused.get(int(j), 0.0) + 1.0 / (t.rrf_k + r)
            dense_rank: dict[int, int] = {}
            if sims is not None:
                local = sims[pos]
                for r, j in enumerate(np.argsort(-local)[:POOL]):
                    fused[int(j)] = fused.get(int(j), 0.0) + 1.0 / (t.rrf_k + r)
                    dense_rank[int(j)] = r
            if not fused:
                continue
            best = max(fused.values())
            hits = []
            for j, f in fused.items():
                i = int(pos[j])
                chunk = self.index.chunks[i]
                cov = self.coverage(words, i, nid, wants=wants)
                full = self.coverage(words, i, nid)
                # «网上申报几号截止»: «截止» says which figure is asked; what it is about is the rest.
                subject = [w for w in words if w not in DEADLINE_WORDS and w not in START_WORDS]
                topic = self.coverage(subject, i, nid) if subject and wants is not None else full
                if mode == "hybrid":
                    score = (f / best + t.coverage_weight * (self.coverage(ranked, i, nid) if refine else full)
                             + t.label_weight * self.coverage(ranked, i, nid, label=True)
                             + (t.answer_type_weight if wants and wants.search(self._text[i]) else 0.0)
                             # the issuer's line and a screenshot answer nothing
                             - (1.0 if chunk.section == SIGNATURE or is_screenshot(chunk) else 0.0))
                else:
                    score = f / best
                hits.append(Hit(chunk=chunk, score=score, bm25=float(bm[j]),
                                dense=float(sims[i]) if sims is not None else 0.0, coverage=cov,
                                topic=topic, dense_rank=dense_rank.get(j, -1)))
            hits.sort(key=lambda h: -h.score)
            out[nid] = hits[:k]
        return out


def _vectors(index: KnowledgeIndex) -> np.ndarray | None:
    """Every passage's vector (unit length), in chunk order, read once from the Chroma collection."""
    if not index.chunks:
        return None
    try:
        got = index.collection.get(ids=[c.id for c in index.chunks], include=["embeddings"])
    except Exception:  # a store without vectors: BM25 alone
        log.exception("passage vectors could not be read; dense retrieval is off")
        return None
    by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
    mat = np.asarray([by_id[c.id] for c in index.chunks], dtype=np.float32)
    mat /= np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-9)
    return mat
