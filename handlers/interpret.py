"""One interpretation of each message, worked out once before dispatch.

A message becomes: its intent (a tool or command, a dialog control word, facts about the user,
small talk, or a question — knowledge/lang/intents.yaml), the plans it names, the facts it
states (knowledge/eligibility/extract.py), the question with the chatter around it removed, and a
bare list number when it is one. Handlers read `ctx.it`; none parses the raw text again for these.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from knowledge.eligibility.extract import Extracted, extract
from knowledge.eligibility.facts import corrects_a_fact
from knowledge.lang.intents import QUESTION, IntentMatch, command_form
from knowledge.lang.numbers import lexicon, nfkc, to_arabic
from knowledge.lang.text import get_tokenizer, strip_chatter
from knowledge.photo import check_stated
from knowledge.qa.checks import states_figure

if TYPE_CHECKING:
    from handlers.base import Context, Incoming

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"第?\s*(\d{1,2})\s*(?:个|项|号|种|条)?")
# Question form: a question mark or a question word. Tool requests can be questions too
# («能提醒我吗»): the intent decides first, this only tells a question from a statement.
_ASK_WORDS = re.compile(r"什么|怎么|咋|怎样|如何|多少|几[号月天年个项份篇分册次]|哪|啥|干嘛|为什么|为啥|能不能|可不可以|是否|要不要|"
                        r"有没有|行不行|是不是|算不算|用不用|需不需要|会不会|能否|可否|对吧|是吧")
ASK_WORDS = _ASK_WORDS
ASKS = re.compile(rf"[?？]|吗|呢$|{_ASK_WORDS.pattern}")  # a clause or message that asks something
_ASKS = ASKS
_REDIRECT = re.compile("|".join(map(re.escape, lexicon()["redirect"])))
_RHETORICAL = re.compile("|".join(map(re.escape, lexicon()["rhetorical"])))
_YES_NO_OR_ASKS = re.compile(rf"{_ASK_WORDS.pattern}|吗|没事吧|可以吧|行吧")


def asks(text: str) -> bool:
    """The text asks something (a question mark or word), not counting a rhetorical «哪有那么…»."""
    return bool(_ASKS.search(_RHETORICAL.sub("", text)))
TOOL_KINDS = ("tool",)
CONTROL = ("yes", "no", "quit", "back", "skip", "restart", "correct")


@dataclass(frozen=True)
class Step:
    """A reference to steps of a notice's numbered procedure: by number, or the one after."""

    numbers: tuple[int, ...] = ()
    after: bool = False
    subject: str = ""  # what the step follows, when named («交完费之后呢» → «交完费»)


_ORDINAL = re.compile(r"第\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*[步条项点]")
_DONE = re.compile(r"(?<=[\u4e00-\u9fff])完(?![成整善毕全])")
_NEXT = re.compile("|".join(map(re.escape, sorted(lexicon()["next_step"], key=len, reverse=True))))


def step_of(text: str) -> Step | None:
    """«然后第2步第3步呢» → steps 2 and 3; «下一步是啥» → the next one; «交完费之后呢» → the one
    after «交完费». A longer message with its own question («…之后还要交什么材料») is a question."""
    compact_ = re.sub(r"[\s，,。？?！!、]", "", text)
    numbers = tuple(int(n) for n in (to_arabic(m.group(1)) for m in _ORDINAL.finditer(compact_)) if n.isdigit())
    if numbers:
        # «第3条是什么意思» reads on; «评审条件第3条是什么意思» names its own subject: a question.
        rest = _ORDINAL.sub("", compact_)
        return Step(numbers=numbers) if len(get_tokenizer().content_words(rest)) <= 1 else None
    m = _NEXT.search(compact_)
    if m is None:
        return None
    before, after = compact_[:m.start()], compact_[m.end():]
    if len(after) > 6 or _ASK_WORDS.search(before):
        return None
    # «交完费», «审核完»: «完» says the act is finished; the step is the act («交费», «审核»).
    subject = _DONE.sub("", before.strip("那然后")) if len(before) > 1 else ""
    return Step(after=True, subject=subject)


