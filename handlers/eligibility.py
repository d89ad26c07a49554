"""资格自测: the guided eligibility dialog (WeChat and `bot chat` both come through the dispatcher).

First the plan, then only the questions that can still change an outcome (the engine's
unknown facts drive the next question). Free answers are parsed by knowledge/eligibility/facts.py.
At any point: 上一步, 修改<项目>, 「我说错了，是硕士」, 跳过, 重新开始, 退出; a question asked
mid-dialog is answered by Q&A and the pending question is asked again. Everything lives
in ctx.state, which the dispatcher persists, so a restart loses nothing.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import unicodedata
from typing import Any

from handlers.base import Context, Incoming
from knowledge.eligibility.facts import (
    ASK_ORDER,
    FACTS,
    FactError,
    check_date,
    describe,
    fact_by_label,
    parse_fact,
    to_json,
)
from knowledge.eligibility.plans import Plan, match_plans
from knowledge.eligibility.rules import cn_date, evaluate, facts_used, render_text, served, ym

log = logging.getLogger(__name__)

FLOW = "eligibility"
PLAN = "__plan__"  # the pending "question" while no plan is chosen
START_WORDS = ("资格自测", "自测", "资格测试", "我能评吗", "我能评吗?", "能不能评", "申报资格自测")

EXIT = ("退出", "取消", "结束", "不测了", "exit", "quit")
RESTART = ("重新开始", "重来", "从头开始", "重新测", "重新自测")
BACK = ("上一步", "上一题", "返回", "回到上一步", "back")
SKIP = ("跳过", "不知道", "不清楚", "不确定", "忘了", "不记得")
DETAIL = ("详情", "详细", "查看详情", "依据")
DETAIL_WORDS = ("详情", "查看详情", "逐条依据")  # registered as a command: works after the dialog too
# How long after a verdict a message that reads like an answer («50», «合格 合格») is taken
# as a late answer to the finished test (said so) rather than a question for Q&A.
LATE_ANSWER_SECONDS = 15 * 60

_QUESTION = re.compile(r"怎么|怎样|多少|哪|吗|什么|如何|为什么|为啥|能不能|可不可以|几号|几月|几天|何时|啥时候|么$")
_CORRECTION = re.compile(r"^(?:我)?(?:刚才)?(?:说错了|搞错了|写错了|打错了|填错了|答错了|更正|纠正一下|纠正)"
                         r"[，,。.！!\s]*(?:应该)?(?:是|为)?[:：]?(.*)$|^(?:应该是|改成|改为|不对[，,。\s]*(?:应该)?(?:是|为))(.+)$")
_MODIFY = re.compile(r"^(?:修改|更改|改一下|改|重新回答|重答)\s*(.+)$")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().strip("。.!！~～")


def _plans(ctx: Context) -> dict[str, Plan]:
    return dict(ctx.services.plans)


# --- entry ---------------------------------------------------------------------------------

def start(msg: Incoming, ctx: Context) -> str:
    """「资格自测」 or the ELIGIBILITY menu key: begin, inferring the plan from the words when possible."""
    try:
        plans = _plans(ctx)
    except Exception:  # a broken plan file must not take the chat down
        log.exception("eligibility: plans could not be loaded")
        return "资格自测暂时不可用（评审计划资料有误），请稍后再试，或直接提问。"
    remembered = ctx.state.get("last_plan") or ctx.state.get("plan")
    ctx.enter(FLOW, plan=None, facts={}, history=[], skipped=[], misses=0, pending=PLAN)
    ctx.state.pop("last_verdict", None)  # a new test replaces the old verdict (「详情」)
    words = _norm(msg.text)
    for w in sorted(START_WORDS, key=len, reverse=True):
        words = words.replace(w, "")
    found = match_plans(words, plans) if words else []
    if found:
        return _choose_plan(ctx, plans[found[0]], intro=True)
    return "资格自测：回答几个问题，看您能走哪种申报方式、还缺什么。\n" + _plan_menu(ctx, plans, remembered)


def _plan_menu(ctx: Context, plans: dict[str, Plan], remembered: str | None = None) -> str:
    ids = sorted(plans, key=lambda p: (plans[p].level != "工程师", p))
    ctx.state["choices"] = ids
    ctx.state["pending"] = PLAN
    lines = ["请选择评审计划（回复序号，或说地区／专业，如「临平」「水利」）："]
    lines += [f"{i}. {plans[p].title}" for i, p in enumerate(ids, 1)]
    if remembered in plans:
        lines.append(f"上次您测的是「{plans[remembered].title}」。")
    return "\n".join(lines)


def _choose_plan(ctx: Context, plan: Plan, intro: bool = False) -> str:
    ctx.state.update(plan=plan.id, facts={}, history=[], skipped=[], misses=0, done=False)
    head = f"已选择：{plan.title}。"
    if plan.as_of:
        head += f"年限计算到 {plan.as_of.year}年{plan.as_of.month}月{plan.as_of.day}日。"
    if plan.other_conditions_doc:
        head += "\n注意：该通知未列全部申报条件，这里只核对通知写明的部分。"
    hint = f"（随时可说「上一步」「{_modify_example(plan)}」「跳过」「重新开始」「退出」）"
    return head + hint + "\n" + _next(ctx, plan)


def _modify_example(plan: Plan, answered: list[str] | None = None) -> str:
    """「修改学历」, or a fact this plan does ask when it never looks at 学历."""
    used = facts_used(plan)
    for fact in ["education", *(answered or []), *ASK_ORDER]:
        if fact in used and fact in FACTS:
            return f"修改{FACTS[fact].label}"
    return "修改学历"


def _plan_name(plan: Plan) -> str:
    return f"{plan.series}计划" if plan.series else "这个计划"


# --- the flow ------------------------------------------------------------------------------

def handle(msg: Incoming, ctx: Context) -> str | None:
    try:
        plans = _plans(ctx)
    except Exception:
        log.exception("eligibility: plans could not be loaded")
        ctx.leave()
        return "资格自测暂时不可用（评审计划资料有误），请稍后再试，或直接提问。"
    plan = plans.get(ctx.state.get("plan") or "")
    if msg.kind not in ("text", "voice"):
        return _non_text(msg, ctx, plans, plan)
    text = _norm(msg.text)
    low = text.lower()

    if low in EXIT:
        _leave(ctx, plan)
        return "已退出资格自测。需要时再发送「资格自测」。"
    if low in RESTART:
        ctx.enter(FLOW, plan=None, facts={}, history=[], skipped=[], misses=0, pending=PLAN)
        return "好的，重新开始。\n" + _plan_menu(ctx, plans)
    if plan is None:
        if low in BACK:
            return "这已经是第一个问题（选择评审计划），没有上一步了。\n" + _plan_menu(ctx, plans)
        if low in SKIP:
            return "评审计划不能跳过：每个计划的条件不同，请先选一个。\n" + _plan_menu(ctx, plans)
        if _MODIFY.match(text) or _CORRECTION.match(text) or low in ("修改", "更改", "改"):
            return "还没有回答过问题，先选择评审计划。\n" + _plan_menu(ctx, plans)
        return _on_plan_answer(ctx, plans, text)
    if ctx.state.get("correcting"):
        chosen = _correction_choice(ctx, plan, text)
        if chosen is not None:
            return chosen
    if ctx.state.get("done"):
        return _after_result(msg, ctx, plan, text)
    if low in BACK:
        return _back(ctx, plans, plan)
    m = _MODIFY.match(text)
    if m or low in ("修改", "更改", "改"):
        return _modify(ctx, plans, plan, m.group(1) if m else "")
    m = _CORRECTION.match(text)
    if m:
        return _correct(ctx, plan, (m.group(1) or m.group(2) or "").strip())
    pending = ctx.state.get("pending")
    if pending not in FACTS:  # state from an older version: recompute the next question
        return _next(ctx, plan)
    if low in SKIP:
        ctx.state.setdefault("skipped", []).append(pending)
        ctx.state["misses"] = 0
        return f"好的，先跳过「{FACTS[pending].label}」。\n" + _next(ctx, plan)
    if "?" in text or (_QUESTION.search(text) and (FACTS[pending].type == "text" or not _parses(pending, text))):
        return _digress(ctx, plan, text)
    try:
        value = _parse(plan, pending, text)
    except FactError as exc:
        return _missed(ctx, plan, pending, str(exc))
    _store(ctx, pending, value)
    return _next(ctx, plan)


def _parse(plan: Plan, fact: str, text: str) -> Any:
    """A dialog answer; dates must also precede the plan's cut-off they are counted to."""
    value = parse_fact(fact, text)
    if FACTS[fact].type == "date":
        check_date(fact, value, plan.as_of)
    return value


