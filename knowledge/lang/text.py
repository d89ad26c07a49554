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


def _lexicon() -> dict:
    from knowledge.lang.numbers import lexicon

    return lexicon()


# The language data lives in lexicon.yaml (each entry tested); these are its read-only views.
# Colloquial forms applicants type → the wording the notices use (both sides are indexed).
SYNONYMS: dict[str, str] = {str(k): str(v) for k, v in _lexicon()["synonyms"].items()}
# Words the notices use interchangeably with the applicant's («不能评» ← «不予评审»).
EQUIVALENTS: tuple[frozenset[str], ...] = tuple(frozenset(map(str, g)) for g in _lexicon()["equivalents"])
EQUIVALENT_OF: dict[str, frozenset[str]] = {
    w: frozenset().union(*(g for g in EQUIVALENTS if w in g)) for g in EQUIVALENTS for w in g}
# Question words carry no topic: they must not count as evidence for or against a passage.
QUESTION_WORDS = frozenset(map(str, _lexicon()["question_words"]))
PRONOUNS = tuple(map(str, _lexicon()["pronouns"]))
MODALS = tuple(map(str, _lexicon()["modals"]))
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])(?:不|没)\1")
_TRAILING = re.compile(r"(?:能|吗|呢|啊|呀|吧|了|的)$")


def strip_chatter(text: str, after: bool = True) -> str:
    """«对了，网上申报是几号到几号？» → «网上申报是几号到几号？»; the question itself is kept
    (`after=False`: only what opens the message goes — «…谢谢» may be the thanks itself)."""
    words = _lexicon()["chatter"]
    t = text.strip()
    for _ in range(3):
        before = t
        for w in sorted(words["before"], key=len, reverse=True):
            if t.startswith(w) and len(t) > len(w) + 1:
                t = t[len(w):].lstrip(" ，,。.、!！~～")
        for w in sorted(words["after"] if after else [], key=len, reverse=True):
            if t.endswith(w) and len(t) > len(w) + 1:
                t = t[: -len(w)].rstrip(" ，,。.、!！~～")
        if t == before:
            break
    return t or text.strip()


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
        for word in (*SYNONYMS, *SYNONYMS.values()):
            self._jieba.add_word(word)
        self.stopwords = _read_words(stopwords)

    def subwords(self, text: str) -> list[str]:
        """Every dictionary word inside a text (jieba's search mode: «生态环境» → 生态, 环境, 生态环境)."""
        return [w for w in self._jieba.lcut_for_search(clean(text)) if w.strip()]

    def words(self, text: str) -> list[str]:
        """All segmented words (lower-case), punctuation dropped; stop words kept."""
        return [w for w in (t.strip().lower() for t in self._jieba.lcut(clean(text))) if w and not _PUNCT.match(w)]

    def nouns(self, text: str) -> frozenset[str]:
        """The words jieba tags as nouns («蓝底的可以吗» → 蓝底): a subject of the message's own."""
        if getattr(self, "_pos", None) is None:
            import jieba.posseg

            self._pos = jieba.posseg.POSTokenizer(self._jieba)
        return frozenset(w.word for w in self._pos.cut(clean(text)) if w.flag.startswith("n"))

    def word_starts(self, text: str) -> frozenset[int]:
        """Where the segmenter starts a word in `text` (as given, not cleaned)."""
        return frozenset(start for _w, start, _end in self._jieba.tokenize(text))

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
            # A passage in the notice's wording («资料提供不完整») is a candidate for the
            # applicant's («材料不全»): coverage already credits it, so retrieval must find it.
            others = sorted(EQUIVALENT_OF.get(word, frozenset()) - {word})
            terms.extend(others)
            for form in (word, *others):
                if _CJK_RUN.fullmatch(form):
                    terms.extend("#" + form[i:i + 2] for i in range(len(form) - 1))
        return terms

    def content_words(self, text: str) -> list[str]:
        """Words that say what a question is about: no question words («最多能», «几号»), no single
        characters except digits and colloquial verbs with a notice form («交» → «缴纳»)."""
        out: list[str] = []
        # «要不要», «能不能», «是不是», «有没有»: a yes-no question, not a negation to look for.
        text = _A_NOT_A.sub(r"\1", clean(text))
        prev = ""
        for w in self.words(text):
            # «哪一步», «哪一项», «哪一级»: «哪» + «一» + a classifier asks which one; the
            # segmenter splits it as «哪|一步», and «一步» is no topic.
            which = prev == "哪" and len(w) == 2 and w[0] == "一"
            prev = w
            if which or (w in self.stopwords and w not in SYNONYMS):
                continue
            w2 = _TRAILING.sub("", w) if len(w) > 2 else w
            if len(w2) == 2 and (w2.startswith(PRONOUNS) or (w2.startswith(MODALS) and w2[1] in SYNONYMS)):
                w2 = w2[1:]  # «我学», «我想», «能报»: a pronoun or a modal glued to a verb
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