@dataclass
class Interpretation:
    text: str  # NFKC, trimmed
    match: IntentMatch
    plans: list[str] = field(default_factory=list)  # plan ids the message names, best first
    facts: Extracted = field(default_factory=Extracted)
    question: str = ""  # the text without the chatter around it
    number: int | None = None  # «2», «第2个»: a choice from a numbered list
    rest: str = ""  # text after a command word that carries text («材料清单 临平» → «临平»)
    # A tool asked for in another clause of a message Q&A answers («…啥时候截止？帮我设个提醒»).
    also: str | None = None
    step: Step | None = None  # «第2步第3步呢», «交完费之后呢»: steps of a numbered procedure
    # In a dialog, a message opening with words that quit it and going on to ask something
    # («算了不测了 直接告诉我大专要几年»): what it goes on to say, read once the dialog is left.
    after_quit: str = ""
    asker: str | None = None  # «我是单位经办人，…»: "hr" when the asker introduces themselves so

    @property
    def intent(self) -> str:
        return self.match.intent

    @property
    def kind(self) -> str:
        return self.match.kind

    @property
    def asks(self) -> bool:
        """Reads as a question (a question mark or a question word)."""
        return asks(self.text)

    @property
    def bare(self) -> bool:
        """Only the control word («好的», «不用了谢谢»), not a control word with something said after
        it («不是这个，我问的是…截止时间»: that is a question)."""
        return self.match.exact or len(parts_of(self.text)) <= 1

    @property
    def asks_something(self) -> bool:
        """A notice question worded as one («临平的评审费多少钱»), not a bare choice with a question
        mark («临平的？»): a list choice it is not."""
        return self.kind == "question" and bool(_ASK_WORDS.search(self.text))

    @property
    def is_tool(self) -> bool:
        return self.kind in TOOL_KINDS

    def said(self, *intents: str) -> bool:
        return self.intent in intents

    @property
    def clear_yes(self) -> bool:
        """An offer is accepted only by this: a yes, and not a question («要多少分？» is no yes)."""
        return self.intent == "yes" and not (self.asks and not self.match.exact)

    @property
    def clear_no(self) -> bool:
        return self.intent in ("no", "quit") and not (self.asks and not self.match.exact)


_PARTS = re.compile(r"(?<=[，,。；;！!？?：:])|\s+")
_PUNCT = tuple("，,。；;！!？?：:")
MAX_PARTS = 4  # clauses classified one by one at most (each costs an embedding)


def parts_of(text: str) -> list[str]:
    return [p.strip() for p in _PARTS.split(text) if p and p.strip(" ，,。；;！!？?：:")]