def _non_text(msg: Incoming, ctx: Context, plans: dict[str, Plan], plan: Plan | None) -> str:
    """A photo mid-test goes to the photo check (registry OTHER), then the question again."""
    from handlers import registry  # registry imports this module

    again = _question(ctx, plan) if plan and not ctx.state.get("done") else ("" if plan else _plan_menu(ctx, plans))
    handler = registry.OTHER.get(msg.kind)
    if handler is None:
        return "资格自测进行中，请用文字回答。\n" + again
    try:
        reply = handler(msg, ctx) or ""
    except Exception:  # the photo check failing must not end the test
        log.exception("eligibility: %s handler failed mid-dialog", msg.kind)
        reply = "这张图片没能处理，请稍后再发。"
    return reply + ("\n\n—— 继续资格自测 ——\n" + again if again else "")


def _parses(fact: str, text: str) -> bool:
    try:
        parse_fact(fact, text)
    except FactError:
        return False
    return True


def _store(ctx: Context, fact: str, value: Any) -> None:
    facts = dict(ctx.state.get("facts") or {})
    facts.update(to_json({fact: value}))
    ctx.state["facts"] = facts
    history = [f for f in ctx.state.get("history", []) if f != fact]
    ctx.state["history"] = [*history, fact]
    ctx.state["skipped"] = [f for f in ctx.state.get("skipped", []) if f != fact]
    ctx.state["misses"] = 0


