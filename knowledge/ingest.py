"""Read notices (Markdown with front matter, TXT, DOCX, PDF) into `Notice(meta, body)`.

HR uploads next year's notices as TXT/DOCX/PDF without front matter: their metadata is
guessed from the text (title, year, region, series, level) and can be overridden.
`save_notice` writes the normalised Markdown into the notices directory; the index is then
rebuilt from that directory, so the directory stays the one source of truth.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.lang.text import nfkc

log = logging.getLogger(__name__)

SUPPORTED = (".md", ".markdown", ".txt", ".docx", ".pdf")
META_KEYS = ("id", "title", "plans", "region", "region_aliases", "series", "series_aliases",
             "level", "year", "issuer", "source_file", "contacts")

# Places an applicant may name; the first one found in a title is the notice's region.
PLACES = (
    "临平区", "余杭区", "上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "钱塘区", "富阳区", "临安区",
    "桐庐县", "淳安县", "建德市", "杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市", "金华市",
    "衢州市", "舟山市", "台州市", "丽水市", "浙江省",
)
_SERIES = re.compile(r"([\u4e00-\u9fff/、]{2,12}?)(?:专业技术人员|专业|行业)(?:技术人员)?(?:高级)?工程师")
_YEAR = re.compile(r"(20\d{2})\s*年度?")


class IngestError(Exception):
    """A file that cannot become a notice; the message names the file and is shown to HR as is."""


@dataclass
class Notice:
    meta: dict[str, Any]
    body: str
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.meta["id"])

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.id)

    def to_markdown(self) -> str:
        meta = {k: self.meta.get(k) for k in META_KEYS if k in self.meta}
        meta.update({k: v for k, v in self.meta.items() if k not in meta})
        head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, default_flow_style=None).strip()
        return f"---\n{head}\n---\n\n{self.body.strip()}\n"


def parse_front_matter(text: str) -> tuple[dict[str, Any], str]:
    from knowledge.frontmatter import parse

    return parse(text)


# --- readers ---------------------------------------------------------------------------------------

def _read_text_file(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise IngestError(f"无法读取 {path.name}：文件编码无法识别（请另存为 UTF-8）")


def _docx_table(table: Any) -> str:
    rows = []
    for row in table.rows:
        cells = [" ".join(c.text.split()) .replace("|", "／") for c in row.cells]
        rows.append("| " + " | ".join(cells) + " |")
    if not rows:
        return ""
    width = rows[0].count("|") - 1
    return "\n".join([rows[0], "|" + " --- |" * width, *rows[1:]])


def _read_docx(path: Path) -> str:
    import docx
    from docx.document import Document as _Doc
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc: _Doc = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several types for broken zips
        raise IngestError(f"无法读取 {path.name}：文件已损坏或不是 Word（.docx）文档") from exc
    parts: list[str] = []
    # Walk the body in document order so tables stay where they were.
    for child in doc.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, doc)
            text = para.text.strip()
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            m = re.match(r"(?:Heading|标题)\s*(\d)", style)
            if style == "Title":
                parts.append(f"# {text}")
            elif m:
                parts.append("#" * min(int(m.group(1)) + 1, 6) + " " + text)
            else:
                parts.append(text)
        elif tag == "tbl":
            parts.append(_docx_table(Table(child, doc)))
    return "\n\n".join(p for p in parts if p)


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many error types for damaged files
        raise IngestError(f"无法读取 {path.name}：文件已损坏或不是 PDF") from exc
    return "\n\n".join(p.strip() for p in pages if p.strip())


def read_text(path: Path) -> str:
    """The raw text of a supported file (Markdown keeps its front matter)."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise IngestError(f"找不到文件 {path}")
    if suffix not in SUPPORTED:
        raise IngestError(f"无法读取 {path.name}：不支持的文件类型（支持 Markdown、TXT、DOCX、PDF）")
    if path.stat().st_size == 0:
        raise IngestError(f"无法读取 {path.name}：文件是空的")
    if suffix == ".docx":
        return _read_docx(path)
    if suffix == ".pdf":
        return _read_pdf(path)
    return _read_text_file(path)


# --- metadata inference ----------------------------------------------------------------------------

def _tidy_body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\[bookmark: [^\]]*\]", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _first_title(body: str) -> str:
    lines = [ln.strip().lstrip("#").strip().strip("*").strip() for ln in body.splitlines()]
    lines = [ln for ln in lines if ln]
    for i, line in enumerate(lines):
        if re.fullmatch(r"附件\s*[0-9一二三四五六七八九十]+[:：]?", line) and i + 1 < len(lines):
            return f"{lines[i + 1]}（{line.replace(' ', '')}）"
        return line[:80]
    return ""


