"""Composing replies: extractive answers with a citation, small talk, abstentions, bad input.

Extractive means the reply quotes the notice: the sentences of the best passages that carry
the question's words, numbers and dates untouched, then 「出处：《通知》条款」.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.chunking import Chunk
from knowledge.lang.numbers import to_arabic
from knowledge.lang.text import CJK, clean, compact, split_sentences
from knowledge.qa.plans import Profile as Plan
from knowledge.qa.retrieval import Hit
from knowledge.qa.tuning import DEFAULT, Tuning

MAX_QUESTION_CHARS = 300
SEP_ = " › "
CITE_PREFIX = "出处："
_TWO_RULES = re.compile(r"^通知中有[两几]处相关规定[^\n]*\n")
PLAN_LINE_CHARS = 300  # a plan's block in a side-by-side answer (half a reply)
LIST_PAGES = 4  # a whole list may run to this many replies, read on with «更多»
# Asking for a person or a phone line: when retrieval finds nothing, the notices' contacts answer.
CONTACT = re.compile(r"人工|客服|热线|联系方式|联系人|联系电话|咨询电话|打电话|电话号码|找谁|问谁")
# «申报条件是什么» with nothing more specific: the conditions live in other documents.
CONTACT_WORDS = frozenset({"人工", "客服", "人工客服", "在线", "热线", "联系方式", "联系人", "联系电话", "咨询电话", "电话",
                           "电话号码", "打电话", "找谁", "问谁", "咨询", "联系"})
CONDITIONS = re.compile(r"条件")
CONDITION_WORDS = frozenset({"申报", "条件", "申报条件", "评审", "评审条件", "评价条件", "任职资格", "资格",
                             "任职", "评", "具备", "满足", "符合"})


def first_sentence(text: str) -> str:
    """A plan file's note: its first sentence without the aside in brackets that ends it."""
    first = re.split(r"[。；;]", text.strip(), maxsplit=1)[0].strip()
    return re.sub(r"\s*[（(][^（）()]*[）)]$", "", first) or first


def first_title(text: str) -> str | None:
    """The first 《document》 named in a text, without its brackets."""
    m = re.search(r"《([^》]+)》", text)
    return m.group(1) if m else None


@dataclass
class Source:
    notice: str
    title: str
    section: str
    score: float


@dataclass
class Answer:
    text: str
    sources: list[Source] = field(default_factory=list)
    answered: bool = False
    kind: str = "answer"  # answer | abstain | smalltalk | invalid | clarify
    notices: list[str] = field(default_factory=list)  # the notices the reply quotes, in order
    named: list[str] = field(default_factory=list)  # the notices the question itself named
    out_of_scope: bool = False  # declined for asking about what no notice covers (a place, a series)
    # The question names no subject of its own, only an act or a figure («是啥时候交», «要多少天内
    # 交完»): in a conversation it is about what was asked before.
    elliptical: bool = False
    not_stated: bool = False  # declined because the notices speak of it but give no such figure

    def to_dict(self) -> dict[str, object]:
        return {"answer": self.text, "answered": self.answered,
                "sources": [s.__dict__ for s in self.sources]}


# --- input checks and small talk -------------------------------------------------------------------

_TAGS = re.compile(r"<[^>]{0,200}>")
_GREETING = re.compile(
    r"^(?:你好|您好|你们好|大家好|嗨|哈喽|哈啰|在吗|在不在|有人吗|早上好|上午好|中午好|下午好|晚上好|早安|晚安|"
    r"谢谢|谢谢你|谢谢您|多谢|感谢|辛苦了|好的|好|嗯|嗯嗯|哦|ok|okay|收到|明白了|知道了|懂了|再见|拜拜|"
    r"hi|hello|hey|thanks|thank you|thx|bye|你是谁|你是什么|你叫什么|你能做什么|你会什么|你可以做什么|"
    r"能做什么|有什么功能|怎么用|机器人|测试|test)+$", re.I)
_FILLER = re.compile(r"[\s\W_]+|请问|小助手|助手|呀|啊|呢|吧|哈|的", re.UNICODE)
_THANKS = re.compile(r"谢|感谢|thank|thx|辛苦", re.I)
_BYE = re.compile(r"再见|拜拜|bye|晚安", re.I)