def _on_plan_answer(ctx: Context, plans: dict[str, Plan], text: str) -> str:
    choices = [c for c in ctx.state.get("choices", []) if c in plans] or sorted(plans)
    m = re.fullmatch(r"第?\s*(\d{1,2})\s*(?:个|项|号)?", text)
    if m and 1 <= int(m.group(1)) <= len(choices):
        return _choose_plan(ctx, plans[choices[int(m.group(1)) - 1]])
    if text in plans:
        return _choose_plan(ctx, plans[text])
    found = match_plans(text, plans)
    if found:
        return _choose_plan(ctx, plans[found[0]])
    if "?" in text or _QUESTION.search(text):
        return _qa(ctx, text) + "\n\n—— 继续资格自测 ——\n" + _plan_menu(ctx, plans)
    misses = int(ctx.state.get("misses", 0)) + 1
    ctx.state["misses"] = misses
    lead = f"没认出是哪个计划（「{text[:20]}」）。"
    if misses >= 2:
        lead += "每个计划对应一份评审通知，按您单位所在地区和从事的专业选；例如临平区制造业企业的工程师选「临平」。"
    return lead + "\n" + _plan_menu(ctx, plans)


def _next(ctx: Context, plan: Plan) -> str:
    """Ask the first unknown fact that can still change an outcome, or show the result."""
    facts = ctx.state.get("facts") or {}
    result = evaluate(plan, facts)
    fact = next_fact(result, set(ctx.state.get("skipped", [])), plan)
    lead = ""
    if fact is not None and fact in facts:
        # Answered, but not enough to decide (e.g. 3 years of assessments where 5 are needed).
        asked = dict(ctx.state.get("reasked") or {})
        asked[fact] = asked.get(fact, 0) + 1
        ctx.state["reasked"] = asked
        if asked[fact] > 1:  # asked once more already: leave it open rather than loop
            ctx.state.setdefault("skipped", []).append(fact)
            return _next(ctx, plan)
        why = [i["message"] for r in result["routes"].values() for i in r["unknown"] if fact in i.get("needs", [])]
        lead = f"还需补充：{why[0]}。\n" if why else ""
    lead = _clash(ctx, result) + lead
    if fact is None:
        return lead + _result(ctx, plan, result)
    ctx.state["pending"] = fact
    ctx.state["misses"] = 0
    return lead + _question(ctx, plan)