def infer_meta(body: str, filename: str) -> dict[str, Any]:
    """Best guesses for a notice without front matter; every field can be overridden."""
    title = _first_title(body) or Path(filename).stem
    head = nfkc(title + "\n" + body[:1500])
    year_m = _YEAR.search(nfkc(title)) or _YEAR.search(head)
    region = next((p for p in PLACES if p in nfkc(title)), None) or next((p for p in PLACES if p in head), None)
    series_m = _SERIES.search(nfkc(title)) or _SERIES.search(re.sub(r"\s+", "", head))
    series = None
    if series_m:
        series = series_m.group(1)
        for p in (*PLACES, *(p[:-1] for p in PLACES)):
            series = series.split(p)[-1]
        series = re.sub(r"^(?:\d{4})?年度?", "", series).strip("/、") or None
    level = "高级工程师" if ("高级工程师" in head or "高工" in head) else "工程师"
    stem = Path(filename).stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    nid = slug if slug and re.search(r"[a-z]", slug) else "notice-" + hashlib.sha1(body.encode()).hexdigest()[:8]
    meta: dict[str, Any] = {
        "id": nid,
        "title": title,
        "plans": [nid],
        "region": region,
        "region_aliases": [region[:-1]] if region and len(region) > 2 else [],
        "series": series,
        "series_aliases": [],
        "level": level,
        "year": int(year_m.group(1)) if year_m else None,
        "issuer": None,
        "source_file": Path(filename).name,
        "contacts": [],
    }
    return meta


def load_notice(path: Path | str, overrides: dict[str, Any] | None = None) -> Notice:
    """Any supported file → Notice. Front matter wins over guesses; overrides win over both."""
    path = Path(path)
    text = read_text(path)
    meta: dict[str, Any] = {}
    body = text
    if path.suffix.lower() in (".md", ".markdown", ".txt") and text.lstrip().startswith("---"):
        try:
            meta, body = parse_front_matter(text)
        except Exception as exc:
            raise IngestError(f"无法读取 {path.name}：文件开头的 YAML 信息格式有误（{exc}）") from exc
    body = _tidy_body(body)
    if len(re.sub(r"\s+", "", body)) < 20:
        raise IngestError(f"无法读取 {path.name}：没有可用的正文（文件是空的，或是扫描图片）")
    guessed = infer_meta(body, path.name)
    # Front matter wins, even a deliberate `year: null`; guesses only fill keys it does not have.
    merged = {**guessed, **(meta or {})}
    for k, v in (overrides or {}).items():
        if v not in (None, ""):
            merged[k] = v
    if overrides and overrides.get("id") and not meta.get("plans"):
        merged["plans"] = [overrides["id"]]
    if merged.get("year") is not None:
        try:
            merged["year"] = int(merged["year"])
        except (TypeError, ValueError):
            merged["year"] = None
    for key in ("plans", "region_aliases", "series_aliases", "contacts"):
        if merged.get(key) is None:
            merged[key] = []
        elif isinstance(merged[key], str):
            merged[key] = [merged[key]]
    return Notice(meta=merged, body=body, path=path)


def load_dir(notices_dir: Path) -> list[Notice]:
    """Every Markdown notice in the directory, sorted by file name."""
    notices = [load_notice(p) for p in sorted(Path(notices_dir).glob("*.md"))]
    seen: dict[str, Path | None] = {}
    for n in notices:
        if n.id in seen:
            raise IngestError(f"通知 id 重复：{n.id}（{seen[n.id]} 与 {n.path}）")
        seen[n.id] = n.path
    return notices


def save_notice(notice: Notice, notices_dir: Path) -> Path:
    """Write (or replace) `<id>.md`; replacing keeps one file per notice id."""
    notices_dir = Path(notices_dir)
    notices_dir.mkdir(parents=True, exist_ok=True)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", notice.id):
        raise IngestError(f"通知 id「{notice.id}」只能包含字母、数字、点、下划线和连字符")
    target = notices_dir / f"{notice.id}.md"
    tmp = target.with_suffix(".md.tmp")
    tmp.write_text(notice.to_markdown(), encoding="utf-8")
    tmp.replace(target)
    return target


def notices_digest(notices_dir: Path) -> str:
    """Content hash of the notices directory: unchanged hash → the index is up to date."""
    h = hashlib.sha256()
    for p in sorted(Path(notices_dir).glob("*.md")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()
