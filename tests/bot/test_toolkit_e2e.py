"""The applicant toolkit end to end: signed WeChat XML over real HTTP to uvicorn on a loopback
port; the photo is downloaded from the fake WeChat API server (media/get) like in production."""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageChops, ImageDraw

from bot.app import create_app
from bot.services import set_services
from bot.settings import Settings
from bot.wechat.fake_server import FakeWeChat
from bot.wechat.loopback import serve_in_thread
from bot.wechat.webhook import WebhookCodec, cdata, parse_xml

_ids = iter(range(7 * 10**9, 8 * 10**9))


@dataclass
class Live:
    url: str
    fake: FakeWeChat
    codec: WebhookCodec
    http: httpx.Client

    def send(self, user: str, inner: str, msg_type: str, encrypt: bool = False) -> str:
        """Post one user message as WeChat does; return the text the user sees."""
        xml = (f"<xml><ToUserName>{cdata('gh_toolkit')}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
               f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>"
               f"{inner}<MsgId>{next(_ids)}</MsgId></xml>")
        params, body = self.codec.sign_request(xml, encrypt=encrypt)
        r = self.http.post(f"{self.url}/wechat", params=params, content=body.encode("utf-8"),
                           headers={"Content-Type": "text/xml"})
        assert r.status_code == 200, r.text
        fields = self.codec.decrypt_reply(r.text) if encrypt else parse_xml(r.text)
        assert fields["MsgType"] == "text" and fields["ToUserName"] == user
        return fields["Content"]

    def text(self, user: str, content: str, encrypt: bool = False) -> str:
        return self.send(user, f"<Content>{cdata(content)}</Content>", "text", encrypt)

    def image(self, user: str, media_id: str) -> str:
        inner = (f"<PicUrl>{cdata('http://mmbiz.qpic.cn/x')}</PicUrl>"
                 f"<MediaId>{cdata(media_id)}</MediaId>")
        return self.send(user, inner, "image")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    fake = FakeWeChat().start()
    data_dir: Path = tmp_path_factory.mktemp("toolkit")
    settings = Settings(data_dir=data_dir, wechat_api_base=fake.base_url,
                        state_url=f"sqlite:///{data_dir / 'state.db'}", database_url="", redis_url="",
                        scheduler_in_serve=False)
    try:
        with serve_in_thread(create_app(settings), lifespan="off") as url, httpx.Client(timeout=15) as http:
            yield Live(url, fake, WebhookCodec(settings), http)
    finally:
        fake.stop()
        set_services(None)


def id_photo(w: int, h: int, fmt: str = "JPEG") -> bytes:
    img = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.ellipse((w * 0.3, h * 0.15, w * 0.7, h * 0.6), fill=(205, 160, 130))
    d.rectangle((w * 0.1, h * 0.68, w * 0.9, h), fill=(30, 40, 90))
    grain = Image.frombytes("L", (w, h), random.Random(3).randbytes(w * h)).point(lambda v: v * 50 // 256)
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rectangle((w // 8, int(h * 0.15), w - w // 8, h), fill=255)
    img = Image.composite(ImageChops.subtract(img, Image.merge("RGB", [grain] * 3)), img, mask)
    buf = io.BytesIO()
    img.save(buf, fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    return buf.getvalue()


def test_photo_downloaded_from_wechat_and_checked(live: Live) -> None:
    good = id_photo(413, 579)
    live.fake.add_media("media-good", good)
    reply = live.image("user-photo", "media-good")
    assert "全部符合" in reply and "413×579" in reply and f"{len(good) / 1024:.1f} KB" in reply
    assert live.fake.calls_to("/cgi-bin/media/get")[-1].query["media_id"] == "media-good"


def test_photo_failures_come_with_numbers_and_a_fix(live: Live) -> None:
    live.fake.add_media("media-png", id_photo(600, 600, "PNG"), content_type="image/jpeg")
    reply = live.image("user-photo", "media-png")
    assert "❌ 格式：PNG" in reply and "❌ 宽高比：1.000" in reply
    assert "裁剪为 429×600 像素左右" in reply and "另存为 JPEG，质量" in reply


def test_corrupt_and_expired_media_get_a_clear_message(live: Live) -> None:
    live.fake.add_media("media-broken", id_photo(413, 579)[:3000])
    assert "损坏" in live.image("user-photo", "media-broken")
    gone = live.image("user-photo", "media-never-uploaded")  # WeChat answers 40007
    assert "重新发送" in gone and "Traceback" not in gone


def test_photo_command_explains_the_rule(live: Live) -> None:
    reply = live.text("user-photo", "证件照")
    assert "大于30K且小于1M" in reply and "0.65" in reply and "发送" in reply


def test_shuzhi_over_several_messages(live: Live) -> None:
    user = "user-shuzhi"
    assert "完成" in live.text(user, "述职检查")
    live.text(user, "甲" * 700)
    assert "共 1301 字" in live.text(user, "乙" * 600)
    done = live.text(user, "完成")
    assert "超出 301 字" in done and "换行" in done
    one_shot = live.text(user, "述职检查 " + "丙" * 20, encrypt=True)  # 安全模式 too
    assert "共 20 字" in one_shot and "还可以再写 980 字" in one_shot


def test_work_years_dialog(live: Live) -> None:
    user = "user-years"
    ask = live.text(user, "工作年限")
    number = next(line.split(".")[0] for line in ask.splitlines() if "临平" in line)
    assert "2022年12月31日" in live.text(user, number)
    reply = live.text(user, "2015年7月-2018年6月，2019年3月至今")
    assert "按整年计为 6 年" in reply and "专业工作年限计算到 2022 年 12 月 31 日" in reply


def test_materials_dialog(live: Live) -> None:
    user = "user-materials"
    ask_route = live.text(user, "材料清单 临平")
    number = next(line.split(".")[0] for line in ask_route.splitlines() if "破格" in line)
    reply = live.text(user, number)
    assert "破格推荐中级专业技术职务任职资格审批表" in reply and "邮寄纸质材料清单" in reply


def test_photo_sent_in_the_middle_of_a_dialog_is_checked_and_the_dialog_goes_on(live: Live) -> None:
    user = "user-photo-mid"
    live.fake.add_media("media-mid", id_photo(413, 579))
    assert "完成" in live.text(user, "述职检查")
    live.text(user, "甲" * 10)
    mid = live.image(user, "media-mid")
    assert "全部符合" in mid and "继续述职检查" in mid
    assert "共 10 字" in live.text(user, "完成")
