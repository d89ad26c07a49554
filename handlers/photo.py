"""ID-photo check in chat: 「证件照」 explains the rule; an image message gets checked."""

from __future__ import annotations

import logging

from handlers.base import Context, Incoming
from knowledge.photo import check_photo, check_stated, format_report, format_stated, requirements_text

log = logging.getLogger(__name__)

# WeChat recompresses chat images unless 「原图」 is ticked, so the file checked here can
# differ from the one the applicant will upload.
ORIGINAL_TIP = "提示：在微信里发送图片时请勾选「原图」，否则微信会压缩，检查的就不是您要上传的文件了。"


def start(msg: Incoming, ctx: Context) -> str:
    stated = check_stated(msg.text or "")
    if stated:  # «我的照片是 400x600 png 200k 可以吗»: the figures said, checked
        return format_stated(stated)
    return (f"{requirements_text()}\n\n请直接在这里发送您准备上传的证件照，我逐项检查并告诉您怎么改。\n"
            f"{ORIGINAL_TIP}")


def handle_image(msg: Incoming, ctx: Context) -> str:
    if not msg.media_id:
        return "没有收到图片内容，请重新发送照片。"
    try:
        data = ctx.services.wechat.get_media(msg.media_id)
    except Exception as exc:  # any download failure becomes a plain message, never a trace
        errcode = getattr(exc, "errcode", None)
        log.warning("photo: media download failed for %s: %s", msg.media_id, exc)
        if errcode == 40007:
            return "这张照片已无法从微信下载（可能已过期），请重新发送。"
        return "暂时无法从微信下载这张照片，请稍后重新发送。"
    try:
        report = check_photo(data)
    except Exception:  # check_photo reports bad input itself; this is the last net for a bug
        log.exception("photo: check failed on %s bytes", len(data))
        return "这张照片没能检查完，请另存为 JPG 后重新发送；如仍不行，请对照「证件照」里的要求自查。"
    log.info("photo: %s bytes, format %s, ok=%s", len(data), report.format, report.ok)
    return f"{format_report(report)}\n{ORIGINAL_TIP}"
