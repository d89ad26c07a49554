"""The webhook driven exactly as WeChat's servers drive it: signed (and AES-encrypted) XML over
real HTTP to uvicorn on a loopback port; customer-service messages land on the fake WeChat API."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.services import set_services
from bot.settings import Settings
from bot.wechat.fake_server import FakeWeChat
from bot.wechat.loopback import serve_in_thread
from bot.wechat.webhook import WebhookCodec, cdata, parse_xml
from handlers import registry
from handlers.base import Context, Incoming
from handlers.help import CAPABILITIES

BUDGET_S = 1.0
RUNS: Counter[str] = Counter()
GATE = threading.Event()
STARTED = threading.Event()


def _count(name: str, msg: Incoming) -> None:
    RUNS[f"{name}:{msg.user}:{msg.text}"] += 1


def echo(msg: Incoming, ctx: Context) -> str:
    _count("echo", msg)
    return f"回声：{msg.text.removeprefix('回声').strip()}"


def gated(msg: Incoming, ctx: Context) -> str:
    _count("gated", msg)
    STARTED.set()
    GATE.wait(10)
    return f"放行：{msg.text}"


def slow(msg: Incoming, ctx: Context) -> str:
    _count("slow", msg)
    time.sleep(BUDGET_S + 0.5)
    return f"慢答：{msg.text}"


def long_answer(msg: Incoming, ctx: Context) -> str:
    _count("long", msg)
    return LONG_TEXT


def broken(msg: Incoming, ctx: Context) -> str:
    _count("broken", msg)
    raise RuntimeError("boom")


LONG_TEXT = "".join(f"第{i}条：申报人须按通知要求准备材料，逐项核对后提交。" for i in range(1, 121))
TEST_COMMANDS = [
    registry.Command((), echo, prefixes=("回声",)),
    registry.Command((), gated, prefixes=("等待",)),
    registry.Command((), slow, prefixes=("慢",)),
    registry.Command(("长文",), long_answer),
    registry.Command(("出错",), broken),
]


@dataclass
class Live:  # one running app ("worker"); `other` is a second worker on the same state store
    url: str
    settings: Settings
    fake: FakeWeChat
    codec: WebhookCodec
    http: httpx.Client
    other: str = ""
    tag: str = "sqlite"

    def post(self, xml: str, encrypt: bool = False, compat: bool = False, timestamp: int | None = None,
             params: dict[str, str] | None = None) -> httpx.Response:
        query, body = self.codec.sign_request(xml, encrypt=encrypt, compat=compat, timestamp=timestamp)
        query.update(params or {})
        return self.http.post(f"{self.url}/wechat", params=query, content=body.encode("utf-8"),
                              headers={"Content-Type": "text/xml"})

    def reply(self, xml: str, **kw: object) -> str | None:
        """The text the user would see, or None for `success`."""
        r = self.post(xml, **kw)  # type: ignore[arg-type]
        assert r.status_code == 200, r.text
        if r.text == "success":
            return None
        fields = self.codec.decrypt_reply(r.text) if kw.get("encrypt") else parse_xml(r.text)
        assert fields["MsgType"] == "text"
        return fields["Content"]


_ids = iter(range(10**9, 2 * 10**9))
# The client drops an idle connection well before the server does (uvicorn: 30 s), so a request
# never goes out on a socket the server is closing at that moment (a read error under load).
KEEP_ALIVE = httpx.Limits(keepalive_expiry=5)


def text_xml(user: str, content: str, msg_id: int | None = None, msg_type: str = "text",
             extra: str = "") -> str:
    msg_id = next(_ids) if msg_id is None else msg_id
    body = f"<Content>{cdata(content)}</Content>" if msg_type == "text" else ""
    return (f"<xml><ToUserName>{cdata('gh_test')}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>"
            f"{body}{extra}<MsgId>{msg_id}</MsgId></xml>")


def event_xml(user: str, event: str, key: str = "", create_time: int | None = None) -> str:
    return (f"<xml><ToUserName>{cdata('gh_test')}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType>{cdata('event')}</MsgType>"
            f"<Event>{cdata(event)}</Event><EventKey>{cdata(key)}</EventKey></xml>")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    registry.COMMANDS[:0] = TEST_COMMANDS
    fake = FakeWeChat().start()
    settings = Settings(data_dir=tmp_path_factory.mktemp("gw"), wechat_api_base=fake.base_url,
                        reply_budget_s=BUDGET_S)
    app = create_app(settings)
    try:
        # lifespan off: these tests route to their own handlers and never warm the Q&A index.
        with serve_in_thread(app, lifespan="off") as url, httpx.Client(timeout=15, limits=KEEP_ALIVE) as http, \
                serve_in_thread(create_app(settings), lifespan="off") as other:
            yield Live(url, settings, fake, WebhookCodec(settings), http, other)
    finally:
        for cmd in TEST_COMMANDS:
            registry.COMMANDS.remove(cmd)
        fake.stop()
        set_services(None)


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def workers(request: pytest.FixtureRequest, live: Live) -> Iterator[Live]:
    """Two workers sharing one state store: the SQLite file, or Redis when TEST_REDIS_URL is set."""
    if request.param == "sqlite":
        yield live
        return
    url = os.environ.get("TEST_REDIS_URL") or pytest.skip("TEST_REDIS_URL not set")
    prefix = f"test-gw-{uuid.uuid4().hex}:"
    settings = live.settings.model_copy(update={"state_url": url, "redis_prefix": prefix})
    try:
        with serve_in_thread(create_app(settings), lifespan="off") as a, \
                serve_in_thread(create_app(settings), lifespan="off") as b:
            yield Live(a, settings, live.fake, live.codec, live.http, b, tag="redis")
    finally:
        from bot.store.redis import drop_prefix

        drop_prefix(url, prefix)


# --- verification and modes ------------------------------------------------------------------
def test_get_verification_echoes_only_when_signed(live: Live) -> None:
    params, _ = live.codec.sign_request("<xml/>")
    ok = live.http.get(f"{live.url}/wechat", params={**params, "echostr": "12345abc"})
    assert (ok.status_code, ok.text) == (200, "12345abc")
    bad = live.http.get(f"{live.url}/wechat", params={**params, "signature": "0" * 40, "echostr": "x"})
    assert bad.status_code == 403 and "x" not in bad.text
    stale, _ = live.codec.sign_request("<xml/>", timestamp=int(time.time()) - 301)
    assert live.http.get(f"{live.url}/wechat", params={**stale, "echostr": "x"}).status_code == 403


@pytest.mark.parametrize("mode", ["plain", "compat", "aes"])
def test_help_in_every_mode(live: Live, mode: str) -> None:
    xml = text_xml("user-mode", "帮助")
    r = live.post(xml, encrypt=mode != "plain", compat=mode == "compat")
    assert r.status_code == 200
    if mode == "plain":
        fields = parse_xml(r.text)
    else:
        assert "<Encrypt>" in r.text and "帮助" not in r.text
        fields = live.codec.decrypt_reply(r.text)
    assert fields["Content"] == CAPABILITIES
    assert (fields["ToUserName"], fields["FromUserName"]) == ("user-mode", "gh_test")


def test_wrong_appid_inside_encrypted_message_rejected(live: Live) -> None:
    other = WebhookCodec(live.settings.model_copy(update={"wechat_app_id": "wxSOMEONEELSE0000"}))
    params, body = other.sign_request(text_xml("user-appid", "回声 不应执行"), encrypt=True)
    r = live.http.post(f"{live.url}/wechat", params=params, content=body.encode())
    assert r.status_code == 403
    assert "echo:user-appid:回声 不应执行" not in RUNS


def test_forged_signature_and_stale_timestamp_run_nothing(live: Live) -> None:
    xml = text_xml("user-forged", "回声 伪造")
    assert live.post(xml, params={"signature": "f" * 40}).status_code == 403
    assert live.post(xml, timestamp=int(time.time()) - 600).status_code == 403
    assert live.post(xml, timestamp=int(time.time()) + 600).status_code == 403
    assert live.post(xml, encrypt=True, params={"msg_signature": "0" * 40}).status_code == 403
    assert "echo:user-forged:回声 伪造" not in RUNS
    assert live.reply(xml) == "回声：伪造"  # the genuine message still works afterwards


def test_secrets_never_logged(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        xml = text_xml("user-log", "帮助")
        live.post(xml, params={"signature": "0" * 40})
        live.post(xml, encrypt=True, params={"msg_signature": "0" * 40})
        live.reply(xml, encrypt=True)
        live.reply(text_xml("user-log", "慢 日志"))
        live.fake.wait_for(lambda f: bool(f.texts("user-log")), timeout=5)
    assert "rejected" in caplog.text  # the refusals were logged …
    s = live.settings
    for secret in (s.wechat_token, s.wechat_aes_key, s.wechat_app_secret):
        assert secret not in caplog.text  # … without any secret


@pytest.mark.parametrize("body", [
    b"<xml><ToUserName>unclosed",
    b"not xml at all",
    b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;'>]>"
    b"<xml><Content>&lol2;</Content></xml>",
    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><xml><Content>&xxe;</Content></xml>",
    b"<root><a>1</a></root>",
])
def test_bad_xml_is_400_and_service_keeps_running(live: Live, body: bytes) -> None:
    params, _ = live.codec.sign_request("<xml/>")
    r = live.http.post(f"{live.url}/wechat", params=params, content=body)
    assert r.status_code == 400
    assert "Traceback" not in r.text
    assert live.reply(text_xml("user-after-bad", "帮助")) == CAPABILITIES


def test_body_over_limit_is_413(live: Live) -> None:
    big = text_xml("user-big", "回声 " + "大" * 30000)
    assert len(big.encode()) > live.settings.max_body_bytes
    assert live.post(big).status_code == 413
    # also when the client does not declare a length (chunked upload)
    params, _ = live.codec.sign_request(big)
    r = live.http.post(f"{live.url}/wechat", params=params,
                       content=iter([big.encode()[i:i + 8192] for i in range(0, len(big.encode()), 8192)]))
    assert r.status_code == 413
    assert not any(k.startswith("echo:user-big") for k in RUNS)


# --- once per message, inside the budget -------------------------------------------------------
def test_retry_while_running_waits_for_the_same_answer(live: Live) -> None:
    GATE.clear()
    STARTED.clear()
    xml = text_xml("user-retry", "等待 甲")
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(live.reply, xml)
        assert STARTED.wait(5)
        retries = [pool.submit(live.reply, xml) for _ in range(2)]
        time.sleep(0.1)  # let the retries arrive while the handler is still working
        GATE.set()
        answers = [first.result(), *(f.result() for f in retries)]
    # Normally the first attempt answers; on a very slow machine a retry or a customer-service
    # message does. Either way the user sees the one answer and the handler ran once.
    assert set(answers) <= {"放行：等待 甲", None}
    assert "放行：等待 甲" in answers or live.fake.wait_for(
        lambda f: f.texts("user-retry") == ["放行：等待 甲"], timeout=5)
    assert RUNS["gated:user-retry:等待 甲"] == 1
    # a retry after completion: still not run again
    live.post(xml)
    assert RUNS["gated:user-retry:等待 甲"] == 1


def test_retry_on_another_worker_waits_for_the_first(workers: Live) -> None:
    GATE.clear()
    STARTED.clear()
    live, user = workers, f"user-2workers-{workers.tag}"
    xml = text_xml(user, "等待 乙")
    retry = Live(live.other, live.settings, live.fake, live.codec, live.http)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(live.reply, xml)
        assert STARTED.wait(5)
        second = pool.submit(retry.reply, xml)
        time.sleep(0.1)
        GATE.set()
        answers = {first.result(), second.result()}
    assert answers <= {"放行：等待 乙", None}
    assert "放行：等待 乙" in answers or live.fake.wait_for(
        lambda f: f.texts(user) == ["放行：等待 乙"], timeout=5)
    assert RUNS[f"gated:{user}:等待 乙"] == 1


def test_late_answer_delivered_once_across_workers(workers: Live) -> None:
    # Worker A gives up at the budget (`success`); WeChat's retry reaches worker B while the
    # handler still runs; the answer must reach the user exactly once: B's passive reply
    # (preferred) or A's customer-service message, never both.
    live, user = workers, f"user-late2-{workers.tag}"
    xml = text_xml(user, "慢 两个进程")
    retry = Live(live.other, live.settings, live.fake, live.codec, live.http)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(live.reply, xml)
        time.sleep(BUDGET_S * 0.8)
        second = pool.submit(retry.reply, xml)
        assert first.result() is None
        passive = second.result()
    live.fake.wait_for(lambda f: bool(f.texts(user)), timeout=1.0)
    delivered = [*([passive] if passive else []), *live.fake.texts(user)]
    assert delivered == ["慢答：慢 两个进程"]
    assert RUNS[f"slow:{user}:慢 两个进程"] == 1


def test_slow_answer_goes_out_as_customer_service_message(live: Live) -> None:
    xml = text_xml("user-slow", "慢 问题")
    t0 = time.monotonic()
    assert live.reply(xml) is None  # `success` within the budget
    assert time.monotonic() - t0 < BUDGET_S + 1.0
    assert live.fake.wait_for(lambda f: "慢答：慢 问题" in f.texts("user-slow"), timeout=5)
    assert live.reply(xml) is None  # a late retry does not deliver it a second time
    assert live.fake.texts("user-slow") == ["慢答：慢 问题"]
    assert RUNS["slow:user-slow:慢 问题"] == 1


def test_concurrent_users_each_get_their_own_answer(workers: Live) -> None:
    # 20 users at once, each message sent to both workers (WeChat may retry on either).
    users = [f"user-c{i}-{workers.tag}" for i in range(20)]
    other = Live(workers.other, workers.settings, workers.fake, workers.codec, workers.http)

    def both(u: str) -> set[str | None]:
        xml = text_xml(u, f"回声 {u}")
        with ThreadPoolExecutor(2) as pool:
            return {f.result() for f in [pool.submit(workers.reply, xml), pool.submit(other.reply, xml)]}

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(both, users))
    for u, got in zip(users, answers, strict=True):
        assert got - {None} == {f"回声：{u}"}
        assert RUNS[f"echo:{u}:回声 {u}"] == 1


def test_handler_exception_is_a_polite_apology(live: Live) -> None:
    answer = live.reply(text_xml("user-broken", "出错"))
    assert answer is not None and "抱歉" in answer and "boom" not in answer


# --- every copy, dead workers, replays ---------------------------------------------------------------
def test_every_copy_gets_the_answer_at_once_and_one_after_another(workers: Live) -> None:
    other = Live(workers.other, workers.settings, workers.fake, workers.codec, workers.http)
    users = [f"user-copies{i}-{workers.tag}" for i in range(30)]

    def triplet(u: str) -> list[str | None]:
        xml = text_xml(u, f"回声 {u}")
        with ThreadPoolExecutor(3) as pool:  # three copies at once, on both workers
            together = [f.result() for f in [pool.submit(workers.reply, xml), pool.submit(other.reply, xml),
                                             pool.submit(workers.reply, xml)]]
        return [*together, workers.reply(xml), other.reply(xml), workers.reply(xml)]  # and three more later

    with ThreadPoolExecutor(10) as pool:
        got = dict(zip(users, pool.map(triplet, users), strict=True))
    for u, answers in got.items():
        assert answers == [f"回声：{u}"] * 6, answers
        assert RUNS[f"echo:{u}:回声 {u}"] == 1
    assert not any(workers.fake.texts(u) for u in users)  # nothing went out twice by another way


def test_a_claim_left_by_a_dead_worker_is_taken_over_by_the_resend(workers: Live) -> None:
    from bot.gateway import Gateway

    user, msg_id = f"user-dead-{workers.tag}", next(_ids)
    xml = text_xml(user, "回声 接管", msg_id)
    # What a worker killed while handling the message leaves behind: its claim, no longer
    # renewed, with what remains of its lease (it died a while ago).
    store = create_store(workers)
    assert store.add(f"claim:msg:{msg_id}", "token-of-a-dead-worker", Gateway.LEASE_S - 2.6)
    t0 = time.monotonic()
    assert workers.reply(xml) == "回声：接管"
    assert time.monotonic() - t0 < BUDGET_S
    assert RUNS[f"echo:{user}:回声 接管"] == 1


def test_a_message_committed_by_a_dead_worker_is_not_run_again(workers: Live) -> None:
    user, msg_id = f"user-committed-{workers.tag}", next(_ids)
    store = create_store(workers)
    # The dead worker committed the message's effects and reply, then died before answering.
    store.set_json(f"done:msg:{msg_id}", {"reply": "回声：已处理"}, 600)
    store.add(f"claim:msg:{msg_id}", "token-of-a-dead-worker", 0.2)
    assert workers.reply(text_xml(user, "回声 已处理", msg_id)) == "回声：已处理"
    assert RUNS[f"echo:{user}:回声 已处理"] == 0


@pytest.mark.parametrize("committed", [False, True])
def test_a_late_answer_whose_worker_died_is_still_sent_once(workers: Live, committed: bool) -> None:
    from dataclasses import asdict

    from bot.wechat.webhook import to_incoming

    user, msg_id = f"user-late-dead-{committed}-{workers.tag}", next(_ids)
    xml = text_xml(user, "回声 迟到", msg_id)
    store = create_store(workers)
    # The worker answered `success` (WeChat will not resend), recorded the late answer, died.
    store.set_json(f"late:msg:{msg_id}", asdict(to_incoming(parse_xml(xml))), 600)
    store.add(f"claim:msg:{msg_id}", "token-of-a-dead-worker", 0.3)
    if committed:
        store.set_json(f"done:msg:{msg_id}", {"reply": "回声：迟到"}, 600)
    live = Live(workers.other, workers.settings, workers.fake, workers.codec, workers.http)
    live.reply(text_xml(f"{user}-other", "帮助"))  # any request starts the worker's sweeper
    assert workers.fake.wait_for(lambda f: f.texts(user) == ["回声：迟到"], timeout=10)
    time.sleep(2.5)  # a second sweep (either worker) finds nothing left to send
    assert workers.fake.texts(user) == ["回声：迟到"]
    assert RUNS[f"echo:{user}:回声 迟到"] == (0 if committed else 1)
    assert store.get(f"late:msg:{msg_id}") is None


def test_a_signature_reused_with_another_body_is_refused(live: Live) -> None:
    store = create_store(live)
    store.set_dialog("user-victim", {"flow": "something", "step": 2})
    params, body = live.codec.sign_request(text_xml("user-sender", "回声 原文"))
    post = lambda content: live.http.post(f"{live.url}/wechat", params=params, content=content.encode())  # noqa: E731
    assert parse_xml(post(body).text)["Content"] == "回声：原文"
    # The same signature (copied from a log) with a forged body for another user.
    for forged in (text_xml("user-victim", "删除我的信息"), text_xml("user-victim", "确认删除")):
        r = post(forged)
        assert r.status_code == 403
    assert store.get_dialog("user-victim") == {"flow": "something", "step": 2}
    # The very same request again is a resend: the same answer, not run again.
    assert parse_xml(post(body).text)["Content"] == "回声：原文"
    assert RUNS["echo:user-sender:回声 原文"] == 1


def test_plaintext_refused_when_safe_mode_is_required(live: Live) -> None:
    settings = live.settings.model_copy(update={"wechat_require_aes": True})
    with serve_in_thread(create_app(settings), lifespan="off") as url:
        strict = Live(url, settings, live.fake, live.codec, live.http)
        assert strict.post(text_xml("user-aes", "回声 明文")).status_code == 403
        assert strict.reply(text_xml("user-aes", "回声 密文"), encrypt=True) == "回声：密文"
        assert strict.reply(text_xml("user-aes", "回声 兼容"), encrypt=True, compat=True) == "回声：兼容"
    assert "echo:user-aes:回声 明文" not in RUNS
    set_services(None)


@pytest.mark.parametrize("timestamp", ["9" * 400, "-1", "1e9", "１７００００００００", ""])
def test_malformed_timestamps_are_refused_not_500(live: Live, timestamp: str) -> None:
    from bot.wechat.webhook import sign

    params = {"timestamp": timestamp, "nonce": "n1", "signature": sign(live.settings.wechat_token, timestamp, "n1")}
    r = live.http.post(f"{live.url}/wechat", params=params, content=text_xml("user-ts", "回声 时间").encode())
    assert r.status_code == 403
    assert live.http.get(f"{live.url}/wechat", params={**params, "echostr": "x"}).status_code == 403
    assert "echo:user-ts:回声 时间" not in RUNS


@pytest.mark.parametrize(("field", "value"), [
    ("FromUserName", "o" * 300), ("FromUserName", "o_含中文"), ("FromUserName", "o x"),
    ("MsgId", "12ab"), ("MsgId", "9" * 400), ("CreateTime", "9" * 400), ("MediaId", "m" * 5000),
])
def test_fields_that_are_not_wechats_are_400(live: Live, field: str, value: str) -> None:
    xml = text_xml("user-fields", "回声 字段")
    xml = re.sub(f"<{field}>.*?</{field}>", f"<{field}>{cdata(value)}</{field}>", xml)
    if f"<{field}>" not in xml:
        xml = xml.replace("</xml>", f"<{field}>{cdata(value)}</{field}></xml>")
    assert live.post(xml).status_code == 400
    assert "echo:user-fields:回声 字段" not in RUNS


# --- long answers ----------------------------------------------------------------------------
def test_long_answer_paged_with_more(live: Live) -> None:
    assert len(LONG_TEXT.encode()) > 2 * 2048
    parts = [live.reply(text_xml("user-long", "长文"), encrypt=True)]
    while parts[-1] and "「更多」" in parts[-1]:
        parts.append(live.reply(text_xml("user-long", "更多"), encrypt=True))
        assert len(parts) < 10
    assert len(parts) >= 3
    for p in parts:
        assert p is not None and len(p.encode("utf-8")) <= 2048
    assert all(p.rstrip().endswith(("。", "）")) for p in parts)  # cut at sentence boundaries
    joined = "".join(p.split("\n\n（回复「更多」")[0] for p in parts if p)
    assert joined == LONG_TEXT
    assert "没有需要继续阅读" in (live.reply(text_xml("user-long", "更多")) or "")


# --- other message types and events ---------------------------------------------------------------
def test_voice_uses_recognition_or_asks_for_text(live: Live) -> None:
    rec = "<MediaId>m1</MediaId><Format>amr</Format><Recognition>回声 语音</Recognition>"
    assert live.reply(text_xml("user-voice", "", msg_type="voice", extra=rec)) == "回声：语音"
    no_rec = "<MediaId>m2</MediaId><Format>amr</Format>"
    answer = live.reply(text_xml("user-voice", "", msg_type="voice", extra=no_rec)) or ""
    assert "文字" in answer


def test_image_is_fetched_from_the_api_and_checked(live: Live) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (390, 567), (255, 255, 255)).save(buf, "JPEG")
    live.fake.add_media("photo-1", buf.getvalue(), "image/jpeg")
    extra = "<PicUrl><![CDATA[http://127.0.0.1/x.jpg]]></PicUrl><MediaId><![CDATA[photo-1]]></MediaId>"
    answer = live.reply(text_xml("user-photo", "", msg_type="image", extra=extra))
    if answer is None:  # a slow check on a busy machine arrives as a customer-service message
        assert live.fake.wait_for(lambda f: bool(f.texts("user-photo")), timeout=10)
        answer = live.fake.texts("user-photo")[0]
    assert [c.query["media_id"] for c in live.fake.calls_to("/cgi-bin/media/get")] == ["photo-1"]
    assert "抱歉" not in answer and "无法" not in answer


def test_unknown_message_type_gets_polite_reply(live: Live) -> None:
    extra = "<Location_X>30.2</Location_X><Location_Y>120.1</Location_Y><Scale>15</Scale><Label>杭州</Label>"
    answer = live.reply(text_xml("user-loc", "", msg_type="location", extra=extra)) or ""
    assert "位置" in answer and "帮助" in answer


def test_events(live: Live) -> None:
    assert "欢迎" in (live.reply(event_xml("user-ev", "subscribe")) or "")
    assert live.reply(event_xml("user-ev", "CLICK", "HELP")) == CAPABILITIES
    assert "问题" in (live.reply(event_xml("user-ev", "CLICK", "ASK")) or "")
    assert "暂未开放" in (live.reply(event_xml("user-ev", "CLICK", "NO_SUCH_KEY")) or "")
    assert live.reply(event_xml("user-ev", "VIEW", "https://example.org")) is None
    assert live.reply(event_xml("user-ev", "LOCATION")) is None


def test_unsubscribe_clears_dialog_and_pending(live: Live) -> None:
    store = create_store(live)
    store.set_dialog("user-unsub", {"flow": "something"})
    store.set("pending:user-unsub", "rest")
    assert live.reply(event_xml("user-unsub", "unsubscribe")) is None
    assert store.get_dialog("user-unsub") == {}
    assert store.get("pending:user-unsub") is None


def test_duplicate_event_handled_once(live: Live) -> None:
    store = create_store(live)
    ts = int(time.time())
    assert "欢迎" in (live.reply(event_xml("user-dup", "subscribe", create_time=ts)) or "")
    store.set_dialog("user-dup", {"flow": "x"})
    live.reply(event_xml("user-dup", "unsubscribe", create_time=ts + 1))
    store.set_dialog("user-dup", {"flow": "kept"})
    live.reply(event_xml("user-dup", "unsubscribe", create_time=ts + 1))  # WeChat's retry
    assert store.get_dialog("user-dup") == {"flow": "kept"}


def create_store(live: Live):  # type: ignore[no-untyped-def]
    from bot.store import open_store

    return open_store(live.settings)


def test_production_refuses_placeholder_webhook_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="WECHAT_TOKEN"):
        Settings(app_env="production", data_dir=tmp_path)
    with pytest.raises(ValueError, match="WECHAT_AES_KEY"):
        Settings(app_env="production", data_dir=tmp_path, wechat_token="a-real-token-1234")
