"""「述职检查」: count a 本人述职 text against the platform's 1000-character limit.

How characters are counted (said in every reply): every character the applicant types
takes one place — each Chinese character, letter, digit, punctuation mark and space, and
each line break. That is how a web form's length limit counts, and it is the strictest
reading of 「限1000字以内」, so a text that passes here is not cut off by the platform.
The count without spaces and line breaks is shown too, for comparison.

Long texts may arrive over several messages: they are joined (with a line break between
messages) until the user says 「完成」.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers.base import Context, Incoming
from handlers.dialog import Dialog, DialogState

if TYPE_CHECKING:
    from handlers.interpret import Interpretation

LIMIT = 1000  # 「限1000字以内」: 1000 itself is allowed
FLOW = "shuzhi"
MAX_CHARS = 20_000  # far beyond any 述职; keeps the stored dialog state small
PREFIXES = ("述职检查", "检查述职", "述职字数")

CLAUSE = ("临平区2022制造业工程师通知 附件2 二、3「其中“本人述职”内容为专业工作业绩情况（限1000字以内）」；"
          "矿山爆破、水利高工通知亦为「字数控制在1000字以内」")
METHOD = ("计数方法：汉字、字母、数字、标点、空格、换行，每个都算 1 字（网页输入框就是这样逐字计数的，"
          "也是「1000字以内」最严的算法，按此不超就不会被平台截断）。")

_PREFIX = re.compile(r"^\s*(?:" + "|".join(PREFIXES) + r")[\s:：,，。.、]*")


@dataclass
class Count:
    total: int  # every character, line breaks included
    han: int
    alnum: int  # letters and digits, half- or full-width
    punct: int
    spaces: int
    newlines: int
    other: int  # emoji and symbols

    @property
    def without_blanks(self) -> int:
        return self.total - self.spaces - self.newlines


def clean(text: str) -> str:
    """The text as it would be pasted: unified line breaks, no blank edges."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def count_text(text: str) -> Count:
    text = clean(text)
    han = alnum = punct = spaces = newlines = other = 0
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\n":
            newlines += 1
        elif ch.isspace():
            spaces += 1
        elif "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0003134f":
            han += 1
        elif cat[0] in "LN":
            alnum += 1
        elif cat[0] == "P":
            punct += 1
        else:
            other += 1
    return Count(len(text), han, alnum, punct, spaces, newlines, other)


def format_count(count: Count, text: str) -> str:
    text = clean(text)
    if count.total == 0:
        return "没有收到述职内容。"
    head = f"述职字数：共 {count.total} 字（上限 {LIMIT} 字）。"
    if count.total <= LIMIT:
        verdict = f"✅ 未超出，还可以再写 {LIMIT - count.total} 字。"
    else:
        over = count.total - LIMIT
        verdict = f"❌ 超出 {over} 字，需要删减至少 {over} 字。"
        if count.without_blanks <= LIMIT:
            verdict += f"（去掉空格和换行后为 {count.without_blanks} 字：删掉多余的空格、空行可能就够了。）"
        before = text[LIMIT - 12:LIMIT].replace("\n", "↵")
        after = text[LIMIT:LIMIT + 12].replace("\n", "↵")
        verdict += f"\n第 {LIMIT} 字在「…{before}」处，之后的「{after}…」起超出。"
    detail = (f"其中汉字 {count.han}，字母和数字 {count.alnum}，标点 {count.punct}，空格 {count.spaces}，"
              f"换行 {count.newlines}" + (f"，其他符号 {count.other}" if count.other else "")
              + f"；不计空格和换行为 {count.without_blanks} 字。")
    return "\n".join([head, verdict, METHOD, detail, f"依据：{CLAUSE}"])


START_REPLY = ("请把「本人述职」全文发给我（可以分几条发送），全部发完后回复「完成」，我来数字数。\n"
               "回复「取消」退出。\n也可以一条发送：「述职检查 」加全文。")


