"""`QAService`: question in, cited answer out. One per process (see bot/services.py).

Steps: check the input (empty, too long, small talk, not Chinese) → find the plans the
question names → hybrid retrieval within them → abstain when nothing covers the question →
extractive answer (optionally rewritten by an LLM that keeps the citation).
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from knowledge import index as kindex
from knowledge.lang.text import compact
from knowledge.qa import compose
from knowledge.qa.compose import Answer, Source
from knowledge.qa.retrieval import ADDRESS, Hit, Mode, PlanMatch, Retriever, answer_type, detect_plans

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from bot.settings import Settings
    from knowledge.lang.text import Tokenizer

log = logging.getLogger(__name__)

MIN_CORPUS_COVERAGE = 0.5  # share of the question's words the notices use at all; this or less → off topic
MIN_TOPIC_COVERAGE = 0.45  # share of all the question's words (unknown ones too) the passage must hold
MIN_PLACE_COVERAGE = 0.6  # a passage naming another province must also cover the rest of the question
MIN_COVERAGE = 0.34  # share of those words the best passage must contain to answer from it
CROSS_PLAN_RATIO = 0.85  # another plan's best passage this close to the top one is a real alternative
CROSS_PLAN_SCORE = 0.8  # … and ranks nearly as high (a shared word alone, «考核结果» for «出结果», does not)
MAX_PLANS = 4  # plans listed side by side at most (600 characters hold four short quotes)
RELOAD_CHECK_S = 2.0
# In a season most users ask the same few questions (deadlines, photo, fees): answers are
# kept per (question, plan, mode) until the index changes. Small: each entry is one reply.
ANSWER_CACHE_SIZE = 2048


class QAService:
    def __init__(self, settings: Settings, embeddings: Embeddings, tokenizer: Tokenizer,
                 index: kindex.KnowledgeIndex) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.tokenizer = tokenizer
        self.retriever = Retriever(index, embeddings, tokenizer)
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
                self.retriever = Retriever(kindex.open_index(self.settings), self.embeddings, self.tokenizer)
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
        match = detect_plans(q, r.plans)
        if plan:
            notices = r.plans_for(plan)
            if not notices:
                known = "、".join(p for pl in r.plans for p in pl.plans)
                return Answer(f"没有找到申报计划「{plan}」。可选：{known}。", kind="invalid")
            # The plan from context yields to one the question itself names («建设工程的…»).
            if {"series", "region"} & set(match.facets) and not set(notices) & set(match.notices):
                plan = None
            else:
                match = PlanMatch(notices=notices, facets={"plan": plan},
                                  words=detect_plans(q, [r.by_notice[n] for n in notices]).words)
        words = r.content_words(q, match.words)
        # Contacts are offered only for a plan the question named, not one guessed from «高工» alone.
        named = bool({"series", "region", "plan"} & set(match.facets))
        matched_plans = [r.by_notice[n] for n in match.notices] if named else []
        contact = bool(compose.CONTACT.search(q))

        def decline(outside: str | None = None, hits: list[Hit] | None = None) -> Answer:
            if contact and not outside:
                return self._contacts(matched_plans or r.plans)
            return Answer(compose.abstain(q, r.plans, matched_plans, outside), kind="abstain",
                          sources=self._sources((hits or [])[:3]))

        outside = r.out_of_scope(q, None)
        if outside:
            return decline(outside)
        # A place outside the notices' regions («上海»): what is left of the question must be
        # answered by a passage about that place, or the reply would pass off a Zhejiang rule.
        place = r.named_place(q)
        if place:
            words = [w for w in words if place not in w and w not in place]
            if not words:
                return decline(place)
        if not place and compose.CONDITIONS.search(q) and set(words) <= compose.CONDITION_WORDS:
            return self._conditions(match)
        if not words:
            if match.notices:
                names = "、".join(f"《{r.by_notice[n].title}》" for n in match.notices[:3])
                return Answer(f"您想了解{names}的哪方面？例如申报时间、申报条件、材料要求或联系方式。",
                              kind="clarify")
            return decline()
        if r.corpus_coverage(words) <= MIN_CORPUS_COVERAGE:
            return decline()
        k = max(self.settings.retrieval_top_k, 10)
        hits = r.search(q, match.notices or None, k=k, mode=mode, words=words, plan_words=match.words)
        elsewhere: list[Hit] = []
        if plan and (not hits or hits[0].coverage < MIN_COVERAGE):
            # The user's plan is known: its notice says nothing, but another notice might.
            elsewhere = r.search(q, None, k=k, mode=mode, words=words, plan_words=match.words)
            if elsewhere and elsewhere[0].coverage >= MIN_COVERAGE:
                hits = elsewhere
        if not hits or hits[0].coverage < MIN_COVERAGE or (
                r.topic_coverage(words, hits[0].chunk) < MIN_TOPIC_COVERAGE):
            return decline(None, hits)
        if place and (place not in compact(hits[0].chunk.index_text)
                      or r.passage_coverage(words, hits[0].chunk) < MIN_PLACE_COVERAGE):
            return decline(place)
        outside = r.out_of_scope(q, hits[0].chunk)
        if outside:
            return decline(outside)
        text = self._compose(q, hits, words, match)
        if elsewhere and hits is elsewhere:
            label = r.by_notice[match.notices[0]].label
            note = f"您申报的{label}的通知没有写到这一点；其他通知的规定如下，仅供参考，请以本计划的主管部门答复为准：\n"
            text = note + text if len(note) + len(text) <= self.settings.answer_max_chars else note + \
                compose.single(hits, words, self.settings.answer_max_chars - len(note))
        if use_llm and self._llm is not None:
            text = self._llm.rewrite(q, hits[:3], text)
        return Answer(text=text, sources=self._sources(hits[:3]), answered=True)

    def _contacts(self, plans: list) -> Answer:
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
            return Answer(compose.abstain("", self.retriever.plans, []), kind="abstain")
        text = ("收录的通知没有提供在线人工客服，只给出了以下咨询方式：\n" + "\n".join(lines)
                + "\n其他计划请咨询所在单位人事部门或当地人力社保部门。")
        if cites:
            text += "\n" + compose.CITE_PREFIX + "；".join(dict.fromkeys(cites))
        return Answer(text=text, sources=self._sources(hits[:3]), answered=True)

    def _conditions(self, match: PlanMatch) -> Answer:
        """«申报条件是什么»: the notices mostly describe procedure; name where each plan's conditions are."""
        from knowledge.eligibility.plans import load_plans

        r = self.retriever
        try:
            plan_files = list(load_plans(self.settings.plans_dir).values())
        except Exception:
            log.exception("plan files could not be read")
            plan_files = []
        wanted = match.notices or [p.notice for p in r.plans]
        lines, cites, hits = [], [], []
        for nid in wanted:
            label = r.by_notice[nid].label
            own = r.find("申报条件", nid) if nid in r.by_notice else None
            doc = next((pf.other_conditions_doc for pf in plan_files if pf.notice == nid and pf.other_conditions_doc), None)
            if doc:
                named = compose.first_title(doc)
                chunk = r.find(named, nid) if named else None
                lines.append(f"【{label}】见{doc.split('（本件')[0].strip()}")
            elif own is not None:
                chunk = own
                lines.append(f"【{label}】见通知{own.section.split(' › ')[0]}")
            else:
                continue
            if chunk is not None:
                cites.append(f"《{chunk.title}》{chunk.section.split(' › ')[0]}")
                hits.append(Hit(chunk=chunk, score=1.0, coverage=1.0))
        if not lines:
            return Answer(compose.abstain("", r.plans, []), kind="abstain")
        text = ("收录的通知主要写申报流程和材料要求，学历、资历、业绩等申报条件在各计划的评价条件文件里：\n"
                + "\n".join(lines) + "\n想核对自己是否符合，可发送「资格自测」逐项检查。")
        text = text[: self.settings.answer_max_chars - 80]
        if cites:
            text += "\n" + compose.CITE_PREFIX + "；".join(dict.fromkeys(cites))
        return Answer(text=text, sources=self._sources(hits[:3]), answered=True)

    def _compose(self, q: str, hits: list[Hit], words: list[str], match: PlanMatch) -> str:
        max_chars = self.settings.answer_max_chars
        wants = answer_type(q)
        if not match.detected:
            groups = self._alternatives(hits, words, wants)
            stated = not wants or any(wants.search(compact(h.chunk.text)) for _, h in groups)
            if len(groups) > 1 and stated:
                if compose.differing(groups, words, wants):
                    return compose.per_plan(groups, words, max_chars)
                if wants and all(wants.search(compact(h.chunk.text)) for _, h in groups):
                    # Several plans state the asked-for figure: the user cannot know it is the same in all.
                    return compose.per_plan(groups, words, max_chars, same=True)
        text = compose.single(hits, words, max_chars, wants)
        if wants and len(match.notices or self.retriever.plans) > 1 and wants.search(compact(text)) \
                and self._sole_source(hits, wants):
            # One notice states it and the question named no plan: say the others do not.
            head = f"只有《{hits[0].chunk.title}》写明：\n"
            tail = "\n其他通知未写明。"
            if len(head) + len(text) + len(tail) > max_chars:
                text = compose.single(hits, words, max_chars - len(head) - len(tail), wants)
            body, _, cite = text.rpartition("\n" + compose.CITE_PREFIX)
            text = head + body + tail + "\n" + compose.CITE_PREFIX + cite if body else head + text + tail
        if wants and not wants.search(compact(text)):
            # Asked for a figure the notices do not state: say so rather than let the quote imply one.
            what = "具体地址" if wants is ADDRESS else "这个数字"
            note = f"收录的通知没有写明{what}，相关规定原文如下：\n"
            text = note + (text if len(note) + len(text) <= max_chars else compose.single(
                hits, words, max_chars - len(note), wants))
        return text

    @staticmethod
    def _sole_source(hits: list[Hit], wants: re.Pattern[str]) -> bool:
        """No other notice's passage among the candidates that covers the question states the figure."""
        top = hits[0]
        return not any(h.chunk.notice != top.chunk.notice and h.coverage >= top.coverage * 0.5
                       and wants.search(compact(h.chunk.text)) for h in hits[1:])

    def _alternatives(self, hits: list[Hit], words: list[str],
                      wants: re.Pattern[str] | None = None) -> list[tuple]:
        """The best passage of each plan that answers nearly as well as the top one; when the
        question asks for a figure, a plan's passage that states one beats one that does not."""
        top = hits[0]

        def states(h: Hit) -> bool:
            return bool(wants and wants.search(compact(h.chunk.text)))

        best: dict[str, Hit] = {}
        for h in hits:
            # A passage stating the asked-for figure may word the rest differently («导出…一式两份»
            # for «打印几份»): half the top passage's coverage is enough for it.
            ratio = 0.5 if states(h) else CROSS_PLAN_RATIO
            # … and one whose clause is named after the question's topic («7. 报送评审表») may rank lower.
            named = states(h) and compose.names(h.chunk.section.rsplit(" › ", 1)[-1], words)
            if h.coverage < top.coverage * ratio or h.score < top.score * (0.6 if named else CROSS_PLAN_SCORE):
                continue
            if h.chunk.text.lstrip().startswith("|"):
                continue
            cur = best.get(h.chunk.notice)
            if cur is None or (states(h) and not states(cur)):
                best[h.chunk.notice] = h
        groups = list(best.items())
        if wants and sum(states(h) for _, h in groups) >= 2:
            groups = [(n, h) for n, h in groups if states(h)]  # plans that state the figure answer it
        return [(self.retriever.by_notice[n], h) for n, h in groups[:MAX_PLANS]]

    @staticmethod
    def _sources(hits: list[Hit]) -> list[Source]:
        return [Source(notice=h.chunk.notice, title=h.chunk.title, section=h.chunk.section,
                       score=round(float(h.score), 4)) for h in hits]
