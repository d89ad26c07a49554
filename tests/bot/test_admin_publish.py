"""Next year's notice in, the whole bot ready the same day — in headless Chromium against uvicorn
on a loopback port, then as a WeChat user (signed XML to /wechat over loopback):

upload the DOCX → correct the proposed front matter → publish the notice → draft the plan →
edit it (live validation) → run the example personas → publish → the user gets the new dates
in 提醒 and the new answer in Q&A (last year's only when asked, labelled as past), and the
「新年度通知发布后提醒我」 subscriber is told once — also after a rollback and a re-publish."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.services import set_services
from bot.settings import KNOWLEDGE_DIR, Settings
from bot.wechat.fake_server import FakeWeChat
from bot.wechat.loopback import serve_in_thread
from bot.wechat.webhook import WebhookCodec, cdata, parse_xml

TOKEN = "hr-secret-0123456789abcdef"
OLD = "linping-manufacturing-engineer-2022"
YEAR = dt.date.today().year + 1  # the new notice's dates are ahead, so 提醒 can still push them
NEW = f"linping-manufacturing-engineer-{YEAR}"
_ids = iter(range(9 * 10**9, 10 * 10**9))


def next_year_notice(year: int) -> str:
    """A next-year notice of the Linping 制造业 series, worded as bureaus word them."""
    return f"""关于做好{year}年度临平区制造业专业工程师资格评审工作的通知

各有关单位：

现将{year}年度临平区制造业专业工程师资格评审工作有关事项通知如下：

一、评审范围

（一）在本区企事业单位从事机电制造、电子、电气、化工、轻工、食品等工程技术专业的人员。

（二）下列人员不得申报：

1. 公务员（含参照公务员法管理的工作人员）；

2. 已办理退休手续的人员。

二、申报条件

（一）学历、资历条件。正常申报人员应具备下列条件之一：

1. 具有研究生学历或第二学士学位，取得助理工程师资格后，从事本专业技术工作满2年；

2. 具有大学本科或大学专科学历，取得助理工程师资格后，从事本专业技术工作满4年。

专业技术工作年限计算截止时间为{year}年12月31日。

（二）继续教育条件。{year - 3}年以来合计取得继续教育学分不少于48学分。

（三）考核条件。申报人员近三年年度考核均为“称职”以上。

三、时间安排

（一）网上申报。申报人员于{year}年7月10日至7月25日登录省平台进行网上申报，逾期不再受理。

（二）单位审核。用人单位应于8月5日前完成网上审核推荐。

（三）评审费缴纳。评审费为每人300元，申报人员于8月15日至8月20日缴纳。

四、申报材料

申报人员应在省平台上传以下材料：

1. 学历证书；

2. 助理工程师资格证书及聘任文件；

3. 近三年年度考核表。

联系人：张明，联系电话：0571-86001234。

杭州市临平区人力资源和社会保障局

