"""Optional LLM rewrite of the extractive answer (off unless LLM_BASE_URL is set).

The prompt holds only the retrieved passages; the reply must keep the citation line, and any
timeout or error falls back to the extractive answer, which is always ready first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from knowledge.qa.compose import CITE_PREFIX

if TYPE_CHECKING:
    from bot.settings import Settings
    from knowledge.qa.retrieval import Hit

log = logging.getLogger(__name__)

SYSTEM = (
    "你是浙江省工程技术人员职称申报的问答助手。只根据下面给出的通知原文回答，"
    "不得补充原文没有的内容；原文没有答案时回答「通知中没有相关规定」。"
    "回答简洁（不超过300字），数字、日期、金额照原文写。不要写出处，系统会附上。"
)


class LLMRewriter:
    def __init__(self, settings: Settings) -> None:
        from langchain_openai import ChatOpenAI

        self.settings = settings
        self.chat = ChatOpenAI(
            base_url=settings.llm_base_url, model=settings.llm_model or "default",
            api_key=settings.llm_api_key or "none", timeout=settings.llm_timeout_s, max_retries=0,
            temperature=0,
        )

    def prompt(self, question: str, hits: list[Hit]) -> list[tuple[str, str]]:
        passages = "\n\n".join(
            f"[{i + 1}]《{h.chunk.title}》{h.chunk.section}\n{h.chunk.context}{h.chunk.text}"
            for i, h in enumerate(hits))
        return [("system", SYSTEM), ("human", f"通知原文：\n{passages}\n\n问题：{question}")]

    def rewrite(self, question: str, hits: list[Hit], extractive: str) -> str:
        """The LLM's answer plus the extractive citation line, or the extractive answer on any failure."""
        cite = next((ln for ln in extractive.splitlines() if ln.startswith(CITE_PREFIX)), "")
        try:
            reply = self.chat.invoke(self.prompt(question, hits))
            text = str(reply.content).strip()
        except Exception as exc:  # timeout, connection refused, HTTP error, bad JSON …
            log.warning("LLM unavailable (%s); using the extractive answer", type(exc).__name__)
            return extractive
        if not text:
            return extractive
        lines = [ln for ln in text.splitlines() if not ln.startswith(CITE_PREFIX)]
        budget = self.settings.answer_max_chars - len(cite) - 1
        body = "\n".join(lines).strip()
        if len(body) > budget:
            body = body[: budget - 1] + "…"
        return f"{body}\n{cite}" if cite else body
