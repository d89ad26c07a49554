"""Notice Q&A: the default handler for questions, with the notice under discussion.

The conversation remembers the plan it is about (sticky `last_plan`): chosen in a tool, named in
a question, or the one notice the last answer came from. A follow-up that names no notice is
answered from it alone; naming another notice switches it; with none, Q&A answers side by side.
A follow-up that names only a notice («水利的呢») asks the last question again about that notice.
When Q&A finds nothing and the message is close to a tool, the reply points to the tool.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from handlers import offers
from handlers.base import Context, Incoming
from handlers.interpret import ASK_WORDS, ASKS
from handlers.plan_choice import remember
from knowledge.lang.numbers import lexicon
from knowledge.lang.text import compact
from knowledge.qa.compose import SEP_

log = logging.getLogger(__name__)


def topic(ctx: Context) -> str | None:
    """The plan under discussion: the active dialog's, else the one remembered."""
    plan = ctx.state.get("plan") or ctx.state.get("last_plan")
    return plan if isinstance(plan, str) and plan else None


def _today(ctx: Context) -> dt.date:
    clock = getattr(ctx.services, "clock", None)
    return clock().date() if callable(clock) else dt.date.today()


def _without_now(question: str, today: dt.date) -> str:
    """«都2026年了，今年啥时候开始报» → «啥时候开始报»: the current year is what the newest
    notice is about, whatever year it is."""
    from knowledge.lang.numbers import lexicon

    q = re.sub(rf"(?:都|已经)?{today.year}年(?:了)?[，,]?", "", question)
    for w in sorted(lexicon()["now_words"], key=len, reverse=True):
        q = q.replace(w, "")
    return q.strip("，, ") or question


def _notice_year(ctx: Context, notice: str) -> int | None:
    try:
        year = ctx.services.qa.index.notices.get(notice, {}).get("year")
        return int(year) if year else None
    except Exception:
        return None