{year}年6月1日
"""


def docx_of(text: str) -> bytes:
    import docx

    d = docx.Document()
    for para in text.split("\n\n"):
        if para.strip():
            d.add_paragraph(para.strip())
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@dataclass
class Live:
    url: str
    settings: Settings
    fake: FakeWeChat
    codec: WebhookCodec

    def say(self, user: str, text: str) -> str:
        xml = (f"<xml><ToUserName>{cdata('gh_hr')}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
               f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata('text')}</MsgType>"
               f"<Content>{cdata(text)}</Content><MsgId>{next(_ids)}</MsgId></xml>")
        params, body = self.codec.sign_request(xml)
        r = httpx.post(f"{self.url}/wechat", params=params, content=body.encode(), timeout=30,
                       headers={"Content-Type": "text/xml"})
        assert r.status_code == 200, r.text
        return parse_xml(r.text)["Content"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("publish")
    notices, plans = root / "notices", root / "plans"
    notices.mkdir()
    plans.mkdir()
    shutil.copy(KNOWLEDGE_DIR / "notices" / f"{OLD}.md", notices)
    shutil.copy(KNOWLEDGE_DIR / "plans" / f"{OLD}.yaml", plans)
    fake = FakeWeChat().start()
    settings = Settings(data_dir=root / "data", notices_dir=notices, plans_dir=plans, admin_token=TOKEN,
                        wechat_api_base=fake.base_url, scheduler_in_serve=False, quiet_hours="",
                        state_url=f"sqlite:///{root / 'data' / 'state.db'}")
    try:
        with serve_in_thread(create_app(settings), lifespan="on", timeout_s=180) as url:
            yield Live(url, settings, fake, WebhookCodec(settings))
    finally:
        fake.stop()
        set_services(None)


def _deliver(settings: Settings) -> int:
    """One scheduler pass against the fake WeChat API; returns messages sent."""
    from bot.reminders.scheduler import build

    sched = build(settings)
    try:
        return sched.run_once().sent
    finally:
        sched.stop()


def _new_year_pushes(fake: FakeWeChat, user: str) -> list[str]:
    return [t for t in fake.texts(user) if "已发布" in t]


@pytest.mark.slow
def test_next_years_notice_to_a_published_plan_and_a_wechat_user(live: Live, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    d = browser

    def find(by: str, value: str, text: str = ""):  # type: ignore[no-untyped-def]
        def ready(drv):  # type: ignore[no-untyped-def]
            els = drv.find_elements(by, value)
            return els[0] if els and text in els[0].text else False
        return WebDriverWait(d, 90, ignored_exceptions=[StaleElementReferenceException]).until(ready)

    # Before: a user of last year's plan whose dates are over asks to hear of the new year.
    fan = "o_series_fan"
    assert "已选择" in live.say(fan, "提醒")
    assert "新年度" in live.say(fan, "1")
    assert "通知您一次" in live.say(fan, "新年度通知发布后提醒我")

    d.get(f"{live.url}/admin/login")
    d.find_element(By.ID, "name").send_keys("李科长")
    d.find_element(By.ID, "token").send_keys(TOKEN)
    d.find_element(By.ID, "login").click()
    find(By.TAG_NAME, "h1", "概览")

    # 1. Upload: the front matter is proposed from the text and shown for correction.
    upload = tmp_path / "临平制造业通知.docx"
    upload.write_bytes(docx_of(next_year_notice(YEAR)))
    d.find_element(By.ID, "nav-notices").click()
    find(By.ID, "file").send_keys(str(upload))
    d.find_element(By.ID, "notice_id").send_keys(NEW)
    d.find_element(By.ID, "upload").click()
    find(By.ID, "message", "请核对")
    assert d.find_element(By.ID, "f-region").get_attribute("value") == "临平区"
    assert d.find_element(By.ID, "f-series").get_attribute("value") == "制造业"
    assert d.find_element(By.ID, "f-year").get_attribute("value") == str(YEAR)
    assert "0571-86001234" in d.find_element(By.ID, "f-contacts").get_attribute("value")
    assert "取代" in find(By.ID, "hints").text  # it will supersede the 2022 notice
    # 2. Correct: the officer adds a word applicants use.
    aliases = d.find_element(By.ID, "f-series-aliases")
    aliases.send_keys("、机械制造")
    d.find_element(By.ID, "publish-notice").click()
    find(By.ID, "message", "已入库")
    assert "机械制造" in (live.settings.notices_dir / f"{NEW}.md").read_text(encoding="utf-8")
    # Until its plan is published, the console says 资格自测 is not online for it.
    assert "资格自测尚未上线" in find(By.ID, "plan-status").text

    # 3. Draft the plan: rules, dates, materials — each with the clause it quotes.
    d.find_element(By.ID, "draft-plan").click()
    box = find(By.ID, "plan-text")
    text = box.get_attribute("value")
    assert "title_years" in text and f"{YEAR}-07-10" in text and "ce_credits" in text
    assert "已办理退休手续" in find(By.ID, "open-items").text
    assert "7月10日至7月25日" in d.find_element(By.ID, "clauses").text
    # 4. Edit: a typo is caught live; the fix passes.
    def type_text(value: str) -> None:
        d.execute_script("arguments[0].value = arguments[1];"
                         "arguments[0].dispatchEvent(new Event('input'));", box, value)
    type_text(text.replace("check: title_years", "check: title_yaers", 1))
    find(By.ID, "problems", "title_yaers")
    edited = text.replace("text: 申报人员于", "text: 网上申报（临平）申报人员于", 1)
    type_text(edited)
    find(By.ID, "problems", "校验通过")
    # 5. Example personas, then publish.
    d.find_element(By.ID, "run-personas").click()
    rows = find(By.ID, "personas").find_elements(By.TAG_NAME, "tr")[1:]
    assert rows and all(r.text.startswith("✓") for r in rows)
    d.find_element(By.ID, "publish-plan").click()
    find(By.ID, "message", f"已发布计划 {NEW}")
    assert (live.settings.plans_dir / f"{NEW}.yaml").exists()
    d.find_element(By.ID, "nav-audit").click()
    audit = find(By.ID, "audit", "李科长").text
    for action in ("upload", "edit_front_matter", "publish", "draft", "edit_draft"):
        assert action in audit

    # A WeChat user: 提醒 has the new dates; Q&A answers from the new notice.
    user = "o_applicant_new"
    # Last year's plan of the series is past: the new one is the only plan to offer.
    reply = live.say(user, "提醒")
    assert "已选择" in reply and f"{YEAR}年度临平区" in reply and "申报人" in reply and "2022年度" not in reply
    reply = live.say(user, "1")
    assert "已订阅" in reply and f"{YEAR}年7月10日至7月25日" in reply and "网上申报（临平）" in reply
    answer = live.say(user, "临平制造业工程师网上申报是几号到几号？")
    assert f"{YEAR}年7月10日至7月25日" in answer and "8 月 1 日" not in answer
    past = live.say(user, "2022年临平制造业工程师网上申报是几号到几号？")
    assert "8 月 1 日至 15 日" in past and "往年通知" in past
    fee = live.say(user, "临平制造业工程师继续教育要多少学分？")
    assert "48" in fee

    # The new-year subscriber is told once; a rollback and a re-publish do not tell them again.
    assert _deliver(live.settings) >= 1
    assert len(_new_year_pushes(live.fake, fan)) == 1
    from bot.publishing import Publisher
    from bot.services import get_services

    pub = Publisher(get_services(), "李科长")
    published = (live.settings.plans_dir / f"{NEW}.yaml").read_text(encoding="utf-8")
    assert "已撤下" in pub.rollback("plan", NEW)
    assert not (live.settings.plans_dir / f"{NEW}.yaml").exists()
    pub.publish_plan(NEW, published)
    _deliver(live.settings)
    assert len(_new_year_pushes(live.fake, fan)) == 1
