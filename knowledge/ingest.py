"""Read notices (Markdown with front matter, TXT, DOCX, PDF) into `Notice(meta, body)`.

HR uploads next year's notices as TXT/DOCX/PDF without front matter: their metadata is
guessed from the text (title, year, region, series, level) and can be overridden.
`save_notice` writes the normalised Markdown into the notices directory; the index is then
rebuilt from that directory, so the directory stays the one source of truth.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
import sys
import zipfile
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


@dataclass(frozen=True)
class Limits:
    """Bounds on the work one uploaded file may cost (a 46 KB DOCX can hold 50,000 empty
    paragraphs): checked before parsing where the format allows, and the whole read runs in a
    child process with a time and memory limit (`read_text_bounded`)."""

    max_paragraphs: int = 5000
    max_chars: int = 300_000
    max_pages: int = 200
    timeout_s: float = 30.0
    memory_mb: int = 1024

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(max_paragraphs=settings.upload_max_paragraphs, max_chars=settings.upload_max_chars,
                   max_pages=settings.upload_max_pages, timeout_s=settings.upload_timeout_s)


_DOCX_XML_MAX = 64 * 1024 * 1024  # uncompressed document.xml; real notices are well under 2 MB
_DOCX_BLOCK = re.compile(rb"<w:(?:p|tr)[ >/]")  # a paragraph or a table row, not <w:pPr>


def _docx_precheck(path: Path, limits: Limits) -> None:
    """Count paragraphs and table rows in the raw XML, streaming, before python-docx builds objects."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("word/document.xml")
            if info.file_size > _DOCX_XML_MAX:
                raise IngestError(f"无法读取 {path.name}：文档内容过大（解压后 {info.file_size // (1024 * 1024)} MB），"
                                  "请确认上传的是通知正文")
            count, buf, read = 0, b"", 0
            with zf.open(info) as f:
                while chunk := f.read(1 << 20):
                    read += len(chunk)
                    if read > _DOCX_XML_MAX:
                        raise IngestError(f"无法读取 {path.name}：文档内容过大，请确认上传的是通知正文")
                    buf += chunk
                    # Tags starting in the last few bytes may continue in the next chunk: next round.
                    cut = len(buf) - 6
                    count += sum(1 for m in _DOCX_BLOCK.finditer(buf) if m.start() < cut)
                    buf = buf[cut:]
                    if count > limits.max_paragraphs:
                        break
            count += len(_DOCX_BLOCK.findall(buf)) if count <= limits.max_paragraphs else 0
            if count > limits.max_paragraphs:
                raise IngestError(
                    f"无法读取 {path.name}：文档段落过多（超过 {limits.max_paragraphs} 段）。一份评审通知通常只有几百段，"
                    "请确认上传的是通知正文，或删去多余的空段落后再上传。")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise IngestError(f"无法读取 {path.name}：文件已损坏或不是 Word（.docx）文档") from exc


def _read_docx(path: Path, limits: Limits | None = None) -> str:
    import docx
    from docx.document import Document as _Doc
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if limits is not None:
        _docx_precheck(path, limits)
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


def _read_pdf(path: Path, limits: Limits | None = None) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        n = len(reader.pages)
        if limits is not None and n > limits.max_pages:
            raise IngestError(f"无法读取 {path.name}：PDF 有 {n} 页，超过 {limits.max_pages} 页的上限，"
                              "请只上传通知正文和附件")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises many error types for damaged files
        raise IngestError(f"无法读取 {path.name}：文件已损坏或不是 PDF") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if n and len(re.sub(r"\s+", "", text)) < 20:
        raise IngestError(f"无法读取 {path.name}：这份 PDF 没有文字层（可能是扫描件或图片），无法提取正文。"
                          "请上传带文字的 PDF 或 Word 原件；只有扫描件时，请先做文字识别（OCR）再上传。")
    return text


