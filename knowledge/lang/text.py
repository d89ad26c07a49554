"""Chinese text helpers shared by chunking, indexing, retrieval and answering.

One tokenizer for the whole knowledge base: jieba in precise mode (search mode adds
sub-word noise) with the 职称 user dictionary and stop words from `knowledge/lang/dict/`.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from pathlib import Path

log = logging.getLogger(__name__)

DICT_DIR = Path(__file__).resolve().parent / "dict"
USER_DICT = DICT_DIR / "zhicheng_userdict.txt"
STOPWORDS = DICT_DIR / "stopwords.txt"

CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_SPACE_BETWEEN = re.compile(r"(?<=[\u3400-\u9fff\d])[ \t\u3000]+(?=[\u3400-\u9fff\d])")
_SENT_END = re.compile(r"(?<=[。！？；!?;])")
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)

# Colloquial forms applicants type → the wording the notices use (both sides are indexed).
SYNONYMS: dict[str, str] = {
    "高工": "高级工程师",
    "助工": "助理工程师",
    "中工": "工程师",
    "社保": "社会保险",
    "硕士": "研究生",
    "博士": "研究生",
    "评职称": "职称评审",
    "交费": "缴费",
    "缴纳": "缴费",
    "照片": "证件照",
    "相片": "证件照",
    "电话": "联系电话",
    "密码": "初始密码",
    "交": "缴",
    "报名": "申报",
    "报": "申报",
    "大专": "专科",
    "干": "从事",
    "干满": "从事",
    "上班": "工作",
    "评上": "取得",
    "寄": "邮寄",
    "签": "签署",
    "国企": "国有",
    "央企": "中央企业",
    "电脑": "电脑端",
}

# Words the notices use interchangeably with the applicant's: a passage holding any member of
# a group holds the question's word («不能评» ← «不予评审», «纸质材料» ← «书面材料»).
EQUIVALENTS: tuple[frozenset[str], ...] = (
    frozenset({"不能", "不可以", "不予", "不得", "不允许", "不可"}),
    frozenset({"纸质材料", "书面材料", "纸质版"}),
    frozenset({"邮寄", "寄送", "寄至", "寄往", "快递"}),
    frozenset({"打印", "导出"}),  # the 评审表 is exported from the platform to be printed
    frozenset({"寄到", "送到", "交到", "报送", "送至", "寄送", "寄至", "邮寄到", "递交"}),  # where it goes
)
EQUIVALENT_OF: dict[str, frozenset[str]] = {
    w: frozenset().union(*(g for g in EQUIVALENTS if w in g)) for g in EQUIVALENTS for w in g}

# Notice words jieba splits apart («一式|两份» is how the notices count copies).
EXTRA_WORDS = ("一式",)

# Question words carry no topic: they must not count as evidence for or against a passage.
QUESTION_WORDS = frozenset(
    ["什么", "怎么", "怎样", "怎么样", "如何", "多少", "几", "几个", "几年", "几号", "几项", "几份", "哪", "哪里", "哪儿", "哪些", "哪个", "哪天", "哪一级", "吗", "呢", "吧", "啊", "是否", "能否", "可否", "可以", "能", "能不能", "会", "要", "需要", "需", "请问", "请", "我", "我们", "你", "你们", "本人", "的", "了", "是", "有", "没有", "在", "和", "与", "或", "还", "到", "从", "给", "谁", "时候", "多长", "多久", "多长时间", "哪一天", "哪天", "哪一日", "几月几号", "为止", "为什么", "咨询", "一下", "知道", "告诉", "问", "想", "认不认", "算", "能够", "得", "该", "最多", "最少", "最长", "最短", "最早", "最晚", "至少", "最多能", "最少要", "几级", "哪级", "一级", "什么样", "有什么", "有哪些", "是什么", "要不要", "需不需要", "可不可以", "行不行", "算不算", "会不会", "还要", "额外", "具体", "一般", "现在", "已经", "怎么弄", "怎么办", "咋", "咋办", "啥", "规定", "要求", "情况", "问题", "东西", "方面", "相关", "有关", "办理", "处理", "怎么处理", "能不能够", "必须", "应该"]
)
_TRAILING = re.compile(r"(?:能|吗|呢|啊|呀|吧|了|的)$")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def clean(text: str) -> str:
    """NFKC, and no spaces between Chinese characters or digits («8 月 1 日» → «8月1日»)."""
    return _SPACE_BETWEEN.sub("", nfkc(text))


def compact(text: str) -> str:
    """The form answers are compared in: NFKC with every space removed."""
    return re.sub(r"\s+", "", nfkc(text))


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))


def split_sentences(text: str) -> list[str]:
    """Sentence-aligned pieces; a piece ends at 。！？； (kept)."""
    out = []
    for line in text.splitlines():
        for part in _SENT_END.split(line):
            if part.strip():
                out.append(part.strip())
    return out


def _read_words(path: Path) -> set[str]:
    if not path.exists():
        log.warning("word list %s missing; continuing without it", path)
        return set()
    return {w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip() and not w.startswith("#")}


class Tokenizer:
    """jieba with the 职称 user dictionary; tokens are lower-case, without stop words or punctuation."""

    def __init__(self, user_dict: Path = USER_DICT, stopwords: Path = STOPWORDS) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        if user_dict.exists():
            self._jieba.load_userdict(str(user_dict))
        else:
            log.warning("user dictionary %s missing", user_dict)
        for word in (*SYNONYMS, *SYNONYMS.values(), *EXTRA_WORDS):
            self._jieba.add_word(word)
        self.stopwords = _read_words(stopwords)

    def words(self, text: str) -> list[str]:
        """All segmented words (lower-case), punctuation dropped; stop words kept."""
        return [w for w in (t.strip().lower() for t in self._jieba.lcut(clean(text))) if w and not _PUNCT.match(w)]

    def tokens(self, text: str) -> list[str]:
        """Index/query tokens: words minus stop words, plus the notice wording of colloquial synonyms."""
        out: list[str] = []
        for w in self.words(text):
            if w in self.stopwords:
                continue
            out.append(w)
            if w in SYNONYMS:
                out.append(SYNONYMS[w])
        return out

    def index_terms(self, text: str) -> list[str]:
        """BM25 terms of a passage: words plus overlapping character bigrams («#截止»), so a
        question segmented differently from the notice («单位审核» vs «用人单位|审核») still matches."""
        terms = self.tokens(text)
        for run in _CJK_RUN.findall(clean(text)):
            terms.extend("#" + run[i:i + 2] for i in range(len(run) - 1))
        return terms

    def query_terms(self, text: str) -> list[str]:
        """BM25 terms of a question: its words, plus bigrams of its content words only
        (question words such as «几号» must not pull in passages)."""
        terms = self.tokens(text)
        for word in self.content_words(text):
            if _CJK_RUN.fullmatch(word):
                terms.extend("#" + word[i:i + 2] for i in range(len(word) - 1))
        return terms

    def content_words(self, text: str) -> list[str]:
        """Words that say what a question is about: no question words («最多能», «几号»), no single
        characters except digits and colloquial verbs with a notice form («交» → «缴纳»)."""
        out: list[str] = []
        for w in self.words(text):
            if w in self.stopwords and w not in SYNONYMS:
                continue
            w2 = _TRAILING.sub("", w) if len(w) > 2 else w
            if w in QUESTION_WORDS or w2 in QUESTION_WORDS:
                continue
            if len(w2) == 1 and not w2.isdigit():
                if w2 in SYNONYMS:
                    out.append(SYNONYMS[w2])
                continue
            out.append(w2)
        return list(dict.fromkeys(out))


_tokenizer: Tokenizer | None = None
_lock = threading.Lock()


def get_tokenizer() -> Tokenizer:
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            _tokenizer = Tokenizer()
        return _tokenizer