MAX_QUESTIONS = 3  # questions in one message answered one by one
# WeChat users separate sentences with a space as often as with a comma («截止几号 还有评审费多少钱»).
_CLAUSES = re.compile(r"(?<=[，,。；;！!？?])|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
NOT_FOUND_PART = "已收录的通知中没有找到这方面的规定。"


def questions_in(text: str) -> list[str]:
    """«评审费多少钱？啥时候截止» → two questions; a clause that asks nothing («临平制造业，») goes
    with the question after it, one after the last question with the one before it."""
    out: list[str] = []
    pending = ""
    clauses = [c for c in _CLAUSES.split(text) if c.strip(" ，,。；;！!？?")]
    for i, clause in enumerate(clauses):
        pending += clause
        bare = clause.rstrip(" ，,。；;！!")
        # «那纸质的东西呢 交几份»: a topic with «呢» before a question is that question's topic;
        # last, it is a question of its own («…几号到几号？单位审核呢»).
        if ASKS.search(bare) and (i == len(clauses) - 1 or not bare.endswith("呢") or ASK_WORDS.search(bare)
                                  or bare.endswith(("?", "？"))):
            out.append(pending.strip())
            pending = ""
    if pending.strip(" ，,。；;！!？?"):
        if out:
            out[-1] += pending
        else:
            out.append(pending.strip())
    return out


def handle(msg: Incoming, ctx: Context) -> str:
    it = ctx.it
    question = it.question if it is not None and it.question else (msg.text or "")
    asked = questions_in(question)
    if not 2 <= len(asked) <= MAX_QUESTIONS:
        return _answer(msg, ctx, question)[0]
    # Several questions in one message: each answered on its own (the second may lean on the
    # first: «网上申报是几号到几号？单位审核呢»); one the notices say nothing about gets a line.
    parts = [(q, *_answer(msg, ctx, q, offers=False)) for q in asked]
    if not any(status == "answered" for _q, _text, status in parts) or any(
            status == "out_of_scope" for _q, _text, status in parts):
        return _answer(msg, ctx, question)[0]  # «嘉兴…啥时候交钱，能交现金吗»: declined as a whole
    blocks: list[tuple[str, str]] = []  # (the questions, the reply): one reply to two is shown once
    for q, text, status in parts:
        reply = text if status != "declined" else NOT_FOUND_PART
        head = f"「{q.rstrip('，,。；;')}」"
        if blocks and blocks[-1][1] == reply:
            blocks[-1] = (blocks[-1][0] + head, reply)
        else:
            blocks.append((head, reply))
    return "\n\n".join(f"{head}\n{reply}" for head, reply in blocks) + also_offer(ctx, it)


def steps(msg: Incoming, ctx: Context) -> str | None:
    """«第2步第3步呢», «下一步呢», «交完费之后呢»: steps of the numbered procedure the last answer
    quoted (or of the step named), read on from it. None when there is no such procedure."""
    it = ctx.it
    step = it.step if it is not None else None
    if step is None:
        return None
    qa = ctx.services.qa
    anchor = ctx.state.get("last_source")
    if step.subject:
        # «交完费之后呢»: the step named, in the notice under discussion.
        found = qa.answer(step.subject, plan=topic(ctx))
        # Of the clauses quoted, the step itself, not an item under another step: «（七）费用缴纳»
        # for «交费», not «（五）上传相关附件 › 5.省外社保缴纳证明».
        src = min(found.sources, key=lambda s: s.section.count(SEP_)) if found.answered and found.sources else None
        anchor = [src.notice, src.section] if src is not None else None
    if not (isinstance(anchor, list) and len(anchor) == 2):
        return None
    ans = qa.steps(str(anchor[0]), str(anchor[1]), list(step.numbers), after=step.after)
    if ans is None:
        return None
    ctx.state["last_source"] = [ans.sources[-1].notice, ans.sources[-1].section]
    return ans.text


def _answer(msg: Incoming, ctx: Context, question: str, offers: bool = True) -> tuple[str, str]:
    """The reply to one question, and what it is: answered, not_stated (the notices speak of it
    but give no such figure), declined, or out_of_scope (a place or series no notice covers)."""
    it = ctx.it
    qa = ctx.services.qa
    current = topic(ctx)
    if it is not None and it.plans and it.question != it.text and not qa.plans_named(question):
        # «我是临平一家企业的人事，…，我们单位在哪审核»: the notice was named in the words around the
        # question, which Q&A does not see.
        current = it.plans[0]
    today = _today(ctx)
    bare = _without_now(question, today)
    ans = qa.answer(bare, plan=current)
    said_year = False
    if bare != question and ans.answered:
        question = bare  # what follow-ups carry on: the question, not the year it was asked in
        # Asked about this year: answered from the newest notice; an earlier year is said first.
        years = [y for y in (_notice_year(ctx, n) for n in (ans.notices or [])) if y]
        if years and max(years) < today.year:
            ans.text = (f"收录的这份通知是{max(years)}年度的，{today.year}年度的通知还没有收录（发布后以新通知为准，"
                        f"可发送「新年度通知发布后提醒我」）。{max(years)}年度的规定是：\n" + ans.text)
            said_year = True
    elif bare != question:
        ans = qa.answer(question, plan=current)
    named = list(getattr(ans, "named", None) or (it.plans if it is not None else []))
    if current in named:
        # «22年那次…» names every notice of that year, the one under discussion among them.
        named = [current, *[n for n in named if n != current]]
    ans, question, about = _follow_up(ctx, ans, question, named, current)
    if named:
        remember(ctx, named[0])  # naming a notice switches the topic, answered or not
    sources = list(getattr(ans, "notices", None) or dict.fromkeys(s.notice for s in ans.sources))
    if ans.answered or (ans.kind == "abstain" and not ans.out_of_scope and not ans.elliptical):
        # What was asked is the subject of the next follow-up, answered or not; kept without the
        # words that named a notice, so «水利的呢» can ask it about another one.
        ctx.state["last_question"] = _without_plan_words(ctx, question, named)
        ctx.state["last_question_plan"] = about or (sources[0] if len(sources) == 1 else None)
    if ans.answered:
        if ans.sources:  # where «下一步呢», «第2步呢» read on from
            ctx.state["last_source"] = [ans.sources[0].notice, ans.sources[0].section]
        if not named and current is None and len(sources) == 1:
            remember(ctx, sources[0])  # the one notice that answered becomes the subject
        note = "" if said_year or not _asks_when(question) else _past_dates_note(ctx, sources, ans.text)
        return ans.text + note + (also_offer(ctx, it) if offers else ""), "answered"
    status = "out_of_scope" if ans.out_of_scope else "not_stated" if ans.not_stated else "declined"
    if offers and ans.kind == "abstain" and it is not None and not ans.out_of_scope and not ctx.flow:
        # A tool may be what was meant — never after «温州的…» or «教师…», which no tool serves
        # either, and not inside a dialog, whose pending question the next «是»/«否» answers.
        return ans.text + pointer(ctx, it), status
    return ans.text, status


def _follow_up(ctx: Context, ans: Any, question: str, named: list[str],
               current: str | None) -> tuple[Any, str, str | None]:
    """A question that leans on the last one: (the answer, the question as asked, its notice).
    «水利的呢» names only a notice — the last question, about that notice; «要多少天内交完»,
    «化工轻纺高工是啥时候交» ask an act or a figure with no subject of their own — about the subject
    of the last question, and of its notice unless they name one (inside a dialog the last
    question's notice may differ from the dialog's)."""
    qa = ctx.services.qa
    last = ctx.state.get("last_question")
    about = named[0] if named else current
    if not isinstance(last, str) or not last:
        return ans, question, about
    if named and (ans.kind == "clarify" or (not ans.answered and _REDIRECT.search(question))):
        # «水利的呢», «我问的是建设工程的啊 有点笨»: the last question, about the notice named.
        return qa.answer(last, plan=named[0]), last, about
    # Only a message that asks leans on the last question («问这么多好烦» asks nothing); «也是三年吗»
    # says it does, even with a figure of its own.
    leans = ans.elliptical or (_SAME.search(question) is not None and not _REDIRECT.search(question))
    subject = qa.subject_of(last) if leans and ASKS.search(question) else ""
    if subject and all(w in compact(question) for w in subject.split()):
        subject = ""  # «水利那边自评分也是80分吗»: it names that subject itself
    if not subject:
        return ans, question, about
    asked_about = ctx.state.get("last_question_plan")
    if not named and isinstance(asked_about, str) and asked_about:
        about = asked_about
    question = f"{subject}，{question}"
    log.debug("elliptical follow-up asked as %r", question)
    return qa.answer(question, plan=about), question, about


_DATE = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日")
_REDIRECT = re.compile("|".join(map(re.escape, lexicon()["redirect"])))
_SAME = re.compile("|".join(map(re.escape, lexicon()["same_as_before"])))


def _asks_when(question: str) -> bool:
    """The question asks for a date or a time (not a how-to that quotes one in passing)."""
    from knowledge.qa.retrieval import WHEN, answer_type

    return answer_type(question) in WHEN


def _past_dates_note(ctx: Context, notices: list[str], text: str) -> str:
    """Dates quoted from a past year's notice are that year's dates: say so, and what to do."""
    if len(notices) != 1 or not _DATE.search(text):
        return ""
    try:
        year = ctx.services.qa.index.notices.get(notices[0], {}).get("year")
    except Exception:
        return ""
    clock = getattr(ctx.services, "clock", None)
    today = clock().date() if callable(clock) else dt.date.today()
    if not year or int(year) >= today.year:
        return ""
    return (f"\n注：以上是{year}年度通知的日期；{today.year}年度的通知发布后以新通知为准"
            "（发送「新年度通知发布后提醒我」可在发布后收到提醒）。")


def _without_plan_words(ctx: Context, question: str, named: list[str]) -> str:
    try:
        return ctx.services.qa.topic_of(question)
    except Exception:
        log.exception("qa: the question's topic could not be separated from its notice")
        return question


def also_offer(ctx: Context, it: Any) -> str:
    """«网上申报啥时候截止？帮我设个提醒»: the question is answered, and the tool asked for in the
    same message is one «好的» away."""
    name = getattr(it, "also", None)
    if ctx.flow:  # inside a dialog the next «好的» answers its question, not an offer
        return ""
    try:
        spec = ctx.services.intents.specs.get(name) if name else None
    except Exception:
        return ""
    if spec is None or not spec.describe or not spec.commands:
        return ""
    offers.make(ctx, "tool", intent=spec.name, asked=it.text[:offers.ASKED_MAX])
    return f"\n您还想{spec.describe}：回复「好的」即可，或发送「{spec.commands[0]}」。"


def pointer(ctx: Context, it: Any) -> str:
    """«您是想…吗？可以发送「…」» when the message was close to a tool but not close enough."""
    name, score = it.match.runner_up, it.match.runner_up_score
    try:
        model = ctx.services.intents
        spec = model.specs.get(name) if name else None
    except Exception:
        return ""
    # Only a near miss: the tool was close enough and nearly ahead of «a question».
    close = score >= model.min_score and score >= it.match.score - model.margin
    if spec is None or spec.kind != "tool" or not close or not spec.describe or not spec.commands:
        return ""
    offers.make(ctx, "tool", intent=spec.name, asked=it.text[:offers.ASKED_MAX])
    return f"\n您是想{spec.describe}吗？回复「好的」即可，或发送「{spec.commands[0]}」。"
