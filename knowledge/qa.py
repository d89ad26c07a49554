"""`QAService`: question in, cited answer out. One per process (see bot/services.py).

Steps: check the input (empty, too long, small talk, not Chinese) → find the plans the
question names → hybrid retrieval within them → abstain when nothing covers the question →
extractive answer (optionally rewritten by an LLM that keeps the citation).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from bot import metrics
from knowledge import answer as compose
from knowledge import index as kindex
from knowledge.answer import Answer, Source
from knowledge.retrieval import Hit, Mode, PlanMatch, Retriever, answer_type, detect_plans
from knowledge.text import compact

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from bot.settings import Settings
    from knowledge.text import Tokenizer

log = logging.getLogger(__name__)

MIN_CORPUS_COVERAGE = 0.5  # share of the question's words the notices use at all; less → off topic
MIN_COVERAGE = 0.34  # share of those words the best passage must contain to answer from it
CROSS_PLAN_RATIO = 0.85  # another plan's best passage this close to the top one is a real alternative
RELOAD_CHECK_S = 2.0


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
        self._llm = None
        if settings.llm_base_url:
            from knowledge.llm import LLMRewriter

            self._llm = LLMRewriter(settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> QAService:
        """Load the live index, building it first when missing or out of date."""
        from knowledge.embeddings import make_embeddings
        from knowledge.text import get_tokenizer

        embeddings = make_embeddings(settings)
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
               use_llm: bool = True) -> Answer:
        try:
            with metrics.retrieval_latency.time():
                return self._answer(question, plan, mode, use_llm)
        except Exception:
            log.exception("answering failed for %r", (question or "")[:80])
            return Answer("抱歉，查询时出了点问题，请稍后再试，或换个说法提问。", kind="invalid")

    def _answer(self, question: str, plan: str | None, mode: Mode, use_llm: bool) -> Answer:
        self.reload_if_changed()
        q, early = compose.check_input(question)
        if early is not None:
            return early
        r = self.retriever
        if plan:
            notices = r.plans_for(plan)
            if not notices:
                known = "、".join(p for pl in r.plans for p in pl.plans)
                return Answer(f"没有找到申报计划「{plan}」。可选：{known}。", kind="invalid")
            match = PlanMatch(notices=notices, facets={"plan": plan})
            auto = detect_plans(q, [r.by_notice[n] for n in notices])
            match.words = auto.words
        else:
            match = detect_plans(q, r.plans)
        words = r.content_words(q, match.words)
        # Contacts are offered only for a plan the question named, not one guessed from «高工» alone.
        named = bool({"series", "region", "plan"} & set(match.facets))
        matched_plans = [r.by_notice[n] for n in match.notices] if named else []
        outside = r.out_of_scope(q, None)
        if outside:
            return Answer(compose.abstain(q, r.plans, [], outside), kind="abstain")
        if not words:
            if match.notices:
                names = "、".join(f"《{r.by_notice[n].title}》" for n in match.notices[:3])
                return Answer(f"您想了解{names}的哪方面？例如申报时间、申报条件、材料要求或联系方式。",
                              kind="clarify")
            return Answer(compose.abstain(q, r.plans, []), kind="abstain")
        if r.corpus_coverage(words) < MIN_CORPUS_COVERAGE:
            return Answer(compose.abstain(q, r.plans, matched_plans), kind="abstain")
        hits = r.search(q, match.notices or None, k=max(self.settings.retrieval_top_k, 10), mode=mode,
                        words=words, plan_words=match.words)
        if not hits or hits[0].coverage < MIN_COVERAGE:
            return Answer(compose.abstain(q, r.plans, matched_plans), kind="abstain",
                          sources=self._sources(hits[:3]))
        outside = r.out_of_scope(q, hits[0].chunk)
        if outside:
            return Answer(compose.abstain(q, r.plans, matched_plans, outside), kind="abstain")
        text = self._compose(q, hits, words, match)
        if use_llm and self._llm is not None:
            text = self._llm.rewrite(q, hits[:3], text)
        return Answer(text=text, sources=self._sources(hits[:3]), answered=True)

    def _compose(self, q: str, hits: list[Hit], words: list[str], match: PlanMatch) -> str:
        max_chars = self.settings.answer_max_chars
        if not match.detected:
            groups = self._alternatives(hits)
            if len(groups) > 1 and compose.differing(groups, words):
                return compose.per_plan(groups, words, max_chars)
        text = compose.single(hits, words, max_chars)
        wants = answer_type(q)
        if wants and not wants.search(compact(text)):
            # Asked for a figure the notices do not state: say so rather than let the quote imply one.
            note = "收录的通知没有写明这个数字，相关规定原文如下：\n"
            text = note + (text if len(note) + len(text) <= max_chars else compose.single(
                hits, words, max_chars - len(note)))
        return text

    def _alternatives(self, hits: list[Hit]) -> list[tuple]:
        """The best passage of each plan that answers nearly as well as the top one."""
        top = hits[0]
        seen: dict[str, Hit] = {}
        for h in hits:
            if h.chunk.notice in seen:
                continue
            if h.coverage >= top.coverage * CROSS_PLAN_RATIO and h.score >= top.score * 0.5:
                seen[h.chunk.notice] = h
        return [(self.retriever.by_notice[n], h) for n, h in list(seen.items())[:3]]

    @staticmethod
    def _sources(hits: list[Hit]) -> list[Source]:
        return [Source(notice=h.chunk.notice, title=h.chunk.title, section=h.chunk.section,
                       score=round(float(h.score), 4)) for h in hits]
