"""End to end: a question over the encrypted webhook answered by the real Q&A (index built once
per session by the shared `qa_service` fixture)."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.app import create_app
from bot.services import set_services
from bot.wechat.fake_server import FakeWeChat
from bot.wechat.loopback import serve_in_thread
from bot.wechat.webhook import WebhookCodec, cdata


def test_question_answered_with_citation(kb_settings, qa_service, fake_wechat: FakeWeChat) -> None:  # type: ignore[no-untyped-def]
    settings = kb_settings.model_copy(update={"wechat_api_base": fake_wechat.base_url, "reply_budget_s": 4.0})
    codec = WebhookCodec(settings)
    q = "临平区制造业工程师网上申报是几号到几号？"
    xml = (f"<xml><ToUserName>{cdata('gh_e2e')}</ToUserName><FromUserName>{cdata('user-e2e')}</FromUserName>"
           f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           f"<Content>{cdata(q)}</Content><MsgId>{time.time_ns()}</MsgId></xml>")
    try:
        with serve_in_thread(create_app(settings), lifespan="on") as url:  # the real start-up warms Q&A
            params, body = codec.sign_request(xml, encrypt=True)
            r = httpx.post(f"{url}/wechat", params=params, content=body.encode(), timeout=30)
            assert r.status_code == 200
            if r.text == "success":  # slower than the budget on a loaded machine: sent later
                assert fake_wechat.wait_for(lambda f: bool(f.texts("user-e2e")), timeout=30)
                answer = fake_wechat.texts("user-e2e")[0]
            else:
                answer = codec.decrypt_reply(r.text)["Content"]
    finally:
        set_services(None)
    compact = answer.replace(" ", "")
    assert "8月1日" in compact and "15日" in compact, answer
    assert len(answer.encode()) <= 2048
    if not any(mark in answer for mark in ("来源", "出处", "《")):
        pytest.fail(f"answer without a citation: {answer}")
