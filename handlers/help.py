"""Help, welcome, small talk, and the short description of what the bot can do."""

from __future__ import annotations

from handlers.base import Context, Incoming

CAPABILITIES = (
    "我是职称助手，可以帮您：\n"
    "1. 问答：直接提问，如「临平制造业工程师网上申报是几号到几号？」，回答附通知出处；接着问「那水利的呢」也行；\n"
    "2. 资格自测：发送「资格自测」或说「帮我看看能不能评」，回答几个问题，看能走哪种申报方式、还缺什么；"
    "可以一次说清情况，如「本科，18年9月聘的助工」；\n"
    "3. 截止提醒：发送「提醒」订阅申报、审核、缴费等日期，「我的提醒」查看，「取消提醒」停止；\n"
    "4. 小工具：「证件照」检查照片，「述职检查」数字数，「工作年限」算年限，「材料清单」列材料。\n"
    "回答太长时发送「更多」看下文；「删除我的信息」清除我保存的您的数据。随时发送「帮助」查看本说明。"
)


def handle(msg: Incoming, ctx: Context) -> str:
    return CAPABILITIES


def welcome(msg: Incoming, ctx: Context) -> str:
    return "欢迎关注职称助手！\n" + CAPABILITIES


def greeting(msg: Incoming, ctx: Context) -> str:
    return "您好！" + CAPABILITIES


def thanks(msg: Incoming, ctx: Context) -> str:
    return "不客气！还有职称申报方面的问题，随时问我。"


def bye(msg: Incoming, ctx: Context) -> str:
    return "再见！需要时随时来问。"


def off_topic(msg: Incoming, ctx: Context) -> str:
    """«帮我写一份年终总结», «今天股票行情怎么样»: outside what the notices cover; said plainly, with
    no clause pasted and no phone number to call about it."""
    return ("抱歉，这个我帮不了：我只回答浙江职称申报通知里的问题（申报条件、时间、材料、费用等），"
            "也可以帮您做资格自测、订阅截止提醒、检查证件照和述职字数。发送「帮助」看看我能做什么。")


def nothing_active(msg: Incoming, ctx: Context) -> str:
    return "好的。现在没有进行中的测试或设置；有问题可以直接问我，或发送「帮助」看看我能做什么。"


def unclear(msg: Incoming, ctx: Context) -> str:
    """«啥意思 看不懂» with no question pending: how to ask about the words not understood."""
    return ("抱歉没说清楚。可以把看不懂的词或那句话发给我，如「直接申报是什么意思」，我从通知里找原文解释；"
            "发送「帮助」看看我能做什么。")


def ack(msg: Incoming, ctx: Context) -> str:
    """「好的」「嗯」 with nothing waiting for an answer."""
    return "好的！还有职称申报方面的问题，随时问我；发送「帮助」看看我能做什么。"
