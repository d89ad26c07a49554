"""Structure-aware chunking of Chinese notices.

Notices number their clauses 附件N → 一、 → （一） → 1. → （1）. Every paragraph becomes a
small chunk that carries its heading path («附件1 工程师资格申报条件 › 二、学历、资历要求 ›
（一）正常申报人员应符合以下要求»), so an answer can cite the clause, and a list item keeps
the sentence that introduces the list («…如果符合下列条件，对助理级职称不作要求：»).
Long paragraphs are split on sentence ends; tables stay whole.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from knowledge.ingest import Notice
from knowledge.lang.text import clean, split_sentences

SEP = " › "
MAX_CHARS = 320  # a paragraph longer than this is split into sentence windows
WINDOW_CHARS = 220
MIN_CHARS = 6  # «各有关单位：» and similar carry nothing
EMBED_CHARS = 160  # the dense side sees at most this much of a passage (cost grows with length)

_NUM = "一二三四五六七八九十"
_HEADINGS: list[tuple[int, re.Pattern[str]]] = [
    (0, re.compile(r"^附件\s*[0-9" + _NUM + r"]+")),
    (1, re.compile(r"^[" + _NUM + r"]{1,3}\s*、")),
    (2, re.compile(r"^[（(]\s*[" + _NUM + r"]{1,3}\s*[）)]")),
    (3, re.compile(r"^\d{1,2}\s*(?:[.．、](?!\d)|\s)")),
    (4, re.compile(r"^[（(]\s*\d{1,2}\s*[）)]")),
]
_LABEL_END = re.compile(r"[。：:；;，,！？]")
_DATE_LINE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
_SENTENCE_END = tuple("。：:；;！？!?）)」”")
# «个人中心 密码修改», «保存 返回首页»: button and menu labels copied from a screenshot, not a title.
_UI_LABELS = re.compile(r"[\u4e00-\u9fff]{2,6}(?:[ \t\u3000]+[\u4e00-\u9fff]{2,6})+")
SIGNATURE = "落款"  # section of the issuer-and-date line: it dates the notice, it answers nothing


@dataclass
class Chunk:
    id: str
    notice: str
    title: str
    section: str  # heading path, joined by SEP
    text: str  # the passage as the notice words it
    context: str = ""  # the sentence introducing the list this item belongs to
    order: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def index_text(self) -> str:
        """What BM25 and the embeddings see: the clause path gives short items their topic."""
        return "\n".join(p for p in (self.section, self.context, self.text) if p)

    @property
    def embed_text(self) -> str:
        """What the dense model sees: the nearest clause names and the passage (kept short: speed)."""
        flat = self.text.replace(" ", "")
        labels = [lb for lb in self.section.split(SEP)[-2:] if lb and lb.rstrip("…").replace(" ", "") not in flat]
        head = SEP.join(labels)
        text = f"{head}：{self.text}" if head else self.text
        return text[:EMBED_CHARS]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def heading_level(line: str) -> int | None:
    for level, pattern in _HEADINGS:
        if pattern.match(line):
            return level
    return None


def _strip_md(line: str) -> tuple[str, bool]:
    """Plain text of a Markdown line and whether it was a `#` heading."""
    is_heading = bool(re.match(r"^#{1,6}\s", line))
    line = re.sub(r"^#{1,6}\s+", "", line)
    line = re.sub(r"^[-*+]\s+(?=\S)", "", line)
    line = line.replace("**", "").replace("__", "")
    line = re.sub(r"<(https?://[^>]+)>", r"\1", line)
    return line.strip(), is_heading


def _label(text: str, limit: int = 24) -> str:
    m = _LABEL_END.search(text)
    head = text[: m.start()] if m else text
    head = head.strip()
    opened = max(head.rfind("（"), head.rfind("("))
    if opened > 0 and opened > max(head.rfind("）"), head.rfind(")")):
        head = head[:opened].strip()  # «…评价系统（网址» → «…评价系统»
    if len(head) > limit:  # an aside in brackets is the first thing to go
        head = re.sub(r"[（(][^（）()]*[）)]$", "", head).strip() or head
    return head if len(head) <= limit else head[:limit] + "…"


def _is_title(text: str) -> bool:
    """A short line without punctuation, e.g. «申报人员网上申报指引»: the title of a part."""
    if _UI_LABELS.fullmatch(text.strip()):
        return False
    return 2 <= len(text) <= 30 and not re.search(r"[。，、：；,:;！？!?|\t]", text) and bool(
        re.search(r"[\u4e00-\u9fff]{2}", text)) and not re.search(r"\d$", text)


def _blocks(body: str) -> list[tuple[str, str]]:
    """(kind, text) blocks: kind is 'table', 'heading' (a `#` line) or 'para'.

    Consecutive lines are joined when the first does not end a sentence (hard-wrapped TXT).
    """
    out: list[tuple[str, str]] = []
    prev_blank = True
    for raw in body.splitlines():
        line = raw.rstrip()
        if not line.strip():
            prev_blank = True
            continue
        if line.lstrip().startswith("|") or "\t" in line.strip():
            cells = line.strip()
            if out and out[-1][0] == "table" and not prev_blank:
                out[-1] = ("table", out[-1][1] + "\n" + cells)
            else:
                out.append(("table", cells))
            prev_blank = False
            continue
        text, is_heading = _strip_md(line)
        if not text:
            continue
        if (not prev_blank and not is_heading and out and out[-1][0] == "para"
                and not out[-1][1].endswith(_SENTENCE_END) and heading_level(text) is None
                and not _is_title(out[-1][1])):
            out[-1] = ("para", out[-1][1] + text)
        else:
            out.append(("heading" if is_heading else "para", text))
        prev_blank = False
    return out


def _windows(text: str) -> list[str]:
    if len(text) <= MAX_CHARS:
        return [text]
    parts: list[str] = []
    cur = ""
    for sent in split_sentences(text):
        if cur and len(cur) + len(sent) > WINDOW_CHARS:
            parts.append(cur)
            cur = ""
        cur += sent
    if cur:
        parts.append(cur)
    return parts


def chunk_notice(notice: Notice) -> list[Chunk]:
    meta = {k: notice.meta.get(k) for k in ("region", "series", "level", "year")}
    meta["plans"] = list(notice.meta.get("plans") or [notice.id])
    title_norm = re.sub(r"\s+", "", clean(notice.title))
    stack: list[tuple[int, str, str]] = []  # (level, label, full text of the heading block)
    chunks: list[Chunk] = []
    pending_attachment = False
    seen_content = False

    def emit(text: str, context: str = "") -> None:
        if len(re.sub(r"\s+", "", text)) < MIN_CHARS:
            return
        section = SEP.join(label for _, label, _ in stack)
        for part in _windows(text):
            digest = hashlib.sha1(f"{notice.id}|{section}|{len(chunks)}|{part}".encode()).hexdigest()[:12]
            chunks.append(Chunk(id=f"{notice.id}:{digest}", notice=notice.id, title=notice.title,
                                section=section, text=part, context=context, order=len(chunks), meta=meta))

    blocks = _blocks(notice.body)
    skip = False
    for pos, (kind, text) in enumerate(blocks):
        if skip:
            skip = False
            continue
        nxt = blocks[pos + 1][1] if pos + 1 < len(blocks) else ""
        signed = kind == "para" and _DATE_LINE.fullmatch(nxt) and _is_title(text)
        if signed or (kind == "para" and _DATE_LINE.fullmatch(text)):
            # The issuer's signature and date close the main text: they belong to no clause, and
            # are kept apart (section «落款») so a «when» question never gets them as its answer.
            stack = [(0, SIGNATURE, "")]
            emit(f"{text} {nxt}" if signed else text)
            stack = []
            skip = bool(signed)
            continue
        if kind == "table":
            pending_attachment = False
            emit(text)
            seen_content = True
            continue
        level = heading_level(text)
        if pending_attachment and level is None and _is_title(text):
            lvl, label, full = stack[-1]
            stack[-1] = (lvl, f"{label} {text}", full)
            pending_attachment = False
            continue
        pending_attachment = False
        if level == 0:
            m = _HEADINGS[0][1].match(text)
            assert m is not None
            rest = text[m.end():].strip(" ：:")
            label = re.sub(r"\s+", "", m.group(0)) + (f" {rest}" if rest else "")
            stack = [(0, label, text)]
            pending_attachment = not rest
            continue
        if level is None and (kind == "heading" or _is_title(text)):
            if not seen_content and not stack and re.sub(r"\s+", "", text) in title_norm + re.sub(r"\s+", "", notice.title):
                continue  # the notice's own title line
            if not seen_content and not stack and kind == "heading" and not chunks:
                continue  # a document title before any clause
            stack = [(0, text.strip(), text)]
            continue
        if level is None and _UI_LABELS.fullmatch(text):
            continue  # screenshot labels stay in the notice, but answer nothing
        if level is None:
            parent_text = stack[-1][2] if stack else ""
            emit(text, parent_text if parent_text.endswith(("：", ":")) and len(parent_text) <= 200 else "")
            seen_content = True
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        parent_text = stack[-1][2] if stack else ""
        label = _label(text)
        stack.append((level, label, text))
        body_part = text.strip()
        # A heading line («二、时间安排», «（一）上传证件照。») only names the clause.
        whole = _LABEL_END.split(text, maxsplit=1)[0]  # the clause name before any shortening
        longer = len(re.sub(r"[\s。：:]", "", body_part)) > len(re.sub(r"[\s。：:]", "", whole)) + 2
        sentence = kind == "para" and len(label) >= 10 and body_part.endswith(("。", "；", ";"))
        if longer or sentence:
            context = parent_text if parent_text.endswith(("：", ":")) and len(parent_text) <= 200 else ""
            emit(body_part, context)
            seen_content = True
    return chunks


def chunk_notices(notices: list[Notice]) -> list[Chunk]:
    out: list[Chunk] = []
    for n in notices:
        out.extend(chunk_notice(n))
    return out