def _by_parts(services: Any, text: str, match: IntentMatch) -> tuple[IntentMatch, str | None]:
    """«我想知道自己够不够条件评工程师，本科，在临平一家机械厂做机电的»: a request for a tool
    with facts or chatter around it. Clause by clause: one clause asks for a tool and no other
    clause asks a question → that tool. With a clear question in another clause, Q&A answers and
    the tool asked for comes second (returned beside the match)."""
    parts = parts_of(text)
    if match.exact or match.kind != "question" or len(parts) < 2:
        return match, None
    if len(parts) > MAX_PARTS:  # a long story: the request opens or closes it
        parts = parts[: MAX_PARTS // 2] + parts[-(MAX_PARTS // 2):]
    # Only when some request came close for the whole message (each clause costs an embedding).
    runner = services.intents.specs.get(match.runner_up or "")
    if runner is None or runner.kind not in ("tool", "control") or not services.intents.near(match.runner_up_score):
        return match, None
    found = [(p, _classify(services, p)) for p in parts]
    asks = [m for _p, m in found if m.kind in ("tool", "control")]
    if not asks:
        return match, None
    # A clause that is clearly a notice question (ahead of every other intent by the margin)
    # means Q&A answers the message; a borderline one («我今年能不能评工程师？») does not.
    margin = services.intents.margin
    if any(m.kind == "question" and _ASKS.search(p) and m.score - m.runner_up_score >= margin for p, m in found):
        tools = [m.intent for m in asks if m.kind == "tool"]
        return match, (tools[-1] if tools else None)
    return asks[-1], None  # «不弄了，问这么多好烦», «今年能评吗？帮我测测»: the last request counts


def _after_quit(services: Any, text: str) -> str:
    """«算了不测了，直接告诉我大专要几年» → «直接告诉我大专要几年»: the first clause quits and the rest
    asks something. Only the first clause is read (one embedding); '' when that is not so."""
    parts = parts_of(text)
    if len(parts) < 2 or command_form(text) in getattr(_model(services), "commands", {}):
        return ""
    rest = "，".join(parts[1:])
    if not _ASKS.search(rest):
        return ""  # «不弄了，问这么多好烦»: quitting, with a reason
    first = _classify(services, parts[0], in_dialog=True)
    return rest if first.intent == "quit" and not first.by_prior else ""


def _notice_first(services: Any, match: IntentMatch, text: str) -> bool:
    model = _model(services)
    spec = model.specs.get(match.intent) if model is not None else None
    chatter = lexicon()["chatter"]
    if (spec is None or not spec.notice_first or match.exact or not _YES_NO_OR_ASKS.search(text)
            or any(w in text for w in chatter["requests"])):
        return False
    if any(w in text for w in chatter["own"]) and not states_figure(text):
        return False  # «我工作满几年了»: the tool works it out; «我写了1100字 超了没事吧» knows its figure
    # Only when the notices say something on it (the answer is cached for the Q&A that follows).
    try:
        return bool(services.qa.answer(text).answered)
    except Exception:
        log.exception("qa: could not tell whether the notices answer %r", text[:40])
        return False


def _asker(text: str) -> str | None:
    """"hr" when a clause introducing the asker names a unit's officer («我是单位经办人», «我们是
    人事，…»); None otherwise (an applicant says so by asking about themselves)."""
    chatter = lexicon()["chatter"]
    intro = [p for p in parts_of(text) if any(p.startswith(w) for w in chatter["self_intro"])]
    return "hr" if any(w in p for p in intro for w in chatter["officer_words"]) else None


def _question_part(text: str, plans: list[str], ctx: Context) -> str:
    """The question without the clauses around it that are not part of it: an introduction of
    the asker («我是单位经办人，…») and an aside after the last clause that asks («…电话多少，我打过去
    问问»). What leads up to a question stays («有个员工说他的档案没审过，他就报不了，是这样吗»)."""
    intro = lexicon()["chatter"]["self_intro"]
    parts = parts_of(text)
    asking = [i for i, p in enumerate(parts) if _ASKS.search(p.rstrip(" ，,。；;：:"))]  # «那评审表呢，…»
    last = asking[-1] if asking else len(parts) - 1
    kept = [p for i, p in enumerate(parts)
            if i <= last and (i in asking or not any(p.startswith(w) for w in intro))]
    # Parts split at a space are joined by one again: it may separate two questions.
    joined = "".join(p if not i or kept[i - 1].endswith(_PUNCT) else " " + p for i, p in enumerate(kept))
    return strip_chatter(joined if kept else text)


def interpret(msg: Incoming, ctx: Context, pending_fact: str | None = None) -> Interpretation:
    """The interpretation of a text or voice message (other kinds get an empty one)."""
    text = nfkc(msg.text or "").strip()
    if msg.kind not in ("text", "voice") or not text:
        return Interpretation(text=text, match=IntentMatch(QUESTION, "question", 0.0, 0.0))
    services = ctx.services
    if pending_fact is not None or ctx.flow:
        after = _after_quit(services, text)
        if after:
            return Interpretation(text=text, match=IntentMatch("quit", "control", 1.0, 1.0), after_quit=after)
    match, also = _by_parts(services, text, _classify(services, text, in_dialog=pending_fact is not None
                                                      or bool(ctx.flow)))
    if match.is_question and match.runner_up == "photo" and len(check_stated(text)) >= 2:
        # «照片358*441，50kb的jpg行吗»: a photo described by its figures is for the photo check.
        match = IntentMatch("photo", "tool", match.runner_up_score, 0.0, runner_up=QUESTION)
    if match.kind == "tool" and not match.exact and _REDIRECT.search(text):
        # «不是问自评。我是问整个流程，第一步干嘛»: saying what the last question meant is a question
        # (and the tool it sounded like is not offered back).
        match = IntentMatch(QUESTION, "question", 0.0, 0.0)
    fixes = not match.exact and corrects_a_fact(text)  # a fact named as wrong, with its value
    if fixes and match.intent != "correct":
        # «项目经历那题你记错了，我答的是否»: a fact named and said to be wrong corrects it.
        match = IntentMatch("correct", "control", match.score, match.margin, runner_up=match.intent)
    if _notice_first(services, match, text):
        # «本人述职超过1000字会怎样»: a question about a tool's subject; the notices answer it and
        # the tool is offered beside the answer.
        also = match.intent
        match = IntentMatch(QUESTION, "question", 0.0, 0.0, runner_up=match.intent, runner_up_score=match.score)
    if match.intent == "correct" and not match.exact and _ASK_WORDS.search(text) and not fixes:
        # A correction states the right value; «学分不够怎么办», «学分是从哪年开始算的» ask one.
        match = IntentMatch(QUESTION, "question", 0.0, 0.0, runner_up=match.intent, runner_up_score=match.score)
    rest = ""
    model = _model(services)
    if model is not None and match.exact:
        pre = model.prefix(text)
        if pre is not None and pre[0] == match.intent:
            rest = pre[1]
    m = _NUMBER.fullmatch(command_form(text))
    number = int(m.group(1)) if m else None
    # A bare value («48», «17年7月») answers the question being asked, unless the message asks something.
    facts = extract(text, None if asks(text) else pending_fact, _today(ctx))
    if (match.is_question and match.runner_up == "eligibility" and model is not None
            and match.runner_up_score >= model.min_score and len(facts.facts) >= 2):
        # «我是大专，做了8年电气，临平的，有戏吗»: the facts stated back the self-test the wording
        # came close to; it runs with them.
        match = IntentMatch("eligibility", "tool", match.runner_up_score, match.margin, runner_up=QUESTION)
    plans = _plans_named(ctx, text)
    return Interpretation(text=text, match=match, plans=plans, facts=facts, asker=_asker(text),
                          question=_question_part(text, plans, ctx), number=number, rest=rest, also=also,
                          step=None if match.exact else step_of(text))


def _model(services: Any) -> Any:
    try:
        return services.intents
    except Exception:  # the embedding engine failing must not stop the chat: exact words still work
        log.exception("intent model unavailable; using exact command words only")
        return None


def _classify(services: Any, text: str, in_dialog: bool = False) -> IntentMatch:
    model = _model(services)
    if model is None:
        return IntentMatch(QUESTION, "question", 0.0, 0.0)
    try:
        return model.classify(text, in_dialog=in_dialog)
    except Exception:
        log.exception("intent classification failed for %r", text[:40])
        return IntentMatch(QUESTION, "question", 0.0, 0.0)


def _plans_named(ctx: Context, text: str) -> list[str]:
    from knowledge.eligibility.plans import match_plans

    try:
        return match_plans(text, dict(ctx.services.plans))
    except Exception:  # a broken plan file must not take the chat down
        log.exception("plans could not be matched")
        return []


def _today(ctx: Context) -> dt.date:
    clock = getattr(ctx.services, "clock", None)
    if callable(clock):
        try:
            return clock().date()
        except Exception:
            pass
    return dt.date.today()