def read_text(path: Path, limits: Limits | None = None) -> str:
    """The raw text of a supported file (Markdown keeps its front matter)."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise IngestError(f"找不到文件 {path}")
    if suffix not in SUPPORTED:
        raise IngestError(f"无法读取 {path.name}：不支持的文件类型（支持 Markdown、TXT、DOCX、PDF）")
    if path.stat().st_size == 0:
        raise IngestError(f"无法读取 {path.name}：文件是空的")
    if suffix == ".docx":
        text = _read_docx(path, limits)
    elif suffix == ".pdf":
        text = _read_pdf(path, limits)
    else:
        text = _read_text_file(path)
    if limits is not None:
        if len(text) > limits.max_chars:
            raise IngestError(f"无法读取 {path.name}：正文有 {len(text)} 个字符，超过 {limits.max_chars} 字的上限，"
                              "请确认上传的是通知正文")
        lines = text.count("\n") + 1
        if lines > limits.max_paragraphs * 2:
            raise IngestError(f"无法读取 {path.name}：正文有 {lines} 行，超过上限，请确认上传的是通知正文")
    return text


def read_text_bounded(path: Path, limits: Limits) -> str:
    """`read_text` in a child process: a file that would take longer than `limits.timeout_s`
    or more than `limits.memory_mb` is refused with a message, and never stalls the server."""
    cmd = [sys.executable, "-m", "knowledge.ingest", "read", str(path), json.dumps(limits.__dict__)]
    try:
        res = subprocess.run(cmd, capture_output=True, timeout=limits.timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise IngestError(f"无法读取 {path.name}：解析超过 {limits.timeout_s:g} 秒仍未完成，文件可能过于复杂或已损坏。"
                          "请另存为普通的 DOCX 或 PDF 后再上传。") from exc
    try:
        out = json.loads(res.stdout.decode("utf-8"))
    except ValueError as exc:
        log.warning("reading %s failed in the child: rc=%s %s", path.name, res.returncode,
                    res.stderr.decode("utf-8", "replace")[-500:])
        raise IngestError(f"无法读取 {path.name}：文件过于复杂（超过内存上限）或已损坏，请另存后再上传。") from exc
    if "error" in out:
        raise IngestError(out["error"])
    return str(out["text"])


def _child_main(argv: list[str]) -> int:
    """`python -m knowledge.ingest read PATH LIMITS_JSON`: one bounded read, JSON on stdout."""
    import resource

    limits = Limits(**json.loads(argv[2]))
    mem = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(limits.timeout_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        out: dict[str, str] = {"text": read_text(Path(argv[1]), limits)}
    except IngestError as exc:
        out = {"error": str(exc)}
    except MemoryError:
        out = {"error": f"无法读取 {Path(argv[1]).name}：文件过于复杂（超过内存上限），请另存后再上传。"}
    sys.stdout.write(json.dumps(out, ensure_ascii=False))
    return 0


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


_LEVEL_IN_TITLE = re.compile(r"(?:正高级|高级|中级)?工程师")
# The series sits between the place (or the year) and the level in a notice's title:
# 「2024年度宁波市轻工（食品）专业高级工程师…」 → 轻工（食品）.
_SERIES_IN_TITLE = re.compile(
    r"(?P<s>[\u4e00-\u9fff（）()、/]{2,20}?)(?:专业技术人员|专业|行业|系列)?(?:技术人员)?(?:正高级|高级|中级)?工程师")
_PHONE = re.compile(r"(?<!\d)(?:0\d{2,3}-?\d{7,8}|1[3-9]\d{9})(?!\d)")
_DATE_LINE = re.compile(r"^\s*20\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")
_ORG_END = ("局", "厅", "委员会", "办公室", "政府", "中心", "协会", "学会", "部", "委")
_LIST_SEP = re.compile(r"[、，,；;]|以及|和|及")


def _series_from_title(title: str, region: str | None) -> str | None:
    t = nfkc(title)
    cut = 0
    for m in (_YEAR.search(t), re.search(re.escape(region), t) if region else None):
        if m:
            cut = max(cut, m.end())
    # Districts and cities named inside the title are part of the place, not of the series.
    rest = t[cut:]
    for place in PLACES:
        if rest.startswith(place):
            rest = rest[len(place):]
    m = _SERIES_IN_TITLE.search(rest)
    if not m:
        return None
    series = re.sub(r"^(?:关于|做好|开展|组织|印发)+", "", m.group("s")).strip("（(、/")
    series = series.replace("(", "（").replace(")", "）")
    return series or None


def _scope_section(body: str) -> str:
    """The text of the section headed 「…范围」/「…对象」 (else the opening of the notice)."""
    lines = body.splitlines()
    top = re.compile(r"^\s*#*\s*[一二三四五六七八九十]+、")
    for i, line in enumerate(lines):
        if top.match(line) and re.search(r"范围|对象", line):
            end = next((j for j in range(i + 1, len(lines)) if top.match(lines[j])), len(lines))
            return "\n".join(lines[i:end])
    return body[:1500]


def _scope_items(body: str) -> list[str]:
    """Specialties a notice enumerates in its scope («从事A、B、C等…», «评审专业包括：A、B、C»);
    sentences that send people elsewhere («…应申报建设工程专业», «不纳入») are not the scope."""
    out: list[str] = []
    for sentence in re.split(r"[。；;\n]", _scope_section(body)):
        if re.search(r"不纳入|不属于|不在|应申报|不得|不予", sentence):
            continue
        for m in re.finditer(r"(?:从事|评审专业包括[：:]?|专业包括[：:]?)(.{4,200})", sentence):
            text = re.sub(r"[（(][^）)]*[）)]", "", m.group(1))
            text = re.split(r"等|的(?:在职)?专业技术|工程技术及|技术工作", text)[0]
            for part in re.split(r"[、，,]", text):
                part = part.strip(" ：:")
                if 2 <= len(part) <= 12 and re.fullmatch(r"[\u4e00-\u9fff]+", part):
                    out.append(part)
    return list(dict.fromkeys(out))[:30]


def series_aliases(series: str | None, body: str) -> list[str]:
    """Other words an applicant may use for the series: its parts (轻工（食品） → 轻工, 食品),
    the series without a generic 「工程」 tail, and the specialties the scope enumerates."""
    if not series:
        return []
    out = [p for p in re.split(r"[（）()、/]", series) if len(p) >= 2 and p != series]
    if series.endswith("工程") and len(series) >= 4:
        out.append(series[:-2])
    out += _scope_items(body)
    return [a for a in dict.fromkeys(out) if a != series]


def infer_issuer(body: str) -> str | None:
    """The signature line above the last full date: 「宁波市人力资源和社会保障局　　宁波市经济和信息化局」."""
    lines = [ln.strip() for ln in body.splitlines()]
    dates = [i for i, ln in enumerate(lines) if _DATE_LINE.match(nfkc(ln))]
    for i in reversed(dates):
        prev = next((lines[j] for j in range(i - 1, max(-1, i - 4), -1) if lines[j]), "")
        parts = [p for p in re.split(r"[\s\u3000]+", prev) if p]
        if parts and all(p.endswith(_ORG_END) and len(p) <= 30 for p in parts):
            return "、".join(parts)
    return None


def infer_contacts(body: str) -> list[dict[str, str]]:
    """«<机构>，联系人：张三、李四，联系电话：0571-1、0571-2，地址：…» lines, and «<机构> 0573-…» lists
    under a lead-in naming 电话; names and phones are paired in order."""
    out: list[dict[str, str]] = []
    lines = [ln.strip() for ln in body.splitlines()]
    in_list = False
    for line in lines:
        phones = _PHONE.findall(line)
        if not line:
            continue
        if "联系人" in line and phones:
            in_list = False
            org = re.split(r"[，,]?\s*联系人", line)[0].strip(" ，,：:;；")
            names_m = re.search(r"联系人[：:]\s*([^，,；;：:\d]+)", line)
            names = [n.strip() for n in re.split(r"[、/]", names_m.group(1))] if names_m else []
            addr_m = re.search(r"地址[：:]\s*([^；;。]+)", line)
            for k, phone in enumerate(phones):
                c: dict[str, str] = {}
                name = names[k] if k < len(names) else (names[-1] if names else "")
                if name:
                    c["name"] = name
                c["phone"] = phone
                if org and not org.startswith("联系"):
                    c["org"] = org
                if addr_m:
                    c["address"] = addr_m.group(1).strip()
                out.append(c)
            continue
        if re.search(r"电话[：:]?$", line):
            in_list = True
            continue
        if in_list and len(phones) == 1:
            org = line.replace(phones[0], "").strip(" ：:，,；;")
            if org and len(org) <= 30 and not re.search(r"[。；;]", org):
                out.append({"org": org, "phone": phones[0]})
                continue
        in_list = in_list and bool(phones)
    seen: set[str] = set()
    unique = []
    for c in out:
        if c["phone"] not in seen:
            seen.add(c["phone"])
            unique.append(c)
    return unique


def infer_meta(body: str, filename: str) -> dict[str, Any]:
    """Best guesses for a notice without front matter; every field can be overridden."""
    title = _first_title(body) or Path(filename).stem
    head = nfkc(title + "\n" + body[:1500])
    year_m = _YEAR.search(nfkc(title)) or _YEAR.search(head)
    region = next((p for p in PLACES if p in nfkc(title)), None) or next((p for p in PLACES if p in head), None)
    series = _series_from_title(title, region)
    if series is None:
        series_m = _SERIES.search(re.sub(r"\s+", "", head))
        if series_m:
            series = series_m.group(1)
            for p in (*PLACES, *(p[:-1] for p in PLACES)):
                series = series.split(p)[-1]
            series = re.sub(r"^(?:\d{4})?年度?", "", series).strip("/、") or None
    # The title names the level; the body may cite other levels' documents.
    level_m = _LEVEL_IN_TITLE.search(nfkc(title))
    level_text = level_m.group(0) if level_m else head
    level = "高级工程师" if ("高级工程师" in level_text or "高工" in level_text) else "工程师"
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
        "series_aliases": series_aliases(series, body),
        "level": level,
        "year": int(year_m.group(1)) if year_m else None,
        "issuer": infer_issuer(body),
        "source_file": Path(filename).name,
        "contacts": infer_contacts(body),
    }
    return meta


_NOTICE_WORDS = re.compile(r"职称|任职资格|评审|评价")


def notice_problem(body: str, name: str) -> str | None:
    """Why a readable file is not a title-review notice (None when it looks like one): a notice
    speaks of 职称/任职资格/评审 and of 工程师, and has a title line."""
    flat = nfkc(body)
    if not _NOTICE_WORDS.search(flat) or "工程师" not in flat:
        return (f"{name} 看起来不是职称评审通知：正文中没有“职称”“任职资格”“评审”和“工程师”等字样。"
                "请确认上传的是评审通知的正文（DOCX、PDF、TXT 或 Markdown）。")
    return None


def load_notice(path: Path | str, overrides: dict[str, Any] | None = None, limits: Limits | None = None,
                name: str | None = None) -> Notice:
    """Any supported file → Notice. Front matter wins over guesses; overrides win over both.
    With `limits` (uploads), the file is read in a bounded child process. `name`: the file
    name to show and record when `path` is a temporary copy."""
    path = Path(path)
    text = read_text_bounded(path, limits) if limits is not None else read_text(path)
    shown = name or path.name
    meta: dict[str, Any] = {}
    body = text
    if path.suffix.lower() in (".md", ".markdown", ".txt") and text.lstrip().startswith("---"):
        try:
            meta, body = parse_front_matter(text)
        except Exception as exc:
            raise IngestError(f"无法读取 {shown}：文件开头的 YAML 信息格式有误（{exc}）") from exc
    body = _tidy_body(body)
    if len(re.sub(r"\s+", "", body)) < 20:
        raise IngestError(f"无法读取 {shown}：没有可用的正文（文件是空的，或是扫描图片）")
    guessed = infer_meta(body, shown)
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


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "read":
        sys.exit(_child_main(sys.argv[1:]))
    sys.exit("usage: python -m knowledge.ingest read PATH LIMITS_JSON")
