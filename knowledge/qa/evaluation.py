"""Scoring a question set (format of ../shared/eval/qa_dev.yaml) against a QAService.

Pass rule (from the set's header): after NFKC with spaces removed, the reply contains at least
one string of every `expect` group and none of the item's `forbid` strings (a superseded date,
another notice's figure); an `answerable: false` item passes when the service abstains. Source recall@3: an answerable item hits when one of its `source` files (mapped to
notices through front matter `source_file`) is among the notices of the first 3 sources;
`[any]` always hits.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from knowledge.lang.text import compact

if TYPE_CHECKING:
    from knowledge.qa.retrieval import Mode
    from knowledge.qa.service import QAService


@dataclass
class ItemResult:
    id: str
    q: str
    answerable: bool
    passed: bool
    answered: bool
    source_hit: bool | None
    missing: list[list[str]]
    ms: float
    answer: str
    sources: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)


@dataclass
class Report:
    items: list[ItemResult]
    mode: str

    def _share(self, values: list[bool]) -> float:
        return sum(values) / len(values) if values else 1.0

    @property
    def answer_accuracy(self) -> float:
        return self._share([r.passed for r in self.items if r.answerable])

    @property
    def abstention_accuracy(self) -> float:
        return self._share([r.passed for r in self.items if not r.answerable])

    @property
    def recall_at_3(self) -> float:
        return self._share([bool(r.source_hit) for r in self.items if r.answerable])

    def latency(self, pct: float) -> float:
        ms = sorted(r.ms for r in self.items)
        if not ms:
            return 0.0
        return ms[min(len(ms) - 1, max(0, round(pct / 100 * len(ms) + 0.5) - 1))]

    def summary(self) -> dict[str, Any]:
        answerable = [r for r in self.items if r.answerable]
        return {
            "mode": self.mode,
            "questions": len(self.items),
            "answer_accuracy": round(self.answer_accuracy, 4),
            "answered_right": sum(r.passed for r in answerable),
            "answerable": len(answerable),
            "abstention_accuracy": round(self.abstention_accuracy, 4),
            "abstentions_right": sum(r.passed for r in self.items if not r.answerable),
            "unanswerable": len(self.items) - len(answerable),
            "recall_at_3": round(self.recall_at_3, 4),
            "latency_ms_p50": round(statistics.median([r.ms for r in self.items]), 1) if self.items else 0.0,
            "latency_ms_p95": round(self.latency(95), 1),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "items": [asdict(r) for r in self.items]}


def load_set(path: Path | str) -> list[dict[str, Any]]:
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a list of questions")
    return items


def missing_groups(reply: str, expect: list[list[str]]) -> list[list[str]]:
    text = compact(reply)
    return [group for group in expect if not any(compact(s) in text for s in group)]


def forbidden_found(reply: str, forbid: list[str]) -> list[str]:
    text = compact(reply)
    return [s for s in forbid if compact(str(s)) in text]


def evaluate(qa: QAService, items: list[dict[str, Any]], mode: Mode = "hybrid") -> Report:
    file_to_notice = {str(meta.get("source_file")): nid for nid, meta in qa.index.notices.items()}
    qa.answer("你好")  # warm-up outside the timings
    results: list[ItemResult] = []
    for item in items:
        answerable = item.get("answerable", True) is not False
        t0 = time.perf_counter()
        ans = qa.answer(str(item["q"]), plan=item.get("plan"), mode=mode, use_llm=False, cached=False)
        ms = (time.perf_counter() - t0) * 1000
        top = [s.notice for s in ans.sources[:3]]
        if answerable:
            missing = missing_groups(ans.text, item.get("expect") or [])
            forbidden = forbidden_found(ans.text, item.get("forbid") or [])
            passed = ans.answered and not missing and not forbidden
            sources = [str(s) for s in item.get("source") or ["any"]]
            wanted = {file_to_notice.get(s, s) for s in sources}
            hit = "any" in sources or bool(wanted & set(top))
        else:
            missing, forbidden, passed, hit = [], [], not ans.answered, None
        results.append(ItemResult(id=str(item.get("id", len(results) + 1)), q=str(item["q"]),
                                  answerable=answerable, passed=passed, answered=ans.answered,
                                  source_hit=hit, missing=missing, ms=round(ms, 2), answer=ans.text,
                                  sources=top, forbidden=forbidden))
    return Report(items=results, mode=mode)


def render(report: Report, verbose: bool = False) -> str:
    """A plain-text table for the terminal."""
    lines = []
    for r in report.items:
        mark = "PASS" if r.passed else "FAIL"
        src = "" if r.source_hit is None else (" src✓" if r.source_hit else " src✗")
        lines.append(f"{mark} {r.id:10} {r.ms:6.1f}ms{src}  {r.q}")
        if not r.passed or verbose:
            if r.missing:
                lines.append(f"     missing: {r.missing}")
            if r.forbidden:
                lines.append(f"     must not say: {r.forbidden}")
            lines.append("     " + r.answer.replace("\n", "\n     "))
    s = report.summary()
    lines.append("")
    lines.append(f"mode {s['mode']}: answer accuracy {s['answer_accuracy']:.1%} ({s['answered_right']}/{s['answerable']}), "
                 f"abstention {s['abstention_accuracy']:.1%} ({s['abstentions_right']}/{s['unanswerable']}), "
                 f"source recall@3 {s['recall_at_3']:.1%}, latency p50 {s['latency_ms_p50']} ms, "
                 f"p95 {s['latency_ms_p95']} ms")
    return "\n".join(lines)
