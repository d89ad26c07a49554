"""WeChatAPI against the fake WeChat server over real HTTP."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from bot.wechat.client import WeChatAPI
from bot.wechat.errors import WeChatAPIError
from bot.wechat.fake_server import FakeWeChat

CUSTOM = "/cgi-bin/message/custom/send"


def make_api(fake: FakeWeChat, tmp_path: Path, store: SQLiteStore | None = None) -> WeChatAPI:
    settings = Settings(data_dir=tmp_path, wechat_api_base=fake.base_url,
                        wechat_app_id="wxtestappid", wechat_app_secret="s3cr3t-value")
    api = WeChatAPI(settings, store or SQLiteStore(tmp_path / "state.db"))
    api.BACKOFF_S = 0.01
    return api


def test_send_text_reaches_user_and_reuses_token(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    api = make_api(fake_wechat, tmp_path)
    api.send_text("user-1", "您好")
    api.send_text("user-1", "第二条")
    assert fake_wechat.texts("user-1") == ["您好", "第二条"]
    assert fake_wechat.token_requests == 1


def test_token_shared_across_workers_one_refresh(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    # Eight "workers" (own WeChatAPI, own connection) over one store file start at once.
    apis = [make_api(fake_wechat, tmp_path, SQLiteStore(tmp_path / "state.db")) for _ in range(8)]
    barrier = threading.Barrier(len(apis))
    errors: list[BaseException] = []

    def work(api: WeChatAPI, i: int) -> None:
        barrier.wait()
        try:
            api.send_text(f"u{i}", "hi")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(a, i)) for i, a in enumerate(apis)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert fake_wechat.token_requests == 1
    assert len(fake_wechat.texts()) == 8


@pytest.mark.parametrize("code", [40001, 40014, 42001])
def test_invalid_token_refreshes_once_and_retries(fake_wechat: FakeWeChat, tmp_path: Path, code: int) -> None:
    api = make_api(fake_wechat, tmp_path)
    api.send_text("u", "a")
    fake_wechat.inject(CUSTOM, code)
    api.send_text("u", "b")
    assert fake_wechat.texts("u") == ["a", "b"]
    assert fake_wechat.token_requests == 2


def test_expired_token_detected_by_server(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    api = make_api(fake_wechat, tmp_path)
    api.send_text("u", "a")
    fake_wechat.expire_tokens()
    api.send_text("u", "b")
    assert [c.errcode for c in fake_wechat.calls_to(CUSTOM)] == [0, 42001, 0]


def test_token_refreshed_before_expiry(tmp_path: Path) -> None:
    with FakeWeChat(expires_in=1) as fake:
        api = make_api(fake, tmp_path)
        api.send_text("u", "a")
        fake.wait_for(lambda f: False, timeout=1.0)  # let the 1 s token pass its refresh point
        api.send_text("u", "b")
        # Refreshed proactively: no call was rejected for an expired token.
        assert [c.errcode for c in fake.calls_to(CUSTOM)] == [0, 0]
        assert fake.token_requests == 2


def test_token_errors_twice_gives_up(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    api = make_api(fake_wechat, tmp_path)
    fake_wechat.inject(CUSTOM, 40001, times=2)
    with pytest.raises(WeChatAPIError) as e:
        api.send_text("u", "a")
    assert e.value.errcode == 40001
    assert len(fake_wechat.calls_to(CUSTOM)) == 2


def test_busy_retried_with_backoff_then_succeeds(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    api = make_api(fake_wechat, tmp_path)
    fake_wechat.inject(CUSTOM, -1, times=2)
    api.send_text("u", "a")
    assert fake_wechat.texts("u") == ["a"]


def test_busy_forever_is_bounded(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    api = make_api(fake_wechat, tmp_path)
    fake_wechat.inject(CUSTOM, -1, times=50)
    with pytest.raises(WeChatAPIError):
        api.send_text("u", "a")
    assert len(fake_wechat.calls_to(CUSTOM)) == api.BUSY_RETRIES + 1


@pytest.mark.parametrize("code", [45015, 45047, 43004, 43101, 45009, 45002])
def test_user_and_quota_errors_raised_and_recorded(fake_wechat: FakeWeChat, tmp_path: Path, code: int) -> None:
    api = make_api(fake_wechat, tmp_path)
    fake_wechat.inject(CUSTOM, code)
    with pytest.raises(WeChatAPIError) as e:
        api.send_text("u", "a")
    assert e.value.errcode == code
    assert len(fake_wechat.calls_to(CUSTOM)) == 1  # not retried
    assert api.failures[-1]["errcode"] == code
    assert api.store.get(f"wechat:errors:{code}") == "1"
    api.send_text("u", "b")  # the client keeps working
    assert fake_wechat.texts("u") == ["b"]


def test_too_long_text_rejected_by_server(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    api = make_api(fake_wechat, tmp_path)
    with pytest.raises(WeChatAPIError) as e:
        api.send_text("u", "长" * 1000)
    assert e.value.errcode == 45002


def test_template_subscribe_menu_media(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    api = make_api(fake_wechat, tmp_path)
    data = {"thing1": {"value": "网上申报截止"}}
    assert "msgid" in api.send_template("u", "TPL", data, url="https://example.org")
    api.send_subscribe("u", "SUB", data, page="https://example.org")
    api.create_menu({"button": [{"type": "click", "name": "帮助", "key": "HELP"}]})
    assert api.get_menu() == {"menu": fake_wechat.menu}
    fake_wechat.add_media("M1", b"\xff\xd8\xff\xe0jpegbytes", "image/jpeg")
    assert api.get_media("M1") == b"\xff\xd8\xff\xe0jpegbytes"
    with pytest.raises(WeChatAPIError) as e:
        api.get_media("missing")
    assert e.value.errcode == 40007
    sent = fake_wechat.calls_to("/cgi-bin/message/template/send")[0].json
    assert sent["template_id"] == "TPL" and sent["data"] == data
    assert fake_wechat.calls_to("/cgi-bin/message/subscribe/bizsend")[0].json["template_id"] == "SUB"


def test_unreachable_api_is_an_error_not_a_crash(tmp_path: Path) -> None:
    with FakeWeChat() as fake:
        base = fake.base_url
    settings = Settings(data_dir=tmp_path, wechat_api_base=base)
    api = WeChatAPI(settings, SQLiteStore(tmp_path / "s.db"))
    api.BACKOFF_S = 0.01
    with pytest.raises(WeChatAPIError):
        api.send_text("u", "a")


def test_secret_and_token_never_logged(fake_wechat: FakeWeChat, tmp_path: Path,
                                       caplog: pytest.LogCaptureFixture) -> None:
    api = make_api(fake_wechat, tmp_path)
    # The CLI quiets urllib3; here it must speak (at DEBUG it logs every request URL).
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="urllib3"):
        api.send_text("u", "a")
        fake_wechat.inject(CUSTOM, 45015)
        with pytest.raises(WeChatAPIError):
            api.send_text("u", "b")
    token = api.access_token()
    text = caplog.text + repr(api)
    assert "s3cr3t-value" not in text and token not in text
    assert "cgi-bin/token" in caplog.text  # the request line was logged, redacted