@dataclasses.dataclass
class State(DialogState):
    parts: list[str] = dataclasses.field(default_factory=list)


class ShuzhiDialog(Dialog):
    """Collects the 述职 over several messages until 「完成」."""

    name = FLOW
    title = "述职检查"
    command = "述职检查"
    State = State

    def start(self, msg: Incoming, ctx: Context) -> str:
        """「述职检查」 alone starts collecting; with text after it, checks that text at once."""
        it = ctx.it
        rest = it.rest if it is not None else _PREFIX.sub("", msg.text or "", count=1).strip()
        if rest.strip():
            if ctx.flow == FLOW:  # a one-message check ends any collection in progress
                ctx.leave()
            return format_count(count_text(rest), rest)
        ctx.enter(FLOW)
        State().save(ctx)
        return START_REPLY

    def restart(self, msg: Incoming, ctx: Context) -> str:
        return self.start(msg, ctx)

    def pending(self, ctx: Context) -> str | None:
        return "请继续发送述职文字，发完回复「完成」。"

    def accepts(self, msg: Incoming, ctx: Context) -> bool:
        """Anything that is not a command word or a short question is more of the text."""
        it = ctx.it
        if it is None:
            return True
        if _finished(it):
            return True
        return not (it.match.exact and (it.is_tool or it.kind == "social")) and not (it.asks and len(it.text) < 40)

    def handle(self, msg: Incoming, ctx: Context) -> str:
        if msg.kind not in ("text", "voice"):
            return "述职检查进行中：请发送述职文字，发完回复「完成」，或回复「取消」退出。"
        st = State.load(ctx)
        it = ctx.it
        if it is not None and _finished(it):
            if not st.parts:
                return "还没有收到述职内容：请先发送述职文字，发完再回复「完成」；或回复「取消」退出。"
            text = "\n".join(st.parts)
            ctx.leave()
            pieces = f"（共 {len(st.parts)} 条消息，按收到的顺序拼接，消息之间按 1 个换行计。）\n" if len(st.parts) > 1 else ""
            return pieces + format_count(count_text(text), text)
        if not (msg.text or "").strip():
            return "这条消息是空的。请继续发送述职文字，发完回复「完成」。"
        joined = len("\n".join([*st.parts, msg.text]))
        if joined > MAX_CHARS:
            return (f"内容已超过 {MAX_CHARS} 字，远超 1000 字的上限，这条没有收下。"
                    "请回复「完成」查看已收到部分的字数，或回复「取消」重新开始。")
        piece = msg.text
        lead = _LEAD_IN.match(piece)
        if lead and st.parts:  # «还有一段：…» says the text goes on; it is not part of the 述职
            piece = piece[lead.end():]
        st.parts.append(piece)
        st.save(ctx)
        so_far = count_text("\n".join(st.parts)).total
        skipped = f"（开头的「{lead.group(0).strip()}」不计入）" if lead and st.parts[:-1] else ""
        return (f"已收到第 {len(st.parts)} 条{skipped}，目前共 {so_far} 字。还有就继续发送；全部发完请回复「完成」，"
                "回复「取消」退出。")

    def quit(self, msg: Incoming, ctx: Context) -> str:
        ctx.leave()
        return "已退出述职检查。需要时再发送「述职检查」。"


# A later piece that opens by saying it continues the text («还有一段：», «接着：», «第二段：»).
_LEAD_IN = re.compile(r"^\s*(?:还有|接着|继续|下面|后面|续|第[一二三四五六七八九十\d]{1,2}段)[^：:\n]{0,6}[：:]\s*")


def _finished(it: Interpretation) -> bool:
    """«完成», «发完了»; a short piece of text near «done» only by the dialog prior is more text."""
    return it.said("done") and not it.match.by_prior


DIALOG = ShuzhiDialog()


def start(msg: Incoming, ctx: Context) -> str:
    return DIALOG.start(msg, ctx)
