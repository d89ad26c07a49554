"""Structure-aware chunking of Chinese notices.

Notices number their clauses 附件N → 一、 → （一） → 1. → （1）. Every paragraph becomes a
small chunk that carries its heading path («附件1 工程师资格申报条件 › 二、学历、资历要求 ›
（一）正常申报人员应符合以下要求»), so an answer can cite the clause, and a list item keeps
the sentence that introduces the list («…如果符合下列条件，对助理级职称不作要求：») and the
list it belongs to (`group`), so a question about the list gets all of it.
Headings are found by their numbering (or a Markdown `#`), never by line length: a short line
such as a document number («嘉环发〔2026〕23号») or a table caption is not a part title.
Tables (Markdown `|`, tab- or «｜»-separated text) become one chunk per row, each row read with
its column headers and under its caption («表1 …»); long paragraphs are split on sentence ends.
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
_WRAP_MIN = 24  # lines of a hard-wrapped paragraph are at least this long (all but its last)
_CAPTION = re.compile(r"^表\s*[0-9一二三四五六七八九十]+")
_CELL_SPLIT = re.compile(r"\s*[|｜\t]\s*")
_RULE_ROW = re.compile(r"^[\s|:：\-—｜]+$")
_DOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{1,8}〔\d{4}〕\d+号$")
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
    group: int = -1  # the list this chunk belongs to (its lead-in included): `order` where it starts; -1: none
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


def is_table_line(line: str) -> bool:
    """A Markdown table row, a tab-separated row, or a row of cells separated by «｜»."""
    text = line.strip()
    return text.startswith("|") or "\t" in text or text.count("｜") >= 2


def table_rows(table: str) -> list[str]:
    """Each data row as a sentence naming its columns: «学历（学位）：大学本科学历；取得…年限：4年。»
    A «序号» column and empty or «—» cells are left out; a table without a header row stays whole."""
    rows = [[c for c in _CELL_SPLIT.split(ln.strip().strip("|｜").strip())] for ln in table.splitlines()
            if ln.strip() and not _RULE_ROW.match(ln)]
    cells = [c.strip() for r in rows[1:] for c in r]
    if (len(rows) < 2 or any(c.strip().endswith((":", "：")) for c in rows[0])
            or sum(not c for c in cells) * 4 > len(cells)):
        # One line, a form («姓名: | | 性别: |») or a screenshot of sample records (a quarter of its
        # cells empty): no table of rules. It stays whole, and answers nothing (see `is_screenshot`).
        return [table]
    header = rows[0]
    out = []
    for cells in rows[1:]:
        parts = []
        for i, cell in enumerate(cells):
            name = header[i].strip() if i < len(header) else ""
            cell = cell.strip()
            if not cell or cell in ("—", "-", "/") or name in ("序号", "编号"):
                continue
            parts.append(f"{name}：{cell}" if name and name != cell else cell)
        if parts:
            out.append("；".join(parts) + "。")
    return out or [table]


def is_screenshot(chunk: Chunk) -> bool:
    """A table kept whole by `table_rows`: a form or sample records copied from a screen."""
    return is_table_line(chunk.text.splitlines()[0]) if chunk.text else False


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
    prev_line = ""
    for raw in body.splitlines():
        line = raw.rstrip()
        if not line.strip():
            prev_blank = True
            continue
        if is_table_line(line):
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
            # A hard-wrapped line is long and its continuation reads on («…，逾期不再受理。»); short
            # lines without punctuation are entries of their own («南湖分局 0573-82211406»).
            entry = len(prev_line) < _WRAP_MIN and not re.search(r"[，。；：,;:]", text)
            joint = "\n" if entry else ""
            out[-1] = ("para", out[-1][1] + joint + text)
        else:
            out.append(("heading" if is_heading else "para", text))
        prev_blank = False
        prev_line = text
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


def _is_lead_in(text: str) -> bool:
    """«…上传以下材料的扫描件（…）：»: a sentence that introduces the list after it."""
    return text.rstrip().endswith(("：", ":")) and len(text) <= 200


def chunk_notice(notice: Notice) -> list[Chunk]:
    meta = {k: notice.meta.get(k) for k in ("region", "series", "level", "year")}
    meta["plans"] = list(notice.meta.get("plans") or [notice.id])
    title_norm = re.sub(r"\s+", "", clean(notice.title))
    # (level, label, full text of the heading block, order of its chunk or -1)
    stack: list[tuple[int, str, str, int]] = []
    chunks: list[Chunk] = []
    pending_attachment = False
    seen_content = False
    caption = ""  # «表1 …» waiting for its table
    lead: tuple[str, int] | None = None  # an unnumbered paragraph ending in «：» and its chunk

    def emit(text: str, context: str = "", group: int = -1, extra_section: str = "") -> int:
        """Append the chunk(s) of a passage; returns the order of the first (-1 if nothing)."""
        if len(re.sub(r"\s+", "", text)) < MIN_CHARS:
            return -1
        section = SEP.join([*(label for _, label, _, _ in stack), *([extra_section] if extra_section else [])])
        first = len(chunks)
        for part in _windows(text):
            digest = hashlib.sha1(f"{notice.id}|{section}|{len(chunks)}|{part}".encode()).hexdigest()[:12]
            chunks.append(Chunk(id=f"{notice.id}:{digest}", notice=notice.id, title=notice.title,
                                section=section, text=part, context=context, order=len(chunks), meta=meta,
                                group=group))
        return first

    def parent_list() -> tuple[str, int]:
        """The lead-in this passage is an item of: the nearest heading ending in «：», else an
        unnumbered lead-in paragraph of the same clause."""
        if stack and _is_lead_in(stack[-1][2]):
            return stack[-1][2], stack[-1][3]
        if lead is not None:
            return lead
        return "", -1

    blocks = _blocks(notice.body)
    skip = False
    for pos, (kind, text) in enumerate(blocks):
        if skip:
            skip = False
            continue
        nxt = blocks[pos + 1][1] if pos + 1 < len(blocks) else ""
        nxt_kind = blocks[pos + 1][0] if pos + 1 < len(blocks) else ""
        signed = kind == "para" and _DATE_LINE.fullmatch(nxt) and _is_title(text)
        if signed or (kind == "para" and _DATE_LINE.fullmatch(text)):
            # The issuer's signature and date close the main text: they belong to no clause, and
            # are kept apart (section «落款») so a «when» question never gets them as its answer.
            stack = [(0, SIGNATURE, "", -1)]
            emit(f"{text} {nxt}" if signed else text)
            stack = []
            lead = None
            skip = bool(signed)
            continue
        if kind == "para" and _CAPTION.match(text) and nxt_kind == "table":
            caption = text.strip()  # «表1 学历资历要求» names the table below, not a part
            continue
        if kind == "table":
            pending_attachment = False
            label = _label(caption, 30) if caption else ""
            rows = table_rows(text)
            for row in rows:
                emit(row, caption, extra_section=label)
            caption = ""
            seen_content = True
            continue
        caption = ""
        level = heading_level(text)
        if pending_attachment and level is None and (_is_title(text) or kind == "heading"):
            lvl, label, full, order = stack[-1]
            stack[-1] = (lvl, f"{label} {text}", full, order)
            pending_attachment = False
            continue
        pending_attachment = False
        if level == 0:
            m = _HEADINGS[0][1].match(text)
            assert m is not None
            rest = text[m.end():].strip(" ：:")
            label = re.sub(r"\s+", "", m.group(0)) + (f" {rest}" if rest else "")
            stack = [(0, label, text, -1)]
            lead = None
            pending_attachment = not rest
            continue
        if level is None and kind == "heading":
            if not seen_content and not stack and re.sub(r"\s+", "", text) in title_norm + re.sub(r"\s+", "", notice.title):
                continue  # the notice's own title line
            if not seen_content and not stack and not chunks:
                continue  # a document title before any clause
            stack = [(0, text.strip(), text, -1)]
            lead = None
            continue
        if level is None and not chunks and not stack and re.sub(r"\s+", "", clean(text)) in title_norm:
            continue  # the notice's title line of a plain-text notice (no Markdown `#`)
        if level is None and _UI_LABELS.fullmatch(text):
            continue  # screenshot labels stay in the notice, but answer nothing
        if level is None:
            context, group = parent_list() if stack else ("", -1)
            order = emit(text, context, group)
            # (the salutation «各有关单位：» before the first clause introduces no list)
            if _is_lead_in(text) and order >= 0 and stack:
                lead = (text, order)
                chunks[order].group = order
            seen_content = True
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        lead = None
        context, group = parent_list()
        label = _label(text)
        body_part = text.strip()
        # A heading line («二、时间安排», «（一）上传证件照。») only names the clause.
        whole = _LABEL_END.split(text, maxsplit=1)[0]  # the clause name before any shortening
        longer = len(re.sub(r"[\s。：:]", "", body_part)) > len(re.sub(r"[\s。：:]", "", whole)) + 2
        sentence = kind == "para" and len(whole) >= 10 and body_part.endswith(("。", "；", ";"))
        # A numbered line nothing is nested under is a clause of its own, however short
        # («1. 公务员（含参照公务员法管理的机关〔单位〕工作人员）；»).
        nested = nxt_kind == "para" and (heading_level(nxt) is None or (heading_level(nxt) or 0) > level)
        leaf = kind == "para" and not nested and body_part.endswith(("。", "；", ";"))
        # A list is known by where it starts: its lead-in's chunk, or its first item's.
        stack.append((level, label, text, len(chunks) if _is_lead_in(text) else -1))
        if longer or sentence or leaf:
            order = emit(body_part, context, group)
            seen_content = True
            if _is_lead_in(text) and order >= 0:
                chunks[order].group = order
    return chunks


def chunk_notices(notices: list[Notice]) -> list[Chunk]:
    out: list[Chunk] = []
    for n in notices:
        out.extend(chunk_notice(n))
    return out
