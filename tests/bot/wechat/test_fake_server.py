"""The fake WeChat API answers like WeChat: raw HTTP against it, no client library."""

from __future__ import annotations

import httpx

from bot.wechat.fake_server import FakeWeChat

SEND = "/cgi-bin/message/custom/send"


def token(fake: FakeWeChat) -> str:
    r = httpx.get(f"{fake.base_url}/cgi-bin/token",
                  params={"grant_type": "client_credential", "appid": "wx1", "secret": "s"})
    return str(r.json()["access_token"])


def send(fake: FakeWeChat, tok: str | None, text: str = "hi") -> dict:  # type: ignore[type-arg]
    params = {"access_token": tok} if tok is not None else {}
    body = {"touser": "u1", "msgtype": "text", "text": {"content": text}}
    return httpx.post(f"{fake.base_url}{SEND}", params=params, json=body).json()


def test_token_rules(fake_wechat: FakeWeChat) -> None:
    assert send(fake_wechat, None)["errcode"] == 41001
    assert send(fake_wechat, "made-up")["errcode"] == 40001
    tok = token(fake_wechat)
    assert send(fake_wechat, tok)["errcode"] == 0
    fake_wechat.expire_tokens()
    assert send(fake_wechat, tok)["errcode"] == 42001
    tok2 = token(fake_wechat)
    fake_wechat.revoke_tokens()
    assert send(fake_wechat, tok2)["errcode"] == 40001
    assert fake_wechat.token_requests == 2


def test_credentials_checked_when_configured() -> None:
    with FakeWeChat(appid="wxA", secret="right") as fake:
        base = {"grant_type": "client_credential", "appid": "wxA"}
        assert httpx.get(f"{fake.base_url}/cgi-bin/token", params={**base, "secret": "wrong"}).json()["errcode"] == 40125
        assert "access_token" in httpx.get(f"{fake.base_url}/cgi-bin/token", params={**base, "secret": "right"}).json()


def test_old_token_valid_only_for_the_grace_period() -> None:
    with FakeWeChat(grace_s=0) as fake:
        old = token(fake)
        new = token(fake)
        assert send(fake, old)["errcode"] == 42001
        assert send(fake, new)["errcode"] == 0


def test_injections_recording_and_limits(fake_wechat: FakeWeChat) -> None:
    tok = token(fake_wechat)
    fake_wechat.inject(SEND, 45015, times=2)
    assert [send(fake_wechat, tok)["errcode"] for _ in range(3)] == [45015, 45015, 0]
    assert send(fake_wechat, tok, "长" * 700)["errcode"] == 45002
    calls = fake_wechat.calls_to(SEND)
    assert [c.errcode for c in calls] == [45015, 45015, 0, 45002]
    assert calls[0].json["touser"] == "u1" and calls[0].query["access_token"] == tok
    assert fake_wechat.texts("u1") == ["hi"]
    listed = httpx.get(f"{fake_wechat.base_url}/_fake/calls", params={"path": SEND, "since": 3}).json()  # call 0 is the token
    assert [c["errcode"] for c in listed["calls"]] == [0, 45002]


def test_media_and_menu(fake_wechat: FakeWeChat) -> None:
    tok = token(fake_wechat)
    fake_wechat.add_media("m1", b"\x89PNG-bytes", "image/png")
    r = httpx.get(f"{fake_wechat.base_url}/cgi-bin/media/get", params={"access_token": tok, "media_id": "m1"})
    assert (r.content, r.headers["content-type"]) == (b"\x89PNG-bytes", "image/png")
    r = httpx.get(f"{fake_wechat.base_url}/cgi-bin/media/get", params={"access_token": tok, "media_id": "m2"})
    assert r.json()["errcode"] == 40007
    get = httpx.get(f"{fake_wechat.base_url}/cgi-bin/menu/get", params={"access_token": tok}).json()
    assert get["errcode"] == 46003
    bad = httpx.post(f"{fake_wechat.base_url}/cgi-bin/menu/create", params={"access_token": tok}, content=b"{not json")
    assert bad.json()["errcode"] == 47001
    assert httpx.get(f"{fake_wechat.base_url}/cgi-bin/nope", params={"access_token": tok}).status_code == 404
