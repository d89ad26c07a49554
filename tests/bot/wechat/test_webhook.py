"""The wire format without HTTP: signatures, replay window, AES round trips, hostile XML."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.wechat.errors import InvalidAppId, InvalidSignature, MalformedMessage, StaleTimestamp
from bot.wechat.webhook import WebhookCodec, cdata, parse_xml, sign, text_reply_xml, to_incoming

MSG = ("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>"
       "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
       "<Content><![CDATA[工程师申报]]></Content><MsgId>123</MsgId></xml>")


@pytest.fixture
def codec(tmp_path: Path) -> WebhookCodec:
    return WebhookCodec(Settings(data_dir=tmp_path))


def test_signature_matches_wechat_algorithm() -> None:
    # Published example from WeChat's docs: sha1 of sorted(token, timestamp, nonce).
    import hashlib

    assert sign("tok", "1", "n") == hashlib.sha1(b"".join(sorted([b"tok", b"1", b"n"]))).hexdigest()


@pytest.mark.parametrize("mode", ["plain", "compat", "aes"])
def test_decode_every_mode(codec: WebhookCodec, mode: str) -> None:
    params, body = codec.sign_request(MSG, encrypt=mode != "plain", compat=mode == "compat")
    fields, encrypted = codec.decode(params, body.encode())
    assert encrypted is (mode != "plain")
    msg = to_incoming(fields)
    assert (msg.user, msg.kind, msg.text, msg.msg_id) == ("oUser", "text", "工程师申报", "123")


def test_tampered_ciphertext_and_wrong_appid(codec: WebhookCodec, tmp_path: Path) -> None:
    params, body = codec.sign_request(MSG, encrypt=True)
    with pytest.raises(InvalidSignature):
        codec.decode(params, body.replace("<Encrypt><![CDATA[", "<Encrypt><![CDATA[A").encode())
    other = WebhookCodec(Settings(data_dir=tmp_path, wechat_app_id="wxother"))
    params, body = other.sign_request(MSG, encrypt=True)
    with pytest.raises(InvalidAppId):
        codec.decode(params, body.encode())


def test_replay_window(codec: WebhookCodec) -> None:
    for offset in (-301, 301):
        params, body = codec.sign_request(MSG, timestamp=int(time.time()) + offset)
        with pytest.raises(StaleTimestamp):
            codec.decode(params, body.encode())
    params, body = codec.sign_request(MSG, timestamp=int(time.time()) - 299)
    codec.decode(params, body.encode())


def test_hostile_xml_refused() -> None:
    for bad in ('<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><C>&a;</C></xml>',
                '<!DOCTYPE x SYSTEM "http://127.0.0.1/evil.dtd"><xml/>', "<xml>", ""):
        with pytest.raises(MalformedMessage):
            parse_xml(bad)


def test_reply_round_trip_with_cdata_terminator(codec: WebhookCodec) -> None:
    tricky = "答案]]><evil/>结束"
    xml = text_reply_xml("oUser", "gh_1", tricky)
    assert parse_xml(xml)["Content"] == tricky
    assert codec.decrypt_reply(codec.encrypt(xml))["Content"] == tricky
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