def _clash(ctx: Context, result: dict[str, Any]) -> str:
    """Answers that contradict each other (6 years of work but graduated 2½ years ago): said
    once, plainly, with how to fix it; the engine counts the smaller figure meanwhile."""
    said = set(ctx.state.get("clashes_said") or [])
    for r in result["routes"].values():
        for item in r["failed"] + r["passed"]:
            text = item.get("inconsistent")
            if text and text not in said:
                ctx.state["clashes_said"] = [*said, text]
                return f"⚠️ 前后不一致：{text}。如果说错了，可以说「修改工作年限」或「修改毕业时间」。\n"
    return ""


def next_fact(result: dict[str, Any], skipped: set[str], plan: Plan | None = None) -> str | None:
    """The next question: conditions every route shares first (they can end the test), then
    the rest in ASK_ORDER. Once a route qualifies, only its assumptions are still worth asking."""
    routes = result["routes"]
    if result["eligible_routes"]:
        pool = {n for rid in result["eligible_routes"] for item in routes[rid]["passed"]
                if item.get("assumed") for n in item.get("needs", [])}
    else:
        pool = set(result["missing"])
    pool -= skipped
    general = set(plan.general_rules) if plan else set()
    shared = {n for r in routes.values() for item in r["unknown"] + r["passed"]
              if item["rule"] in general for n in item.get("needs", [])}
    ordered = sorted(pool, key=lambda f: (f not in shared, ASK_ORDER.index(f)))
    return ordered[0] if ordered else None


def _question(ctx: Context, plan: Plan | None) -> str:
    fact = ctx.state.get("pending")
    if plan is None or fact not in FACTS:
        return ""
    # No question numbers: skips, 上一步 and corrections made them repeat (two 「2.」).
    text = plan.questions.get(fact, FACTS[fact].question)
    grad = (ctx.state.get("facts") or {}).get("graduation_date")
    if fact == "related_work_years" and grad and plan.as_of:
        since = parse_fact("graduation_date", grad)
        y, m = served(since, plan.as_of)
        text += (f"（您 {since.year}年{since.month}月 毕业，到 {cn_date(plan.as_of)} 共 {ym(y, m)}；"
                 f"只算毕业后的本专业工作）")
    return text


def pending_question(ctx: Context) -> str | None:
    """The question the test waits on, repeated after a side command (帮助, a photo …)."""
    if ctx.state.get("done"):
        return None
    plans = _plans(ctx)
    plan = plans.get(ctx.state.get("plan") or "")
    return _question(ctx, plan) if plan else _plan_menu(ctx, plans)


def _missed(ctx: Context, plan: Plan, fact: str, error: str) -> str:
    misses = int(ctx.state.get("misses", 0)) + 1
    ctx.state["misses"] = misses
    spec = FACTS[fact]
    if misses >= 2:
        return (f"{error}。\n说明：{spec.explain}\n{_question(ctx, plan)}\n"
                f"（例如「{spec.example}」；不清楚可回复「跳过」，或「退出」）")
    return f"{error}。\n{_question(ctx, plan)}（例如「{spec.example}」）"