# Chat users meet greetings in the dialog layer first (knowledge/lang/intents.yaml); this reply is
# for API callers, so it names no chat command.
GREETING = ("您好！我可以回答浙江省工程技术人员（工程师、高级工程师）职称申报通知里的问题，"
            "例如「临平制造业工程师网上申报是几号到几号？」，回答附通知出处。")


def small_talk(text: str) -> str | None:
    """A short friendly reply to greetings and thanks, or None when the message asks something."""
    core = _FILLER.sub("", clean(text).lower())
    if not core or not _GREETING.match(core):
        return None
    if _THANKS.search(core):
        return "不客气！还有职称申报方面的问题，随时问我。"
    if _BYE.search(core):
        return "再见！需要时随时来问。"
    return GREETING


def check_input(text: str | None) -> tuple[str, Answer | None]:
    """(question to answer, or a reply that ends the turn) — every odd input gets a plain reply."""
    raw = text if isinstance(text, str) else ""
    q = clean(_TAGS.sub(" ", raw)).strip()
    q = re.sub(r"\s+", " ", q)
    if not q:
        return "", Answer("请直接输入您想了解的问题，例如「临平制造业工程师网上申报是几号到几号？」。",
                          kind="invalid")
    if len(q) > MAX_QUESTION_CHARS:
        return "", Answer(f"您发来的内容有 {len(q)} 字，太长了，我无法准确回答。请用一两句话说明想问什么，"
                          "例如「本人述职最多写多少字？」。", kind="invalid")
    reply = small_talk(q)
    if reply:
        return "", Answer(reply, kind="smalltalk")
    if re.fullmatch(r"[?？!！.。…~～\s]+", q):  # «？？»: puzzled by the last reply, not a foreign question
        return "", Answer("没说清楚的地方请直接告诉我，比如「上一条是什么意思」或者换个说法再问一次；"
                          "发送「帮助」查看我能做什么。", kind="invalid")
    if not CJK.search(q):
        return "", Answer("目前只能回答中文提问的职称申报问题。请用中文描述您的问题，例如「评审费怎么交？」；"
                          "发送「帮助」查看我能做什么。", kind="invalid")
    return q, None


# --- extractive answers ----------------------------------------------------------------------------

def citation(hit: Hit) -> str:
    section = hit.chunk.section.strip()
    return f"{CITE_PREFIX}《{hit.chunk.title}》{section}".rstrip()


_ITEM_MARK = re.compile(r"^(?:[（(]?[0-9一二三四五六七八九十]{1,3}[）).．、]\s*)+")


def passage_text(hit: Hit) -> str:
    return _passage(hit)


def _passage(hit: Hit) -> str:
    text = hit.chunk.text.strip()
    ctx = hit.chunk.context.strip()
    return f"{ctx}{text}" if ctx and ctx not in text else text


def _weight(sentence: str, words: list[str], prefer_figures: bool = False) -> int:
    s = compact(sentence)
    score = sum(len(w) for w in words if w in s)
    if prefer_figures and re.search(r"\d", to_arabic(_ITEM_MARK.sub("", s))):
        score += 2
    return score


def select(text: str, words: list[str], budget: int, prefer_figures: bool = False) -> str:
    """The passage itself when it fits; else its sentences that carry the question's words, in order."""
    text = text.strip()
    if len(text) <= budget:
        return text
    sentences = split_sentences(text)
    ranked = sorted(range(len(sentences)), key=lambda i: (-_weight(sentences[i], words, prefer_figures), i))
    keep: list[int] = []
    used = 0
    for i in ranked:
        if used + len(sentences[i]) > budget:
            continue
        if keep and _weight(sentences[i], words, prefer_figures) == 0:
            break
        keep.append(i)
        used += len(sentences[i])
    if not keep:  # one very long sentence: cut at the budget, visibly
        return sentences[ranked[0]][: budget - 1] + "…"
    out = "".join(sentences[i] for i in sorted(keep))
    return out if len(keep) == len(sentences) else out + "…"


def _sections(sections: list[str]) -> str:
    """«A › B › (1) x» and «A › B › (2) y» → «A › B › (1) x；(2) y»."""
    sections = list(dict.fromkeys(sections))
    if len(sections) == 1:
        return sections[0]
    split = [sec.split(" › ") for sec in sections]
    common = 0
    while all(len(p) > common + 1 for p in split) and len({p[common] for p in split}) == 1:
        common += 1
    head = " › ".join(split[0][:common])
    tails = "；".join(" › ".join(p[common:]) for p in split)
    return f"{head} › {tails}" if head else tails


