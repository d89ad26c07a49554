"""The notice files: front matter, clean Markdown with a faithful heading tree, the official wording kept.

Heading convention (what the chunker relies on): `#` notice title or 附件N (an unnumbered part: `#` or `##`), `##` 一、, `###` （一）,
`####` 1. and `#####` （1） — the last two only where the item heads a block of text.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path

import jieba
import pytest

from knowledge.frontmatter import parse

ROOT = Path(__file__).resolve().parents[2]
NOTICES_DIR = ROOT / "knowledge" / "notices"
DICT_DIR = ROOT / "knowledge" / "lang" / "dict"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
NOTICE_FILES = sorted(NOTICES_DIR.glob("*.md"))

EXPECTED_IDS = {
    "hangzhou-chemical-textile-senior-2022",
    "hangzhou-construction-engineer-2024",
    "zhejiang-mining-blasting-senior",
    "linping-manufacturing-engineer-2022",
    "zhejiang-water-senior-2022",
}
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
# Chinese structure marker -> Markdown heading level
LEVEL_BY_MARKER = [
    (re.compile(r"^附件\s*\d+"), 1),
    (re.compile(r"^[一二三四五六七八九十]+、"), 2),
    (re.compile(r"^[（(]\s*[一二三四五六七八九十]+\s*[）)]"), 3),
    (re.compile(r"^\d+\s*[.、]"), 4),
    (re.compile(r"^[（(]\s*\d+\s*[）)]"), 5),
]
LINPING_FACTS = [
    "8月1日至15日",
    "8月26日",
    "86106880",
    "265号市民之家721办公室",
    "45学分",
    "杭人社发〔2022〕46号",
]
FILLER_WORDS = {"的", "了", "吗", "呢", "怎么", "什么", "哪些", "请问", "我", "我们", "是", "在", "有", "要"}
# words that carry what the question asks (how many, when, where, negation) must stay searchable
INTENT_WORDS = {"多少", "几", "几年", "截止", "时间", "哪里", "不", "没有", "以上", "以内", "不得"}
DEBRIS = ["[bookmark", "_GoBack", "<input", "](#)", "\\*"]


def _load(path: Path) -> tuple[dict, str]:
    return parse(path.read_text(encoding="utf-8"))


def _headings(body: str) -> list[tuple[int, str]]:
    return [(len(m.group(1)), m.group(2)) for line in body.splitlines() if (m := HEADING.match(line))]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _wording(text: str) -> str:
    """Text with Markdown syntax and whitespace removed, so seed and notice compare character by character."""
    lines = []
    for line in text.splitlines():
        if re.fullmatch(r"\s*\|?(\s*:?-{3,}:?\s*\|)+\s*", line):  # table separator row
            continue
        line = re.sub(r"^\s*#{1,6}\s*", "", line)
        line = re.sub(r"^\s*-\s+", "", line)
        lines.append(line)
    text = "\n".join(lines).replace("**", "").replace("|", "").replace("\\*", "*")
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    return re.sub(r"\s+", "", text)


def _is_debris(removed: str, seed: str, start: int) -> bool:
    """Removals allowed between seed and notice: converter artefacts, or a character the converter doubled."""
    if re.fullmatch(r'(\[bookmark:_GoBack\]|<inputtype="text"/>|\[|\]\(#\))+', removed):
        return True
    doubled = seed[start - 1 : start] == removed or seed[start + 1 : start + 2] == removed
    return len(removed) == 1 and "\u4e00" <= removed <= "\u9fff" and doubled


@pytest.fixture(scope="module")
def notices() -> dict[str, tuple[dict, str]]:
    loaded = {}
    for path in NOTICE_FILES:
        meta, body = _load(path)
        loaded[path.stem] = (meta, body)
    return loaded


@pytest.fixture(scope="module")
def userdict_terms() -> list[str]:
    return [
        line.split()[0]
        for line in (DICT_DIR / "zhicheng_userdict.txt").read_text(encoding="utf-8").splitlines()
    ]


@pytest.fixture(scope="module")
def tokenizer() -> jieba.Tokenizer:
    tk = jieba.Tokenizer()
    tk.load_userdict(str(DICT_DIR / "zhicheng_userdict.txt"))
    return tk


def test_the_five_seed_notices_are_present(notices: dict) -> None:
    assert set(notices) >= EXPECTED_IDS
    ids = [meta["id"] for meta, _ in notices.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", NOTICE_FILES, ids=lambda p: p.stem)
def test_front_matter_is_complete_and_typed(path: Path) -> None:
    meta, body = _load(path)
    assert meta["id"] == path.stem
    for key in ("title", "region", "series", "source_file"):
        assert isinstance(meta[key], str) and meta[key].strip(), key
    assert isinstance(meta["plans"], list) and meta["plans"]
    assert all(isinstance(p, str) and p for p in meta["plans"])
    assert meta["level"] in {"工程师", "高级工程师"}
    assert meta["year"] is None or (type(meta["year"]) is int and 2000 <= meta["year"] <= 2100)
    assert meta["issuer"] is None or (isinstance(meta["issuer"], str) and meta["issuer"].strip())
    for key in ("region_aliases", "series_aliases"):
        assert all(isinstance(a, str) and a for a in meta.get(key, [])), key
    assert isinstance(meta["contacts"], list)
    for contact in meta["contacts"]:
        assert isinstance(contact["name"], str) and contact["name"]
        assert isinstance(contact["phone"], str) and re.fullmatch(r"[\d-]{5,}", contact["phone"])
        assert contact["phone"] in body, "a contact's phone must be quoted from the notice"
    if meta["year"] is not None:
        assert str(meta["year"]) in _squash(body), "year must be stated in the notice"
    assert body.strip()


@pytest.mark.parametrize("path", NOTICE_FILES, ids=lambda p: p.stem)
def test_no_conversion_debris_left(path: Path) -> None:
    _, body = _load(path)
    for marker in DEBRIS:
        assert marker not in body, marker
    assert "**" not in body
    assert "\n\n\n" not in body


@pytest.mark.parametrize("path", NOTICE_FILES, ids=lambda p: p.stem)
def test_heading_levels_follow_the_chinese_structure(path: Path) -> None:
    _, body = _load(path)
    headings = _headings(body)
    assert headings and headings[0][0] == 1, "a notice starts with its title or 附件 heading"
    for level, text in headings:
        assert text, "empty heading"
        expected = next(({lvl} for pattern, lvl in LEVEL_BY_MARKER if pattern.match(text)), {1, 2})
        assert level in expected, f"{'#' * level} {text}: expected level {expected}"


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="../shared/seeds not available")
@pytest.mark.parametrize("path", NOTICE_FILES, ids=lambda p: p.stem)
def test_source_file_exists_and_every_attachment_heading_survives(path: Path) -> None:
    meta, body = _load(path)
    seed_path = SEEDS_DIR / meta["source_file"]
    assert seed_path.is_file()
    seed = seed_path.read_text(encoding="utf-8")
    seed_attachments = {
        re.sub(r"\s+", "", m.group(1)) for m in re.finditer(r"^[#\s]*(附件\s*\d+)\s*$", seed, re.M)
    }
    heading_attachments = {
        re.sub(r"\s+", "", m.group(0)) for _, text in _headings(body) if (m := re.match(r"附件\s*\d+", text))
    }
    assert seed_attachments <= heading_attachments


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="../shared/seeds not available")
@pytest.mark.parametrize("path", NOTICE_FILES, ids=lambda p: p.stem)
def test_official_wording_is_kept_character_for_character(path: Path) -> None:
    meta, body = _load(path)
    seed = _wording((SEEDS_DIR / meta["source_file"]).read_text(encoding="utf-8"))
    ours = _wording(body)
    matcher = difflib.SequenceMatcher(None, seed, ours, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        assert op == "delete", f"{op}: {seed[i1:i2]!r} -> {ours[j1:j2]!r}"
        assert _is_debris(seed[i1:i2], seed, i1), f"removed official text: {seed[i1:i2]!r}"


def test_key_facts_survive(notices: dict) -> None:
    linping = _squash(notices["linping-manufacturing-engineer-2022"][1])
    for fact in LINPING_FACTS:
        assert fact in linping, fact
    assert "个人人事档案" in linping and "个人人人事档案" not in linping
    assert "400-027-0009" in notices["zhejiang-water-senior-2022"][1]
    assert "http://zcps.bosafe.com/ZCPS" in notices["zhejiang-water-senior-2022"][1]
    assert "2022年8月20日" in notices["hangzhou-chemical-textile-senior-2022"][1]
    assert "https://www.chsi.com.cn/" in notices["hangzhou-construction-engineer-2024"][1]
    assert "自评分须80分以上" in _squash(notices["zhejiang-mining-blasting-senior"][1])


def test_words_broken_across_lines_are_joined(notices: dict) -> None:
    bodies = {k: _squash(b) for k, (_, b) in notices.items()}
    assert "相应专业中级职称" in bodies["linping-manufacturing-engineer-2022"]
    assert "“高级职称评审”" in bodies["zhejiang-water-senior-2022"]
    assert "应在核定的专业技术岗位" in bodies["zhejiang-mining-blasting-senior"]
    # no paragraph ends inside a word: a CJK character, a blank line, then a CJK continuation
    for key, (_, body) in notices.items():
        assert not re.search(r"[个监自认专如处]\n\n[人督动定业上加]", body), key


def test_the_markdown_table_keeps_its_columns(notices: dict) -> None:
    body = notices["zhejiang-water-senior-2022"][1]
    rows = [line for line in body.splitlines() if line.startswith("| 1 |")]
    assert len(rows) == 1
    assert [c.strip() for c in rows[0].strip("|").split("|")][-3:] == ["60.50", "合格", "省水利厅直属单位"]


# --- front matter parser ---------------------------------------------------------------------


def test_parse_returns_meta_and_body() -> None:
    meta, body = parse("\ufeff---\nid: x\nyear: 2022\n---\n\n# 标题\n正文\n")
    assert meta == {"id": "x", "year": 2022}
    assert body == "# 标题\n正文\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# 标题\n正文", "第一行"),
        ("", "第一行"),
        ("---\nid: x\n# 标题", "没有结束"),
        ("---\nid: [x\n---\n正文", "格式错误"),
        ("---\n---\n正文", "为空"),
        ("---\n- a\n- b\n---\n正文", "键值映射"),
    ],
)
def test_parse_rejects_bad_front_matter_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(text)


# --- jieba user dictionary and stop words ----------------------------------------------------


def test_userdict_lines_are_in_jieba_format() -> None:
    lines = (DICT_DIR / "zhicheng_userdict.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 150
    words = []
    for line in lines:
        assert re.fullmatch(r"\S+ [1-9]\d* [a-z]+", line), line
        words.append(line.split()[0])
    assert len(words) == len(set(words))


def test_userdict_terms_come_from_the_notices(notices: dict, userdict_terms: list[str]) -> None:
    corpus = "".join(_squash(body) for _, body in notices.values())
    assert [t for t in userdict_terms if _squash(t) not in corpus] == []


def test_jieba_keeps_domain_terms_whole(tokenizer: jieba.Tokenizer, userdict_terms: list[str]) -> None:
    assert [t for t in userdict_terms if tokenizer.lcut(t) != [t]] == []
    tokens = tokenizer.lcut("我是本科，助理工程师聘了几年才能正常申报制造业工程师？中评委公示期多少天")
    for term in ("助理工程师", "正常申报", "制造业", "中评委", "公示期"):
        assert term in tokens


def test_stopwords_drop_filler_but_keep_question_intent(userdict_terms: list[str]) -> None:
    stop = set((DICT_DIR / "stopwords.txt").read_text(encoding="utf-8").split())
    assert stop >= FILLER_WORDS
    assert not stop & INTENT_WORDS
    assert not stop & set(userdict_terms)