def _qa(ctx: Context, text: str, plan: Plan | None = None) -> str:
    try:
        # The plan being tested comes first: a side question in a 临平 test is about 临平.
        return ctx.services.qa.answer(text, plan=plan.id if plan else None).text
    except Exception:  # Q&A down must not break the dialog
        log.exception("eligibility: Q&A failed on a digression")
        return "这个问题暂时答不上来，自测结束后可以再问我。"


def _digress(ctx: Context, plan: Plan, text: str) -> str:
    return _qa(ctx, text, plan) + "\n\n—— 继续资格自测 ——\n" + _question(ctx, plan)


def _back(ctx: Context, plans: dict[str, Plan], plan: Plan) -> str:
    history = list(ctx.state.get("history", []))
    if not history:
        ctx.state["plan"] = None
        return "回到上一步：选择评审计划。\n" + _plan_menu(ctx, plans)
    last = history.pop()
    facts = dict(ctx.state.get("facts") or {})
    facts.pop(last, None)
    ctx.state.update(history=history, facts=facts, pending=last, misses=0, done=False)
    return "回到上一题。\n" + _question(ctx, plan)


def _modify(ctx: Context, plans: dict[str, Plan], plan: Plan, what: str) -> str:
    if re.search(r"计划|通知|地区", what):
        ctx.state["plan"] = None
        return _plan_menu(ctx, plans)
    fact = fact_by_label(what) if what else None
    if fact is None:
        labels = "、".join(FACTS[f].label for f in ctx.state.get("history", [])) or "学历、职称"
        return f"想修改哪一项？可以说「修改学历」等，已回答的有：{labels}。\n" + _question(ctx, plan)
    used = facts_used(plan)
    if fact not in used:
        can = [FACTS[f].label for f in ASK_ORDER if f in used]
        again = _question(ctx, plan) if not ctx.state.get("done") else ""
        ctx.state["unused_fact"] = fact  # its answer, if it still comes, is said to change nothing
        return (f"{_plan_name(plan)}的条件不看{FACTS[fact].label}，不用修改。"
                f"可以修改的有：{'、'.join(can)}（如「修改{can[0] if can else '学历'}」）。"
                + ("\n" + again if again else ""))
    facts = dict(ctx.state.get("facts") or {})
    old = facts.pop(fact, None)
    ctx.state.update(facts=facts, pending=fact, misses=0, done=False,
                     history=[f for f in ctx.state.get("history", []) if f != fact],
                     skipped=[f for f in ctx.state.get("skipped", []) if f != fact])
    was = f"（原来是：{describe(fact, parse_fact(fact, old))}）" if old is not None else ""
    return f"好的，重新回答「{FACTS[fact].label}」{was}：\n" + _question(ctx, plan)


def _kind(fact: str) -> str:
    """Answers of one kind compete for a correction: a date fits every date question."""
    if fact == "related_work_years":
        return "years"
    spec = FACTS[fact]
    return fact if spec.type == "enum" else ("number" if spec.type == "int" else spec.type)


def _correct(ctx: Context, plan: Plan, rest: str) -> str:
    """「我说错了，是19年3月」: the answered fact whose parser takes the new words — of each kind
    the most recently asked (a date → the last date question). Two kinds fit → ask which."""
    history = list(ctx.state.get("history", []))
    if not rest:
        return "哪一项说错了？可以直接说「我说错了，是硕士」，或「修改学历」。\n" + _question(ctx, plan)
    fits: dict[str, tuple[str, Any]] = {}  # kind → (most recent fact of that kind, value)
    for fact in reversed(history):
        if FACTS[fact].type in ("text", "list"):
            continue
        try:
            value = _parse(plan, fact, rest)
        except FactError:
            continue
        fits.setdefault(_kind(fact), (fact, value))
    if not fits and history and FACTS[history[-1]].type == "text":
        # Free text (专业) is corrected only right after it was given, and only with words that
        # are no other kind of answer: almost anything would "parse" as a specialty.
        with contextlib.suppress(FactError):
            fits["text"] = (history[-1], _parse(plan, history[-1], rest))
    if len(fits) == 1:
        fact, value = next(iter(fits.values()))
        return _apply_correction(ctx, plan, fact, value)
    if len(fits) > 1:
        options = [f for f, _ in fits.values()]
        ctx.state["correcting"] = {"value": rest, "options": options}
        names = "、".join(f"{i}. {FACTS[f].label}" for i, f in enumerate(options, 1))
        # By number: a label such as 「工作年限」 is also a command word of another tool.
        return f"「{rest[:20]}」要更正哪一项？{names}（回复序号）"
    pending = ctx.state.get("pending")
    if pending in FACTS and pending not in history and not ctx.state.get("done"):
        try:  # nothing answered fits: it is the answer to the question being asked
            value = _parse(plan, pending, rest)
        except FactError:
            pass
        else:
            _store(ctx, pending, value)
            return _next(ctx, plan)
    return (f"「{rest[:20]}」对不上已回答的问题，没有更改。可以说「修改学历」「修改聘任时间」等再重新回答。\n"
            + _question(ctx, plan))


