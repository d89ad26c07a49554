"""The structure of a notice's text: headings (一、 → （一） → 1. → （1）), numbered lists with
the line that introduces them, and tables (tab-, ｜- or |-separated rows). Plain text and
the Markdown the ingester writes read the same. The plan drafter works on this, never on
phrases of one notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.lang.text import nfkc

SEP = " › "
_LEVELS = [  # level, pattern (plain text notices number their headings)
    (0, re.compile(r"^附件\s*\d+")),
    (1, re.compile(r"^[一二三四五六七八九十]+、")),
    (2, re.compile(r"^[（(]\s*[一二三四五六七八九十]+\s*[）)]")),
    (3, re.compile(r"^\d{1,2}\s*[.．、](?!\d)")),
    (4, re.compile(r"^[（(]\s*\d{1,2}\s*[）)]")),
]
_CELL_SPLIT = re.compile(r"\t+|\s*[｜|]\s*")


@dataclass
class Block:
    """One paragraph of the notice."""

    text: str  # as written, without Markdown marks
    path: list[str]  # titles of the headings above it (the clause it belongs to)
    level: int | None = None  # heading / list level when the paragraph is numbered
    number: int | None = None  # 1 for 「1.」「（一）」…
    lead: str = ""  # the sentence introducing the list this numbered item belongs to
    table: list[list[str]] | None = None  # rows of cells, header first
    notes: list[str] = field(default_factory=list)  # 注 lines under a table

    @property
    def where(self) -> str:
        return SEP.join(self.path) or "（正文）"


def title_of(line: str) -> str:
    """「（二）学历、资历条件。正常申报人员…」 → 「（二）学历、资历条件」: the first phrase names it."""
    s = line.strip()
    cut = re.search(r"[。：:]", s)
    if cut and cut.start() <= 30:
        s = s[: cut.start()]
    return re.sub(r"\s+", " ", s)[:40].strip()


def _number(level: int, line: str) -> int | None:
    m = re.match(r"^[（(]?\s*([一二三四五六七八九十\d]+)", line)
    if not m:
        return None
    raw = m.group(1)
    if raw.isdigit():
        return int(raw)
    digits = "一二三四五六七八九"
    if raw == "十":
        return 10
    if raw.startswith("十"):
        return 10 + digits.index(raw[1]) + 1
    if len(raw) == 1:
        return digits.index(raw) + 1
    return None


def _cells(line: str) -> list[str] | None:
    if "\t" not in line and "｜" not in line and not line.lstrip().startswith("|"):
        return None
    cells = [c.strip() for c in _CELL_SPLIT.split(line.strip().strip("|"))]
    if len(cells) < 2 or all(re.fullmatch(r"-{3,}|:?-+:?", c) for c in cells if c):
        return [] if cells and all(re.fullmatch(r":?-+:?", c) for c in cells if c) else None
    return cells


def parse(body: str) -> list[Block]:
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    lead = ""
    lead_level: int | None = None
    table: Block | None = None
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        md = re.match(r"^(#+)\s*", line)
        text = line[md.end():] if md else line
        text = text.strip("*").strip()
        cells = _cells(text)
        if cells is not None:
            if cells == []:  # a Markdown separator row
                continue
            if table is None:
                table = Block(text=text, path=[t for _, t in stack], table=[])
                blocks.append(table)
            else:
                table.text += "\n" + text
            assert table.table is not None
            table.table.append(cells)
            continue
        if table is not None and re.match(r"^注[：:]?|^\d\s*[.．]\s*\S", text) and not table.notes and \
                re.match(r"^注", text):
            table.notes.append(text)
            continue
        if table is not None and table.notes and re.match(r"^\d\s*[.．]", text):
            table.notes.append(text)
            continue
        table = None
        level = next((lv for lv, pat in _LEVELS if pat.match(nfkc(text))), None)
        if md and level is None and len(md.group(1)) > 1:
            level = len(md.group(1))
        if md and len(md.group(1)) == 1 and level is None:
            stack = []  # the document title
            blocks.append(Block(text=text, path=[]))
            continue
        if level is None:
            blocks.append(Block(text=text, path=[t for _, t in stack]))
            if re.search(r"[：:]\s*$", text):
                lead, lead_level = text, None
            continue
        number = _number(level, nfkc(text))
        parents = [(lv, t) for lv, t in stack if lv < level]
        # Only numbered items (1. / （1）) make a list under a lead-in; 一、 and （一） are sections.
        item_lead = lead if level >= 3 and (lead_level is None or lead_level == level) else ""
        blocks.append(Block(text=text, path=[t for _, t in parents], level=level, number=number,
                            lead=item_lead))
        if item_lead:
            lead_level = level
            stack = parents  # a list item is not a heading: what follows belongs to the list's clause
            continue
        stack = [*parents, (level, title_of(text))]
        if re.search(r"[：:]\s*$", text) or re.search(r"(?:下列|以下)[^。]{0,12}[：:]", text):
            lead, lead_level = text, None
        elif not item_lead:
            lead, lead_level = "", None
    return blocks


def lists(blocks: list[Block]) -> list[tuple[Block | None, list[Block]]]:
    """Numbered lists as (lead-in block, items): consecutive items that share a lead-in."""
    out: list[tuple[Block | None, list[Block]]] = []
    by_text = {b.text: b for b in blocks}
    for b in blocks:
        if not b.lead or b.number is None:
            continue
        if out and out[-1][1] and out[-1][1][-1].lead == b.lead and out[-1][1][-1].level == b.level:
            out[-1][1].append(b)
        else:
            out.append((by_text.get(b.lead), [b]))
    return out


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.findall(r"[^。；;！？\n]+[。；;！？]?", text) if s.strip()]
