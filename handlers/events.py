"""Default handlers for events and menu clicks (other issues may register richer ones)."""

from __future__ import annotations

from handlers.base import Context, Incoming


def ask_prompt(msg: Incoming, ctx: Context) -> str:
    return ("请直接输入您的问题，例如：\n"
            "「临平区工程师网上申报截止是哪天？」\n"
            "「助理工程师满几年可以申报工程师？」\n"
            "我会附上通知出处。")


def unsubscribed(msg: Incoming, ctx: Context) -> None:
    # The user left: forget the dialog and any unread long answer. No reply is possible.
    ctx.reset()
    ctx.services.store.delete(f"pending:{msg.user}")
    return None


def unknown_click(msg: Incoming, ctx: Context) -> str:
    return "这个菜单功能暂未开放。请直接输入您的问题，或发送「帮助」查看我能做什么。"