def _apply_correction(ctx: Context, plan: Plan, fact: str, value: Any) -> str:
    _store(ctx, fact, value)
    ctx.state["done"] = False
    ctx.state.pop("correcting", None)
    return f"已更正：{FACTS[fact].label} → {describe(fact, value)}。\n" + _next(ctx, plan)


def _correction_choice(ctx: Context, plan: Plan, text: str) -> str | None:
    """The reply to 「要更正哪一项？」; anything else drops the question and is handled as usual."""
    pending = ctx.state.pop("correcting", None) or {}
    options = [f for f in pending.get("options", []) if f in FACTS]
    m = re.fullmatch(r"第?\s*(\d)\s*(?:个|项)?", text)
    fact = options[int(m.group(1)) - 1] if m and 1 <= int(m.group(1)) <= len(options) else fact_by_label(text)
    if fact not in options:
        return None
    try:
        value = _parse(plan, fact, pending["value"])
    except FactError as exc:
        return f"{exc}。\n" + _question(ctx, plan)
    return _apply_correction(ctx, plan, fact, value)


# --- the result ----------------------------------------------------------------------------

MAX_REPLY = 600  # characters in one reply before the gateway has to page it


def _next_steps(ctx: Context, plan: Plan) -> str:
    """The verdict's last line: the test is over, and what the user can do now."""
    example = _modify_example(plan, list(ctx.state.get("history") or []))
    return ("自测已结束。接下来可以：发送「提醒」订阅本计划的截止日期提醒，「材料清单」看完整申报材料，"
            f"回复「详情」看逐条依据，「{example}」等改答案，「资格自测」重新测。")


def _result(ctx: Context, plan: Plan, result: dict[str, Any]) -> str:
    # The verdict outlives the dialog (until the next 资格自测), so 「详情」 works later too.
    ctx.state.update(done=True, done_at=int(time.time()), pending=None, eligible_routes=result["eligible_routes"],
                     eligibility_plan=plan.id,
                     last_verdict={"plan": plan.id, "facts": dict(ctx.state.get("facts") or {})})
    lines = [render_text(result, plan, detail=False, materials=False)]
    routes = result["eligible_routes"] or result["stated_conditions_met_routes"]
    next_steps = _next_steps(ctx, plan)
    if routes:
        items = plan.materials(routes[0])
        listing = f"📋 {plan.route(routes[0]).title}材料：" + "；".join(f"{i}.{m.text}" for i, m in enumerate(items, 1))
        # One message: the list inline when it fits, else one line pointing to 「材料清单」.
        if sum(map(len, [*lines, listing, next_steps])) + 3 > MAX_REPLY:
            listing = f"📋 {plan.route(routes[0]).title}需准备 {len(items)} 项材料，发送「材料清单」查看。"
        lines.append(listing)
    lines.append(next_steps)
    return "\n".join(lines)


