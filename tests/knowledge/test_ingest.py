"""HR uploads next year's notices as Markdown, TXT, DOCX or PDF; broken files are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import KNOWLEDGE_DIR
from knowledge.chunking import chunk_notice
from knowledge.ingest import IngestError, load_notice, read_text, save_notice

TXT = """关于做好2023年度余杭区建筑专业工程师资格评审工作的通知

一、时间安排
1. 网上个人申报。时间为 9 月 1 日至 20 日，逾期不再受理。
2. 用人单位审核。截止时间为 9 月 30 日。
"""


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with Helvetica text, offsets computed so that readers accept it."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_markdown_front_matter_is_kept() -> None:
    n = load_notice(KNOWLEDGE_DIR / "notices" / "zhejiang-water-senior-2022.md")
    assert n.id == "zhejiang-water-senior-2022"
    assert n.meta["source_file"] == "004_e629c79f3ec002e3.txt"
    assert n.meta["level"] == "高级工程师" and n.meta["year"] == 2022
    assert not n.body.lstrip().startswith("---")


def test_txt_without_front_matter_gets_guessed_metadata(tmp_path: Path) -> None:
    f = tmp_path / "yuhang-2023.txt"
    f.write_text(TXT, encoding="utf-8")
    n = load_notice(f)
    assert n.title.startswith("关于做好2023年度余杭区建筑专业")
    assert n.meta["year"] == 2023 and n.meta["region"] == "余杭区"
    assert n.meta["series"] == "建筑" and n.meta["level"] == "工程师"
    assert n.id == "yuhang-2023" and n.meta["source_file"] == "yuhang-2023.txt"
    # Flags win over guesses.
    n2 = load_notice(f, {"id": "yuhang-build-2023", "level": "高级工程师", "year": "2024"})
    assert n2.id == "yuhang-build-2023" and n2.meta["level"] == "高级工程师" and n2.meta["year"] == 2024
    assert n2.meta["plans"] == ["yuhang-build-2023"]


def test_gbk_txt_is_read(tmp_path: Path) -> None:
    f = tmp_path / "gbk.txt"
    f.write_bytes(TXT.encode("gb18030"))
    assert "网上个人申报" in load_notice(f).body


def test_docx_headings_paragraphs_and_tables(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("关于做好2023年度临平区制造业专业工程师资格评审工作的通知", level=0)
    d.add_heading("二、时间安排", level=1)
    d.add_paragraph("1. 网上个人申报。时间为 8 月 1 日至 15 日，逾期不再受理。")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "材料", "份数"
    table.cell(1, 0).text, table.cell(1, 1).text = "评审表", "1"
    f = tmp_path / "linping-2023.docx"
    d.save(str(f))
    n = load_notice(f)
    assert n.title == "关于做好2023年度临平区制造业专业工程师资格评审工作的通知"
    assert n.meta["year"] == 2023 and n.meta["region"] == "临平区" and n.meta["series"] == "制造业"
    assert "## 二、时间安排" in n.body
    assert "| 评审表 | 1 |" in n.body
    chunks = chunk_notice(n)
    online = next(c for c in chunks if "8 月 1 日" in c.text)
    assert online.section == "二、时间安排 › 1. 网上个人申报"
    assert any(c.text == "材料：评审表；份数：1。" for c in chunks)  # a row read with its column names


def test_pdf_text_is_read(tmp_path: Path) -> None:
    f = tmp_path / "notice.pdf"
    f.write_bytes(minimal_pdf("Online application from 1 August to 15 August 2023."))
    assert "Online application from 1 August" in read_text(f)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf", "无法读取 broken.pdf：文件已损坏或不是 PDF"),
    ("broken.docx", b"PK\x03\x04 not a zip", "无法读取 broken.docx"),
    ("empty.txt", b"", "无法读取 empty.txt：文件是空的"),
    ("blank.md", b"\n\n   \n", "无法读取 blank.md"),
    ("notice.xlsx", b"whatever", "不支持的文件类型"),
    ("bad-yaml.md", "---\nid: [unclosed\n---\n正文".encode(), "无法读取 bad-yaml.md"),
])
def test_unreadable_files_are_refused_by_name(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(IngestError) as exc:
        load_notice(f)
    assert message in str(exc.value)


def test_save_writes_normalised_markdown_that_reads_back(tmp_path: Path) -> None:
    src = tmp_path / "yuhang-2023.txt"
    src.write_text(TXT, encoding="utf-8")
    target = save_notice(load_notice(src), tmp_path / "notices")
    assert target.name == "yuhang-2023.md"
    again = load_notice(target)
    assert again.meta["year"] == 2023 and again.meta["region"] == "余杭区"
    assert "1. 网上个人申报" in again.body


def test_front_matter_null_is_not_replaced_by_a_guess() -> None:
    # The mining notice states no plan year; «2021 年» in its body is about continuing education.
    n = load_notice(KNOWLEDGE_DIR / "notices" / "zhejiang-mining-blasting-senior.md")
    assert n.meta["year"] is None