def _numbers(text: str) -> set[str]:
    """The figures a passage states («近三年» → 3, «一式两份» → 2), without its item number."""
    text = to_arabic(_ITEM_MARK.sub("", compact(text)))  # the project's one numeral normaliser
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def names(label: str, words: list[str]) -> bool:
    """Does a clause name share a word (or a two-character part of one) with the question?"""
    label = compact(label)
    return any(w in label or any(w[i:i + 2] in label for i in range(len(w) - 1)) for w in words if len(w) > 1)


def _common_depth(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split(SEP_), b.split(SEP_), strict=False):
        if x != y:
            break
        n += 1
    return n


def _about(nxt: Hit, top: Hit) -> bool:
    """A further clause stating a figure shares something of what was asked besides the figure,
    when the best one does."""
    return nxt.topic > 0 or top.topic <= 0


def single(hits: list[Hit], words: list[str], max_chars: int, wants: re.Pattern[str] | None = None,
           tuning: Tuning = DEFAULT) -> str:
    """The best passage, plus a second one of the same notice when it is the neighbouring item of a
    short passage or answers just as well (a rule and its exception, a step and the next step);
    for a «how many / when» question, also another clause of the notice that states such a figure
    and shares something of what was asked besides it (another route: «本科毕业后…5年» and
    «本科…聘任助理工程师满4年»; not a certificate's «有效期截止…9月22日»)."""
    top = hits[0]
    picked = [top]
    for nxt in hits[1:3]:
        if nxt.chunk.notice != top.chunk.notice or nxt.chunk.text.lstrip().startswith("|"):
            continue
        adjacent = abs(nxt.chunk.order - top.chunk.order) == 1 or nxt.chunk.section == top.chunk.section
        # Short sibling clauses (two deadlines of one timetable) read best together.
        siblings = nxt.chunk.section.split(" › ")[:-1] == top.chunk.section.split(" › ")[:-1]
        neighbour = (adjacent and siblings and len(_passage(top)) < 120 and len(_passage(nxt)) < 200
                     and nxt.coverage > 0)
        # A rule elsewhere in the notice that covers the question as fully (a signature line does not count).
        sentence = bool(re.search(r"[。；;]", nxt.chunk.text))
        # A partial match («开发» of «软件开发») is too thin to call it a rule.
        # For «how many / when», a clause stating such a figure needs only cover as much as the
        # best: «评审表要交几份» has «报送评审表（一式两份）» and «1份评审表存入…档案» alike.
        floor = tuning.as_good_coverage if wants is None or not _about(nxt, top) or \
            not wants.search(compact(nxt.chunk.text)) else tuning.min_coverage
        as_good = (sentence and nxt.coverage >= max(top.coverage, floor)
                   and nxt.score >= top.score * tuning.as_good_ratio)
        if (neighbour or as_good) and len(_passage(top)) + len(_passage(nxt)) <= max_chars * 0.7:
            picked.append(nxt)
            break
    if wants is not None:
        parents = {h.chunk.section.rsplit(SEP_, 1)[0] for h in picked}
        for nxt in hits[1:5]:
            if (nxt in picked or nxt.chunk.notice != top.chunk.notice or not _about(nxt, top)
                    or nxt.score < top.score * tuning.other_route_ratio or nxt.chunk.text.lstrip().startswith("|")
                    or nxt.chunk.section.rsplit(SEP_, 1)[0] in parents
                    # the same clause of the same part, or a clause named after the question's topic
                    or (_common_depth(nxt.chunk.section, top.chunk.section) < 2
                        and not names(nxt.chunk.section.rsplit(SEP_, 1)[-1], words))
                    or not wants.search(compact(nxt.chunk.text))):
                continue
            if sum(len(_passage(h)) for h in picked) + len(_passage(nxt)) <= max_chars * 0.8:
                picked.append(nxt)
            break
    picked.sort(key=lambda h: h.chunk.order)
    cite = f"{CITE_PREFIX}《{top.chunk.title}》" + _sections([h.chunk.section.strip() for h in picked])
    budget = max_chars - len(cite) - 1
    parts = [_passage(h) for h in picked]
    for i in range(1, len(picked)):
        if picked[i].chunk.context and picked[i].chunk.context == picked[i - 1].chunk.context:
            parts[i] = picked[i].chunk.text.strip()  # items of one list: its lead-in once
    body = "\n".join(parts)
    if len(body) > budget:
        body = "\n".join(select(p, words, budget // len(parts)) for p in parts)
    if wants is not None and len(picked) > 1:
        figures = [frozenset(wants.findall(compact(p))) for p in parts]
        top_i = picked.index(top)
        if all(figures) and any(f & figures[top_i] for i, f in enumerate(figures) if i != top_i):
            # Another clause repeating the best one's figure (the same address, the same date)
            # is the same rule said twice: the best passage alone answers.
            return single([top], words, max_chars, None, tuning)
        if all(figures) and len(set(figures)) == len(figures):
            n = "两" if len(parts) == 2 else "几"
            head = f"通知中有{n}处相关规定，所说的时间、环节或对象不同，请对照查看：\n"
            if len(head) + len(body) + len(cite) + 1 <= max_chars:
                body = head + body
    return body + "\n" + cite


def per_plan(answers: list[tuple[Plan, str]], same: bool = False) -> str:
    """The question fits several plans (newest first): each plan's own answer as one block with
    its figures whole, then one citation line naming every notice and clause. Long replies are
    paged by the chat («更多»)."""
    head = "各通知都有规定，请按您申报的计划查看：" if same else "不同通知的规定不同，请按您申报的计划查看："
    parts, cites = [head], []
    for plan, text in answers:
        body, _, cite = text.rpartition("\n" + CITE_PREFIX)
        body = _TWO_RULES.sub("", body.strip() if body else text.strip())
        parts.append(f"【{plan.label}】{body}")
        if cite:
            cites.append(cite)
    return "\n".join(parts) + ("\n" + CITE_PREFIX + "；".join(cites) if cites else "")


def same_figures(answers: list[tuple[Plan, str]]) -> bool:
    """Do the plans' answers state the same figures (or none)? Then «各通知都有规定», else «不同»."""
    return len({frozenset(_numbers(text.rpartition("\n" + CITE_PREFIX)[0] or text)) for _, text in answers}) <= 1


def plan_budget(max_chars: int) -> int:
    """Characters one plan's block may use in a side-by-side answer: the same however many plans
    answer, so loading another notice never shortens what the others say."""
    return min(max_chars, PLAN_LINE_CHARS)


def whole_list(chunks: list[Chunk], max_chars: int) -> tuple[str, list[Chunk]]:
    """A list with its lead-in and every item (nested items too), as the notice words it."""
    lead = chunks[0]
    own_lead_in = lead.text.rstrip().endswith(("：", ":"))
    lines = [] if own_lead_in else ([lead.context] if lead.context else [])
    named = {lead.section}
    for c in chunks:
        text = c.text.strip()
        label = c.section.rsplit(SEP_, 1)[-1].strip()
        # An item that is a numbered heading of its own shows its name when its text does not
        # (once: the paragraphs that follow under the same heading are its text).
        if label and c.section not in named and compact(label)[:6] not in compact(text):
            text = f"{label}：{text}"
        named.add(c.section)
        lines.append(text)
    body = "\n".join(dict.fromkeys(ln for ln in lines if ln))
    return body[: max_chars * LIST_PAGES], chunks


def abstain(question: str, plans: list[Plan], matched: list[Plan], outside: str | None = None) -> str:
    if outside:
        text = (f"抱歉，已收录的通知只涉及浙江省工程技术人员（工程师、高级工程师）职称，"
                f"没有关于「{outside}」的规定，我不能凭猜测回答。")
    else:
        text = "抱歉，已收录的职称通知中没有找到与这个问题相关的规定，我不能凭猜测回答。"
    # A series or place no notice covers is no question for these notices' contacts.
    contacts = [c for p in matched for c in p.contacts if c.get("phone")] if not outside else []
    if contacts:
        c = contacts[0]
        who = "，".join(str(x) for x in (c.get("org"), c.get("name")) if x)
        text += f"\n可咨询：{who} {c['phone']}。"
    else:
        labels = "、".join(p.label for p in plans[:6])
        text += f"\n目前收录的通知：{labels}。其他地区或系列（如教师、卫生）的职称请咨询当地人力社保部门。"
    return text


def is_cited(text: str) -> bool:
    return CITE_PREFIX in text
