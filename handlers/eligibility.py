"""资格自测: the guided eligibility dialog, one `Dialog` object (handlers/dialog.py).

First the plan, then only the questions that can still change an outcome (the engine's unknown
facts drive the next question). Every fact a message states is taken, whatever is being asked
(«本科，18年9月聘的助工» fills three), echoed back, and never asked again; facts stated before
the test (the sticky `profile`) are taken when it starts. Navigation (退出, 重新开始, 上一步,
跳过, 我说错了…) is decided by the dispatcher from the interpretation and lands in the hooks
below; a correction changes one fact and re-evaluates, also after the verdict. A verdict from a
past year's notice also says what the same facts give at the end of this year (an estimate).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import re
import time
from typing import Any

from handlers import offers, plan_choice
from handlers.base import Context, Incoming
from handlers.dialog import Dialog, DialogState
from handlers.interpret import ASK_WORDS
from knowledge.eligibility.extract import DESCRIBED, answer_bool, answers_by_act
from knowledge.eligibility.facts import (
    ASK_ORDER,
    FACTS,
    FactError,
    check_date,
    describe,
    fact_by_label,
    label_and_value,
    parse_fact,
    to_json,
)
from knowledge.eligibility.plans import Plan
from knowledge.eligibility.rules import (
    cn_date,
    evaluate,
    evaluate_at,
    facts_used,
    listed_specialty,
    render_text,
    served,
    ym,
)
from knowledge.eligibility.verdict import Verdict
from knowledge.lang.numbers import lexicon

log = logging.getLogger(__name__)

FLOW = "eligibility"
PLAN = "__plan__"  # the pending "question" while no plan is chosen
# How long after a verdict a message that reads like an answer («50», «合格 合格») is taken as
# a late answer to the finished test (said so) rather than a question for Q&A.
LATE_ANSWER_SECONDS = 15 * 60
MAX_REPLY = 600  # characters in one reply before the gateway has to page it
_CORRECTION = re.compile(r"^(?:哦|噢|啊|嗯)?[，,\s]*(?:不对|不是)?[，,\s]*(?:我)?(?:刚才|刚刚|之前|前面)?(?:说错了|搞错了|写错了|打错了|"
                         r"填错了|答错了|记错了|弄错了|看错了|更正一下|更正|纠正一下|纠正)?[，,。.！!：:\s]*(?:应该)?(?:是|为)?[:：]?")
_MODIFY = re.compile(r"^(?:修改|更改|改一下|改|重新回答|重答)\s*(.+)$")


@dataclasses.dataclass
class State(DialogState):
    plan: str | None = None
    facts: dict[str, Any] = dataclasses.field(default_factory=dict)  # JSON-safe values
    history: list[str] = dataclasses.field(default_factory=list)  # facts in the order answered
    skipped: list[str] = dataclasses.field(default_factory=list)
    pending: str | None = PLAN  # the fact asked, PLAN for the plan list
    misses: int = 0  # misunderstood answers to the pending question in a row
    done: bool = False  # the verdict has been shown
    done_at: int | None = None
    choices: list[str] = dataclasses.field(default_factory=list)  # the plan list shown
    reasked: dict[str, int] = dataclasses.field(default_factory=dict)
    clashes_said: list[str] = dataclasses.field(default_factory=list)
    correcting: dict[str, Any] | None = None  # 「要更正哪一项？」 waiting for a number
    unused_fact: str | None = None  # 「修改X」 for a fact the plan never looks at
    until_now: bool = False  # «一直干到现在»: work years run from graduation to the cut-off
    assessment_years: dict[str, str] = dataclasses.field(default_factory=dict)  # «20年也是称职»
    for_other: bool = False  # about someone else: the user's own profile is neither read nor kept


def _plans(ctx: Context) -> dict[str, Plan]:
    return dict(ctx.services.plans)


def _today(ctx: Context) -> dt.date:
    clock = getattr(ctx.services, "clock", None)
    return clock().date() if callable(clock) else dt.date.today()


class EligibilityDialog(Dialog):
    name = FLOW
    title = "资格自测"
    command = "资格自测"
    State = State

    # --- entry -----------------------------------------------------------------------------------

    def start(self, msg: Incoming, ctx: Context) -> str:
        """Begin, with the plan the words name (or the one under discussion) and the facts given."""
        try:
            plans = _plans(ctx)
        except Exception:  # a broken plan file must not take the chat down
            log.exception("eligibility: plans could not be loaded")
            return "资格自测暂时不可用（评审计划资料有误），请稍后再试，或直接提问。"
        it = ctx.it
        missing = plan_choice.unavailable(ctx, "资格自测")
        if missing:
            return missing
        remembered = ctx.state.get("last_plan")
        if remembered in plans:
            remembered = ctx.services.catalog.newest_plan(remembered)  # last year's choice → this year's
        ctx.state.pop("last_verdict", None)  # a new test replaces the old verdict (「详情」)
        ctx.enter(FLOW)
        st = State(for_other=bool(it and about_someone_else(it.text)))
        _take_profile(ctx, st, it)
        st.save(ctx)
        named = [p for p in (it.plans if it else []) if p in plans]
        if it is not None and it.rest and not named and it.rest in plans:
            named = [it.rest]
        other = "（替别人测：这次说的情况不会记成您自己的。）\n" if st.for_other else ""
        if named:
            return other + self._choose(ctx, plans[named[0]], intro=True)
        if remembered in plans:  # the notice the conversation is about (「修改计划」 picks another)
            return other + self._choose(ctx, plans[remembered], intro=True, remembered=True)
        return other + "资格自测：回答几个问题，看您能走哪种申报方式、还缺什么。\n" + _plan_menu(ctx, plans, remembered)

    def wants_facts(self, ctx: Context) -> bool:
        """Facts said outside any dialog start the test (with them) when they are about eligibility."""
        it = ctx.it
        return bool(it and (set(it.facts.facts) - {"employer_type"} or it.facts.until_now))

    def _choose(self, ctx: Context, plan: Plan, intro: bool = False, remembered: bool = False) -> str:
        st = State.load(ctx)
        used = facts_used(plan)
        kept = {k: v for k, v in st.facts.items() if k in used}
        if "specialty" in used and "specialty" not in kept and ctx.it is not None and ctx.it.facts:
            # «临平的，机电，本科…»: a bare field of work among other facts is the answer to come.
            spec = listed_specialty(plan, ctx.it.text)
            if spec:
                kept["specialty"] = spec
        st = State(plan=plan.id, facts=kept, history=[k for k in st.history if k in kept],
                   until_now=st.until_now, assessment_years=st.assessment_years, pending=None,
                   for_other=st.for_other)
        _settle(st, plan)
        st.save(ctx)
        ctx.state["last_plan"] = plan.id
        head = f"资格自测｜已选择：{plan.title}。" if intro else f"已选择：{plan.title}。"
        if plan.as_of:
            head += f"年限计算到 {cn_date(plan.as_of)}。"
        elif plan.counted_to:
            head += f"通知未写年限计算截止日，按申报年度末 {cn_date(plan.counted_to)} 计算。"
        if plan.other_conditions_doc:
            head += "\n注意：该通知未列全部申报条件，这里只核对通知写明的部分。"
        hint = f"（随时可说「上一步」「{_modify_example(plan)}」「跳过」「重新开始」「退出」）"
        if remembered:
            hint = "（按您刚才问的计划；不是这个请说「修改计划」）" + hint
        approx = set(ctx.it.facts.approx) if ctx.it is not None and ctx.it.facts else None
        echo = _echo(kept, "已记下您说的：", approx) if kept else ""
        return head + hint + "\n" + (echo + "\n" if echo else "") + _next(ctx, plan)

    # --- the flow --------------------------------------------------------------------------------

    def pending(self, ctx: Context) -> str | None:
        st = State.load(ctx)
        if st.done:
            return None
        plans = _plans(ctx)
        plan = plans.get(st.plan or "")
        return _question(ctx, plan) if plan else _plan_menu(ctx, plans)

    def expects(self, ctx: Context) -> str | None:
        pending = ctx.state.get("pending")
        return pending if pending in FACTS else None

    def claims(self, msg: Incoming, ctx: Context) -> bool:
        """«没有取得» to «是否已取得…？»: a yes/no said with the act asked about is the answer, not
        quitting («不想测了» names no act and still quits); so is a yes («算是吧»)."""
        it = ctx.it
        if it is None or it.match.exact or not it.said("quit", "no"):
            return False
        st = State.load(ctx)
        pending = st.pending if st.plan is not None and not st.correcting else None
        # «算是吧» sounds like «算了» but says yes: a yes is never quitting.
        return pending in FACTS and FACTS[pending].type == "bool" and (
            answers_by_act(it.text, pending) or answer_bool(it.text, pending) is True)

    def accepts(self, msg: Incoming, ctx: Context) -> bool:
        it = ctx.it
        if it is None or msg.kind not in ("text", "voice"):
            return False
        st = State.load(ctx)
        if st.correcting:
            return True
        if st.plan is None:
            plans = _plans(ctx)
            if re.search(r"吗|么", it.text) or ASK_WORDS.search(it.text):
                return False  # «那矿山的呢 也是这样吗»: a question about that notice, not the choice
            return bool(it.number or [p for p in it.plans if p in plans] or it.text in plans)
        if it.asks and it.kind == "question":
            return False  # a question mid-test is answered, and the test waits
        if it.facts:
            return True
        pending = st.pending
        if pending not in FACTS:
            return True
        spec = FACTS[pending]
        if spec.type == "bool":
            # «还没考，明年打算考»: the answer first, whatever the rest sounds like (a tool's own
            # command word is that tool).
            return not (it.is_tool and it.match.exact) and answer_bool(it.text, pending) is not None
        if it.is_tool or it.kind == "social":
            return False
        if spec.type == "text":
            return (not it.asks and it.kind not in ("question",)) or it.said("inform")
        if it.asks and not _parses(pending, it.text):
            return False
        return _parses(pending, it.text) or it.said("inform", "yes", "no")

    def handle(self, msg: Incoming, ctx: Context) -> str | None:
        try:
            plans = _plans(ctx)
        except Exception:
            log.exception("eligibility: plans could not be loaded")
            ctx.leave()
            return "资格自测暂时不可用（评审计划资料有误），请稍后再试，或直接提问。"
        st = State.load(ctx)
        it = ctx.it
        text = it.text if it else (msg.text or "").strip()
        if st.correcting:
            reply = _correction_choice(ctx, plans, text)
            if reply is not None:
                return reply
            st = State.load(ctx)
        plan = plans.get(st.plan or "")
        if plan is None:
            return _on_plan_answer(self, ctx, plans)
        m = _MODIFY.match(text)
        if m or text in ("修改", "更改", "改"):
            return _modify(ctx, plans, plan, m.group(1) if m else "")
        if st.pending not in FACTS:  # state from an older version: recompute the next question
            return _next(ctx, plan)
        named = [p for p in (it.plans if it else []) if p in plans]
        if named and it is not None and not it.facts and _names_only_a_plan(it.text, plans[named[0]]):
            # «临平» at a question: the plan, not an answer (another plan switches the test to it).
            if named[0] == plan.id:
                return f"正在测的就是{plan.title}。\n" + _question(ctx, plan)
            return self._choose(ctx, plans[named[0]])
        only_answer = it is not None and set(it.facts.facts) == {st.pending} and FACTS[st.pending].type == "text"
        if it is not None and it.facts and not only_answer:
            value, why = _pending_value(plan, st.pending, it)
            if value is not None:
                it.facts.facts.setdefault(st.pending, value)
            reply = _take(ctx, plan, it.facts, correcting=False)
            if why and ctx.state.get("pending") == st.pending:  # «国有企业»: how to answer it
                head, _, question = reply.rpartition("\n")
                return f"{head}\n{why}。\n{question}" if head else f"{why}。\n{reply}"
            return reply
        pending = st.pending
        try:
            value = _parse(plan, pending, text)
        except FactError as exc:
            return _missed(ctx, plan, pending, str(exc))
        _store(ctx, pending, value)
        return _next(ctx, plan)

    def non_text(self, msg: Incoming, ctx: Context) -> str | None:
        if msg.kind == "image":
            return None  # the dispatcher runs the photo check beside the test, then asks again
        return "资格自测进行中，请用文字回答。\n" + (self.pending(ctx) or "")

    # --- navigation hooks ------------------------------------------------------------------------

    def quit(self, msg: Incoming, ctx: Context) -> str:
        st = State.load(ctx)
        n = len(st.facts)
        _leave(ctx)
        kept = f"已回答的 {n} 项我先记着，" if n and not st.for_other else ""
        return f"好的，已退出资格自测，不出结论。{kept}想继续时发送「资格自测」。"

    def restart(self, msg: Incoming, ctx: Context) -> str:
        plans = _plans(ctx)
        ctx.state.pop("profile", None)  # 「重新开始」: nothing said before counts any more
        ctx.enter(FLOW)
        State().save(ctx)
        return "好的，重新开始。\n" + _plan_menu(ctx, plans)

    def back(self, msg: Incoming, ctx: Context) -> str | None:
        plans = _plans(ctx)
        st = State.load(ctx)
        plan = plans.get(st.plan or "")
        if plan is None:
            return "这已经是第一个问题（选择评审计划），没有上一步了。\n" + _plan_menu(ctx, plans)
        return _back(ctx, plans, plan)

    def skip(self, msg: Incoming, ctx: Context) -> str | None:
        plans = _plans(ctx)
        st = State.load(ctx)
        plan = plans.get(st.plan or "")
        if plan is None:
            return "评审计划不能跳过：每个计划的条件不同，请先选一个。\n" + _plan_menu(ctx, plans)
        if st.pending not in FACTS:
            return None
        st.skipped.append(st.pending)
        label = FACTS[st.pending].label
        st.misses = 0
        st.save(ctx)
        return f"好的，先跳过「{label}」。\n" + _next(ctx, plan)

    def correct(self, msg: Incoming, ctx: Context) -> str | None:
        """「我记错了，是19年9月」「20年也是称职」: change that one fact and re-evaluate — during
        the test, or after its verdict (then the test is reopened on the verdict's facts)."""
        plans = _plans(ctx)
        if ctx.flow != FLOW:
            verdict = ctx.state.get("last_verdict")
            if not isinstance(verdict, dict) or verdict.get("plan") not in plans:
                return None
            ctx.enter(FLOW)
            State(plan=verdict["plan"], facts=dict(verdict.get("facts") or {}),
                  history=list((verdict.get("facts") or {}).keys()), pending=None, done=True,
                  until_now=bool(verdict.get("until_now"))).save(ctx)
        st = State.load(ctx)
        plan = plans.get(st.plan or "")
        if plan is None:
            return "还没有回答过问题，先选择评审计划。\n" + _plan_menu(ctx, plans)
        it = ctx.it
        text = it.text if it else (msg.text or "")
        m = _MODIFY.match(text)
        if m or text in ("修改", "更改", "改"):
            return _modify(ctx, plans, plan, m.group(1) if m else "")
        if it is not None and it.facts:
            return _take(ctx, plan, it.facts, correcting=True)
        rest = _CORRECTION.sub("", text, count=1).strip(" ，,。.")
        return _correct(ctx, plan, rest)

    def done(self, ctx: Context) -> bool:
        return bool(ctx.state.get("done"))

    def explain(self, msg: Incoming, ctx: Context) -> str | None:
        """«啥意思 看不懂»: what the pending question means, with an example answer."""
        st = State.load(ctx)
        plan = _plans(ctx).get(st.plan or "")
        if plan is None or st.pending not in FACTS:
            return None
        spec = FACTS[st.pending]
        return (f"说明：{spec.explain}\n{_question(ctx, plan)}\n"
                f"（例如「{spec.example}」；不清楚可回复「跳过」，不想测了可说「退出」）")

    def after(self, msg: Incoming, ctx: Context) -> str | None:
        """After the verdict: corrections and new facts change it; 上一步 reopens the last
        question; a late answer is told the test is over; anything else leaves."""
        it = ctx.it
        if it is None or msg.kind not in ("text", "voice"):
            return None
        plans = _plans(ctx)
        st = State.load(ctx)
        plan = plans.get(st.plan or "")
        if plan is None:
            return None
        if st.correcting:
            reply = _correction_choice(ctx, plans, it.text)
            if reply is not None:
                return reply
        m = _MODIFY.match(it.text)
        if m:
            return _modify(ctx, plans, plan, m.group(1))
        if st.unused_fact in FACTS and _parses(st.unused_fact, it.text):
            fact = st.unused_fact
            ctx.state["unused_fact"] = None
            return f"{_not_looked_at(plan)}{FACTS[fact].label}，这个回答不影响结论（见上）。"
        if it.said("correct") or (it.facts and not it.asks and not it.is_tool):
            return self.correct(msg, ctx)
        if it.said("back"):
            return _back(ctx, plans, plan)
        if it.said("skip"):
            return "自测已经出结果了，没有要跳过的问题。" + _next_steps(ctx, plan)
        if it.said("explain"):
            return "结论里每一条的依据和原文出处，回复「详情」可以逐条查看；看不懂的词也可以直接问我，如「直接申报是什么意思」。"
        if it.said("eligibility") and not it.match.exact and not it.facts:
            # «那我到底行不行» right after the verdict: that verdict again, not a new test.
            return _recap(ctx, plan, st.facts)
        if _late_answer(ctx, plan, it.text):
            example = _modify_example(plan, list(st.history))
            return ("自测已经结束（结论见上）。如需重新测试发送「资格自测」，"
                    f"修改某项发送「{example}」等。")
        _leave(ctx)
        return None


DIALOG = EligibilityDialog()


# --- the plan list ---------------------------------------------------------------------------------

def _plan_menu(ctx: Context, plans: dict[str, Plan], remembered: str | None = None) -> str:
    offered = plan_choice.plans_of(ctx)
    ids = plan_choice.ordered({p: plans[p] for p in offered if p in plans} or plans)
    ctx.state["choices"] = ids
    ctx.state["pending"] = PLAN
    lines = ["请选择评审计划（回复序号，或说地区／专业，如「临平」「水利」）："]
    lines += [f"{i}. {plans[p].title}" for i, p in enumerate(ids, 1)]
    if remembered in plans:
        lines.append(f"上次您看的是「{plans[remembered].title}」。")
    return "\n".join(lines)


def _on_plan_answer(dialog: EligibilityDialog, ctx: Context, plans: dict[str, Plan]) -> str:
    it = ctx.it
    st = State.load(ctx)
    choices = [c for c in st.choices if c in plans] or sorted(plans)
    if it is not None and it.number and 1 <= it.number <= len(choices):
        return dialog._choose(ctx, plans[choices[it.number - 1]])
    text = it.text if it else ""
    named = [p for p in (it.plans if it else []) if p in plans] or ([text] if text in plans else [])
    if named:
        if it is not None and it.facts:  # «临平的。我硕士，学材料的…»: the plan and facts at once
            _take_profile(ctx, st, it)
            st.save(ctx)
        return dialog._choose(ctx, plans[named[0]])
    if it is not None and it.facts:  # facts before the plan: kept for when it is chosen
        _take_profile(ctx, st, it)
        st.save(ctx)
        return _echo(it.facts.facts, "已记下：") + "\n" + _plan_menu(ctx, plans)
    st.misses += 1
    st.save(ctx)
    lead = f"没认出是哪个计划（「{text[:20]}」）。"
    if st.misses >= 2:
        lead += "每个计划对应一份评审通知，按您单位所在地区和从事的专业选；例如临平区制造业企业的工程师选「临平」。"
    return lead + "\n" + _plan_menu(ctx, plans)


# --- facts -----------------------------------------------------------------------------------------

_OTHER = re.compile("|".join(f"(?<!其){re.escape(w)}" if w in ("他", "她") else re.escape(w)
                             for w in lexicon()["chatter"]["other_person"]))


def about_someone_else(text: str) -> bool:
    """«帮我们一个员工测一下», «还有个做软件开发的 能报吗»: the person tested is not the asker."""
    return bool(_OTHER.search(text or ""))


def _take_profile(ctx: Context, st: State, it: Any) -> None:
    """Facts said before (sticky profile) and in this message go into the test."""
    profile = ctx.state.get("profile")
    if isinstance(profile, dict) and not st.for_other:
        for k, v in (profile.get("facts") or {}).items():
            if k in FACTS:
                st.facts.setdefault(k, v)
        st.until_now = st.until_now or bool(profile.get("until_now"))
    if it is not None and it.facts:
        st.facts.update(to_json(it.facts.facts))
        st.until_now = st.until_now or it.facts.until_now
        st.assessment_years.update({str(y): g for y, g in it.facts.assessment_years.items()})
    st.history = [k for k in st.facts]


def _remember_profile(ctx: Context, st: State) -> None:
    """What the user said about themselves outlives an unfinished test (never asked again); once
    a verdict is out, its facts live in `last_verdict` and the next 「资格自测」 starts afresh."""
    if st.done or st.for_other:
        return
    ctx.state["profile"] = {"facts": dict(st.facts), "until_now": st.until_now}


def _rederive(st: State, stated: set[str], until_now: bool = False) -> None:
    """Work years counted «一直到现在» follow the graduation date: a corrected date recounts them
    (in _settle); work years stated as a number replace the count."""
    if "related_work_years" in stated and not until_now:
        st.until_now = False
    elif "graduation_date" in stated and st.until_now:
        st.facts.pop("related_work_years", None)
        st.history = [f for f in st.history if f != "related_work_years"]


def _settle(st: State, plan: Plan) -> None:
    """Derived facts: work years «一直到现在» from graduation; assessments given year by year."""
    if st.until_now and "graduation_date" in st.facts and plan.counted_to and "related_work_years" not in st.facts:
        y, m = served(parse_fact("graduation_date", st.facts["graduation_date"]), plan.counted_to)
        st.facts["related_work_years"] = round(y + m / 12, 2)
        st.history.append("related_work_years")
    if st.assessment_years:
        grades = list(st.facts.get("assessments") or [])
        base = (plan.as_of.year if plan.as_of else (plan.year or dt.date.today().year)) - 3
        years = [base, base + 1, base + 2]
        for y_s, g in st.assessment_years.items():
            y = int(y_s)
            if y in years:
                while len(grades) < 3:
                    grades.append(None)
                grades[years.index(y)] = g
        if grades and all(grades[:3]):
            st.facts["assessments"] = grades[:3]
            st.assessment_years = {}
            if "assessments" not in st.history:
                st.history.append("assessments")


def _take(ctx: Context, plan: Plan, found: Any, correcting: bool) -> str:
    """Store every fact a message states; say what was understood; ask the next question."""
    st = State.load(ctx)
    used = facts_used(plan)
    before = dict(st.facts)
    taken: dict[str, Any] = {}
    errors = []
    for name, value in found.facts.items():
        if name not in used:
            continue
        try:
            value = _parse(plan, name, value)
        except FactError as exc:
            errors.append(str(exc))
            continue
        taken[name] = value
    st.until_now = st.until_now or found.until_now
    if found.until_now and "related_work_years" in st.facts and "related_work_years" not in taken:
        st.facts.pop("related_work_years")  # recomputed from graduation below
    st.assessment_years.update({str(y): g for y, g in found.assessment_years.items()})
    for name, value in taken.items():
        st.facts.update(to_json({name: value}))
    _rederive(st, set(taken), found.until_now)
    for name in taken:
        st.history = [f for f in st.history if f != name] + [name]
        st.skipped = [f for f in st.skipped if f != name]
    st.misses = 0
    _settle(st, plan)
    changed = {k: v for k, v in st.facts.items() if before.get(k) != v}
    was_done = st.done
    verdict_before = _outcome(plan, before) if was_done else None
    if changed and (correcting or st.done):  # an answer that changes nothing leaves the verdict standing
        st.done = False
    st.save(ctx)
    if not was_done:
        _remember_profile(ctx, st)
    unused = [FACTS[n].label for n in found.facts if n not in used and n in FACTS]
    if not changed and errors:
        return f"{errors[0]}。\n" + _question(ctx, plan)
    if not changed and unused:
        return (f"{_not_looked_at(plan)}{'、'.join(unused)}，这个回答不影响结论。"
                + ("" if was_done else "\n" + _question(ctx, plan)))
    lead = ""
    corrected = {k: v for k, v in changed.items() if k in before}
    new = {k: v for k, v in changed.items() if k not in before}
    if corrected:
        lead += _echo(corrected, "已更正：", arrow=True) + "\n"
    pending = st.pending
    if new and (set(new) != {pending} or found.approx & set(new)):
        lead += _echo(new, "记下了：", found.approx) + "\n"
    if not changed:
        lead = "这些情况之前已经记下了。\n"
    if was_done and not corrected and verdict_before == _outcome(plan, st.facts):
        # More answers after a verdict that do not change it: said in one line, not the verdict again.
        st = State.load(ctx)
        st.done = True
        st.save(ctx)
        example = _modify_example(plan, list(st.history))
        return (lead + "自测已经结束（结论见上），这些回答不改变结论。如需重新测试发送「资格自测」，"
                f"修改某项发送「{example}」等。")
    return lead + _next(ctx, plan)


def _outcome(plan: Plan, facts: dict[str, Any]) -> tuple[Any, ...]:
    """What a verdict concludes (which routes), to tell whether new answers changed it."""
    try:
        r = evaluate(plan, facts)
    except FactError:
        return ()
    return r.outcome()


def _echo(facts: dict[str, Any], head: str, approx: set[str] | None = None, arrow: bool = False) -> str:
    parts = []
    for name, value in facts.items():
        if name not in FACTS:
            continue
        with contextlib.suppress(FactError):
            parsed = parse_fact(name, value)
            shown = describe(name, parsed)
            sep = " → " if arrow else " "
            if approx and name in approx and isinstance(parsed, dt.date):
                shown = f"{parsed.year}年（只说了年份，按当年12月算；记得月份可说「修改{FACTS[name].label}」）"
            elif approx and name in approx:
                shown = "约" + shown
            parts.append(f"{FACTS[name].label}{sep}{shown}")
    return head + "；".join(parts) + "。" if parts else ""


def _parse(plan: Plan, fact: str, value: Any) -> Any:
    """A value for `fact`; dates must also precede the plan's cut-off they are counted to. A yes/no
    is read as answers are («刚说了，在聘», «还没考»)."""
    if FACTS[fact].type == "bool" and fact not in DESCRIBED and isinstance(value, str):
        said = answer_bool(value, fact)
        if said is not None:
            return said
    try:
        parsed = parse_fact(fact, value)
    except FactError:
        # «哪有那么牛 没有hhh»: the answer closes a message that opens with something else.
        parts = [p for p in re.split(r"[，,。；;\s]+", str(value)) if p] if isinstance(value, str) else []
        if len(parts) < 2:
            raise
        parsed = parse_fact(fact, parts[-1])
    if FACTS[fact].type == "date":
        check_date(fact, parsed, plan.as_of)
    return parsed


def _names_only_a_plan(text: str, plan: Plan) -> bool:
    """«临平», «临平制造业的»: the plan's place or series and nothing else. (A specialty the plan
    covers, «电子», is an answer to the 专业 question, not the plan's name.)"""
    places = {plan.region, *(p for p in re.split(r"[省市区县]", plan.region) if len(p) >= 2)}
    names = {w for w in (*places, plan.series, plan.level) if w}
    if not any(w in text for w in names):
        return False
    rest = text
    for w in sorted(names | set(plan.keywords), key=len, reverse=True):
        rest = rest.replace(w, "")
    return not re.sub(r"[\W_的吧呢啊区市省县这个那个计划]+", "", rest)


def _pending_value(plan: Plan, pending: str | None, it: Any) -> tuple[Any, str]:
    """The answer to the question being asked when a message also stated other facts
    («属于吧，我们是国网下面的供电公司» answers 单位范围 and says 企业) — or why it does not
    answer it yet («国有企业要看是哪一类…»)."""
    if pending == "specialty" and pending not in it.facts.facts and not it.asks:
        # «机电，本科17年6月毕业…» at the specialty question: the field listed among the facts.
        return listed_specialty(plan, it.text), ""
    if pending not in FACTS or pending in it.facts.facts or it.asks or FACTS[pending].type in ("text", "list"):
        return None, ""
    try:
        if FACTS[pending].type == "bool":
            if pending in DESCRIBED:
                return parse_fact(pending, it.text), ""
            return answer_bool(it.text, pending), ""
        return _parse(plan, pending, it.text), ""
    except FactError as exc:
        return None, str(exc) if pending in DESCRIBED else ""


def _parses(fact: str, text: str) -> bool:
    if FACTS[fact].type == "bool":
        return answer_bool(text, fact) is not None
    try:
        parse_fact(fact, text)
    except FactError:
        return False
    return True


def _store(ctx: Context, fact: str, value: Any) -> None:
    st = State.load(ctx)
    st.facts.update(to_json({fact: value}))
    _rederive(st, {fact})
    st.history = [f for f in st.history if f != fact] + [fact]
    st.skipped = [f for f in st.skipped if f != fact]
    st.misses = 0
    plans = _plans(ctx)
    plan = plans.get(st.plan or "")
    if plan is not None:
        _settle(st, plan)
    st.save(ctx)
    _remember_profile(ctx, st)


# --- asking --------------------------------------------------------------------------------------

def _modify_example(plan: Plan, answered: list[str] | None = None) -> str:
    """「修改学历」, or a fact this plan does ask when it never looks at 学历."""
    used = facts_used(plan)
    for fact in ["education", *(answered or []), *ASK_ORDER]:
        if fact in used and fact in FACTS:
            return f"修改{FACTS[fact].label}"
    return "修改学历"


def _not_looked_at(plan: Plan) -> str:
    """«…的条件不看»: said of what this check uses. A notice that lists only part of the conditions
    (the rest in an 《评价条件》 not loaded) may well look at it there: said so, not denied."""
    if plan.other_conditions_doc:
        return f"{_plan_name(plan)}通知写明的条件（其余见未收录的{plan.other_conditions_doc.split('（')[0]}）里没有用到"
    return f"{_plan_name(plan)}的条件不看"


def _plan_name(plan: Plan) -> str:
    return f"{plan.series}计划" if plan.series else "这个计划"


def _next(ctx: Context, plan: Plan) -> str:
    """Ask the first unknown fact that can still change an outcome, or show the result."""
    st = State.load(ctx)
    result = evaluate(plan, st.facts)
    fact = next_fact(result, set(st.skipped), plan)
    lead = ""
    if fact is not None and fact in st.facts:
        # Answered, but not enough to decide (e.g. 3 years of assessments where 5 are needed).
        st.reasked[fact] = st.reasked.get(fact, 0) + 1
        if st.reasked[fact] > 1:  # asked once more already: leave it open rather than loop
            st.skipped.append(fact)
            st.save(ctx)
            return _next(ctx, plan)
        why = [i.message for r in result.routes.values() for i in r.unknown if fact in i.needs]
        lead = f"还需补充：{why[0]}。\n" if why else ""
    lead = _clash(st, result) + lead
    if fact is None:
        st.save(ctx)
        return lead + _result(ctx, plan, result)
    st.pending = fact
    st.misses = 0
    st.save(ctx)
    return lead + _question(ctx, plan)


def _clash(st: State, result: Verdict) -> str:
    """Answers that contradict each other, said once, plainly, with how to fix it."""
    for r in result.routes.values():
        for item in r.failed + r.passed:
            text = item.inconsistent
            if text and text not in st.clashes_said:
                st.clashes_said.append(text)
                return f"⚠️ 前后不一致：{text}。如果说错了，可以说「修改工作年限」或「修改毕业时间」。\n"
    return ""


def next_fact(result: Verdict, skipped: set[str], plan: Plan | None = None) -> str | None:
    """The next question: conditions every route shares first (they can end the test), then
    the rest in ASK_ORDER. Once a route qualifies, only its assumptions are still worth asking."""
    routes = result.routes
    if result.eligible_routes:
        pool = {n for rid in result.eligible_routes for item in routes[rid].passed if item.assumed for n in item.needs}
    else:
        pool = set(result.missing)
    pool -= skipped
    general = set(plan.general_rules) if plan else set()
    shared = {n for r in routes.values() for item in r.unknown + r.passed if item.rule in general for n in item.needs}
    ordered = sorted(pool, key=lambda f: (f not in shared, ASK_ORDER.index(f)))
    return ordered[0] if ordered else None


def _question(ctx: Context, plan: Plan | None) -> str:
    fact = ctx.state.get("pending")
    if plan is None or fact not in FACTS:
        return ""
    text = plan.questions.get(fact, FACTS[fact].question)
    grad = (ctx.state.get("facts") or {}).get("graduation_date")
    if fact == "related_work_years" and grad and plan.counted_to:
        since = parse_fact("graduation_date", grad)
        y, m = served(since, plan.counted_to)
        text += (f"（您 {since.year}年{since.month}月 毕业，到 {cn_date(plan.counted_to)} 共 {ym(y, m)}；"
                 f"只算毕业后的本专业工作；一直在做可以说「一直做到现在」）")
    return text


def pending_question(ctx: Context) -> str | None:
    return DIALOG.pending(ctx)


def _missed(ctx: Context, plan: Plan, fact: str, error: str) -> str:
    st = State.load(ctx)
    st.misses += 1
    st.save(ctx)
    spec = FACTS[fact]
    if st.misses >= 2:
        return (f"{error}。\n说明：{spec.explain}\n{_question(ctx, plan)}\n"
                f"（例如「{spec.example}」；不清楚可回复「跳过」，不想测了可说「退出」）")
    return f"{error}。\n{_question(ctx, plan)}（例如「{spec.example}」）"


def _back(ctx: Context, plans: dict[str, Plan], plan: Plan) -> str:
    st = State.load(ctx)
    if not st.history:
        st.plan = None
        st.save(ctx)
        return "回到上一步：选择评审计划。\n" + _plan_menu(ctx, plans)
    last = st.history.pop()
    st.facts.pop(last, None)
    st.pending, st.misses, st.done = last, 0, False
    st.save(ctx)
    return "回到上一题。\n" + _question(ctx, plan)


def _modify(ctx: Context, plans: dict[str, Plan], plan: Plan, what: str) -> str:
    st = State.load(ctx)
    if re.search(r"计划|通知|地区", what):
        st.plan = None
        st.save(ctx)
        return _plan_menu(ctx, plans)
    fact = fact_by_label(what) if what else None
    if fact is None:
        labels = "、".join(FACTS[f].label for f in st.history if f in FACTS) or "学历、职称"
        return f"想修改哪一项？可以说「修改学历」等，已回答的有：{labels}。\n" + _question(ctx, plan)
    used = facts_used(plan)
    if fact not in used:
        can = [FACTS[f].label for f in ASK_ORDER if f in used]
        again = _question(ctx, plan) if not st.done else ""
        ctx.state["unused_fact"] = fact  # its answer, if it still comes, is said to change nothing
        return (f"{_not_looked_at(plan)}{FACTS[fact].label}，不用修改。"
                f"可以修改的有：{'、'.join(can)}（如「修改{can[0] if can else '学历'}」）。"
                + ("\n" + again if again else ""))
    said = label_and_value(what)
    if said is not None and said[0] == fact and said[1]:
        value = _value_of(plan, fact, said[1])  # «修改聘任时间 2021年6月»: the new value comes with it
        if value is not None:
            return _apply_correction(ctx, plan, fact, value)
    old = st.facts.pop(fact, None)
    st.pending, st.misses, st.done = fact, 0, False
    st.history = [f for f in st.history if f != fact]
    st.skipped = [f for f in st.skipped if f != fact]
    st.save(ctx)
    was = f"（原来是：{describe(fact, parse_fact(fact, old))}）" if old is not None else ""
    return f"好的，重新回答「{FACTS[fact].label}」{was}：\n" + _question(ctx, plan)


def _kind(fact: str) -> str:
    """Answers of one kind compete for a correction: a date fits every date question."""
    if fact == "related_work_years":
        return "years"
    spec = FACTS[fact]
    return fact if spec.type == "enum" else ("number" if spec.type == "int" else spec.type)


def _correct(ctx: Context, plan: Plan, rest: str) -> str:
    """「我说错了，是50分」 with no subject named: the answered fact whose parser takes the new
    value — of each kind the most recently answered. Two kinds fit → ask which."""
    st = State.load(ctx)
    if not rest:
        return "哪一项说错了？可以直接说「我说错了，是硕士」，或「修改学历」。\n" + (_question(ctx, plan) or "")
    said = label_and_value(rest)
    if said is not None and said[1]:
        if said[0] not in facts_used(plan):  # «学分改下 42分» where the plan sets no credits
            return f"{_not_looked_at(plan)}{FACTS[said[0]].label}，不用修改。\n" + (_question(ctx, plan) or "")
        value = _value_of(plan, said[0], said[1])  # «学分改下 42分»: the fact is named
        if value is not None:
            return _apply_correction(ctx, plan, said[0], value)
    fits: dict[str, tuple[str, Any]] = {}  # kind → (most recent fact of that kind, value)
    for fact in reversed(st.history):
        if fact not in FACTS or FACTS[fact].type in ("text", "list"):
            continue
        if FACTS[fact].type == "bool" and re.search(r"\d", rest):
            continue  # «是19年9月不是7月» is a date said again, not a yes to a yes/no question
        try:
            value = _parse(plan, fact, rest) if FACTS[fact].type != "bool" else answer_bool(rest, fact)
        except FactError:
            continue
        if value is None:
            continue
        fits.setdefault(_kind(fact), (fact, value))
    if not fits and st.history and st.history[-1] in FACTS and FACTS[st.history[-1]].type == "text":
        with contextlib.suppress(FactError):
            fits["text"] = (st.history[-1], _parse(plan, st.history[-1], rest))
    if len(fits) == 1:
        fact, value = next(iter(fits.values()))
        return _apply_correction(ctx, plan, fact, value)
    if len(fits) > 1:
        options = [f for f, _ in fits.values()]
        ctx.state["correcting"] = {"value": rest, "options": options}
        names = "、".join(f"{i}. {FACTS[f].label}" for i, f in enumerate(options, 1))
        return f"「{rest[:20]}」要更正哪一项？{names}（回复序号）"
    pending = st.pending
    if pending in FACTS and pending not in st.history and not st.done:
        try:  # nothing answered fits: it is the answer to the question being asked
            value = _parse(plan, pending, rest)
        except FactError:
            pass
        else:
            _store(ctx, pending, value)
            return _next(ctx, plan)
    return (f"「{rest[:20]}」对不上已回答的问题，没有更改。可以说「修改学历」「修改聘任时间」等再重新回答。\n"
            + (_question(ctx, plan) or ""))


def _value_of(plan: Plan, fact: str, text: str) -> Any:
    """The value a correction gives, or None when the text is no value of that fact."""
    if FACTS[fact].type == "bool":
        return answer_bool(text, fact)
    try:
        return _parse(plan, fact, text)
    except FactError:
        return None


def _apply_correction(ctx: Context, plan: Plan, fact: str, value: Any) -> str:
    _store(ctx, fact, value)
    ctx.state["done"] = False
    ctx.state["correcting"] = None
    return f"已更正：{FACTS[fact].label} → {describe(fact, value)}。\n" + _next(ctx, plan)


def _correction_choice(ctx: Context, plans: dict[str, Plan], text: str) -> str | None:
    """The reply to 「要更正哪一项？」; anything else drops the question and is handled as usual."""
    pending = ctx.state.get("correcting") or {}
    ctx.state["correcting"] = None
    plan = plans.get(ctx.state.get("plan") or "")
    options = [f for f in pending.get("options", []) if f in FACTS]
    it = ctx.it
    n = it.number if it is not None else None
    fact = options[n - 1] if n and 1 <= n <= len(options) else fact_by_label(text)
    if plan is None or fact not in options:
        return None
    try:
        value = _parse(plan, fact, pending["value"])
    except FactError as exc:
        return f"{exc}。\n" + _question(ctx, plan)
    return _apply_correction(ctx, plan, fact, value)


# --- the result ----------------------------------------------------------------------------------

def _next_steps(ctx: Context, plan: Plan) -> str:
    example = _modify_example(plan, list(ctx.state.get("history") or []))
    return ("自测已结束。接下来可以：发送「提醒」订阅本计划的截止日期提醒，「材料清单」看完整申报材料，"
            f"回复「详情」看逐条依据，「{example}」或直接说哪项说错了来改答案，「资格自测」重新测。")


def _result(ctx: Context, plan: Plan, result: Verdict) -> str:
    st = State.load(ctx)
    st.done, st.done_at, st.pending = True, int(time.time()), None
    st.save(ctx)
    # The verdict outlives the dialog (until the next 资格自测), so 「详情」 works later too.
    ctx.state.update(eligible_routes=result.eligible_routes, eligibility_plan=plan.id,
                     last_verdict={"plan": plan.id, "facts": dict(st.facts), "until_now": st.until_now})
    ctx.state.pop("profile", None)
    routes = result.eligible_routes or result.stated_conditions_met_routes
    estimate = _this_year(ctx, plan, st.facts)
    if estimate:
        # A past notice: what this year would give comes first; the «若以后年度…» lines (years
        # that may already be past) give way to it and stay in 「详情」.
        shown = dataclasses.replace(result, what_if=None)
        year = plan.year or (plan.as_of.year if plan.as_of else "")
        lines = [estimate, f"以下按已收录的{year}年度通知逐条核对：\n"
                 + render_text(shown, plan, detail=False, materials=False)]
    else:
        lines = [render_text(result, plan, detail=False, materials=False)]
    next_steps = _next_steps(ctx, plan)
    if routes:
        items = plan.materials(routes[0])
        listing = f"📋 {plan.route(routes[0]).title}材料：" + "；".join(f"{i}.{m.text}" for i, m in enumerate(items, 1))
        if sum(map(len, [*lines, listing, next_steps])) + 3 > MAX_REPLY:
            listing = f"📋 {plan.route(routes[0]).title}需准备 {len(items)} 项材料，发送「材料清单」查看。"
        lines.append(listing)
    lines.append(next_steps)
    return "\n".join(lines)


def _recap(ctx: Context, plan: Plan, facts: dict[str, Any]) -> str:
    try:
        result = evaluate(plan, facts)
    except FactError:
        return "自测结论见上；回复「详情」看逐条依据。"
    estimate = _this_year(ctx, plan, facts)
    text = render_text(dataclasses.replace(result, what_if=None) if estimate else result, plan,
                       detail=False, materials=False)
    lines = [estimate, text] if estimate else [text]
    return "\n".join([*lines, "回复「详情」看逐条依据；说错了可以直接说哪项要改。"])


def _newer_plan(plans: dict[str, Plan], plan: Plan) -> Plan | None:
    same = [p for p in plans.values() if p.series == plan.series and p.region == plan.region
            and p.level == plan.level and (p.year or 0) > (plan.year or 0)]
    return max(same, key=lambda p: p.year or 0) if same else None


def _this_year(ctx: Context, plan: Plan, facts: dict[str, Any]) -> str:
    """When the plan's cut-off is in a past year and no newer plan of its series is loaded: what
    the same facts give with years counted to the end of this year — an estimate, said so, with
    the offer to be told when the new notice is out."""
    today = _today(ctx)
    if plan.counted_to is None or plan.counted_to.year >= today.year or _newer_plan(_plans(ctx), plan) is not None:
        return ""
    end = dt.date(today.year, 12, 31)
    try:
        later = evaluate_at(plan, facts, end)
    except FactError:
        return ""
    titles = [later.routes[r].title for r in later.eligible_routes]
    met = [later.routes[r].title for r in later.stated_conditions_met_routes]
    undecided = [r for r in later.routes.values() if r.eligible is None and not r.stated_conditions_met]
    head = f"⏳ 现在是{today.year}年，新年度通知还没有收录。"
    when = f"若今年沿用同样的条件、年限算到 {cn_date(end)}，"
    if titles:
        body = f"{when}估计可走：{'、'.join(titles)}（估算，以新通知为准）。"
    elif met:
        # A notice that lists only part of the conditions: met as far as it states them.
        body = f"{when}通知写明的条件估计仍符合：{'、'.join(met)}（估算，以新通知为准）。"
    elif undecided:
        body = f"{when}还有条件待确认，暂不能估计（以新通知为准）。"
    else:
        body = f"{when}估计仍不符合（估算，以新通知为准）。"
    offers.make(ctx, "series", plan=plan.id)
    return head + body + "回复「好的」可在新年度通知发布后提醒您。"


def _leave(ctx: Context) -> None:
    """End the dialog, keeping what later messages use: the plan, the routes (提醒／材料清单),
    the last verdict (详情, corrections) and what the user said about themselves."""
    st = State.load(ctx)
    keep: dict[str, Any] = {}
    if st.plan:
        keep["last_plan"] = st.plan
    if st.done and st.plan:
        keep.update(eligible_routes=ctx.state.get("eligible_routes", []), eligibility_plan=st.plan)
    ctx.leave()
    ctx.state.update(keep)


def _late_answer(ctx: Context, plan: Plan, text: str) -> bool:
    """Shortly after a verdict, a message that reads as an answer to one of this plan's
    questions is a late answer to the finished test, not a question for Q&A."""
    done_at = ctx.state.get("done_at")
    if not isinstance(done_at, int | float) or time.time() - done_at > LATE_ANSWER_SECONDS:
        return False
    it = ctx.it
    if not text or len(text) > 30 or (it is not None and it.asks):
        return False
    return any(_parses(f, text) for f in facts_used(plan) if FACTS[f].type not in ("text", "list"))


# --- one-shots: 详情 and 今年能报吗 ------------------------------------------------------------------

def _detail_text(ctx: Context, verdict: dict[str, Any]) -> str:
    plan = _plans(ctx).get(str(verdict.get("plan")))
    if plan is None:
        return "上次自测的评审计划已不在资料中，请发送「资格自测」重新测。"
    try:
        result = evaluate(plan, verdict.get("facts") or {})
    except FactError:
        return "上次自测的答案与现有计划资料对不上，请发送「资格自测」重新测。"
    return render_text(result, plan, detail=True, materials=True)


def detail(msg: Incoming, ctx: Context) -> str:
    """「详情」: the clause-by-clause basis of the last verdict, whenever asked."""
    if ctx.flow == FLOW and not ctx.state.get("done"):
        return "资格自测还没出结果，回答完问题后再发「详情」。"
    verdict = ctx.state.get("last_verdict")
    if not verdict:
        return "还没有资格自测的结果。发送「资格自测」，回答几个问题后可看逐条依据。"
    try:
        return _detail_text(ctx, verdict)
    except Exception:  # a broken plan file must not take the chat down
        log.exception("eligibility: detail failed")
        return "逐条依据暂时无法显示，请稍后再试。"


def _outside_scope(ctx: Context, text: str) -> bool:
    try:
        return ctx.services.qa.retriever.out_of_scope(text, None) is not None
    except Exception:  # the index being unavailable must not stop the answer about this year
        log.exception("this_year: scope check failed")
        return False


def this_year(msg: Incoming, ctx: Context) -> str:
    """「今年能报吗」: the last verdict re-counted to the end of this year, or which notices are loaded."""
    plans = _plans(ctx)
    today = _today(ctx)
    verdict = ctx.state.get("last_verdict")
    if isinstance(verdict, dict) and verdict.get("plan") in plans:
        plan = plans[verdict["plan"]]
        estimate = _this_year(ctx, plan, dict(verdict.get("facts") or {}))
        if estimate:
            return estimate
        return (f"按《{plan.title}》（年限算到 {cn_date(plan.counted_to) if plan.counted_to else '通知规定的日期'}），"
                "结论见上次自测；发送「详情」看逐条依据。")
    it = ctx.it
    if _outside_scope(ctx, it.text if it else msg.text or ""):
        from handlers import qa  # «教师职称今年什么时候报»: a series no notice covers is declined by Q&A

        return qa.handle(msg, ctx)
    named = [p for p in (it.plans if it else []) if p in plans]
    shown = [plans[named[0]]] if named else sorted(plans.values(), key=lambda p: (p.year or 0), reverse=True)
    lines = [f"现在是{today.year}年。收录的通知：" + "、".join(
        f"{p.title}（{p.year}年度）" if p.year else p.title for p in shown[:6]) + "。"]
    past = [p for p in shown if p.year and p.year < today.year]
    if past:
        lines.append(f"这些是往年的通知，{today.year}年度的新通知还没有收录，具体条件和日期以新通知为准。")
        if len(past) == 1:
            offers.make(ctx, "series", plan=past[0].id)
        else:  # which notice's successor: the reminder tool asks, never a guess
            offers.make(ctx, "tool", intent="new_year_reminder")
        lines.append("可以先发送「资格自测」按现有条件估算（会同时给出算到今年年底的估计）；"
                     "回复「好的」可在新年度通知发布后提醒您。")
    else:
        lines.append("发送「资格自测」，回答几个问题，看您能走哪种申报方式。")
    return "\n".join(lines)