def _leave(ctx: Context, plan: Plan | None) -> None:
    """End the dialog, keeping what later messages use: the plan and routes (提醒／材料清单) and
    the last verdict (详情)."""
    keep: dict[str, Any] = {}
    if ctx.state.get("last_verdict"):
        keep["last_verdict"] = ctx.state["last_verdict"]
    if plan is not None and ctx.state.get("done"):
        keep.update(last_plan=plan.id, plan=plan.id, eligible_routes=ctx.state.get("eligible_routes", []),
                    eligibility_plan=plan.id)
    ctx.leave()
    ctx.state.update(keep)


def _after_result(msg: Incoming, ctx: Context, plan: Plan, text: str) -> str:
    low = text.lower()
    if low in DETAIL:
        return _detail_text(ctx, ctx.state.get("last_verdict") or {"plan": plan.id, "facts": ctx.state.get("facts")})
    if low in BACK:
        return _back(ctx, _plans(ctx), plan)
    if low in SKIP:
        return "自测已经出结果了，没有要跳过的问题。" + _next_steps(ctx, plan)
    m = _MODIFY.match(text)
    if m:
        return _modify(ctx, _plans(ctx), plan, m.group(1))
    m = _CORRECTION.match(text)
    if m:
        return _correct(ctx, plan, (m.group(1) or m.group(2) or "").strip())
    unused = ctx.state.pop("unused_fact", None)
    if unused in FACTS and _parses(unused, text):
        return f"{_plan_name(plan)}的条件不看{FACTS[unused].label}，这个回答不影响结论（见上）。"
    if _late_answer(ctx, plan, text):
        example = _modify_example(plan, list(ctx.state.get("history") or []))
        return ("自测已经结束（结论见上）。如需重新测试发送「资格自测」，"
                f"修改某项发送「{example}」等。")
    # Anything else ends the dialog and is answered by Q&A (about this plan first).
    _leave(ctx, plan)
    return _qa(ctx, msg.text, plan)


def _late_answer(ctx: Context, plan: Plan, text: str) -> bool:
    """Shortly after a verdict that came early (a general rule failed), the user may go on
    answering questions that were never asked: a message that reads as an answer to one of
    this plan's questions (a number, 「合格 合格」, 是／否, a date) is not a question for Q&A."""
    done_at = ctx.state.get("done_at")
    if not isinstance(done_at, int | float) or time.time() - done_at > LATE_ANSWER_SECONDS:
        return False
    if not text or len(text) > 30 or "?" in text or _QUESTION.search(text):
        return False
    return any(_parses(f, text) for f in facts_used(plan) if FACTS[f].type not in ("text", "list"))


def _detail_text(ctx: Context, verdict: dict[str, Any]) -> str:
    plan = _plans(ctx).get(str(verdict.get("plan")))
    if plan is None:
        return "上次自测的评审计划已不在资料中，请发送「资格自测」重新测。"
    try:
        result = evaluate(plan, verdict.get("facts") or {})
    except FactError:  # answers that no longer validate (e.g. a plan file changed)
        return "上次自测的答案与现有计划资料对不上，请发送「资格自测」重新测。"
    return render_text(result, plan, detail=True, materials=True)


def detail(msg: Incoming, ctx: Context) -> str:
    """「详情」 as a command: the clause-by-clause basis of the last verdict, whenever asked."""
    if ctx.flow == FLOW and not ctx.state.get("done"):
        plan = _plans(ctx).get(ctx.state.get("plan") or "")
        again = _question(ctx, plan) if plan else _plan_menu(ctx, _plans(ctx))
        return "资格自测还没出结果，回答完问题后再发「详情」。\n" + again
    verdict = ctx.state.get("last_verdict")
    if not verdict:
        return "还没有资格自测的结果。发送「资格自测」，回答几个问题后可看逐条依据。"
    try:
        return _detail_text(ctx, verdict)
    except Exception:  # a broken plan file must not take the chat down
        log.exception("eligibility: detail failed")
        return "逐条依据暂时无法显示，请稍后再试。"
