"""Help, welcome and the short description of what the bot can do."""

from __future__ import annotations

from handlers.base import Context, Incoming

CAPABILITIES = (
    "我是职称助手，可以帮您：\n"
    "1. 问答：直接提问，如「临平制造业工程师网上申报是几号到几号？」，回答附通知出处；\n"
    "2. 资格自测：发送「资格自测」，回答几个问题，看能走哪种申报方式、还缺什么；\n"
    "3. 截止提醒：发送「提醒」订阅申报、审核、缴费等日期，「我的提醒」查看，「取消提醒」停止；\n"
    "4. 小工具：「证件照」检查照片，「述职检查」数字数，「工作年限」算年限，「材料清单」列材料。\n"
    "回答太长时发送「更多」看下文；「删除我的信息」清除我保存的您的数据。随时发送「帮助」查看本说明。"
)

# Dialog control words. With no dialog in progress they have nothing to act on (registered
# idle_only in handlers/registry.py); inside a dialog they go to that dialog.
IDLE_WORDS = ("重新开始", "重来", "从头开始", "完成", "发完了", "退出", "结束", "上一步", "上一题",
              "返回", "取消", "跳过", "换计划", "exit", "quit")


def handle(msg: Incoming, ctx: Context) -> str:
    return CAPABILITIES


def welcome(msg: Incoming, ctx: Context) -> str:
    return "欢迎关注职称助手！\n" + CAPABILITIES


def nothing_active(msg: Incoming, ctx: Context) -> str:
    return "当前没有进行中的对话。发送「帮助」看看我能做什么。"
